// The run job (job/run_job.h) called in process, as the service and a multi-process run will call it: its plan
// says what the run will do and the run does that; the catalog alone decides what a base has applied; a state that
// cannot be used is rebuilt and the outcome says why. Lakes are set up with the binary (init, ingest) and read
// back with it (query), so that what the job committed is what users see.
#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog.h"
#include "e2e/harness.h"
#include "job/run_job.h"
#include "lake/lake.h"
#include "util/date.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

constexpr char kDump[] =
    "SELECT 'i' AS t, x::VARCHAR AS r FROM invoice_features x UNION ALL "
    "SELECT 'a', x::VARCHAR FROM account_features x UNION ALL "
    "SELECT 'ai', x::VARCHAR FROM account_invoice_features x ORDER BY t, r";

class RunJobTest : public ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    const std::string w = TestData("cases/worked_example");
    LlOk({"init"});
    for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) {
      LlOk({"ingest", w + "/" + t + ".csv"});
    }
  }

  // Lands a one-row sku file (a price change: every invoice with item 10 changes).
  void LandPrice(const std::string& name, const std::string& price) {
    WriteFile(dir_ + "/" + name + "/skus.csv", "item_id,item_retail_price\n10," + price + "\n");
    LlOk({"ingest", dir_ + "/" + name + "/skus.csv"});
  }

  // Plans and executes a run as of `day` in process, holding the lake lock for both.
  struct Done {
    job::RunPlan plan;
    job::RunOutcome outcome;
  };
  Done Run(const std::string& day, std::optional<uint32_t> passes, bool full_refresh = false,
           uint64_t memory_limit = 0) {
    auto lake = lake::Lake::Open(lake_);
    EXPECT_TRUE(lake.ok()) << lake.status().ToString();
    auto lock = lake::LakeLock::Acquire(*lake);
    EXPECT_TRUE(lock.ok()) << lock.status().ToString();
    auto cat = catalog::Catalog::Open(*lake);
    EXPECT_TRUE(cat.ok()) << cat.status().ToString();
    job::RunRequest request;
    request.as_of = *ParseIsoDate(day);
    request.passes = passes;
    request.full_refresh = full_refresh;
    request.memory_limit = memory_limit;
    auto plan = job::PlanRun(*lock, *lake, *cat, request);
    EXPECT_TRUE(plan.ok()) << plan.status().ToString();
    auto outcome = job::ExecuteRun(*lock, *lake, *cat, *plan, request);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return Done{*plan, outcome.ok() ? std::move(*outcome) : job::RunOutcome{}};
  }

  std::vector<catalog::CommittedRun> Committed() {
    auto lake = lake::Lake::Open(lake_);
    auto cat = catalog::Catalog::OpenForReading(*lake);
    auto runs = cat->CommittedRuns();
    EXPECT_TRUE(runs.ok());
    return *runs;
  }

  std::string Dump() { return LlOk({"query", kDump, "--format", "csv"}); }

  // The views of a fresh lake that lands the same extracts and runs once, complete, in one pass, as of `day`.
  std::string FullRecompute(const std::string& day) {
    const std::string other = dir_ + "/recompute";
    fs::remove_all(other);
    EXPECT_EQ(RunLedgerlake(other, {"init"}).exit_code, 0);
    auto lake = lake::Lake::Open(lake_);
    auto landed = lake::ListLanded(*lake);
    EXPECT_TRUE(landed.ok());
    for (const lake::LandedFile& f : *landed) {
      EXPECT_EQ(RunLedgerlake(other, {"ingest", f.source}).exit_code, 0);
    }
    EXPECT_EQ(RunLedgerlake(other, {"run", "--as-of", day}).exit_code, 0);
    const CommandResult r = RunLedgerlake(other, {"query", kDump, "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // The files of the newest run's state (its manifest, routes, bucket states and line logs), by extension.
  std::vector<std::string> StateFilesOfNewest(const std::string& extension) {
    std::vector<std::string> out;
    for (const std::string& f : lake::StateFiles(lake_ + "/" + Committed().back().state)) {
      if (fs::path(f).extension() == extension) out.push_back(f);
    }
    return out;
  }
};

TEST_F(RunJobTest, ThePlanSaysWhatTheRunDoes) {
  Done first = Run("2024-11-24", 3);
  EXPECT_EQ(first.plan.kind, job::RunPlan::Kind::kComplete);
  EXPECT_EQ(first.plan.reason, "the first run of the lake");
  EXPECT_EQ(first.plan.apply.size(), 4u);
  EXPECT_EQ(first.plan.passes, 3u);
  ASSERT_TRUE(first.outcome.report.has_value());
  EXPECT_TRUE(first.outcome.rebuilt_because.empty());
  ASSERT_EQ(Committed().size(), 1u);
  EXPECT_EQ(Committed().back().run_id, first.outcome.run_id);
  EXPECT_EQ(Committed().back().passes, 3u);
  EXPECT_EQ(StateFilesOfNewest(".state").size(), 3u);  // one per bucket
  EXPECT_EQ(StateFilesOfNewest(".routes").size(), 1u);

  // In the same number of passes the next day continues it, applying only the new file.
  LandPrice("d2", "8.00");
  Done second = Run("2024-11-25", 3);
  EXPECT_EQ(second.plan.kind, job::RunPlan::Kind::kIncremental);
  EXPECT_EQ(second.plan.reason, "continues the run as of 2024-11-24 (run " + std::to_string(first.outcome.run_id) + ")");
  ASSERT_EQ(second.plan.apply.size(), 1u);
  EXPECT_EQ(second.plan.apply[0].sequence, 5u);
  EXPECT_TRUE(second.outcome.rebuilt_because.empty());
  EXPECT_FALSE(Committed().back().complete);  // delta partitions
  EXPECT_EQ(Committed().back().consumed, (std::vector<uint64_t>{5}));
  EXPECT_EQ(Dump(), FullRecompute("2024-11-25"));

  // Another number of passes cannot continue a state kept in 3 buckets: complete, and the plan says why.
  LandPrice("d3", "7.50");
  Done third = Run("2024-11-26", 2);
  EXPECT_EQ(third.plan.kind, job::RunPlan::Kind::kComplete);
  EXPECT_EQ(third.plan.cannot_continue,
            "the run as of 2024-11-25 cannot be continued: its state is kept in 3 buckets and this run takes 2 "
            "passes");
  EXPECT_EQ(third.plan.apply.size(), 6u);
  EXPECT_TRUE(Committed().back().complete);
  EXPECT_EQ(Dump(), FullRecompute("2024-11-26"));

  // The same day again with nothing new: nothing to apply, and no run is recorded.
  Done again = Run("2024-11-26", 2);
  EXPECT_EQ(again.plan.kind, job::RunPlan::Kind::kNothingToApply);
  EXPECT_FALSE(again.outcome.report.has_value());
  EXPECT_EQ(Committed().size(), 3u);
}

// Passes that continue a state overlap (bucket k+1 loads while bucket k is computed and written); under a
// memory limit only where the memory measured so far leaves room, the first pass and the second's loading alone;
// complete passes never. Whichever way they ran, the views are those of a full recompute.
TEST_F(RunJobTest, IncrementalPassesOverlapWhereTheMemoryLimitLeavesRoom) {
  Done first = Run("2024-11-24", 3);
  ASSERT_TRUE(first.outcome.report.has_value());
  EXPECT_EQ(first.outcome.report->overlapped_passes, 0u);  // complete

  struct Case {
    uint64_t memory_limit;
    uint32_t overlapped;
  };
  int day = 25;
  for (const Case c : {Case{0, 2}, Case{uint64_t{64} << 30, 1}, Case{uint64_t{1} << 20, 0}}) {
    SCOPED_TRACE("memory limit " + std::to_string(c.memory_limit));
    LandPrice("o" + std::to_string(day), std::to_string(day - 15) + ".25");
    const std::string as_of = "2024-11-" + std::to_string(day++);
    Done done = Run(as_of, 3, false, c.memory_limit);
    EXPECT_EQ(done.plan.kind, job::RunPlan::Kind::kIncremental);
    ASSERT_TRUE(done.outcome.report.has_value());
    EXPECT_TRUE(done.outcome.rebuilt_because.empty()) << done.outcome.rebuilt_because;
    EXPECT_EQ(done.outcome.report->overlapped_passes, c.overlapped);
    EXPECT_EQ(Dump(), FullRecompute(as_of));
  }
}

// The state is a cache: a bucket's state or the routes missing or damaged after the plan was made are found by
// the run, which rebuilds from the raw zone and says why; a damaged manifest is found by the plan.
TEST_F(RunJobTest, AnUnusableStateInBucketsIsRebuiltAndTheOutcomeSaysWhy) {
  Run("2024-11-24", 3);
  struct Damage {
    const char* what;
    std::function<void()> apply;
    const char* said;
  };
  const std::vector<Damage> damages = {
      {"a bucket state deleted", [&] { fs::remove(StateFilesOfNewest(".state").at(1)); }, "cannot open"},
      {"the routes flipped",
       [&] {
         const std::string f = StateFilesOfNewest(".routes").at(0);
         std::string bytes = ReadFile(f);
         bytes[bytes.size() / 2] ^= 0x21;
         WriteFile(f, bytes);
       },
       "checksum mismatch"},
      {"a line log cut short",
       [&] {
         const std::string f = StateFilesOfNewest(".lines").at(0);
         const std::string bytes = ReadFile(f);
         WriteFile(f, bytes.substr(0, bytes.size() - 5));
       },
       "line log"},
  };
  int day = 25;
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    d.apply();
    LandPrice("d" + std::to_string(day), std::to_string(day - 15) + ".00");
    const std::string as_of = "2024-11-" + std::to_string(day++);
    Done done = Run(as_of, 3);
    EXPECT_EQ(done.plan.kind, job::RunPlan::Kind::kIncremental);
    EXPECT_NE(done.outcome.rebuilt_because.find(d.said), std::string::npos) << done.outcome.rebuilt_because;
    EXPECT_TRUE(Committed().back().complete);
    EXPECT_EQ(Dump(), FullRecompute(as_of));
  }
  // The manifest itself: the plan cannot read it, and plans a complete run.
  WriteFile(lake_ + "/" + Committed().back().state, "{\"format\": 1");
  LandPrice("dm", "3.00");
  Done done = Run("2024-11-30", 3);
  EXPECT_EQ(done.plan.kind, job::RunPlan::Kind::kComplete);
  EXPECT_NE(done.plan.cannot_continue.find("manifest"), std::string::npos) << done.plan.cannot_continue;
  EXPECT_EQ(Dump(), FullRecompute("2024-11-30"));
}

}  // namespace
}  // namespace ledgerlake::e2e
