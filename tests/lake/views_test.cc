// The query views (docs/lake.md): built from committed partitions only, as of a day; complete partitions reset a
// dataset, deltas add the newest row per invoice, deleted_invoices drop older rows, snapshots show the newest
// partition, and before the first run every dataset is an empty table of the contract's types.
#include "lake/views.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lake/datasets.h"
#include "lake/source_tables.h"

namespace ledgerlake::lake {
namespace {

namespace fs = std::filesystem;

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ll_views_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    auto lake = Lake::Init(root_);
    ASSERT_TRUE(lake.ok()) << lake.status().message();
    lake_.emplace(std::move(*lake));
    auto db = duck::Database::Open();
    ASSERT_TRUE(db.ok());
    db_.emplace(std::move(*db));
    ASSERT_TRUE(RegisterSourceTables(*db_, *lake_).ok());
    auto conn = duck::Connection::Open(*db_);
    ASSERT_TRUE(conn.ok());
    conn_.emplace(std::move(*conn));
  }
  void Reopen() {
    conn_.reset();
    db_.reset();
    auto db = duck::Database::Open();
    ASSERT_TRUE(db.ok());
    db_.emplace(std::move(*db));
    ASSERT_TRUE(RegisterSourceTables(*db_, *lake_).ok());
    auto conn = duck::Connection::Open(*db_);
    ASSERT_TRUE(conn.ok());
    conn_.emplace(std::move(*conn));
  }
  void TearDown() override {
    conn_.reset();
    db_.reset();
    fs::remove_all(root_);
  }

  // Writes partition `day` of `dataset` (rows as SQL VALUES in the dataset's columns) as one committed file.
  void Partition(const std::string& dataset, const char* day, bool complete, const std::string& values,
                 const std::string& file = "part-1.parquet") {
    const DayNumber d = *ParseIsoDate(day);
    const std::string dir = lake_->partition_dir(dataset, d);
    fs::create_directories(dir);
    std::string columns;
    for (const DatasetSpec& ds : kDatasets) {
      if (ds.name == dataset) columns = ds.sql_columns;
    }
    ASSERT_TRUE(conn_->Execute("CREATE OR REPLACE TEMP TABLE t (" + columns + ")").ok());
    if (!values.empty()) {
      ASSERT_TRUE(conn_->Execute("INSERT INTO t VALUES " + values).ok());
    }
    const Status st = conn_->Execute("COPY t TO " + duck::SqlStringLiteral(dir + "/" + file) + " (FORMAT parquet)");
    ASSERT_TRUE(st.ok()) << st.message();
    partitions_.push_back(ViewPartition{dataset, d, complete, {ViewFile{dir + "/" + file, fs::file_size(dir + "/" + file)}}});
  }

