// Schema inference of one file: each type of the lattice, nullability, date formats, the contract's say over its
// own columns, and the counting of values that do not parse as the contract type.
#include "catalog/crawler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "catalog/test_support.h"
#include "contract/values.h"

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
  // A number or an ISO date among them does not share the format, in whichever order the values come (a file
  // read in parts must be typed as when read whole).
  for (const auto& values : std::vector<std::vector<std::string>>{{"5", "24/11/2024"}, {"24/11/2024", "5"},
                                                                  {"2024-11-24", "24/11/2024"},
                                                                  {"24/11/2024", "2024-11-24"},
                                                                  {"1.5", "24/11/2024", "25/11/2024"}}) {
    const ColumnSchema& x = Col(Crawl(TableId::kAccounts, Accounts("x", values)), "x").schema;
    EXPECT_EQ(x.type, ColumnType::kText) << values[0];
    EXPECT_EQ(x.format, "") << values[0];
  }
}

TEST(CrawlerTest, ContractColumnsAreTypedByTheContract) {
  // docs/data-contract.md: contact_phone is text even when every value looks like a number; joining_date is a date.
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

  // Decimals with 3 places are not contract decimals (docs/data-contract.md: more places are rejected, not rounded).
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

// The crawler checks short digit strings 8 bytes at a time: it must agree with the contract's ParseInteger on
// every value, whatever byte sits where, and at the end of a batch (where it cannot read 8 bytes ahead).
TEST(CrawlerTest, IntegerColumnsCountExactlyTheValuesParseIntegerRefuses) {
  std::mt19937_64 rng(5);
  const std::string alphabet = "0123456789012345678901234567890123456789/:+-. a\x7f";
  std::string csv = "invoice_id,item_id,quantity\n";
  uint64_t expected_failures = 0;
  for (int r = 0; r < 20000; ++r) {
    std::string v(std::uniform_int_distribution<size_t>(1, 20)(rng), '0');
    for (char& c : v) c = alphabet[std::uniform_int_distribution<size_t>(0, alphabet.size() - 1)(rng)];
    if (v.find_first_not_of(" ") == std::string::npos) v = "0";  // blanks only would be NULL
    int64_t n = 0;
    expected_failures += contract::ParseInteger(v, &n) ? 0 : 1;
    csv += "1,2," + v + "\n";
  }
  const FileProfile f = Crawl(TableId::kLineItems, csv);
  EXPECT_EQ(Col(f, "quantity").values, 20000u);
  EXPECT_EQ(Col(f, "quantity").contract_failures, expected_failures);
}

// Everything a profile says, as text, to compare two profiles whole.
std::string Describe(const FileProfile& f) {
  std::ostringstream os;
  os << "records " << f.records << " skipped " << f.skipped << " missing";
  for (const std::string& m : f.missing_required) os << " " << m;
  os << "\n";
  for (const ColumnProfile& c : f.columns) {
    os << c.schema.name << " " << c.schema.TypeText() << " nullable " << c.schema.nullable << " format '"
       << c.schema.format << "' contract " << c.contract_column << " values " << c.values << " failures "
       << c.contract_failures << " example '" << c.failure_example << "' line " << c.failure_line
       << " failure format '" << c.failure_format << "'\n";
  }
  return os.str();
}

// A random value for a column: mostly of one kind, with some of every other kind (and the odd broken record).
std::string RandomValue(std::mt19937_64& rng, int kind) {
  static const char* kOthers[] = {"", "  ", "7", "-3", "2.5", "1.125", "2024-02-29", "2023-02-29",
                                  "2024-11-24 10:00:00", "2024-11-24T10:00:00Z", "24/11/2024", "11/24/2024",
                                  "2024/11/24", "abc", "\"q, \"\"x\"\"\"", " 12 ", "\"multi\nline\""};
  if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
    return kOthers[std::uniform_int_distribution<size_t>(0, std::size(kOthers) - 1)(rng)];
  }
  const int n = std::uniform_int_distribution<int>(1, 28)(rng);
  switch (kind) {
    case 0: return std::to_string(n * 1000 + 7);
    case 1: return std::to_string(n) + "." + std::to_string(n % 10);
    case 2: return "2024-0" + std::to_string(1 + n % 9) + "-" + (n < 10 ? "0" : "") + std::to_string(n);
    case 3: return std::to_string(n) + "/11/2024";
    default: return "text " + std::to_string(n);
  }
}

TEST(CrawlerPartsTest, AFileReadInPartsIsProfiledAsWhenReadWhole) {
  const std::string path = std::filesystem::temp_directory_path().string() + "/ll-crawl-parts-" +
                           std::to_string(::getpid()) + ".csv";
  std::mt19937_64 rng(99);
  TaskPool pool(2);
  for (int iter = 0; iter < 40; ++iter) {
    // Invoices (integers, dates, a text-typed extra column) with extra columns of every kind.
    std::string csv = iter % 3 == 0 ? "\xEF\xBB\xBF" : "";
    csv += "invoice_id,account_id,date_issued,payment_dates,e0,e1,e2,e3,e4\n";
    const int rows = std::uniform_int_distribution<int>(0, 400)(rng);
    const int kinds[] = {0, 0, 2, 2, 0, 1, 2, 3, 4};
    for (int r = 0; r < rows; ++r) {
      if (std::uniform_int_distribution<int>(0, 50)(rng) == 0) csv += "\"broken,1\n";
      for (int c = 0; c < 9; ++c) csv += (c ? "," : "") + RandomValue(rng, kinds[c]);
      csv += "\n";
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << csv;
    auto whole = CrawlStream(csv::ByteSource::FromString(csv), TableId::kInvoices, "x.csv");
    ASSERT_TRUE(whole.ok()) << whole.status().message();
    for (size_t parts : {1, 2, 3, 7, 16}) {
      auto in_parts = CrawlPlainFile(path, TableId::kInvoices, "x.csv", pool, parts);
      ASSERT_TRUE(in_parts.ok()) << in_parts.status().message();
      EXPECT_EQ(Describe(*in_parts), Describe(*whole)) << "iteration " << iter << ", " << parts << " parts";
    }
    if (HasFailure()) break;
  }
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace ledgerlake::catalog
