// Typed parsing of field text per docs/data-contract.md: 64-bit integers, decimals with at most 2 places as integer
// cents, ISO dates (a timestamp is taken as its date). Hand-written and allocation-free: the validator calls
// these for every field of every row. Surrounding spaces and tabs are ignored; anything else is an error.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/date.h"

namespace ledgerlake::contract {

// `text` without surrounding spaces and tabs: how every typed field and header name is compared.
inline std::string_view TrimBlanks(std::string_view text) {
  size_t b = 0, e = text.size();
  if (e == 0 || (text[0] != ' ' && text[0] != '\t' && text[e - 1] != ' ' && text[e - 1] != '\t')) return text;
  while (b < e && (text[b] == ' ' || text[b] == '\t')) ++b;
  while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  return text.substr(b, e - b);
}

// A signed 64-bit integer ("+5", "-12", " 7 "). False on anything else, including overflow and "1.0".
bool ParseIntegerSlow(std::string_view text, int64_t* out);
inline bool ParseInteger(std::string_view text, int64_t* out) {
  // Inline fast path for what nearly every id and quantity is: 1 to 18 digits, no sign, no blanks.
  const size_t n = text.size();
  if (n - 1 < 18) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < n; ++i) {
      const unsigned d = static_cast<unsigned>(static_cast<unsigned char>(text[i])) - '0';
      if (d > 9) break;
      v = v * 10 + d;
    }
    if (i == n) {
      *out = v;
      return true;
    }
  }
  return ParseIntegerSlow(text, out);
}

enum class DecimalError { kNone, kSyntax, kTooManyPlaces, kOutOfRange };
// A decimal with up to 2 places after the point ("7.5", "59.99", "-3", ".50") as cents. More places is
// kTooManyPlaces (not rounded); magnitudes of 10^16 or more are kOutOfRange (they would not fit DECIMAL(18,2)).
DecimalError ParseCents(std::string_view text, int64_t* cents);

// "YYYY-MM-DD", or an ISO timestamp "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM|+HH]" taken as its
// date (the date as written; the zone is checked, not applied).
bool ParseDateOrTimestamp(std::string_view text, DayNumber* out);
// The same check without the day number (the crawler's, which only types the column).
bool IsDateOrTimestamp(std::string_view text);

// Formats cents as a decimal with 2 places ("-0.05", "89.99").
void FormatCents(int64_t cents, char* buf, size_t size);

}  // namespace ledgerlake::contract
