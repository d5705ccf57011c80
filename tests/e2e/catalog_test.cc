// The catalog and the crawler through the binary: what `catalog tables|describe|partitions|runs --json` report
// after ingest and run, a compatible schema change, a breaking one (run holds its table back, naming file and
// column) and its resolution by a later good extract, and a lake whose catalog is lost.
#include <nlohmann/json.hpp>

#include "csv/parts.h"
#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kAccountsHeader =
    "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date";

class CatalogCliTest : public ScratchTest {
 protected:
  void IngestWorkedExample() {
    LlOk({"init"});
    LlOk({"ingest", TestData("cases/worked_example/accounts.csv"), TestData("cases/worked_example/skus.csv"),
          TestData("cases/worked_example/invoices.csv"), TestData("cases/worked_example/invoice_line_items.csv")});
  }
  json Json(const std::vector<std::string>& args) {
    const std::string out = LlOk(args);
    const json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }
  static const json& Column(const json& describe, const std::string& name) {
    for (const json& c : describe["columns"]) {
      if (c["name"] == name) return c;
    }
    static const json none;
    ADD_FAILURE() << "no column " << name;
    return none;
  }
  static const json& Table(const json& tables, const std::string& name) {
    for (const json& t : tables) {
      if (t["table"] == name) return t;
    }
    static const json none;
    ADD_FAILURE() << "no table " << name;
    return none;
  }
};

TEST_F(CatalogCliTest, TablesAndDescribeAfterIngest) {
  IngestWorkedExample();
  const json tables = Json({"catalog", "tables", "--json"});
  ASSERT_EQ(tables.size(), 4u);
  // Contract order; rows are the records of tests/data/cases/worked_example.
  const std::vector<std::pair<std::string, int>> expected = {
      {"accounts", 3}, {"skus", 2}, {"invoices", 6}, {"invoice_line_items", 7}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(tables[i]["table"], expected[i].first);
    EXPECT_EQ(tables[i]["rows"], expected[i].second) << expected[i].first;
    EXPECT_EQ(tables[i]["files"], 1);
    EXPECT_EQ(tables[i]["current_version"], 1);
    EXPECT_EQ(tables[i]["status"], "ok");
  }

  const json accounts = Json({"catalog", "describe", "accounts", "--json"});
  ASSERT_EQ(accounts["columns"].size(), 7u);
  // docs/data-contract.md: account_id integer and joining_date date, both required; the rest text.
  EXPECT_EQ(Column(accounts, "account_id")["type"], "integer");
  EXPECT_EQ(Column(accounts, "account_id")["required"], true);
  EXPECT_EQ(Column(accounts, "joining_date")["type"], "date");
  EXPECT_EQ(Column(accounts, "joining_date")["format"], "YYYY-MM-DD");
  EXPECT_EQ(Column(accounts, "joining_date")["nullable"], false);
  EXPECT_EQ(Column(accounts, "contact_phone")["type"], "text");
  EXPECT_EQ(Column(accounts, "gender")["nullable"], true);  // account 3 has no gender
  EXPECT_EQ(Column(accounts, "gender")["required"], false);
  ASSERT_EQ(accounts["schema_versions"].size(), 1u);
  EXPECT_EQ(accounts["schema_versions"][0]["change"], "initial");
  EXPECT_NE(accounts["schema_versions"][0]["source"].get<std::string>().find("worked_example/accounts.csv"),
            std::string::npos);

  const json skus = Json({"catalog", "describe", "skus", "--json"});
  EXPECT_EQ(Column(skus, "item_retail_price")["type"], "decimal");
  EXPECT_EQ(Column(skus, "item_retail_price")["scale"], 2);
  const json invoices = Json({"catalog", "describe", "invoices", "--json"});
  EXPECT_EQ(Column(invoices, "payment_dates")["type"], "date");
  EXPECT_EQ(Column(invoices, "payment_dates")["nullable"], true);  // unpaid invoices
  EXPECT_EQ(Column(invoices, "date_issued")["nullable"], false);

  // The same in aligned text.
  const std::string text = LlOk({"catalog", "describe", "accounts"});
  EXPECT_NE(text.find("joining_date             date         no        date, required           YYYY-MM-DD"),
            std::string::npos)
      << text;
}

