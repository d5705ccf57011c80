// AliasTable: draws an index in O(1) with probability proportional to a weight (Walker's alias method, Vose's
// construction). The generator uses it to give each invoice an account with skewed, per-account activity.
#pragma once

#include <cstdint>
#include <vector>

#include "gen/random.h"

namespace ledgerlake::gen {

class AliasTable {
 public:
  // weights: non-negative, at most 2^32 - 1 of them, not all zero (empty table otherwise: see empty()).
  explicit AliasTable(const std::vector<double>& weights);

  bool empty() const { return slots_.empty(); }
  // An index i with probability weights[i] / sum(weights). Needs !empty().
  uint32_t Sample(Rng& rng) const {
    const uint64_t r = rng.Next();
    __extension__ typedef unsigned __int128 U128;
    const auto i = static_cast<uint32_t>((static_cast<U128>(r) * slots_.size()) >> 64);
    const Slot& s = slots_[i];
    // The low 32 bits are independent enough of the high bits that chose the slot.
    return static_cast<uint32_t>(r) < s.keep_below ? i : s.alias;
  }

 private:
  struct Slot {
    uint32_t keep_below;  // keep this slot when a uniform 32-bit draw is below; else take alias
    uint32_t alias;
  };
  std::vector<Slot> slots_;
};

}  // namespace ledgerlake::gen
