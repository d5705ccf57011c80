// The catalog over a real lake: Sync registers landed files (also those landed before the catalog existed or
// left unregistered by a crash), versions and breaking changes per table, supersession, re-crawls, run records
// and partitions.
#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "catalog/test_support.h"

namespace ledgerlake::catalog {
namespace {

namespace fs = std::filesystem;

const char* kAccounts = "account_id,company_name,joining_date\n1,A,2024-01-01\n2,B,2024-02-01\n";
const char* kSkus = "item_id,item_retail_price\n10,7.50\n11,59.99\n";
const char* kBadAccounts = "account_id,company_name,joining_date\n3,C,24/11/2024\n4,D,25/11/2024\n";
const char* kGoodAccounts = "account_id,company_name,joining_date\n3,C,2024-11-24\n4,D,2024-11-25\n";

class CatalogTest : public ScratchLakeTest {
 protected:
  Catalog Open() {
    auto cat = Catalog::Open(*lake_);
    EXPECT_TRUE(cat.ok()) << cat.status().message();
    return std::move(*cat);
  }
  static void Sync(Catalog& cat, const lake::Lake& lake) {
    Status st = cat.Sync(lake);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  static TableInfo Table(Catalog& cat, const std::string& name) {
    auto tables = cat.Tables();
    EXPECT_TRUE(tables.ok());
    for (const TableInfo& t : *tables) {
      if (t.name == name) return t;
    }
    return TableInfo{};
  }
};

TEST_F(CatalogTest, SyncRegistersFilesLandedBeforeTheCatalogExisted) {
  Land("accounts.csv", kAccounts);
  Land("skus.csv", kSkus);
  EXPECT_FALSE(fs::exists(Catalog::PathOf(*lake_)));
  Catalog cat = Open();
  Sync(cat, *lake_);
  auto tables = cat.Tables();
  ASSERT_TRUE(tables.ok());
  ASSERT_EQ(tables->size(), 2u);
  EXPECT_EQ((*tables)[0].name, "accounts");
  EXPECT_EQ((*tables)[0].files, 1u);
  EXPECT_EQ((*tables)[0].rows, 2u);
  EXPECT_EQ((*tables)[0].current_version, 1);
  EXPECT_EQ((*tables)[1].name, "skus");
  EXPECT_EQ((*tables)[1].rows, 2u);

  auto d = cat.Describe("accounts");
  ASSERT_TRUE(d.ok());
  ASSERT_EQ(d->columns.size(), 3u);
  EXPECT_EQ(d->columns[0].name, "account_id");
  EXPECT_EQ(d->columns[0].type, ColumnType::kInteger);
  EXPECT_EQ(d->columns[2].type, ColumnType::kDate);
  ASSERT_EQ(d->versions.size(), 1u);
  EXPECT_EQ(d->versions[0].change, ChangeKind::kInitial);
  EXPECT_EQ(d->versions[0].file_sequence, 1u);
  EXPECT_EQ(d->versions[0].file.rfind("raw/accounts/00000001-", 0), 0u) << d->versions[0].file;
  EXPECT_EQ(d->versions[0].source, fs::absolute(dir_ + "/in/accounts.csv").lexically_normal().string());
  EXPECT_FALSE(cat.Describe("nosuch").ok());

  // Syncing again changes nothing; a second catalog object sees the same.
  Sync(cat, *lake_);
  Catalog again = Open();
  Sync(again, *lake_);
  EXPECT_EQ(Table(again, "accounts").files, 1u);
}

TEST_F(CatalogTest, AFileLandedButNeverRegisteredIsPlacedInLandingOrder) {
  Catalog cat = Open();
  Land("accounts.csv", kAccounts);
  Sync(cat, *lake_);
  // A crash between landing and registering: two files landed, the catalog never told.
  Land("accounts_2.csv", "account_id,company_name,joining_date,region\n5,E,2024-05-01,VIC\n");
  Land("accounts_3.csv", kBadAccounts);
  Sync(cat, *lake_);
  auto versions = cat.Versions("accounts");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 3u);
  EXPECT_EQ((*versions)[1].change, ChangeKind::kCompatible);
  EXPECT_EQ((*versions)[1].file_sequence, 2u);
  EXPECT_EQ((*versions)[2].change, ChangeKind::kBreaking);
  EXPECT_EQ((*versions)[2].file_sequence, 3u);
  EXPECT_EQ(Table(cat, "accounts").current_version, 2);
}

TEST_F(CatalogTest, BreakingChangesBlockUntilALaterGoodFileSupersedesThem) {
  Land("accounts.csv", kAccounts);
  const uint64_t bad = Land("accounts_bad.csv", kBadAccounts);
  Land("skus.csv", kSkus);  // another table's file does not supersede anything
  Catalog cat = Open();
  Sync(cat, *lake_);
  auto breaking = cat.BreakingChanges();
  ASSERT_TRUE(breaking.ok());
  ASSERT_EQ(breaking->size(), 1u);
  const BreakingChange& b = (*breaking)[0];
  EXPECT_EQ(b.table, "accounts");
  EXPECT_EQ(b.file_sequence, bad);
  EXPECT_EQ(b.column, "joining_date");
  EXPECT_NE(b.source.find("accounts_bad.csv"), std::string::npos);
  EXPECT_EQ(b.file.rfind("raw/accounts/", 0), 0u);
  EXPECT_FALSE(b.superseded);
  EXPECT_EQ(Table(cat, "accounts").breaking_files, 1u);
  EXPECT_EQ(Table(cat, "skus").breaking_files, 0u);

  // The same broken extract again (other content): still blocked, now by two files.
  Land("accounts_bad2.csv", "account_id,company_name,joining_date\n5,E,26/11/2024\n");
  Sync(cat, *lake_);
  breaking = cat.BreakingChanges();
  ASSERT_TRUE(breaking.ok());
  EXPECT_EQ(breaking->size(), 2u);

  Land("accounts_fixed.csv", kGoodAccounts);
  Sync(cat, *lake_);
  breaking = cat.BreakingChanges();
  ASSERT_TRUE(breaking.ok());
  EXPECT_TRUE(breaking->empty());
  auto all = cat.BreakingChanges(/*include_superseded=*/true);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_TRUE((*all)[0].superseded);
  EXPECT_EQ(Table(cat, "accounts").breaking_files, 0u);
  // The fixed file joined version 1: the breaking version never became the current schema.
  EXPECT_EQ(Table(cat, "accounts").current_version, 1);
}

TEST_F(CatalogTest, RecrawlRebuildsTheSameVersionsAndDeletingTheCatalogLosesNoFile) {
  Land("accounts.csv", kAccounts);
  Land("accounts_2.csv", "account_id,company_name,joining_date,region\n5,E,2024-05-01,VIC\n");
  Land("accounts_bad.csv", kBadAccounts);
  std::vector<SchemaVersion> before;
  {
    Catalog cat = Open();
    Sync(cat, *lake_);
    before = *cat.Versions();
    ASSERT_TRUE(cat.Recrawl(*lake_).ok());
    const std::vector<SchemaVersion> after = *cat.Versions();
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_EQ(after[i].version, before[i].version);
      EXPECT_EQ(after[i].change, before[i].change);
      EXPECT_EQ(after[i].detail, before[i].detail);
      EXPECT_EQ(after[i].columns, before[i].columns);
    }
    EXPECT_EQ(cat.BreakingChanges()->size(), 1u);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(Catalog::PathOf(*lake_) + suffix);
  Catalog fresh = Open();
  Sync(fresh, *lake_);
  EXPECT_EQ(Table(fresh, "accounts").files, 3u);
  EXPECT_EQ(fresh.Versions()->size(), before.size());
}

TEST_F(CatalogTest, ConcurrentSyncsRegisterEachFileOnce) {
  for (int i = 0; i < 6; ++i) {
    Land("accounts_" + std::to_string(i) + ".csv",
         "account_id,company_name,joining_date\n" + std::to_string(i) + ",X,2024-01-0" + std::to_string(i + 1) + "\n");
  }
  ASSERT_TRUE(Catalog::Open(*lake_).ok());  // created (and migrated) once, before the race
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t]() {
      auto cat = Catalog::Open(*lake_);
      results[t] = cat.ok() ? cat->Sync(*lake_) : cat.status();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.message();
  Catalog cat = Open();
  EXPECT_EQ(Table(cat, "accounts").files, 6u);
  EXPECT_EQ(Table(cat, "accounts").versions, 1);
}

TEST_F(CatalogTest, AContentHashThatDisagreesWithTheLakeIsCorruption) {
  Land("accounts.csv", kAccounts);
  {
    Catalog cat = Open();
    Sync(cat, *lake_);
  }
  {
    auto db = sqlite::Database::Open(Catalog::PathOf(*lake_));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Execute("UPDATE files SET sha256 = 'feed'").ok());
  }
  Catalog cat = Open();
  Status st = cat.Sync(*lake_);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.message();
  EXPECT_NE(st.message().find("raw/accounts/00000001-"), std::string::npos) << st.message();
}

TEST_F(CatalogTest, ACatalogFromANewerLedgerlakeIsRefused) {
  {
    auto db = sqlite::Database::Open(Catalog::PathOf(*lake_));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->Execute("PRAGMA user_version = 99").ok());
  }
  auto cat = Catalog::Open(*lake_);
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.status().message().find("newer"), std::string::npos) << cat.status().message();
}

