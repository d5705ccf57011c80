#include "util/date.h"

#include <gtest/gtest.h>

namespace ledgerlake {
namespace {

DayNumber D(const char* s) { return *ParseIsoDate(s); }

TEST(DateTest, EpochAndRoundTrip) {
  EXPECT_EQ(D("1970-01-01"), 0);
  EXPECT_EQ(D("2024-11-24") - D("2023-02-28"), 635);  // docs/features.md worked example, account 1
  for (DayNumber d = -719000; d < 2900000; d += 17) {  // years 0..9999
    EXPECT_EQ(ParseIsoDate(FormatIsoDate(d)).value(), d);
  }
  // Every day around the years ParseIsoDate reads from a table (1900..2155), against DaysFromCivil's arithmetic.
  for (DayNumber d = DaysFromCivil({1890, 1, 1}); d <= DaysFromCivil({2170, 12, 31}); ++d) {
    const CivilDate c = CivilFromDays(d);
    ASSERT_EQ(ParseIsoDate(FormatIsoDate(d)).value(), DaysFromCivil(c)) << FormatIsoDate(d);
    ASSERT_EQ(DaysFromCivil(c), d);
  }
}

TEST(DateTest, StrictIsoParsing) {
  EXPECT_TRUE(ParseIsoDate("2024-02-29").has_value());
  EXPECT_FALSE(ParseIsoDate("2023-02-29").has_value());
  EXPECT_FALSE(ParseIsoDate("2024-13-01").has_value());
  EXPECT_FALSE(ParseIsoDate("2024-1-01").has_value());
  EXPECT_FALSE(ParseIsoDate("24-11-2024").has_value());
  EXPECT_FALSE(ParseIsoDate("2024/11/24").has_value());
  EXPECT_FALSE(ParseIsoDate("").has_value());
  EXPECT_FALSE(ParseIsoDate("2024-04-31").has_value());
}

TEST(DateTest, CompletedYearsLeapDay) {
  // 29 Feb reaches its anniversary on 28 Feb in non-leap years.
  EXPECT_EQ(CompletedYears(D("2024-02-29"), D("2025-02-27")), 0);
  EXPECT_EQ(CompletedYears(D("2024-02-29"), D("2025-02-28")), 1);
  EXPECT_EQ(CompletedYears(D("2024-02-29"), D("2028-02-28")), 3);
  EXPECT_EQ(CompletedYears(D("2024-02-29"), D("2028-02-29")), 4);
  EXPECT_EQ(CompletedYears(D("2023-02-28"), D("2024-11-24")), 1);
  EXPECT_EQ(CompletedYears(D("2024-02-29"), D("2024-11-24")), 0);
  EXPECT_EQ(CompletedYears(D("2020-05-10"), D("2024-05-09")), 3);
  EXPECT_EQ(CompletedYears(D("2020-05-10"), D("2024-05-10")), 4);
  EXPECT_EQ(CompletedYears(D("2024-11-24"), D("2024-11-24")), 0);
}

}  // namespace
}  // namespace ledgerlake

namespace ledgerlake {
namespace {

TEST(DateTest, UtcMillisAreIso8601) {
  EXPECT_EQ(FormatUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatUtcMillis(1735711203120), "2025-01-01T06:00:03.120Z");
  EXPECT_EQ(FormatUtcMillis(951825600999), "2000-02-29T12:00:00.999Z");
  EXPECT_EQ(FormatUtcMillis(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace ledgerlake
