#include "catalog/migrations.h"

#include <string>

namespace ledgerlake::catalog {

namespace {

// Format 1. Times are Unix seconds (landing) or milliseconds (runs); paths are relative to the lake root; days
// are ISO dates.
constexpr const char* kFormat1 = R"sql(
CREATE TABLE tables (
  name TEXT PRIMARY KEY,
  registered_unix INTEGER NOT NULL
);
CREATE TABLE files (
  sequence INTEGER PRIMARY KEY,            -- the global landing order
  table_name TEXT NOT NULL REFERENCES tables(name),
  path TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  decoded_bytes INTEGER NOT NULL,
  gzip INTEGER NOT NULL,
  landed_unix INTEGER NOT NULL,
  registered_unix INTEGER NOT NULL,
  rows INTEGER,                            -- from the crawl
  schema_version INTEGER                   -- of table_name; NULL until crawled
);
CREATE INDEX files_by_table ON files(table_name, sequence);
CREATE TABLE schema_versions (
  table_name TEXT NOT NULL REFERENCES tables(name),
  version INTEGER NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('initial', 'compatible', 'breaking')),
  detail TEXT NOT NULL,
  file_sequence INTEGER NOT NULL REFERENCES files(sequence),
  PRIMARY KEY (table_name, version)
);
CREATE TABLE schema_columns (
  table_name TEXT NOT NULL,
  version INTEGER NOT NULL,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('integer', 'decimal', 'date', 'timestamp', 'text')),
  scale INTEGER NOT NULL,
  nullable INTEGER NOT NULL,
  format TEXT NOT NULL,
  PRIMARY KEY (table_name, version, position),
  FOREIGN KEY (table_name, version) REFERENCES schema_versions(table_name, version) ON DELETE CASCADE
);
CREATE TABLE schema_breaks (
  file_sequence INTEGER NOT NULL REFERENCES files(sequence),
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (file_sequence, column_name)
);
CREATE TABLE runs (
  run_id INTEGER PRIMARY KEY AUTOINCREMENT,
  started_unix_ms INTEGER NOT NULL,
  ended_unix_ms INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
  message TEXT NOT NULL,
  as_of TEXT NOT NULL,
  full_refresh INTEGER NOT NULL,
  seconds REAL NOT NULL,
  files_read INTEGER NOT NULL,
  bytes_read INTEGER NOT NULL,
  bytes_written INTEGER NOT NULL
);
CREATE TABLE run_stages (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  seconds REAL NOT NULL,
  PRIMARY KEY (run_id, position)
);
CREATE TABLE run_tables (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  table_name TEXT NOT NULL,
  read INTEGER NOT NULL,
  accepted INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  duplicate INTEGER NOT NULL,
  pending INTEGER NOT NULL,
  PRIMARY KEY (run_id, table_name)
);
CREATE TABLE run_inputs (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  file_sequence INTEGER NOT NULL REFERENCES files(sequence),
  PRIMARY KEY (run_id, file_sequence)
);
CREATE TABLE run_partitions (                -- what each run wrote, kept after a later run replaces it
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  dataset TEXT NOT NULL,
  day TEXT NOT NULL,
  path TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  written_unix_ms INTEGER NOT NULL,
  PRIMARY KEY (run_id, dataset)
);
CREATE TABLE partition_files (
  run_id INTEGER NOT NULL,
  dataset TEXT NOT NULL,
  name TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (run_id, dataset, name),
  FOREIGN KEY (run_id, dataset) REFERENCES run_partitions(run_id, dataset) ON DELETE CASCADE
);
CREATE TABLE partitions (                    -- the partitions in the lake now: which run's output each one is
  dataset TEXT NOT NULL,
  day TEXT NOT NULL,
  run_id INTEGER NOT NULL,
  PRIMARY KEY (dataset, day),
  FOREIGN KEY (run_id, dataset) REFERENCES run_partitions(run_id, dataset)
);
)sql";

// Format 2: runs carry their bookmark state (engine/state.h) and whether their partitions are complete datasets
// or deltas against the run before (lake/run.h).
constexpr const char* kFormat2 = R"sql(
ALTER TABLE runs ADD COLUMN state TEXT NOT NULL DEFAULT '';        -- relative to the lake root; '' = none
ALTER TABLE runs ADD COLUMN bookmark INTEGER NOT NULL DEFAULT 0;   -- newest landing sequence merged in
ALTER TABLE runs ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;   -- 0: its partitions are deltas
)sql";

// Format 3: each partition file's SHA-256 as written, so that damage to it can be told (`ledgerlake verify`).
constexpr const char* kFormat3 = R"sql(
ALTER TABLE partition_files ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';  -- '' = not known (written before format 3)
)sql";

// Format 4: the passes each run took (the buckets of its state), which a repair computes it in again.
constexpr const char* kFormat4 = R"sql(
ALTER TABLE runs ADD COLUMN passes INTEGER NOT NULL DEFAULT 1;
)sql";

// Format 5: what started each run (cli, api, schedule, file, retry), and the service's API tokens: only a salted
// hash of each token's secret is kept (catalog/tokens.h).
constexpr const char* kFormat5 = R"sql(
ALTER TABLE runs ADD COLUMN run_trigger TEXT NOT NULL DEFAULT 'cli';
CREATE TABLE tokens (
  name TEXT PRIMARY KEY,
  token_id TEXT NOT NULL UNIQUE,           -- the public part of the token, to find its row
  role TEXT NOT NULL,
  salt TEXT NOT NULL,                      -- hex
  secret_sha256 TEXT NOT NULL,             -- hex SHA-256 of salt bytes then secret bytes
  created_unix_ms INTEGER NOT NULL,
  revoked_unix_ms INTEGER                  -- NULL while the token is valid
);
)sql";

