#include "engine/features.h"

#include <algorithm>
#include <thread>

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

bool KeyLess(const InvoiceKey& a, const InvoiceKey& b) {
  if (a.account_id != b.account_id) return a.account_id < b.account_id;
  if (a.date_issued != b.date_issued) return a.date_issued < b.date_issued;
  return a.invoice_id < b.invoice_id;
}

// Sorts on two cores: each half on its own thread, then one merge.
void ParallelSort(std::vector<InvoiceKey>& keys) {
  constexpr size_t kSerialBelow = 1 << 16;
  if (keys.size() < kSerialBelow || std::thread::hardware_concurrency() < 2) {
    std::sort(keys.begin(), keys.end(), KeyLess);
    return;
  }
  const auto mid = keys.begin() + static_cast<std::ptrdiff_t>(keys.size() / 2);
  std::thread left([&] { std::sort(keys.begin(), mid, KeyLess); });
  std::sort(mid, keys.end(), KeyLess);
  left.join();
  std::inplace_merge(keys.begin(), mid, keys.end(), KeyLess);
}

void SetIsLate(const contract::InvoiceRow& row, DayNumber as_of, int32_t* late, uint8_t* valid) {
  switch (row.payment) {
    case contract::Payment::kPaid:
      *late = row.payment_date - row.date_issued > kOnTimeDays ? 1 : 0;
      *valid = 1;
      return;
    case contract::Payment::kUnpaid: {
      const bool overdue = as_of - row.date_issued > kOnTimeDays;  // unpaid and overdue; else not known yet
      *late = overdue ? 1 : 0;
      *valid = overdue ? 1 : 0;
      return;
    }
    case contract::Payment::kNoColumn:
      *late = 0;
      *valid = 0;
      return;
  }
}

}  // namespace

FeatureSet ComputeFeatures(const Ledger& ledger, DayNumber as_of) {
  FeatureSet out;
  const auto& accounts = ledger.accounts();

  // Invoices that exist as of D, in per-account order. Invoices of unknown accounts (pending) are dropped per
  // account run below, so each account is looked up once, not once per invoice.
  std::vector<InvoiceKey> keys;
  keys.reserve(ledger.invoices().size());
  ledger.invoices().ForEach([&](const InvoiceEntry& e) {
    if (e.row.date_issued <= as_of) keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
  });
  ParallelSort(keys);

  InvoiceFeatures& inv = out.invoices;
  const size_t cap = keys.size();
  for (auto* v : {&inv.invoice_id, &inv.account_id, &inv.total_cents, &inv.items}) v->resize(cap);
  for (auto* v : {&inv.date_issued, &inv.account_age, &inv.num_inv_120d, &inv.cum_tot_inv_acct, &inv.is_late}) {
    v->resize(cap);
  }
  for (auto* v : {&inv.total_valid, &inv.is_late_valid}) v->resize(cap);

  // Per account with invoices as of D: (account, count, first date, last date), in account order.
  struct AccountSummary {
    int64_t account_id;
    int32_t count;
    DayNumber first;
    DayNumber last;
  };
  std::vector<AccountSummary> summaries;

  size_t n = 0;  // output rows so far
  for (size_t start = 0; start < keys.size();) {
    const int64_t account_id = keys[start].account_id;
    size_t end = start + 1;
    while (end < keys.size() && keys[end].account_id == account_id) ++end;
    const AccountEntry* account = accounts.Find(account_id);
    if (account == nullptr) {  // pending: appears in no dataset until the account lands
      start = end;
      continue;
    }
    const DayNumber joined = account->row.joining_date;
    size_t window = start;  // first invoice of the account dated >= date_issued - 120
    size_t day = start;     // first invoice of the account dated on the current invoice's day
    for (size_t i = start; i < end; ++i, ++n) {
      const InvoiceKey& k = keys[i];
      while (keys[window].date_issued < k.date_issued - kWindowDays) ++window;
      if (keys[day].date_issued != k.date_issued) day = i;
      inv.invoice_id[n] = k.invoice_id;
      inv.account_id[n] = account_id;
      inv.date_issued[n] = k.date_issued;
      // An invoice without line items has the empty group: 0.00 and 0.
      const LineGroup& g = k.entry->extra;
      const bool fits = !g.overflow && g.cents < kDecimal18Limit && g.cents > -kDecimal18Limit;
      inv.total_cents[n] = fits ? g.cents : 0;
      inv.total_valid[n] = fits ? 1 : 0;
      inv.items[n] = g.quantity;
      if (!fits) ++out.warnings.totals_out_of_range;
      inv.account_age[n] = k.date_issued - joined;
      if (inv.account_age[n] < 0) ++out.warnings.invoices_before_joining;
      inv.num_inv_120d[n] = static_cast<int32_t>(day - window);  // others strictly before the day, <= 120 days back
      inv.cum_tot_inv_acct[n] = static_cast<int32_t>(i - start + 1);
      SetIsLate(k.entry->row, as_of, &inv.is_late[n], &inv.is_late_valid[n]);
    }
    summaries.push_back(AccountSummary{account_id, static_cast<int32_t>(end - start), keys[start].date_issued,
                                       keys[end - 1].date_issued});
    start = end;
  }
  for (auto* v : {&inv.invoice_id, &inv.account_id, &inv.total_cents, &inv.items}) v->resize(n);
  for (auto* v : {&inv.date_issued, &inv.account_age, &inv.num_inv_120d, &inv.cum_tot_inv_acct, &inv.is_late}) {
    v->resize(n);
  }
  for (auto* v : {&inv.total_valid, &inv.is_late_valid}) v->resize(n);
  keys = {};

  // account_features: accounts that exist as of D, by id, merged with the summaries (also by id).
  std::vector<std::pair<int64_t, DayNumber>> existing;
  existing.reserve(accounts.size());
  accounts.ForEach([&](const AccountEntry& e) {
    if (e.row.joining_date <= as_of) existing.emplace_back(e.row.account_id, e.row.joining_date);
  });
  std::sort(existing.begin(), existing.end());
  AccountFeatures& acc = out.accounts;
  auto s = summaries.begin();
  for (const auto& [id, joined] : existing) {
    while (s != summaries.end() && s->account_id < id) ++s;
    const bool has = s != summaries.end() && s->account_id == id;
    acc.account_id.push_back(id);
    acc.age_day.push_back(as_of - joined);
    const int32_t years = CompletedYears(joined, as_of);
    acc.age_year.push_back(years);
    acc.over_one_year.push_back(years >= 1 ? 1 : 0);
    const int32_t count = has ? s->count : 0;
    acc.total_invoices.push_back(count);
    if (count >= 2) {
      acc.avg_interval_day.push_back(static_cast<double>(s->last - s->first) / (count - 1));
      acc.avg_interval_valid.push_back(1);
    } else {
      acc.avg_interval_day.push_back(0.0);
      acc.avg_interval_valid.push_back(0);
    }
  }
  return out;
}

}  // namespace ledgerlake::engine
