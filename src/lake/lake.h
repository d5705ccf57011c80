// Lake: the directory layout of a ledgerlake lake and the lock that serialises writers.
//   <root>/ledgerlake.json            marker: format version, creation time
//   <root>/raw/<table>/<seq>-<hash>.csv[.gz] (+ .json sidecar)   landed extracts, immutable, content-addressed
//   <root>/processed/<dataset>/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/*.parquet
//   <root>/state/<token>.state, .lines   the merged state after a run, and its line logs (engine/state.h)
//   <root>/tmp/                       staging for landing; never read by queries
//   <root>/LOCK                       flock'ed by ingest and run
//   <root>/catalog.db                 the catalog (catalog/catalog.h): an index over raw/ and processed/ and the run
//                                     history; never read by this layer
#pragma once

#include <string>

#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::lake {

class Lake {
 public:
  // Creates an empty lake at `root` (the directory may exist if empty, or already be a lake: then a no-op).
  static Result<Lake> Init(const std::string& root);
  // Opens an existing lake; fails with a hint to run `ledgerlake init` when `root` is not one.
  static Result<Lake> Open(const std::string& root);

  const std::string& root() const { return root_; }
  std::string raw_dir() const { return root_ + "/raw"; }
  std::string raw_dir(std::string_view table) const { return root_ + "/raw/" + std::string(table); }
  std::string processed_dir() const { return root_ + "/processed"; }
  std::string dataset_dir(std::string_view dataset) const { return processed_dir() + "/" + std::string(dataset); }
  // processed/<dataset>/ingest_year=YYYY/ingest_month=MM/ingest_day=DD
  std::string partition_dir(std::string_view dataset, DayNumber day) const;
  std::string tmp_dir() const { return root_ + "/tmp"; }
  // The runs' merged state and line logs (engine/state.h, engine/line_log.h); only the catalog's retained runs'.
  std::string state_dir() const { return root_ + "/state"; }

 private:
  explicit Lake(std::string root) : root_(std::move(root)) {}
  std::string root_;
};

// An exclusive lock on the lake for the lifetime of the object (flock on <root>/LOCK): one writer (ingest, run,
// crawl) at a time. The kernel drops it when the process dies, so a killed run never leaves the lake locked.
class LakeLock {
 public:
  // Blocks while another process holds the lock, calling `on_wait` once before blocking.
  static Result<LakeLock> Acquire(const Lake& lake, void (*on_wait)() = nullptr);
  // Fails at once with a Busy status when another process holds the lock.
  static Result<LakeLock> TryAcquire(const Lake& lake);
  LakeLock(LakeLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  LakeLock& operator=(LakeLock&&) = delete;
  LakeLock(const LakeLock&) = delete;
  ~LakeLock();

 private:
  explicit LakeLock(int fd) : fd_(fd) {}
  int fd_;
};

// Durability helpers shared by landing and partition commits.
Status FsyncPath(const std::string& path);  // a file or a directory
Status WriteFileAtomic(const std::string& path, std::string_view content, const std::string& tmp_dir);

}  // namespace ledgerlake::lake
