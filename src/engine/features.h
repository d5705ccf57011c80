// The three feature datasets of features.md, computed from a finished Ledger as of a snapshot date D, as
// columns ready to hand to the Parquet writer. Invoice rows come out ordered by (account, date_issued,
// invoice_id); account rows by account_id.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <vector>

#include "engine/ledger.h"
#include "util/date.h"

namespace ledgerlake::engine {

// account_features, one row per account with joining_date <= D.
struct AccountFeatures {
  std::vector<int64_t> account_id;
  std::vector<int32_t> age_day;
  std::vector<int32_t> age_year;
  std::vector<int32_t> over_one_year;
  std::vector<int32_t> total_invoices;
  std::vector<double> avg_interval_day;
  std::vector<uint8_t> avg_interval_valid;  // 0 = NULL (fewer than 2 invoices)
  size_t size() const { return account_id.size(); }
};

// invoice_features and account_invoice_features share these columns: one row per invoice issued on or before D
// whose account is known.
struct InvoiceFeatures {
  std::vector<int64_t> invoice_id;
  std::vector<int64_t> account_id;
  std::vector<int32_t> date_issued;
  std::vector<int64_t> total_cents;
  std::vector<uint8_t> total_valid;  // 0 = NULL: the exact total does not fit DECIMAL(18,2)
  std::vector<int64_t> items;
  std::vector<int32_t> account_age;
  std::vector<int32_t> num_inv_120d;
  std::vector<int32_t> cum_tot_inv_acct;
  std::vector<int32_t> is_late;
  std::vector<uint8_t> is_late_valid;  // 0 = NULL: outcome not known yet
  size_t size() const { return invoice_id.size(); }
};

// Data-quality observations of a run; they never stop it.
struct FeatureWarnings {
  uint64_t invoices_before_joining = 0;  // acct_age < 0
  uint64_t totals_out_of_range = 0;      // inv_total NULL because it does not fit DECIMAL(18,2)
};

// The invoice rows as the base run saw them, for the accounts an incremental run changed; what a delta is
// computed against. Rows of the other accounts are unchanged except where D moved: invoices issued after the
// base's D are new, and an unpaid invoice's is_late is recomputed as of the base's D.
struct Baseline {
  struct Row {
    int64_t account_id;
    DayNumber date_issued;
    int64_t total_cents;
    int64_t items;
    int32_t account_age;
    int32_t num_inv_120d;
    int32_t cum_tot_inv_acct;
    int32_t is_late;
    uint8_t total_valid;
    uint8_t is_late_valid;
    bool seen;  // matched by a row now
  };
  DayNumber as_of = 0;
  absl::flat_hash_set<int64_t> affected;    // accounts whose inputs changed since the base
  absl::flat_hash_map<int64_t, Row> rows;   // by invoice id: the base's rows of those accounts
};

// From an incremental ledger's journal (after Finish): the accounts whose invoice rows may differ from the
// base run's beyond D moving on, and those rows as of `base_as_of`, recomputed from the journal's pre-images.
Baseline BuildBaseline(const Ledger& ledger, DayNumber base_as_of);

// Bits of FeatureSet::changed.
inline constexpr uint8_t kAccountInvoiceChanged = 1;  // the account_invoice_features row is new or changed
inline constexpr uint8_t kInvoiceChanged = 2;         // the invoice_features row is new or changed

struct FeatureSet {
  AccountFeatures accounts;
  InvoiceFeatures invoices;       // every row; with a baseline, only rows new or changed in either dataset
  std::vector<uint8_t> changed;   // with a baseline: per invoice row, which datasets it changed
  std::vector<int64_t> deleted;   // with a baseline: invoices the base had that no longer exist as of D
  FeatureWarnings warnings;       // over every row, changed or not
};

// Requires ledger.Finish() to have been called. With `base`, the invoice rows are the delta against it (and
// `base` records which of its rows were matched).
FeatureSet ComputeFeatures(const Ledger& ledger, DayNumber as_of, Baseline* base = nullptr);

}  // namespace ledgerlake::engine
