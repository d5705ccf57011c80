#include "engine/partitioning.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/mapped_file.h"
#include "util/stream_hash.h"

namespace ledgerlake::engine {

namespace {
constexpr size_t kMinDense = size_t{1} << 16;
constexpr size_t kSlotsPerInvoice = 16;
}  // namespace

void InvoiceRouter::Record(int64_t invoice_id, int64_t account_id) {
  Put(invoice_id, static_cast<uint8_t>(BucketOf(account_id, buckets_) + 1));
}

void InvoiceRouter::Set(int64_t invoice_id, uint32_t bucket) { Put(invoice_id, static_cast<uint8_t>(bucket + 1)); }

void InvoiceRouter::Put(int64_t invoice_id, uint8_t slot) {
  const bool in_dense = invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size();
  if (!in_dense && invoice_id >= 0 &&
      static_cast<uint64_t>(invoice_id) < std::max(kMinDense, kSlotsPerInvoice * (recorded_ + 1))) {
    GrowDense(invoice_id);
  }
  if (invoice_id >= 0 && static_cast<uint64_t>(invoice_id) < dense_.size()) {
    uint8_t& s = dense_[static_cast<size_t>(invoice_id)];
    recorded_ += s == 0;
    s = slot;
    return;
  }
  auto [it, inserted] = sparse_.try_emplace(invoice_id, slot);
  recorded_ += inserted;
  it->second = slot;
}

void InvoiceRouter::GrowDense(int64_t invoice_id) {
  size_t size = std::max(kMinDense, dense_.size() * 2);
  while (size <= static_cast<size_t>(invoice_id)) size *= 2;
  dense_.resize(size, 0);
  for (auto it = sparse_.begin(); it != sparse_.end();) {
    if (it->first >= 0 && static_cast<uint64_t>(it->first) < dense_.size()) {
      dense_[static_cast<size_t>(it->first)] = it->second;
      sparse_.erase(it++);
    } else {
      ++it;
    }
  }
}

bool InvoiceRouter::AdoptDense(std::vector<uint8_t> slots) {
  size_t recorded = 0;
  for (const uint8_t s : slots) {
    if (s > buckets_) return false;
    recorded += s != 0;
  }
  dense_ = std::move(slots);
  sparse_.clear();
  recorded_ = recorded;
  return true;
}

std::vector<int64_t> Routing::Moves(const std::vector<int64_t>& orphans) const {
  std::vector<int64_t> moves;
  run_.ForEach([&](int64_t id, uint32_t bucket) {
    std::optional<uint32_t> before = base_ != nullptr ? base_->Find(id) : std::nullopt;
    if (!before && std::binary_search(orphans.begin(), orphans.end(), id)) before = BucketOf(id, buckets());
    if (before && *before != bucket) moves.push_back(id);
  });
  std::sort(moves.begin(), moves.end());
  return moves;
}

InvoiceRouter Routing::Merged() const {
  InvoiceRouter merged = base_ != nullptr ? *base_ : InvoiceRouter(buckets());
  run_.ForEach([&](int64_t id, uint32_t bucket) { merged.Set(id, bucket); });
  return merged;
}

namespace {

constexpr char kRoutesMagic[8] = {'L', 'L', 'R', 'O', 'U', 'T', 'E', '2'};  // 2: the four-lane StreamHash

}  // namespace

Status SaveRoutes(const InvoiceRouter& routes, const std::vector<int64_t>& orphans, const std::string& path) {
  // An id goes in the file's direct array when it is below both bounds; the array ends at the last such id.
  const uint64_t bound = std::min<uint64_t>(uint64_t{1} << 34, 16 * (routes.size() + 1) + (size_t{1} << 16));
  auto in_dense = [&](int64_t id) { return id >= 0 && static_cast<uint64_t>(id) < bound; };
  const std::vector<uint8_t>& slots = routes.dense_slots();
  size_t dense_size = static_cast<size_t>(std::min<uint64_t>(slots.size(), bound));
  while (dense_size > 0 && slots[dense_size - 1] == 0) --dense_size;
  for (const auto& [id, slot] : routes.sparse_slots()) {
    if (in_dense(id)) dense_size = std::max(dense_size, static_cast<size_t>(id) + 1);
  }
  std::vector<uint8_t> dense(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(std::min(dense_size, slots.size())));
  dense.resize(dense_size, 0);
  std::vector<std::pair<int64_t, uint8_t>> others;  // in id order, so that equal routes are equal files
  for (size_t id = dense_size; id < slots.size(); ++id) {  // past the bound
    if (slots[id] != 0) others.emplace_back(static_cast<int64_t>(id), static_cast<uint8_t>(slots[id] - 1));
  }
  for (const auto& [id, slot] : routes.sparse_slots()) {
    if (in_dense(id)) {
      dense[static_cast<size_t>(id)] = slot;
    } else {
      others.emplace_back(id, static_cast<uint8_t>(slot - 1));
    }
  }
  std::sort(others.begin(), others.end());
  std::vector<int64_t> sparse_ids;
  std::vector<uint8_t> sparse_buckets;
  for (const auto& [id, bucket] : others) {
    sparse_ids.push_back(id);
    sparse_buckets.push_back(bucket);
  }
  std::string out(kRoutesMagic, sizeof kRoutesMagic);
  auto put = [&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  const uint32_t buckets = routes.buckets();
  const uint64_t counts[3] = {dense.size(), sparse_ids.size(), orphans.size()};
  put(&buckets, sizeof buckets);
  put(counts, sizeof counts);
  put(dense.data(), dense.size());
  put(sparse_ids.data(), sparse_ids.size() * sizeof(int64_t));
  put(sparse_buckets.data(), sparse_buckets.size());
  put(orphans.data(), orphans.size() * sizeof(int64_t));
  StreamHash hash;
  hash.Update(out.data(), out.size());
  const uint64_t sum = hash.Final();
  put(&sum, sizeof sum);
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  const bool written = std::fwrite(out.data(), 1, out.size(), f) == out.size();
  const bool closed = std::fclose(f) == 0;
  if (!written || !closed) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<SavedRoutes> LoadRoutes(const std::string& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return Status::UnusableCache("cannot open the routes " + path + ": " + file.status().message());
  const unsigned char* p = (*file)->data();
  const size_t size = (*file)->size();
  auto damaged = [&](const char* what) { return Status::UnusableCache(path + ": " + what); };
  constexpr size_t kHead = sizeof kRoutesMagic + sizeof(uint32_t) + 3 * sizeof(uint64_t);
  if (size < kHead + sizeof(uint64_t) || std::memcmp(p, kRoutesMagic, sizeof kRoutesMagic) != 0) {
    return damaged("not a routes file of this ledgerlake");
  }
  uint32_t buckets = 0;
  uint64_t counts[3];
  std::memcpy(&buckets, p + sizeof kRoutesMagic, sizeof buckets);
  std::memcpy(counts, p + sizeof kRoutesMagic + sizeof buckets, sizeof counts);
  const uint64_t body = counts[0] + counts[1] * (sizeof(int64_t) + 1) + counts[2] * sizeof(int64_t);
  if (buckets == 0 || buckets > kMaxBuckets || counts[0] > size || counts[1] > size || counts[2] > size ||
      kHead + body + sizeof(uint64_t) != size) {
    return damaged("its sizes do not add up (a damaged file)");
  }
  StreamHash hash;
  hash.Update(p, size - sizeof(uint64_t));
  uint64_t sum = 0;
  std::memcpy(&sum, p + size - sizeof sum, sizeof sum);
  if (sum != hash.Final()) return damaged("checksum mismatch (a damaged file)");
  SavedRoutes out;
  out.routes = InvoiceRouter(buckets);
  const unsigned char* at = p + kHead;
  if (!out.routes.AdoptDense(std::vector<uint8_t>(at, at + counts[0]))) return damaged("a bucket out of range");
  at += counts[0];
  const unsigned char* sparse_buckets = at + counts[1] * sizeof(int64_t);
  for (uint64_t i = 0; i < counts[1]; ++i) {
    int64_t id = 0;
    std::memcpy(&id, at + i * sizeof(int64_t), sizeof id);
    if (sparse_buckets[i] >= buckets) return damaged("a bucket out of range");
    out.routes.Set(id, sparse_buckets[i]);
  }
  at = sparse_buckets + counts[1];
  out.orphans.resize(counts[2]);
  if (counts[2] > 0) std::memcpy(out.orphans.data(), at, counts[2] * sizeof(int64_t));
  std::sort(out.orphans.begin(), out.orphans.end());
  return out;
}

}  // namespace ledgerlake::engine
