#include "engine/partitioning.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>

#include "util/stream_hash.h"

namespace ledgerlake::engine {
namespace {

TEST(BucketOfTest, SpreadsConsecutiveIdsEvenly) {
  constexpr uint32_t kBuckets = 7;
  std::vector<int> count(kBuckets, 0);
  for (int64_t id = 1; id <= 70000; ++id) ++count[BucketOf(id, kBuckets)];
  for (int c : count) EXPECT_NEAR(c, 10000, 400);
}

// The router against a std::map of the last account recorded per invoice, over dense, negative and far ids,
// with re-recorded invoices moving between accounts and the direct array growing past sparse ids.
TEST(InvoiceRouterTest, TheLastRecordedAccountDecidesTheBucket) {
  for (uint32_t buckets : {2u, 5u, kMaxBuckets}) {
    std::mt19937_64 rng(buckets);
    InvoiceRouter router(buckets);
    std::map<int64_t, int64_t> account_of;
    for (int i = 0; i < 200000; ++i) {
      int64_t id;
      switch (rng() % 8) {
        case 0: id = -static_cast<int64_t>(rng() % 1000); break;
        case 1: id = static_cast<int64_t>(rng() >> 2); break;   // far beyond any direct array
        case 2: id = static_cast<int64_t>(rng() % 3000000); break;  // ahead of the array: sparse, then moved in
        default: id = i; break;
      }
      const auto account = static_cast<int64_t>(rng() % 5000);
      router.Record(id, account);
      account_of[id] = account;
    }
    EXPECT_EQ(router.size(), account_of.size());
    for (const auto& [id, account] : account_of) {
      ASSERT_EQ(router.BucketOfInvoice(id), BucketOf(account, buckets)) << "invoice " << id;
    }
    // An invoice never recorded goes to its own id's bucket.
    EXPECT_EQ(router.BucketOfInvoice(-5000000), BucketOf(-5000000, buckets));
  }
}

contract::InvoiceRow Invoice(int64_t id, int64_t account) {
  return contract::InvoiceRow{id, account, 0, 0, contract::Payment::kUnpaid};
}

TEST(RowFilterTest, EachRowHasOnePassAndSkusAreInEvery) {
  Routing router(3, nullptr);
  const RowFilter record = RowFilter::Recording(router);
  EXPECT_FALSE(record.Keep(Invoice(9, 41)));
  EXPECT_FALSE(record.KeepRejects(contract::TableId::kInvoices));
  EXPECT_FALSE(record.RoutesAway());
  const uint32_t home = BucketOf(41, 3);  // invoice 9 and its lines follow account 41
  int sku_rejects_kept = 0;
  for (uint32_t b = 0; b < 3; ++b) {
    const RowFilter f = RowFilter::Bucket(router, b);
    EXPECT_EQ(f.RoutesAway(), b == 0);  // pass 0 reads the landed files and spills the other buckets' rows
    EXPECT_EQ(f.BucketOfKey(contract::TableId::kInvoices, 9), home);
    EXPECT_EQ(f.BucketOfKey(contract::TableId::kLineItems, 9), home);
    EXPECT_EQ(f.BucketOfKey(contract::TableId::kAccounts, 41), home);
    EXPECT_EQ(f.BucketOfKey(contract::TableId::kSkus, 1), b);  // skus stay in every pass
    EXPECT_EQ(f.Keep(Invoice(9, 7)), b == home);
    EXPECT_EQ(f.Keep(contract::LineItemRow{9, 1, 1}), b == home);
    EXPECT_EQ(f.Keep(contract::AccountRow{41, 0}), b == home);
    EXPECT_TRUE(f.Keep(contract::SkuRow{1, 100}));
    EXPECT_TRUE(f.KeepRejects(contract::TableId::kInvoices));  // a pass decodes only its own rows
    sku_rejects_kept += f.KeepRejects(contract::TableId::kSkus);
  }
  EXPECT_EQ(sku_rejects_kept, 1);
}

// An incremental run in passes routes by its own invoice rows first, then the base's routes, then the invoice id.
TEST(RoutingTest, ThisRunsRowsOverTheBase) {
  InvoiceRouter base(4);
  base.Record(1, 10);
  base.Record(2, 20);
  Routing routing(4, &base);
  routing.run().Record(2, 21);  // re-sent with another account
  routing.run().Record(3, 30);  // new
  EXPECT_EQ(routing.BucketOfInvoice(1), BucketOf(10, 4));
  EXPECT_EQ(routing.BucketOfInvoice(2), BucketOf(21, 4));
  EXPECT_EQ(routing.BucketOfInvoice(3), BucketOf(30, 4));
  EXPECT_EQ(routing.BucketOfInvoice(4), BucketOf(4, 4));  // unknown: its own id's bucket
  const InvoiceRouter merged = routing.Merged();
  EXPECT_EQ(merged.size(), 3u);
  for (int64_t id : {1, 2, 3}) EXPECT_EQ(merged.BucketOfInvoice(id), routing.BucketOfInvoice(id)) << id;
}

// A move is an invoice whose bucket this run differs from where the base keeps it: in the base's routes, or, for
// an invoice the base knows only by its waiting line items, the bucket of its id.
TEST(RoutingTest, MovesAreInvoicesThatChangeBucket) {
  constexpr uint32_t kBuckets = 5;
  // Find accounts in different buckets.
  int64_t a = 1, b = 2;
  while (BucketOf(b, kBuckets) == BucketOf(a, kBuckets)) ++b;
  int64_t orphan = 100;
  while (BucketOf(orphan, kBuckets) == BucketOf(a, kBuckets)) ++orphan;
  InvoiceRouter base(kBuckets);
  base.Record(1, a);
  base.Record(2, a);
  Routing routing(kBuckets, &base);
  routing.run().Record(1, a);       // re-sent, same account: stays
  routing.run().Record(2, b);       // moved to another bucket's account
  routing.run().Record(orphan, a);  // its lines waited in the bucket of its id, which is not a's
  routing.run().Record(7, b);       // new, nothing waited: no move
  EXPECT_EQ(routing.Moves({orphan}), (std::vector<int64_t>{2, orphan}));
  EXPECT_EQ(routing.Moves({}), (std::vector<int64_t>{2}));
  Routing fresh(kBuckets, nullptr);
  fresh.run().Record(2, b);
  EXPECT_TRUE(fresh.Moves({}).empty());
}

class RoutesFileTest : public ::testing::Test {
 protected:
  std::string Path() const {
    return ::testing::TempDir() + "/routes-" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }
};

TEST_F(RoutesFileTest, RoundTripsDenseSparseAndOrphans) {
  InvoiceRouter routes(7);
  std::map<int64_t, uint32_t> expected;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50000; ++i) {
    const int64_t id = (i % 10 == 0) ? -static_cast<int64_t>(rng() % 100000) - 1
                       : (i % 10 == 1) ? static_cast<int64_t>(rng() >> 3)
                                       : i;
    const uint32_t bucket = static_cast<uint32_t>(rng() % 7);
    routes.Set(id, bucket);
    expected[id] = bucket;
  }
  const std::vector<int64_t> orphans = {-9, 4, 1LL << 40};
  ASSERT_TRUE(SaveRoutes(routes, orphans, Path()).ok());
  auto loaded = LoadRoutes(Path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->routes.buckets(), 7u);
  EXPECT_EQ(loaded->routes.size(), expected.size());
  EXPECT_EQ(loaded->orphans, orphans);
  for (const auto& [id, bucket] : expected) ASSERT_EQ(loaded->routes.Find(id), bucket) << id;
}

TEST_F(RoutesFileTest, SavingWhatWasLoadedWritesTheSameBytes) {
  InvoiceRouter routes(5);
  for (int64_t id = 0; id < 200000; id += 3) routes.Set(id, static_cast<uint32_t>(id % 5));
  for (int64_t id : {-4LL, 1LL << 36, 5000000LL}) routes.Set(id, 2);
  auto read = [&] {
    std::ifstream in(Path(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  ASSERT_TRUE(SaveRoutes(routes, {7}, Path()).ok());
  const std::string first = read();
  auto loaded = LoadRoutes(Path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(SaveRoutes(loaded->routes, loaded->orphans, Path()).ok());
  EXPECT_TRUE(read() == first);  // not printed: 200 KB
  EXPECT_EQ(loaded->routes.Find(5000000), 2u);
  EXPECT_EQ(loaded->routes.Find(1LL << 36), 2u);
  EXPECT_EQ(loaded->routes.Find(1), std::nullopt);
}

TEST_F(RoutesFileTest, ABucketOutOfRangeIsAnUnusableCache) {
  InvoiceRouter routes(3);
  for (int64_t id = 0; id < 100; ++id) routes.Set(id, 1);
  ASSERT_TRUE(SaveRoutes(routes, {}, Path()).ok());
  std::string bytes;
  {
    std::ifstream in(Path(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t head = 8 + 4 + 3 * 8;
  bytes[head + 50] = 9;  // bucket 8 of 3, with the checksum made to match
  StreamHash hash;
  hash.Update(bytes.data(), bytes.size() - 8);
  const uint64_t sum = hash.Final();
  std::memcpy(bytes.data() + bytes.size() - 8, &sum, sizeof sum);
  std::ofstream(Path(), std::ios::binary | std::ios::trunc) << bytes;
  EXPECT_EQ(LoadRoutes(Path()).status().code(), Status::Code::kUnusableCache);
}

TEST_F(RoutesFileTest, DamageIsAnUnusableCache) {
  InvoiceRouter routes(3);
  for (int64_t id = 0; id < 1000; ++id) routes.Record(id, id * 7);
  ASSERT_TRUE(SaveRoutes(routes, {5}, Path()).ok());
  std::string bytes;
  {
    std::ifstream in(Path(), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::string& s) { std::ofstream(Path(), std::ios::binary | std::ios::trunc) << s; };
  for (size_t at : {size_t{0}, size_t{9}, size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    write(damaged);
    const auto r = LoadRoutes(Path());
    ASSERT_FALSE(r.ok()) << "byte " << at;
    EXPECT_EQ(r.status().code(), Status::Code::kUnusableCache) << "byte " << at;
  }
  write(bytes.substr(0, bytes.size() - 3));
  EXPECT_EQ(LoadRoutes(Path()).status().code(), Status::Code::kUnusableCache);
  std::remove(Path().c_str());
  EXPECT_EQ(LoadRoutes(Path()).status().code(), Status::Code::kUnusableCache);
}

}  // namespace
}  // namespace ledgerlake::engine
