// Database and Connection: RAII owners of an embedded, in-memory DuckDB instance and of a session on it.
// Every layer that runs SQL (lake/ writing Parquet, cli/ answering `query`) goes through a Connection; src/duck/
// is the only folder that includes duckdb.h, and no raw DuckDB handle is visible outside it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duck/query_result.h"
#include "util/status.h"

namespace ledgerlake::duck {

namespace internal {
struct DatabaseState;
struct ConnectionState;
struct Access;
}  // namespace internal

struct DatabaseOptions {
  int threads = 0;                            // worker threads; 0 = DuckDB's default (one per core)
  std::string memory_limit;                   // e.g. "4GB"; empty = DuckDB's default (80% of RAM)
  std::optional<std::string> temp_directory;  // where DuckDB spills; nullopt = DuckDB's default
  // Any other DuckDB configuration option by its DuckDB name, applied in order after the ones above
  // (e.g. {"enable_external_access", "false"}).
  std::vector<std::pair<std::string, std::string>> settings;
};

// What a prepared statement is: `read_only` for SELECT and EXPLAIN (which read and change nothing: DESCRIBE,
// SHOW and SUMMARIZE are SELECTs too), false for everything else (COPY, CREATE, SET, PRAGMA, ATTACH, ...).
struct StatementInfo {
  bool read_only = false;
  std::string type;  // DuckDB's statement type, e.g. "SELECT", "COPY", "ATTACH"
};

// An in-memory DuckDB database. Move-only (a moved-from object may only be destroyed or assigned to);
// closing happens in the destructor. Safe to share between threads for opening Connections. It must
// outlive every Connection opened on it.
// Quotes `text` as an SQL string literal ('it''s'), for paths and names spliced into SQL.
std::string SqlStringLiteral(std::string_view text);

class Database {
 public:
  // Opens a fresh in-memory database. InvalidArgument (with DuckDB's message) when DuckDB rejects an option.
  static Result<Database> Open(const DatabaseOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

 private:
  explicit Database(std::unique_ptr<internal::DatabaseState> state);
  friend class Connection;
  std::unique_ptr<internal::DatabaseState> state_;
};

// One session on a Database: its own transaction state and settings. Move-only; disconnects in the destructor.
// Not thread-safe: use one Connection per thread. At most one QueryResult per Connection may be read at a
// time; running anything else on the Connection ends an unfinished QueryResult (its Next() then fails).
class Connection {
 public:
  // Connects to `db`. IOError with DuckDB's message if DuckDB refuses.
  static Result<Connection> Open(Database& db);

  // Runs one or more `;`-separated statements and discards their results. A failing statement stops the
  // batch; the Status carries DuckDB's error message verbatim (e.g. "Parser Error: syntax error at ..."), as
  // IOError for DuckDB's I/O and permission errors and InvalidArgument for all others.
  Status Execute(std::string_view sql);

  // Runs one or more `;`-separated statements and returns the rows of the last one, streamed chunk by chunk.
  // Errors as for Execute; errors raised while later rows are produced surface from QueryResult::Next().
  // Columns of types QueryResult does not render itself (TIMESTAMP, LIST, ... see ValueKind::kOther) are
  // converted by DuckDB, which needs a single-statement query: in a multi-statement query they are an
  // InvalidArgument error asking for a CAST to VARCHAR.
  Result<QueryResult> Query(std::string_view sql);

  // The statements in `sql`, as DuckDB's parser splits them; InvalidArgument with the parser's message.
  Result<size_t> CountStatements(std::string_view sql);
  // Runs only statement `index` (from 0) of `sql` and returns its rows, streamed: a caller runs a script's
  // statements one after the other and sees each one's result. Errors as for Query.
  Result<QueryResult> QueryStatement(std::string_view sql, size_t index);

  // What statement `index` of `sql` is, as DuckDB prepares it (parsed and bound: a statement that names a table
  // or file it cannot see fails here, with DuckDB's message; a permission error as PermissionDenied).
  Result<StatementInfo> Describe(std::string_view sql, size_t index);
  // Cancels the statement running on this connection; it then fails with DuckDB's "Interrupted" error. The one
  // call that is safe from another thread while the connection is in use.
  void Interrupt();

  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

 private:
  explicit Connection(std::unique_ptr<internal::ConnectionState> state);
  friend struct internal::Access;
  std::unique_ptr<internal::ConnectionState> state_;
};

}  // namespace ledgerlake::duck
