// The only code that sees sqlite3.h: a thin RAII wrapper over SQLite's C API (a database connection, a prepared
// statement with bind/step/column, a transaction), with every error turned into a Status. Used by the catalog.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "util/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ledgerlake::catalog::sqlite {

struct OpenOptions {
  int busy_timeout_ms = 60000;  // how long a writer waits for another process's write transaction
  bool wal = true;              // journal_mode=WAL: readers never block the writer, nor the writer them
  // Open an existing database for reading only (nothing is created or written; `wal` is ignored). When the file
  // system would not let SQLite keep its WAL index (a lake this user may only read, with no -shm file), the file
  // is read as immutable instead: correct while no writer is committing meanwhile.
  bool read_only = false;
};

class Statement;

// A connection to one database file, created when missing. Foreign keys are enforced.
class Database {
 public:
  // Opens (creating if needed) the database at `path`. Fails with a message naming the file.
  static Result<Database> Open(const std::string& path, const OpenOptions& options = {});
  Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows (DDL, PRAGMA, BEGIN ...).
  Status Execute(std::string_view sql);
  // Compiles one statement. Fails on a syntax error or an unknown table, with SQLite's message.
  Result<Statement> Prepare(std::string_view sql);

  int64_t last_insert_rowid() const;
  // Rows the last INSERT, UPDATE or DELETE changed.
  int changes() const;
  const std::string& path() const { return path_; }

 private:
  friend class Statement;
  // The error for SQLite result code `rc` on connection `db` of the file `path`: Busy for SQLITE_BUSY/LOCKED,
  // Corruption for a damaged or foreign file, IOError otherwise.
  static Status Error(sqlite3* db, const std::string& path, int rc, std::string_view what);

  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// A prepared statement; it must not outlive its Database. Binding is chained and never fails on its own: a bind error
// is kept and returned by the next Step or Run, so callers check one Status per execution. Parameters are numbered from
// 1, columns from 0.
class Statement {
 public:
  Statement(Statement&& other) noexcept
      : db_(other.db_),
        path_(std::move(other.path_)),
        stmt_(std::exchange(other.stmt_, nullptr)),
        bind_error_(std::move(other.bind_error_)) {}
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& BindInt(int index, int64_t value);
  Statement& BindDouble(int index, double value);
  Statement& BindText(int index, std::string_view value);  // copied by SQLite
  Statement& BindNull(int index);

  // Advances to the next row: true when a row is available, false when the statement is done.
  Result<bool> Step();
  // Steps a statement that returns no rows to completion.
  Status Run();
  // Steps through every row, calling `row()` (which reads the columns) for each; stops at the first error,
  // SQLite's or the one `row()` returns. The loop every query of the catalog would otherwise repeat.
  template <typename F>
  Status ForEachRow(F&& row) {
    for (;;) {
      auto more = Step();
      if (!more.ok()) return more.status();
      if (!*more) return Status::OK();
      if (Status st = row(); !st.ok()) return st;
    }
  }
  // Makes the statement ready to run again, with no parameters bound.
  void Reset();

  int64_t ColumnInt(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;  // "" for NULL
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, std::string path, sqlite3_stmt* stmt) : db_(db), path_(std::move(path)), stmt_(stmt) {}
  void NoteBind(int rc, int index);
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* stmt_;
  Status bind_error_;
};

// A write transaction (BEGIN IMMEDIATE: takes the write lock up front, waiting up to the busy timeout, so two
// processes never deadlock upgrading read locks). Rolled back on destruction unless committed.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

}  // namespace ledgerlake::catalog::sqlite
