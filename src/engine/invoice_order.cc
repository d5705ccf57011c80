#include "engine/invoice_order.h"

#include <algorithm>
#include <thread>

namespace ledgerlake::engine {

namespace {

struct SortKey {
  int64_t account_id;
  int64_t invoice_id;
  DayNumber date_issued;
  uint32_t position;
};

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

}  // namespace

std::vector<uint32_t> InvoiceOrder(const FinishedLedger& finished) {
  const Ledger& ledger = finished.ledger();
  const auto& invoices = ledger.invoices();
  const auto n = static_cast<uint32_t>(invoices.size());
  // The base accounts decoded from the state come as runs already in order; each invoice keeps its place in its
  // run unless this run changed its account or date (the journal has what it was). Everything else (new
  // invoices, re-keyed ones) is sorted and merged in.
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
  for (uint32_t p = 0; p < n; ++p) {
    if (in_run[p] == 0) loose.push_back(KeyOf(invoices.AtPosition(p), p));
  }
  ParallelSort(loose);

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