  std::string Rows(const std::string& sql) {
    auto r = conn_->Query(sql);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return "";
    auto rows = r->ReadAll();
    EXPECT_TRUE(rows.ok());
    std::string out;
    for (const auto& row : *rows) {
      for (size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + row[i].value_or("NULL");
      out += ";";
    }
    return out;
  }

  void Views(std::optional<const char*> as_of = std::nullopt) {
    std::optional<DayNumber> d;
    if (as_of) d = *ParseIsoDate(*as_of);
    ViewInputs inputs;
    inputs.partitions = partitions_;
    const Status st = CreateViews(*lake_, *conn_, inputs, d);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  // Invoice i of account a as an invoice_features row with total t and is_late l.
  static std::string Inv(int i, int a, const char* total, const char* late) {
    return "(" + std::to_string(i) + ", " + std::to_string(a) + ", " + total + ", 1, 10, 0, 1, " + late + ")";
  }

  std::string root_;
  std::optional<Lake> lake_;
  std::optional<duck::Database> db_;
  std::optional<duck::Connection> conn_;
  std::vector<ViewPartition> partitions_;
};

TEST_F(ViewsTest, BeforeTheFirstRunEveryDatasetIsEmptyWithTheContractsTypes) {
  Views();
  for (const DatasetSpec& ds : kDatasets) {
    EXPECT_EQ(Rows("SELECT count(*) FROM " + std::string(ds.name)), "0;") << ds.name;
    EXPECT_EQ(Rows("SELECT count(*) FROM " + std::string(ds.name) + "_history"), "0;") << ds.name;
  }
  EXPECT_EQ(Rows("SELECT string_agg(column_type, ' ') FROM (DESCRIBE invoice_features)"),
            "BIGINT BIGINT DECIMAL(18,2) BIGINT INTEGER INTEGER INTEGER INTEGER;");
  EXPECT_EQ(Rows("SELECT count(*) FROM (DESCRIBE invoice_features_history) WHERE column_name LIKE 'ingest_%'"), "3;");
  // No landed file: the raw and source views are there, empty.
  EXPECT_EQ(Rows("SELECT count(*) FROM raw_accounts"), "0;");
  EXPECT_EQ(Rows("SELECT count(*) FROM invoices"), "0;");
}

TEST_F(ViewsTest, DeltasGiveTheNewestRowPerInvoiceAndDeletionsDropOlderRows) {
  Partition("invoice_features", "2024-11-24", true, Inv(1, 7, "1.00", "NULL") + ", " + Inv(2, 7, "2.00", "0"));
  Partition("invoice_features", "2024-11-25", false, Inv(1, 7, "1.50", "1") + ", " + Inv(3, 7, "3.00", "0"));
  Partition("deleted_invoices", "2024-11-25", false, "");
  Partition("deleted_invoices", "2024-11-26", false, "(2)");
  Partition("invoice_features", "2024-11-26", false, "");
  Partition("account_features", "2024-11-24", true, "(7, 100, 0, 0, 2, 1.0)");
  Partition("account_features", "2024-11-26", true, "(7, 102, 0, 0, 2, 1.0), (8, 1, 0, 0, 0, NULL)");

  Views();
  EXPECT_EQ(Rows("SELECT inv_id, inv_total, is_late FROM invoice_features ORDER BY 1"), "1,1.50,1;3,3.00,0;");
  EXPECT_EQ(Rows("SELECT account_id, feature_account_age_day FROM account_features ORDER BY 1"), "7,102;8,1;");
  EXPECT_EQ(Rows("SELECT count(*), count(DISTINCT ingest_day) FROM invoice_features_history"), "4,2;");
  EXPECT_EQ(Rows("SELECT typeof(ingest_year), typeof(ingest_month) FROM invoice_features_history LIMIT 1"),
            "BIGINT,BIGINT;");

  // As of an earlier day, only the partitions up to it.
  Views("2024-11-25");
  EXPECT_EQ(Rows("SELECT inv_id, inv_total FROM invoice_features ORDER BY 1"), "1,1.50;2,2.00;3,3.00;");
  EXPECT_EQ(Rows("SELECT feature_account_age_day FROM account_features"), "100;");
  Views("2024-11-24");
  EXPECT_EQ(Rows("SELECT inv_id, inv_total FROM invoice_features ORDER BY 1"), "1,1.00;2,2.00;");
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features_history"), "2;");
  // Before the first partition: empty.
  Views("2024-11-01");
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features"), "0;");
}

TEST_F(ViewsTest, ACompletePartitionStartsTheDatasetAfresh) {
  Partition("invoice_features", "2024-11-24", true, Inv(1, 7, "1.00", "0") + ", " + Inv(2, 7, "2.00", "0"));
  Partition("invoice_features", "2024-11-25", false, Inv(9, 7, "9.00", "0"));
  Partition("deleted_invoices", "2024-11-25", false, "(1)");
  Partition("invoice_features", "2024-11-26", true, Inv(1, 7, "1.10", "0"));  // a full refresh: 1 is back
  Partition("invoice_features", "2024-11-27", false, Inv(2, 8, "2.20", "1"));
  Partition("rejects", "2024-11-24", true, "('accounts', 'a.csv', 2, 'bad_date', 'x', 'r1')");
  Partition("rejects", "2024-11-26", true, "('skus', 's.csv', 3, 'bad_decimal', 'y', 'r2')");
  Partition("rejects", "2024-11-27", false, "('skus', 't.csv', 4, 'bad_decimal', 'z', 'r3')");
  Views();
  EXPECT_EQ(Rows("SELECT inv_id, acct_id, inv_total FROM invoice_features ORDER BY 1"), "1,7,1.10;2,8,2.20;");
  EXPECT_EQ(Rows("SELECT record FROM rejects ORDER BY 1"), "r2;r3;");
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features_history"), "5;");
}

TEST_F(ViewsTest, APartitionWithSeveralFilesIsReadWhole) {
  Partition("invoice_features", "2024-11-24", true, Inv(1, 7, "1.00", "0"), "part-r1-0.parquet");
  Partition("invoice_features", "2024-11-24", true, Inv(2, 8, "2.00", "0"), "part-r1-1.parquet");
  // The catalog lists them as one partition with two files.
  partitions_[0].files.push_back(partitions_[1].files[0]);
  partitions_.pop_back();
  Views();
  EXPECT_EQ(Rows("SELECT inv_id FROM invoice_features ORDER BY 1"), "1;2;");
  // A file in the directory that the catalog does not list is never read.
  fs::copy_file(partitions_[0].files[0].path, lake_->partition_dir("invoice_features", *ParseIsoDate("2024-11-24")) +
                                             "/part-dead-run.parquet");
  Views();
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features"), "2;");
}

// One damaged file takes down only the views that read it, and their error names it; SELECT 1 and the other
// views go on working.
TEST_F(ViewsTest, ADamagedFileFailsOnlyTheViewsThatReadItNamingIt) {
  Partition("invoice_features", "2024-11-24", true, Inv(1, 7, "1.00", "0"));
  Partition("invoice_features", "2024-11-25", false, Inv(2, 7, "2.00", "0"));
  Partition("account_features", "2024-11-24", true, "(7, 100, 0, 0, 2, 1.0)");
  Partition("account_features", "2024-11-25", true, "(7, 101, 0, 0, 2, 1.0)");
  const std::string delta = partitions_[1].files[0].path;
  const std::string old_accounts = partitions_[2].files[0].path;

  // Truncated: the size says so before DuckDB reads anything.
  std::filesystem::resize_file(delta, 10);
  Views();
  EXPECT_EQ(Rows("SELECT 1"), "1;");
  EXPECT_EQ(Rows("SELECT feature_account_age_day FROM account_features"), "101;");
  auto q = conn_->Query("SELECT count(*) FROM invoice_features");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("invoice_features/ingest_year=2024/ingest_month=11/ingest_day=25/part-1.parquet"),
            std::string::npos)
      << q.status().message();
  EXPECT_NE(q.status().message().find("ledgerlake verify"), std::string::npos);
  EXPECT_FALSE(conn_->Query("SELECT count(*) FROM invoice_features_history").ok());
  // As of the day before, that file is not read.
  Views("2024-11-24");
  EXPECT_EQ(Rows("SELECT inv_id FROM invoice_features"), "1;");

  // Same size but garbage: DuckDB cannot bind it; the message names it too. (A new database, as a new query
  // process has: this one may still hold the file's earlier bytes in its cache.)
  const uint64_t size = std::filesystem::file_size(old_accounts);
  std::ofstream(old_accounts, std::ios::binary | std::ios::trunc) << std::string(size, 'x');
  Reopen();
  Views();
  EXPECT_EQ(Rows("SELECT feature_account_age_day FROM account_features"), "101;");  // the newest snapshot only
  q = conn_->Query("SELECT count(*) FROM account_features_history");
  if (q.ok()) {
    auto rows = q->ReadAll();
    ASSERT_FALSE(rows.ok()) << "read garbage as rows";
    q = Result<duck::QueryResult>(rows.status());
  }
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("account_features/ingest_year=2024/ingest_month=11/ingest_day=24/part-1.parquet"),
            std::string::npos)
      << q.status().message();
  // A missing file.
  std::filesystem::remove(old_accounts);
  Views("2024-11-24");
  q = conn_->Query("SELECT * FROM account_features");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("is missing"), std::string::npos) << q.status().message();
}

TEST_F(ViewsTest, HistoryPartitionColumnsAreBigintsWhateverTheirDigits) {
  Partition("account_features", "2025-02-27", true, "(7, 100, 0, 0, 2, 1.0)");
  Partition("account_features", "2025-12-05", true, "(7, 200, 0, 0, 2, 1.0)");
  Views();
  EXPECT_EQ(Rows("SELECT make_date(ingest_year, ingest_month, ingest_day) FROM account_features_history ORDER BY 1"),
            "2025-02-27;2025-12-05;");
  EXPECT_EQ(Rows("SELECT typeof(ingest_month), typeof(ingest_day) FROM account_features_history LIMIT 1"),
            "BIGINT,BIGINT;");
}

}  // namespace
}  // namespace ledgerlake::lake
