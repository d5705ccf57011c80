// The run: the seed's Glue ETL job, with exact bookmarks. A run starts from the merged state a previous run
// saved (engine/state.h) or from nothing, applies the landed extracts that state has not seen (parents first, in
// landing order), computes the feature datasets as of D and writes partition D of each dataset:
//   - from nothing (the first run, --full-refresh): complete datasets;
//   - from a base state: account_features and pending complete (snapshots as of D), account_invoice_features and
//     invoice_features only with the rows new or changed since the base run, deleted_invoices with the invoices
//     the base had that no longer exist, rejects with those of the files applied.
// It also saves its own state. Nothing it writes is visible until the caller commits the run in the catalog.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/features.h"
#include "engine/ledger.h"
#include "lake/lake.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

// Per table, the newest landing sequence a state has merged in (engine::StateInfo::bookmarks).
using Bookmarks = std::array<uint32_t, contract::kTableCount>;
// Per table, the landing sequence from which its files are held back (a breaking schema change); 0: none.
using Holds = std::array<uint64_t, contract::kTableCount>;

// The landed files (in landing order) a run continuing from `bookmarks` applies: each table's files after its
// bookmark and before its hold.
std::vector<const LandedFile*> FilesToApply(const std::vector<LandedFile>& landed, const Bookmarks& bookmarks,
                                            const Holds& holds);

struct RunOptions {
  DayNumber as_of = 0;
  bool full_refresh = false;              // recorded; the caller passes no base for a full refresh
  std::optional<std::string> base_state;  // the state file to start from (a path); none: build from nothing
  std::string token;                      // names this run's files (unique per run)
  Holds holds{};                          // tables held back from a landing sequence on
  int threads = 0;                        // DuckDB writer threads; 0 = all cores
  // A complete run (no base state) in this many passes, each loading and computing one bucket of the accounts
  // (engine/partitioning.h), so that memory holds about 1/partitions of the lake at a time. Each dataset of
  // partition D then has one file per pass. Such a run saves no state: the run after it is complete as well.
  // 1: one pass, with state. At most engine::kMaxBuckets.
  uint32_t partitions = 1;
  // Re-running a committed run (a repair): the landing sequences to apply, instead of the files after the base's
  // bookmarks and before the holds.
  std::optional<std::vector<uint64_t>> apply;
  // Where the state and line logs are read (the base's) and written; empty: the lake's state/.
  std::string state_dir;
  // false: compute and save the state only, writing no dataset (the base a repair rebuilds).
  bool write_datasets = true;
  // Called as work advances: stage name, done and total (bytes or rows). Only for display.
  std::function<void(std::string_view stage, uint64_t done, uint64_t total)> progress;
};

struct WrittenFile {
  std::string path;  // absolute
  uint64_t bytes = 0;
  std::string sha256;  // of the file's bytes: the catalog keeps it, `verify` and the views check against it
};

struct DatasetResult {
  std::string name;
  uint64_t rows = 0;
  std::string partition;           // directory of the partition
  std::vector<WrittenFile> files;  // the files written (one, or one per pass of a partitioned run)
  uint64_t bytes = 0;              // of all of them
};

struct StageTime {
  std::string name;
  double seconds = 0;
};

// Two stages are not steps of their own: the invoice order is a part of "features" (its seconds are included
// there), and the state is saved alongside the features and the write (off the critical path).
inline constexpr std::string_view kInvoiceOrderStage = "invoice order";
inline constexpr std::string_view kSaveStateStage = "save state";

struct RunReport {
  DayNumber as_of = 0;
  bool full_refresh = true;
  bool complete = true;                  // the partitions hold complete datasets (no base state)
  std::optional<DayNumber> base_as_of;   // the D of the run whose state this one continued
  uint64_t files_read = 0;
  uint64_t bytes_read = 0;
  Bookmarks bookmarks{};                 // per table, the newest landing sequence merged in
  std::vector<uint64_t> applied;         // landing sequences of the files applied
  std::array<uint64_t, contract::kTableCount> held{};  // per table, landed files held back
  uint32_t partitions = 1;               // passes (RunOptions::partitions)
  std::string state_file;                // absolute path of the state saved; empty: none (a partitioned run)
  std::vector<std::string> line_logs;    // absolute paths of the line logs the state refers to
  std::array<engine::FateCounts, contract::kTableCount> tables{};
  uint64_t repeated_line_items = 0;      // line items read that repeat an earlier line of their invoice exactly (kept)
  uint64_t incomplete_invoices = 0;      // invoices as of D with line items waiting for a sku (partial totals)
  uint64_t pending_total = 0;            // rows waiting for a parent after this run (earlier runs' included)
  uint64_t deleted = 0;                  // invoices gone since the base
  std::vector<DatasetResult> datasets;
  std::vector<StageTime> stages;
  engine::FeatureWarnings warnings;
  double total_seconds = 0;
};

// How Run's message starts when the base state or one of its line logs cannot be used (missing, damaged by a crash:
// they are not fsynced, but checksummed). The run then has published nothing; run again without a base.
inline constexpr std::string_view kBaseUnusable = "the previous run's state is unusable: ";

// A state refers to at most this many line logs; a run that would make more compacts them into one.
inline constexpr size_t kMaxLineLogs = 8;

// The memory model behind `run --memory-limit` (measured in docs/benchmarks.md, "Bounded memory"): a complete
// run in one pass peaks at about kPeakPerDecodedByte x the decoded size of the account, invoice and line item
// extracts it applies, and a run in P passes at about kFixedPeakBytes + that / P.
inline constexpr double kPeakPerDecodedByte = 2.0;
inline constexpr uint64_t kFixedPeakBytes = uint64_t{320} << 20;

// The fewest passes (RunOptions::partitions) whose estimated peak for applying `files` fits in `limit` bytes.
// InvalidArgument when even engine::kMaxBuckets passes would not fit.
Result<uint32_t> PassesFor(const std::vector<const LandedFile*>& files, uint64_t limit);

// Runs the job. The caller holds the lake lock. Fails (publishing nothing) when a landed file cannot be read or
// a file cannot be written.
Result<RunReport> Run(const Lake& lake, const RunOptions& options);

// The line logs a state file refers to (absolute paths), read from its header.
Result<std::vector<std::string>> StateLineLogs(const Lake& lake, const std::string& state_file);

}  // namespace ledgerlake::lake
