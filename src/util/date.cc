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

namespace {

// "YYYY-MM-DD" with a real calendar day into *out. Unrolled: the validator and the crawler call it for every
// date field.
bool ParseCivil(std::string_view s, CivilDate* out) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto digit = [&](size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(s[i])) - '0'; };
  const unsigned y0 = digit(0), y1 = digit(1), y2 = digit(2), y3 = digit(3);
  const unsigned m0 = digit(5), m1 = digit(6), d0 = digit(8), d1 = digit(9);
  if ((y0 > 9) | (y1 > 9) | (y2 > 9) | (y3 > 9) | (m0 > 9) | (m1 > 9) | (d0 > 9) | (d1 > 9)) return false;
  const int32_t year = static_cast<int32_t>(y0 * 1000 + y1 * 100 + y2 * 10 + y3);
  const int32_t month = static_cast<int32_t>(m0 * 10 + m1);
  const int32_t day = static_cast<int32_t>(d0 * 10 + d1);
  if (month < 1 || month > 12 || day < 1 || (day > 28 && day > DaysInMonth(year, month))) return false;
  *out = CivilDate{year, month, day};
  return true;
}

}  // namespace

// Day numbers of 1 January of the years [kTableFirstYear, kTableFirstYear + 256), and of the first of each month
// within a year (common, leap): a parsed date in that range costs two loads instead of DaysFromCivil's arithmetic.
constexpr int32_t kTableFirstYear = 1900;
struct YearTable {
  int32_t year_start[256];
  uint8_t leap[256];
  int32_t month_start[2][12];
  constexpr YearTable() : year_start{}, leap{}, month_start{} {
    int32_t day = -25567;  // 1900-01-01
    for (int32_t i = 0; i < 256; ++i) {
      const int32_t y = kTableFirstYear + i;
      year_start[i] = day;
      leap[i] = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      day += leap[i] ? 366 : 365;
    }
    constexpr int32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int l = 0; l < 2; ++l) {
      int32_t d = 0;
      for (int m = 0; m < 12; ++m) {
        month_start[l][m] = d;
        d += kDays[m] + (l && m == 1 ? 1 : 0);
      }
    }
  }
};
constexpr YearTable kYearTable;

std::optional<DayNumber> ParseIsoDate(std::string_view s) {
  CivilDate c{};
  if (!ParseCivil(s, &c)) return std::nullopt;
  const auto i = static_cast<uint32_t>(c.year - kTableFirstYear);
  if (i < 256) {
    return kYearTable.year_start[i] + kYearTable.month_start[kYearTable.leap[i]][c.month - 1] + c.day - 1;
  }
  return DaysFromCivil(c);
}

bool IsIsoDate(std::string_view s) {
  CivilDate c{};
  return ParseCivil(s, &c);
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

std::string FormatUtcMillis(int64_t unix_ms) {
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  const int64_t secs = (unix_ms - ms) / 1000;
  const int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400;
  const int64_t in_day = secs - days * 86400;
  const CivilDate d = CivilFromDays(static_cast<DayNumber>(days));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day,
                static_cast<int>(in_day / 3600), static_cast<int>(in_day / 60 % 60), static_cast<int>(in_day % 60),
                static_cast<int>(ms));
  return buf;
}

}  // namespace ledgerlake
