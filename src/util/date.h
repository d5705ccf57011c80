// Calendar dates as day numbers (days since 1970-01-01, proleptic Gregorian), the representation every layer
// uses for dates: parsing in contract/, arithmetic in engine/, DATE columns in duck/ (same epoch as DuckDB).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ledgerlake {

using DayNumber = int32_t;

struct CivilDate {
  int32_t year;
  int32_t month;  // 1..12
  int32_t day;    // 1..31
};

bool IsLeapYear(int32_t year);
int32_t DaysInMonth(int32_t year, int32_t month);

// Exact conversion between a valid civil date and its day number (Howard Hinnant's algorithm).
DayNumber DaysFromCivil(CivilDate date);
CivilDate CivilFromDays(DayNumber days);

// Strict ISO "YYYY-MM-DD" with a real calendar day; nullopt for anything else.
std::optional<DayNumber> ParseIsoDate(std::string_view text);
// The same check, without computing the day number: true when ParseIsoDate would give one.
bool IsIsoDate(std::string_view text);

// "YYYY-MM-DD" (4-digit year when 0..9999).
std::string FormatIsoDate(DayNumber days);

// Completed years from `from` to `to`: the largest y with from + y years <= to, where a 29 February `from`
// reaches its anniversary on 28 February in non-leap years. Negative when `to` is before `from`.
int32_t CompletedYears(DayNumber from, DayNumber to);

// Today's date in UTC.
DayNumber TodayUtc();

// Unix milliseconds as ISO 8601 UTC with milliseconds: "2025-01-01T06:00:03.120Z".
std::string FormatUtcMillis(int64_t unix_ms);

}  // namespace ledgerlake
