// Schema inference of one file: each type of the lattice, nullability, date formats, the contract's say over its
// own columns, and the counting of values that do not parse as the contract type.
#include "catalog/crawler.h"

#include <gtest/gtest.h>

#include "catalog/test_support.h"

namespace ledgerlake::catalog {
namespace {

using contract::TableId;

const ColumnProfile& Col(const FileProfile& f, const std::string& name) {
  for (const ColumnProfile& c : f.columns) {
    if (c.schema.name == name) return c;
  }
  static ColumnProfile none;
  ADD_FAILURE() << "no column " << name;
  return none;
}

// An accounts header (all required columns) plus extra columns whose inference is under test.
std::string Accounts(const std::string& extra_header, const std::vector<std::string>& extra_values) {
  std::string csv = "account_id,joining_date," + extra_header + "\n";
  for (size_t i = 0; i < extra_values.size(); ++i) {
    csv += std::to_string(i + 1) + ",2024-01-01," + extra_values[i] + "\n";
  }
  return csv;
}

TEST(CrawlerTest, InfersEachTypeOfExtraColumns) {
  const FileProfile f =
      Crawl(TableId::kAccounts, Accounts("n,d,day,ts,t", {"1,1.5,2024-11-24,2024-11-24 10:00:00,a",
                                                          "-20,3.125,2024-02-29,2024-11-24 23:59:59.5+10:00,1",
                                                          "+3,7,2023-12-31,2024-11-24,2024-01-01"}));
  EXPECT_EQ(f.records, 3u);
  EXPECT_EQ(f.skipped, 0u);
  EXPECT_EQ(Col(f, "n").schema.type, ColumnType::kInteger);
  EXPECT_EQ(Col(f, "d").schema.type, ColumnType::kDecimal);
  EXPECT_EQ(Col(f, "d").schema.scale, 3);
  EXPECT_EQ(Col(f, "d").schema.TypeText(), "decimal(3)");
  EXPECT_EQ(Col(f, "day").schema.type, ColumnType::kDate);
  EXPECT_EQ(Col(f, "day").schema.format, "YYYY-MM-DD");
  EXPECT_EQ(Col(f, "ts").schema.type, ColumnType::kTimestamp);  // a date among timestamps is still a timestamp
  EXPECT_EQ(Col(f, "ts").schema.format, "YYYY-MM-DD hh:mm:ss");
  EXPECT_EQ(Col(f, "t").schema.type, ColumnType::kText);
  for (const char* c : {"n", "d", "day", "ts", "t"}) {
    EXPECT_EQ(Col(f, c).contract_column, -1) << c;
    EXPECT_FALSE(Col(f, c).schema.nullable) << c;
    EXPECT_EQ(Col(f, c).values, 3u) << c;
  }
}

TEST(CrawlerTest, TimestampFormatKeepsTheSeparator) {
  const FileProfile f = Crawl(TableId::kAccounts, Accounts("ts", {"2024-11-24T10:00:00Z"}));
  EXPECT_EQ(Col(f, "ts").schema.type, ColumnType::kTimestamp);
  EXPECT_EQ(Col(f, "ts").schema.format, "YYYY-MM-DDThh:mm:ss");
}

TEST(CrawlerTest, EmptyAndBlankValuesAreNullAndDoNotDecideTheType) {
  // Row 2: unquoted empty (NULL); row 3: blanks only (NULL for the validator too).
  const FileProfile f = Crawl(TableId::kAccounts, Accounts("n,e", {"5,", ",", "  ,  "}));
  EXPECT_EQ(Col(f, "n").schema.type, ColumnType::kInteger);
  EXPECT_TRUE(Col(f, "n").schema.nullable);
  EXPECT_EQ(Col(f, "n").values, 1u);
  // A column with no value at all: text (nothing says otherwise), nullable.
  EXPECT_EQ(Col(f, "e").schema.type, ColumnType::kText);
  EXPECT_TRUE(Col(f, "e").schema.nullable);
  EXPECT_EQ(Col(f, "e").values, 0u);
}

TEST(CrawlerTest, NonIsoDatesAreTextWithTheirFormat) {
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"24/11/2024", "01/02/2024"})), "x").schema.format,
            "DD/MM/YYYY");
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"11/24/2024", "1/2/2024"})), "x").schema.format, "MM/DD/YYYY");
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"01.02.2024", "03.04.2024"})), "x").schema.format,
            "NN.NN.YYYY");
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"2024/11/24"})), "x").schema.format, "YYYY/MM/DD");
  // Mixed separators or orders, or other text: no format.
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"24/11/2024", "24.11.2024"})), "x").schema.format, "");
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"24/11/2024", "11/24/2024"})), "x").schema.format, "");
  EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {"24/11/2024", "soon"})), "x").schema.format, "");
  for (const char* csv : {"24/11/2024", "2024/11/24"}) {
    EXPECT_EQ(Col(Crawl(TableId::kAccounts, Accounts("x", {csv})), "x").schema.type, ColumnType::kText) << csv;
  }
}

