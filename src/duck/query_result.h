// QueryResult: the rows of one SQL statement, read forward one row at a time while DuckDB streams them chunk
// by chunk (so a large result never has to sit in memory as a whole). Cells are read as DuckDB renders them
// as text; cli/ prints them with FormatResult (duck/format.h), tests and lake/ read them back directly.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::duck {

namespace internal {
struct QueryRunner;
}  // namespace internal

// What a column holds, as far as printing cares (JSON quoting, table alignment).
enum class ValueKind {
  kNull,     // DuckDB's NULL type, every cell NULL (DuckDB itself reports `SELECT NULL` as INTEGER)
  kBool,     // BOOLEAN: "true" / "false"
  kInteger,  // TINYINT .. HUGEINT and their unsigned variants
  kFloat,    // FLOAT, DOUBLE: "80.0", "0.1", "1e+20", "1e-07", "nan", "inf", "-inf"
  kDecimal,  // DECIMAL(w,s): exactly s digits after the point, e.g. "89.99", "-0.50", "0.00"
  kString,   // VARCHAR
  kDate,     // DATE: "2024-11-24"; years before 1 as "0045-03-15 (BC)"; "infinity", "-infinity"
  kOther,    // anything else (TIMESTAMP, LIST, STRUCT, ...), as DuckDB's CAST(... AS VARCHAR) renders it
};

// One row as text; nullopt for NULL.
using TextRow = std::vector<std::optional<std::string>>;

class QueryResult {
 public:
  QueryResult(QueryResult&& other) noexcept;
  QueryResult& operator=(QueryResult&& other) noexcept;
  QueryResult(const QueryResult&) = delete;
  QueryResult& operator=(const QueryResult&) = delete;
  ~QueryResult();

  size_t column_count() const;
  const std::string& column_name(size_t col) const;  // col < column_count()
  ValueKind column_kind(size_t col) const;           // col < column_count()
  // DuckDB's SQL name of the column's type ("BIGINT", "DECIMAL(18,2)", "DATE", "VARCHAR", "TIMESTAMP", ...).
  const std::string& column_type(size_t col) const;  // col < column_count()

  // Moves to the next row: true when positioned on a row, false after the last one (and on every later
  // call). A non-OK Status when DuckDB failed while producing rows (a runtime error in a later chunk, with
  // DuckDB's message) or when the Connection ran another statement meanwhile; later calls then return false.
  Result<bool> Next();

  // Cells of the current row; only valid after Next() returned true, and col < column_count().
  bool IsNull(size_t col) const;
  // DuckDB's text rendering of the cell (see ValueKind); "" for NULL. The view stays valid until the next
  // call to Next() (or Text() on the same column).
  std::string_view Text(size_t col);

  // Reads all remaining rows as text. Meant for small results (tests, summaries); stops at the first error.
  Result<std::vector<TextRow>> ReadAll();

 private:
  struct State;
  explicit QueryResult(std::unique_ptr<State> state);
  friend struct internal::QueryRunner;
  std::unique_ptr<State> state_;
};

}  // namespace ledgerlake::duck
