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

struct AccountSummary {
  int64_t account_id;
  int32_t count;
  DayNumber first;
  DayNumber last;
};

void ResizeInvoiceColumns(InvoiceFeatures& inv, size_t n) {
  for (auto* v : {&inv.invoice_id, &inv.account_id, &inv.total_cents, &inv.items}) v->resize(n);
  for (auto* v : {&inv.date_issued, &inv.account_age, &inv.num_inv_120d, &inv.cum_tot_inv_acct, &inv.is_late}) {
    v->resize(n);
  }
  for (auto* v : {&inv.total_valid, &inv.is_late_valid}) v->resize(n);
}

// The invoice rows of `keys` (sorted by KeyLess) as of D, one account run at a time. `joined(account_id)` gives
// the account's joining date, or nullptr when the account is unknown (its invoices are pending: no rows).
// `keep(row, key)` is called on each row written at position `row`; returning false lets the next row overwrite
// it. Returns the rows kept.
template <typename Joined, typename Keep>
size_t InvoiceRows(const std::vector<InvoiceKey>& keys, DayNumber as_of, Joined&& joined, Keep&& keep,
                   InvoiceFeatures& inv, FeatureWarnings& warnings, std::vector<AccountSummary>* summaries) {
  ResizeInvoiceColumns(inv, keys.size());
  size_t n = 0;  // output rows so far
  for (size_t start = 0; start < keys.size();) {
    const int64_t account_id = keys[start].account_id;
    size_t end = start + 1;
    while (end < keys.size() && keys[end].account_id == account_id) ++end;
    const DayNumber* joined_on = joined(account_id);
    if (joined_on == nullptr) {  // pending: appears in no dataset until the account lands
      start = end;
      continue;
    }
    const DayNumber join_day = *joined_on;
    size_t window = start;  // first invoice of the account dated >= date_issued - 120
    size_t day = start;     // first invoice of the account dated on the current invoice's day
    for (size_t i = start; i < end; ++i) {
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
      if (!fits) ++warnings.totals_out_of_range;
      inv.account_age[n] = k.date_issued - join_day;
      if (inv.account_age[n] < 0) ++warnings.invoices_before_joining;
      inv.num_inv_120d[n] = static_cast<int32_t>(day - window);  // others strictly before the day, <= 120 days back
      inv.cum_tot_inv_acct[n] = static_cast<int32_t>(i - start + 1);
      SetIsLate(k.entry->row, as_of, &inv.is_late[n], &inv.is_late_valid[n]);
      if (keep(n, k)) ++n;
    }
    if (summaries != nullptr) {
      summaries->push_back(AccountSummary{account_id, static_cast<int32_t>(end - start), keys[start].date_issued,
                                          keys[end - 1].date_issued});
    }
    start = end;
  }
  ResizeInvoiceColumns(inv, n);
  return n;
}

// Whether an invoice's is_late differs between snapshot dates `a` and `b` (only an unpaid invoice's can).
bool IsLateDiffers(const contract::InvoiceRow& row, DayNumber a, DayNumber b) {
  int32_t late_a = 0, late_b = 0;
  uint8_t valid_a = 0, valid_b = 0;
  SetIsLate(row, a, &late_a, &valid_a);
  SetIsLate(row, b, &late_b, &valid_b);
  return valid_a != valid_b || (valid_a != 0 && late_a != late_b);
}

}  // namespace

