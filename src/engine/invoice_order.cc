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

std::vector<uint32_t> InvoiceOrder(const Ledger& ledger) {
  const auto& invoices = ledger.invoices();
  const auto n = static_cast<uint32_t>(invoices.size());
  // The positions loaded sorted from the base state; each keeps its place unless this run changed its account
  // or date (the journal has what it was). Everything else (new invoices, re-keyed ones) is sorted and merged in.
  const uint32_t sorted = ledger.sorted_base_invoices();
  std::vector<uint8_t> moved(sorted, 0);
  std::vector<SortKey> loose;
  for (const auto& [id, before] : ledger.journal().invoices) {
    const uint32_t p = invoices.PositionOf(id);
    if (p >= sorted) continue;  // among the new ones below
    const InvoiceEntry& e = invoices.AtPosition(p);
    if (before.existed && before.row.account_id == e.row.account_id && before.row.date_issued == e.row.date_issued) {
      continue;
    }
    moved[p] = 1;
    loose.push_back(KeyOf(e, p));
  }
  loose.reserve(loose.size() + (n - sorted));
  for (uint32_t p = sorted; p < n; ++p) loose.push_back(KeyOf(invoices.AtPosition(p), p));
  ParallelSort(loose);

  std::vector<uint32_t> order;
  order.reserve(n);
  auto next = loose.begin();
  for (uint32_t p = 0; p < sorted; ++p) {
    if (moved[p] != 0) continue;
    const SortKey k = KeyOf(invoices.AtPosition(p), p);
    for (; next != loose.end() && KeyLess(*next, k); ++next) order.push_back(next->position);
    order.push_back(p);
  }
  for (; next != loose.end(); ++next) order.push_back(next->position);
  return order;
}

}  // namespace ledgerlake::engine
