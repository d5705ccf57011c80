#include "gen/text_buffer.h"

#include <algorithm>
#include <utility>

namespace ledgerlake::gen {
namespace {

// "00".."99": two digits per table look-up halves the divisions.
struct DigitPairs {
  char text[200];
  constexpr DigitPairs() : text() {
    for (int i = 0; i < 100; ++i) {
      text[2 * i] = static_cast<char>('0' + i / 10);
      text[2 * i + 1] = static_cast<char>('0' + i % 10);
    }
  }
};
constexpr DigitPairs kPairs;

// Writes v right-aligned ending at `end`; returns the first digit's position.
char* FormatBackwards(uint64_t v, char* end) {
  char* p = end;
  while (v >= 100) {
    const size_t pair = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    p -= 2;
    p[0] = kPairs.text[pair];
    p[1] = kPairs.text[pair + 1];
  }
  if (v >= 10) {
    const size_t pair = static_cast<size_t>(v) * 2;
    p -= 2;
    p[0] = kPairs.text[pair];
    p[1] = kPairs.text[pair + 1];
  } else {
    *--p = static_cast<char>('0' + v);
  }
  return p;
}

void Put2(char* p, int32_t v) {
  p[0] = kPairs.text[2 * v];
  p[1] = kPairs.text[2 * v + 1];
}

}  // namespace

void TextBuffer::Grow(size_t n) { data_.resize(std::max(2 * data_.size(), len_ + n) + 4096); }

void TextBuffer::Uint(uint64_t v) {
  char tmp[kMaxInt];
  char* end = tmp + sizeof tmp;
  char* begin = FormatBackwards(v, end);
  Text(std::string_view(begin, static_cast<size_t>(end - begin)));
}

void TextBuffer::Int(int64_t v) {
  if (v < 0) {
    Char('-');
    Uint(0 - static_cast<uint64_t>(v));
  } else {
    Uint(static_cast<uint64_t>(v));
  }
}

void TextBuffer::Cents(int64_t cents) {
  uint64_t magnitude = static_cast<uint64_t>(cents);
  if (cents < 0) {
    Char('-');
    magnitude = 0 - magnitude;
  }
  Uint(magnitude / 100);
  Char('.');
  Put2(&data_[len_], static_cast<int32_t>(magnitude % 100));
  len_ += 2;
}

void TextBuffer::Date(DayNumber day) {
  const CivilDate c = CivilFromDays(day);
  char* p = &data_[len_];
  Put2(p, c.year / 100);
  Put2(p + 2, c.year % 100);
  p[4] = '-';
  Put2(p + 5, c.month);
  p[7] = '-';
  Put2(p + 8, c.day);
  len_ += kDate;
}

void TextBuffer::CsvField(std::string_view raw) {
  if (raw.find_first_of(",\"\r\n") == std::string_view::npos) {
    Text(raw);
    return;
  }
  Char('"');
  for (const char c : raw) {
    if (c == '"') Char('"');
    Char(c);
  }
  Char('"');
}

std::string TextBuffer::Take() {
  data_.resize(len_);
  len_ = 0;
  return std::exchange(data_, std::string());
}

}  // namespace ledgerlake::gen
