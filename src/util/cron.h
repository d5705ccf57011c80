// Cron schedules: the five-field expressions of crontab(5) (minute hour day-of-month month day-of-week), evaluated
// in UTC, for the service's schedules. No C/C++ cron library is packaged in Debian, so this is written here; its
// properties are tested against a minute-by-minute search (tests/util/cron_test.cc).
//
// Fields: `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n` (and `a/n`: from a to the field's end), lists
// `x,y,...`; months and weekdays also by their three-letter English names (jan..dec, sun..sat, any case);
// day-of-week 0..7 with both 0 and 7 Sunday. As in Vixie cron, when both day-of-month and day-of-week are
// restricted (neither starts with `*`), a day matches when either does. Shorthands: @yearly (@annually), @monthly,
// @weekly, @daily (@midnight), @hourly.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ledgerlake {

class CronSchedule {
 public:
  // InvalidArgument naming the field and what is wrong with it.
  static Result<CronSchedule> Parse(std::string_view expression);

  // Whether the minute starting at `unix_seconds` (rounded down to its minute) matches.
  bool Matches(int64_t unix_seconds) const;
  // The first matching minute strictly after `unix_seconds`, as Unix seconds. nullopt when there is none in the
  // next eight years (an impossible date such as 30 February).
  std::optional<int64_t> Next(int64_t unix_seconds) const;
  // The last matching minute at or before `unix_seconds`; nullopt when there is none in the eight years before.
  std::optional<int64_t> Previous(int64_t unix_seconds) const;

  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0..6, Sunday 0
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
  bool DayMatches(int32_t year, int32_t month, int32_t day) const;
};

}  // namespace ledgerlake
