// duckdb_sql: runs SQL files in one embedded DuckDB connection, for the benchmark (bench/run.sh), which has no
// DuckDB CLI to call. Usage:
//
//   duckdb_sql [--set NAME=VALUE]... [--threads N] [--memory-limit X] [--print csv|table] FILE...
//
// Each FILE is read, every ${NAME} replaced by VALUE (textually, as tests/reference/features.sql expects), and
// run in order on the same connection, so temp tables of one file are visible to the next. A ${...} left after
// substitution is an error rather than a silently wrong query. --print writes the rows of the last statement
// of the last file to stdout. Exit status: 0 on success, 1 with DuckDB's message on stderr, 2 on bad usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "duck/database.h"
#include "duck/format.h"

namespace {

using ledgerlake::Result;
using ledgerlake::Status;
namespace duck = ledgerlake::duck;

Result<std::string> ReadSql(const std::string& path, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  std::string sql = buf.str();
  for (const auto& [name, value] : vars) {
    const std::string from = "${" + name + "}";
    for (size_t at = sql.find(from); at != std::string::npos; at = sql.find(from, at + value.size())) {
      sql.replace(at, from.size(), value);
    }
  }
  if (const size_t at = sql.find("${"); at != std::string::npos) {
    const std::string name = sql.substr(at, sql.find('}', at) - at + 1);
    return Status::InvalidArgument(path + ": placeholder without a --set value: " + name);
  }
  return sql;
}

int Fail(const Status& st) {
  std::fprintf(stderr, "duckdb_sql: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"run SQL files in one DuckDB connection"};
  std::vector<std::string> sets;
  std::vector<std::string> files;
  duck::DatabaseOptions options;
  std::string print;
  app.add_option("--set", sets, "NAME=VALUE: replace ${NAME} in the SQL text (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--threads", options.threads, "DuckDB worker threads (default: one per core)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--memory-limit", options.memory_limit, "DuckDB memory_limit, e.g. 4GB (default: DuckDB's)");
  app.add_option("--print", print, "print the last statement's rows")->check(CLI::IsMember({"csv", "table"}));
  app.add_option("files", files, "SQL files, run in order")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help (rc 0) or the usage error
    return rc == 0 ? 0 : 2;
  }

  std::vector<std::pair<std::string, std::string>> vars;
  for (const std::string& s : sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "duckdb_sql: --set wants NAME=VALUE, got '%s'\n", s.c_str());
      return 2;
    }
    vars.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }

  auto db = duck::Database::Open(options);
  if (!db.ok()) return Fail(db.status());
  auto conn = duck::Connection::Open(*db);
  if (!conn.ok()) return Fail(conn.status());
  for (size_t i = 0; i < files.size(); ++i) {
    auto sql = ReadSql(files[i], vars);
    if (!sql.ok()) return Fail(sql.status());
    if (print.empty() || i + 1 < files.size()) {
      const Status st = conn->Execute(*sql);
      if (!st.ok()) return Fail(Status::InvalidArgument(files[i] + ": " + st.message()));
      continue;
    }
    auto rows = conn->Query(*sql);
    if (!rows.ok()) return Fail(Status::InvalidArgument(files[i] + ": " + rows.status().message()));
    const auto format = print == "csv" ? duck::OutputFormat::kCsv : duck::OutputFormat::kTable;
    if (Status st = duck::FormatResult(*rows, format, std::cout); !st.ok()) return Fail(st);
  }
  return 0;
}
