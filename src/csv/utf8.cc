#include "csv/utf8.h"

#include <cstdint>

#include "csv/scan.h"

namespace ledgerlake::csv {

bool IsValidUtf8(const char* bytes, size_t n) {
  const auto* s = reinterpret_cast<const unsigned char*>(bytes);
  size_t i = 0;
  while (i < n) {
    i += scan::AsciiPrefix(bytes + i, n - i);  // skip ASCII runs 16 bytes at a time
    if (i == n) break;
    unsigned c = s[i];
    auto cont = [&](size_t k) { return (s[k] & 0xC0u) == 0x80u; };
    if (c < 0xC2) return false;  // stray continuation byte, or overlong 2-byte form (C0, C1)
    if (c < 0xE0) {
      if (n - i < 2 || !cont(i + 1)) return false;
      i += 2;
      continue;
    }
    if (c < 0xF0) {
      if (n - i < 3) return false;
      unsigned c1 = s[i + 1];
      unsigned lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
      unsigned hi = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
      if (c1 < lo || c1 > hi || !cont(i + 2)) return false;
      i += 3;
      continue;
    }
    if (c < 0xF5) {
      if (n - i < 4) return false;
      unsigned c1 = s[i + 1];
      unsigned lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
      unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would be above U+10FFFF
      if (c1 < lo || c1 > hi || !cont(i + 2) || !cont(i + 3)) return false;
      i += 4;
      continue;
    }
    return false;  // F5..FF never appear in UTF-8
  }
  return true;
}

std::string EscapeInvalidUtf8(std::string_view raw) {
  if (IsValidUtf8(raw)) return std::string(raw);
  std::string out;
  out.reserve(raw.size() + 8);
  size_t i = 0;
  while (i < raw.size()) {
    const auto lead = static_cast<unsigned char>(raw[i]);
    const size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (len > 0 && i + len <= raw.size() && IsValidUtf8(raw.data() + i, len)) {
      out.append(raw.data() + i, len);
      i += len;
      continue;
    }
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "\\x";
    out += kHex[lead >> 4];
    out += kHex[lead & 0xF];
    ++i;
  }
  return out;
}

}  // namespace ledgerlake::csv
