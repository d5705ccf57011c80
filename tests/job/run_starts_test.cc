// Runs while they run: a started run is listed as running until its record replaces it, and as aborted once its
// process is found gone, or by the next holder of the lake lock; never while its process may still be running.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/test_support.h"
#include "job/run_job.h"
#include "util/process.h"

namespace ledgerlake::job {
namespace {

using catalog::RunStart;

class RunStartsTest : public catalog::ScratchLakeTest {
 protected:
  // A start of a run by process `pid` that started at `ticks`.
  int64_t Begin(catalog::Catalog& cat, const std::string& trigger, pid_t pid, uint64_t ticks) {
    auto id = cat.ReserveRunId();
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(cat.BeginRun(RunStart{*id, catalog::NowUnixMs(), 20000, true, trigger, pid, ticks, std::nullopt}).ok());
    return *id;
  }
  int64_t BeginHere(catalog::Catalog& cat, const std::string& trigger) {
    return Begin(cat, trigger, ::getpid(), ProcessStartTicks(::getpid()).value_or(0));
  }
  // A pid that no process has any more: a child's, after it exited and was reaped.
  static pid_t DeadPid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
  }
  static bool Aborted(const std::vector<RunStart>& starts, int64_t id) {
    for (const RunStart& s : starts) {
      if (s.run_id == id) return s.aborted_unix_ms.has_value();
    }
    ADD_FAILURE() << "no start " << id;
    return false;
  }
  std::vector<RunStart> Starts(catalog::Catalog& cat) {
    auto starts = cat.RunStarts();
    EXPECT_TRUE(starts.ok()) << starts.status().message();
    return starts.ok() ? *starts : std::vector<RunStart>{};
  }
};

TEST_F(RunStartsTest, AStartIsAbortedOnceItsProcessIsGone) {
  ASSERT_TRUE(ProcessStartTicks(::getpid()).has_value());
  auto cat = catalog::Catalog::Open(*lake_);
  ASSERT_TRUE(cat.ok());
  const int64_t alive = BeginHere(*cat, "cli");
  const pid_t dead_pid = DeadPid();
  const int64_t dead = Begin(*cat, "schedule", dead_pid, 12345);
  // This process's pid, but another start time: a process that had the pid before and died.
  const int64_t reused = Begin(*cat, "api", ::getpid(), *ProcessStartTicks(::getpid()) + 1);
  EXPECT_EQ(MarkAbortedRuns(*lake_), 2);
  std::vector<RunStart> starts = Starts(*cat);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_FALSE(Aborted(starts, alive));
  EXPECT_TRUE(Aborted(starts, dead));
  EXPECT_TRUE(Aborted(starts, reused));
  for (const RunStart& s : starts) {
    if (s.run_id != dead) continue;
    EXPECT_EQ(s.trigger, "schedule");
    EXPECT_EQ(s.as_of, 20000);
    EXPECT_EQ(s.pid, dead_pid);
    EXPECT_EQ(s.process_start, 12345u);
  }
  EXPECT_EQ(MarkAbortedRuns(*lake_), 0);  // once
  // The next run holds the lake lock: no run can be going on, whatever the pids say.
  ASSERT_EQ(*cat->AbortAbandonedRuns(catalog::NowUnixMs()), 1);
  EXPECT_TRUE(Aborted(Starts(*cat), alive));
}

TEST_F(RunStartsTest, ARecordReplacesItsStartAndIdsStayDistinct) {
  auto cat = catalog::Catalog::Open(*lake_);
  ASSERT_TRUE(cat.ok());
  const int64_t first = BeginHere(*cat, "cli");
  const int64_t second = BeginHere(*cat, "api");
  EXPECT_NE(first, second);
  catalog::RunRecord record =
      catalog::FailedRecord(20000, true, "failed on purpose", {}, catalog::NowUnixMs(), catalog::NowUnixMs());
  record.run_id = second;
  auto id = cat->RecordRun(record);
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, second);
  const std::vector<RunStart> starts = Starts(*cat);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].run_id, first);
  // The next id is past both: an aborted run's id is never given to another run.
  auto next = cat->ReserveRunId();
  ASSERT_TRUE(next.ok());
  EXPECT_GT(*next, second);
}

}  // namespace
}  // namespace ledgerlake::job