TEST(CrawlerTest, ContractColumnsAreTypedByTheContract) {
  // data-contract.md: contact_phone is text even when every value looks like a number; joining_date is a date.
  const FileProfile f = Crawl(TableId::kAccounts,
                              "account_id,contact_phone,joining_date,gender\n"
                              "1,0400000001,2024-01-01,F\n"
                              "2,0400000002,2024-01-02,\n");
  EXPECT_EQ(Col(f, "account_id").contract_column, 0);
  EXPECT_EQ(Col(f, "account_id").schema.type, ColumnType::kInteger);
  EXPECT_EQ(Col(f, "contact_phone").schema.type, ColumnType::kText);
  EXPECT_EQ(Col(f, "joining_date").schema.type, ColumnType::kDate);
  EXPECT_TRUE(Col(f, "gender").schema.nullable);
  EXPECT_FALSE(Col(f, "joining_date").schema.nullable);
  EXPECT_TRUE(f.missing_required.empty());
}

TEST(CrawlerTest, ContractDecimalsNarrowToIntegerOrTheirScale) {
  const FileProfile whole = Crawl(TableId::kSkus, "item_id,item_retail_price,item_cost_price\n1,5,3\n2,7,4\n");
  EXPECT_EQ(Col(whole, "item_retail_price").schema.type, ColumnType::kInteger);
  const FileProfile cents = Crawl(TableId::kSkus, "item_id,item_retail_price,item_cost_price\n1,5,3.5\n2,7.25,4\n");
  EXPECT_EQ(Col(cents, "item_retail_price").schema.TypeText(), "decimal(2)");
  EXPECT_EQ(Col(cents, "item_cost_price").schema.TypeText(), "decimal(1)");
}

TEST(CrawlerTest, HeaderNamesFollowTheContractRules) {
  // Case-insensitive, blanks ignored, payment_date accepted for payment_dates; the canonical name is recorded.
  const FileProfile f =
      Crawl(TableId::kInvoices, " Invoice_ID ,ACCOUNT_ID,date_issued,Payment_Date\n1,2,2024-01-01,\n");
  ASSERT_EQ(f.columns.size(), 4u);
  EXPECT_EQ(f.columns[0].schema.name, "invoice_id");
  EXPECT_EQ(f.columns[3].schema.name, "payment_dates");
  EXPECT_EQ(f.columns[3].contract_column, 3);
  EXPECT_EQ(f.columns[3].schema.type, ColumnType::kDate);  // no value: the contract's type
  EXPECT_TRUE(f.columns[3].schema.nullable);
}

TEST(CrawlerTest, MissingRequiredColumnsAreListed) {
  const FileProfile f = Crawl(TableId::kInvoices, "invoice_id,payment_dates\n1,2024-01-01\n");
  EXPECT_EQ(f.missing_required, (std::vector<std::string>{"account_id", "date_issued"}));
}

