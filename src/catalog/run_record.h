// Run records: what the catalog keeps about each run (the seed's CloudWatch job history): when, how it ended,
// time per stage, row fates per table, bytes read and written, the landed files it consumed and the partitions it
// wrote. Built by the CLI from lake::RunReport; stored and listed by catalog/catalog.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lake/lake.h"
#include "lake/run.h"
#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::catalog {

// A table's row fates in one run, by table name (the engine's counts, as stored).
struct TableFates {
  std::string table;
  engine::FateCounts fates;
};

struct PartitionFile {
  std::string name;  // file name inside the partition directory
  uint64_t bytes = 0;
  std::string sha256;  // of its bytes as written; "" for files written before catalog format 3
};

// One committed partition of a dataset (processed/<dataset>/ingest_year=/ingest_month=/ingest_day=).
struct PartitionRecord {
  std::string dataset;
  DayNumber day = 0;
  std::string path;                  // relative to the lake root
  std::vector<PartitionFile> files;  // in name order
  uint64_t rows = 0;
  uint64_t bytes = 0;  // of all its files
  int64_t run_id = 0;  // the run that wrote it (re-running a day replaces the partition and this)
  int64_t written_unix_ms = 0;
  bool complete = true;  // the whole dataset as of `day`; false: the changes since the partition before
};

struct RunRecord {
  int64_t run_id = 0;  // assigned by Catalog::RecordRun
  int64_t started_unix_ms = 0;
  int64_t ended_unix_ms = 0;
  bool ok = false;
  std::string message;  // why it failed; "" when ok
  DayNumber as_of = 0;
  bool full_refresh = true;
  double seconds = 0;
  uint64_t files_read = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;  // sum of the sizes of the partition files it committed
  std::string state;          // its saved state (relative to the lake root); "" for failed runs
  uint64_t bookmark = 0;      // newest landing sequence merged into that state (of any table)
  bool complete = true;       // its partitions are complete datasets (false: deltas)
  uint32_t passes = 1;        // the passes it ran in (the buckets of its state)
  std::string trigger = "cli";  // what started it: cli, api, schedule, file, retry
  std::vector<lake::StageTime> stages;
  std::vector<TableFates> tables;
  std::vector<uint64_t> consumed;  // landing sequences of the files it applied
  std::vector<PartitionRecord> partitions;
};

// A run that has started and has no record yet: running, or abandoned by a process that died (aborted).
struct RunStart {
  int64_t run_id = 0;
  int64_t started_unix_ms = 0;
  DayNumber as_of = 0;
  bool full_refresh = false;
  std::string trigger = "cli";
  int64_t pid = 0;
  uint64_t process_start = 0;               // that process's start (util/process.h)
  std::optional<int64_t> aborted_unix_ms;  // set once the next writer found it abandoned
};

// Milliseconds since the Unix epoch, now.
int64_t NowUnixMs();

// The record of a run that finished: copies the report and stats every committed partition directory for its
// files and bytes. Fails when a partition directory cannot be listed.
Result<RunRecord> RecordFromReport(const lake::Lake& lake, const lake::RunReport& report,
                                   std::vector<uint64_t> consumed, int64_t started_unix_ms, int64_t ended_unix_ms);

// The record of a run that failed (or was refused) with `message`.
RunRecord FailedRecord(DayNumber as_of, bool full_refresh, std::string message, std::vector<uint64_t> consumed,
                       int64_t started_unix_ms, int64_t ended_unix_ms);

}  // namespace ledgerlake::catalog
