// The four raw tables of docs/data-contract.md: their names, columns, which are required, and how a file's header
// maps onto them. Used by lake/ (deciding a file's table at ingest) and by the validator.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::contract {

enum class TableId : int { kAccounts = 0, kSkus = 1, kInvoices = 2, kLineItems = 3 };
inline constexpr int kTableCount = 4;
// Parents before children: the order a run loads tables in.
inline constexpr std::array<TableId, kTableCount> kAllTables = {TableId::kAccounts, TableId::kSkus,
                                                                TableId::kInvoices, TableId::kLineItems};

enum class ValueType { kInteger, kDecimal, kDate, kText };

struct ColumnSpec {
  std::string_view name;
  ValueType type;
  bool required;
  std::string_view alias;  // another accepted header name, or empty
};

std::string_view TableName(TableId table);
std::optional<TableId> TableFromName(std::string_view name);
const std::vector<ColumnSpec>& TableColumns(TableId table);

// Column positions of the contract's columns in one file, by header name.
struct HeaderMap {
  std::vector<int> field_of_column;        // per TableColumns() entry: index in the file's fields, or -1
  std::vector<std::string> unknown_columns;  // header names the contract does not know (kept in the raw zone)
  int field_count = 0;
  bool has(size_t column) const { return field_of_column[column] >= 0; }
};

// A header name as the contract compares it: lower case, surrounding blanks removed.
std::string NormalizeColumnName(std::string_view header_name);

// The index in TableColumns(table) of the contract column a header name denotes (case-insensitive, surrounding
// blanks ignored, aliases accepted), or nullopt for a column the contract does not know.
std::optional<size_t> ContractColumnIndex(TableId table, std::string_view header_name);

// Matches a header against a table. Fails, naming the column, when a required column is missing or a column
// appears twice.
Result<HeaderMap> MapHeader(TableId table, const std::vector<std::string>& header);

// The table a file belongs to from its name ("invoices.csv", "invoices_2024-11.csv.gz",
// "invoice_line_items.csv"): the longest table name the base name starts with, followed by a non-letter.
std::optional<TableId> TableFromFileName(std::string_view path);

// The table whose required columns all appear in the header, when exactly one does.
std::optional<TableId> TableFromHeader(const std::vector<std::string>& header);

}  // namespace ledgerlake::contract
