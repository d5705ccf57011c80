// The three feature datasets of docs/features.md, computed from a finished Ledger as of a snapshot date D, as
// columns ready to hand to the Parquet writer. Invoice rows come out ordered by (account, date_issued,
// invoice_id); account rows by account_id.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/base_invoices.h"
#include "engine/ledger.h"
#include "util/date.h"

namespace ledgerlake::engine {

// The version of the feature definitions (docs/features.md) that derived values kept across runs follow (the
// account digests of a saved state): a state made under another version is rebuilt, never reused. 2: is_late is
// point in time, and repeated line items are lines.
inline constexpr int kFeatureDefinitions = 2;

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

// Bits of FeatureSet::changed.
inline constexpr uint8_t kAccountInvoiceChanged = 1;  // the account_invoice_features row is new or changed
inline constexpr uint8_t kInvoiceChanged = 2;         // the invoice_features row is new or changed

struct FeatureSet {
  AccountFeatures accounts;
  InvoiceFeatures invoices;       // every row; in a delta, only rows new or changed in either dataset
  std::vector<uint8_t> changed;   // in a delta: per invoice row, which datasets it changed
  std::vector<int64_t> deleted;   // in a delta: invoices the base had that no longer exist as of D (by id)
  FeatureWarnings warnings;       // over every row, changed or not
};

// Every row as of the ledger's D; `order` is InvoiceOrder(ledger) (engine/invoice_order.h), taken after every
// base account was decoded (a continued ledger's are decoded here, DecodeAll, when they were not).
FeatureSet ComputeFeatures(FinishedLedger& ledger, const std::vector<uint32_t>& order);
// The same, decoding and ordering itself.
FeatureSet ComputeFeatures(FinishedLedger& ledger);

// The digest of one account's invoices as of D (engine/base_invoices.h): `run` holds them in (date_issued,
// invoice_id) order, `account` is null while the account is unknown.
AccountDigest DigestOf(std::span<const InvoiceEntry* const> run, const AccountEntry* account, DayNumber as_of);

// An incremental run's delta: `ledger` continued from a base state (engine/state.h: LoadState), as of its D. The
// invoice rows are only those new or changed since the base's rows in either dataset (which ones in `changed`),
// `deleted` lists the base's invoices that have no row now, and account_features is complete. An account's rows
// are recomputed only when its inputs changed (the journal says so: its joining date, or one of its invoices now
// or at the base) or when D moving on can change them (an invoice issued since the base's D, an unpaid one turning
// overdue, a payment becoming known); its base rows are recomputed from the journal's pre-images. Base accounts
// not decoded are ones whose rows do not change by D (Finish decoded the others): they count through their
// digest. InvalidArgument for a ledger that does not continue a state.
Result<FeatureSet> ComputeDelta(const FinishedLedger& ledger, const std::vector<uint32_t>& order);

}  // namespace ledgerlake::engine
