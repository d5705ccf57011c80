// The binary as a user drives it: the worked example of docs/features.md end to end, the command interface and its
// exit codes, landing rules, atomic partition replacement.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CliTest : public ScratchTest {
 protected:
  void IngestWorkedExample() {
    LlOk({"init"});
    LlOk({"ingest", TestData("cases/worked_example/accounts.csv"), TestData("cases/worked_example/skus.csv"),
          TestData("cases/worked_example/invoices.csv"), TestData("cases/worked_example/invoice_line_items.csv")});
  }
  std::string Csv(const std::string& sql) { return LlOk({"query", sql, "--format", "csv"}); }
};

// The worked example's rows are checked by tests/data/cases/worked_example; here, what an analyst's engine sees of
// the files: the contract's column types, in the Hive layout.
TEST_F(CliTest, DatasetsHaveTheContractsTypesInTheHiveLayout) {
  IngestWorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  // The contract's column types, as an analyst's engine sees them in the Parquet files.
  EXPECT_EQ(Csv("SELECT string_agg(column_type, ' ') AS types FROM (DESCRIBE SELECT * FROM invoice_features)"),
            "types\n\"BIGINT BIGINT DECIMAL(18,2) BIGINT INTEGER INTEGER INTEGER INTEGER\"\n");
  EXPECT_EQ(Csv("SELECT string_agg(column_type, ' ') AS types FROM (DESCRIBE SELECT * FROM account_features)"),
            "types\nBIGINT INTEGER INTEGER INTEGER INTEGER DOUBLE\n");
  EXPECT_EQ(Csv("SELECT string_agg(column_type, ' ') AS types FROM (DESCRIBE SELECT * FROM account_invoice_features)"),
            "types\n\"BIGINT BIGINT DATE DECIMAL(18,2)\"\n");
  // Hive layout, zero-padded.
  for (const char* ds : {"account_features", "account_invoice_features", "invoice_features", "rejects"}) {
    const std::string part = lake_ + "/processed/" + ds + "/ingest_year=2024/ingest_month=11/ingest_day=24";
    EXPECT_TRUE(fs::exists(part)) << part;
  }
}

TEST_F(CliTest, QueryFormats) {
  IngestWorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  const json rows = json::parse(LlOk({"query", "SELECT inv_id, inv_total, is_late FROM invoice_features WHERE inv_id IN (100, 104) ORDER BY 1", "--format", "json"}));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["inv_id"], 100);
  EXPECT_DOUBLE_EQ(rows[0]["inv_total"].get<double>(), 89.99);
  EXPECT_TRUE(rows[1]["is_late"].is_null());
  // The table format is the default: a box, numbers right-aligned, NULL spelled out, a row count.
  EXPECT_EQ(LlOk({"query", "SELECT inv_id, inv_total, is_late FROM invoice_features WHERE inv_id IN (100, 104) ORDER BY 1"}),
            "+--------+-----------+---------+\n"
            "| inv_id | inv_total | is_late |\n"
            "+--------+-----------+---------+\n"
            "|    100 |     89.99 |       0 |\n"
            "|    104 |      0.00 |    NULL |\n"
            "+--------+-----------+---------+\n"
            "2 rows\n");
  EXPECT_EQ(LlOk({"query", "SELECT inv_id, is_late FROM invoice_features WHERE inv_id IN (100, 104) ORDER BY 1",
                  "--format", "csv"}),
            "inv_id,is_late\n100,0\n104,\n");
}

// Parquet files of a partition directory.
std::vector<std::string> PartitionFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") files.push_back(e.path().filename().string());
  }
  return files;
}

// A run of a day that already has partitions replaces them: with new extracts (an incremental re-run of the day,
// from the state of the day before) and with --full-refresh (complete partitions). Each time the day's partition
// holds one new file, the old one is gone, the catalog names the new run, and the views show the new rows.
TEST_F(CliTest, RerunningTheSameDateReplacesThePartition) {
  IngestWorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  const std::string part = lake_ + "/processed/invoice_features/ingest_year=2024/ingest_month=11/ingest_day=24";
  const std::vector<std::string> first = PartitionFiles(part);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(Csv("SELECT is_late FROM invoice_features WHERE inv_id = 103"), "is_late\n1\n");

  // Invoice 103 re-sent, paid on time: the day is run again (from nothing: there is no day before it) and its
  // partitions replaced.
  WriteFile(dir_ + "/fix/invoices.csv", "invoice_id,account_id,date_issued,payment_dates\n103,1,2024-09-06,2024-09-20\n");
  LlOk({"ingest", dir_ + "/fix/invoices.csv"});
  const json rerun = json::parse(LlOk({"run", "--as-of", "2024-11-24", "--json"}));
  EXPECT_EQ(rerun["files_read"], 5);
  EXPECT_EQ(rerun["kind"], "complete");
  const std::vector<std::string> second = PartitionFiles(part);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_NE(second[0], first[0]) << "the partition was not rewritten";
  EXPECT_EQ(Csv("SELECT is_late FROM invoice_features WHERE inv_id = 103"), "is_late\n0\n");
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
  const json parts = json::parse(LlOk({"catalog", "partitions", "invoice_features", "--json"}));
  ASSERT_EQ(parts.size(), 1u);
  const json runs = json::parse(LlOk({"catalog", "runs", "--json"}));
  EXPECT_EQ(parts[0]["run_id"], runs.back()["run_id"]);
  EXPECT_EQ(runs.size(), 2u);
  EXPECT_EQ(parts[0]["files"][0]["name"], second[0]);

  // --full-refresh replaces the day again, with complete partitions of the same rows.
  LlOk({"run", "--as-of", "2024-11-24", "--full-refresh"});
  const std::vector<std::string> third = PartitionFiles(part);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_NE(third[0], second[0]);
  EXPECT_EQ(Csv("SELECT is_late FROM invoice_features WHERE inv_id = 103"), "is_late\n0\n");
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
  EXPECT_TRUE(fs::is_empty(lake_ + "/tmp"));
  // A later date is a new partition, and queries see the newest one.
  LlOk({"run", "--as-of", "2024-12-01"});
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n6\n");
}

