// KeyedTable: the current entry per 64-bit key of a raw table, stored densely. An index maps a key to a position
// in a segmented array of entries, so growth never copies the entries and a scan over all entries is sequential
// (in first-insertion order, hence deterministic). Used by Ledger.
//
// Billing systems number their rows: keys are mostly small non-negative integers, often consecutive, and an
// extract lists them in order. Such keys are indexed by a direct array (position + 1 per key, 4 bytes a slot),
// which costs no hashing and no cache miss per lookup when keys come in order. The array covers [0, S) with S at
// most 4 slots per entry (and grows by doubling, moving keys from the hash index into it); other keys (negative,
// or far beyond the number of entries) go to a hash map. Either way, each key has one place.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/segmented_vector.h"

namespace ledgerlake::engine {

template <typename Entry>
class KeyedTable {
 public:
  // Inserts `entry` under `key` unless the key is present. Returns the key's entry (a stable pointer) and
  // whether it was inserted.
  std::pair<Entry*, bool> TryInsert(int64_t key, const Entry& entry) {
    if (!InDense(key) && WantsDense(key)) GrowDense(key);
    const auto position = static_cast<uint32_t>(entries_.size());
    if (InDense(key)) {
      uint32_t& slot = dense_[static_cast<size_t>(key)];
      if (slot != 0) return {&entries_[slot - 1], false};
      slot = position + 1;
    } else {
      auto [it, inserted] = sparse_.try_emplace(key, position);
      if (!inserted) return {&entries_[it->second], false};
    }
    entries_.push_back(entry);
    max_key_ = std::max(max_key_, key);
    min_key_ = std::min(min_key_, key);
    return {&entries_[position], true};
  }
  // A hint that `key` is about to be looked up or inserted: fetches its slot of the direct array, so that the
  // cache misses of a batch of scattered keys overlap instead of coming one after another.
  void Prefetch(int64_t key) const {
    if (InDense(key)) __builtin_prefetch(&dense_[static_cast<size_t>(key)], 1);
  }
  // The direct array's range: keys in [0, DenseSize()) have their slot there (PositionOf costs one read).
  size_t DenseSize() const { return dense_.size(); }
  // Calls f(key, entry) for every key of the direct array, by increasing key.
  template <typename F>
  void ForEachDense(F&& f) {
    for (size_t key = 0; key < dense_.size(); ++key) {
      if (dense_[key] != 0) f(static_cast<int64_t>(key), entries_[dense_[key] - 1]);
    }
  }
  Entry* Find(int64_t key) {
    const uint32_t p = PositionOf(key);
    return p == kAbsent ? nullptr : &entries_[p];
  }
  const Entry* Find(int64_t key) const {
    const uint32_t p = PositionOf(key);
    return p == kAbsent ? nullptr : &entries_[p];
  }
  bool contains(int64_t key) const { return PositionOf(key) != kAbsent; }
  // The key's position in first-insertion order (what ForEach counts), or kAbsent: for side arrays per entry.
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t PositionOf(int64_t key) const {
    if (InDense(key)) return dense_[static_cast<size_t>(key)] - 1;  // 0 (absent) wraps to kAbsent
    const auto it = sparse_.find(key);
    return it == sparse_.end() ? kAbsent : it->second;
  }
  // Makes room for `n` keys in all, so that loading a large file does not rehash again and again. Only the hash
  // index is sized, and only while most keys so far are in it: the direct array grows with the keys seen.
  void Reserve(size_t n) {
    if (sparse_.size() * 2 > entries_.size()) sparse_.reserve(n);  // the keys so far are mostly sparse ones
  }
  // The same, for `n` keys in all that are known to lie in [0, max_key] when max_key >= 0: the direct array is
  // sized for them at once, so keys that come in any order still all land in it (growing it on the way would
  // send early large keys to the hash index and move them later).
  void Reserve(size_t n, int64_t max_key) {
    if (!InDense(max_key) && max_key >= 0 && static_cast<uint64_t>(max_key) < kSlotsPerEntry * n &&
        static_cast<uint64_t>(max_key) < kAbsent) {
      GrowDense(max_key);
    }
    Reserve(n);
  }
  const Entry& at(int64_t key) const { return entries_[PositionOf(key)]; }  // the key must be present
  const Entry& AtPosition(uint32_t position) const { return entries_[position]; }  // position < size()
  size_t size() const { return entries_.size(); }
  // The largest key present (INT64_MIN when empty): what a later Reserve(n, max_key) needs to know.
  int64_t max_key() const { return max_key_; }
  int64_t min_key() const { return min_key_; }  // the smallest (INT64_MAX when empty)
  // Calls f(key, position) for every entry, by increasing key. Keys of the direct array come in order for free;
  // the hash index's few are sorted (they lie below or above the array's range).
  template <typename F>
  void ForEachInKeyOrder(F&& f) const {
    std::vector<std::pair<int64_t, uint32_t>> other(sparse_.begin(), sparse_.end());
    std::sort(other.begin(), other.end());
    auto above = std::lower_bound(other.begin(), other.end(), std::pair<int64_t, uint32_t>{0, 0});
    for (auto it = other.begin(); it != above; ++it) f(it->first, it->second);
    for (size_t key = 0; key < dense_.size(); ++key) {
      if (dense_[key] != 0) f(static_cast<int64_t>(key), dense_[key] - 1);
    }
    for (auto it = above; it != other.end(); ++it) f(it->first, it->second);
  }
  // Calls f(entry) for every entry, in first-insertion order.
  template <typename F>
  void ForEach(F&& f) const {
    entries_.ForEach(f);
  }

 private:
  static constexpr size_t kMinDense = 1024;
  static constexpr size_t kSlotsPerEntry = 4;

  bool InDense(int64_t key) const { return key >= 0 && static_cast<uint64_t>(key) < dense_.size(); }
  // Whether the array may grow to cover `key`: within 4 slots per entry (counting this one).
  bool WantsDense(int64_t key) const {
    return key >= 0 && static_cast<uint64_t>(key) < std::max(kMinDense, kSlotsPerEntry * (entries_.size() + 1)) &&
           static_cast<uint64_t>(key) < kAbsent;
  }
  void GrowDense(int64_t key) {
    size_t size = std::max(kMinDense, dense_.size() * 2);
    while (size <= static_cast<size_t>(key)) size *= 2;
    dense_.resize(size, 0);
    // Keys the hash index holds that the array now covers move into it.
    for (auto it = sparse_.begin(); it != sparse_.end();) {
      if (InDense(it->first)) {
        dense_[static_cast<size_t>(it->first)] = it->second + 1;
        sparse_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  std::vector<uint32_t> dense_;                     // key -> position + 1, 0 = absent
  absl::flat_hash_map<int64_t, uint32_t> sparse_;  // every other key -> position
  SegmentedVector<Entry> entries_;
  int64_t max_key_ = INT64_MIN;
  int64_t min_key_ = INT64_MAX;
};

}  // namespace ledgerlake::engine
