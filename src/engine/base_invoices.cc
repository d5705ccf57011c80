#include "engine/base_invoices.h"

#include <algorithm>

namespace ledgerlake::engine {

uint32_t BaseInvoices::OrdinalOfAccount(int64_t account_id) const {
  if (!account_slots_.empty()) {
    if (account_id < 0 || static_cast<uint64_t>(account_id) >= account_slots_.size()) return kNone;
    return account_slots_[static_cast<size_t>(account_id)] - 1;  // 0 (none) wraps to kNone
  }
  const auto it = std::lower_bound(accounts_.begin(), accounts_.end(), account_id,
                                   [](const BaseAccount& a, int64_t id) { return a.account_id < id; });
  if (it == accounts_.end() || it->account_id != account_id) return kNone;
  return static_cast<uint32_t>(it - accounts_.begin());
}

uint32_t BaseInvoices::OrdinalOfInvoice(int64_t invoice_id) const {
  if (dense_ != nullptr) {
    if (invoice_id < 0 || static_cast<uint64_t>(invoice_id) >= slots_) return kNone;
    return Load32(dense_ + 4 * static_cast<uint64_t>(invoice_id)) - 1;
  }
  uint64_t lo = 0, hi = slots_;  // the first record with an id >= invoice_id
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (SparseId(mid) < invoice_id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == slots_ || SparseId(lo) != invoice_id) return kNone;
  return Load32(sparse_ + kSparseRecord * lo + 8);
}

}  // namespace ledgerlake::engine
