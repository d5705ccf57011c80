#include "duck/parquet_writer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <unordered_set>

#include "duck/database.h"
#include "duck/handles.h"

namespace ledgerlake::duck {

namespace internal {

namespace {

constexpr const char* kScanFunction = "ledgerlake_table_scan";

struct BindData {
  const TableView* table;
};

// Shared by every thread scanning one table: hands out the next unread vector-sized range of rows.
struct ScanState {
  std::atomic<size_t> next_row{0};
};

duckdb_logical_type NewLogicalType(ColumnType type) {
  switch (type) {
    case ColumnType::kBigInt: return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case ColumnType::kInteger: return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case ColumnType::kDouble: return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case ColumnType::kDate: return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case ColumnType::kDecimal18_2: return duckdb_create_decimal_type(18, 2);
    case ColumnType::kVarchar: return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

size_t ElementSize(ColumnType type) {
  switch (type) {
    case ColumnType::kBigInt:
    case ColumnType::kDecimal18_2: return sizeof(int64_t);  // DECIMAL(18,2) is stored as int64 by DuckDB too
    case ColumnType::kInteger:
    case ColumnType::kDate: return sizeof(int32_t);  // duckdb_date is {int32_t days}, same epoch
    case ColumnType::kDouble: return sizeof(double);
    case ColumnType::kVarchar: return sizeof(std::string_view);
  }
  return 0;
}

// DuckDB's id of a connection, the same whether seen from our handle or from inside a bind callback.
uint64_t ConnectionId(duckdb_client_context context) {
  const uint64_t id = duckdb_client_context_get_connection_id(context);
  duckdb_destroy_client_context(&context);
  return id;
}

uint64_t ConnectionId(duckdb_connection con) {
  duckdb_client_context context = nullptr;
  duckdb_connection_get_client_context(con, &context);
  return ConnectionId(context);
}

void ScanBind(duckdb_bind_info info) {
  const auto& registry = *static_cast<std::shared_ptr<ScanRegistry>*>(duckdb_bind_get_extra_info(info));
  duckdb_value param = duckdb_bind_get_parameter(info, 0);
  const int64_t id = duckdb_get_int64(param);
  duckdb_destroy_value(&param);
  duckdb_client_context context = nullptr;
  duckdb_table_function_get_client_context(info, &context);
  const uint64_t connection_id = ConnectionId(context);
  const TableView* table = id > 0 ? registry->Find(static_cast<uint64_t>(id), connection_id) : nullptr;
  if (table == nullptr) {
    duckdb_bind_set_error(info, "ledgerlake_table_scan: no table is being written under this id");
    return;
  }
  for (const ColumnView& column : table->columns) {
    duckdb_logical_type type = NewLogicalType(column.type);
    duckdb_bind_add_result_column(info, column.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
  duckdb_bind_set_cardinality(info, table->rows, true);
  duckdb_bind_set_bind_data(info, new BindData{table}, [](void* p) { delete static_cast<BindData*>(p); });
}

void ScanInit(duckdb_init_info info) {
  const TableView& table = *static_cast<BindData*>(duckdb_init_get_bind_data(info))->table;
  duckdb_init_set_init_data(info, new ScanState(), [](void* p) { delete static_cast<ScanState*>(p); });
  // One thread per row group's worth of rows at most; DuckDB caps this at its own thread count.
  constexpr size_t kRowsPerThread = 122880;
  duckdb_init_set_max_threads(info, std::max<size_t>(1, (table.rows + kRowsPerThread - 1) / kRowsPerThread));
}

// Copies rows [start, start + n) of `column` into `vector`, DuckDB's output vector for this chunk.
void FillVector(const ColumnView& column, size_t start, size_t n, duckdb_vector vector) {
  if (column.type == ColumnType::kVarchar) {
    const auto* strings = static_cast<const std::string_view*>(column.values) + start;
    for (size_t i = 0; i < n; ++i) {
      if (column.valid != nullptr && column.valid[start + i] == 0) continue;
      duckdb_vector_assign_string_element_len(vector, i, strings[i].data(), strings[i].size());
    }
  } else {
    const size_t width = ElementSize(column.type);
    std::memcpy(duckdb_vector_get_data(vector), static_cast<const char*>(column.values) + start * width, n * width);
  }
  const uint8_t* valid = column.valid == nullptr ? nullptr : column.valid + start;
  if (valid == nullptr || std::all_of(valid, valid + n, [](uint8_t v) { return v != 0; })) {
    // DuckDB resets output chunks between calls; should a mask from an earlier chunk survive, clear it.
    if (uint64_t* stale = duckdb_vector_get_validity(vector)) std::fill(stale, stale + (n + 63) / 64, ~uint64_t{0});
    return;
  }
  duckdb_vector_ensure_validity_writable(vector);
  uint64_t* mask = duckdb_vector_get_validity(vector);
  for (size_t word = 0; word * 64 < n; ++word) {
    const size_t bits = std::min<size_t>(64, n - word * 64);
    uint64_t value = ~uint64_t{0};
    for (size_t b = 0; b < bits; ++b) {
      if (valid[word * 64 + b] == 0) value &= ~(uint64_t{1} << b);
    }
    mask[word] = value;
  }
}

// Called by as many DuckDB threads as ScanInit allowed, each time filling one chunk; a chunk of size 0
// tells DuckDB this thread is done.
void ScanChunk(duckdb_function_info info, duckdb_data_chunk output) {
  const TableView& table = *static_cast<BindData*>(duckdb_function_get_bind_data(info))->table;
  auto& state = *static_cast<ScanState*>(duckdb_function_get_init_data(info));
  const size_t vector_size = duckdb_vector_size();
  const size_t start = state.next_row.fetch_add(vector_size, std::memory_order_relaxed);
  if (start >= table.rows) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  const size_t n = std::min(vector_size, table.rows - start);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    FillVector(table.columns[c], start, n, duckdb_data_chunk_get_vector(output, c));
  }
  duckdb_data_chunk_set_size(output, n);
}

}  // namespace

uint64_t ScanRegistry::Add(const TableView* table, uint64_t connection_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t id = next_id_++;
  tables_.emplace(id, Entry{table, connection_id});
  return id;
}

void ScanRegistry::Remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  tables_.erase(id);
}

const TableView* ScanRegistry::Find(uint64_t id, uint64_t connection_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = tables_.find(id);
  return it == tables_.end() || it->second.connection_id != connection_id ? nullptr : it->second.table;
}

Status RegisterScanFunction(duckdb_connection con, const std::shared_ptr<ScanRegistry>& registry) {
  duckdb_table_function function = duckdb_create_table_function();
  duckdb_table_function_set_name(function, kScanFunction);
  duckdb_logical_type id_type = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_table_function_add_parameter(function, id_type);
  duckdb_destroy_logical_type(&id_type);
  // DuckDB's catalog owns the function, and through this extra info a share of the registry.
  duckdb_table_function_set_extra_info(function, new std::shared_ptr<ScanRegistry>(registry),
                                       [](void* p) { delete static_cast<std::shared_ptr<ScanRegistry>*>(p); });
  duckdb_table_function_set_bind(function, ScanBind);
  duckdb_table_function_set_init(function, ScanInit);
  duckdb_table_function_set_function(function, ScanChunk);
  const duckdb_state state = duckdb_register_table_function(con, function);
  duckdb_destroy_table_function(&function);
  if (state == DuckDBError) return Status::IOError("cannot register DuckDB table function " + std::string(kScanFunction));
  return Status::OK();
}

}  // namespace internal

namespace {

Status Validate(const TableView& table) {
  if (table.columns.empty()) return Status::InvalidArgument("WriteParquet: a table needs at least one column");
  std::unordered_set<std::string> names;
  for (const ColumnView& column : table.columns) {
    if (column.name.empty()) return Status::InvalidArgument("WriteParquet: a column has an empty name");
    if (!names.insert(column.name).second) {
      return Status::InvalidArgument("WriteParquet: duplicate column name " + column.name);
    }
    if (table.rows > 0 && column.values == nullptr) {
      return Status::InvalidArgument("WriteParquet: column " + column.name + " has no values");
    }
  }
  return Status::OK();
}

// Keeps a table visible to the scan function (on one connection) for the duration of one COPY.
class ScopedRegistration {
 public:
  ScopedRegistration(internal::ScanRegistry& registry, const TableView& table, duckdb_connection con)
      : registry_(registry), id_(registry.Add(&table, internal::ConnectionId(con))) {}
  ScopedRegistration(const ScopedRegistration&) = delete;
  ScopedRegistration& operator=(const ScopedRegistration&) = delete;
  ~ScopedRegistration() { registry_.Remove(id_); }
  uint64_t id() const { return id_; }

