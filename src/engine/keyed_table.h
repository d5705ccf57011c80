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
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "engine/segmented_vector.h"
#include "util/task_pool.h"

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
  // SetAppended fills each of them once (from any thread), and IndexAppended then indexes them all at once (on
  // the threads of `pool` if given); no
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
  bool IndexAppended(TaskPool* pool = nullptr) {
    if (appended_.empty()) return true;
    max_key_ = std::max(max_key_, *std::max_element(appended_.begin(), appended_.end()));
    if (max_key_ >= 0 && !InDense(max_key_) && WantsDense(max_key_)) GrowDense(max_key_);
    struct Slot {
      uint32_t key;  // dense keys are below kAbsent
      uint32_t position;
    };
    constexpr int kRegionShift = 15;  // 32K slots (128 KiB) a region
    const size_t regions = (dense_.size() >> kRegionShift) + 1;
    auto region = [](int64_t key) { return static_cast<size_t>(key) >> kRegionShift; };
    // Slices of the keys, each on a thread: counted by region, then written to their region's group, then the
    // groups written to the array, a range of regions a thread.
    const size_t n = appended_.size();
    const size_t parts = pool == nullptr || n < (size_t{1} << 16) ? 1 : pool->threads();
    auto each = [&](const std::function<void(size_t)>& f) {
      if (parts == 1) {
        f(0);
      } else {
        pool->ParallelFor(parts, f);
      }
    };
    std::vector<std::vector<uint32_t>> next(parts, std::vector<uint32_t>(regions, 0));
    std::vector<std::vector<size_t>> sparse(parts);  // indexes (into appended_) of keys the array does not cover
    each([&](size_t t) {
      for (size_t i = n * t / parts; i < n * (t + 1) / parts; ++i) {
        if (InDense(appended_[i])) {
          ++next[t][region(appended_[i])];
        } else {
          sparse[t].push_back(i);
        }
      }
    });
    std::vector<uint32_t> region_start(regions + 1, 0);
    uint32_t total = 0;
    for (size_t r = 0; r < regions; ++r) {
      region_start[r] = total;
      for (size_t t = 0; t < parts; ++t) total += std::exchange(next[t][r], total);
    }
    region_start[regions] = total;
    const auto grouped = std::make_unique_for_overwrite<Slot[]>(total);  // first touched by the threads below
    each([&](size_t t) {
      for (size_t i = n * t / parts; i < n * (t + 1) / parts; ++i) {
        const int64_t key = appended_[i];
        if (InDense(key)) {
          grouped[next[t][region(key)]++] = Slot{static_cast<uint32_t>(key), static_cast<uint32_t>(appended_first_ + i)};
        }
      }
    });
    std::vector<uint8_t> distinct(parts, 1);
    each([&](size_t t) {
      for (uint32_t g = region_start[regions * t / parts]; g < region_start[regions * (t + 1) / parts]; ++g) {
        uint32_t& slot = dense_[grouped[g].key];
        if (slot != 0) distinct[t] = 0;
        slot = grouped[g].position + 1;
      }
    });
    bool all_distinct = std::find(distinct.begin(), distinct.end(), 0) == distinct.end();
    for (const auto& indexes : sparse) {
      for (const size_t i : indexes) {
        all_distinct = sparse_.try_emplace(appended_[i], static_cast<uint32_t>(appended_first_ + i)).second && all_distinct;
      }
    }
    appended_ = {};
    return all_distinct;
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
