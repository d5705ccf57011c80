#include "duck/database.h"

#include <string>

#include "duck/handles.h"

namespace ledgerlake::duck {

namespace internal {

Status ResultHandle::ErrorStatus(std::string_view fallback) {
  const char* msg = duckdb_result_error(&result_);
  std::string text = msg != nullptr && *msg != '\0' ? std::string(msg) : std::string(fallback);
  const duckdb_error_type type = duckdb_result_error_type(&result_);
  if (type == DUCKDB_ERROR_IO) return Status::IOError(std::move(text));
  if (type == DUCKDB_ERROR_PERMISSION) return Status::PermissionDenied(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

Status MessageStatus(std::string text) {
  if (text.starts_with("Permission Error:")) return Status::PermissionDenied(std::move(text));
  return Status::InvalidArgument(std::move(text));
}

}  // namespace internal

std::string SqlStringLiteral(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  out += '\'';
  return out;
}

namespace {

// A duckdb_config that is destroyed on scope exit.
class ConfigHandle {
 public:
  ConfigHandle() = default;
  ConfigHandle(const ConfigHandle&) = delete;
  ConfigHandle& operator=(const ConfigHandle&) = delete;
  ~ConfigHandle() {
    if (config_ != nullptr) duckdb_destroy_config(&config_);
  }
  duckdb_config* out() { return &config_; }
  duckdb_config get() const { return config_; }

 private:
  duckdb_config config_ = nullptr;
};

Status SetOption(duckdb_config config, const std::string& name, const std::string& value) {
  if (duckdb_set_config(config, name.c_str(), value.c_str()) == DuckDBError) {
    return Status::InvalidArgument("DuckDB rejected option " + name + "='" + value + "'");
  }
  return Status::OK();
}

}  // namespace

Result<Database> Database::Open(const DatabaseOptions& options) {
  ConfigHandle config;
  if (duckdb_create_config(config.out()) == DuckDBError) return Status::IOError("cannot create a DuckDB config");
  if (options.threads < 0) return Status::InvalidArgument("threads must be >= 0");
  if (options.threads > 0) LL_RETURN_IF_ERROR(SetOption(config.get(), "threads", std::to_string(options.threads)));
  if (!options.memory_limit.empty()) LL_RETURN_IF_ERROR(SetOption(config.get(), "memory_limit", options.memory_limit));
  if (options.temp_directory) LL_RETURN_IF_ERROR(SetOption(config.get(), "temp_directory", *options.temp_directory));
  for (const auto& [name, value] : options.settings) LL_RETURN_IF_ERROR(SetOption(config.get(), name, value));

  auto state = std::make_unique<internal::DatabaseState>();
  char* error = nullptr;
  if (duckdb_open_ext(":memory:", &state->db, config.get(), &error) == DuckDBError) {
    std::string msg = error != nullptr ? error : "cannot open DuckDB";
    duckdb_free(error);
    state->db = nullptr;
    return Status::InvalidArgument(std::move(msg));
  }
  internal::ConnectionState setup;
  if (duckdb_connect(state->db, &setup.con) == DuckDBError) {
    setup.con = nullptr;
    return Status::IOError("cannot connect to DuckDB");
  }
  LL_RETURN_IF_ERROR(internal::RegisterScanFunction(setup.con, state->scans));
  return Database(std::move(state));
}

Database::Database(std::unique_ptr<internal::DatabaseState> state) : state_(std::move(state)) {}
Database::Database(Database&& other) noexcept = default;
Database& Database::operator=(Database&& other) noexcept = default;
Database::~Database() = default;

Result<Connection> Connection::Open(Database& db) {
  if (db.state_ == nullptr) return Status::InvalidArgument("Connection::Open on a moved-from Database");
  auto state = std::make_unique<internal::ConnectionState>();
  if (duckdb_connect(db.state_->db, &state->con) == DuckDBError) {
    state->con = nullptr;
    return Status::IOError("cannot connect to DuckDB");
  }
  state->scans = db.state_->scans;
  return Connection(std::move(state));
}

Status Connection::Execute(std::string_view sql) {
  // duckdb_query needs a NUL-terminated string; it runs every statement and stops at the first failure.
  const std::string text(sql);
  internal::ResultHandle result;
  if (duckdb_query(state_->BeginStatement(), text.c_str(), result.get()) == DuckDBError) {
    return result.ErrorStatus("query failed");
  }
  return Status::OK();
}

Result<QueryResult> Connection::Query(std::string_view sql) {
  return internal::QueryRunner::Run(*state_, sql);
}

Result<size_t> Connection::CountStatements(std::string_view sql) { return internal::QueryRunner::Count(*state_, sql); }

Result<QueryResult> Connection::QueryStatement(std::string_view sql, size_t index) {
  return internal::QueryRunner::RunOne(*state_, sql, index);
}

Result<StatementInfo> Connection::Describe(std::string_view sql, size_t index) {
  return internal::QueryRunner::Describe(*state_, sql, index);
}

void Connection::Interrupt() {
  if (state_ != nullptr && state_->con != nullptr) duckdb_interrupt(state_->con);
}

Connection::Connection(std::unique_ptr<internal::ConnectionState> state) : state_(std::move(state)) {}
Connection::Connection(Connection&& other) noexcept = default;
Connection& Connection::operator=(Connection&& other) noexcept = default;
Connection::~Connection() = default;

}  // namespace ledgerlake::duck
