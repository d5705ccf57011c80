// Drop folders: the service's file-arrival trigger (the seed's S3 event triggers). A watched directory is scanned
// when inotify says it changed, and every second besides (so nothing is missed: files that arrived while the
// service was down are found by the first scan). A file is ready once its size and modification time have not
// changed for settle_seconds; the service then lands it (landing is idempotent by content, so a file landed just
// before a crash is landed again as a no-op) and moves it to DIR/landed/, or, when ingest refuses it, to
// DIR/refused/ beside NAME.reason, where it is never looked at again.
//
// Files whose names start with '.' or end in .tmp or .part are being written by someone: they are left alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "serve/config.h"
#include "util/status.h"

namespace ledgerlake::serve {

class DropFolders {
 public:
  // Watches every entry of `config` (creating DIR/landed and DIR/refused). IOError naming the directory.
  static Result<DropFolders> Open(const std::vector<WatchConfig>& config);
  DropFolders(DropFolders&& other) noexcept;
  DropFolders& operator=(DropFolders&&) = delete;
  DropFolders(const DropFolders&) = delete;
  ~DropFolders();

  struct Ready {
    std::string path;
    const WatchConfig* folder;
  };
  // Waits up to `max_wait_ms` for a change, rescans, and returns the files ready to land.
  std::vector<Ready> Poll(int max_wait_ms);
  // Files seen but not settled yet.
  size_t waiting() const;

  // Moves `file` out of the way: to landed/, or to refused/ with `reason` in NAME.reason. A name taken there
  // already gets a numbered suffix.
  static Status MoveToLanded(const Ready& file);
  static Status MoveToRefused(const Ready& file, const std::string& reason);

 private:
  struct Seen {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    double since = 0;  // when it was first seen with this size and time (steady seconds)
  };
  DropFolders() = default;
  int inotify_fd_ = -1;
  std::vector<WatchConfig> folders_;
  std::map<std::string, Seen> seen_;
  size_t waiting_ = 0;
};

}  // namespace ledgerlake::serve
