// A lake that survives its readers and its users: queries during commits that replace the same day, a lake its
// user may only read, a lost catalog, queries before any run, and commands used the wrong way.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

class RobustnessTest : public ScratchTest {
 protected:
  void WorkedExample() {
    LlOk({"init"});
    for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) {
      LlOk({"ingest", TestData(std::string("cases/worked_example/") + t + ".csv")});
    }
  }
  std::string Csv(const std::string& sql) { return LlOk({"query", sql, "--format", "csv"}); }
};

// Twenty readers query while the same day is refreshed again and again (each time with a new price, so every
// commit changes the totals): no query fails, and each sees one commit whole (its two datasets agree).
TEST_F(RobustnessTest, ReadersDuringSameDayRefreshesSeeTheOldPartitionOrTheNew) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "2000", "--invoices", "20000", "--seed", "9"});
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/x"});
  LlOk({"run", "--as-of", "2024-11-24"});
  const std::string sql =
      "SELECT (SELECT sum(inv_total) FROM invoice_features) = "
      "(SELECT sum(feature_invoice_spending) FROM account_invoice_features) AS whole, "
      "(SELECT count(*) FROM account_features) > 0 AS accounts";
  std::atomic<bool> writing{true};
  std::atomic<int> queries{0}, failures{0}, torn{0};
  std::mutex mu;
  std::string first_failure;
  std::vector<std::thread> readers;
  for (int r = 0; r < 20; ++r) {
    readers.emplace_back([&] {
      while (writing.load()) {
        const CommandResult q = RunLedgerlake(lake_, {"query", sql, "--format", "csv"});
        ++queries;
        if (q.exit_code != 0) {
          ++failures;
          std::lock_guard<std::mutex> lock(mu);
          if (first_failure.empty()) first_failure = q.err;
        } else if (q.out != "whole,accounts\ntrue,true\n") {
          ++torn;
          std::lock_guard<std::mutex> lock(mu);
          if (first_failure.empty()) first_failure = q.out;
        }
      }
    });
  }
  for (int i = 0; i < 6; ++i) {
    WriteFile(dir_ + "/p" + std::to_string(i) + "/skus.csv",
              "item_id,item_retail_price\n1," + std::to_string(10 + i) + ".00\n");
    LlOk({"ingest", dir_ + "/p" + std::to_string(i) + "/skus.csv"});
    LlOk({"run", "--as-of", "2024-11-24", "--full-refresh"});
  }
  writing = false;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;
  EXPECT_EQ(torn.load(), 0) << first_failure;
  EXPECT_GT(queries.load(), 20);
  // Superseded files wait for the readers; once none is left, the next writer removes them.
  LlOk({"run", "--as-of", "2024-11-25"});
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(lake_ + "/processed/invoice_features")) {
    files += e.path().extension() == ".parquet" ? 1 : 0;
  }
  EXPECT_EQ(files, 2u) << "one file per day once the readers are gone";
  EXPECT_EQ(Csv("SELECT sum(inv_total) = (SELECT sum(feature_invoice_spending) FROM account_invoice_features) AS ok "
                "FROM invoice_features"),
            "ok\ntrue\n");
}

