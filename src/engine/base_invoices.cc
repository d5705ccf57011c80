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
  if (invoice_id >= index_min_ && invoice_id <= index_max_) {
    const uint32_t ordinal = index_.Find(invoice_id);
    if (ordinal != kNone) return overlay() ? overlay_remap_[ordinal] : ordinal;
  }
  if (overlay() && invoice_id >= under_min_ && invoice_id <= under_max_) {
    const uint32_t ordinal = under_index_.Find(invoice_id);
    if (ordinal != kNone) return under_remap_[ordinal];  // kNone when replaced: the overlay would have it
  }
  return kNone;
}

void BaseInvoices::Release(const unsigned char* from, size_t n) const {
  for (const MappedFile* f : {file_.get(), under_file_.get()}) {
    if (f != nullptr && from >= f->data() && from < f->data() + f->size()) f->Release(from, n);
  }
}

void BaseInvoices::IndexAccounts() {
  account_slots_.clear();
  if (!accounts_.empty() && accounts_.front().account_id >= 0 &&
      static_cast<uint64_t>(accounts_.back().account_id) < kDenseSlotsPerAccount * accounts_.size() + 1024) {
    account_slots_.assign(static_cast<size_t>(accounts_.back().account_id) + 1, 0);
    for (uint32_t a = 0; a < accounts_.size(); ++a) account_slots_[static_cast<size_t>(accounts_[a].account_id)] = a + 1;
  }
}

}  // namespace ledgerlake::engine
