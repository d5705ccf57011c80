#include "catalog/tokens.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>

#include "catalog/catalog.h"
#include "util/sha256.h"

namespace ledgerlake::catalog {

namespace {

constexpr size_t kIdDigits = 12;
constexpr size_t kSecretDigits = 64;

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return Status::IOError("no random bytes from OpenSSL");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const char c : raw) {
    hex += kHex[(static_cast<unsigned char>(c) >> 4) & 15];
    hex += kHex[static_cast<unsigned char>(c) & 15];
  }
  return hex;
}

bool IsHex(std::string_view text) {
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && (c < 'a' || c > 'f')) return false;
  }
  return true;
}

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return out;
}

std::string SecretHash(std::string_view salt_hex, std::string_view secret) {
  Sha256 sha;
  const std::string salt = Unhex(salt_hex);
  sha.Update(salt.data(), salt.size());
  sha.Update(secret.data(), secret.size());
  return sha.HexDigest();
}

bool PlainName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> TokenId(std::string_view token) {
  if (token.size() != 3 + kIdDigits + 1 + kSecretDigits || !token.starts_with("ll_") || token[3 + kIdDigits] != '_') {
    return std::nullopt;
  }
  const std::string_view id = token.substr(3, kIdDigits);
  const std::string_view secret = token.substr(3 + kIdDigits + 1);
  if (!IsHex(id) || !IsHex(secret)) return std::nullopt;
  return std::string(id);
}

bool TokenMatches(std::string_view token, const StoredToken& stored) {
  const auto id = TokenId(token);
  if (!id || *id != stored.info.id) return false;
  const std::string hash = SecretHash(stored.salt_hex, token.substr(3 + kIdDigits + 1));
  return hash.size() == stored.secret_sha256_hex.size() &&
         CRYPTO_memcmp(hash.data(), stored.secret_sha256_hex.data(), hash.size()) == 0;
}

Result<std::string> Catalog::CreateToken(std::string_view role, std::string_view name) {
  auto id = RandomHex(kIdDigits / 2);
  if (!id.ok()) return id.status();
  auto secret = RandomHex(kSecretDigits / 2);
  if (!secret.ok()) return secret.status();
  auto salt = RandomHex(16);
  if (!salt.ok()) return salt.status();
  const std::string token_name = name.empty() ? "token-" + *id : std::string(name);
  if (!PlainName(token_name)) {
    return Status::InvalidArgument("a token name is 1-64 letters, digits, '.', '_' or '-', not '" + token_name + "'");
  }
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  {
    auto taken = db_.Prepare("SELECT 1 FROM tokens WHERE name = ?");
    if (!taken.ok()) return taken.status();
    taken->BindText(1, token_name);
    auto row = taken->Step();
    if (!row.ok()) return row.status();
    if (*row) return Status::InvalidArgument("there is already a token named " + token_name);
  }
  auto stmt = db_.Prepare(
      "INSERT INTO tokens (name, token_id, role, salt, secret_sha256, created_unix_ms) VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, token_name)
      .BindText(2, *id)
      .BindText(3, role)
      .BindText(4, *salt)
      .BindText(5, SecretHash(*salt, *secret))
      .BindInt(6, NowUnixMs());
  LL_RETURN_IF_ERROR(stmt->Run());
  LL_RETURN_IF_ERROR(txn->Commit());
  return "ll_" + *id + "_" + *secret;
}

Result<std::vector<TokenInfo>> Catalog::ListTokens() {
  auto stmt = db_.Prepare(
      "SELECT name, token_id, role, created_unix_ms, revoked_unix_ms FROM tokens ORDER BY created_unix_ms, name");
  if (!stmt.ok()) return stmt.status();
  std::vector<TokenInfo> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&] {
    TokenInfo t{stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2), stmt->ColumnInt(3), std::nullopt};
    if (!stmt->ColumnIsNull(4)) t.revoked_unix_ms = stmt->ColumnInt(4);
    out.push_back(std::move(t));
    return Status::OK();
  }));
  return out;
}

Status Catalog::RevokeToken(std::string_view name) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  auto stmt = db_.Prepare("UPDATE tokens SET revoked_unix_ms = ? WHERE name = ? AND revoked_unix_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, NowUnixMs()).BindText(2, name);
  LL_RETURN_IF_ERROR(stmt->Run());
  auto changed = db_.Prepare("SELECT changes()");
  if (!changed.ok()) return changed.status();
  auto row = changed->Step();
  if (!row.ok()) return row.status();
  if (!*row || changed->ColumnInt(0) == 0) return Status::NotFound("no valid token named " + std::string(name));
  return txn->Commit();
}

Result<std::vector<StoredToken>> Catalog::ValidTokens() {
  auto stmt = db_.Prepare(
      "SELECT name, token_id, role, created_unix_ms, salt, secret_sha256 FROM tokens WHERE revoked_unix_ms IS NULL");
  if (!stmt.ok()) return stmt.status();
  std::vector<StoredToken> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&] {
    StoredToken t;
    t.info = TokenInfo{stmt->ColumnText(0), stmt->ColumnText(1), stmt->ColumnText(2), stmt->ColumnInt(3), std::nullopt};
    t.salt_hex = stmt->ColumnText(4);
    t.secret_sha256_hex = stmt->ColumnText(5);
    out.push_back(std::move(t));
    return Status::OK();
  }));
  return out;
}

Result<int64_t> Catalog::ReserveRunId() {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  // AUTOINCREMENT hands out max(sqlite_sequence.seq, largest run_id) + 1: raising seq sets an id aside for good.
  auto next = db_.Prepare(
      "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'runs'), 0), "
      "coalesce((SELECT max(run_id) FROM runs), 0)) + 1");
  if (!next.ok()) return next.status();
  auto row = next->Step();
  if (!row.ok()) return row.status();
  const int64_t id = next->ColumnInt(0);
  auto has = db_.Prepare("SELECT count(*) FROM sqlite_sequence WHERE name = 'runs'");
  if (!has.ok()) return has.status();
  auto r2 = has->Step();
  if (!r2.ok()) return r2.status();
  auto set = db_.Prepare(has->ColumnInt(0) > 0 ? "UPDATE sqlite_sequence SET seq = ? WHERE name = 'runs'"
                                               : "INSERT INTO sqlite_sequence (seq, name) VALUES (?, 'runs')");
  if (!set.ok()) return set.status();
  set->BindInt(1, id);
  LL_RETURN_IF_ERROR(set->Run());
  LL_RETURN_IF_ERROR(txn->Commit());
  return id;
}

}  // namespace ledgerlake::catalog
