// TextBuffer: an append-only byte buffer with hand-written formatting of integers, cents, dates and RFC 4180
// fields: the generator's hot path writes gigabytes through it. Nothing here allocates per row: callers
// Reserve() a row's worst-case size once, then append without further checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/date.h"

namespace ledgerlake::gen {

class TextBuffer {
 public:
  // Worst-case sizes, for Reserve().
  static constexpr size_t kMaxInt = 20;    // -9223372036854775808
  static constexpr size_t kMaxCents = 22;  // kMaxInt plus the point
  static constexpr size_t kDate = 10;      // YYYY-MM-DD for years 0..9999
  static constexpr size_t CsvFieldBound(size_t raw) { return 2 * raw + 2; }

  explicit TextBuffer(size_t capacity = 0) { data_.resize(capacity); }

  // Guarantees room for n more bytes.
  void Reserve(size_t n) {
    if (data_.size() - len_ < n) Grow(n);
  }

  // The appenders below need room reserved beforehand.
  void Char(char c) { data_[len_++] = c; }
  void Text(std::string_view s) {
    std::memcpy(&data_[len_], s.data(), s.size());
    len_ += s.size();
  }
  void Uint(uint64_t v);
  void Int(int64_t v);
  // cents / 100 with exactly two decimals: 1234 -> "12.34", -5 -> "-0.05".
  void Cents(int64_t cents);
  // ISO YYYY-MM-DD; the year must be in 0..9999.
  void Date(DayNumber day);
  // An RFC 4180 field: quoted when raw holds a comma, a quote, CR or LF, with inner quotes doubled.
  void CsvField(std::string_view raw);

  size_t size() const { return len_; }
  // Hands the bytes over and leaves the buffer empty.
  std::string Take();

 private:
  void Grow(size_t n);
  std::string data_;  // only the first len_ bytes are content
  size_t len_ = 0;
};

}  // namespace ledgerlake::gen
