// FormatResult: prints a QueryResult for `ledgerlake query --format table|csv|json`. Reads the result to its
// end; kCsv and kJson stream row by row, kTable holds every row to size its columns.
#pragma once

#include <ostream>
#include <string>

#include "duck/query_result.h"
#include "util/status.h"

namespace ledgerlake::duck {

enum class OutputFormat {
  // An aligned ASCII box for people: a header row, numbers right-aligned, NULL shown as NULL, CR/LF/TAB in
  // strings shown as \r \n \t, then a footer "N rows" ("1 row" for one). Widths count UTF-8 code points.
  kTable,
  // RFC 4180: a header row, then one record per row, fields separated by ',' and records ended by "\n"
  // (LF, like DuckDB's own CSV writer). A field is double-quoted (inner quotes doubled) when it contains
  // ',', '"', CR or LF, or is an empty string; NULL is an empty unquoted field.
  kCsv,
  // A JSON array with one object per row ("[\n{...},\n{...}\n]\n"; "[]\n" when empty), keys in column order.
  // Integers, decimals and floats are JSON numbers with DuckDB's digits (decimals keep their scale, 89.90);
  // NaN and infinities become null; NULL is null; booleans are true/false; everything else is a JSON string.
  kJson,
};

struct FormatOptions {
  // kTable holds the rows it shows in memory to size its columns: past this many it shows no more rows, reads
  // the rest only to count them, and says so in the footer. 0: no limit.
  size_t max_table_rows = 0;
};

// Writes all remaining rows of `result` to `out`. Returns the error that ended the result early, if any
// (output already written stays written), or IOError when the stream fails. In kTable, a query plan (EXPLAIN's
// explain_key/explain_value columns) is printed as DuckDB draws it, not as escaped cells.
Status FormatResult(QueryResult& result, OutputFormat format, std::ostream& out, const FormatOptions& options = {});

// Appends the current row's cell `col` of `result` to `out` as a JSON value, as kJson writes it.
void AppendJsonCell(QueryResult& result, size_t col, std::string& out);

}  // namespace ledgerlake::duck
