// Byte-search primitives for the record reader's hot path (csv/record_reader.cc) and the UTF-8 check: find the
// next of two delimiter bytes, classify 64 bytes into bit masks, skip ASCII; 16 bytes at a time with SSE2 where
// the target has it (always on x86-64), byte at a time elsewhere. Internal to csv/.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ledgerlake::csv::scan {

// Returns the first p in [begin, end) with *p == a or *p == b, or end. Reads only inside [begin, end).
template <char A, char B>
inline const char* FindEither(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i va = _mm_set1_epi8(A);
  const __m128i vb = _mm_set1_epi8(B);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
#endif
  while (p < end && *p != A && *p != B) ++p;
  return p;
}

// Bit i of each mask says whether p[i] is ',' / '\n' / '"', for the 64 bytes at p (all readable).
struct Masks64 {
  uint64_t comma;
  uint64_t lf;
  uint64_t quote;
};
inline Masks64 Classify64(const char* p) {
  Masks64 m{0, 0, 0};
#if defined(__SSE2__)
  const __m128i vc = _mm_set1_epi8(',');
  const __m128i vl = _mm_set1_epi8('\n');
  const __m128i vq = _mm_set1_epi8('"');
  for (int i = 0; i < 4; ++i) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const int shift = 16 * i;
    m.comma |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vc)))) << shift;
    m.lf |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vl)))) << shift;
    m.quote |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq)))) << shift;
  }
#else
  for (int i = 0; i < 64; ++i) {
    m.comma |= static_cast<uint64_t>(p[i] == ',') << i;
    m.lf |= static_cast<uint64_t>(p[i] == '\n') << i;
    m.quote |= static_cast<uint64_t>(p[i] == '"') << i;
  }
#endif
  return m;
}

// The number of leading bytes of [p, p + n) that are below 0x80.
inline size_t AsciiPrefix(const char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  while (n - i >= 16) {
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < n && static_cast<unsigned char>(p[i]) < 0x80) ++i;
  return i;
}

}  // namespace ledgerlake::csv::scan
