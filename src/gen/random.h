// Deterministic pseudo-random numbers for the generator. Every stream is keyed by (seed, purpose, index), so a
// block of rows can be produced on any thread, in any order, and still come out identical.
// SplitMix64 (Steele, Lea & Flood, 2014): one 64-bit add and a mix per draw, statistically sound for this use.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace ledgerlake::gen {

// The SplitMix64 finaliser: a bijective 64-bit mix.
inline uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// What a stream is used for; part of its key, so the streams of different purposes never coincide.
enum class Stream : uint64_t { kAccountTraits = 1, kAccountText, kSkus, kInvoices };

class Rng {
 public:
  Rng(uint64_t seed, Stream purpose, uint64_t index)
      : state_(Mix64(Mix64(seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(purpose)) ^ Mix64(index + 1))) {}

  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return Mix64(state_);
  }

  // Uniform in [0, n) for n >= 1 (Lemire's multiply-shift; the bias is below 2^-40 for our n).
  uint64_t Below(uint64_t n) {
    __extension__ typedef unsigned __int128 U128;
    return static_cast<uint64_t>((static_cast<U128>(Next()) * n) >> 64);
  }
  // Uniform integer in [lo, hi], lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Standard normal (Box-Muller; one value per call is plenty here).
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace ledgerlake::gen
