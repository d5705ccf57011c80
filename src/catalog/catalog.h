// Catalog: the lake's metadata store (the seed's Glue Data Catalog and job history), a SQLite database at
// <lake>/catalog.db in WAL mode. It records the tables, their schema versions, the landed files (path, content
// hash, size, table, landing time, schema version), the breaking schema problems of files, the runs (see
// catalog/run_record.h) and the partitions they wrote.
//
// It is an index, not the truth: the raw zone's files and their JSON sidecars stay authoritative. Sync()
// registers every landed file the catalog lacks (a lake older than the catalog, a crash between landing and
// registering), so the commands that open the catalog (ingest, run, crawl, catalog) always see every landed file.
// Registering a file = a files row + the crawl of its schema (catalog/crawler.h) placed among its table's
// schema versions (catalog/evolution.h).
//
// Breaking changes and how they are resolved: a breaking file (catalog/evolution.h) stops `run` until a file of
// the same table landed after it crawls without a breaking problem: a later good extract supersedes it. The
// broken file stays in the raw zone (raw is immutable); once superseded, its rows go through the validator like
// any other and its bad values end in rejects, while the later extract's rows win per key. There is no other
// way to unblock a table: to process a broken extract anyway, fix it and ingest the fixed file.
//
// Several processes may use one catalog: each registration is one write transaction that first checks the file
// is still unregistered. Callers that rebuild versions (Recrawl) or record runs hold the lake lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <map>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "catalog/evolution.h"
#include "catalog/run_record.h"
#include "catalog/tokens.h"
#include "catalog/sqlite.h"
#include "lake/lake.h"
#include "lake/landing.h"

namespace ledgerlake::catalog {

struct SchemaVersion {
  std::string table;
  int version = 0;
  ChangeKind change = ChangeKind::kInitial;
  std::string detail;           // what changed ("first schema", "added column region (text)", the problems)
  uint64_t file_sequence = 0;   // the landed file that introduced it
  std::string file;             // its path, relative to the lake root
  std::string source;           // the extract it was ingested from
  uint64_t files = 0;           // landed files with this version
  int64_t first_seen_unix = 0;  // landing time of its first and last file
  int64_t last_seen_unix = 0;
  TableSchema columns;
};

struct TableInfo {
  std::string name;
  uint64_t files = 0;
  uint64_t rows = 0;        // records in its landed files (header excluded)
  uint64_t bytes = 0;       // on disk
  int current_version = 0;  // the latest non-breaking version; 0 when there is none
  int versions = 0;
  int64_t first_seen_unix = 0;
  int64_t last_seen_unix = 0;
  uint64_t breaking_files = 0;  // files with a breaking change not yet superseded: `run` holds the table back
};

struct TableDescription {
  TableInfo info;
  TableSchema columns;  // of the current version (empty when there is none)
  std::vector<SchemaVersion> versions;
};

// A breaking change that blocks `run`: the file, the column, what is wrong.
struct BreakingChange {
  std::string table;
  uint64_t file_sequence = 0;
  std::string file;    // relative to the lake root
  std::string source;  // the extract it was ingested from
  std::string column;
  std::string detail;
  bool superseded = false;  // a later good file of the table resolved it
};

// One line about a breaking change: the table, the file (and the extract it came from), the column, the problem.
std::string BreakingLine(const BreakingChange& change);

// One data-quality check of a run against the run before it (job/quality.h).
struct CheckResult {
  std::string name;       // "row_drop:invoice_features", "late_rate_change", "null_rate_change:...", ...
  double value = 0;       // the change measured
  double previous = 0;    // the previous run's metric
  double current = 0;     // this run's
  double threshold = 0;
  bool ok = true;
};

// An undo or a vacuum: days whose partitions stopped being current without a run.
struct Operation {
  int64_t id = 0;
  std::string kind;  // undo, vacuum
  std::vector<DayNumber> days;
  std::vector<int64_t> runs;
  std::string detail;
  std::string trigger;
  int64_t at_unix_ms = 0;
};

// A partition rewritten whole by vacuum's compaction.
struct CompactedPartition {
  std::string dataset;
  std::vector<PartitionFile> files;
  uint64_t rows = 0;
};

// A backfill of the service: one run per day from `from` to `to`, in order.
struct Backfill {
  int64_t id = 0;
  DayNumber from = 0;
  DayNumber to = 0;
  bool only_missing = false;
  std::string status;                      // queued, running, done, failed
  std::optional<DayNumber> done_through;   // the last day run (or found done)
  std::string error;                       // why it failed
  int64_t created_unix_ms = 0;
  std::optional<int64_t> ended_unix_ms;
};

// The run that owns a day's partitions now.
struct CommittedRun {
  DayNumber day = 0;
  int64_t run_id = 0;
  std::string state;  // relative to the lake root; "" when the run kept none (older lakes)
  uint64_t bookmark = 0;
  bool complete = true;
  uint32_t passes = 1;
  std::vector<uint64_t> consumed;  // landing sequences of the files it applied, ascending
};

class Catalog {
 public:
  // Opens <lake>/catalog.db, creating it and its tables (or migrating an older one) when needed. Fails when the
  // file is not a catalog or was written by a newer ledgerlake.
  static Result<Catalog> Open(const lake::Lake& lake);
  // Opens the catalog for reading only, changing nothing on disk (for queries, and for users who may only read
  // the lake). NotFound when there is no catalog.db; nothing is registered (no Sync), so files landed by a
  // process that crashed before registering them are not listed until a writer opens the catalog.
  static Result<Catalog> OpenForReading(const lake::Lake& lake);
  static std::string PathOf(const lake::Lake& lake) { return lake.root() + "/catalog.db"; }

