#include "engine/invoice_order.h"

#include <algorithm>
#include <array>
#include <barrier>
#include <span>
#include <thread>
#include <utility>

namespace ledgerlake::engine {

namespace {

using SortKey = InvoiceSortKey;

bool KeyLess(const SortKey& a, const SortKey& b) { return InvoiceOrderLess(a, b); }

SortKey KeyOf(const InvoiceEntry& e, uint32_t position) {
  return SortKey{e.row.account_id, e.row.invoice_id, e.row.date_issued, position};
}

// Sorts on two cores: each half on its own thread, then one merge.
void ParallelSort(std::vector<SortKey>& keys) {
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

// The bits a range of values needs once its minimum is subtracted.
int BitsFor(uint64_t span) { return span == 0 ? 0 : 64 - __builtin_clzll(span); }

// One field's offset and width in the packed key.
struct Field {
  uint64_t min = 0;  // as an unsigned value (two's complement), subtracted with wrap-around
  int bits = 0;
  int shift = 0;
};
Field FieldFor(int64_t lo, int64_t hi) {
  // Signed order survives the bias: x - min, in unsigned arithmetic, is monotone for min <= x <= max.
  Field f;
  f.min = static_cast<uint64_t>(lo);
  f.bits = BitsFor(static_cast<uint64_t>(hi) - f.min);
  return f;
}

// Whether to use two threads for `n` keys.
unsigned WorkersFor(size_t n) { return n >= (size_t{1} << 16) && std::thread::hardware_concurrency() >= 2 ? 2 : 1; }

// Runs work(0) .. work(workers - 1), all but the first on threads of their own.
template <typename F>
void RunWorkers(unsigned workers, F&& work) {
  std::vector<std::thread> helpers;
  for (unsigned w = 1; w < workers; ++w) helpers.emplace_back(work, w);
  work(0U);
  for (std::thread& t : helpers) t.join();
}

// LSD radix sort of the packed keys, 11 bits a digit, skipping digits every key shares, on `workers` threads:
// each worker counts and scatters its part of the items, to places computed from every part's counts (worker 0's
// items of a digit value before worker 1's), so the sort stays stable. False (and `keys` untouched) when the
// fields do not fit in 64 bits.
bool RadixSort(std::span<SortKey> keys, unsigned workers) {
  // The three fields' ranges, in one scan.
  SortKey lo = keys.front(), hi = lo;
  for (const SortKey& k : keys) {
    lo.account_id = std::min(lo.account_id, k.account_id);
    hi.account_id = std::max(hi.account_id, k.account_id);
    lo.date_issued = std::min(lo.date_issued, k.date_issued);
    hi.date_issued = std::max(hi.date_issued, k.date_issued);
    lo.invoice_id = std::min(lo.invoice_id, k.invoice_id);
    hi.invoice_id = std::max(hi.invoice_id, k.invoice_id);
  }
  Field account = FieldFor(lo.account_id, hi.account_id);
  Field date = FieldFor(lo.date_issued, hi.date_issued);
  Field invoice = FieldFor(lo.invoice_id, hi.invoice_id);
  const int bits = account.bits + date.bits + invoice.bits;
  if (bits > 64) return false;
  date.shift = invoice.bits;
  account.shift = invoice.bits + date.bits;
  struct Item {
    uint64_t key;
    uint32_t position;
  };
  constexpr int kDigit = 11;
  constexpr size_t kBuckets = size_t{1} << kDigit;
  const size_t n = keys.size();
  std::vector<Item> items(n), spare(n);
  std::vector<std::array<size_t, kBuckets>> counts(workers);
  std::barrier sync(static_cast<std::ptrdiff_t>(workers));
  auto pack = [](const Field& f, int64_t v) { return (static_cast<uint64_t>(v) - f.min) << f.shift; };
  auto unpack = [](const Field& f, uint64_t key) {
    const uint64_t mask = f.bits == 0 ? 0 : ~uint64_t{0} >> (64 - f.bits);
    return static_cast<int64_t>(((key >> f.shift) & mask) + f.min);
  };
  auto work = [&](unsigned w) {
    const size_t first = n * w / workers, last = n * (w + 1) / workers;
    Item* from = items.data();
    Item* to = spare.data();
    for (size_t i = first; i < last; ++i) {
      const SortKey& k = keys[i];
      from[i] = Item{pack(account, k.account_id) | pack(date, k.date_issued) | pack(invoice, k.invoice_id),
                     k.position};
    }
    for (int shift = 0; shift < bits; shift += kDigit) {
      auto& count = counts[w];
      count.fill(0);
      for (size_t i = first; i < last; ++i) ++count[(from[i].key >> shift) & (kBuckets - 1)];
      sync.arrive_and_wait();
      std::array<size_t, kBuckets> place;
      size_t sum = 0;
      bool constant = false;
      for (size_t b = 0; b < kBuckets; ++b) {
        size_t all = 0;
        for (unsigned t = 0; t < workers; ++t) {
          if (t == w) place[b] = sum + all;
          all += counts[t][b];
        }
        constant = constant || all == n;
        sum += all;
      }
      if (!constant) {
        for (size_t i = first; i < last; ++i) to[place[(from[i].key >> shift) & (kBuckets - 1)]++] = from[i];
        std::swap(from, to);
      }
      sync.arrive_and_wait();  // every item placed, and every count read, before the next digit
    }
    // The packed key holds the three fields whole: unpacking it back into `keys` (every worker packed its part
    // before the first count) reads the items in order and needs no third buffer.
    for (size_t i = first; i < last; ++i) {
      keys[i] = SortKey{unpack(account, from[i].key), unpack(invoice, from[i].key),
                          static_cast<DayNumber>(unpack(date, from[i].key)), from[i].position};
    }
  };
  RunWorkers(workers, work);
  return true;
}

// Sorts one account's keys (a run of keys with equal account_id) by (date_issued, invoice_id). Billing systems
// number invoices as they issue them, so an account's invoices nearly always come in order already: checked
// first, sorted only if not.
void SortAccount(std::span<SortKey> keys) {
  if (std::is_sorted(keys.begin(), keys.end(), KeyLess)) return;
  if (keys.size() >= 4096 && RadixSort(keys, 1)) return;
  std::sort(keys.begin(), keys.end(), KeyLess);
}

// A counting sort by account, then each account's run sorted by SortAccount: two passes over the keys where the
// radix sort makes one per 11 bits of the packed key (5 at 5M invoices). Stable, on two cores for many keys (each
// worker counts and places its part, worker 0's keys of an account before worker 1's, then sorts half of the
// accounts). False (and `keys` untouched) when the account ids span more values than there are keys, which would
// make the counts larger than the keys.
bool AccountSort(std::vector<SortKey>& keys) {
  const size_t n = keys.size();
  int64_t lo = keys.front().account_id, hi = lo;
  for (const SortKey& k : keys) {
    lo = std::min(lo, k.account_id);
    hi = std::max(hi, k.account_id);
  }
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (span >= n) return false;
  const size_t accounts = static_cast<size_t>(span) + 1;
  auto slot = [lo](const SortKey& k) {
    return static_cast<size_t>(static_cast<uint64_t>(k.account_id) - static_cast<uint64_t>(lo));
  };
  const unsigned workers = WorkersFor(n);
  auto part = [&](unsigned w) { return std::pair{n * w / workers, n * (w + 1) / workers}; };
  std::vector<std::vector<uint32_t>> place(workers, std::vector<uint32_t>(accounts, 0));
  RunWorkers(workers, [&](unsigned w) {
    const auto [first, last] = part(w);
    for (size_t i = first; i < last; ++i) ++place[w][slot(keys[i])];
  });
  // Counts become places: account by account, each worker's keys after the previous worker's.
  std::vector<uint32_t> start(accounts + 1);
  uint32_t sum = 0;
  for (size_t a = 0; a < accounts; ++a) {
    start[a] = sum;
    for (unsigned w = 0; w < workers; ++w) {
      const uint32_t count = place[w][a];
      place[w][a] = sum;
      sum += count;
    }
  }
  start[accounts] = sum;
  std::vector<SortKey> sorted(n);
  RunWorkers(workers, [&](unsigned w) {
    const auto [first, last] = part(w);
    for (size_t i = first; i < last; ++i) sorted[place[w][slot(keys[i])]++] = keys[i];
  });
  // Worker w sorts the accounts that start in its part of the positions.
  RunWorkers(workers, [&](unsigned w) {
    const auto [first, last] = part(w);
    const auto a0 = static_cast<size_t>(std::lower_bound(start.begin(), start.end() - 1, first) - start.begin());
    const auto a1 = static_cast<size_t>(std::lower_bound(start.begin(), start.end() - 1, last) - start.begin());
    for (size_t a = a0; a < a1; ++a) SortAccount(std::span(sorted).subspan(start[a], start[a + 1] - start[a]));
  });
  keys.swap(sorted);
  return true;
}

}  // namespace

void SortInvoiceKeys(std::vector<InvoiceSortKey>& keys) {
  if (keys.size() < 2) return;
  // Below a few thousand keys a comparison sort is as fast and allocates nothing.
  if (keys.size() >= 4096 && (AccountSort(keys) || RadixSort(keys, WorkersFor(keys.size())))) return;
  ParallelSort(keys);
}

namespace {

// Every invoice of `invoices` sorted (a Ledger without decoded runs: nothing is in order yet).
std::vector<uint32_t> SortAll(const KeyedTable<InvoiceEntry>& invoices) {
  const auto n = static_cast<uint32_t>(invoices.size());
  std::vector<SortKey> keys;
  keys.reserve(n);
  for (uint32_t p = 0; p < n; ++p) keys.push_back(KeyOf(invoices.AtPosition(p), p));
  SortInvoiceKeys(keys);
  std::vector<uint32_t> order;
  order.reserve(n);
  for (const SortKey& k : keys) order.push_back(k.position);
  return order;
}

}  // namespace

InvoiceOrderAhead::InvoiceOrderAhead(const Ledger& ledger)
    : thread_([this, &invoices = ledger.invoices()] { order_ = SortAll(invoices); }) {}

InvoiceOrderAhead::~InvoiceOrderAhead() {
  if (thread_.joinable()) thread_.join();
}

std::vector<uint32_t> InvoiceOrderAhead::Take() {
  if (thread_.joinable()) thread_.join();
  return std::move(order_);
}

std::vector<uint32_t> InvoiceOrder(const FinishedLedger& finished) {
  const Ledger& ledger = finished.ledger();
  const auto& invoices = ledger.invoices();
  const auto n = static_cast<uint32_t>(invoices.size());
  // The base accounts decoded from the state come as runs already in order; each invoice keeps its place in its
  // run unless this run changed its account or date (the journal has what it was). Everything else (new
  // invoices, re-keyed ones) is sorted and merged in.
  if (ledger.decoded_runs().empty()) return SortAll(invoices);
  std::vector<Ledger::DecodedRun> runs = ledger.decoded_runs();
  std::sort(runs.begin(), runs.end(),
            [](const Ledger::DecodedRun& a, const Ledger::DecodedRun& b) { return a.account_id < b.account_id; });
  std::vector<uint8_t> in_run(n, 0);
  for (const Ledger::DecodedRun& r : runs) std::fill_n(in_run.begin() + r.first, r.count, uint8_t{1});
  for (const auto& [id, before] : ledger.journal().invoices) {
    const uint32_t p = invoices.PositionOf(id);
    if (in_run[p] == 0) continue;
    const InvoiceEntry& e = invoices.AtPosition(p);
    if (before.row.account_id != e.row.account_id || before.row.date_issued != e.row.date_issued) in_run[p] = 0;
  }
  std::vector<SortKey> loose;
  loose.reserve(static_cast<size_t>(std::count(in_run.begin(), in_run.end(), uint8_t{0})));
  for (uint32_t p = 0; p < n; ++p) {
    if (in_run[p] == 0) loose.push_back(KeyOf(invoices.AtPosition(p), p));
  }
  SortInvoiceKeys(loose);

  std::vector<uint32_t> order;
  order.reserve(n);
  auto next = loose.begin();
  for (const Ledger::DecodedRun& r : runs) {
    for (uint32_t p = r.first; p < r.first + r.count; ++p) {
      if (in_run[p] == 0) continue;
      const SortKey k = KeyOf(invoices.AtPosition(p), p);
      for (; next != loose.end() && KeyLess(*next, k); ++next) order.push_back(next->position);
      order.push_back(p);
    }
  }
  for (; next != loose.end(); ++next) order.push_back(next->position);
  return order;
}

}  // namespace ledgerlake::engine