 private:
  internal::ScanRegistry& registry_;
  uint64_t id_;
};

Status RunSql(duckdb_connection con, const std::string& sql) {
  internal::ResultHandle result;
  if (duckdb_query(con, sql.c_str(), result.get()) == DuckDBError) return result.ErrorStatus("query failed");
  return Status::OK();
}

// The connection's preserve_insertion_order setting ("true" or "false").
Result<std::string> InsertionOrderSetting(duckdb_connection con) {
  internal::ResultHandle result;
  if (duckdb_query(con, "SELECT current_setting('preserve_insertion_order')::VARCHAR", result.get()) == DuckDBError) {
    return result.ErrorStatus("cannot read preserve_insertion_order");
  }
  char* text = duckdb_value_varchar(result.get(), 0, 0);
  std::string value = text != nullptr ? text : "";
  duckdb_free(text);
  return value;
}

}  // namespace

Status WriteParquet(Connection& connection, const TableView& table, const std::string& path,
                    const ParquetWriteOptions& options) {
  LL_RETURN_IF_ERROR(Validate(table));
  internal::ConnectionState& state = internal::Access::Of(connection);
  ScopedRegistration registration(*state.scans, table, state.con);
  const std::string sql = std::string("COPY (SELECT * FROM ") + internal::kScanFunction + "(" +
                          std::to_string(registration.id()) + ")) TO " + SqlStringLiteral(path) +
                          " (FORMAT parquet, COMPRESSION snappy)";

  // Order is a session setting: switch it for this statement only and put the caller's value back.
  duckdb_connection con = state.BeginStatement();
  Result<std::string> previous = InsertionOrderSetting(con);
  if (!previous.ok()) return previous.status();
  const std::string wanted = options.preserve_order ? "true" : "false";
  if (*previous == wanted) return RunSql(con, sql);
  LL_RETURN_IF_ERROR(RunSql(con, "SET preserve_insertion_order = " + wanted));
  Status written = RunSql(con, sql);
  Status restored = RunSql(con, "SET preserve_insertion_order = " + *previous);
  return !written.ok() ? written : restored;
}

}  // namespace ledgerlake::duck
