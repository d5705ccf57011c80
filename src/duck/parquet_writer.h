// WriteParquet: writes one of our in-memory columnar tables (engine/ output) to a Parquet file through DuckDB.
// DuckDB scans the arrays in place through a registered table function that copies them vector by vector
// into DuckDB's data chunks (no per-value strings, no row-by-row appends), and its COPY ... TO writes the
// file; the scan is safe on any number of DuckDB threads (see ParquetWriteOptions for when DuckDB uses them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::duck {

class Connection;

// The Parquet/DuckDB type of a column and, in the comment, the element type `ColumnView::values` points at.
enum class ColumnType {
  kBigInt,       // BIGINT         const int64_t*
  kInteger,      // INTEGER        const int32_t*
  kDouble,       // DOUBLE         const double*
  kDate,         // DATE           const int32_t*  (days since 1970-01-01, util/date.h DayNumber)
  kDecimal18_2,  // DECIMAL(18,2)  const int64_t*  (hundredths: 8999 is 89.99)
  kVarchar,      // VARCHAR        const std::string_view*  (valid UTF-8)
};

// A borrowed column: `values` holds TableView::rows elements (entries of NULL rows are ignored but must be
// readable); `valid` is nullptr when no row is NULL, else one byte per row, 1 = value present, 0 = NULL.
struct ColumnView {
  std::string name;
  ColumnType type;
  const void* values;
  const uint8_t* valid = nullptr;
};

struct TableView {
  size_t rows = 0;
  std::vector<ColumnView> columns;  // at least one; names unique
};

struct ParquetWriteOptions {
  // true: the file's rows are in table order, so the same table always gives the same file. DuckDB then
  // encodes on one thread, because the C API cannot give a table function the batch indexes DuckDB needs to
  // keep order across threads. false: DuckDB scans and encodes on all its threads (about 1.8x the rows/s on
  // two cores), but row groups land in whatever order threads finish, so row order differs run to run.
  bool preserve_order = true;
};

// Writes `table` to a Snappy-compressed Parquet file at `path` (created, or overwritten if present) with the
// column names, order and types of `table`. The caller creates the directory and makes the file appear
// atomically if it needs to. The arrays are only read during the call. May be called any number of times on
// one Connection (not concurrently: a Connection serves one thread); the Connection's settings are left as
// they were. InvalidArgument for a malformed TableView; otherwise the error DuckDB reports (IOError for I/O).
Status WriteParquet(Connection& connection, const TableView& table, const std::string& path,
                    const ParquetWriteOptions& options = {});

}  // namespace ledgerlake::duck
