// End to end: undoing the newest runs (a run as of the wrong day no longer blocks the days before it) and
// vacuum (older partitions dropped, the views of the days kept exactly as before).
#include <nlohmann/json.hpp>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

using json = nlohmann::json;

class ManageTest : public ScratchTest {
 protected:
  void Make(const std::string& lake) {
    ASSERT_EQ(RunLedgerlake(lake, {"init"}).exit_code, 0);
    ASSERT_EQ(RunLedgerlake(lake, {"ingest", dir_ + "/gen"}).exit_code, 0);
  }
};

TEST_F(ManageTest, UndoingARunAsOfTheWrongDayLetsTheDaysBeforeItRunAgain) {
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "60", "--invoices", "400", "--seed", "9", "--last-day",
        "2024-06-10"});
  const std::string reference = dir_ + "/reference";
  Make(lake_);
  Make(reference);
  LlOk({"run", "--as-of", "2024-06-01"});
  LlOk({"run", "--as-of", "2030-01-01"});  // --as-of mistyped: every day before 2030 is blocked now
  EXPECT_EQ(Ll({"run", "--as-of", "2024-06-02"}).exit_code, 1);
  const std::string undone = LlOk({"undo"});
  EXPECT_NE(undone.find("undid run 2 (as of 2030-01-01)"), std::string::npos) << undone;
  EXPECT_NE(undone.find("the newest run is now 1 (as of 2024-06-01)"), std::string::npos) << undone;
  LlOk({"run", "--as-of", "2024-06-02"});
  for (const char* d : {"2024-06-01", "2024-06-02"}) ASSERT_EQ(RunLedgerlake(reference, {"run", "--as-of", d}).exit_code, 0);
  for (const char* d : {"2024-06-01", "2024-06-02", "2030-01-01"}) EXPECT_EQ(DatasetViews(lake_, d), DatasetViews(reference, d)) << d;
  // The undone run's record stays, and the undo is recorded.
  EXPECT_EQ(json::parse(LlOk({"catalog", "runs", "--json"})).size(), 3u);
  const json undo_two = json::parse(LlOk({"undo", "--runs", "2", "--json"}));
  EXPECT_EQ(undo_two["days"], json::parse(R"(["2024-06-01", "2024-06-02"])"));
  EXPECT_TRUE(undo_two["newest_run"].is_null());
  EXPECT_EQ(Ll({"undo"}).exit_code, 1);  // nothing left to undo
  const json ops = json::parse(LlOk({"catalog", "operations", "--json"}));
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0]["kind"], "undo");
  EXPECT_EQ(ops[0]["days"], json::parse(R"(["2030-01-01"])"));
  EXPECT_EQ(ops[0]["trigger"], "cli");
  EXPECT_EQ(ops[1]["runs"], json::parse("[1, 3]"));
}

TEST_F(ManageTest, VacuumKeepsTheViewsOfTheDaysKeptExact) {
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "60", "--invoices", "400", "--seed", "9", "--last-day",
        "2024-06-10"});
  Make(lake_);
  LlOk({"run", "--from", "2024-06-01", "--to", "2024-06-03"});
  LlOk({"run", "--as-of", "2024-06-04", "--full-refresh"});  // a complete partition
  LlOk({"run", "--from", "2024-06-05", "--to", "2024-06-06"});
  std::map<std::string, std::string> before;
  for (const char* d : {"2024-06-04", "2024-06-05", "2024-06-06"}) before[d] = DatasetViews(lake_, d);
  // Keep 2 days (5th, 6th): the 5th is a delta against the 4th, so it is written whole first; the 1st-4th go.
  const json v = json::parse(LlOk({"vacuum", "--keep-days", "2", "--json"}));
  EXPECT_EQ(v["days"], json::parse(R"(["2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04"])"));
  EXPECT_NE(v["note"].get<std::string>().find("2024-06-05"), std::string::npos) << v.dump();
  for (const char* d : {"2024-06-05", "2024-06-06"}) EXPECT_EQ(DatasetViews(lake_, d), before[d]) << d;
  EXPECT_EQ(LlOk({"query", "SELECT count(DISTINCT ingest_day) AS days FROM account_features_history", "--format", "csv"}),
            "days\n2\n");
  const json runs = json::parse(LlOk({"catalog", "runs", "--json"}));
  EXPECT_EQ(runs[runs.size() - 2]["kind"], "complete");  // the 5th's run now holds complete partitions
  EXPECT_NE(LlOk({"vacuum", "--keep-days", "2"}).find("nothing to drop"), std::string::npos);
  // The files are whole and as recorded, and a later run continues from the lake as it is.
  EXPECT_EQ(Ll({"verify"}).exit_code, 0);
  LlOk({"run", "--as-of", "2024-06-07"});
  const std::string reference = dir_ + "/reference";
  Make(reference);
  ASSERT_EQ(RunLedgerlake(reference, {"run", "--as-of", "2024-06-07"}).exit_code, 0);
  EXPECT_EQ(DatasetViews(lake_, "2024-06-07"), DatasetViews(reference, "2024-06-07"));
  EXPECT_EQ(Ll({"vacuum", "--keep-days", "0"}).exit_code, 2);
}

}  // namespace
}  // namespace ledgerlake::e2e
