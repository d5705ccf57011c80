#include "catalog/sqlite.h"

#include <sqlite3.h>

namespace ledgerlake::catalog::sqlite {

namespace {

// Opens `name` (a path, or a file: URI) with `flags`; the message names `path`.
Result<sqlite3*> OpenHandle(const std::string& name, const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open the catalog " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);  // a handle is returned even on failure
    return Status::IOError(std::move(msg));
  }
  return db;
}

// The path as a file: URI (percent-encoding what a URI cannot hold as is).
std::string FileUri(const std::string& path) {
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[(static_cast<unsigned char>(c) >> 4) & 0xF];
      uri += kHex[static_cast<unsigned char>(c) & 0xF];
    } else {
      uri += c;
    }
  }
  return uri;
}

}  // namespace

Result<Database> Database::Open(const std::string& path, const OpenOptions& options) {
  if (options.read_only) {
    auto db = OpenHandle(path, path, SQLITE_OPEN_READONLY);
    if (!db.ok()) return db.status();
    Database out(*db, path);
    sqlite3_extended_result_codes(*db, 1);
    sqlite3_busy_timeout(*db, options.busy_timeout_ms);
    // Reading needs the WAL index; without the right to create it, read the file as it stands.
    if (out.Execute("SELECT count(*) FROM sqlite_master").ok()) return out;
    auto immutable = OpenHandle(FileUri(path) + "?immutable=1", path, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI);
    if (!immutable.ok()) return immutable.status();
    Database fallback(*immutable, path);
    sqlite3_extended_result_codes(*immutable, 1);
    LL_RETURN_IF_ERROR(fallback.Execute("SELECT count(*) FROM sqlite_master"));
    return fallback;
  }
  auto db = OpenHandle(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db.ok()) return db.status();
  Database out(*db, path);
  sqlite3_extended_result_codes(*db, 1);
  sqlite3_busy_timeout(*db, options.busy_timeout_ms);
  LL_RETURN_IF_ERROR(out.Execute("PRAGMA foreign_keys = ON"));
  if (options.wal) {
    // journal_mode answers with the mode in effect; anything but "wal" means the file system refused it.
    auto stmt = out.Prepare("PRAGMA journal_mode = WAL");
    if (!stmt.ok()) return stmt.status();
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row || stmt->ColumnText(0) != "wal") {
      return Status::IOError("cannot put the catalog " + path + " in WAL mode");
    }
  }
  return out;
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Error(sqlite3* db, const std::string& path, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  std::string msg = "catalog " + path + ": " + std::string(what) + ": " +
                    (db && sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Busy(std::move(msg));
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(std::move(msg));
  return Status::IOError(std::move(msg));
}

Status Database::Execute(std::string_view sql) {
  const std::string text(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);  // the same message stays available from sqlite3_errmsg
  if (rc == SQLITE_OK) return Status::OK();
  return Error(db_, path_, rc, "cannot execute '" + text.substr(0, 60) + "'");
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(db_, path_, rc, "cannot prepare '" + std::string(sql.substr(0, 60)) + "'");
  return Statement(db_, path_, stmt);
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

void Statement::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && bind_error_.ok()) {
    bind_error_ = Database::Error(db_, path_, rc, "cannot bind parameter " + std::to_string(index));
  }
}

Statement& Statement::BindInt(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindText(int index, std::string_view value) {
  NoteBind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Database::Error(db_, path_, rc, "cannot run '" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "'");
}

Status Statement::Run() {
  auto row = Step();
  if (!row.ok()) return row.status();
  if (*row) return Status::InvalidArgument("statement returned rows: " + std::string(sqlite3_sql(stmt_)));
  return Status::OK();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::OK();
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!text) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::ColumnIsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<Transaction> Transaction::Begin(Database& db) {
  LL_RETURN_IF_ERROR(db.Execute("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Execute("ROLLBACK");
}

Status Transaction::Commit() {
  if (!db_) return Status::InvalidArgument("transaction already finished");
  Status st = db_->Execute("COMMIT");
  if (st.ok()) db_ = nullptr;  // on failure the destructor rolls back
  return st;
}

}  // namespace ledgerlake::catalog::sqlite
