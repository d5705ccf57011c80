#include "util/date.h"

#include <cstdio>
#include <ctime>

namespace ledgerlake {

bool IsLeapYear(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int32_t DaysInMonth(int32_t y, int32_t m) {
  static constexpr int32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

DayNumber DaysFromCivil(CivilDate date) {
  int32_t y = date.year - (date.month <= 2 ? 1 : 0);
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const int32_t yoe = y - era * 400;
  const int32_t mp = (date.month + 9) % 12;
  const int32_t doy = (153 * mp + 2) / 5 + date.day - 1;
  const int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(DayNumber z0) {
  const int32_t z = z0 + 719468;
  const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int32_t doe = z - era * 146097;
  const int32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int32_t mp = (5 * doy + 2) / 153;
  const int32_t d = doy - (153 * mp + 2) / 5 + 1;
  const int32_t m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::optional<DayNumber> ParseIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int32_t v[3] = {0, 0, 0};
  const int starts[3] = {0, 5, 8};
  const int lens[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < lens[k]; ++i) {
      const char c = s[static_cast<size_t>(starts[k] + i)];
      if (c < '0' || c > '9') return std::nullopt;
      v[k] = v[k] * 10 + (c - '0');
    }
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > DaysInMonth(v[0], v[1])) return std::nullopt;
  return DaysFromCivil(CivilDate{v[0], v[1], v[2]});
}

std::string FormatIsoDate(DayNumber days) {
  const CivilDate c = CivilFromDays(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

int32_t CompletedYears(DayNumber from, DayNumber to) {
  const CivilDate a = CivilFromDays(from);
  const CivilDate b = CivilFromDays(to);
  int32_t years = b.year - a.year;
  // The anniversary in b's year; 29 Feb falls back to 28 Feb when that year is not a leap year.
  auto anniversary = [&](int32_t y) {
    const int32_t day = (a.month == 2 && a.day == 29 && !IsLeapYear(y)) ? 28 : a.day;
    return DaysFromCivil(CivilDate{y, a.month, day});
  };
  if (years > 0 && anniversary(b.year) > to) --years;
  if (years < 0 && anniversary(b.year) < to) ++years;
  return years;
}

DayNumber TodayUtc() {
  const std::time_t now = std::time(nullptr);
  return static_cast<DayNumber>(now / 86400);
}

}  // namespace ledgerlake
