// Schema versions and change classification (catalog/evolution.h): which file makes a new version, of which kind,
// and which joins an existing one. Expected kinds follow the rules of docs/data-contract.md: extra columns are never an
// error, required columns and the contract's types are.
#include "catalog/evolution.h"

#include <gtest/gtest.h>

#include "catalog/test_support.h"

namespace ledgerlake::catalog {
namespace {

using contract::TableId;

const char* kAccountsHeader = "account_id,company_name,joining_date";

// Places `csvs` one after the other, as the catalog does, and returns every placement.
std::vector<Placement> PlaceAll(TableId table, const std::vector<std::string>& csvs) {
  std::vector<VersionInfo> versions;
  std::vector<Placement> out;
  for (const std::string& csv : csvs) {
    Placement p = Place(versions, Crawl(table, csv));
    if (p.new_version) {
      versions.push_back({p.version, p.change, p.columns});
    } else {
      for (VersionInfo& v : versions) {
        if (v.version == p.version) v.columns = p.columns;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string Accounts(const std::string& rows, const std::string& header = kAccountsHeader) {
  return header + "\n" + rows;
}

TEST(EvolutionTest, FirstFileIsTheInitialVersionAndTheSameSchemaJoinsIt) {
  const auto p =
      PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"), Accounts("2,B,2024-02-01\n3,C,2024-03-01\n")});
  EXPECT_TRUE(p[0].new_version);
  EXPECT_EQ(p[0].version, 1);
  EXPECT_EQ(p[0].change, ChangeKind::kInitial);
  EXPECT_TRUE(p[0].problems.empty());
  EXPECT_FALSE(p[1].new_version);
  EXPECT_EQ(p[1].version, 1);
}

TEST(EvolutionTest, AnAddedUnknownColumnIsCompatible) {
  const auto p = PlaceAll(
      TableId::kAccounts,
      {Accounts("1,A,2024-01-01\n"), Accounts("2,B,2024-02-01,VIC\n", std::string(kAccountsHeader) + ",region")});
  ASSERT_TRUE(p[1].new_version);
  EXPECT_EQ(p[1].version, 2);
  EXPECT_EQ(p[1].change, ChangeKind::kCompatible);
  EXPECT_EQ(p[1].detail, "added column region (text)");
  ASSERT_EQ(p[1].columns.size(), 4u);
  EXPECT_EQ(p[1].columns[3].name, "region");
  EXPECT_TRUE(p[1].problems.empty());
}

TEST(EvolutionTest, WidenedTypesAreCompatibleAndNarrowerFilesFit) {
  const std::string skus = "item_id,item_retail_price\n";
  const auto p = PlaceAll(TableId::kSkus, {skus + "1,5\n", skus + "2,5.50\n", skus + "3,7\n"});
  EXPECT_EQ(p[0].columns[1].TypeText(), "integer");
  ASSERT_TRUE(p[1].new_version);
  EXPECT_EQ(p[1].change, ChangeKind::kCompatible);
  EXPECT_EQ(p[1].detail, "item_retail_price widened integer -> decimal(2)");
  EXPECT_FALSE(p[2].new_version);  // integers fit a decimal column
  EXPECT_EQ(p[2].version, 2);

  const auto d = PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"), Accounts("2,B,2024-02-01 10:30:00\n")});
  ASSERT_TRUE(d[1].new_version);
  EXPECT_EQ(d[1].change, ChangeKind::kCompatible);
  EXPECT_EQ(d[1].detail, "joining_date widened date -> timestamp");
}

TEST(EvolutionTest, NullabilityAndMissingOptionalColumnsMakeNoVersion) {
  const auto p = PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"), Accounts("2,,2024-02-01\n"),
                                               Accounts("3,2024-03-01\n", "account_id,joining_date")});
  EXPECT_FALSE(p[1].new_version);
  EXPECT_FALSE(p[2].new_version);
  EXPECT_FALSE(p[0].columns[1].nullable);
  EXPECT_TRUE(p[1].columns[1].nullable);  // company_name, merged into version 1
}

TEST(EvolutionTest, SystematicallyBadDatesAreBreakingAndNameTheColumn) {
  const auto p =
      PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"), Accounts("2,B,24/11/2024\n3,C,25/11/2024\n")});
  ASSERT_TRUE(p[1].new_version);
  EXPECT_EQ(p[1].change, ChangeKind::kBreaking);
  ASSERT_EQ(p[1].problems.size(), 1u);
  EXPECT_EQ(p[1].problems[0].column, "joining_date");
  EXPECT_EQ(p[1].problems[0].detail,
            "2 of 2 values are not ISO dates (first: '24/11/2024' on line 2; they look like DD/MM/YYYY)");
  EXPECT_EQ(p[1].detail, "joining_date: " + p[1].problems[0].detail);
}

TEST(EvolutionTest, TheThresholdIsMoreThanHalfOfTheNonEmptyValues) {
  // 2 bad of 4: per-row rejects, no change. 3 bad of 5: breaking. Empty values do not count.
  const auto half = PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"),
                                                  Accounts("2,B,x\n3,C,y\n4,D,2024-01-04\n5,E,2024-01-05\n6,F,\n")});
  EXPECT_FALSE(half[1].new_version);
  EXPECT_TRUE(half[1].problems.empty());
  const auto more = PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"),
                                                  Accounts("2,B,x\n3,C,y\n4,D,z\n5,E,2024-01-05\n6,F,2024-01-06\n")});
  EXPECT_EQ(more[1].change, ChangeKind::kBreaking);
  EXPECT_EQ(more[1].problems[0].detail.substr(0, 36), "3 of 5 values are not ISO dates (fir");
}

