// The SQLite wrapper: open/create, WAL, bind/step/column, deferred bind errors, transactions, busy writers.
#include "catalog/sqlite.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ledgerlake::catalog::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path().string() + "/ll-sqlite-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ + "/test.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string One(Database& db, const std::string& sql) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().message();
    if (!stmt.ok()) return "";
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row);
    return stmt->ColumnText(0);
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteTest, CreatesTheFileInWalMode) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().message();
  EXPECT_TRUE(fs::exists(path_));
  EXPECT_EQ(One(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(One(*db, "PRAGMA foreign_keys"), "1");
}

TEST_F(SqliteTest, BindStepAndColumnsRoundTrip) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, n TEXT)").ok());
  auto ins = db->Prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(ins.ok());
  const std::string with_nul("a\0b", 3);
  ASSERT_TRUE(ins->BindInt(1, INT64_MIN).BindDouble(2, 2.5).BindText(3, with_nul).BindNull(4).Run().ok());
  ins->Reset();
  ASSERT_TRUE(ins->BindInt(1, 7).BindDouble(2, 0).BindText(3, "héllo").BindText(4, "x").Run().ok());
  EXPECT_EQ(db->last_insert_rowid(), 2);

  auto sel = db->Prepare("SELECT i, d, s, n FROM t ORDER BY i");
  ASSERT_TRUE(sel.ok());
  auto row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnInt(0), INT64_MIN);
  EXPECT_DOUBLE_EQ(sel->ColumnDouble(1), 2.5);
  EXPECT_EQ(sel->ColumnText(2), with_nul);
  EXPECT_TRUE(sel->ColumnIsNull(3));
  EXPECT_EQ(sel->ColumnText(3), "");
  row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnText(2), "héllo");
  EXPECT_FALSE(sel->ColumnIsNull(3));
  row = sel->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST_F(SqliteTest, ErrorsAreStatusValues) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  auto bad = db->Prepare("SELEKT 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(db->Prepare("SELECT * FROM missing").ok());

  // A bind error is kept and reported by the next Step, not lost.
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER PRIMARY KEY)").ok());
  auto ins = db->Prepare("INSERT INTO t VALUES (?)");
  ASSERT_TRUE(ins.ok());
  Status st = ins->BindInt(2, 1).Run();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("parameter 2"), std::string::npos) << st.message();
  ins->Reset();
  ASSERT_TRUE(ins->BindInt(1, 1).Run().ok());
  ins->Reset();
  st = ins->BindInt(1, 1).Run();  // constraint violation
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("UNIQUE"), std::string::npos) << st.message();
  // A statement that returns rows is not a Run().
  auto sel = db->Prepare("SELECT 1");
  ASSERT_TRUE(sel.ok());
  EXPECT_FALSE(sel->Run().ok());
}

TEST_F(SqliteTest, NotADatabaseIsCorruption) {
  {
    FILE* f = std::fopen(path_.c_str(), "wb");
    std::fputs("this is not a database, just some text that is long enough to be a header..............", f);
    std::fclose(f);
  }
  auto db = Database::Open(path_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kCorruption) << db.status().message();
  EXPECT_NE(db.status().message().find(path_), std::string::npos);
}

TEST_F(SqliteTest, TransactionCommitsOrRollsBack) {
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->Execute("CREATE TABLE t (i INTEGER)").ok());
  {
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (1)").ok());
  }  // dropped: rolled back
  EXPECT_EQ(One(*db, "SELECT count(*) FROM t"), "0");
  {
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db->Execute("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_FALSE(txn->Commit().ok());  // only once
  }
  auto other = Database::Open(path_);  // another connection sees the commit
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(One(*other, "SELECT group_concat(i) FROM t"), "2");
}

TEST_F(SqliteTest, SecondWriterWaitsThenReportsBusy) {
  auto a = Database::Open(path_);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(a->Execute("CREATE TABLE t (i INTEGER)").ok());
  OpenOptions quick;
  quick.busy_timeout_ms = 50;
  auto b = Database::Open(path_, quick);
  ASSERT_TRUE(b.ok());
  auto txn = Transaction::Begin(*a);
  ASSERT_TRUE(txn.ok());
  auto blocked = Transaction::Begin(*b);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), Status::Code::kBusy) << blocked.status().message();
  // WAL: a reader is not blocked by the writer.
  EXPECT_EQ(One(*b, "SELECT count(*) FROM t"), "0");
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_TRUE(Transaction::Begin(*b).ok());
}

TEST_F(SqliteTest, MovedDatabaseKeepsWorking) {
  auto opened = Database::Open(path_);
  ASSERT_TRUE(opened.ok());
  Database db = std::move(*opened);
  ASSERT_TRUE(db.Execute("CREATE TABLE t (i INTEGER)").ok());
  Database other = std::move(db);
  EXPECT_EQ(One(other, "SELECT count(*) FROM t"), "0");
}

}  // namespace
}  // namespace ledgerlake::catalog::sqlite
