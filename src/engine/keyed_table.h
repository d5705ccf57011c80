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
    return {&entries_[position], true};
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
  // Bulk loading of keys known to be distinct (a saved state): Extend adds entries without indexing them,
  // SetAppended fills each of them once (from any thread), and IndexAppended then indexes them all at once; no
  // other insertion may come in between. Keys that come in no key order (a state is saved in account order)
  // would each cost a cache miss in the direct array; indexed together, they are first grouped by region of the
  // array, and each region is written while it is in cache. It fails (returns false) when a key is present
  // twice.
  uint32_t Extend(size_t n) {
    const auto first = static_cast<uint32_t>(entries_.size());
    if (appended_.empty()) appended_first_ = first;
    entries_.grow_for_overwrite(n);
    appended_.resize(appended_.size() + n);
    return first;
  }
  void SetAppended(uint32_t position, int64_t key, const Entry& entry) {
    entries_[position] = entry;
    appended_[position - appended_first_] = key;
  }
  bool IndexAppended() {
    if (appended_.empty()) return true;
    for (const int64_t key : appended_) max_key_ = std::max(max_key_, key);
    if (max_key_ >= 0 && !InDense(max_key_) && WantsDense(max_key_)) GrowDense(max_key_);
    struct Slot {
      uint32_t key;  // dense keys are below kAbsent
      uint32_t position;
    };
    constexpr int kRegionShift = 15;  // 32K slots (128 KiB) a region
    const size_t regions = (dense_.size() >> kRegionShift) + 1;
    std::vector<uint32_t> start(regions + 1, 0);
    for (const int64_t key : appended_) {
      if (InDense(key)) ++start[(static_cast<size_t>(key) >> kRegionShift) + 1];
    }
    for (size_t r = 0; r < regions; ++r) start[r + 1] += start[r];
    std::vector<Slot> grouped(start[regions]);
    bool distinct = true;
    for (size_t i = 0; i < appended_.size(); ++i) {
      const int64_t key = appended_[i];
      const auto position = static_cast<uint32_t>(appended_first_ + i);
      if (InDense(key)) {
        grouped[start[static_cast<size_t>(key) >> kRegionShift]++] = Slot{static_cast<uint32_t>(key), position};
      } else {
        distinct = sparse_.try_emplace(key, position).second && distinct;
      }
    }
    appended_ = {};
    for (const Slot& s : grouped) {
      uint32_t& slot = dense_[s.key];
      distinct = distinct && slot == 0;
      slot = s.position + 1;
    }
    return distinct;
  }
  const Entry& at(int64_t key) const { return entries_[PositionOf(key)]; }  // the key must be present
  const Entry& AtPosition(uint32_t position) const { return entries_[position]; }  // position < size()
  size_t size() const { return entries_.size(); }
  // The largest key present (INT64_MIN when empty): what a later Reserve(n, max_key) needs to know.
  int64_t max_key() const { return max_key_; }
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
  std::vector<int64_t> appended_;  // keys of the entries from appended_first_ on, not indexed yet
  uint32_t appended_first_ = 0;
};

}  // namespace ledgerlake::engine
