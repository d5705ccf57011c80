// KeyedTable against std::map over mixes of dense, negative and far keys: every key has one entry, lookups agree,
// entries never move, and a scan is in first-insertion order.
#include "engine/keyed_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

namespace ledgerlake::engine {
namespace {

struct Item {
  int64_t key;
  int64_t value;
};

TEST(KeyedTableTest, AgreesWithAMapOverMixedKeys) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::mt19937_64 rng(seed);
    KeyedTable<Item> table;
    std::map<int64_t, int64_t> reference;
    std::vector<int64_t> order;  // first insertions
    std::vector<const Item*> pointers;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      int64_t key = 0;
      switch (rng() % 5) {
        case 0: key = static_cast<int64_t>(rng() % 50000); break;               // dense, in and out of order
        case 1: key = static_cast<int64_t>(i) * 3; break;                       // ascending
        case 2: key = -static_cast<int64_t>(rng() % 1000) - 1; break;           // negative
        case 3: key = static_cast<int64_t>(rng() >> 1); break;                  // far
        default: key = 1000000 + static_cast<int64_t>(rng() % 200000); break;  // beyond, becoming dense later
      }
      if (i % 7 == 0) table.Reserve(static_cast<size_t>(n));
      auto [entry, inserted] = table.TryInsert(key, Item{key, i});
      const bool expected = reference.emplace(key, i).second;
      ASSERT_EQ(inserted, expected) << "seed " << seed << " key " << key;
      if (inserted) {
        order.push_back(key);
        pointers.push_back(entry);
      }
      ASSERT_EQ(entry->key, key);
      ASSERT_EQ(entry->value, reference.at(key));
    }
    ASSERT_EQ(table.size(), reference.size());
    for (size_t i = 0; i < order.size(); ++i) {
      ASSERT_EQ(table.Find(order[i]), pointers[i]) << "entries never move";
      ASSERT_TRUE(table.contains(order[i]));
      ASSERT_EQ(table.at(order[i]).key, order[i]);
    }
    for (int64_t probe : {int64_t{-5000}, int64_t{49999}, int64_t{999999}, int64_t{INT64_MAX}, int64_t{INT64_MIN}}) {
      EXPECT_EQ(table.Find(probe) != nullptr, reference.contains(probe)) << probe;
    }
    size_t at = 0;
    table.ForEach([&](const Item& item) { ASSERT_EQ(item.key, order[at++]); });
    EXPECT_EQ(at, order.size());
  }
}

TEST(KeyedTableTest, ConsecutiveKeysFromOneAreFoundAndMissingOnesAreNot) {
  KeyedTable<Item> table;
  for (int64_t k = 1; k <= 100000; ++k) table.TryInsert(k, Item{k, -k});
  EXPECT_EQ(table.size(), 100000u);
  EXPECT_EQ(table.Find(0), nullptr);
  EXPECT_EQ(table.Find(100001), nullptr);
  EXPECT_EQ(table.Find(77777)->value, -77777);
  EXPECT_FALSE(table.TryInsert(500, Item{500, 1}).second);
}

// A state is loaded in account order, so its invoice keys come shuffled; with their bound reserved, every key
// is found at its position, and keys beyond the bound (or negative) still get one entry each.
TEST(KeyedTableTest, ShuffledKeysWithAReservedBoundAreAllFound) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> keys(50000);
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<int64_t>(i) * 2 + 1;
  std::shuffle(keys.begin(), keys.end(), rng);
  KeyedTable<Item> table;
  table.Reserve(keys.size() + 2, keys.size() * 2);
  for (const int64_t k : keys) ASSERT_TRUE(table.TryInsert(k, Item{k, k * 10}).second);
  ASSERT_TRUE(table.TryInsert(-5, Item{-5, -50}).second);
  ASSERT_TRUE(table.TryInsert(int64_t{1} << 40, Item{1, 2}).second);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(table.PositionOf(keys[i]), i);
    EXPECT_EQ(table.AtPosition(static_cast<uint32_t>(i)).value, keys[i] * 10);
  }
  EXPECT_EQ(table.Find(-5)->value, -50);
  EXPECT_EQ(table.PositionOf(int64_t{1} << 40), keys.size() + 1);
  EXPECT_EQ(table.Find(2), nullptr);
  EXPECT_EQ(table.Find(static_cast<int64_t>(keys.size()) * 2 + 1), nullptr);
}

}  // namespace
}  // namespace ledgerlake::engine
