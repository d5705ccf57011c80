#include "catalog/tokens.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog.h"

namespace ledgerlake::catalog {
namespace {

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ll-tokens-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    auto lake = lake::Lake::Init(dir_);
    ASSERT_TRUE(lake.ok()) << lake.status().message();
    lake_.emplace(std::move(*lake));
    auto cat = Catalog::Open(*lake_);
    ASSERT_TRUE(cat.ok()) << cat.status().message();
    cat_.emplace(std::move(*cat));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
  std::optional<lake::Lake> lake_;
  std::optional<Catalog> cat_;
};

TEST_F(TokensTest, ATokenMatchesOnlyItself) {
  auto token = cat_->CreateToken("finance", "fin");
  ASSERT_TRUE(token.ok()) << token.status().message();
  ASSERT_TRUE(TokenId(*token).has_value());
  auto valid = cat_->ValidTokens();
  ASSERT_TRUE(valid.ok());
  ASSERT_EQ(valid->size(), 1u);
  const StoredToken& stored = (*valid)[0];
  EXPECT_EQ(stored.info.name, "fin");
  EXPECT_EQ(stored.info.role, "finance");
  EXPECT_EQ(stored.info.id, *TokenId(*token));
  EXPECT_EQ(stored.secret_sha256_hex.size(), 64u);
  EXPECT_EQ(token->find(stored.secret_sha256_hex), std::string::npos);
  EXPECT_TRUE(TokenMatches(*token, stored));
  std::string wrong = *token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(TokenMatches(wrong, stored));
  EXPECT_FALSE(TokenMatches(token->substr(0, token->size() - 1), stored));
  EXPECT_FALSE(TokenId("Bearer x").has_value());
  EXPECT_FALSE(TokenId("ll_ABCDEF000000_" + std::string(64, '0')).has_value());  // hex is lower-case
}

TEST_F(TokensTest, NamesAreUniqueAndRevocationSticks) {
  ASSERT_TRUE(cat_->CreateToken("admin", "a").ok());
  EXPECT_FALSE(cat_->CreateToken("admin", "a").ok());
  EXPECT_FALSE(cat_->CreateToken("admin", "has space").ok());
  auto unnamed = cat_->CreateToken("admin", "");
  ASSERT_TRUE(unnamed.ok());
  auto listed = cat_->ListTokens();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "token-" + *TokenId(*unnamed));
  EXPECT_TRUE(cat_->RevokeToken("a").ok());
  EXPECT_EQ(cat_->RevokeToken("a").code(), Status::Code::kNotFound);
  EXPECT_EQ(cat_->ValidTokens()->size(), 1u);
  EXPECT_TRUE(cat_->ListTokens()->at(0).revoked_unix_ms.has_value());
}

TEST_F(TokensTest, AReservedRunIdIsNeverHandedOutAgain) {
  auto first = cat_->ReserveRunId();
  auto second = cat_->ReserveRunId();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*second, *first + 1);
  RunRecord run = FailedRecord(20000, true, "test", {}, 1, 2);
  auto id = cat_->RecordRun(run);  // no id given: the next free one, after both reserved
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, *second + 1);
  run.run_id = *first;  // the reserved id, given
  auto given = cat_->RecordRun(run);
  ASSERT_TRUE(given.ok()) << given.status().message();
  EXPECT_EQ(*given, *first);
}

}  // namespace
}  // namespace ledgerlake::catalog
