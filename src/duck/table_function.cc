#include "duck/table_function.h"

#include <algorithm>
#include <cstring>

#include "duck/database.h"
#include "duck/handles.h"

namespace ledgerlake::duck {

namespace {

duckdb_logical_type LogicalType(ColumnType type) {
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

struct BindData {
  BoundTable table;
};

struct InitData {
  std::unique_ptr<RowProducer> producer;
  bool done = false;
};

// A DuckDB output chunk seen through ChunkWriter: every value starts NULL and becomes valid when set.
class DuckChunk final : public ChunkWriter {
 public:
  DuckChunk(duckdb_data_chunk chunk, const std::vector<OutputColumn>& columns) : columns_(columns) {
    capacity_ = duckdb_vector_size();
    for (size_t c = 0; c < columns.size(); ++c) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
      vectors_.push_back(v);
      duckdb_vector_ensure_validity_writable(v);
      uint64_t* mask = duckdb_vector_get_validity(v);
      std::fill(mask, mask + (capacity_ + 63) / 64, uint64_t{0});
      masks_.push_back(mask);
    }
  }
  size_t capacity() const override { return capacity_; }
  void SetInt(size_t row, size_t column, int64_t value) override {
    void* data = duckdb_vector_get_data(vectors_[column]);
    switch (columns_[column].type) {
      case ColumnType::kInteger:
      case ColumnType::kDate: static_cast<int32_t*>(data)[row] = static_cast<int32_t>(value); break;
      case ColumnType::kDouble: static_cast<double*>(data)[row] = static_cast<double>(value); break;
      default: static_cast<int64_t*>(data)[row] = value; break;
    }
    Valid(row, column);
  }
  void SetText(size_t row, size_t column, std::string_view value) override {
    duckdb_vector_assign_string_element_len(vectors_[column], row, value.data(), value.size());
    Valid(row, column);
  }
  void SetDouble(size_t row, size_t column, double value) override {
    static_cast<double*>(duckdb_vector_get_data(vectors_[column]))[row] = value;
    Valid(row, column);
  }

 private:
  void Valid(size_t row, size_t column) { masks_[column][row / 64] |= uint64_t{1} << (row % 64); }
  const std::vector<OutputColumn>& columns_;
  size_t capacity_;
  std::vector<duckdb_vector> vectors_;
  std::vector<uint64_t*> masks_;
};

void Bind(duckdb_bind_info info) {
  const auto& spec = *static_cast<TableFunctionSpec*>(duckdb_bind_get_extra_info(info));
  std::vector<std::string> args;
  for (size_t i = 0; i < spec.arguments; ++i) {
    duckdb_value value = duckdb_bind_get_parameter(info, i);
    char* text = duckdb_get_varchar(value);
    args.emplace_back(text != nullptr ? text : "");
    duckdb_free(text);
    duckdb_destroy_value(&value);
  }
  auto bound = spec.bind(args);
  if (!bound.ok()) {
    duckdb_bind_set_error(info, bound.status().message().c_str());
    return;
  }
  for (const OutputColumn& c : bound->columns) {
    duckdb_logical_type type = LogicalType(c.type);
    duckdb_bind_add_result_column(info, c.name.c_str(), type);
    duckdb_destroy_logical_type(&type);
  }
  duckdb_bind_set_bind_data(info, new BindData{std::move(*bound)}, [](void* p) { delete static_cast<BindData*>(p); });
}

void Init(duckdb_init_info info) {
  auto& bind = *static_cast<BindData*>(duckdb_init_get_bind_data(info));
  auto producer = bind.table.open();
  if (!producer.ok()) {
    duckdb_init_set_error(info, producer.status().message().c_str());
    return;
  }
  duckdb_init_set_init_data(info, new InitData{std::move(*producer)}, [](void* p) { delete static_cast<InitData*>(p); });
  duckdb_init_set_max_threads(info, 1);
}

void Scan(duckdb_function_info info, duckdb_data_chunk output) {
  auto& bind = *static_cast<BindData*>(duckdb_function_get_bind_data(info));
  auto& state = *static_cast<InitData*>(duckdb_function_get_init_data(info));
  if (state.done) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  DuckChunk chunk(output, bind.table.columns);
  auto rows = state.producer->Fill(chunk);
  if (!rows.ok()) {
    duckdb_function_set_error(info, rows.status().message().c_str());
    return;
  }
  if (*rows == 0) state.done = true;
  duckdb_data_chunk_set_size(output, *rows);
}

}  // namespace

Status RegisterTableFunction(Database& db, TableFunctionSpec spec) {
  auto conn = Connection::Open(db);
  if (!conn.ok()) return conn.status();
  duckdb_table_function function = duckdb_create_table_function();
  duckdb_table_function_set_name(function, spec.name.c_str());
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  for (size_t i = 0; i < spec.arguments; ++i) duckdb_table_function_add_parameter(function, varchar);
  duckdb_destroy_logical_type(&varchar);
  const std::string name = spec.name;
  duckdb_table_function_set_extra_info(function, new TableFunctionSpec(std::move(spec)),
                                       [](void* p) { delete static_cast<TableFunctionSpec*>(p); });
  duckdb_table_function_set_bind(function, Bind);
  duckdb_table_function_set_init(function, Init);
  duckdb_table_function_set_function(function, Scan);
  const duckdb_state state = duckdb_register_table_function(internal::Access::Of(*conn).con, function);
  duckdb_destroy_table_function(&function);
  if (state == DuckDBError) return Status::IOError("cannot register DuckDB table function " + name);
  return Status::OK();
}

}  // namespace ledgerlake::duck
