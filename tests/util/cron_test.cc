// Cron schedules: known answers, refusals, and properties checked against a plain minute-by-minute search over
// random expressions and instants.
#include "util/cron.h"

#include <gtest/gtest.h>

#include <random>

#include "util/date.h"

namespace ledgerlake {
namespace {

// Unix seconds of a UTC date and time.
int64_t At(int y, int mo, int d, int h = 0, int mi = 0) {
  return (static_cast<int64_t>(DaysFromCivil({y, mo, d})) * 1440 + h * 60 + mi) * 60;
}

CronSchedule Cron(const char* text) {
  auto s = CronSchedule::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().message();
  return s.ok() ? *s : *CronSchedule::Parse("* * * * *");
}

TEST(CronTest, KnownAnswers) {
  EXPECT_EQ(Cron("0 6 * * *").Next(At(2025, 1, 1, 5, 59)), At(2025, 1, 1, 6, 0));
  EXPECT_EQ(Cron("0 6 * * *").Next(At(2025, 1, 1, 6, 0)), At(2025, 1, 2, 6, 0));  // strictly after
  EXPECT_EQ(Cron("0 6 * * *").Next(At(2025, 1, 1, 6, 0) + 30), At(2025, 1, 2, 6, 0));
  EXPECT_EQ(Cron("*/15 * * * *").Next(At(2025, 1, 1, 10, 7)), At(2025, 1, 1, 10, 15));
  EXPECT_EQ(Cron("@hourly").Next(At(2025, 12, 31, 23, 30)), At(2026, 1, 1, 0, 0));
  EXPECT_EQ(Cron("@daily").Next(At(2024, 2, 28, 12)), At(2024, 2, 29));
  EXPECT_EQ(Cron("@weekly").Next(At(2025, 1, 1)), At(2025, 1, 5));  // 2025-01-05 is a Sunday
  EXPECT_EQ(Cron("@monthly").Next(At(2025, 1, 31, 23, 59)), At(2025, 2, 1));
  EXPECT_EQ(Cron("@yearly").Next(At(2025, 6, 1)), At(2026, 1, 1));
  EXPECT_EQ(Cron("0 0 29 2 *").Next(At(2025, 3, 1)), At(2028, 2, 29));
  EXPECT_EQ(Cron("30 12 * jan-mar mon-fri").Next(At(2025, 3, 29)), At(2025, 3, 31, 12, 30));  // Sat -> Mon
  EXPECT_EQ(Cron("0 0 * * 7").Next(At(2025, 1, 1)), At(2025, 1, 5));  // 7 is Sunday
  // Day-of-month and day-of-week both restricted: either matches (Vixie cron).
  EXPECT_EQ(Cron("0 0 13 * fri").Next(At(2025, 1, 1)), At(2025, 1, 3));   // Friday the 3rd
  EXPECT_EQ(Cron("0 0 13 * fri").Next(At(2025, 1, 11)), At(2025, 1, 13)); // Monday the 13th
  EXPECT_EQ(Cron("0 0 */10 * *").Next(At(2025, 1, 1)), At(2025, 1, 11));  // days 1, 11, 21, 31
  EXPECT_EQ(Cron("5/20 * * * *").Next(At(2025, 1, 1, 0, 6)), At(2025, 1, 1, 0, 25));
  EXPECT_EQ(Cron("0 6 * * *").Previous(At(2025, 1, 1, 5, 59)), At(2024, 12, 31, 6, 0));
  EXPECT_EQ(Cron("0 6 * * *").Previous(At(2025, 1, 1, 6, 0) + 59), At(2025, 1, 1, 6, 0));
  EXPECT_FALSE(Cron("0 0 30 2 *").Next(At(2025, 1, 1)).has_value());  // 30 February never comes
  EXPECT_TRUE(Cron("  0 6 * * *  ").Matches(At(2030, 7, 4, 6, 0) + 59));
}

TEST(CronTest, MistakesAreRefusedNamingTheField) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"0 6 * *", "five fields"},
      {"0 6 * * * *", "five fields"},
      {"60 * * * *", "minute: 60 is out of range 0-59"},
      {"* 24 * * *", "hour: 24 is out of range"},
      {"* * 0 * *", "day-of-month: 0 is out of range 1-31"},
      {"* * * 13 *", "month: 13 is out of range"},
      {"* * * * 8", "day-of-week: 8 is out of range 0-7"},
      {"* * * foo *", "month: 'foo' is not a number or a name"},
      {"*/0 * * * *", "minute: '0' is not a step"},
      {"5-1 * * * *", "runs backwards"},
      {"1,,2 * * * *", "an empty item"},
      {"@fortnightly", "unknown shorthand"},
      {"", "five fields"},
  };
  for (const Case& c : cases) {
    auto s = CronSchedule::Parse(c.text);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.status().message().find(c.says), std::string::npos) << c.text << " -> " << s.status().message();
  }
}

