#include "contract/schema.h"

#include <algorithm>
#include <cctype>

#include "contract/values.h"

namespace ledgerlake::contract {

namespace {

const std::vector<ColumnSpec> kAccounts = {
    {"account_id", ValueType::kInteger, true, ""},   {"company_name", ValueType::kText, false, ""},
    {"company_address", ValueType::kText, false, ""}, {"contact_person", ValueType::kText, false, ""},
    {"contact_phone", ValueType::kText, false, ""},   {"gender", ValueType::kText, false, ""},
    {"joining_date", ValueType::kDate, true, ""},
};
const std::vector<ColumnSpec> kSkus = {
    {"item_id", ValueType::kInteger, true, ""},
    {"item_name", ValueType::kText, false, ""},
    {"item_description", ValueType::kText, false, ""},
    {"item_cost_price", ValueType::kDecimal, false, ""},
    {"item_retail_price", ValueType::kDecimal, true, ""},
};
const std::vector<ColumnSpec> kInvoices = {
    {"invoice_id", ValueType::kInteger, true, ""},
    {"account_id", ValueType::kInteger, true, ""},
    {"date_issued", ValueType::kDate, true, ""},
    {"payment_dates", ValueType::kDate, false, "payment_date"},
};
const std::vector<ColumnSpec> kLineItems = {
    {"invoice_id", ValueType::kInteger, true, ""},
    {"item_id", ValueType::kInteger, true, ""},
    {"quantity", ValueType::kInteger, true, ""},
};

}  // namespace

std::string NormalizeColumnName(std::string_view name) {
  // Header names are matched case-insensitively and without surrounding blanks.
  std::string out(TrimBlanks(name));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view TableName(TableId table) {
  switch (table) {
    case TableId::kAccounts: return "accounts";
    case TableId::kSkus: return "skus";
    case TableId::kInvoices: return "invoices";
    case TableId::kLineItems: return "invoice_line_items";
  }
  return "?";
}

std::optional<TableId> TableFromName(std::string_view name) {
  for (TableId t : kAllTables) {
    if (TableName(t) == name) return t;
  }
  return std::nullopt;
}

const std::vector<ColumnSpec>& TableColumns(TableId table) {
  switch (table) {
    case TableId::kAccounts: return kAccounts;
    case TableId::kSkus: return kSkus;
    case TableId::kInvoices: return kInvoices;
    case TableId::kLineItems: return kLineItems;
  }
  return kAccounts;
}

std::optional<size_t> ContractColumnIndex(TableId table, std::string_view header_name) {
  const auto& cols = TableColumns(table);
  const std::string name = NormalizeColumnName(header_name);
  for (size_t c = 0; c < cols.size(); ++c) {
    if (name == cols[c].name || (!cols[c].alias.empty() && name == cols[c].alias)) return c;
  }
  return std::nullopt;
}

Result<HeaderMap> MapHeader(TableId table, const std::vector<std::string>& header) {
  const auto& cols = TableColumns(table);
  HeaderMap map;
  map.field_of_column.assign(cols.size(), -1);
  map.field_count = static_cast<int>(header.size());
  for (size_t f = 0; f < header.size(); ++f) {
    const std::optional<size_t> c = ContractColumnIndex(table, header[f]);
    if (!c) {
      map.unknown_columns.push_back(header[f]);
      continue;
    }
    if (map.field_of_column[*c] >= 0) {
      return Status::InvalidArgument("column '" + std::string(cols[*c].name) + "' appears twice in the header of " +
                                     std::string(TableName(table)));
    }
    map.field_of_column[*c] = static_cast<int>(f);
  }
  for (size_t c = 0; c < cols.size(); ++c) {
    if (cols[c].required && map.field_of_column[c] < 0) {
      return Status::InvalidArgument("required column '" + std::string(cols[c].name) + "' of table " +
                                     std::string(TableName(table)) + " is missing from the header");
    }
  }
  return map;
}

std::optional<TableId> TableFromFileName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string base = NormalizeColumnName(slash == std::string_view::npos ? path : path.substr(slash + 1));
  // Longest names first so "invoice_line_items..." is not taken for "invoices".
  static constexpr TableId kByLength[] = {TableId::kLineItems, TableId::kAccounts, TableId::kInvoices, TableId::kSkus};
  for (TableId t : kByLength) {
    const std::string_view name = TableName(t);
    if (base.size() >= name.size() && base.compare(0, name.size(), name) == 0) {
      if (base.size() == name.size() || !std::isalpha(static_cast<unsigned char>(base[name.size()]))) return t;
    }
  }
  return std::nullopt;
}

std::optional<TableId> TableFromHeader(const std::vector<std::string>& header) {
  std::optional<TableId> found;
  for (TableId t : kAllTables) {
    if (!MapHeader(t, header).ok()) continue;
    if (found) return std::nullopt;  // ambiguous
    found = t;
  }
  return found;
}

}  // namespace ledgerlake::contract
