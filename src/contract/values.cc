#include "contract/values.h"

#include <cstdio>
#include <cstdlib>

namespace ledgerlake::contract {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool TwoDigits(std::string_view s, size_t at, int lo, int hi) {
  if (at + 2 > s.size() || !IsDigit(s[at]) || !IsDigit(s[at + 1])) return false;
  const int v = (s[at] - '0') * 10 + (s[at + 1] - '0');
  return v >= lo && v <= hi;
}

}  // namespace

bool ParseIntegerSlow(std::string_view text, int64_t* out) {
  std::string_view s = TrimBlanks(text);
  if (s.empty()) return false;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  if (s.size() - i <= 18) {  // cannot overflow: no checks per digit
    int64_t v = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      if (!IsDigit(c)) return false;
      v = v * 10 + (c - '0');
    }
    *out = negative ? -v : v;
    return true;
  }
  // Accumulate as a negative number so INT64_MIN parses.
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (!IsDigit(c)) return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, c - '0', &v)) return false;
  }
  if (!negative) {
    if (v == INT64_MIN) return false;
    v = -v;
  }
  *out = v;
  return true;
}

DecimalError ParseCents(std::string_view text, int64_t* cents) {
  std::string_view s = TrimBlanks(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  int64_t whole = 0;
  size_t int_digits = 0;
  for (; i < s.size() && IsDigit(s[i]); ++i, ++int_digits) {
    if (whole >= 100000000000000LL) return DecimalError::kOutOfRange;  // 10^14: stays below 10^16 in cents
    whole = whole * 10 + (s[i] - '0');
  }
  int64_t frac = 0;
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && IsDigit(s[i]); ++i, ++frac_digits) {
      if (frac_digits < 2) frac = frac * 10 + (s[i] - '0');
    }
  }
  if (i != s.size() || int_digits + frac_digits == 0) return DecimalError::kSyntax;
  if (frac_digits > 2) return DecimalError::kTooManyPlaces;
  if (frac_digits == 1) frac *= 10;
  const int64_t v = whole * 100 + frac;
  *cents = negative ? -v : v;
  return DecimalError::kNone;
}

namespace {

// The part of a trimmed date or timestamp after its 10-character date: nothing, or a valid time and zone.
bool ValidTimePart(std::string_view s) {
  if (s.size() > 10) {
    // Time part: [T ]HH:MM:SS[.f+][zone]
    if (s[10] != 'T' && s[10] != ' ') return false;
    if (s.size() < 19 || !TwoDigits(s, 11, 0, 23) || s[13] != ':' || !TwoDigits(s, 14, 0, 59) || s[16] != ':' ||
        !TwoDigits(s, 17, 0, 60)) {
      return false;
    }
    size_t i = 19;
    if (i < s.size() && s[i] == '.') {
      ++i;
      const size_t start = i;
      while (i < s.size() && IsDigit(s[i])) ++i;
      if (i == start) return false;
    }
    if (i < s.size()) {
      if (s[i] == 'Z' && i + 1 == s.size()) {
        i = s.size();
      } else if (s[i] == '+' || s[i] == '-') {
        ++i;
        if (!TwoDigits(s, i, 0, 23)) return false;
        i += 2;
        if (i < s.size() && s[i] == ':') ++i;
        if (i < s.size()) {
          if (!TwoDigits(s, i, 0, 59)) return false;
          i += 2;
        }
        if (i != s.size()) return false;
      } else {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool ParseDateOrTimestamp(std::string_view text, DayNumber* out) {
  std::string_view s = TrimBlanks(text);
  if (s.size() < 10) return false;
  const auto date = ParseIsoDate(s.substr(0, 10));
  if (!date || !ValidTimePart(s)) return false;
  *out = *date;
  return true;
}

bool IsDateOrTimestamp(std::string_view text) {
  std::string_view s = TrimBlanks(text);
  return s.size() >= 10 && IsIsoDate(s.substr(0, 10)) && ValidTimePart(s);
}

void FormatCents(int64_t cents, char* buf, size_t size) {
  const bool negative = cents < 0;
  const uint64_t v = negative ? 0 - static_cast<uint64_t>(cents) : static_cast<uint64_t>(cents);
  std::snprintf(buf, size, "%s%llu.%02llu", negative ? "-" : "", static_cast<unsigned long long>(v / 100),
                static_cast<unsigned long long>(v % 100));
}

}  // namespace ledgerlake::contract
