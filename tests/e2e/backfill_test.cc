// End to end: `ledgerlake run --from D1 --to D2` equals running the days one by one, refuses days before the newest
// run, and with --missing goes on where a backfill stopped.
#include <nlohmann/json.hpp>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

using json = nlohmann::json;

class BackfillTest : public ScratchTest {
 protected:
  // A lake at `lake` with the same generated delivery landed.
  void Make(const std::string& lake) {
    ASSERT_EQ(RunLedgerlake(lake, {"init"}).exit_code, 0);
    const CommandResult r = RunLedgerlake(lake, {"ingest", dir_ + "/gen"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
};

TEST_F(BackfillTest, ABackfillEqualsTheDaysOneByOne) {
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "80", "--invoices", "600", "--seed", "5", "--last-day",
        "2024-06-10"});
  const std::string by_day = dir_ + "/by-day";
  const std::string backfilled = dir_ + "/backfilled";
  Make(by_day);
  Make(backfilled);
  const std::vector<std::string> days = {"2024-06-01", "2024-06-02", "2024-06-03", "2024-06-04", "2024-06-05"};
  for (const std::string& d : days) ASSERT_EQ(RunLedgerlake(by_day, {"run", "--as-of", d}).exit_code, 0);
  const CommandResult r = RunLedgerlake(backfilled, {"run", "--from", days.front(), "--to", days.back()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string& d : days) EXPECT_NE(r.out.find("== " + d), std::string::npos) << r.out;
  const json runs = json::parse(RunLedgerlake(backfilled, {"catalog", "runs", "--json"}).out);
  ASSERT_EQ(runs.size(), days.size());
  for (size_t i = 0; i < days.size(); ++i) EXPECT_EQ(runs[i]["as_of"], days[i]);
  for (const std::string& d : days) EXPECT_EQ(DatasetViews(backfilled, d), DatasetViews(by_day, d)) << d;
}

TEST_F(BackfillTest, DaysOnlyMoveForwardAndMissingResumes) {
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "50", "--invoices", "300", "--seed", "5", "--last-day",
        "2024-06-10"});
  Make(lake_);
  LlOk({"run", "--from", "2024-06-01", "--to", "2024-06-03"});
  CommandResult r = Ll({"run", "--from", "2024-06-02", "--to", "2024-06-05"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("days only move forward: the newest run is as of 2024-06-03"), std::string::npos) << r.err;
  r = Ll({"run", "--from", "2024-06-01", "--to", "2024-06-05", "--missing"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("== 2024-06-03"), std::string::npos) << r.out;  // done already
  EXPECT_NE(r.out.find("== 2024-06-04"), std::string::npos) << r.out;
  EXPECT_EQ(json::parse(LlOk({"catalog", "runs", "--json"})).size(), 5u);
  EXPECT_EQ(Ll({"run", "--from", "2024-06-05"}).exit_code, 2);
  EXPECT_EQ(Ll({"run", "--from", "2024-06-09", "--to", "2024-06-08"}).exit_code, 1);
  EXPECT_EQ(Ll({"run", "--as-of", "2024-06-09", "--missing"}).exit_code, 2);
}

}  // namespace
}  // namespace ledgerlake::e2e
