// Partitioned runs: a complete run split into P passes, each of which loads and computes only the accounts of
// one bucket (a hash of account_id), so that memory holds about 1/P of the lake at a time (lake/run.h,
// RunOptions::partitions). Every feature is a function of one account's invoices, so the passes are independent
// and their outputs together are the unpartitioned run's rows.
//
// An invoice belongs to the bucket of the account its newest accepted row names: a re-sent invoice can move to
// another account, and all its rows must meet in one pass for the upsert rules to hold. InvoiceRouter learns that
// account from a first pass over the invoice extracts (RowFilter::Recording); line items follow their invoice
// (the invoice's own bucket when it is unknown, so that its orphan group stays in one pass). Skus are small and
// needed by every pass: each pass loads all of them. Pass 0 reads every other extract once, keeps its bucket's
// rows and spills the others' raw text by bucket (engine/spill.h); pass k reads bucket k's spill. So each row is
// decoded, and its fate counted, in exactly one pass: its key's bucket's, or pass 0's when the record is broken or
// its key is not an integer; sku rows in pass 0.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <vector>

#include "contract/rows.h"

namespace ledgerlake::engine {

// At most this many buckets (a bucket is stored in a byte per invoice).
inline constexpr uint32_t kMaxBuckets = 255;

// The bucket of a key among `buckets`: a mixed hash, so that consecutive ids spread evenly.
inline uint32_t BucketOf(int64_t key, uint32_t buckets) {
  uint64_t x = static_cast<uint64_t>(key) + 0x9e3779b97f4a7c15ULL;  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<uint32_t>(x % buckets);
}

// Where each invoice goes: the bucket of the account of its newest accepted row. One byte per invoice id for the
// dense ids billing systems use (a direct array covering [0, S), S at most 16 per invoice recorded, growing by
// doubling), a hash map for the others.
class InvoiceRouter {
 public:
  explicit InvoiceRouter(uint32_t buckets) : buckets_(buckets) {}
  uint32_t buckets() const { return buckets_; }

  // Records an accepted invoice row; rows come in landing order, so the last one recorded wins.
  void Record(int64_t invoice_id, int64_t account_id);
  // The invoice's bucket: its account's if recorded, else the invoice id's own.
  uint32_t BucketOfInvoice(int64_t invoice_id) const {
    uint8_t slot = 0;
    if (invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size()) {
      slot = dense_[static_cast<size_t>(invoice_id)];
    } else if (const auto it = sparse_.find(invoice_id); it != sparse_.end()) {
      slot = it->second;
    }
    return slot != 0 ? slot - 1u : BucketOf(invoice_id, buckets_);
  }
  size_t size() const { return recorded_; }

 private:
  void GrowDense(int64_t invoice_id);

  uint32_t buckets_;
  size_t recorded_ = 0;           // distinct invoice ids recorded
  std::vector<uint8_t> dense_;    // bucket + 1; 0: not recorded
  absl::flat_hash_map<int64_t, uint8_t> sparse_;
};

// Which rows a load keeps (engine/loader.h). The default keeps everything: an unpartitioned run.
class RowFilter {
 public:
  RowFilter() = default;
  // Keeps the rows of `bucket` as described above, routing invoices and line items by `router`.
  static RowFilter Bucket(const InvoiceRouter& router, uint32_t bucket) {
    RowFilter f;
    f.router_ = &router;
    f.bucket_ = bucket;
    return f;
  }
  // Keeps nothing and records every accepted invoice in `router`.
  static RowFilter Recording(InvoiceRouter& router) {
    RowFilter f;
    f.recording_ = &router;
    return f;
  }

  bool Keep(const contract::AccountRow& r) const {
    return router_ == nullptr || BucketOf(r.account_id, router_->buckets()) == bucket_;
  }
  bool Keep(const contract::SkuRow&) const { return recording_ == nullptr; }
  bool Keep(const contract::InvoiceRow& r) const {
    if (recording_ != nullptr) {
      recording_->Record(r.invoice_id, r.account_id);
      return false;
    }
    return router_ == nullptr || router_->BucketOfInvoice(r.invoice_id) == bucket_;
  }
  bool Keep(const contract::LineItemRow& r) const {
    return recording_ == nullptr && (router_ == nullptr || router_->BucketOfInvoice(r.invoice_id) == bucket_);
  }
  // Pass 0 of a partitioned run: rows of other buckets go to the spill (engine/spill.h) by their key alone,
  // undecoded, to be decoded in their own pass.
  bool RoutesAway() const { return router_ != nullptr && bucket_ == 0; }
  // The bucket of a row of `table` whose first contract column (its key; a line item's invoice) is `key`. Skus
  // stay in every pass.
  uint32_t BucketOfKey(contract::TableId table, int64_t key) const {
    switch (table) {
      case contract::TableId::kAccounts: return BucketOf(key, router_->buckets());
      case contract::TableId::kSkus: return bucket_;
      case contract::TableId::kInvoices:
      case contract::TableId::kLineItems: return router_->BucketOfInvoice(key);
    }
    return bucket_;
  }
  // Rows of `table` rejected while decoding, or demoted by a later row of the same file: a row's fate counts in
  // the one pass that decodes it, but every pass decodes every sku, so sku fates count in pass 0.
  bool KeepRejects(contract::TableId table) const {
    return recording_ == nullptr && (table != contract::TableId::kSkus || bucket_ == 0);
  }

 private:
  const InvoiceRouter* router_ = nullptr;
  InvoiceRouter* recording_ = nullptr;
  uint32_t bucket_ = 0;
};

}  // namespace ledgerlake::engine
