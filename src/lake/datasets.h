// The datasets a run writes, by name, with their contract schemas (docs/features.md) as DuckDB column lists. Shared
// by the run (writing) and the query views (reading, and typing empty datasets before the first run).
#pragma once

#include <array>
#include <vector>
#include <string_view>

namespace ledgerlake::lake {

struct DatasetSpec {
  std::string_view name;
  std::string_view sql_columns;  // "name TYPE, ..." in contract order
  // Every partition holds the whole dataset as of its day (account_features, pending), also in a delta run.
  bool snapshot = false;
};

inline constexpr std::array<DatasetSpec, 6> kDatasets = {{
    {"account_features",
     "account_id BIGINT, feature_account_age_day INTEGER, feature_account_age_year INTEGER, "
     "feature_customer_age_over_one_year INTEGER, feature_total_invoices INTEGER, "
     "feature_avg_invoice_interval_day DOUBLE",
     true},
    {"account_invoice_features",
     "account_id BIGINT, invoice_id BIGINT, date_issued DATE, feature_invoice_spending DECIMAL(18,2)"},
    {"invoice_features",
     "inv_id BIGINT, acct_id BIGINT, inv_total DECIMAL(18,2), inv_items BIGINT, acct_age INTEGER, "
     "num_inv_120d INTEGER, cum_tot_inv_acct INTEGER, is_late INTEGER"},
    {"rejects",
     "table_name VARCHAR, source_file VARCHAR, line_number BIGINT, reason VARCHAR, detail VARCHAR, record VARCHAR"},
    // Rows waiting for a parent (docs/data-contract.md "pending"): retried by every run, listed by `catalog pending`.
    {"pending",
     "table_name VARCHAR, source_file VARCHAR, invoice_id BIGINT, item_id BIGINT, missing_table VARCHAR, "
     "missing_key BIGINT",
     true},
    // Invoices a delta partition removes from both invoice datasets (no longer issued as of D, or waiting for an
    // account again): the views drop an invoice's older rows when a later partition lists it here.
    {"deleted_invoices", "invoice_id BIGINT"},
}};

struct DatasetColumn {
  std::string_view name;
  std::string_view type;  // DuckDB's SQL type
};

// The columns of a DatasetSpec's "name TYPE, ..." list, in order (types hold no ", ").
inline std::vector<DatasetColumn> DatasetColumns(std::string_view sql_columns) {
  std::vector<DatasetColumn> out;
  size_t pos = 0;
  while (pos < sql_columns.size()) {
    size_t end = sql_columns.find(", ", pos);
    if (end == std::string_view::npos) end = sql_columns.size();
    const std::string_view col = sql_columns.substr(pos, end - pos);
    const size_t space = col.find(' ');
    out.push_back({col.substr(0, space), col.substr(space + 1)});
    pos = end + 2;
  }
  return out;
}

inline bool IsSnapshotDataset(std::string_view name) {
  for (const DatasetSpec& d : kDatasets) {
    if (d.name == name) return d.snapshot;
  }
  return false;
}

}  // namespace ledgerlake::lake
