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
  if (invoice_id < min_invoice_ || invoice_id > max_invoice_) return kNone;
  return index_.Find(invoice_id);
}

}  // namespace ledgerlake::engine
