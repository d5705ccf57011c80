#include "job/quality.h"

#include <gtest/gtest.h>

namespace ledgerlake::job {
namespace {

const catalog::CheckResult* Find(const std::vector<catalog::CheckResult>& checks, const std::string& name) {
  for (const catalog::CheckResult& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(QualityTest, ChecksCompareEachMetricWithTheRunBefore) {
  const Profile before = {{"rows:invoice_features", 1000},
                          {"rows:rejects", 10},
                          {"late_rate", 0.30},
                          {"null_rate:invoice_features.acct_age", 0.0},
                          {"mean:invoice_features.inv_total", 200.0},
                          {"p50:invoice_features.inv_total", 150.0}};
  const Profile after = {{"rows:invoice_features", 940},   // 6% fewer rows
                         {"rows:rejects", 40},             // more rows: no drop
                         {"late_rate", 0.45},              // +0.15
                         {"null_rate:invoice_features.acct_age", 0.05},
                         {"mean:invoice_features.inv_total", 260.0},  // +30%
                         {"p50:invoice_features.inv_total", 10.0},
                         {"rows:pending", 3}};             // new metric: nothing to compare with
  const std::vector<catalog::CheckResult> checks = CompareProfiles(before, after, CheckThresholds{});
  ASSERT_EQ(checks.size(), 5u);  // quantiles and metrics without a previous value are not checked
  const catalog::CheckResult* drop = Find(checks, "row_drop:invoice_features");
  ASSERT_NE(drop, nullptr);
  EXPECT_NEAR(drop->value, 0.06, 1e-9);
  EXPECT_FALSE(drop->ok);
  EXPECT_EQ(drop->previous, 1000);
  EXPECT_EQ(drop->current, 940);
  EXPECT_TRUE(Find(checks, "row_drop:rejects")->ok);
  EXPECT_EQ(Find(checks, "row_drop:rejects")->value, 0);
  EXPECT_NEAR(Find(checks, "late_rate_change")->value, 0.15, 1e-9);
  EXPECT_FALSE(Find(checks, "late_rate_change")->ok);
  EXPECT_TRUE(Find(checks, "null_rate_change:invoice_features.acct_age")->ok);
  EXPECT_NEAR(Find(checks, "mean_change:invoice_features.inv_total")->value, 0.3, 1e-9);
  EXPECT_TRUE(Find(checks, "mean_change:invoice_features.inv_total")->ok);

  CheckThresholds strict;
  strict.max_mean_change = 0.25;
  EXPECT_FALSE(Find(CompareProfiles(before, after, strict), "mean_change:invoice_features.inv_total")->ok);
  EXPECT_TRUE(CompareProfiles({}, after, CheckThresholds{}).empty());  // the first run: nothing to compare
}

}  // namespace
}  // namespace ledgerlake::job
