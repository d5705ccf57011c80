// Internal to src/duck/: the raw DuckDB handles behind Database, Connection and QueryResult, and the helpers
// the .cc files share. Only src/duck/*.cc may include this header (it is the one that includes duckdb.h).
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "duck/database.h"
#include "duck/parquet_writer.h"
#include "duck/query_result.h"
#include "util/status.h"

namespace ledgerlake::duck::internal {

// The TableViews WriteParquet is exposing to DuckDB right now, by id. DuckDB's scan function finds its table
// here from the id it is called with, and only on the connection that is writing it (which is busy running
// that COPY), so no SQL can make it read arbitrary memory or a table that is about to go away. Shared by a
// Database, its Connections and the registered function (whose extra info lives as long as DuckDB's catalog).
class ScanRegistry {
 public:
  // ids start at 1 and are never reused.
  uint64_t Add(const TableView* table, uint64_t connection_id);
  void Remove(uint64_t id);
  // nullptr unless `id` is registered by `connection_id`.
  const TableView* Find(uint64_t id, uint64_t connection_id) const;

 private:
  struct Entry {
    const TableView* table;
    uint64_t connection_id;
  };
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Entry> tables_;
};

// Registers WriteParquet's scan function, serving the tables of `registry`, in the database of `con`. Called
// once per database, when it is opened (outside any user transaction, so no ROLLBACK can undo it).
Status RegisterScanFunction(duckdb_connection con, const std::shared_ptr<ScanRegistry>& registry);

struct DatabaseState {
  duckdb_database db = nullptr;
  std::shared_ptr<ScanRegistry> scans = std::make_shared<ScanRegistry>();
  ~DatabaseState() {
    if (db != nullptr) duckdb_close(&db);
  }
};

struct ConnectionState {
  duckdb_connection con = nullptr;
  std::shared_ptr<ScanRegistry> scans;
  // Bumped whenever the connection starts running SQL. DuckDB silently ends an open streaming result when its
  // connection runs something else; a QueryResult compares this to its own generation to report that instead.
  std::shared_ptr<uint64_t> generation = std::make_shared<uint64_t>(0);

  // The handle to run a new statement with (marks earlier QueryResults as abandoned).
  duckdb_connection BeginStatement() {
    ++*generation;
    return con;
  }
  ~ConnectionState() {
    if (con != nullptr) duckdb_disconnect(&con);
  }
};

struct Access {
  static ConnectionState& Of(Connection& connection) { return *connection.state_; }
};

// Runs `sql` (one or more statements) on `connection` and hands back the last statement's streaming result.
// DuckDB's message `text` as a Status: PermissionDenied when DuckDB says it is a permission error (the C API
// gives prepare errors no type; DuckDB renders every error as "<Type> Error: ..."), else InvalidArgument.
Status MessageStatus(std::string text);

struct QueryRunner {
  static Result<QueryResult> Run(ConnectionState& connection, std::string_view sql);
  static Result<QueryResult> RunOne(ConnectionState& connection, std::string_view sql, size_t index);
  static Result<size_t> Count(ConnectionState& connection, std::string_view sql);
  static Result<StatementInfo> Describe(ConnectionState& connection, std::string_view sql, size_t index);
  // Streams statement `index` of the `count` extracted from `sql` (its text is used to convert columns we do not
  // render, when it is the only statement).
  static Result<QueryResult> Stream(ConnectionState& connection, duckdb_extracted_statements extracted, idx_t count,
                                    idx_t index, std::string_view sql);
};

// A duckdb_result that is destroyed on scope exit.
class ResultHandle {
 public:
  ResultHandle() = default;
  ResultHandle(const ResultHandle&) = delete;
  ResultHandle& operator=(const ResultHandle&) = delete;
  ~ResultHandle() { duckdb_destroy_result(&result_); }
  duckdb_result* get() { return &result_; }
  // The failed statement's error: DuckDB's message verbatim (or `fallback` when it gave none), as IOError for
  // DuckDB I/O errors, PermissionDenied for its permission errors (the sandbox refusing a file, a locked
  // setting) and InvalidArgument for everything else.
  Status ErrorStatus(std::string_view fallback);

 private:
  duckdb_result result_{};
};

}  // namespace ledgerlake::duck::internal
