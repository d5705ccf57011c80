#include "contract/values.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cstring>
#include <random>
#include <string>

#include "contract/schema.h"

namespace ledgerlake::contract {
namespace {

TEST(ParseIntegerTest, AcceptsSignedSixtyFourBit) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInteger("42", &v));
  EXPECT_EQ(v, 42);
  EXPECT_TRUE(ParseInteger("-7", &v));
  EXPECT_EQ(v, -7);
  EXPECT_TRUE(ParseInteger("+7", &v));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(ParseInteger(" 12 ", &v));
  EXPECT_EQ(v, 12);
  EXPECT_TRUE(ParseInteger("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseInteger("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
}

TEST(ParseIntegerTest, RejectsEverythingElse) {
  int64_t v = 0;
  for (const char* bad : {"", "-", "+", "1.0", "1e3", "abc", "12a", "9223372036854775808", "0x10", "1 2", "--1"}) {
    EXPECT_FALSE(ParseInteger(bad, &v)) << bad;
  }
}

// Against std::from_chars over signed digit strings of every length around the fast path's 18-digit limit.
TEST(ParseIntegerTest, AgreesWithFromCharsAtEveryLength) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20000; ++round) {
    const size_t digits = 1 + rng() % 22;
    std::string s;
    const int sign = static_cast<int>(rng() % 3);  // none, '-', '+'
    if (sign == 1) s += '-';
    if (sign == 2) s += '+';
    for (size_t i = 0; i < digits; ++i) s += static_cast<char>('0' + (i == 0 && rng() % 4 == 0 ? 9 : rng() % 10));
    int64_t expected = 0;
    const char* begin = s.data() + (sign == 2 ? 1 : 0);
    const auto [end, ec] = std::from_chars(begin, s.data() + s.size(), expected);
    const bool valid = ec == std::errc() && end == s.data() + s.size();
    int64_t v = 0;
    ASSERT_EQ(ParseInteger(s, &v), valid) << s;
    if (valid) {
      ASSERT_EQ(v, expected) << s;
    }
  }
}

// The word parser against ParseInteger on texts of 1 to 8 bytes, digits and the bytes next to them in ASCII
// (so that every digit check is at its edge), with arbitrary bytes in the word after the text.
TEST(ParseIntegerTest, DigitWordAgreesWithParseIntegerOnShortTexts) {
  std::mt19937_64 rng(11);
  const std::string alphabet = "0123456789/:+- .\x80\xff\x06";
  for (int round = 0; round < 200000; ++round) {
    const size_t n = 1 + rng() % 8;
    char bytes[8];
    for (char& b : bytes) b = static_cast<char>(rng());
    for (size_t i = 0; i < n; ++i) bytes[i] = rng() % 4 ? static_cast<char>('0' + rng() % 10) : alphabet[rng() % alphabet.size()];
    const std::string text(bytes, n);
    uint64_t word;
    std::memcpy(&word, bytes, sizeof word);
    int64_t expected = 0, v = 0;
    const bool all_digits = text.find_first_not_of("0123456789") == std::string::npos;
    ASSERT_EQ(ParseDigitWord(word, n, &v), all_digits) << text;
    if (all_digits) {
      ASSERT_TRUE(ParseInteger(text, &expected));
      ASSERT_EQ(v, expected) << text;
    }
  }
}

TEST(ParseCentsTest, UpToTwoPlaces) {
  int64_t c = 0;
  EXPECT_EQ(ParseCents("7.50", &c), DecimalError::kNone);
  EXPECT_EQ(c, 750);
  EXPECT_EQ(ParseCents("7.5", &c), DecimalError::kNone);
  EXPECT_EQ(c, 750);
  EXPECT_EQ(ParseCents("59.99", &c), DecimalError::kNone);
  EXPECT_EQ(c, 5999);
  EXPECT_EQ(ParseCents("3", &c), DecimalError::kNone);
  EXPECT_EQ(c, 300);
  EXPECT_EQ(ParseCents(".05", &c), DecimalError::kNone);
  EXPECT_EQ(c, 5);
  EXPECT_EQ(ParseCents("-1.25", &c), DecimalError::kNone);
  EXPECT_EQ(c, -125);
  EXPECT_EQ(ParseCents("0", &c), DecimalError::kNone);
  EXPECT_EQ(c, 0);
}

