#include "engine/partitioning.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

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
  InvoiceRouter router(3);
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

}  // namespace
}  // namespace ledgerlake::engine
