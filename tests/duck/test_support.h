// Shared by tests/duck/: a fixture with a fresh in-memory database, one connection, a scratch directory, and
// helpers that run SQL and fail the test (rather than crash) when DuckDB reports an error.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "duck/database.h"
#include "duck/query_result.h"

namespace ledgerlake::duck::testing {

// Shorthand for expected rows: {"1", kNull, "x"}.
inline const std::optional<std::string> kNull = std::nullopt;
using Rows = std::vector<TextRow>;

class DuckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Database> db = Database::Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_.emplace(std::move(db.value()));
    Result<Connection> con = Connection::Open(*db_);
    ASSERT_TRUE(con.ok()) << con.status().ToString();
    con_.emplace(std::move(con.value()));
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("ll_duck_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    con_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  Connection& con() { return *con_; }
  Database& db() { return *db_; }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // All rows of `sql` as text; an empty list (and a test failure) when DuckDB fails.
  Rows Query(const std::string& sql) {
    Result<QueryResult> result = con_->Query(sql);
    if (!result.ok()) {
      ADD_FAILURE() << sql << "\n  -> " << result.status().ToString();
      return {};
    }
    Result<Rows> rows = result->ReadAll();
    if (!rows.ok()) {
      ADD_FAILURE() << sql << "\n  -> " << rows.status().ToString();
      return {};
    }
    return *rows;
  }

  // The single value of a one-row, one-column query ("" and a test failure otherwise).
  std::string Scalar(const std::string& sql) {
    Rows rows = Query(sql);
    if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) {
      ADD_FAILURE() << sql << "\n  -> expected one non-NULL value";
      return "";
    }
    return *rows[0][0];
  }

 private:
  std::optional<Database> db_;
  std::optional<Connection> con_;
  std::filesystem::path dir_;
};

}  // namespace ledgerlake::duck::testing
