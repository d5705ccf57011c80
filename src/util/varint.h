// Varints: unsigned LEB128 (7 bits a byte, low first, high bit = more), and zigzag for signed values so that
// small magnitudes of either sign take few bytes. Used by the compact files the engine keeps between runs (line
// logs, states).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledgerlake {

inline uint64_t Zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t Unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

inline constexpr size_t kMaxVarintBytes = 10;

// Writes `v` at `out` (room for kMaxVarintBytes) and returns the end of what it wrote.
inline char* PutVarint(char* out, uint64_t v) {
  while (v >= 0x80) {
    *out++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *out++ = static_cast<char>(v);
  return out;
}
inline char* PutSignedVarint(char* out, int64_t v) { return PutVarint(out, Zigzag(v)); }


// Reads one varint at `p`, advancing it. False when it runs past `end` or past 10 bytes (damaged input).
inline bool GetVarint(const unsigned char*& p, const unsigned char* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const unsigned char b = *p++;
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}
inline bool GetSignedVarint(const unsigned char*& p, const unsigned char* end, int64_t* out) {
  uint64_t v = 0;
  if (!GetVarint(p, end, &v)) return false;
  *out = Unzigzag(v);
  return true;
}

}  // namespace ledgerlake