RunRecord OkRun(DayNumber day, const std::string& rows_tag, uint64_t rows) {
  RunRecord r;
  r.started_unix_ms = 1000;
  r.ended_unix_ms = 3500;
  r.ok = true;
  r.as_of = day;
  r.seconds = 2.5;
  r.files_read = 2;
  r.bytes_read = 300;
  r.bytes_written = 40;
  r.stages = {{"load accounts", 0.5}, {"write", 1.5}};
  r.tables = {{"accounts", {4, 2, 1, 1, 0}}, {"skus", {2, 2, 0, 0, 0}}};
  r.consumed = {1, 2};
  PartitionRecord p;
  p.dataset = "account_features";
  p.day = day;
  p.path = "processed/account_features/" + rows_tag;
  p.files = {{"part-0.parquet", 40, "ab12"}};
  p.rows = rows;
  p.bytes = 40;
  p.written_unix_ms = 3500;
  r.partitions = {p};
  return r;
}

TEST_F(CatalogTest, RunsAndPartitionsRoundTrip) {
  Land("accounts.csv", kAccounts);
  Land("skus.csv", kSkus);
  Catalog cat = Open();
  Sync(cat, *lake_);
  const DayNumber d1 = *ParseIsoDate("2024-11-24");
  const DayNumber d2 = *ParseIsoDate("2024-11-25");
  auto id1 = cat.RecordRun(OkRun(d1, "a", 2));
  ASSERT_TRUE(id1.ok()) << id1.status().message();
  auto id2 = cat.RecordRun(FailedRecord(d2, true, "boom", {1, 2}, 5000, 5100));
  ASSERT_TRUE(id2.ok());
  auto id3 = cat.RecordRun(OkRun(d1, "b", 3));  // the same day again: replaces partition d1
  ASSERT_TRUE(id3.ok());
  auto id4 = cat.RecordRun(OkRun(d2, "c", 4));
  ASSERT_TRUE(id4.ok());

  auto runs = cat.Runs();
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 4u);
  const RunRecord& r1 = (*runs)[0];
  EXPECT_EQ(r1.run_id, *id1);
  EXPECT_TRUE(r1.ok);
  EXPECT_EQ(r1.as_of, d1);
  EXPECT_EQ(r1.started_unix_ms, 1000);
  EXPECT_EQ(r1.ended_unix_ms, 3500);
  EXPECT_DOUBLE_EQ(r1.seconds, 2.5);
  EXPECT_EQ(r1.bytes_read, 300u);
  EXPECT_EQ(r1.bytes_written, 40u);
  ASSERT_EQ(r1.stages.size(), 2u);
  EXPECT_EQ(r1.stages[1].name, "write");
  ASSERT_EQ(r1.tables.size(), 2u);
  EXPECT_EQ(r1.tables[0].table, "accounts");
  EXPECT_EQ(r1.tables[0].fates.rejected, 1u);
  EXPECT_EQ(r1.consumed, (std::vector<uint64_t>{1, 2}));
  ASSERT_EQ(r1.partitions.size(), 1u);  // what it wrote, even though run 3 replaced it since
  EXPECT_EQ(r1.partitions[0].rows, 2u);
  const RunRecord& r2 = (*runs)[1];
  EXPECT_FALSE(r2.ok);
  EXPECT_EQ(r2.message, "boom");
  EXPECT_TRUE(r2.partitions.empty());

  auto parts = cat.Partitions();
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].day, d1);
  EXPECT_EQ((*parts)[0].run_id, *id3);
  EXPECT_EQ((*parts)[0].rows, 3u);
  EXPECT_EQ((*parts)[0].path, "processed/account_features/b");
  ASSERT_EQ((*parts)[0].files.size(), 1u);
  EXPECT_EQ((*parts)[0].files[0].name, "part-0.parquet");
  EXPECT_EQ((*parts)[0].files[0].sha256, "ab12");
  EXPECT_EQ((*parts)[1].day, d2);
  EXPECT_EQ((*parts)[1].run_id, *id4);
  EXPECT_TRUE(cat.Partitions("rejects")->empty());
  EXPECT_EQ(cat.Partitions("account_features")->size(), 2u);
}