TEST_F(CatalogCliTest, RunsAndPartitionsAreRecorded) {
  IngestWorkedExample();
  const json report = Json({"run", "--as-of", "2024-11-24", "--json"});
  json runs = Json({"catalog", "runs", "--json"});
  ASSERT_EQ(runs.size(), 1u);
  const json& r = runs[0];
  EXPECT_EQ(r["run_id"], 1);
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["as_of"], "2024-11-24");
  EXPECT_EQ(r["consumed_files"], json::array({1, 2, 3, 4}));
  EXPECT_EQ(r["files_read"], report["files_read"]);
  EXPECT_EQ(r["bytes_read"], report["bytes_read"]);
  EXPECT_EQ(r["tables"], report["tables"]);
  EXPECT_EQ(r["stages_seconds"].size(), report["stages_seconds"].size());
  // Bytes written: what is on disk in the six partitions (three feature datasets, rejects, pending,
  // deleted_invoices).
  uint64_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(lake_ + "/processed")) {
    if (e.is_regular_file()) on_disk += e.file_size();
  }
  EXPECT_EQ(r["bytes_written"], on_disk);
  ASSERT_EQ(r["partitions"].size(), 6u);

  json parts = Json({"catalog", "partitions", "--json"});
  ASSERT_EQ(parts.size(), 6u);
  for (const json& p : parts) {
    const std::string ds = p["dataset"];
    EXPECT_EQ(p["day"], "2024-11-24");
    EXPECT_EQ(p["path"], "processed/" + ds + "/ingest_year=2024/ingest_month=11/ingest_day=24");
    EXPECT_EQ(p["rows"], report["datasets"][ds]["rows"]) << ds;
    EXPECT_EQ(p["run_id"], 1);
    ASSERT_EQ(p["files"].size(), 1u);
    EXPECT_EQ(p["files"][0]["bytes"], fs::file_size(lake_ + "/" + p["path"].get<std::string>() + "/" +
                                                    p["files"][0]["name"].get<std::string>()));
  }
  // docs/features.md worked example: 5 invoices exist on 2024-11-24.
  const json only = Json({"catalog", "partitions", "invoice_features", "--json"});
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["rows"], 5);

  // Re-running the day with nothing new writes nothing; a full refresh replaces its partitions (now run 2's);
  // another day adds a delta: on 2024-12-01 only invoice 105 is new, and no other row changed.
  EXPECT_EQ(Ll({"run", "--as-of", "2024-11-24"}).exit_code, 0);
  EXPECT_EQ(Json({"catalog", "runs", "--json"}).size(), 1u);
  LlOk({"run", "--as-of", "2024-11-24", "--full-refresh"});
  LlOk({"run", "--as-of", "2024-12-01"});
  parts = Json({"catalog", "partitions", "invoice_features", "--json"});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]["run_id"], 2);
  EXPECT_EQ(parts[0]["kind"], "complete");
  EXPECT_EQ(parts[1]["day"], "2024-12-01");
  EXPECT_EQ(parts[1]["kind"], "delta");
  EXPECT_EQ(parts[1]["rows"], 1);
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"}), "n\n6\n");
  runs = Json({"catalog", "runs", "--json"});
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0]["partitions"].size(), 6u);  // run 1 keeps the record of what it wrote
  const std::string text = LlOk({"catalog", "runs"});
  EXPECT_NE(text.find("2024-12-01  ok"), std::string::npos) << text;
}

