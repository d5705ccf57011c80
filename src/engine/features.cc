#include "engine/features.h"

#include <algorithm>

namespace ledgerlake::engine {

namespace {

constexpr int32_t kWindowDays = 120;
constexpr int32_t kOnTimeDays = 30;
constexpr int64_t kDecimal18Limit = 1000000000000000000LL;  // 10^18 cents: DECIMAL(18,2) holds |x| < this

struct InvoiceKey {
  int64_t account_id;
  DayNumber date_issued;
  int64_t invoice_id;
  const InvoiceEntry* entry;
};

}  // namespace

FeatureSet ComputeFeatures(const Ledger& ledger, DayNumber as_of) {
  FeatureSet out;
  const auto& accounts = ledger.accounts();

  // Invoices that exist as of D and are not pending, in per-account order.
  std::vector<InvoiceKey> keys;
  keys.reserve(ledger.invoices().size());
  ledger.invoices().ForEach([&](const InvoiceEntry& e) {
    if (e.row.date_issued > as_of || !accounts.contains(e.row.account_id)) return;
    keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
  });
  std::sort(keys.begin(), keys.end(), [](const InvoiceKey& a, const InvoiceKey& b) {
    if (a.account_id != b.account_id) return a.account_id < b.account_id;
    if (a.date_issued != b.date_issued) return a.date_issued < b.date_issued;
    return a.invoice_id < b.invoice_id;
  });

  InvoiceFeatures& inv = out.invoices;
  const size_t n = keys.size();
  inv.invoice_id.resize(n);
  inv.account_id.resize(n);
  inv.date_issued.resize(n);
  inv.total_cents.resize(n);
  inv.total_valid.resize(n);
  inv.items.resize(n);
  inv.account_age.resize(n);
  inv.num_inv_120d.resize(n);
  inv.cum_tot_inv_acct.resize(n);
  inv.is_late.resize(n);
  inv.is_late_valid.resize(n);

  // Per-account summary gathered on the way, for account_features.
  struct AccountSummary {
    int32_t count;
    DayNumber first;
    DayNumber last;
  };
  absl::flat_hash_map<int64_t, AccountSummary> summary;

  size_t start = 0;  // first invoice of the current account
  size_t window = 0;  // first invoice of the account dated >= date_issued - 120
  size_t day = 0;     // first invoice of the account dated on the current invoice's day
  for (size_t i = 0; i < n; ++i) {
    const InvoiceKey& k = keys[i];
    if (i == 0 || k.account_id != keys[i - 1].account_id) start = window = day = i;
    while (keys[window].date_issued < k.date_issued - kWindowDays) ++window;
    if (keys[day].date_issued != k.date_issued) day = i;

    const contract::InvoiceRow& row = k.entry->row;
    inv.invoice_id[i] = k.invoice_id;
    inv.account_id[i] = k.account_id;
    inv.date_issued[i] = k.date_issued;
    // An invoice without line items has the empty group: 0.00 and 0.
    const LineGroup& g = k.entry->extra;
    const bool fits = !g.overflow && g.cents < kDecimal18Limit && g.cents > -kDecimal18Limit;
    inv.total_cents[i] = fits ? g.cents : 0;
    inv.total_valid[i] = fits ? 1 : 0;
    inv.items[i] = g.quantity;
    if (!fits) ++out.warnings.totals_out_of_range;
    inv.account_age[i] = k.date_issued - accounts.at(k.account_id).row.joining_date;
    if (inv.account_age[i] < 0) ++out.warnings.invoices_before_joining;
    inv.num_inv_120d[i] = static_cast<int32_t>(day - window);
    inv.cum_tot_inv_acct[i] = static_cast<int32_t>(i - start + 1);
    switch (row.payment) {
      case contract::Payment::kPaid:
        inv.is_late[i] = row.payment_date - row.date_issued > kOnTimeDays ? 1 : 0;
        inv.is_late_valid[i] = 1;
        break;
      case contract::Payment::kUnpaid: {
        const bool overdue = as_of - row.date_issued > kOnTimeDays;
        inv.is_late[i] = overdue ? 1 : 0;
        inv.is_late_valid[i] = overdue ? 1 : 0;
        break;
      }
      case contract::Payment::kNoColumn:
        inv.is_late[i] = 0;
        inv.is_late_valid[i] = 0;
        break;
    }
    AccountSummary& s = summary[k.account_id];
    if (s.count == 0) s.first = k.date_issued;
    s.last = k.date_issued;
    ++s.count;
  }

  // account_features: accounts that exist as of D, by id.
  std::vector<std::pair<int64_t, DayNumber>> existing;
  existing.reserve(accounts.size());
  accounts.ForEach([&](const AccountEntry& e) {
    if (e.row.joining_date <= as_of) existing.emplace_back(e.row.account_id, e.row.joining_date);
  });
  std::sort(existing.begin(), existing.end());
  AccountFeatures& acc = out.accounts;
  for (const auto& [id, joined] : existing) {
    acc.account_id.push_back(id);
    acc.age_day.push_back(as_of - joined);
    const int32_t years = CompletedYears(joined, as_of);
    acc.age_year.push_back(years);
    acc.over_one_year.push_back(years >= 1 ? 1 : 0);
    const auto s = summary.find(id);
    const int32_t count = s == summary.end() ? 0 : s->second.count;
    acc.total_invoices.push_back(count);
    if (count >= 2) {
      acc.avg_interval_day.push_back(static_cast<double>(s->second.last - s->second.first) / (count - 1));
      acc.avg_interval_valid.push_back(1);
    } else {
      acc.avg_interval_day.push_back(0.0);
      acc.avg_interval_valid.push_back(0);
    }
  }
  return out;
}

}  // namespace ledgerlake::engine