Baseline BuildBaseline(const Ledger& ledger, DayNumber base_as_of) {
  Baseline base;
  base.as_of = base_as_of;
  const Journal& journal = ledger.journal();
  const auto& accounts = ledger.accounts();
  for (const auto& [id, before] : journal.accounts) {
    const DayNumber now = accounts.at(id).row.joining_date;
    if (!before || *before != now) base.affected.insert(id);
  }
  auto same = [](const InvoiceBefore& b, const InvoiceEntry& e) {
    const LineGroup& g = b.group;
    return b.existed && b.row.account_id == e.row.account_id && b.row.date_issued == e.row.date_issued &&
           b.row.payment == e.row.payment && b.row.payment_date == e.row.payment_date && g.cents == e.extra.cents &&
           g.quantity == e.extra.quantity && g.overflow == e.extra.overflow;
  };
  for (const auto& [id, before] : journal.invoices) {
    const InvoiceEntry& now = ledger.invoices().at(id);
    if (same(before, now)) continue;
    base.affected.insert(now.row.account_id);
    if (before.existed) base.affected.insert(before.row.account_id);
  }
  if (base.affected.empty()) return base;

  // The base's invoices of the affected accounts: unchanged entries as they are, changed ones as they were.
  std::vector<InvoiceEntry> earlier;
  earlier.reserve(journal.invoices.size());
  for (const auto& [id, before] : journal.invoices) {
    if (!before.existed || !base.affected.contains(before.row.account_id)) continue;
    InvoiceEntry e{};
    e.row = before.row;
    e.extra = before.group;
    earlier.push_back(e);
  }
  // Accounts never go away: an affected account the accounts table lacks had no rows in the base either.
  std::vector<uint8_t> affected(accounts.size(), 0);  // by account position
  for (const int64_t id : base.affected) {
    const uint32_t p = accounts.PositionOf(id);
    if (p != KeyedTable<AccountEntry>::kAbsent) affected[p] = 1;
  }
  std::vector<InvoiceKey> keys;
  ledger.invoices().ForEach([&](const InvoiceEntry& e) {
    if (e.row.date_issued > base_as_of) return;
    const uint32_t p = accounts.PositionOf(e.row.account_id);
    if (p != KeyedTable<AccountEntry>::kAbsent && affected[p] != 0 && !journal.invoices.contains(e.row.invoice_id)) {
      keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
    }
  });
  for (const InvoiceEntry& e : earlier) {
    if (e.row.date_issued <= base_as_of) keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
  }
  ParallelSort(keys);
  DayNumber joined_before = 0;
  auto joined = [&](int64_t account_id) -> const DayNumber* {
    if (const auto it = journal.accounts.find(account_id); it != journal.accounts.end()) {
      if (!it->second) return nullptr;
      joined_before = *it->second;
      return &joined_before;
    }
    const AccountEntry* a = accounts.Find(account_id);
    return a == nullptr ? nullptr : &a->row.joining_date;
  };
  InvoiceFeatures inv;
  FeatureWarnings ignored;
  const size_t n = InvoiceRows(keys, base_as_of, joined, [](size_t, const InvoiceKey&) { return true; }, inv,
                               ignored, nullptr);
  base.rows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    base.rows.emplace(inv.invoice_id[i],
                      Baseline::Row{inv.account_id[i], inv.date_issued[i], inv.total_cents[i], inv.items[i],
                                    inv.account_age[i], inv.num_inv_120d[i], inv.cum_tot_inv_acct[i], inv.is_late[i],
                                    inv.total_valid[i], inv.is_late_valid[i], false});
  }
  return base;
}

namespace {

// The delta path's account pass: per account, its invoices as of D (for account_features, without a sort) and
// whether any of its invoice rows can differ from the base's: its inputs changed (affected), it has an invoice
// issued since the base's D, or an unpaid invoice whose is_late D changed. Only those accounts' invoices are
// sorted and recomputed.
struct AccountPass {
  int32_t count = 0;
  DayNumber first = 0;
  DayNumber last = 0;
  DayNumber joined = 0;
  bool work = false;
};

}  // namespace

