// The command line's rough edges a new user hit, each as it should be now: mistyped commands named with the near
// one, SQL errors with DuckDB's hint and caret, scripts of several statements from an argument, standard input or
// a file, large table output capped, plans drawn, generate refusing to overwrite, consistent stage names, snapshot
// partitions labelled complete, a run with nothing landed refused, and invoices with lines waiting for a sku
// flagged, and a dry run that shows the plan.
#include <nlohmann/json.hpp>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class CliEdgesTest : public ScratchTest {
 protected:
  void WorkedExample() {
    LlOk({"init"});
    for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) {
      LlOk({"ingest", TestData(std::string("cases/worked_example/") + t + ".csv")});
    }
  }
};

TEST_F(CliEdgesTest, AMistypedCommandIsNamedWithTheNearOne) {
  LlOk({"init"});
  CommandResult r = Ll({"ingset", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'ingset'; did you mean 'ingest'?"), std::string::npos) << r.err;
  r = Ll({"catalog", "tabels"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'catalog tabels'; did you mean 'catalog tables'?"), std::string::npos) << r.err;
  r = Ll({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
}

TEST_F(CliEdgesTest, SqlErrorsKeepDuckDbsHintAndCaret) {
  WorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  const CommandResult r = Ll({"query", "SELECT inv_idd FROM invoice_features"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n')),
            "ledgerlake: Binder Error: Referenced column \"inv_idd\" not found in FROM clause!");
  EXPECT_NE(r.err.find("Candidate bindings: \"inv_id\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LINE 1: SELECT inv_idd FROM invoice_features\n               ^"), std::string::npos) << r.err;
}

TEST_F(CliEdgesTest, ScriptsFromAnArgumentStandardInputOrAFileShowEachResult) {
  WorkedExample();
  LlOk({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(LlOk({"query", "SELECT 1 AS a; SELECT count(*) AS n FROM invoices", "--format", "csv"}), "a\n1\nn\n6\n");
  EXPECT_EQ(LlOk({"query", "SELECT 1 AS a; SELECT 2 AS b"}),
            "+---+\n| a |\n+---+\n| 1 |\n+---+\n1 row\n\n+---+\n| b |\n+---+\n| 2 |\n+---+\n1 row\n");
  CommandResult r = RunLedgerlakeWithInput(lake_, {"query", "-", "--format", "csv"},
                                           "SELECT inv_id FROM invoice_features WHERE is_late = 1 ORDER BY 1;\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "inv_id\n102\n103\n");
  WriteFile(dir_ + "/q.sql", "-- the model input's late share\nSELECT round(avg(is_late), 2) AS late FROM invoice_features;\n");
  EXPECT_EQ(LlOk({"query", "--file", dir_ + "/q.sql", "--format", "csv"}), "late\n0.5\n");
  r = Ll({"query"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give the SQL"), std::string::npos) << r.err;
}

TEST_F(CliEdgesTest, LargeTablesAreCappedAndPlansAreDrawn) {
  LlOk({"init"});
  const std::string out = LlOk({"query", "SELECT range AS n FROM range(5000)"});
  EXPECT_NE(out.find("1000 of 5000 rows shown"), std::string::npos) << out.substr(out.size() - 200);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1000 + 5);
  const std::string all = LlOk({"query", "SELECT range AS n FROM range(5000)", "--max-rows", "0"});
  EXPECT_NE(all.find("5000 rows\n"), std::string::npos);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 5000 + 5);
  const std::string csv = LlOk({"query", "SELECT range AS n FROM range(5000)", "--format", "csv"});
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5001) << "csv streams every row";
  const std::string plan = LlOk({"query", "EXPLAIN SELECT sum(range) FROM range(10)"});
  EXPECT_NE(plan.find("┌"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("\\n"), std::string::npos) << "drawn, not escaped: " << plan;
}

TEST_F(CliEdgesTest, GenerateRefusesToOverwriteAndSaysWhatANumberMustBe) {
  LlOk({"generate", "--out", dir_ + "/g", "--accounts", "5", "--invoices", "10"});
  const std::string before = ReadFile(dir_ + "/g/invoices.csv");
  CommandResult r = Ll({"generate", "--out", dir_ + "/g", "--accounts", "7", "--invoices", "20"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("already exists"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(dir_ + "/g/invoices.csv"), before);
  LlOk({"generate", "--out", dir_ + "/g", "--accounts", "7", "--invoices", "20", "--force"});
  EXPECT_NE(ReadFile(dir_ + "/g/invoices.csv"), before);
  r = Ll({"generate", "--out", dir_ + "/h", "--accounts", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("must be a whole number of at least 1, got '0'"), std::string::npos) << r.err;
  EXPECT_LT(r.err.size(), 200u) << r.err;
}

TEST_F(CliEdgesTest, RunsNameTheirStagesAlikeAndLabelSnapshotPartitionsComplete) {
  WorkedExample();
  const json first = json::parse(LlOk({"run", "--as-of", "2024-11-24", "--json"}));
  const json second = json::parse(LlOk({"run", "--as-of", "2024-11-25", "--json"}));
  for (const json* run : {&first, &second}) {
    for (const auto& [name, seconds] : run->at("stages_seconds").items()) {
      EXPECT_EQ(name.find(':'), std::string::npos) << name;  // no "alongside:" or "of which"
      EXPECT_NE(name.front(), ' ') << name;                 // no indent
    }
    EXPECT_TRUE(run->at("stages_seconds").contains("save state")) << run->dump();
  }
  EXPECT_TRUE(first.at("stages_seconds").contains("invoice order"));
  EXPECT_TRUE(second.at("stages_seconds").contains("invoice order"));
  const json parts = json::parse(LlOk({"catalog", "partitions", "--json"}));
  for (const json& p : parts) {
    if (p["day"] != "2024-11-25") continue;
    const bool snapshot = p["dataset"] == "account_features" || p["dataset"] == "pending";
    EXPECT_EQ(p["kind"], snapshot ? "complete" : "delta") << p.dump();
  }
}

TEST_F(CliEdgesTest, ARunWithNothingLandedIsRefused) {
  LlOk({"init"});
  const CommandResult r = Ll({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing is landed yet"), std::string::npos) << r.err;
  EXPECT_EQ(LlOk({"catalog", "runs", "--json"}), "[]\n");
}

// An invoice whose line item waits for a sku that was rejected has a partial total: the run counts such invoices
// and the view incomplete_invoices lists them with the skus they wait for.
TEST_F(CliEdgesTest, InvoicesWithLinesWaitingForASkuAreFlagged) {
  LlOk({"init"});
  WriteFile(dir_ + "/d/accounts.csv", "account_id,joining_date\n1,2024-01-01\n");
  WriteFile(dir_ + "/d/skus.csv", "item_id,item_retail_price\n10,7.50\n11,59.999\n");  // 11: bad_decimal
  WriteFile(dir_ + "/d/invoices.csv", "invoice_id,account_id,date_issued\n100,1,2024-02-01\n101,1,2024-02-02\n");
  WriteFile(dir_ + "/d/invoice_line_items.csv", "invoice_id,item_id,quantity\n100,10,2\n100,11,1\n101,10,1\n");
  LlOk({"ingest", dir_ + "/d"});
  const json run = json::parse(LlOk({"run", "--as-of", "2024-11-24", "--json"}));
  EXPECT_EQ(run["warnings"]["incomplete_invoices"], 1);
  EXPECT_NE(LlOk({"run", "--as-of", "2024-11-25"}).find("1 invoices have line items waiting for a sku"), std::string::npos);
  EXPECT_EQ(LlOk({"query", "SELECT * FROM incomplete_invoices", "--format", "csv"}),
            "invoice_id,account_id,pending_lines,missing_skus\n100,1,1,11\n");
  EXPECT_EQ(LlOk({"query", "SELECT inv_total FROM invoice_features WHERE inv_id = 100", "--format", "csv"}),
            "inv_total\n15.00\n");
}

// `run --dry-run` shows the plan (kind and why, passes and why, the memory the model expects, the files) and
// changes nothing: no run is recorded and nothing is written.
TEST_F(CliEdgesTest, ADryRunShowsThePlanAndChangesNothing) {
  WorkedExample();
  std::string text = LlOk({"run", "--dry-run", "--as-of", "2024-11-24"});
  EXPECT_EQ(text.substr(0, text.find('\n')), "run as of 2024-11-24: complete (the first run of the lake)");
  EXPECT_NE(text.find("passes: 1 (no memory limit); the memory model expects a peak of "), std::string::npos) << text;
  EXPECT_NE(text.find("files to apply: 4 "), std::string::npos) << text;
  EXPECT_EQ(LlOk({"catalog", "runs", "--json"}), "[]\n");
  EXPECT_FALSE(fs::exists(lake_ + "/processed/invoice_features"));

  LlOk({"run", "--as-of", "2024-11-24", "--partitions", "2"});
  WriteFile(dir_ + "/d2/skus.csv", "item_id,item_retail_price\n10,8.00\n");
  LlOk({"ingest", dir_ + "/d2/skus.csv"});
  const auto plan = nlohmann::json::parse(LlOk({"run", "--dry-run", "--json", "--as-of", "2024-11-25", "--partitions", "2"}));
  EXPECT_EQ(plan.at("kind"), "incremental");
  EXPECT_EQ(plan.at("reason"), "continues the run as of 2024-11-24 (run 1)");
  EXPECT_EQ(plan.at("passes"), 2);
  EXPECT_EQ(plan.at("passes_reason"), "--partitions 2");
  EXPECT_GT(plan.at("expected_peak_bytes").get<uint64_t>(), 0u);
  ASSERT_EQ(plan.at("apply").size(), 1u);
  EXPECT_EQ(plan.at("apply")[0].at("sequence"), 5);
  EXPECT_EQ(plan.at("apply")[0].at("table"), "skus");
  text = LlOk({"run", "--dry-run", "--as-of", "2024-11-25", "--memory-limit", "8GB"});
  EXPECT_NE(text.find("complete (the run as of 2024-11-24 cannot be continued: its state is kept in 2 buckets and "
                      "this run takes 1 pass)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("passes: 1 (the fewest the memory model fits in 8192 MiB)"), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(LlOk({"catalog", "runs", "--json"})).size(), 1u);
}

}  // namespace
}  // namespace ledgerlake::e2e
