// StreamHash, the checksum of the lake's caches (docs/formats.md): the same bytes give the same checksum however
// they are split into calls, any one flipped bit, dropped byte or added zero byte changes it, and its values are
// pinned: a change to the function must come with new format versions of the files that store it.
#include "util/stream_hash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace ledgerlake {
namespace {

uint64_t HashOf(const std::vector<unsigned char>& bytes) {
  StreamHash h;
  h.Update(bytes.data(), bytes.size());
  return h.Final();
}

std::vector<unsigned char> Pattern(size_t n) {
  std::vector<unsigned char> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(i * 131 + (i >> 3));
  return bytes;
}

TEST(StreamHashTest, SplitsDoNotMatter) {
  std::mt19937_64 rng(7);
  for (size_t n : {0, 1, 7, 8, 31, 32, 33, 63, 64, 65, 100, 1000, 4099}) {
    const auto bytes = Pattern(n);
    const uint64_t whole = HashOf(bytes);
    for (int trial = 0; trial < 50; ++trial) {
      StreamHash h;
      size_t at = 0;
      while (at < n) {
        const size_t take = std::min<size_t>(n - at, rng() % 70);
        h.Update(bytes.data() + at, take);
        at += take;
      }
      h.Update(bytes.data(), 0);
      EXPECT_EQ(h.Final(), whole) << "n " << n << " trial " << trial;
    }
  }
}

TEST(StreamHashTest, EveryFlippedBitDroppedOrAddedByteChangesIt) {
  for (size_t n : {1, 9, 32, 40, 97, 256}) {
    const auto bytes = Pattern(n);
    const uint64_t whole = HashOf(bytes);
    for (size_t i = 0; i < n; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        auto changed = bytes;
        changed[i] ^= static_cast<unsigned char>(1u << bit);
        EXPECT_NE(HashOf(changed), whole) << "n " << n << " byte " << i << " bit " << bit;
      }
    }
    auto shorter = bytes;
    shorter.pop_back();
    EXPECT_NE(HashOf(shorter), whole) << n;
    auto longer = bytes;
    longer.push_back(0);
    EXPECT_NE(HashOf(longer), whole) << n;
  }
  // Zeroed stretches of different lengths (a torn write) differ from each other.
  EXPECT_NE(HashOf(std::vector<unsigned char>(64, 0)), HashOf(std::vector<unsigned char>(96, 0)));
  EXPECT_NE(HashOf(std::vector<unsigned char>(0)), HashOf(std::vector<unsigned char>(1, 0)));
}

TEST(StreamHashTest, ValuesArePinned) {
  EXPECT_EQ(HashOf({}), uint64_t{0x3FDF455F9DCF1E62ULL});
  EXPECT_EQ(HashOf(Pattern(5)), uint64_t{0x9CC035FEF6207402ULL});
  EXPECT_EQ(HashOf(Pattern(1000)), uint64_t{0xB11DF323A4C93E5CULL});
}

}  // namespace
}  // namespace ledgerlake
