// API tokens of `ledgerlake serve`, kept in the catalog's tokens table. A token reads "ll_<id>_<secret>": <id>
// (12 hex digits) finds its row, <secret> (64 hex digits, 256 random bits from OpenSSL's RAND_bytes) proves it.
// The catalog keeps only a random 16-byte salt and SHA-256(salt || secret): the secret itself is printed once,
// when the token is made, and can never be shown again. A fast hash is enough here because the secret is random
// (nothing to guess from a dictionary); a slow password hash (Argon2) would cost milliseconds per request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::catalog {

struct TokenInfo {
  std::string name;
  std::string id;    // the public part
  std::string role;
  int64_t created_unix_ms = 0;
  std::optional<int64_t> revoked_unix_ms;
};

// A token's row as checking needs it.
struct StoredToken {
  TokenInfo info;
  std::string salt_hex;
  std::string secret_sha256_hex;
};

// Catalog::CreateToken, ListTokens, RevokeToken and ValidTokens (catalog/catalog.h) keep them.

// The id part of `token` when it is shaped like one ("ll_<12 hex>_<64 hex>"), else nullopt.
std::optional<std::string> TokenId(std::string_view token);
// Whether `token` is the one `stored` was made for (constant time in the secret).
bool TokenMatches(std::string_view token, const StoredToken& stored);

}  // namespace ledgerlake::catalog
