// The catalog's own schema: a new catalog gets every table at the current format, opening it again changes
// nothing, an older catalog is upgraded in place keeping its rows, and one written by a newer ledgerlake is refused.
#include "catalog/migrations.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace ledgerlake::catalog {
namespace {

namespace fs = std::filesystem;

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path().string() + "/ll-migrations-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = sqlite::Database::Open(dir_ + "/catalog.db");
    ASSERT_TRUE(db.ok()) << db.status().message();
    db_.emplace(std::move(*db));
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }
  std::string One(const std::string& sql) {
    auto stmt = db_->Prepare(sql);
    EXPECT_TRUE(stmt.ok()) << stmt.status().message();
    if (!stmt.ok()) return "";
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return row.ok() && *row ? stmt->ColumnText(0) : "";
  }
  std::string dir_;
  std::optional<sqlite::Database> db_;
};

constexpr const char* kTables =
    "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite_%' ORDER BY name)";

TEST_F(MigrationsTest, ANewCatalogHasEveryTableAtTheCurrentFormat) {
  ASSERT_TRUE(Migrate(*db_).ok());
  EXPECT_EQ(One("PRAGMA user_version"), std::to_string(kCatalogFormat));
  EXPECT_EQ(One(kTables),
            "backfills files operations partition_files partitions run_checks run_inputs run_partitions run_profiles run_stages "
            "run_starts run_tables runs schema_breaks "
            "schema_columns schema_versions tables tokens");
  // The format 2 columns of runs, with their defaults.
  ASSERT_TRUE(db_->Execute("INSERT INTO runs (started_unix_ms, ended_unix_ms, status, message, as_of, full_refresh, "
                           "seconds, files_read, bytes_read, bytes_written) VALUES (1, 2, 'ok', '', '2024-11-24', 0, "
                           "0.5, 1, 2, 3)")
                  .ok());
  EXPECT_EQ(One("SELECT state || '|' || bookmark || '|' || complete FROM runs"), "|0|1");
  // Constraints hold: a status outside the contract's is refused.
  EXPECT_FALSE(db_->Execute("UPDATE runs SET status = 'maybe'").ok());
}

TEST_F(MigrationsTest, MigratingAgainChangesNothing) {
  ASSERT_TRUE(Migrate(*db_).ok());
  ASSERT_TRUE(db_->Execute("INSERT INTO tables VALUES ('accounts', 1)").ok());
  const std::string schema = One("SELECT group_concat(sql, ';') FROM sqlite_master");
  ASSERT_TRUE(Migrate(*db_).ok());
  EXPECT_EQ(One("SELECT group_concat(sql, ';') FROM sqlite_master"), schema);
  EXPECT_EQ(One("SELECT count(*) FROM tables"), "1");
}

TEST_F(MigrationsTest, AFormatOneCatalogIsUpgradedKeepingItsRunsAndFiles) {
  // A catalog as format 1 left it: its runs table without the state, bookmark and complete columns, and its
  // partition files without checksums.
  ASSERT_TRUE(db_->Execute("CREATE TABLE runs (run_id INTEGER PRIMARY KEY AUTOINCREMENT, started_unix_ms INTEGER "
                           "NOT NULL, ended_unix_ms INTEGER NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, "
                           "as_of TEXT NOT NULL, full_refresh INTEGER NOT NULL, seconds REAL NOT NULL, files_read "
                           "INTEGER NOT NULL, bytes_read INTEGER NOT NULL, bytes_written INTEGER NOT NULL);"
                           "INSERT INTO runs VALUES (7, 1, 2, 'ok', '', '2024-11-24', 0, 0.5, 1, 2, 3);"
                           "CREATE TABLE partition_files (run_id INTEGER NOT NULL, dataset TEXT NOT NULL, name "
                           "TEXT NOT NULL, bytes INTEGER NOT NULL, PRIMARY KEY (run_id, dataset, name));"
                           "INSERT INTO partition_files VALUES (7, 'invoice_features', 'part-r7.parquet', 99);"
                           "PRAGMA user_version = 1")
                  .ok());
  ASSERT_TRUE(Migrate(*db_).ok());
  EXPECT_EQ(One("PRAGMA user_version"), std::to_string(kCatalogFormat));
  EXPECT_EQ(One("SELECT run_id || '|' || as_of || '|' || state || '|' || bookmark || '|' || complete FROM runs"),
            "7|2024-11-24||0|1");
  // Format 3: the checksum of files written before it is not known.
  EXPECT_EQ(One("SELECT name || '|' || bytes || '|' || sha256 FROM partition_files"), "part-r7.parquet|99|");
}

TEST_F(MigrationsTest, ACatalogOfANewerFormatIsRefused) {
  ASSERT_TRUE(db_->Execute("PRAGMA user_version = " + std::to_string(kCatalogFormat + 1)).ok());
  const Status st = Migrate(*db_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("newer format"), std::string::npos) << st.message();
  EXPECT_EQ(One(kTables), "");  // nothing was created
}

}  // namespace
}  // namespace ledgerlake::catalog
