// Table functions whose rows C++ code produces while DuckDB scans them: the raw and source views of the lake
// (lake/source_tables.h) read landed extracts with our own reader, so that what they show follows the data
// contract exactly and one bad file fails only the query that reads it. A function is registered once per
// Database under an SQL name, takes VARCHAR arguments, and is bound (its columns decided) when a statement or a
// view names it; each scan then pulls rows from a fresh producer, on one DuckDB thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duck/parquet_writer.h"  // ColumnType
#include "util/status.h"

namespace ledgerlake::duck {

class Database;

struct OutputColumn {
  std::string name;
  ColumnType type;
};

// The chunk a producer fills: up to capacity() rows, column values set by index, each row's unset values NULL.
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  virtual size_t capacity() const = 0;
  // For BIGINT, INTEGER (in range), DATE (day numbers) and DECIMAL(18,2) (hundredths) columns.
  virtual void SetInt(size_t row, size_t column, int64_t value) = 0;
  // For VARCHAR columns; `value` must be valid UTF-8.
  virtual void SetText(size_t row, size_t column, std::string_view value) = 0;
  virtual void SetDouble(size_t row, size_t column, double value) = 0;
};

class RowProducer {
 public:
  virtual ~RowProducer() = default;
  // Fills rows 0..n-1 of `chunk` and returns n; 0 means the table has no more rows. An error fails the query
  // with its message.
  virtual Result<size_t> Fill(ChunkWriter& chunk) = 0;
};

struct BoundTable {
  std::vector<OutputColumn> columns;
  // Opens a producer for one scan (a query may scan the table more than once).
  std::function<Result<std::unique_ptr<RowProducer>>()> open;
};

struct TableFunctionSpec {
  std::string name;       // the SQL name
  size_t arguments = 1;   // VARCHAR parameters
  // Decides the columns from the arguments; an error fails the statement that names the function.
  std::function<Result<BoundTable>(const std::vector<std::string>& args)> bind;
};

// Registers `spec` in `db`, for every connection of it. The spec lives as long as the database.
Status RegisterTableFunction(Database& db, TableFunctionSpec spec);

}  // namespace ledgerlake::duck
