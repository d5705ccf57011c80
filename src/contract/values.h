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

// The same for a text of 1 to 8 bytes given as the word that holds them (the first byte lowest; the word's other
// bytes are ignored): true, with the value, when every byte is a digit; false otherwise (leaving the rest to
// ParseInteger). No loop and no branch per digit: ids and quantities have varying lengths, which a loop pays for
// in mispredicted exits. The digits are moved to the word's top, '0's put below them, and the eight digits
// checked and combined by the multiplications of simdjson's eight-digit parser.
inline bool ParseDigitWord(uint64_t word, size_t n, int64_t* out) {
  const unsigned shift = static_cast<unsigned>(8 - n) * 8;  // n is 1..8: 0..56
  uint64_t w = (word << shift) | (0x3030303030303030ULL & ((uint64_t{1} << shift) - 1));
  if (((w & 0xF0F0F0F0F0F0F0F0ULL) | (((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) >> 4)) !=
      0x3333333333333333ULL) {
    return false;
  }
  w -= 0x3030303030303030ULL;
  w = w * 10 + (w >> 8);
  w = (((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
  *out = static_cast<int64_t>(w & 0xFFFFFFFFULL);
  return true;
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
