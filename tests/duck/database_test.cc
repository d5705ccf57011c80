#include "duck/database.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <utility>

#include "duck/test_support.h"

namespace ledgerlake::duck {
namespace {

using testing::DuckTest;
using testing::kNull;
using testing::Rows;

std::string Setting(Connection& con, const std::string& name) {
  Result<QueryResult> q = con.Query("SELECT current_setting('" + name + "')::VARCHAR");
  EXPECT_TRUE(q.ok()) << q.status().ToString();
  if (!q.ok()) return "";
  Result<Rows> rows = q->ReadAll();
  EXPECT_TRUE(rows.ok() && rows->size() == 1);
  return rows.ok() && rows->size() == 1 ? rows.value()[0][0].value_or("NULL") : "";
}

TEST(DatabaseTest, OptionsReachDuckDB) {
  DatabaseOptions options;
  options.threads = 1;
  options.memory_limit = "1GiB";
  options.temp_directory = "/tmp/ll_duck_spill";
  options.settings = {{"default_order", "descending"}};
  Result<Database> db = Database::Open(options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Result<Connection> con = Connection::Open(*db);
  ASSERT_TRUE(con.ok()) << con.status().ToString();
  EXPECT_EQ(Setting(*con, "threads"), "1");
  EXPECT_EQ(Setting(*con, "memory_limit"), "1.0 GiB");
  EXPECT_EQ(Setting(*con, "temp_directory"), "/tmp/ll_duck_spill");
  // The passthrough setting changes behaviour: ORDER BY without a direction now sorts descending.
  Result<QueryResult> q = con->Query("SELECT x FROM range(3) t(x) ORDER BY x");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->ReadAll().value(), (Rows{{"2"}, {"1"}, {"0"}}));
}

TEST(DatabaseTest, RejectedOptionsAreErrors) {
  DatabaseOptions bad_memory;
  bad_memory.memory_limit = "plenty";
  EXPECT_FALSE(Database::Open(bad_memory).ok());

  DatabaseOptions bad_name;
  bad_name.settings = {{"no_such_duckdb_option", "1"}};
  Result<Database> db = Database::Open(bad_name);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(db.status().message().find("no_such_duckdb_option"), std::string::npos) << db.status().message();

  DatabaseOptions negative;
  negative.threads = -1;
  EXPECT_FALSE(Database::Open(negative).ok());
}

TEST_F(DuckTest, SyntaxErrorCarriesDuckDBMessage) {
  Status st = con().Execute("SELEC 1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(st.message().rfind("Parser Error: syntax error at or near \"SELEC\"", 0), 0u) << st.message();

  Result<QueryResult> q = con().Query("SELECT FROM WHERE");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message().rfind("Parser Error:", 0), 0u) << q.status().message();
}

TEST_F(DuckTest, CatalogAndRuntimeErrorsCarryDuckDBMessage) {
  Status st = con().Execute("SELECT * FROM no_such_table");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Catalog Error: Table with name no_such_table does not exist"), std::string::npos)
      << st.message();

  Result<QueryResult> q = con().Query("SELECT error('boom from sql')");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("boom from sql"), std::string::npos) << q.status().message();

  Result<QueryResult> conversion = con().Query("SELECT 'abc'::INTEGER");
  ASSERT_FALSE(conversion.ok());
  EXPECT_NE(conversion.status().message().find("Conversion Error"), std::string::npos);
}

TEST_F(DuckTest, ErrorRaisedLateInAStreamSurfacesFromNext) {
  // The error row is far past the first chunks, so DuckDB may already have handed out rows when it fails.
  Result<QueryResult> q =
      con().Query("SELECT CASE WHEN x = 3000000 THEN error('late boom') ELSE x END AS v FROM range(4000000) t(x)");
  Status failure;
  if (!q.ok()) {
    failure = q.status();
  } else {
    for (;;) {
      Result<bool> next = q->Next();
      if (!next.ok()) {
        failure = next.status();
        break;
      }
      ASSERT_TRUE(*next) << "the result ended without reporting the error";
    }
    Result<bool> after = q->Next();  // stays finished, no crash
    EXPECT_TRUE(after.ok() && !*after);
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_NE(failure.message().find("late boom"), std::string::npos) << failure.message();
}

TEST_F(DuckTest, ExecuteRunsEveryStatementAndStopsAtTheFirstFailure) {
  ASSERT_TRUE(con().Execute("CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (1), (2);").ok());
  EXPECT_EQ(Scalar("SELECT count(*) FROM t"), "2");
  Status st = con().Execute("INSERT INTO t VALUES (3); SELECT * FROM nope; INSERT INTO t VALUES (4)");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Query("SELECT a FROM t ORDER BY a"), (Rows{{"1"}, {"2"}, {"3"}}));
}

