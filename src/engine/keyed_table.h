// KeyedTable: the current entry per 64-bit key of a raw table, stored densely. The hash index maps a key to a
// position in a segmented array of entries, so the index's empty slots cost 12 bytes each instead of a whole
// entry, growth never copies the entries, and a scan over all entries is sequential (in first-insertion
// order, hence deterministic). Used by Ledger.
#pragma once

#include <absl/container/flat_hash_map.h>

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
    auto [it, inserted] = index_.try_emplace(key, static_cast<uint32_t>(entries_.size()));
    if (inserted) entries_.push_back(entry);
    return {&entries_[it->second], inserted};
  }
  Entry* Find(int64_t key) {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second];
  }
  const Entry* Find(int64_t key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second];
  }
  bool contains(int64_t key) const { return index_.contains(key); }
  // Makes room in the index for `n` keys in all, so that loading a large file does not rehash again and again.
  void Reserve(size_t n) { index_.reserve(n); }
  const Entry& at(int64_t key) const { return entries_[index_.at(key)]; }  // the key must be present
  size_t size() const { return entries_.size(); }
  // Calls f(entry) for every entry, in first-insertion order.
  template <typename F>
  void ForEach(F&& f) const {
    entries_.ForEach(f);
  }

 private:
  absl::flat_hash_map<int64_t, uint32_t> index_;
  SegmentedVector<Entry> entries_;
};

}  // namespace ledgerlake::engine
