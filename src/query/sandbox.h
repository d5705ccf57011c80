// The query sandbox: what a query (from `ledgerlake query` or the service's /api/query) may see and do. A
// Sandbox is one in-memory DuckDB database holding the lake's views, as of one day, that a role's grants allow,
// then locked with DuckDB's own controls:
//   - enable_external_access=false, with allowed_directories = the partition directories of the granted
//     datasets only (so read_parquet of another dataset's files, read_csv('/etc/passwd'), glob, COPY ... TO,
//     EXPORT DATABASE and ATTACH of a file all fail with a permission error);
//   - extensions are neither installed nor loaded, and lock_configuration=true keeps every setting (memory,
//     threads, access) as set here;
//   - the raw and source table functions (lake/source_tables.h) are registered only for the granted tables.
// Check() refuses, before a statement runs, anything but a read-only statement (SELECT, EXPLAIN; DESCRIBE, SHOW
// and SUMMARIZE are SELECTs). Views that are not granted do not exist in the database at all, so no query can
// read them, and information_schema and duckdb_views() show none of them; a query naming one is refused as such.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "duck/database.h"
#include "lake/lake.h"
#include "lake/views.h"
#include "query/grants.h"
#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::query {

// What the query views are made of (lake/views.h), read from the catalog.
Result<lake::ViewInputs> ViewInputsOf(const lake::Lake& lake, catalog::Catalog& cat);

// The view inputs, read without writing anything (queries; users who may only read the lake). A lake without a
// catalog has none, unless it holds partition files: then its catalog was lost, and that is an error.
Result<lake::ViewInputs> ViewInputsToRead(const lake::Lake& lake);

// Whether this process may write the lake's catalog (else it only reads: Catalog::OpenForReading).
bool MayWriteCatalog(const lake::Lake& lake);
// Whether the lake holds any partition file (committed or not).
bool HasProcessedFiles(const lake::Lake& lake);

struct SandboxLimits {
  std::string memory_limit;  // DuckDB's memory_limit for the whole database ("" = DuckDB's default)
  int threads = 0;           // 0 = DuckDB's default
};

class Sandbox {
 public:
  // Makes the views `grants` allow as of `as_of` (the newest run when absent) from `inputs`, then locks the
  // database. Fails when DuckDB refuses a setting or a view cannot be made.
  static Result<std::unique_ptr<Sandbox>> Open(const lake::Lake& lake, const lake::ViewInputs& inputs,
                                               const Grants& grants, std::optional<DayNumber> as_of,
                                               const SandboxLimits& limits = {});

  // A new session on the views (one per thread; a query runs on one).
  Result<duck::Connection> Connect();

  // OK when every statement of `sql` may run here (a role with every view may run several; others one):
  // PermissionDenied naming a lake view the grants do not allow, or a statement that is not read-only (with its
  // type); InvalidArgument (DuckDB's message) when the SQL does not parse or bind, PermissionDenied when binding
  // was refused for a file.
  Status Check(duck::Connection& conn, std::string_view sql);

  const Grants& grants() const { return grants_; }

 private:
  // `failure` (DuckDB's, preparing a statement) as PermissionDenied when it is about a view not granted.
  Status Refusal(const Status& failure) const;
  Sandbox(duck::Database db, Grants grants) : db_(std::move(db)), grants_(std::move(grants)) {}
  duck::Database db_;
  Grants grants_;
};

// A sandboxed session for the `query` command: the views as of `as_of`, the lease that keeps the files they
// read from being deleted (declared first: released last), and the partitions they were made of.
struct QuerySession {
  lake::ReadLease lease;
  std::unique_ptr<Sandbox> sandbox;
  duck::Connection conn;
  std::vector<lake::ViewPartition> partitions;
};
Result<QuerySession> OpenQuerySession(const lake::Lake& lake, const Grants& grants, std::optional<DayNumber> as_of,
                                      const SandboxLimits& limits = {});

// A query that failed reading a file: when the lake has damaged partition files, the error names them (DuckDB's
// own message may name none), with the command that repairs them. Other failures come back as they are.
Status NameDamagedFiles(const lake::Lake& lake, const Status& failure);

}  // namespace ledgerlake::query