TEST_F(CliTest, IngestIsAllOrNothingAndIdempotent) {
  LlOk({"init"});
  WriteFile(dir_ + "/in/accounts.csv", "account_id,joining_date\n1,2024-01-01\n");
  WriteFile(dir_ + "/in/skus.csv", "item_id,item_name\n1,Pipe\n");  // item_retail_price missing
  CommandResult r = Ll({"ingest", dir_ + "/in"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("item_retail_price"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  EXPECT_FALSE(fs::exists(lake_ + "/raw/accounts")) << "nothing may land when one file is refused";

  // A truncated gzip file fails clearly and changes nothing.
  std::string gz_path = dir_ + "/bad/invoices.csv.gz";
  WriteGzip(gz_path, std::string("invoice_id,account_id,date_issued\n") + std::string(200000, '1'));
  std::string gz = ReadFile(gz_path);
  WriteFile(gz_path, gz.substr(0, gz.size() / 2));
  r = Ll({"ingest", gz_path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invoices.csv.gz"), std::string::npos) << r.err;

  // Binary bytes are not a CSV extract.
  std::string binary = "invoice_id,account_id,date_issued\n";
  for (int i = 0; i < 4096; ++i) binary += static_cast<char>((i * 7919) & 0xFF);
  WriteFile(dir_ + "/bad/invoices.csv", std::string("\x89PNG\r\n\x1a\n\0\0") + binary);
  r = Ll({"ingest", dir_ + "/bad/invoices.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("invoices.csv"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(lake_ + "/raw/invoices"));

  const std::string out = LlOk({"ingest", dir_ + "/in/accounts.csv"});
  EXPECT_NE(out.find("1 new"), std::string::npos) << out;
  const std::string again = LlOk({"ingest", dir_ + "/in/accounts.csv"});
  EXPECT_NE(again.find("0 new, 1 already"), std::string::npos) << again;
  size_t landed = 0;
  for (const auto& e : fs::directory_iterator(lake_ + "/raw/accounts")) landed += e.path().extension() == ".csv" ? 1 : 0;
  EXPECT_EQ(landed, 1u);
}

TEST_F(CliTest, TableFromFlagNameOrHeader) {
  LlOk({"init"});
  WriteFile(dir_ + "/export1.csv", "joining_date,account_id\n2024-01-01,1\n");      // by header
  WriteFile(dir_ + "/weird.csv", "invoice_id,item_id,quantity\n1,1,1\n");             // by flag
  WriteFile(dir_ + "/skus_2024.csv.gz.csv", "item_id,item_retail_price\n1,2.50\n");   // by name
  LlOk({"ingest", dir_ + "/export1.csv"});
  LlOk({"ingest", "--table", "invoice_line_items", dir_ + "/weird.csv"});
  LlOk({"ingest", dir_ + "/skus_2024.csv.gz.csv"});
  EXPECT_TRUE(fs::exists(lake_ + "/raw/accounts"));
  EXPECT_TRUE(fs::exists(lake_ + "/raw/invoice_line_items"));
  EXPECT_TRUE(fs::exists(lake_ + "/raw/skus"));
  WriteFile(dir_ + "/mystery.csv", "a,b\n1,2\n");
  CommandResult r = Ll({"ingest", dir_ + "/mystery.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--table"), std::string::npos) << r.err;
}

TEST_F(CliTest, ExitCodesAndHelp) {
  EXPECT_EQ(Ll({}).exit_code, 2);
  EXPECT_EQ(Ll({"frobnicate"}).exit_code, 2);
  for (const char* cmd : {"init", "ingest", "run", "query", "generate"}) {
    CommandResult r = Ll({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
  CommandResult r = Ll({"run"});
  EXPECT_EQ(r.exit_code, 1);  // no lake yet
  EXPECT_NE(r.err.find("init"), std::string::npos) << r.err;
  LlOk({"init"});
  EXPECT_EQ(Ll({"run", "--as-of", "2024-13-01"}).exit_code, 2);
  r = Ll({"query", "SELECT * FROM", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
  EXPECT_EQ(Ll({"query", "SELECT 1", "--format", "xml"}).exit_code, 2);
  // Before the first run the datasets exist, empty and typed.
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"}), "n\n0\n");
}

TEST_F(CliTest, OneWriterAtATime) {
  IngestWorkedExample();
  // Another process (here: this test) holds the lake's lock.
  const int fd = ::open((lake_ + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  CommandResult r = Ll({"run", "--as-of", "2024-11-24", "--no-wait"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--no-wait"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(lake_ + "/processed/invoice_features/ingest_year=2024"));
  // Without --no-wait the run waits, says so, and completes once the lock is released.
  std::thread release([fd] {
    ::usleep(700000);
    ::flock(fd, LOCK_UN);
    ::close(fd);
  });
  r = Ll({"run", "--as-of", "2024-11-24"});
  release.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("waiting"), std::string::npos) << r.err;
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
}

TEST_F(CliTest, LakeFromEnvironmentVariable) {
  const std::string cmd = "LEDGERLAKE_LAKE='" + lake_ + "' '" + std::string(LEDGERLAKE_BIN) + "' init >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_TRUE(fs::exists(lake_ + "/ledgerlake.json"));
}

}  // namespace
}  // namespace ledgerlake::e2e
