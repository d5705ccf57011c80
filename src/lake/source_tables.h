// The lake's raw and source tables for queries, as DuckDB table functions over the landed extracts, read with the
// project's own CSV reader and validator, so that what they show follows docs/data-contract.md exactly (not
// DuckDB's CSV sniffer) and a file that cannot be read fails only a query that reads it.
//
//   ledgerlake_raw(table)                every record of every landed file of `table`, in landing then file order,
//                                        as text: _file (the landed file), _line, the contract's columns (under the
//                                        contract's names) and every other header column any file has, then
//                                        _problem (NULL, or why the record is malformed) and _record (the raw text
//                                        of a malformed record). Values are unescaped; NULL is an empty unquoted
//                                        field or a column the file lacks; bytes that are not UTF-8 show as \xHH.
//   ledgerlake_source(table, files)      the table as it stands after the landed files `files` (their landing
//                                        sequences, comma-separated) were applied: per key the row that won the
//                                        upserts, per invoice the line items of the extract that owns its group;
//                                        rejected rows left out; the contract's columns, typed (BIGINT, DATE,
//                                        DECIMAL(18,2), VARCHAR), in key order. Reads every one of those files of
//                                        the table; memory grows with the table's current rows.
#pragma once

#include <functional>
#include <string_view>

#include "duck/database.h"
#include "lake/lake.h"

namespace ledgerlake::lake {

// Which tables each function may read: `source` (ledgerlake_source) and `raw` (ledgerlake_raw) say whether
// a table, by its contract name, may be read; a function asked for another table fails with PermissionDenied.
struct SourceAccess {
  std::function<bool(std::string_view table)> source;  // empty: every table
  std::function<bool(std::string_view table)> raw;     // empty: every table
};

// Registers both functions in `db`, reading the raw zone of `lake`, within `access`.
Status RegisterSourceTables(duck::Database& db, const Lake& lake, const SourceAccess& access = {});

}  // namespace ledgerlake::lake
