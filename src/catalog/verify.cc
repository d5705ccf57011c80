#include "catalog/verify.h"

#include <filesystem>
#include <memory>

#include "csv/byte_source.h"
#include "util/sha256.h"
#include "util/task_pool.h"

namespace ledgerlake::catalog {

namespace {

namespace fs = std::filesystem;

// Whether `path` has `bytes` bytes; otherwise what is wrong with it.
std::string SizeProblem(const std::string& path, uint64_t bytes) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return fs::exists(path) ? "cannot be read: " + ec.message() : "missing";
  if (size != bytes) return std::to_string(size) + " bytes where " + std::to_string(bytes) + " were written";
  return "";
}

// The SHA-256 of a landed extract's decoded content (what landing recorded).
Result<std::string> DecodedSha256(const std::string& path) {
  auto source = csv::ByteSource::Open(path);
  if (!source.ok()) return source.status();
  Sha256 sha;
  std::unique_ptr<char[]> buf(new char[1 << 20]);
  for (;;) {
    size_t got = 0;
    LL_RETURN_IF_ERROR((*source)->Read(buf.get(), 1 << 20, &got));
    if (got == 0) break;
    sha.Update(buf.get(), got);
  }
  return sha.HexDigest();
}

std::string Relative(const lake::Lake& lake, const std::string& path) {
  const std::string prefix = lake.root() + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

}  // namespace

Result<Verification> VerifyLake(const lake::Lake& lake, Catalog& catalog, VerifyDepth depth, VerifyScope scope) {
  Verification out;
  std::vector<Damage> candidates;  // every file to check, its expectation in `what` for now
  std::vector<std::pair<uint64_t, std::string>> expected;  // per candidate: size on disk, SHA-256 ("" unknown)
  std::vector<bool> decoded;  // per candidate: the hash is of the decoded content (landed extracts)
  if (scope.raw) {
    auto landed = catalog.LandedFiles();
    if (!landed.ok()) return landed.status();
    for (const lake::LandedFile& f : *landed) {
      Damage d;
      d.zone = Damage::Zone::kRaw;
      d.path = Relative(lake, f.path);
      d.sequence = f.sequence;
      d.source = f.source;
      candidates.push_back(std::move(d));
      expected.emplace_back(f.bytes, f.sha256);
      decoded.push_back(true);
      ++out.raw_files;
    }
  }
  if (scope.processed) {
    auto partitions = catalog.Partitions();
    if (!partitions.ok()) return partitions.status();
    for (const PartitionRecord& p : *partitions) {
      for (const PartitionFile& f : p.files) {
        Damage d;
        d.zone = Damage::Zone::kProcessed;
        d.path = p.path + "/" + f.name;
        d.dataset = p.dataset;
        d.day = p.day;
        d.run_id = p.run_id;
        candidates.push_back(std::move(d));
        expected.emplace_back(f.bytes, f.sha256);
        decoded.push_back(false);
        ++out.partition_files;
      }
    }
  }
  // Sizes first (a stat each); the hashes read every byte, on every core.
  std::vector<std::string> problems(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    problems[i] = SizeProblem(lake.root() + "/" + candidates[i].path, expected[i].first);
  }
  if (depth == VerifyDepth::kChecksums) {
    TaskPool pool;
    pool.ParallelFor(candidates.size(), [&](size_t i) {
      if (!problems[i].empty() || expected[i].second.empty()) return;
      const std::string path = lake.root() + "/" + candidates[i].path;
      auto sha = decoded[i] ? DecodedSha256(path) : Sha256OfFile(path);
      if (!sha.ok()) {
        problems[i] = "cannot be read: " + sha.status().message();
      } else if (*sha != expected[i].second) {
        problems[i] = decoded[i] ? "its content differs from the content landed (SHA-256 " + *sha + ", landed " +
                                       expected[i].second + ")"
                                 : "its content differs from what was written (SHA-256 " + *sha + ", written " +
                                       expected[i].second + ")";
      }
    });
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (problems[i].empty()) continue;
    candidates[i].what = std::move(problems[i]);
    out.damaged.push_back(std::move(candidates[i]));
  }
  return out;
}

std::string DamageLine(const Damage& d) {
  if (d.zone == Damage::Zone::kRaw) return d.path + " (landed from " + d.source + "): " + d.what;
  return d.path + " (" + d.dataset + " of " + FormatIsoDate(d.day) + ", run " + std::to_string(d.run_id) +
         "): " + d.what;
}

}  // namespace ledgerlake::catalog