  // Registers every landed file not yet in the catalog, in landing order (crawling each). Fails, naming the file,
  // when one cannot be read, and with Corruption when a registered file's content hash disagrees with the lake.
  // `profiled` holds crawl profiles already made (by ingest, while landing), by landing sequence: those files
  // are not read again.
  Status Sync(const lake::Lake& lake, const std::unordered_map<uint64_t, FileProfile>* profiled = nullptr);

  // Re-crawls every landed file and rebuilds every table's schema versions from scratch, in landing order (the
  // result is what registering the files one by one gives). Registers missing files too. Hold the lake lock.
  Status Recrawl(const lake::Lake& lake);

  // Breaking changes not yet superseded, in landing order; empty when `run` may proceed. With
  // `include_superseded`, the resolved ones too (flagged).
  Result<std::vector<BreakingChange>> BreakingChanges(bool include_superseded = false);

  // Tables with at least one landed file, in contract order.
  Result<std::vector<TableInfo>> Tables();
  // One table; NotFound when `table` is not one of the contract's tables.
  Result<TableDescription> Describe(std::string_view table);
  // Schema versions of every table (or of `table`), in table then version order.
  Result<std::vector<SchemaVersion>> Versions(std::string_view table = "");

  // Every registered landed file, in landing order (paths absolute).
  Result<std::vector<lake::LandedFile>> LandedFiles();

  // Stores a run and the partitions it wrote (which become the current partitions of their days); returns the
  // new run id. Its start (BeginRun), if any, goes in the same transaction.
  Result<int64_t> RecordRun(const RunRecord& run);
  // Runs while they run (format 9). BeginRun notes a run about to work, under an id from ReserveRunId. Only a
  // holder of the lake lock may call AbortAbandonedRuns: no run can be going on then, so every start without a
  // record belongs to a process that died; they are marked aborted (returns how many). AbortRun marks one start
  // whose process is known to be gone (unless it has a record or is marked already). RunStarts lists the starts
  // without a record, running or aborted, by id.
  Status BeginRun(const RunStart& start);
  Result<int> AbortAbandonedRuns(int64_t now_unix_ms);
  Status AbortRun(int64_t run_id, int64_t now_unix_ms);
  Result<std::vector<RunStart>> RunStarts();
  // A repair: the files of run `run_id`'s partition of `dataset` are now `files` (rewritten from the raw zone
  // with the same rows), in one transaction. NotFound when the run wrote no such partition.
  Status ReplacePartitionFiles(int64_t run_id, std::string_view dataset, const std::vector<PartitionFile>& files);
  // An id no run has and no later run will get by itself: the record of a run given it (RunRecord::run_id)
  // takes it, so that a run can be named (by the service) before it commits.
  Result<int64_t> ReserveRunId();