TEST(EvolutionTest, OtherContractTypesBreakToo) {
  const auto prices = PlaceAll(TableId::kSkus, {"item_id,item_retail_price\n1,1.005\n"});
  EXPECT_EQ(prices[0].change, ChangeKind::kBreaking);  // even as the first file: the contract says 2 places
  EXPECT_EQ(prices[0].problems[0].column, "item_retail_price");
  EXPECT_NE(prices[0].problems[0].detail.find("not decimals with at most 2 places"), std::string::npos);
  const auto ids = PlaceAll(TableId::kLineItems,
                            {"invoice_id,item_id,quantity\n1,2,3\n", "invoice_id,item_id,quantity\n1,2,three\n"});
  EXPECT_EQ(ids[1].change, ChangeKind::kBreaking);
  EXPECT_EQ(ids[1].problems[0].column, "quantity");
  // Text columns of the contract cannot break, and neither can extra columns change kind from text to anything.
  const auto text = PlaceAll(TableId::kAccounts, {Accounts("1,123,2024-01-01\n"), Accounts("2,Acme,2024-01-01\n")});
  EXPECT_FALSE(text[1].new_version);
}

TEST(EvolutionTest, AMissingRequiredColumnIsBreaking) {
  const auto p = PlaceAll(TableId::kInvoices,
                          {"invoice_id,account_id,date_issued\n1,2,2024-01-01\n", "invoice_id,account_id\n1,2\n"});
  EXPECT_EQ(p[1].change, ChangeKind::kBreaking);
  ASSERT_EQ(p[1].problems.size(), 1u);
  EXPECT_EQ(p[1].problems[0].column, "date_issued");
  EXPECT_EQ(p[1].problems[0].detail, "required column date_issued is missing");
}

TEST(EvolutionTest, TheSameBreakageJoinsItsVersionAndAGoodFileReturnsToTheCurrentSchema) {
  const auto p = PlaceAll(TableId::kAccounts, {Accounts("1,A,2024-01-01\n"), Accounts("2,B,24/11/2024\n"),
                                               Accounts("3,C,25/11/2024\n"), Accounts("4,D,2024-11-26\n")});
  EXPECT_EQ(p[1].version, 2);
  EXPECT_EQ(p[1].change, ChangeKind::kBreaking);
  EXPECT_FALSE(p[2].new_version);
  EXPECT_EQ(p[2].version, 2);
  EXPECT_FALSE(p[2].problems.empty());  // still a breaking file, even without a new version
  // The good file is compared with version 1 (the current schema), not with the breaking version 2.
  EXPECT_FALSE(p[3].new_version);
  EXPECT_EQ(p[3].version, 1);
  EXPECT_TRUE(p[3].problems.empty());
}

TEST(EvolutionTest, FitsAndWidenFollowTheLattice) {
  const FileProfile f = Crawl(TableId::kAccounts, "account_id,joining_date,n\n1,2024-01-01,7\n");
  TableSchema s = Widen({}, f);
  EXPECT_TRUE(Fits(f, s));
  s[2].type = ColumnType::kDecimal;
  s[2].scale = 2;
  EXPECT_TRUE(Fits(f, s));
  s[2].type = ColumnType::kDate;
  EXPECT_FALSE(Fits(f, s));
  const TableSchema joined = Widen(s, f);
  EXPECT_EQ(joined[2].type, ColumnType::kText);  // date and integer: only text holds both
  EXPECT_EQ(DescribeChange(s, joined), "n widened date -> text");
}

}  // namespace
}  // namespace ledgerlake::catalog