// Format 6: the service's backfills (job/backfill.h), kept so that one goes on after a restart.
constexpr const char* kFormat6 = R"sql(
CREATE TABLE backfills (
  backfill_id INTEGER PRIMARY KEY AUTOINCREMENT,
  from_day TEXT NOT NULL,
  to_day TEXT NOT NULL,
  only_missing INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  done_through TEXT,                       -- the last day run (or found done) in order; NULL before the first
  error TEXT NOT NULL DEFAULT '',
  created_unix_ms INTEGER NOT NULL,
  ended_unix_ms INTEGER
);
)sql";

// Format 7: data-quality profiles of runs and the checks of each against the run before (job/quality.h).
constexpr const char* kFormat7 = R"sql(
CREATE TABLE run_profiles (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  metric TEXT NOT NULL,                    -- rows:<dataset>, null_rate:<dataset>.<column>, mean:..., p50:..., p90:..., late_rate
  value REAL NOT NULL,
  PRIMARY KEY (run_id, metric)
);
CREATE TABLE run_checks (
  run_id INTEGER NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  previous REAL NOT NULL,
  current REAL NOT NULL,
  threshold REAL NOT NULL,
  ok INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
);
)sql";

// Format 8: the operations that change which partitions are current without a run: undo and vacuum.
constexpr const char* kFormat8 = R"sql(
CREATE TABLE operations (
  operation_id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('undo', 'vacuum')),
  days TEXT NOT NULL,                      -- the days whose partitions it dropped, comma-separated ISO dates
  runs TEXT NOT NULL,                      -- the runs that owned them, comma-separated
  detail TEXT NOT NULL,
  op_trigger TEXT NOT NULL,                -- cli, api, schedule (the service's retention)
  at_unix_ms INTEGER NOT NULL
);
)sql";

// Format 9: runs while they run. A run writes its start here before it works; its record in `runs` removes the
// start in the same transaction. A start left behind by a process that died is marked aborted: by the next run
// (which holds the lake lock, so no other run is going on), or by a listing that finds its process gone.
constexpr const char* kFormat9 = R"sql(
CREATE TABLE run_starts (
  run_id INTEGER PRIMARY KEY,              -- the id its record will have (Catalog::ReserveRunId)
  started_unix_ms INTEGER NOT NULL,
  as_of TEXT NOT NULL,
  full_refresh INTEGER NOT NULL,
  run_trigger TEXT NOT NULL,
  pid INTEGER NOT NULL,                    -- of the process running it
  process_start INTEGER NOT NULL,          -- that process's start (clock ticks after boot): a reused pid is another
  aborted_unix_ms INTEGER                  -- when it was found abandoned; NULL while it may still be running
);
)sql";

Result<int> UserVersion(sqlite::Database& db) {
  auto stmt = db.Prepare("PRAGMA user_version");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return *row ? static_cast<int>(stmt->ColumnInt(0)) : 0;
}

}  // namespace

Status CheckFormat(sqlite::Database& db) {
  auto version = UserVersion(db);
  if (!version.ok()) return version.status();
  if (*version == kCatalogFormat) return Status::OK();
  if (*version > kCatalogFormat) {
    return Status::InvalidArgument("the catalog " + db.path() + " has a newer format (" + std::to_string(*version) +
                                   "); upgrade ledgerlake");
  }
  return Status::InvalidArgument("the catalog " + db.path() + " has an older format (" + std::to_string(*version) +
                                 ") that this user cannot upgrade: run any ledgerlake command that writes (e.g. "
                                 "`ledgerlake catalog tables`) as the lake's owner first");
}

Status Migrate(sqlite::Database& db) {
  auto before = UserVersion(db);
  if (!before.ok()) return before.status();
  if (*before == kCatalogFormat) return Status::OK();
  if (*before > kCatalogFormat) {
    return Status::InvalidArgument("the catalog " + db.path() + " has a newer format (" + std::to_string(*before) +
                                   "); upgrade ledgerlake");
  }
  auto txn = sqlite::Transaction::Begin(db);
  if (!txn.ok()) return txn.status();
  auto version = UserVersion(db);  // again, inside the write lock: another process may have migrated meanwhile
  if (!version.ok()) return version.status();
  if (*version == 0) LL_RETURN_IF_ERROR(db.Execute(kFormat1));
  if (*version < 2) LL_RETURN_IF_ERROR(db.Execute(kFormat2));
  if (*version < 3) LL_RETURN_IF_ERROR(db.Execute(kFormat3));
  if (*version < 4) LL_RETURN_IF_ERROR(db.Execute(kFormat4));
  if (*version < 5) LL_RETURN_IF_ERROR(db.Execute(kFormat5));
  if (*version < 6) LL_RETURN_IF_ERROR(db.Execute(kFormat6));
  if (*version < 7) LL_RETURN_IF_ERROR(db.Execute(kFormat7));
  if (*version < 8) LL_RETURN_IF_ERROR(db.Execute(kFormat8));
  if (*version < 9) LL_RETURN_IF_ERROR(db.Execute(kFormat9));
  // Later formats: if (*version < 3) ... each step upgrades one format.
  LL_RETURN_IF_ERROR(db.Execute("PRAGMA user_version = " + std::to_string(kCatalogFormat)));
  return txn->Commit();
}

}  // namespace ledgerlake::catalog
