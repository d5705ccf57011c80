#include "query/grants.h"

#include <gtest/gtest.h>

namespace ledgerlake::query {
namespace {

TEST(GrantsTest, ADatasetGrantCoversItsHistoryAndNothingElse) {
  auto g = Grants::Of({"invoice_features", "raw_accounts"});
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_FALSE(g->all());
  EXPECT_TRUE(g->Allows("invoice_features"));
  EXPECT_TRUE(g->Allows("invoice_features_history"));
  EXPECT_TRUE(g->Allows("raw_accounts"));
  EXPECT_FALSE(g->Allows("account_invoice_features"));
  EXPECT_FALSE(g->Allows("accounts"));
  EXPECT_FALSE(g->Allows("account_features_history"));
  EXPECT_EQ(g->Views(), (std::vector<std::string>{"invoice_features", "raw_accounts"}));
}

TEST(GrantsTest, StarIsEveryViewAndUnknownNamesAreRefused) {
  auto all = Grants::Of({"*"});
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->all());
  EXPECT_TRUE(all->Allows("pending"));
  EXPECT_TRUE(Grants::All().Allows("raw_skus"));
  auto bad = Grants::Of({"invoice_features", "invoice_features_history"});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'invoice_features_history' is not a view"), std::string::npos);
  EXPECT_FALSE(Grants::Of({"/etc/passwd"}).ok());
  EXPECT_TRUE(Grants().Views().empty());
}

TEST(GrantsTest, LakeViewsAreKnownWithTheirHistories) {
  EXPECT_TRUE(Grants::IsLakeView("rejects"));
  EXPECT_TRUE(Grants::IsLakeView("rejects_history"));
  EXPECT_TRUE(Grants::IsLakeView("raw_invoice_line_items"));
  EXPECT_TRUE(Grants::IsLakeView("incomplete_invoices"));
  EXPECT_FALSE(Grants::IsLakeView("my_cte"));
}

}  // namespace
}  // namespace ledgerlake::query