// Analysts usually may only read a shared lake: query and catalog work, and write nothing.
TEST_F(RobustnessTest, AUserWhoMayOnlyReadCanQueryAndShowTheCatalog) {
  WorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  if (::geteuid() != 0) {
    ASSERT_EQ(std::system(("chmod -R a-w '" + lake_ + "'").c_str()), 0);
  }
  const auto before = fs::last_write_time(lake_ + "/catalog.db");
  CommandResult r = RunLedgerlakeAsReader(lake_, {"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n5\n");
  r = RunLedgerlakeAsReader(lake_, {"query", "SELECT inv_id FROM invoice_features WHERE is_late = 1 ORDER BY 1",
                                    "--format", "csv", "--as-of", "2024-11-24"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "inv_id\n102\n103\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"catalog", "runs"}, {"catalog", "tables"}, {"catalog", "partitions"}, {"catalog", "pending"},
           {"catalog", "describe", "invoices"}}) {
    r = RunLedgerlakeAsReader(lake_, args);
    EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.err;
    EXPECT_FALSE(r.out.empty()) << args[1];
  }
  // A writer's command fails clearly.
  r = RunLedgerlakeAsReader(lake_, {"run", "--as-of", "2024-11-25", "--no-wait"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("ledgerlake: "), std::string::npos) << r.err;
  EXPECT_EQ(fs::last_write_time(lake_ + "/catalog.db"), before);
  if (::geteuid() != 0) {
    ASSERT_EQ(std::system(("chmod -R u+w '" + lake_ + "'").c_str()), 0);
  }
}

// A deleted catalog: queries fail clearly instead of showing nothing, and the next run rebuilds and says so.
TEST_F(RobustnessTest, ALostCatalogIsAClearErrorUntilARunRebuilds) {
  WorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  fs::remove(lake_ + "/catalog.db");
  CommandResult r = Ll({"query", "SELECT count(*) FROM invoice_features"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("catalog.db is missing"), std::string::npos) << r.err;
  r = Ll({"run", "--as-of", "2024-11-25"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("the catalog was missing"), std::string::npos) << r.err;
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
}

// Before any run, and before the first run's day, the datasets are empty, and the query says why.
TEST_F(RobustnessTest, QueriesBeforeAnyRunSayTheDatasetsAreEmpty) {
  WorkedExample();
  CommandResult r = Ll({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n0\n");
  EXPECT_NE(r.err.find("no run has committed datasets yet"), std::string::npos) << r.err;
  LlOk({"run", "--as-of", "2024-11-24"});
  r = Ll({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv", "--as-of", "2024-11-01"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "n\n0\n");
  EXPECT_NE(r.err.find("no run on or before 2024-11-01 (the first is as of 2024-11-24)"), std::string::npos) << r.err;
  r = Ll({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"});
  EXPECT_EQ(r.err, "");
}

// Every partition of every dataset, as text: what repairs must give back exactly.
constexpr const char* kHistory =
    "SELECT 'i' AS d, x::VARCHAR AS r FROM invoice_features_history x "
    "UNION ALL SELECT 'a', x::VARCHAR FROM account_invoice_features_history x "
    "UNION ALL SELECT 'f', x::VARCHAR FROM account_features_history x "
    "UNION ALL SELECT 'r', x::VARCHAR FROM rejects_history x "
    "UNION ALL SELECT 'p', x::VARCHAR FROM pending_history x "
    "UNION ALL SELECT 'del', x::VARCHAR FROM deleted_invoices_history x ORDER BY 1, 2";

// The one Parquet file of a dataset's partition of a day.
std::string PartitionFileOf(const std::string& lake, const std::string& dataset, const std::string& day) {
  const std::string dir = lake + "/processed/" + dataset + "/ingest_year=" + day.substr(0, 4) + "/ingest_month=" +
                          day.substr(5, 2) + "/ingest_day=" + day.substr(8, 2);
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") return e.path().string();
  }
  ADD_FAILURE() << "no file in " << dir;
  return "";
}

// A damaged partition file (truncated, overwritten, deleted) takes down only the views that read it, and every
// error names it; `verify` finds it, `verify --repair` rewrites it from the raw zone with the same rows, and a
// run repairs what its quick check finds before it starts.
TEST_F(RobustnessTest, DamagedPartitionsAreNamedFoundAndRewrittenFromTheRawZone) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "300", "--invoices", "3000", "--seed", "3"});
  LlOk({"generate", "--out", dir_ + "/y", "--accounts", "350", "--invoices", "500", "--seed", "4"});
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/x"});
  LlOk({"run", "--as-of", "2024-11-24"});
  LlOk({"ingest", dir_ + "/y"});
  LlOk({"run", "--as-of", "2024-11-26"});
  LlOk({"run", "--as-of", "2024-12-20"});
  const std::string history = Csv(kHistory);
  EXPECT_NE(LlOk({"verify"}).find("no damage found"), std::string::npos);

  // A delta file overwritten in the middle (same size), an old complete file truncated.
  const std::string delta = PartitionFileOf(lake_, "invoice_features", "2024-11-26");
  const std::string old_accounts = PartitionFileOf(lake_, "account_features", "2024-11-24");
  std::string bytes = ReadFile(delta);
  for (size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) bytes[i] = 'X';
  WriteFile(delta, bytes);
  fs::resize_file(old_accounts, 50);

  EXPECT_EQ(Csv("SELECT 1 AS one"), "one\n1\n");
  EXPECT_NE(Csv("SELECT count(*) AS n FROM account_features"), "");  // the newest snapshot is intact
  CommandResult r = Ll({"query", "SELECT sum(inv_total) FROM invoice_features"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fs::path(delta).filename().string()), std::string::npos) << r.err;
  r = Ll({"query", "SELECT count(*) FROM account_features_history"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fs::path(old_accounts).filename().string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ledgerlake verify"), std::string::npos) << r.err;

  r = Ll({"verify", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  const auto report = nlohmann::json::parse(r.out);
  ASSERT_EQ(report["damaged"].size(), 2u) << r.out;
  EXPECT_EQ(report["damaged"][0]["dataset"], "account_features");
  EXPECT_NE(report["damaged"][0]["problem"].get<std::string>().find("50 bytes"), std::string::npos);
  EXPECT_EQ(report["damaged"][1]["dataset"], "invoice_features");
  EXPECT_EQ(report["damaged"][1]["day"], "2024-11-26");
  EXPECT_NE(report["damaged"][1]["problem"].get<std::string>().find("differs from what was written"), std::string::npos);
  // The quick check (sizes) sees only the truncated one.
  r = Ll({"verify", "--quick", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["damaged"].size(), 1u) << r.out;

  r = Ll({"verify", "--repair"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("repaired  invoice_features of 2024-11-26"), std::string::npos) << r.out;
  EXPECT_EQ(Csv(kHistory), history);
  EXPECT_NE(LlOk({"verify"}).find("no damage found"), std::string::npos);
  EXPECT_FALSE(fs::exists(delta)) << "the damaged file is gone";

  // A deleted file: the next run's quick check finds it and repairs it before it runs.
  fs::remove(PartitionFileOf(lake_, "invoice_features", "2024-11-24"));
  r = Ll({"run", "--as-of", "2024-12-21"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("repaired invoice_features of 2024-11-24"), std::string::npos) << r.err;
  EXPECT_EQ(LlOk({"query", kHistory, "--format", "csv", "--as-of", "2024-12-20"}), history);
}

// A landed extract is immutable: one changed by hand fails the run that reads it, naming it, and `verify` says so.
TEST_F(RobustnessTest, ALandedFileChangedByHandIsRefused) {
  WorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  std::string landed;
  for (const auto& e : fs::directory_iterator(lake_ + "/raw/invoices")) {
    if (e.path().extension() == ".csv") landed = e.path().string();
  }
  std::string text = ReadFile(landed);
  text.replace(text.find("2024-02-05"), 10, "2024-02-06");  // same size
  WriteFile(landed, text);
  CommandResult r = Ll({"run", "--as-of", "2024-11-25", "--full-refresh"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(fs::path(landed).filename().string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("was changed after it was landed"), std::string::npos) << r.err;
  r = Ll({"verify"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("its content differs from the content landed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot repair"), std::string::npos) << r.out;
  // The views are as the last good run left them.
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
}

// A landed record of several megabytes (ingest takes records up to 64 MiB) breaks no query: SELECT 1 and the
// feature views answer, and the raw and source views show it whole.
TEST_F(RobustnessTest, AHugeRecordBreaksNoQuery) {
  WorkedExample();
  const std::string huge(3 << 20, 'x');
  WriteFile(dir_ + "/big/skus.csv", "item_id,item_name,item_description,item_cost_price,item_retail_price\n12,Big,\"" +
                                        huge + "\",1.00,2.00\n");
  LlOk({"ingest", dir_ + "/big/skus.csv"});
  LlOk({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(Csv("SELECT 1 AS one"), "one\n1\n");
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM invoice_features"), "n\n5\n");
  EXPECT_EQ(Csv("SELECT length(item_description) AS n FROM raw_skus WHERE item_id = '12'"),
            "n\n" + std::to_string(huge.size()) + "\n");
  EXPECT_EQ(Csv("SELECT length(item_description) AS n, item_retail_price FROM skus WHERE item_id = 12"),
            "n,item_retail_price\n" + std::to_string(huge.size()) + ",2.00\n");
}

// The raw views show every landed record as its file has it: doubled quotes undone, a short or long record
// kept with what is wrong with it, bytes that are not UTF-8 as \xHH, the payment column under the contract's name,
// and extra columns; the source views show the tables typed as the runs left them.
TEST_F(RobustnessTest, RawViewsShowEveryLandedRecordFaithfullyAndSourceViewsAreTyped) {
  LlOk({"init"});
  WriteFile(dir_ + "/d/accounts.csv",
            "account_id,company_name,joining_date,region\n"
            "1,\"Beta \"\"Trade\"\" Co\",2024-01-01,North\n"  // 2: doubled quotes
            "2,Short\n"                                      // 3: too few fields
            "3,\"Bad \xff\",2024-01-01,South\n"               // 4: invalid UTF-8
            "4,Fine,2024-02-29,\n");                        // 5: empty extra value: NULL
  WriteFile(dir_ + "/d/invoices.csv", "invoice_id,account_id,date_issued,payment_date\n7,1,2024-03-01 10:00:00,2024-03-02\n");
  LlOk({"ingest", dir_ + "/d"});
  LlOk({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(Csv("SELECT _line, account_id, company_name, joining_date, region, _problem FROM raw_accounts ORDER BY _line"),
            "_line,account_id,company_name,joining_date,region,_problem\n"
            "2,1,\"Beta \"\"Trade\"\" Co\",2024-01-01,North,\n"
            "3,2,Short,,,column_count: 2 fields where the header has 4\n"
            "4,3,Bad \\xFF,2024-01-01,South,invalid_utf8: the record is not valid UTF-8 (invalid bytes shown as \\xHH)\n"
            "5,4,Fine,2024-02-29,,\n");
  EXPECT_EQ(Csv("SELECT _record FROM raw_accounts WHERE _line = 3"), "_record\n\"2,Short\"\n");
  EXPECT_EQ(Csv("SELECT invoice_id, date_issued, payment_dates FROM raw_invoices"),
            "invoice_id,date_issued,payment_dates\n7,2024-03-01 10:00:00,2024-03-02\n");
  // Typed: the contract's columns and types; rejected rows are not there.
  EXPECT_EQ(Csv("SELECT account_id, company_name, joining_date FROM accounts ORDER BY 1"),
            "account_id,company_name,joining_date\n1,\"Beta \"\"Trade\"\" Co\",2024-01-01\n4,Fine,2024-02-29\n");
  EXPECT_EQ(Csv("SELECT string_agg(column_type, ' ') AS t FROM (DESCRIBE invoices)"), "t\nBIGINT BIGINT DATE DATE\n");
  EXPECT_EQ(Csv("SELECT invoice_id, date_issued, payment_dates FROM invoices"),
            "invoice_id,date_issued,payment_dates\n7,2024-03-01,2024-03-02\n");
  // A table with no landed file has empty views, not an error.
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM raw_skus"), "n\n0\n");
  EXPECT_EQ(Csv("SELECT count(*) AS n FROM skus"), "n\n0\n");
}

TEST_F(RobustnessTest, InitRefusesAFileAndANonEmptyDirectory) {
  WriteFile(dir_ + "/afile", "x");
  CommandResult r = RunLedgerlake(dir_ + "/afile", {"init"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is a file, not a directory"), std::string::npos) << r.err;
  WriteFile(dir_ + "/full/x", "x");
  r = RunLedgerlake(dir_ + "/full", {"init"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the directory is not empty"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ledgerlake::e2e