TEST_F(CatalogCliTest, AnExtraColumnIsACompatibleChange) {
  IngestWorkedExample();
  WriteFile(dir_ + "/in/accounts_2.csv",
            std::string(kAccountsHeader) + ",region\n4,Delta,4 St,Al,0400000004,M,2024-10-01,VIC\n");
  const std::string out = LlOk({"ingest", dir_ + "/in/accounts_2.csv"});
  EXPECT_NE(out.find("accounts version 2 (compatible): added column region (text)"), std::string::npos) << out;
  const json d = Json({"catalog", "describe", "accounts", "--json"});
  EXPECT_EQ(d["current_version"], 2);
  ASSERT_EQ(d["schema_versions"].size(), 2u);
  EXPECT_EQ(d["schema_versions"][1]["change"], "compatible");
  EXPECT_EQ(Column(d, "region")["type"], "text");
  EXPECT_TRUE(Column(d, "region")["contract_type"].is_null());
  // Recorded, and processing goes on.
  const json report = Json({"run", "--as-of", "2024-11-24", "--json"});
  EXPECT_EQ(report["tables"]["accounts"]["accepted"], 4);
}

TEST_F(CatalogCliTest, ABreakingChangeHoldsItsTableBackUntilALaterGoodExtractSupersedesIt) {
  IngestWorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  WriteFile(dir_ + "/in/accounts_bad.csv", std::string(kAccountsHeader) +
                                               "\n4,Delta,4 St,Al,0400000004,M,24/11/2024\n"
                                               "5,Eps,5 St,Bo,0400000005,F,25/11/2024\n");
  // Landed all the same (raw is immutable), with a warning.
  CommandResult ingest = Ll({"ingest", dir_ + "/in/accounts_bad.csv"});
  EXPECT_EQ(ingest.exit_code, 0) << ingest.err;
  EXPECT_NE(ingest.out.find("warning: breaking schema change"), std::string::npos) << ingest.out;
  EXPECT_NE(ingest.out.find("column joining_date"), std::string::npos) << ingest.out;

  const json tables = Json({"catalog", "tables", "--json"});
  EXPECT_EQ(Table(tables, "accounts")["status"], "breaking");
  EXPECT_EQ(Table(tables, "skus")["status"], "ok");

  // With only the broken file new, there is nothing to apply: the run says why and writes nothing.
  CommandResult run = Ll({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(run.exit_code, 3) << "a table held back: " << run.err;
  EXPECT_NE(run.err.find("held back: accounts"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("accounts_bad.csv"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("raw/accounts/00000005-"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("column joining_date"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("DD/MM/YYYY"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("nothing to apply"), std::string::npos) << run.err;
  EXPECT_EQ(Json({"catalog", "runs", "--json"}).size(), 1u);

  // Other tables go on: a sku price change is applied the next day while accounts wait, whole.
  WriteFile(dir_ + "/in/skus_2.csv", "item_id,item_retail_price\n10,8.00\n");
  LlOk({"ingest", dir_ + "/in/skus_2.csv"});
  run = Ll({"run", "--as-of", "2024-11-25", "--json"});
  ASSERT_EQ(run.exit_code, 3) << run.err;
  EXPECT_NE(run.err.find("held back: accounts"), std::string::npos) << run.err;
  const json held = json::parse(run.out);
  EXPECT_EQ(held["held_files"]["accounts"], 1);
  EXPECT_EQ(held["tables"]["accounts"]["read"], 0);
  EXPECT_EQ(held["tables"]["skus"]["read"], 1);
  EXPECT_EQ(LlOk({"query", "SELECT inv_total FROM invoice_features WHERE inv_id = 100", "--format", "csv"}),
            "inv_total\n91.99\n");  // 4 x 8.00 + 59.99
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM account_features", "--format", "csv"}), "n\n3\n");
  json runs = Json({"catalog", "runs", "--json"});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["status"], "ok");
  EXPECT_NE(runs[1]["message"].get<std::string>().find("joining_date"), std::string::npos);

  // The crawl reports it too.
  const json crawl = Json({"crawl", "--json"});
  ASSERT_EQ(crawl["breaking"].size(), 1u);
  EXPECT_EQ(crawl["breaking"][0]["column"], "joining_date");
  EXPECT_EQ(crawl["breaking"][0]["table"], "accounts");

  // The corrected extract supersedes the broken one: the held files are applied in landing order, the broken
  // file's rows become rejects and the corrected rows win.
  WriteFile(dir_ + "/in/accounts_fixed.csv", std::string(kAccountsHeader) +
                                                 "\n4,Delta,4 St,Al,0400000004,M,2024-11-24\n"
                                                 "5,Eps,5 St,Bo,0400000005,F,2024-11-25\n");
  const std::string fixed = LlOk({"ingest", dir_ + "/in/accounts_fixed.csv"});
  EXPECT_EQ(fixed.find("warning"), std::string::npos) << fixed;
  run = Ll({"run", "--as-of", "2024-11-25", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err.find("held back"), std::string::npos) << run.err;
  const json report = json::parse(run.out);
  EXPECT_EQ(report["tables"]["accounts"]["read"], 4);
  EXPECT_EQ(report["tables"]["accounts"]["accepted"], 2);
  EXPECT_EQ(report["tables"]["accounts"]["rejected"], 2);
  EXPECT_EQ(
      LlOk({"query", "SELECT reason, count(*) AS n FROM rejects WHERE source_file LIKE '%accounts_bad.csv' GROUP BY 1",
            "--format", "csv"}),
      "reason,n\nbad_date,2\n");
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM account_features", "--format", "csv"}), "n\n5\n");
  const json d = Json({"catalog", "describe", "accounts", "--json"});
  EXPECT_EQ(d["status"], "ok");
  EXPECT_EQ(d["current_version"], 1);
  ASSERT_EQ(d["schema_versions"].size(), 2u);
  EXPECT_EQ(d["schema_versions"][1]["change"], "breaking");
  EXPECT_EQ(d["schema_versions"][0]["files"], 2);  // the fixed file has the first schema
}

TEST_F(CatalogCliTest, ALostCatalogIsRebuiltFromTheRawZone) {
  IngestWorkedExample();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(lake_ + "/catalog.db" + suffix);
  const json tables = Json({"catalog", "tables", "--json"});
  EXPECT_EQ(tables.size(), 4u);
  EXPECT_EQ(Table(tables, "invoice_line_items")["rows"], 7);
  const std::string crawl = LlOk({"crawl"});
  EXPECT_NE(crawl.find("accounts: 1 file, 3 rows, schema version 1 of 1"), std::string::npos) << crawl;
}

TEST_F(CatalogCliTest, GzipExtractsAreCrawledDecoded) {
  LlOk({"init"});
  WriteGzip(dir_ + "/in/skus.csv.gz", "item_id,item_retail_price,item_cost_price\n1,2.5,1\n2,3.25,\n");
  LlOk({"ingest", dir_ + "/in/skus.csv.gz"});
  const json d = Json({"catalog", "describe", "skus", "--json"});
  EXPECT_EQ(d["rows"], 2);
  EXPECT_EQ(Column(d, "item_retail_price")["type"], "decimal");
  EXPECT_EQ(Column(d, "item_retail_price")["scale"], 2);
  EXPECT_EQ(Column(d, "item_cost_price")["type"], "integer");  // only whole values so far
  EXPECT_EQ(Column(d, "item_cost_price")["nullable"], true);
  const std::string file = d["schema_versions"][0]["file"];
  EXPECT_TRUE(file.ends_with(".csv.gz")) << file;
}

// A plain extract over 32 MiB is crawled in parts on all cores (csv/parts.h); a gzip one is read as one stream.
// Both must give the same profile, down to the line the first bad value is on. The file is about 70 MB, read in
// 4 parts; that line is at about 71% of it, in the third part, after multi-line quoted fields in every part.
TEST_F(CatalogCliTest, ALargeExtractReadInPartsIsProfiledAsWhenReadWhole) {
  std::string csv = "invoice_id,account_id,date_issued,payment_dates,note\n";
  constexpr int kRows = 1'500'000;
  for (int i = 1; i <= kRows; ++i) {
    // Account ids are empty (NULL, not a value) up to row 800,000, then not integers: a breaking change whose
    // first bad value is on line 1 + 800,000 + 799 (the notes before it add a line each).
    csv += std::to_string(i) + "," + (i < 800'000 ? "" : "A" + std::to_string(i)) + ",2024-01-" +
           (i % 28 < 9 ? "0" : "") + std::to_string(1 + i % 28) + ",," + (i % 1000 == 0 ? "\"two\nlines\"" : i < 800'000 ? "padding the rows before the first bad value" : "") +
           "\n";
  }
  ASSERT_EQ(csv::PartsFor(csv.size(), 2), 4u);
  const double first_bad = static_cast<double>(csv.find("A800000")) / static_cast<double>(csv.size());
  ASSERT_TRUE(first_bad > 0.5 && first_bad < 0.75) << first_bad;
  WriteFile(dir_ + "/in/invoices.csv", csv);
  WriteGzip(dir_ + "/gz/invoices.csv.gz", csv);
  auto warning = [](const std::string& out) {
    const size_t at = out.find("column account_id:");
    return at == std::string::npos ? out : out.substr(at, out.find('\n', at) - at);
  };
  LlOk({"init"});
  const std::string plain = warning(LlOk({"ingest", dir_ + "/in/invoices.csv"}));
  EXPECT_EQ(plain,
            "column account_id: 700001 of 700001 values are not integers (first: 'A800000' on line 800800); "
            "`ledgerlake run` holds invoices back until a later invoices extract without it is ingested");
  json plain_describe = Json({"catalog", "describe", "invoices", "--json"});

  const std::string plain_lake = lake_;
  lake_ = dir_ + "/lake-gz";
  LlOk({"init"});
  EXPECT_EQ(warning(LlOk({"ingest", dir_ + "/gz/invoices.csv.gz"})), plain);
  json gz_describe = Json({"catalog", "describe", "invoices", "--json"});
  EXPECT_EQ(plain_describe["rows"], kRows);
  EXPECT_EQ(gz_describe["rows"], plain_describe["rows"]);
  // The file's schema version: the profile's types, nullability and formats, and the breaking detail.
  const json& plain_version = plain_describe["schema_versions"][0];
  const json& gz_version = gz_describe["schema_versions"][0];
  EXPECT_EQ(gz_version["columns"], plain_version["columns"]);
  EXPECT_EQ(gz_version["detail"], plain_version["detail"]);
  EXPECT_EQ(Column(plain_version, "account_id")["type"], "text");
  EXPECT_EQ(Column(plain_version, "account_id")["nullable"], true);
  EXPECT_EQ(Column(plain_version, "date_issued")["type"], "date");
  EXPECT_EQ(Column(plain_version, "note")["nullable"], true);
  lake_ = plain_lake;
}

TEST_F(CatalogCliTest, EmptyLakeUsageAndHelp) {
  LlOk({"init"});
  EXPECT_TRUE(fs::exists(lake_ + "/catalog.db"));
  EXPECT_EQ(Json({"catalog", "tables", "--json"}), json::array());
  EXPECT_EQ(Json({"catalog", "runs", "--json"}), json::array());
  EXPECT_EQ(Json({"catalog", "partitions", "--json"}), json::array());
  EXPECT_EQ(Json({"catalog", "describe", "skus", "--json"})["files"], 0);
  EXPECT_NE(LlOk({"catalog", "tables"}).find("no tables yet"), std::string::npos);
  EXPECT_EQ(Ll({"catalog"}).exit_code, 2);
  EXPECT_EQ(Ll({"catalog", "describe"}).exit_code, 2);
  EXPECT_EQ(Ll({"catalog", "describe", "customers"}).exit_code, 2);
  EXPECT_EQ(Ll({"catalog", "partitions", "nosuch"}).exit_code, 2);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{{"crawl", "--help"},
                                                                                   {"catalog", "--help"},
                                                                                   {"catalog", "tables", "--help"},
                                                                                   {"catalog", "describe", "--help"},
                                                                                   {"catalog", "partitions", "--help"},
                                                                                   {"catalog", "runs", "--help"}}) {
    CommandResult r = Ll(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd[0];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd[0];
  }
  // No lake: one line, exit 1.
  CommandResult r = RunLedgerlake(dir_ + "/nolake", {"catalog", "tables"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("init"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ledgerlake::e2e