TEST(ParseCentsTest, MorePlacesAreRejectedNotRounded) {
  int64_t c = 0;
  EXPECT_EQ(ParseCents("1.999", &c), DecimalError::kTooManyPlaces);
  EXPECT_EQ(ParseCents("1.500", &c), DecimalError::kTooManyPlaces);
  EXPECT_EQ(ParseCents("abc", &c), DecimalError::kSyntax);
  EXPECT_EQ(ParseCents("1.2.3", &c), DecimalError::kSyntax);
  EXPECT_EQ(ParseCents(".", &c), DecimalError::kSyntax);
  EXPECT_EQ(ParseCents("$5", &c), DecimalError::kSyntax);
  EXPECT_EQ(ParseCents("1,50", &c), DecimalError::kSyntax);
  EXPECT_EQ(ParseCents("99999999999999999", &c), DecimalError::kOutOfRange);
}

TEST(ParseDateTest, DatesAndTimestampsTakenAsTheirDate) {
  DayNumber d = 0;
  const DayNumber expected = *ParseIsoDate("2024-02-29");
  for (const char* ok : {"2024-02-29", "2024-02-29 13:45:00", "2024-02-29T13:45:00", "2024-02-29 23:59:59.123456",
                         "2024-02-29T00:00:00Z", "2024-02-29 10:00:00+10:00", "2024-02-29 10:00:00-0530"}) {
    ASSERT_TRUE(ParseDateOrTimestamp(ok, &d)) << ok;
    EXPECT_EQ(d, expected) << ok;
  }
}

TEST(ParseDateTest, AnythingElseIsBad) {
  DayNumber d = 0;
  for (const char* bad : {"2023-02-29", "29/02/2024", "2024-2-29", "20240229", "2024-02-29 25:00:00", "2024-02-29x",
                          "2024-02-29 10:00", "yesterday", "2024-02-29 10:00:00 PST"}) {
    EXPECT_FALSE(ParseDateOrTimestamp(bad, &d)) << bad;
  }
}

TEST(SchemaTest, HeaderMappingByNameInAnyOrderWithAlias) {
  auto map = MapHeader(TableId::kInvoices, {"date_issued", "Payment_Date", "invoice_id", "note", "account_id"});
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->field_of_column[0], 2);
  EXPECT_EQ(map->field_of_column[1], 4);
  EXPECT_EQ(map->field_of_column[2], 0);
  EXPECT_EQ(map->field_of_column[3], 1);
  ASSERT_EQ(map->unknown_columns.size(), 1u);
  EXPECT_EQ(map->unknown_columns[0], "note");
}

TEST(SchemaTest, MissingRequiredColumnIsNamed) {
  auto map = MapHeader(TableId::kAccounts, {"account_id", "company_name"});
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("joining_date"), std::string::npos);
}

TEST(SchemaTest, TableFromFileNameAndHeader) {
  EXPECT_EQ(TableFromFileName("/x/invoice_line_items.csv.gz"), TableId::kLineItems);
  EXPECT_EQ(TableFromFileName("invoices_2024-11.csv"), TableId::kInvoices);
  EXPECT_EQ(TableFromFileName("Accounts.csv"), TableId::kAccounts);
  EXPECT_EQ(TableFromFileName("skus.csv"), TableId::kSkus);
  EXPECT_FALSE(TableFromFileName("export.csv").has_value());
  EXPECT_FALSE(TableFromFileName("invoicesx.csv").has_value());
  EXPECT_EQ(TableFromHeader({"invoice_id", "item_id", "quantity"}), TableId::kLineItems);
  EXPECT_EQ(TableFromHeader({"item_id", "item_retail_price"}), TableId::kSkus);
  EXPECT_FALSE(TableFromHeader({"a", "b"}).has_value());
}

}  // namespace
}  // namespace ledgerlake::contract
