// SHA-256 over a stream or a file, through OpenSSL's EVP interface (hardware-accelerated where the CPU has SHA).
// The content address of landed extracts (lake/landing.h) and the checksum of written partition files, which
// `ledgerlake verify` and the query views check them against.
#pragma once

#include <cstddef>
#include <string>

#include "util/status.h"

struct evp_md_ctx_st;

namespace ledgerlake {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const void* data, size_t n);
  // The digest of everything updated so far, as 64 lower-case hex digits. Call once.
  std::string HexDigest();

 private:
  evp_md_ctx_st* ctx_;
};

// The SHA-256 of a file's bytes as they are on disk. IOError naming the file when it cannot be read.
Result<std::string> Sha256OfFile(const std::string& path);

}  // namespace ledgerlake
