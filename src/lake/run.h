// The run's computation: the seed's ETL job, with exact bookmarks. Given the landed files to apply and, for an
// incremental run, the state a previous run saved, it computes the feature datasets as of D, writes partition D of
// each dataset and saves its own state. What to apply, from which base, and the commit that makes the files
// visible belong to the run job (job/run_job.h), which calls this; nothing written here is visible before.
//
// A run works in P passes (P >= 1): accounts fall in P buckets by a hash of account_id (engine/partitioning.h),
// each pass loads, computes and writes one bucket, so that memory holds about 1/P of the lake at a time. The state
// is kept by bucket too: each bucket's state (engine/state.h) loads, takes its rows and saves alone, so a run in P
// passes continues the previous one pass by pass, like a run in one pass.
//   - complete (no base): the partitions hold complete datasets;
//   - incremental: account_features and pending complete (snapshots as of D), account_invoice_features and
//     invoice_features only with the rows new or changed since the base run, deleted_invoices with the invoices
//     the base had that no longer exist, rejects with those of the files applied.
// Each dataset's partition has one file per pass that has rows (pass 0 always). Layout of the state and its routes:
// docs/formats.md.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/features.h"
#include "engine/ledger.h"
#include "engine/state.h"
#include "lake/lake.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

// Per table, the newest landing sequence a state has merged in (engine::StateInfo::bookmarks).
using Bookmarks = std::array<uint32_t, contract::kTableCount>;

// A run's state: one state file per bucket (engine/state.h), the routes of the invoices among the buckets (for
// P > 1), and this manifest that names them, written last: a state is whole when its manifest is. Kept in the
// lake's state/ directory as <token>.manifest (JSON; docs/formats.md).
struct StateManifest {
  static constexpr int kFormat = 1;
  DayNumber as_of = 0;
  uint32_t buckets = 1;
  int feature_definitions = engine::kFeatureDefinitions;
  Bookmarks bookmarks{};
  std::vector<std::string> bucket_states;  // per bucket, file names in the same directory
  std::string routes;                      // file name; empty when buckets == 1
};
Status WriteManifest(const StateManifest& manifest, const std::string& path);
// kUnusableCache when missing, unreadable, of another format, or made under other feature definitions.
Result<StateManifest> ReadManifest(const std::string& path);
// Every file a state consists of, absolute: the manifest, its buckets' states and line logs, its routes. Files that
// cannot be read are left out (their state is unusable anyway).
std::vector<std::string> StateFiles(const std::string& manifest_path);

struct RunOptions {
  DayNumber as_of = 0;
  std::vector<uint64_t> apply;             // landing sequences of the files to apply, ascending
  std::optional<std::string> base;         // the manifest of the state to continue; none: a complete run
  uint32_t passes = 1;                     // P; a base must have P buckets
  std::string token;                       // names this run's files (unique per run)
  std::string state_dir;                   // where states and logs are read and written; empty: the lake's state/
  bool write_datasets = true;              // false: compute and save the state only (the base a repair rebuilds)
  bool full_refresh = false;               // recorded
  // DuckDB's threads while writing: 1, each dataset written wholly by the connection that writes it, the datasets
  // side by side (WriteOutputs). With more, each COPY's own thread spins in DuckDB's task loop while DuckDB's
  // workers run its tasks (5M full refresh: write 1.08-1.15 s with one per core, 0.88-0.90 s with 1). 0: one per core.
  int threads = 1;
  std::string duck_memory_limit;           // DuckDB's memory_limit while writing; empty: DuckDB's default
  uint64_t memory_limit = 0;               // bytes the whole process is to stay within (--memory-limit); 0: none
  uint32_t overlay_share = engine::kOverlayShare;  // states saved as overlays up to 1/N of the invoices (state.h)
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
  std::vector<WrittenFile> files;  // the files written (one per pass with rows)
  uint64_t bytes = 0;              // of all of them
};

struct StageTime {
  std::string name;
  double seconds = 0;
};

// Two stages are not steps of their own: the invoice order is a part of "features" (its seconds are included
// there; a pass of extracts alone sorts it while its line items load, and counts only the wait for it), and the
// state is saved alongside the features and the write (off the critical path).
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
  std::array<uint64_t, contract::kTableCount> held{};  // per table, landed files held back (set by the job)
  uint32_t partitions = 1;               // passes
  std::string state_file;                // absolute path of the state's manifest
  std::array<engine::FateCounts, contract::kTableCount> tables{};
  uint64_t repeated_line_items = 0;      // line items read that repeat an earlier line of their invoice exactly (kept)
  uint64_t incomplete_invoices = 0;      // invoices as of D with line items waiting for a sku (partial totals)
  uint64_t pending_total = 0;            // rows waiting for a parent after this run (earlier runs' included)
  uint64_t deleted = 0;                  // invoices gone since the base
  std::vector<DatasetResult> datasets;
  std::vector<StageTime> stages;
  engine::FeatureWarnings warnings;
  double total_seconds = 0;
  uint32_t overlapped_passes = 0;  // passes whose completing overlapped the preparing of the next (Run)
};

// A state refers to at most this many line logs per bucket; a run that would make more compacts them into one.
inline constexpr size_t kMaxLineLogs = 8;

// The memory model behind `run --memory-limit` (measured in docs/benchmarks.md, "Bounded memory"): a complete
// run in one pass peaks at about kPeakPerDecodedByte x the decoded size of the account, invoice and line item
// extracts it applies, and a run in P passes at about kFixedPeakBytes + that / P.
inline constexpr double kPeakPerDecodedByte = 2.0;
inline constexpr uint64_t kFixedPeakBytes = uint64_t{320} << 20;

// The peak the model expects of a run in `passes` passes applying `files` (all of the lake's files for a complete
// run) over a base state of `base_bytes` (0 for none).
uint64_t ExpectedPeak(const std::vector<const LandedFile*>& files, uint32_t passes, uint64_t base_bytes = 0);

// The fewest passes whose expected peak for a complete run over `files` fits in `limit` bytes. InvalidArgument
// when even engine::kMaxBuckets passes would not fit.
Result<uint32_t> PassesFor(const std::vector<const LandedFile*>& files, uint64_t limit);

// Runs the computation. The caller holds the lake lock. Fails (publishing nothing) when a landed file cannot be read
// or a file cannot be written; with kUnusableCache when the base state cannot be continued (missing, damaged, of
// another format, or this run's files move an invoice between buckets): the caller runs complete instead.
Result<RunReport> Run(const Lake& lake, const RunOptions& options);

}  // namespace ledgerlake::lake