FeatureSet ComputeFeatures(const Ledger& ledger, DayNumber as_of, Baseline* base) {
  FeatureSet out;
  const auto& accounts = ledger.accounts();
  auto joined = [&](int64_t account_id) -> const DayNumber* {
    const AccountEntry* a = accounts.Find(account_id);
    return a == nullptr ? nullptr : &a->row.joining_date;
  };
  InvoiceFeatures& inv = out.invoices;
  std::vector<AccountSummary> summaries;
  std::vector<InvoiceKey> keys;

  if (base == nullptr) {
    // Invoices that exist as of D, in per-account order. Invoices of unknown accounts (pending) are dropped per
    // account run, so each account is looked up once, not once per invoice.
    keys.reserve(ledger.invoices().size());
    ledger.invoices().ForEach([&](const InvoiceEntry& e) {
      if (e.row.date_issued <= as_of) keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
    });
    ParallelSort(keys);
    InvoiceRows(keys, as_of, joined, [](size_t, const InvoiceKey&) { return true; }, inv, out.warnings, &summaries);
  } else {
    // Per account, by its position in the accounts table (invoices of unknown accounts are pending: skipped).
    std::vector<AccountPass> pass(accounts.size());
    accounts.ForEach([&, i = size_t{0}](const AccountEntry& e) mutable {
      AccountPass& a = pass[i++];
      a.joined = e.row.joining_date;
      a.work = base->affected.contains(e.row.account_id);
    });
    std::vector<uint32_t> position;  // per invoice in table order, its account's position (kAbsent: skip)
    position.reserve(ledger.invoices().size());
    ledger.invoices().ForEach([&](const InvoiceEntry& e) {
      const uint32_t p = e.row.date_issued <= as_of ? accounts.PositionOf(e.row.account_id) : KeyedTable<AccountEntry>::kAbsent;
      position.push_back(p);
      if (p == KeyedTable<AccountEntry>::kAbsent) return;
      AccountPass& a = pass[p];
      if (a.count++ == 0) {
        a.first = a.last = e.row.date_issued;
      } else {
        a.first = std::min(a.first, e.row.date_issued);
        a.last = std::max(a.last, e.row.date_issued);
      }
      if (e.row.date_issued < a.joined) ++out.warnings.invoices_before_joining;
      const LineGroup& g = e.extra;
      if (g.overflow || g.cents >= kDecimal18Limit || g.cents <= -kDecimal18Limit) ++out.warnings.totals_out_of_range;
      if (a.work) return;
      if (e.row.date_issued > base->as_of) {
        a.work = true;
      } else {
        a.work = IsLateDiffers(e.row, base->as_of, as_of);
      }
    });
    ledger.invoices().ForEach([&, i = size_t{0}](const InvoiceEntry& e) mutable {
      const uint32_t p = position[i++];
      if (p != KeyedTable<AccountEntry>::kAbsent && pass[p].work) {
        keys.push_back(InvoiceKey{e.row.account_id, e.row.date_issued, e.row.invoice_id, &e});
      }
    });
    position = {};
    accounts.ForEach([&, i = size_t{0}](const AccountEntry& e) mutable {
      const AccountPass& a = pass[i++];
      if (a.count > 0) summaries.push_back(AccountSummary{e.row.account_id, a.count, a.first, a.last});
    });
    pass = {};
    std::sort(summaries.begin(), summaries.end(),
              [](const AccountSummary& x, const AccountSummary& y) { return x.account_id < y.account_id; });
    ParallelSort(keys);

    // A delta: keep the rows that differ from the base's, and say in which dataset.
    out.changed.resize(keys.size());
    auto keep = [&](size_t n, const InvoiceKey& k) {
      uint8_t changed = 0;
      if (base->affected.contains(k.account_id)) {
        const auto it = base->rows.find(k.invoice_id);
        if (it == base->rows.end()) {
          changed = kAccountInvoiceChanged | kInvoiceChanged;
        } else {
          Baseline::Row& b = it->second;
          b.seen = true;
          const bool totals = b.total_cents != inv.total_cents[n] || b.total_valid != inv.total_valid[n];
          if (totals || b.account_id != inv.account_id[n] || b.date_issued != inv.date_issued[n]) {
            changed |= kAccountInvoiceChanged;
          }
          if (totals || b.account_id != inv.account_id[n] || b.items != inv.items[n] ||
              b.account_age != inv.account_age[n] || b.num_inv_120d != inv.num_inv_120d[n] ||
              b.cum_tot_inv_acct != inv.cum_tot_inv_acct[n] || b.is_late_valid != inv.is_late_valid[n] ||
              (inv.is_late_valid[n] != 0 && b.is_late != inv.is_late[n])) {
            changed |= kInvoiceChanged;
          }
        }
      } else if (k.date_issued > base->as_of) {
        changed = kAccountInvoiceChanged | kInvoiceChanged;  // issued since the base's D
      } else if (IsLateDiffers(k.entry->row, base->as_of, as_of)) {
        changed = kInvoiceChanged;  // D moved past the day an unpaid invoice turns overdue
      }
      out.changed[n] = changed;
      return changed != 0;
    };
    FeatureWarnings counted_above;
    const size_t n = InvoiceRows(keys, as_of, joined, keep, inv, counted_above, nullptr);
    out.changed.resize(n);
    for (const auto& [id, row] : base->rows) {
      if (!row.seen) out.deleted.push_back(id);
    }
    std::sort(out.deleted.begin(), out.deleted.end());
  }
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
  for (const auto& [id, joining_date] : existing) {
    while (s != summaries.end() && s->account_id < id) ++s;
    const bool has = s != summaries.end() && s->account_id == id;
    acc.account_id.push_back(id);
    acc.age_day.push_back(as_of - joining_date);
    const int32_t years = CompletedYears(joining_date, as_of);
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