TEST_F(CatalogTest, RecordFromReportStatsThePartitionsWritten) {
  const DayNumber day = *ParseIsoDate("2024-11-24");
  lake::RunReport report;
  report.as_of = day;
  report.files_read = 3;
  report.bytes_read = 1234;
  report.total_seconds = 1.5;
  report.stages = {{"load accounts", 0.25}, {"write", 1.0}};
  report.tables[0] = engine::FateCounts{5, 3, 1, 1, 0};
  const std::string part = lake_->partition_dir("rejects", day);
  fs::create_directories(part);
  std::ofstream(part + "/part-r1.parquet") << std::string(70, 'y');
  std::ofstream(part + "/part-r0.parquet") << std::string(30, 'x');  // another run's: not this run's output
  report.datasets.push_back({"rejects", 9, part, {{part + "/part-r1.parquet", 70, "cd34"}}, 70});
  report.state_file = lake_->root() + "/state/r1.state";
  report.bookmarks = {3, 1, 2, 0};
  report.complete = false;

  auto r = RecordFromReport(*lake_, report, {1, 2, 3}, 1000, 2600);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->as_of, day);
  EXPECT_EQ(r->bytes_read, 1234u);
  EXPECT_EQ(r->bytes_written, 70u);
  EXPECT_EQ(r->state, "state/r1.state");
  EXPECT_EQ(r->bookmark, 3u);
  EXPECT_FALSE(r->complete);
  EXPECT_DOUBLE_EQ(r->seconds, 1.5);
  EXPECT_EQ(r->consumed, (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_EQ(r->tables.size(), 4u);
  EXPECT_EQ(r->tables[0].table, "accounts");
  EXPECT_EQ(r->tables[0].fates.rejected, 1u);
  ASSERT_EQ(r->partitions.size(), 1u);
  const PartitionRecord& p = r->partitions[0];
  EXPECT_EQ(p.path, "processed/rejects/ingest_year=2024/ingest_month=11/ingest_day=24");
  EXPECT_EQ(p.rows, 9u);
  EXPECT_EQ(p.bytes, 70u);
  EXPECT_FALSE(p.complete);
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files[0].name, "part-r1.parquet");
  EXPECT_EQ(p.files[0].bytes, 70u);

  const RunRecord failed = FailedRecord(day, true, "disk full", {1}, 1000, 1250);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.message, "disk full");
  EXPECT_DOUBLE_EQ(failed.seconds, 0.25);
  EXPECT_TRUE(failed.partitions.empty());
}

}  // namespace
}  // namespace ledgerlake::catalog
