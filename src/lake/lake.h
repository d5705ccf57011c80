// Lake: the directory layout of a ledgerlake lake and the lock that serialises writers.
//   <root>/ledgerlake.json            marker: format version, creation time
//   <root>/raw/<table>/<seq>-<hash>.csv[.gz] (+ .json sidecar)   landed extracts, immutable, content-addressed
//   <root>/processed/<dataset>/ingest_year=YYYY/ingest_month=MM/ingest_day=DD/*.parquet
//   <root>/state/<token>.state, .lines   the merged state after a run, and its line logs (engine/state.h)
//   <root>/tmp/                       staging for landing; never read by queries
//   <root>/LOCK                       flock'ed by ingest and run
//   <root>/READERS                    flock'ed shared by every query while it reads (ReadLease)
//   <root>/catalog.db                 the catalog (catalog/catalog.h): an index over raw/ and processed/ and the run
//                                     history; never read by this layer
#pragma once

#include <optional>
#include <string>
#include <utility>

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

// A reader's lease on the files the catalog lists: a shared flock on <root>/READERS, taken before the reader
// reads the catalog and held until it has read the files. A commit replaces a day's files with new ones at once,
// but a query that read the catalog before the commit still reads the old ones: writers delete superseded files
// only when no lease is held (ReadersGone), so such a query sees the old partition whole, never a missing file.
class ReadLease {
 public:
  // Never fails: in a lake that predates READERS and that this user may not write, there is nothing to lease
  // (and no writer of this ledgerlake has run there since), so the lease is empty.
  static ReadLease Acquire(const Lake& lake);
  ReadLease(ReadLease&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ReadLease& operator=(ReadLease&& other) noexcept;
  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;
  ~ReadLease();
  bool held() const { return fd_ >= 0; }

 private:
  explicit ReadLease(int fd) : fd_(fd) {}
  int fd_;
};

// For a writer holding the lake lock: an exclusive flock on READERS when no reader holds a lease right now (the
// files no committed partition lists may then be deleted while it is held), else nullopt.
class ReadersGone {
 public:
  static std::optional<ReadersGone> TryAcquire(const Lake& lake);
  ReadersGone(ReadersGone&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ReadersGone& operator=(ReadersGone&&) = delete;
  ReadersGone(const ReadersGone&) = delete;
  ~ReadersGone();

 private:
  explicit ReadersGone(int fd) : fd_(fd) {}
  int fd_;
};

// Durability helpers shared by landing and partition commits.
Status FsyncPath(const std::string& path);  // a file or a directory
Status WriteFileAtomic(const std::string& path, std::string_view content, const std::string& tmp_dir);

}  // namespace ledgerlake::lake