// A random field: *, a value, a range, a step, or a list of those.
std::string RandomField(std::mt19937_64& rng, int low, int high) {
  auto value = [&] { return std::uniform_int_distribution<int>(low, high)(rng); };
  auto item = [&]() -> std::string {
    switch (std::uniform_int_distribution<int>(0, 4)(rng)) {
      case 0: return "*";
      case 1: return std::to_string(value());
      case 2: {
        int a = value(), b = value();
        if (a > b) std::swap(a, b);
        return std::to_string(a) + "-" + std::to_string(b);
      }
      case 3: return "*/" + std::to_string(std::uniform_int_distribution<int>(1, (high - low + 1) / 2 + 1)(rng));
      default: {
        int a = value(), b = value();
        if (a > b) std::swap(a, b);
        return std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(std::uniform_int_distribution<int>(1, 5)(rng));
      }
    }
  };
  std::string out = item();
  const int more = std::uniform_int_distribution<int>(0, 2)(rng);
  for (int i = 0; i < more; ++i) out += "," + item();
  return out;
}

TEST(CronTest, NextAndPreviousAgreeWithAMinuteByMinuteSearch) {
  std::mt19937_64 rng(20261203);
  int checked = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::string text = RandomField(rng, 0, 59) + " " + RandomField(rng, 0, 23) + " " + RandomField(rng, 1, 31) +
                             " " + RandomField(rng, 1, 12) + " " + RandomField(rng, 0, 7);
    auto parsed = CronSchedule::Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.status().message();
    const CronSchedule& s = *parsed;
    const int64_t t = At(2020, 1, 1) + std::uniform_int_distribution<int64_t>(0, int64_t{10} * 365 * 86400)(rng);
    // The search: each minute after t in the next 120 days.
    std::optional<int64_t> found;
    const int64_t first = (t / 60 + 1) * 60;
    for (int64_t m = first; m < first + int64_t{120} * 86400; m += 60) {
      if (s.Matches(m)) {
        found = m;
        break;
      }
    }
    const std::optional<int64_t> next = s.Next(t);
    if (found) {
      EXPECT_EQ(next, found) << text << " after " << t;
      ++checked;
    } else if (next) {
      EXPECT_GE(*next, first + int64_t{120} * 86400) << text;
      EXPECT_TRUE(s.Matches(*next)) << text;
    }
    if (next) {
      EXPECT_GT(*next, t);
      EXPECT_EQ(*next % 60, 0);
      EXPECT_EQ(s.Previous(*next), next) << text;              // a match is its own previous
      EXPECT_EQ(s.Previous(*next - 1), s.Previous(t)) << text;  // nothing matches between t and next
    }
    if (const auto prev = s.Previous(t)) {
      EXPECT_LE(*prev, t);
      EXPECT_TRUE(s.Matches(*prev)) << text;
      EXPECT_EQ(s.Next(*prev), next) << text;  // ... and nothing between prev and t either
    }
  }
  EXPECT_GT(checked, 200);
}

TEST(CronTest, MatchesIsTheFieldsOfTheCalendar) {
  const CronSchedule s = Cron("15 9 1-7 * mon");  // 09:15 on the 1st-7th or on Mondays
  int matches = 0;
  for (int64_t m = At(2025, 1, 1); m < At(2026, 1, 1); m += 60) {
    if (!s.Matches(m)) continue;
    ++matches;
    const int64_t day = m / 86400;
    const CivilDate d = CivilFromDays(static_cast<DayNumber>(day));
    const int weekday = static_cast<int>((day + 4) % 7);
    EXPECT_EQ(m % 86400, (9 * 60 + 15) * 60);
    EXPECT_TRUE(d.day <= 7 || weekday == 1);
  }
  // 12 months x 7 days, plus the Mondays outside the 1st-7th (52 Mondays in 2025, 12 of them in the 1st-7th).
  EXPECT_EQ(matches, 12 * 7 + 52 - 12);
}

}  // namespace
}  // namespace ledgerlake
