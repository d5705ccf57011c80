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
#include <optional>
#include <string>
#include <vector>

#include "contract/rows.h"
#include "util/status.h"

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
// doubling), a hash map for the others. A run in passes that continues a state starts from the base's routes
// (every invoice of the lake; saved beside its state, SaveRoutes) and records this run's invoice rows over them.
class InvoiceRouter {
 public:
  explicit InvoiceRouter(uint32_t buckets) : buckets_(buckets) {}
  uint32_t buckets() const { return buckets_; }

  // Records an accepted invoice row; rows come in landing order, so the last one recorded wins.
  void Record(int64_t invoice_id, int64_t account_id);
  // Records an invoice's bucket directly (loading saved routes).
  void Set(int64_t invoice_id, uint32_t bucket);
  // The bucket recorded for an invoice, if any.
  std::optional<uint32_t> Find(int64_t invoice_id) const {
    uint8_t slot = 0;
    if (invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size()) {
      slot = dense_[static_cast<size_t>(invoice_id)];
    } else if (const auto it = sparse_.find(invoice_id); it != sparse_.end()) {
      slot = it->second;
    }
    if (slot == 0) return std::nullopt;
    return slot - 1u;
  }
  // The invoice's bucket: its account's if recorded, else the invoice id's own.
  uint32_t BucketOfInvoice(int64_t invoice_id) const {
    const std::optional<uint32_t> b = Find(invoice_id);
    return b ? *b : BucketOf(invoice_id, buckets_);
  }
  size_t size() const { return recorded_; }
  // Calls f(invoice_id, bucket) for every recorded invoice: the dense ids in order, then the others.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t id = 0; id < dense_.size(); ++id) {
      if (dense_[id] != 0) f(static_cast<int64_t>(id), dense_[id] - 1u);
    }
    for (const auto& [id, slot] : sparse_) f(id, slot - 1u);
  }
  // The direct array (slot = bucket + 1, 0: not recorded, by invoice id) and the other ids, as kept: the routes
  // of a whole lake are copied and saved as arrays, not id by id.
  const std::vector<uint8_t>& dense_slots() const { return dense_; }
  const absl::flat_hash_map<int64_t, uint8_t>& sparse_slots() const { return sparse_; }
  // An empty router takes `slots` (as dense_slots()) as its direct array. False, leaving it empty, if one is not
  // a bucket of this router's (slot > buckets).
  bool AdoptDense(std::vector<uint8_t> slots);

 private:
  void Put(int64_t invoice_id, uint8_t slot);
  void GrowDense(int64_t invoice_id);

  uint32_t buckets_;
  size_t recorded_ = 0;           // distinct invoice ids recorded
  std::vector<uint8_t> dense_;    // bucket + 1; 0: not recorded
  absl::flat_hash_map<int64_t, uint8_t> sparse_;
};

// An incremental run in passes routes by the base's routes, overlaid with this run's invoice rows.
class Routing {
 public:
  Routing(uint32_t buckets, const InvoiceRouter* base) : base_(base), run_(buckets) {}
  uint32_t buckets() const { return run_.buckets(); }
  InvoiceRouter& run() { return run_; }
  const InvoiceRouter& run() const { return run_; }
  uint32_t BucketOfInvoice(int64_t invoice_id) const {
    if (const auto b = run_.Find(invoice_id)) return *b;
    if (base_ != nullptr) {
      if (const auto b = base_->Find(invoice_id)) return *b;
    }
    return BucketOf(invoice_id, run_.buckets());
  }
  // This run's invoices whose bucket is not the one the base keeps them in (re-sent with an account of another
  // bucket, or arriving for line items that waited in the bucket of the invoice id, `orphans`, sorted): a run in
  // passes cannot continue its base then.
  std::vector<int64_t> Moves(const std::vector<int64_t>& orphans) const;
  // The base's routes with this run's over them: every invoice the lake knows.
  InvoiceRouter Merged() const;

 private:
  const InvoiceRouter* base_;
  InvoiceRouter run_;
};

// The routes of a state in several buckets, saved beside its buckets' states: every known invoice's bucket and the
// invoices whose line items wait (orphans). Format (docs/formats.md): magic LLROUTE2, then u32 buckets, u64 dense
// slots, u64 sparse records, u64 orphans; the dense slots (u8: bucket + 1, 0 none); the sparse records (i64 id, u8
// bucket); the orphan ids (i64); a StreamHash checksum (u64) of everything before it.
Status SaveRoutes(const InvoiceRouter& routes, const std::vector<int64_t>& orphans, const std::string& path);
struct SavedRoutes {
  InvoiceRouter routes{1};
  std::vector<int64_t> orphans;  // sorted
};
// kUnusableCache when missing, damaged or of another format.
Result<SavedRoutes> LoadRoutes(const std::string& path);

// Which rows a load keeps (engine/loader.h). The default keeps everything: an unpartitioned run.
class RowFilter {
 public:
  RowFilter() = default;
  // Keeps the rows of `bucket` as described above, routing invoices and line items by `router`.
  static RowFilter Bucket(const Routing& router, uint32_t bucket) {
    RowFilter f;
    f.router_ = &router;
    f.bucket_ = bucket;
    return f;
  }
  // Keeps nothing and records every accepted invoice in `router`'s run routes.
  static RowFilter Recording(Routing& router) {
    RowFilter f;
    f.recording_ = &router.run();
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
  const Routing* router_ = nullptr;
  InvoiceRouter* recording_ = nullptr;
  uint32_t bucket_ = 0;
};

}  // namespace ledgerlake::engine
