// StreamHash: a fast 64-bit checksum over a byte stream, the same however the stream is split into calls. It
// guards derived files (run states, line logs) against torn or zeroed writes after a crash, so they need no fsync:
// a file that fails its check is rebuilt from the raw zone. Not cryptographic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ledgerlake {

class StreamHash {
 public:
  void Update(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    while (n > 0 && filled_ != 0) {  // complete a partial word first
      word_ |= static_cast<uint64_t>(*p++) << (8 * filled_);
      --n;
      if (++filled_ == 8) Mix();
    }
    for (; n >= 8; p += 8, n -= 8) {
      std::memcpy(&word_, p, 8);
      Mix();
    }
    for (; n > 0; --n) word_ |= static_cast<uint64_t>(*p++) << (8 * filled_++);
  }
  uint64_t Final() const {
    uint64_t h = h_ ^ (word_ * 0xC2B2AE3D27D4EB4FULL) ^ (static_cast<uint64_t>(filled_) << 56) ^ words_;
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    return h;
  }

 private:
  void Mix() {
    const uint64_t x = h_ ^ (word_ * 0x9E3779B97F4A7C15ULL);
    h_ = ((x << 31) | (x >> 33)) * 0x94D049BB133111EBULL;
    word_ = 0;
    filled_ = 0;
    ++words_;
  }
  uint64_t h_ = 0x243F6A8885A308D3ULL;
  uint64_t word_ = 0;
  uint64_t words_ = 0;
  unsigned filled_ = 0;
};

}  // namespace ledgerlake