TEST(CrawlerTest, CountsValuesThatDoNotParseAsTheContractType) {
  // One bad date among three: a per-row problem; the column stays a date.
  const FileProfile few =
      Crawl(TableId::kAccounts, "account_id,joining_date\n1,2024-01-01\n2,01/02/2024\n3,2024-01-03\n");
  const ColumnProfile& d = Col(few, "joining_date");
  EXPECT_EQ(d.values, 3u);
  EXPECT_EQ(d.contract_failures, 1u);
  EXPECT_EQ(d.failure_example, "01/02/2024");
  EXPECT_EQ(d.failure_line, 3u);
  EXPECT_EQ(d.schema.type, ColumnType::kDate);

  // Mostly DD/MM/YYYY: typed over all values.
  const FileProfile most =
      Crawl(TableId::kAccounts, "account_id,joining_date\n1,24/11/2024\n2,25/11/2024\n3,2024-11-26\n");
  const ColumnProfile& m = Col(most, "joining_date");
  EXPECT_EQ(m.contract_failures, 2u);
  EXPECT_EQ(m.failure_example, "24/11/2024");
  EXPECT_EQ(m.failure_line, 2u);
  EXPECT_EQ(m.failure_format, "DD/MM/YYYY");
  EXPECT_EQ(m.schema.type, ColumnType::kText);

  // Decimals with 3 places are not contract decimals (data-contract.md: more places are rejected, not rounded).
  const FileProfile prices = Crawl(TableId::kSkus, "item_id,item_retail_price\n1,1.005\n2,2.125\n");
  EXPECT_EQ(Col(prices, "item_retail_price").contract_failures, 2u);
  EXPECT_EQ(Col(prices, "item_retail_price").schema.TypeText(), "decimal(3)");
  // Identifiers that are not integers.
  const FileProfile ids = Crawl(TableId::kLineItems, "invoice_id,item_id,quantity\nA1,1,1\nA2,1,2.5\n");
  EXPECT_EQ(Col(ids, "invoice_id").contract_failures, 2u);
  EXPECT_EQ(Col(ids, "invoice_id").schema.type, ColumnType::kText);
  EXPECT_EQ(Col(ids, "quantity").contract_failures, 1u);
}

TEST(CrawlerTest, MalformedRecordsAreCountedNotProfiled) {
  // Line 3 has a field too many, line 4 an unterminated quote: rejects for the validator, not evidence of type.
  const FileProfile f =
      Crawl(TableId::kAccounts, "account_id,joining_date\n1,2024-01-01\n2,x,y\n\"3,2024-01-03\n4,2024-01-04\n");
  EXPECT_EQ(f.records, 4u);
  EXPECT_EQ(f.skipped, 2u);
  EXPECT_EQ(Col(f, "account_id").values, 2u);
  EXPECT_EQ(Col(f, "joining_date").contract_failures, 0u);
}

TEST(CrawlerTest, QuotedAndEscapedValuesAreTyped) {
  const FileProfile f =
      Crawl(TableId::kAccounts, "account_id,joining_date,note\n\"1\",\"2024-01-01\",\"a \"\"b\"\"\"\n");
  EXPECT_EQ(Col(f, "account_id").contract_failures, 0u);
  EXPECT_EQ(Col(f, "joining_date").schema.type, ColumnType::kDate);
  EXPECT_EQ(Col(f, "note").schema.type, ColumnType::kText);
}

TEST(CrawlerTest, UnreadableInputFailsNamingIt) {
  auto p = CrawlStream(csv::ByteSource::FromString(""), TableId::kAccounts, "empty.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("empty.csv"), std::string::npos);
  auto missing = CrawlFile("/nonexistent/accounts.csv", TableId::kAccounts);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/accounts.csv"), std::string::npos);
}

}  // namespace
}  // namespace ledgerlake::catalog
