#include "gen/alias_table.h"

#include <cmath>

namespace ledgerlake::gen {

AliasTable::AliasTable(const std::vector<double>& weights) {
  double total = 0;
  for (const double w : weights) total += w;
  if (weights.empty() || !(total > 0)) return;

  const size_t n = weights.size();
  std::vector<double> scaled(n);  // weight * n / total: 1 is an exactly average slot
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  slots_.assign(n, Slot{UINT32_MAX, 0});
  for (size_t i = 0; i < n; ++i) slots_[i].alias = static_cast<uint32_t>(i);
  // Pair each under-full slot with an over-full one that donates the rest of its probability.
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    slots_[s].keep_below = static_cast<uint32_t>(std::ldexp(scaled[s], 32));
    slots_[s].alias = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Whatever is left is full up to rounding error: always keep it.
  for (const uint32_t i : small) slots_[i].keep_below = UINT32_MAX;
  for (const uint32_t i : large) slots_[i].keep_below = UINT32_MAX;
}

}  // namespace ledgerlake::gen
