#include "engine/partitioning.h"

#include <algorithm>

namespace ledgerlake::engine {

namespace {
constexpr size_t kMinDense = size_t{1} << 16;
constexpr size_t kSlotsPerInvoice = 16;
}  // namespace

void InvoiceRouter::Record(int64_t invoice_id, int64_t account_id) {
  const auto slot = static_cast<uint8_t>(BucketOf(account_id, buckets_) + 1);
  const bool in_dense = invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size();
  if (!in_dense && invoice_id >= 0 &&
      static_cast<uint64_t>(invoice_id) < std::max(kMinDense, kSlotsPerInvoice * (recorded_ + 1))) {
    GrowDense(invoice_id);
  }
  if (invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size()) {
    uint8_t& s = dense_[static_cast<size_t>(invoice_id)];
    recorded_ += s == 0;
    s = slot;
    return;
  }
  auto [it, inserted] = sparse_.try_emplace(invoice_id, slot);
  recorded_ += inserted;
  it->second = slot;
}

void InvoiceRouter::GrowDense(int64_t invoice_id) {
  size_t size = std::max(kMinDense, dense_.size() * 2);
  while (size <= static_cast<size_t>(invoice_id)) size *= 2;
  dense_.resize(size, 0);
  for (auto it = sparse_.begin(); it != sparse_.end();) {
    if (it->first >= 0 && static_cast<uint64_t>(it->first) < dense_.size()) {
      dense_[static_cast<size_t>(it->first)] = it->second;
      sparse_.erase(it++);
    } else {
      ++it;
    }
  }
}

}  // namespace ledgerlake::engine
