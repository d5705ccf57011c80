#include "lake/run.h"

#include <gtest/gtest.h>

#include "engine/partitioning.h"

namespace ledgerlake::lake {
namespace {

LandedFile File(contract::TableId table, uint64_t decoded_bytes) {
  LandedFile f;
  f.table = table;
  f.decoded_bytes = decoded_bytes;
  f.bytes = decoded_bytes / 5;  // as if gzip: the model goes by decoded bytes
  return f;
}

constexpr uint64_t kMiB = uint64_t{1} << 20;

TEST(PassesForTest, TheFewestPassesWhoseEstimatedPeakFits) {
  const LandedFile invoices = File(contract::TableId::kInvoices, 400 * kMiB);
  const LandedFile lines = File(contract::TableId::kLineItems, 600 * kMiB);
  const LandedFile skus = File(contract::TableId::kSkus, 900 * kMiB);  // every pass holds the skus: not counted
  const std::vector<const LandedFile*> files = {&invoices, &lines, &skus};
  // One pass would peak at about 2 x 1000 MiB + the fixed part.
  EXPECT_EQ(*PassesFor(files, 2000 * kMiB + kFixedPeakBytes), 1u);
  EXPECT_EQ(*PassesFor(files, 1999 * kMiB + kFixedPeakBytes), 2u);
  EXPECT_EQ(*PassesFor(files, 1000 * kMiB + kFixedPeakBytes), 2u);
  EXPECT_EQ(*PassesFor(files, 500 * kMiB + kFixedPeakBytes), 4u);
  EXPECT_EQ(*PassesFor(files, 499 * kMiB + kFixedPeakBytes), 5u);
  EXPECT_EQ(*PassesFor({}, kFixedPeakBytes), 1u);
  // Below the fixed part, or needing more passes than there can be buckets: refused, with both sizes named.
  const auto refused = PassesFor(files, kFixedPeakBytes);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("1000 MiB of extracts"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(PassesFor(files, kFixedPeakBytes + 7 * kMiB).ok());
  EXPECT_EQ(*PassesFor(files, kFixedPeakBytes + 8 * kMiB), 250u);
}

}  // namespace
}  // namespace ledgerlake::lake
