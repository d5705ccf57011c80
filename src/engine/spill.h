// Spill: the rows a partitioned run's first pass routes to later passes (engine/partitioning.h), so that every
// extract is read from the raw zone once and each row is decoded once, whatever the number of passes.
//
// For each landed file and bucket, the spill holds a CSV file (the file's header, then the raw text of each
// routed record in file order, each ending in LF) and a line map: per record, its line in the spill and its line
// in the landed file, so that rejects and duplicate_key messages name the landed file's lines. Only records the
// CSV reader returned without error are spilled; their text parses to the same fields on its own. Files live in
// a directory of the lake's tmp/ and are removed as each pass is done (and by the next run if this one dies).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::engine {

// One record of a spilled file's line map.
struct SpilledLine {
  uint64_t spill_line;   // 1-based physical line where the record starts in the spilled file
  uint64_t landed_line;  // the same in the landed file
};

class Spill {
 public:
  // Spills into `dir` (created) for `buckets` buckets; bucket 0 is never spilled (the first pass keeps it).
  static Result<std::unique_ptr<Spill>> Create(std::string dir, uint32_t buckets);
  ~Spill();
  Spill(const Spill&) = delete;
  Spill& operator=(const Spill&) = delete;

  // The file `file` (an index into the run's files) starts; `header` is its header's names.
  void BeginFile(uint32_t file, const std::vector<std::string>& header);
  // Appends a record (its raw text, without terminator) starting on `line` of the landed file to `bucket`.
  Status Add(uint32_t bucket, std::string_view raw, uint64_t line);
  // Flushes and closes the current file's spilled files.
  Status EndFile();

  // The spilled file of `file` for `bucket` and its line map; empty paths when nothing of it was routed there.
  std::string CsvPath(uint32_t file, uint32_t bucket) const;
  std::string LineMapPath(uint32_t file, uint32_t bucket) const;
  bool Has(uint32_t file, uint32_t bucket) const;
  // Deletes what was spilled for `bucket`.
  void RemoveBucket(uint32_t bucket);

 private:
  Spill(std::string dir, uint32_t buckets);
  struct Writer;
  std::string Name(uint32_t file, uint32_t bucket) const;

  std::string dir_;
  uint32_t buckets_;
  uint32_t file_ = 0;
  std::string header_line_;       // the current file's header as CSV, LF-terminated
  uint64_t header_lines_ = 1;     // physical lines it takes
  std::vector<std::unique_ptr<Writer>> writers_;  // per bucket, for the current file (opened on first use)
  std::vector<std::vector<uint8_t>> spilled_;     // [file][bucket]: anything routed there
};

// Reads a line map sequentially, record by record.
class LineMapReader {
 public:
  static Result<std::unique_ptr<LineMapReader>> Open(const std::string& path);
  ~LineMapReader();
  // The next record's entry; Corruption when the map ends.
  Status Next(SpilledLine* out) {
    if (next_ == entries_.size()) LL_RETURN_IF_ERROR(Refill());
    *out = entries_[next_++];
    return Status::OK();
  }

 private:
  explicit LineMapReader(std::FILE* f) : f_(f) {}
  Status Refill();
  std::FILE* f_;
  std::vector<SpilledLine> entries_;  // read ahead
  size_t next_ = 0;
};

// The whole line map (for the rare lookups of rows demoted to duplicate_key), and the landed line of a spill line.
Result<std::vector<SpilledLine>> ReadLineMap(const std::string& path);
uint64_t LandedLine(const std::vector<SpilledLine>& map, uint64_t spill_line);

}  // namespace ledgerlake::engine