  // API tokens (catalog/tokens.h). CreateToken makes a token for `role` named `name` ("" = "token-<id>") and
  // returns it: the only time it is known. InvalidArgument when the name is taken or not a plain name
  // ([A-Za-z0-9._-], 1-64 characters).
  Result<std::string> CreateToken(std::string_view role, std::string_view name);
  // Every token, valid and revoked, by creation time.
  Result<std::vector<TokenInfo>> ListTokens();
  // Revokes the token named `name`; NotFound when there is no valid token of that name.
  Status RevokeToken(std::string_view name);
  // Every token that is not revoked, with what checking it needs.
  Result<std::vector<StoredToken>> ValidTokens();

  // Drops every current partition of `days` (their files become unreferenced) and records the operation, in one
  // transaction (job/manage.h).
  Status DropDays(Operation operation);
  // Every operation, oldest first.
  Result<std::vector<Operation>> Operations();
  // Vacuum's compaction (job/manage.h), in one transaction: run `run_id`'s partitions of the `compacted` datasets
  // now hold the whole datasets as of its day, so the run is marked complete; then DropDays(drop).
  Status CompactAndDrop(int64_t run_id, const std::vector<CompactedPartition>& compacted, Operation drop);

  // The service's backfills (job/backfill.h): one made, all listed (oldest first), one's progress recorded.
  Result<int64_t> CreateBackfill(DayNumber from, DayNumber to, bool only_missing);
  Result<std::vector<Backfill>> Backfills();
  Status UpdateBackfill(const Backfill& backfill);

  // Data-quality profiles and checks of runs (job/quality.h), format 7. A run's profile replaces any earlier one.
  Status StoreProfile(int64_t run_id, const std::map<std::string, double>& profile,
                      const std::vector<CheckResult>& checks);
  // The profile of run `run_id`; empty when it has none.
  Result<std::map<std::string, double>> Profile(int64_t run_id);
  // The checks of every run (or of `run_id`), by run id.
  Result<std::map<int64_t, std::vector<CheckResult>>> Checks(int64_t run_id = 0);

  // Every run, oldest first, each with everything it wrote (also the partitions later runs replaced).
  Result<std::vector<RunRecord>> Runs();
  // The runs that own the days with partitions, oldest day first.
  Result<std::vector<CommittedRun>> CommittedRuns();
  // The current partitions of every dataset (or of `dataset`), by dataset then day.
  Result<std::vector<PartitionRecord>> Partitions(std::string_view dataset = "");

 private:
  Catalog(sqlite::Database db, std::string root) : db_(std::move(db)), root_(std::move(root)) {}
  std::string Relative(const std::string& path) const;
  Status Register(const lake::LandedFile& file, const FileProfile& profile);
  Result<std::vector<VersionInfo>> LoadVersions(std::string_view table);
  Result<TableSchema> LoadColumns(std::string_view table, int version);
  Status StoreColumns(std::string_view table, int version, const TableSchema& columns);
  Result<std::vector<PartitionRecord>> LoadPartitions(bool current_only, std::string_view dataset);
  // Inside a transaction: the files (and, when given, the rows) of run `run_id`'s partition of `dataset`.
  Status ReplaceFiles(int64_t run_id, std::string_view dataset, const std::vector<PartitionFile>& files,
                      std::optional<uint64_t> rows);
  Status DropDaysInTransaction(const Operation& op);
  // Marks aborted the starts without a record and not marked yet: run `run_id`'s, or all when none is given.
  // Returns how many.
  Result<int> MarkAborted(std::optional<int64_t> run_id, int64_t now_unix_ms);

  sqlite::Database db_;
  std::string root_;  // the lake root, for relative paths
};

}  // namespace ledgerlake::catalog
