#include "engine/features.h"

#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <span>

#include "engine/invoice_order.h"

namespace ledgerlake::engine {

namespace {

constexpr int32_t kWindowDays = 120;
constexpr int32_t kOnTimeDays = 30;
constexpr int64_t kDecimal18Limit = 1000000000000000000LL;  // 10^18 cents: DECIMAL(18,2) holds |x| < this

using Run = std::span<const InvoiceEntry* const>;  // one account's invoices, by (date_issued, invoice_id)

// One invoice's row of both invoice datasets.
struct Row {
  int64_t invoice_id;
  int64_t account_id;
  int64_t total_cents;
  int64_t items;
  DayNumber date_issued;
  int32_t account_age;
  int32_t num_inv_120d;
  int32_t cum_tot_inv_acct;
  int32_t is_late;
  uint8_t total_valid;
  uint8_t is_late_valid;
};

bool TotalFits(const LineGroup& g) { return !g.overflow && g.cents < kDecimal18Limit && g.cents > -kDecimal18Limit; }

// is_late as of D (docs/features.md). Point in time: a payment dated after D is not known as of D, so such an
// invoice is unpaid at D, like one without a payment date.
void SetIsLate(const contract::InvoiceRow& row, DayNumber as_of, int32_t* late, uint8_t* valid) {
  if (row.payment == contract::Payment::kNoColumn) {
    *late = 0;
    *valid = 0;
    return;
  }
  if (row.payment == contract::Payment::kPaid && row.payment_date <= as_of) {
    *late = row.payment_date - row.date_issued > kOnTimeDays ? 1 : 0;
    *valid = 1;
    return;
  }
  const bool overdue = as_of - row.date_issued > kOnTimeDays;  // unpaid at D and overdue; else not known yet
  *late = overdue ? 1 : 0;
  *valid = overdue ? 1 : 0;
}

// Whether an invoice's is_late differs between snapshot dates `a` and `b` (only D moving on changes it: an unpaid
// invoice turning overdue, or a payment dated between the two becoming known).
bool IsLateDiffers(const contract::InvoiceRow& row, DayNumber a, DayNumber b) {
  if (row.payment == contract::Payment::kNoColumn) return false;
  int32_t late_a = 0, late_b = 0;
  uint8_t valid_a = 0, valid_b = 0;
  SetIsLate(row, a, &late_a, &valid_a);
  SetIsLate(row, b, &late_b, &valid_b);
  return valid_a != valid_b || (valid_a != 0 && late_a != late_b);
}

// The invoices of `run` issued on or before D: a prefix, as a run is in date order.
Run IssuedBy(Run run, DayNumber as_of) {
  const auto end = std::partition_point(run.begin(), run.end(),
                                        [&](const InvoiceEntry* e) { return e->row.date_issued <= as_of; });
  return run.first(static_cast<size_t>(end - run.begin()));
}

// The rows of one account's invoices `run` (all issued on or before D), the account having joined on
// `join_day`, into `rows`.
void AccountRows(Run run, DayNumber join_day, DayNumber as_of, std::vector<Row>& rows) {
  rows.resize(run.size());
  size_t window = 0;  // first invoice dated >= date_issued - 120
  size_t day = 0;     // first invoice dated on the current invoice's day
  for (size_t i = 0; i < run.size(); ++i) {
    const InvoiceEntry& e = *run[i];
    const DayNumber date = e.row.date_issued;
    while (run[window]->row.date_issued < date - kWindowDays) ++window;
    if (run[day]->row.date_issued != date) day = i;
    Row& r = rows[i];
    r.invoice_id = e.row.invoice_id;
    r.account_id = e.row.account_id;
    r.date_issued = date;
    // An invoice without line items has the empty group: 0.00 and 0.
    const bool fits = TotalFits(e.extra);
    r.total_cents = fits ? e.extra.cents : 0;
    r.total_valid = fits ? 1 : 0;
    r.items = e.extra.quantity;
    r.account_age = date - join_day;
    r.num_inv_120d = static_cast<int32_t>(day - window);  // others strictly before the day, <= 120 days back
    r.cum_tot_inv_acct = static_cast<int32_t>(i + 1);
    SetIsLate(e.row, as_of, &r.is_late, &r.is_late_valid);
  }
}

void Append(InvoiceFeatures& inv, const Row& r) {
  inv.invoice_id.push_back(r.invoice_id);
  inv.account_id.push_back(r.account_id);
  inv.date_issued.push_back(r.date_issued);
  inv.total_cents.push_back(r.total_cents);
  inv.total_valid.push_back(r.total_valid);
  inv.items.push_back(r.items);
  inv.account_age.push_back(r.account_age);
  inv.num_inv_120d.push_back(r.num_inv_120d);
  inv.cum_tot_inv_acct.push_back(r.cum_tot_inv_acct);
  inv.is_late.push_back(r.is_late);
  inv.is_late_valid.push_back(r.is_late_valid);
}

void Reserve(InvoiceFeatures& inv, size_t n) {
  for (auto* v : {&inv.invoice_id, &inv.account_id, &inv.total_cents, &inv.items}) v->reserve(n);
  for (auto* v : {&inv.date_issued, &inv.account_age, &inv.num_inv_120d, &inv.cum_tot_inv_acct, &inv.is_late}) {
    v->reserve(n);
  }
  for (auto* v : {&inv.total_valid, &inv.is_late_valid}) v->reserve(n);
}

// Which datasets' rows differ between a base row and a row now (by the columns each dataset has).
uint8_t Changes(const Row& base, const Row& now) {
  const bool totals = base.total_cents != now.total_cents || base.total_valid != now.total_valid;
  const bool account = base.account_id != now.account_id;
  uint8_t changed = 0;
  if (totals || account || base.date_issued != now.date_issued) changed |= kAccountInvoiceChanged;
  if (totals || account || base.items != now.items || base.account_age != now.account_age ||
      base.num_inv_120d != now.num_inv_120d || base.cum_tot_inv_acct != now.cum_tot_inv_acct ||
      base.is_late_valid != now.is_late_valid || (now.is_late_valid != 0 && base.is_late != now.is_late)) {
    changed |= kInvoiceChanged;
  }
  return changed;
}

// Calls f(account_id, run) for each account's run of invoices in `order`.
template <typename F>
void ForEachAccount(const KeyedTable<InvoiceEntry>& invoices, const std::vector<uint32_t>& order, F&& f) {
  constexpr size_t kAhead = 16;  // entries are in order after a state load, scattered after a full load
  std::vector<const InvoiceEntry*> run;
  for (size_t i = 0; i < order.size();) {
    run.clear();
    const int64_t account_id = invoices.AtPosition(order[i]).row.account_id;
    for (; i < order.size(); ++i) {
      if (i + kAhead < order.size()) __builtin_prefetch(&invoices.AtPosition(order[i + kAhead]));
      const InvoiceEntry& e = invoices.AtPosition(order[i]);
      if (e.row.account_id != account_id) break;
      run.push_back(&e);
    }
    f(account_id, Run(run));
  }
}

struct AccountSummary {
  int64_t account_id;
  int32_t count;
  DayNumber first;
  DayNumber last;
};

// Adds an account's digest to the warnings, and to the summaries account_features is made of.
void Summarise(int64_t account_id, const AccountDigest& d, std::vector<AccountSummary>& summaries,
               FeatureWarnings& warnings) {
  warnings.invoices_before_joining += d.before_joining;
  warnings.totals_out_of_range += d.out_of_range;
  if (d.issued > 0) summaries.push_back(AccountSummary{account_id, d.issued, d.first, d.last});
}

// account_features: accounts that exist as of D, by id, merged with `summaries` (by id: runs come in account
// order).
AccountFeatures AccountRowsOf(const KeyedTable<AccountEntry>& accounts, const std::vector<AccountSummary>& summaries,
                              DayNumber as_of) {
  std::vector<std::pair<int64_t, DayNumber>> existing;
  existing.reserve(accounts.size());
  accounts.ForEach([&](const AccountEntry& e) {
    if (e.row.joining_date <= as_of) existing.emplace_back(e.row.account_id, e.row.joining_date);
  });
  // Accounts often land in id order.
  if (!std::is_sorted(existing.begin(), existing.end())) std::sort(existing.begin(), existing.end());
  AccountFeatures acc;
  auto s = summaries.begin();
  // Completed years by joining date, each computed once: accounts share a few thousand joining dates (a direct-
  // mapped memo; the date conversions were 2% of an incremental run that writes 500,000 account rows).
  constexpr size_t kMemo = 4096;
  std::vector<std::pair<DayNumber, int32_t>> years_of(kMemo, {std::numeric_limits<DayNumber>::min(), 0});
  auto completed_years = [&](DayNumber joining_date) {
    auto& [day, years] = years_of[static_cast<uint32_t>(joining_date) % kMemo];
    if (day != joining_date) {
      day = joining_date;
      years = CompletedYears(joining_date, as_of);
    }
    return years;
  };
  for (const auto& [id, joining_date] : existing) {
    while (s != summaries.end() && s->account_id < id) ++s;
    const bool has = s != summaries.end() && s->account_id == id;
    acc.account_id.push_back(id);
    acc.age_day.push_back(as_of - joining_date);
    const int32_t years = completed_years(joining_date);
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
  return acc;
}

bool EntryLess(const InvoiceEntry* a, const InvoiceEntry* b) { return InvoiceOrderLess(a->row, b->row); }

// The delta of one account at a time (ComputeDelta).
class Delta {
 public:
  Delta(const Ledger& ledger, DayNumber as_of, DayNumber base_as_of, FeatureSet& out)
      : ledger_(ledger), as_of_(as_of), base_as_of_(base_as_of), out_(out) {
    FindAffected();
  }

  void Account(int64_t account_id, Run run) {
    const AccountEntry* account = ledger_.accounts().Find(account_id);
    const Run issued = IssuedBy(run, as_of_);
    if (account != nullptr) Summarise(account_id, DigestOf(run, account, as_of_), summaries_, out_.warnings);
    if (affected_.contains(account_id)) {
      visited_.push_back(account_id);
      Affected(account_id, account, run, issued);
    } else if (account != nullptr) {
      Untouched(*account, issued);
    }
  }

  // After every account with invoices now: the affected accounts that have none (their base rows are gone).
  void Finish() {
    std::sort(visited_.begin(), visited_.end());
    for (const int64_t id : affected_) {
      if (!std::binary_search(visited_.begin(), visited_.end(), id)) Affected(id, ledger_.accounts().Find(id), {}, {});
    }
    std::sort(out_.deleted.begin(), out_.deleted.end());
    // Base accounts not decoded: their rows did not change, and their digest still holds.
    if (const BaseInvoices* base = ledger_.base(); base != nullptr) {
      const auto decoded = static_cast<std::ptrdiff_t>(summaries_.size());  // in account order, as the base's
      for (uint32_t o = 0; o < base->size(); ++o) {
        if (ledger_.decoded(o)) continue;
        const BaseAccount& a = base->account(o);  // its rows do not change by D: Finish decoded those that do
        Summarise(a.account_id, a.digest, summaries_, out_.warnings);
      }
      std::inplace_merge(summaries_.begin(), summaries_.begin() + decoded, summaries_.end(),
                         [](const AccountSummary& a, const AccountSummary& b) { return a.account_id < b.account_id; });
    }
    out_.accounts = AccountRowsOf(ledger_.accounts(), summaries_, as_of_);
  }

 private:
  // From the journal: the accounts whose rows may differ from the base's beyond D moving on, and what their
  // changed invoices were at the base.
  void FindAffected() {
    const Journal& journal = ledger_.journal();
    for (const auto& [id, before] : journal.accounts) {
      if (!before || *before != ledger_.accounts().at(id).row.joining_date) affected_.insert(id);
    }
    auto same = [](const InvoiceBefore& b, const InvoiceEntry& e) {
      const LineGroup& g = b.group;
      return b.existed && b.row.account_id == e.row.account_id && b.row.date_issued == e.row.date_issued &&
             b.row.payment == e.row.payment && b.row.payment_date == e.row.payment_date &&
             g.cents == e.extra.cents && g.quantity == e.extra.quantity && g.overflow == e.extra.overflow;
    };
    for (const auto& [id, before] : journal.invoices) {
      const InvoiceEntry& now = ledger_.invoices().at(id);
      if (same(before, now)) continue;
      affected_.insert(now.row.account_id);
      if (before.existed) affected_.insert(before.row.account_id);
    }
    // The base's invoices of affected accounts that this run touched, as they were (in account order).
    for (const auto& [id, before] : journal.invoices) {
      if (!before.existed || before.row.date_issued > base_as_of_ || !affected_.contains(before.row.account_id)) continue;
      InvoiceEntry e{};
      e.row = before.row;
      e.extra = before.group;
      earlier_.push_back(e);
    }
    std::sort(earlier_.begin(), earlier_.end(),
              [](const InvoiceEntry& a, const InvoiceEntry& b) { return InvoiceOrderLess(a.row, b.row); });
  }

  // An account whose inputs did not change: only D moving on changes its rows (a new invoice changes nothing
  // before it), so they are recomputed only when it has one of those.
  void Untouched(const AccountEntry& account, Run issued) {
    auto moved_on = [&](const InvoiceEntry* e) {
      return e->row.date_issued > base_as_of_ || IsLateDiffers(e->row, base_as_of_, as_of_);
    };
    if (std::none_of(issued.begin(), issued.end(), moved_on)) return;
    AccountRows(issued, account.row.joining_date, as_of_, now_);
    for (size_t i = 0; i < issued.size(); ++i) {
      uint8_t changed = 0;
      if (issued[i]->row.date_issued > base_as_of_) {
        changed = kAccountInvoiceChanged | kInvoiceChanged;  // issued since the base's D
      } else if (IsLateDiffers(issued[i]->row, base_as_of_, as_of_)) {
        changed = kInvoiceChanged;  // D moved past the day an unpaid invoice turns overdue
      }
      if (changed != 0) Keep(now_[i], changed);
    }
  }

  // An account whose inputs changed: its base rows are recomputed and compared with its rows now, by invoice.
  void Affected(int64_t account_id, const AccountEntry* account, Run run, Run issued) {
    const Journal& journal = ledger_.journal();
    // The base's invoices: the ones this run left alone, and the journal's pre-images of the rest.
    base_run_.clear();
    for (const InvoiceEntry* e : run) {
      if (e->row.date_issued <= base_as_of_ && !journal.invoices.contains(e->row.invoice_id)) base_run_.push_back(e);
    }
    // Both in order already (the run, and the pre-images sorted once): merged, not sorted.
    auto earlier = std::equal_range(earlier_.begin(), earlier_.end(), account_id, AccountOrder{});
    if (earlier.first != earlier.second) {
      merged_.clear();
      auto pre = earlier.first;
      for (const InvoiceEntry* e : base_run_) {
        for (; pre != earlier.second && EntryLess(&*pre, e); ++pre) merged_.push_back(&*pre);
        merged_.push_back(e);
      }
      for (; pre != earlier.second; ++pre) merged_.push_back(&*pre);
      base_run_.swap(merged_);
    }
    // Accounts never go away: one unknown now was unknown at the base, and its invoices were pending.
    std::optional<DayNumber> joined_before;
    if (const auto it = journal.accounts.find(account_id); it != journal.accounts.end()) {
      joined_before = it->second;
    } else if (account != nullptr) {
      joined_before = account->row.joining_date;
    }
    base_.clear();
    if (joined_before) AccountRows(base_run_, *joined_before, base_as_of_, base_);
    now_.clear();
    if (account != nullptr) AccountRows(issued, account->row.joining_date, as_of_, now_);
    MatchRows();
    for (size_t j = 0; j < now_.size(); ++j) {
      const Row& r = now_[j];
      if (match_[j] == kUnmatched) {
        Keep(r, kAccountInvoiceChanged | kInvoiceChanged);
      } else if (const uint8_t changed = Changes(base_[match_[j]], r); changed != 0) {
        Keep(r, changed);
      }
    }
    // A base row not matched here is gone, unless its invoice moved to another account and has a row there.
    for (size_t i = 0; i < base_.size(); ++i) {
      if (matched_[i] == 0 && !HasRowNow(base_[i].invoice_id)) out_.deleted.push_back(base_[i].invoice_id);
    }
  }

  // Pairs each row now with the base row of the same invoice: match_[j] is the base_ index of now_[j]'s invoice
  // (kUnmatched if none), matched_[i] whether base_[i] has a row now. Both lists are in (date_issued, invoice_id)
  // order, so a merge pairs every invoice whose date did not change; the few left (re-dated, new, gone) are
  // paired by id.
  void MatchRows() {
    matched_.assign(base_.size(), 0);
    match_.assign(now_.size(), kUnmatched);
    auto key_less = [](const Row& a, const Row& b) {
      return a.date_issued != b.date_issued ? a.date_issued < b.date_issued : a.invoice_id < b.invoice_id;
    };
    left_base_.clear();
    left_now_.clear();
    size_t i = 0, j = 0;
    while (i < base_.size() && j < now_.size()) {
      if (key_less(base_[i], now_[j])) {
        left_base_.push_back(static_cast<uint32_t>(i++));
      } else if (key_less(now_[j], base_[i])) {
        left_now_.push_back(static_cast<uint32_t>(j++));
      } else {
        matched_[i] = 1;
        match_[j++] = static_cast<uint32_t>(i++);
      }
    }
    for (; i < base_.size(); ++i) left_base_.push_back(static_cast<uint32_t>(i));
    for (; j < now_.size(); ++j) left_now_.push_back(static_cast<uint32_t>(j));
    if (left_base_.empty() || left_now_.empty()) return;
    std::sort(left_base_.begin(), left_base_.end(),
              [&](uint32_t a, uint32_t b) { return base_[a].invoice_id < base_[b].invoice_id; });
    for (const uint32_t n : left_now_) {
      const int64_t id = now_[n].invoice_id;
      const auto b = std::lower_bound(left_base_.begin(), left_base_.end(), id,
                                      [&](uint32_t x, int64_t v) { return base_[x].invoice_id < v; });
      if (b == left_base_.end() || base_[*b].invoice_id != id) continue;
      matched_[*b] = 1;
      match_[n] = *b;
    }
  }

  bool HasRowNow(int64_t invoice_id) const {
    const InvoiceEntry* e = ledger_.invoices().Find(invoice_id);
    return e != nullptr && e->row.date_issued <= as_of_ && ledger_.accounts().contains(e->row.account_id);
  }

  void Keep(const Row& r, uint8_t changed) {
    Append(out_.invoices, r);
    out_.changed.push_back(changed);
  }

  struct AccountOrder {
    bool operator()(const InvoiceEntry& e, int64_t id) const { return e.row.account_id < id; }
    bool operator()(int64_t id, const InvoiceEntry& e) const { return id < e.row.account_id; }
  };

  const Ledger& ledger_;
  const DayNumber as_of_;
  const DayNumber base_as_of_;
  FeatureSet& out_;
  absl::flat_hash_set<int64_t> affected_;
  std::vector<InvoiceEntry> earlier_;  // pre-images of affected accounts' invoices, issued by the base's D
  std::vector<int64_t> visited_;       // affected accounts met in the pass
  std::vector<AccountSummary> summaries_;
  std::vector<const InvoiceEntry*> base_run_, merged_;
  std::vector<Row> base_, now_;
  static constexpr uint32_t kUnmatched = UINT32_MAX;
  std::vector<uint8_t> matched_;   // per base_ row (MatchRows)
  std::vector<uint32_t> match_;    // per now_ row (MatchRows)
  std::vector<uint32_t> left_base_, left_now_;
};

}  // namespace

AccountDigest DigestOf(std::span<const InvoiceEntry* const> run, const AccountEntry* account, DayNumber as_of) {
  AccountDigest d;
  for (const InvoiceEntry* e : run) {
    const DayNumber date = e->row.date_issued;
    if (date > as_of) {  // issued after D: its row appears that day (the first such is the earliest)
      d.next_change = std::min(d.next_change, date);
      break;
    }
    // Unpaid at D (no payment, or one dated after D): is_late changes the day D - date_issued > 30, and the day
    // the payment becomes known.
    const bool paid_by_d = e->row.payment == contract::Payment::kPaid && e->row.payment_date <= as_of;
    if (e->row.payment != contract::Payment::kNoColumn && !paid_by_d) {
      const int64_t overdue = int64_t{date} + kOnTimeDays + 1;
      if (overdue > as_of && overdue < kNever) d.next_change = std::min(d.next_change, static_cast<DayNumber>(overdue));
      if (e->row.payment == contract::Payment::kPaid) d.next_change = std::min(d.next_change, e->row.payment_date);
    }
    if (d.issued++ == 0) d.first = date;
    d.last = date;
    if (account != nullptr && date < account->row.joining_date) ++d.before_joining;
    if (account != nullptr && !TotalFits(e->extra)) ++d.out_of_range;
  }
  return d;
}

FeatureSet ComputeFeatures(FinishedLedger& finished, const std::vector<uint32_t>& order) {
  finished.DecodeAll();
  const Ledger& ledger = finished.ledger();
  const DayNumber as_of = finished.as_of();
  FeatureSet out;
  Reserve(out.invoices, order.size());
  std::vector<AccountSummary> summaries;
  std::vector<Row> rows;
  ForEachAccount(ledger.invoices(), order, [&](int64_t account_id, Run run) {
    const AccountEntry* account = ledger.accounts().Find(account_id);
    if (account == nullptr) return;  // pending: appears in no dataset until the account lands
    const Run issued = IssuedBy(run, as_of);
    Summarise(account_id, DigestOf(run, account, as_of), summaries, out.warnings);
    AccountRows(issued, account->row.joining_date, as_of, rows);
    for (const Row& r : rows) Append(out.invoices, r);
  });
  out.accounts = AccountRowsOf(ledger.accounts(), summaries, as_of);
  return out;
}

FeatureSet ComputeFeatures(FinishedLedger& ledger) {
  ledger.DecodeAll();
  return ComputeFeatures(ledger, InvoiceOrder(ledger));
}

Result<FeatureSet> ComputeDelta(const FinishedLedger& finished, const std::vector<uint32_t>& order) {
  const std::optional<DayNumber> base_as_of = finished.base_as_of();
  if (!base_as_of || !finished.ledger().incremental()) {
    return Status::InvalidArgument("ComputeDelta: the ledger does not continue a saved state");
  }
  FeatureSet out;
  Delta delta(finished.ledger(), finished.as_of(), *base_as_of, out);
  ForEachAccount(finished.ledger().invoices(), order,
                 [&](int64_t account_id, Run run) { delta.Account(account_id, run); });
  delta.Finish();
  return out;
}

}  // namespace ledgerlake::engine