TEST_F(DuckTest, QueryReturnsTheLastStatementsRows) {
  EXPECT_EQ(Query("CREATE TABLE u AS SELECT 41 AS a; SELECT a + 1 AS b FROM u; "), (Rows{{"42"}}));
  Result<QueryResult> q = con().Query("SELECT 1 AS one, 'x' AS \"two words\"");
  ASSERT_TRUE(q.ok());
  ASSERT_EQ(q->column_count(), 2u);
  EXPECT_EQ(q->column_name(0), "one");
  EXPECT_EQ(q->column_name(1), "two words");

  Result<QueryResult> failing_middle = con().Query("SELECT 1; SELECT * FROM nope; SELECT 2");
  ASSERT_FALSE(failing_middle.ok());
  EXPECT_NE(failing_middle.status().message().find("nope"), std::string::npos);

  EXPECT_FALSE(con().Query("").ok());
  EXPECT_FALSE(con().Query("  ;  ").ok());
}

TEST_F(DuckTest, RunningAnotherStatementEndsAnOpenResultCleanly) {
  Result<QueryResult> q = con().Query("SELECT x FROM range(1000000) t(x)");
  ASSERT_TRUE(q.ok());
  ASSERT_TRUE(q->Next().value());
  ASSERT_TRUE(con().Execute("CREATE TABLE other AS SELECT 1 AS a").ok());
  // DuckDB silently ends a stream whose connection moves on; the wrapper reports it instead of a short read.
  size_t rows = 1;
  Status failure;
  for (;;) {
    Result<bool> next = q->Next();
    if (!next.ok()) {
      failure = next.status();
      break;
    }
    if (!*next) break;
    ++rows;
  }
  EXPECT_FALSE(failure.ok()) << "read " << rows << " rows without an error";
  EXPECT_EQ(Scalar("SELECT count(*) FROM other"), "1");
}

TEST_F(DuckTest, ConnectionsShareTheDatabase) {
  ASSERT_TRUE(con().Execute("CREATE TABLE shared AS SELECT 7 AS v").ok());
  Result<Connection> second = Connection::Open(db());
  ASSERT_TRUE(second.ok());
  Result<QueryResult> q = second->Query("SELECT v FROM shared");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->ReadAll().value(), (Rows{{"7"}}));
}

TEST_F(DuckTest, ConnectionsOnSeveralThreads) {
  ASSERT_TRUE(con().Execute("CREATE TABLE nums AS SELECT x FROM range(100000) t(x)").ok());
  std::string sums[4];
  std::thread threads[4];
  for (int i = 0; i < 4; ++i) {
    threads[i] = std::thread([this, i, &sums] {
      Result<Connection> c = Connection::Open(db());
      if (!c.ok()) return;
      Result<QueryResult> q = c->Query("SELECT sum(x) + " + std::to_string(i) + " FROM nums");
      if (!q.ok()) return;
      Result<Rows> rows = q->ReadAll();
      if (rows.ok() && rows->size() == 1) sums[i] = rows.value()[0][0].value_or("");
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sums[i], std::to_string(4999950000LL + i));
}

TEST(DatabaseMoveTest, MovedWrappersKeepWorking) {
  Result<Database> opened = Database::Open();
  ASSERT_TRUE(opened.ok());
  Database db = std::move(opened.value());
  Database moved_db = std::move(db);
  Result<Connection> opened_con = Connection::Open(moved_db);
  ASSERT_TRUE(opened_con.ok());
  Connection con = std::move(opened_con.value());
  Connection moved_con(std::move(con));
  con = std::move(moved_con);
  Result<QueryResult> q = con.Query("SELECT 'still here'");
  ASSERT_TRUE(q.ok());
  QueryResult moved_result = std::move(q.value());
  EXPECT_EQ(moved_result.ReadAll().value(), (Rows{{"still here"}}));
  EXPECT_FALSE(Connection::Open(db).ok());  // db was moved from
}

TEST_F(DuckTest, NullsComeBackAsNullopt) {
  EXPECT_EQ(Query("SELECT NULL::INTEGER AS a, 'x' AS b UNION ALL SELECT 1, NULL ORDER BY a NULLS FIRST"),
            (Rows{{kNull, "x"}, {"1", kNull}}));
}

}  // namespace
}  // namespace ledgerlake::duck
