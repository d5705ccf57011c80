// TaskPool: every iteration runs exactly once, loops nest (an iteration may run a loop of its own, as ingest's
// per-file loop runs each large file's per-part loop) without deadlock, and both threads take part.
#include "util/task_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace ledgerlake {
namespace {

TEST(TaskPoolTest, EveryIterationRunsOnce) {
  for (size_t threads : {1, 2, 4}) {
    TaskPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (size_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> runs(n);
      pool.ParallelFor(n, [&](size_t i) { runs[i]++; });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(runs[i].load(), 1) << "n " << n << " i " << i;
    }
  }
}

TEST(TaskPoolTest, NestedLoopsFinish) {
  TaskPool pool(2);
  std::vector<std::atomic<int>> runs(8 * 50);
  pool.ParallelFor(8, [&](size_t outer) {
    pool.ParallelFor(50, [&](size_t inner) { runs[outer * 50 + inner]++; });
  });
  for (auto& r : runs) EXPECT_EQ(r.load(), 1);
  // Three levels.
  std::atomic<int> leaves{0};
  pool.ParallelFor(3, [&](size_t) {
    pool.ParallelFor(4, [&](size_t) { pool.ParallelFor(5, [&](size_t) { leaves++; }); });
  });
  EXPECT_EQ(leaves.load(), 60);
}

TEST(TaskPoolTest, IterationsRunOnMoreThanOneThread) {
  TaskPool pool(2);
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::thread::id> ids;
  int arrived = 0;
  bool met = false;
  // Two iterations that wait for each other meet only if they run at the same time. A pool that ran them one
  // after the other makes the first give up after the deadline, and the test fail (instead of hanging).
  pool.ParallelFor(2, [&](size_t) {
    std::unique_lock<std::mutex> lock(mu);
    ids.insert(std::this_thread::get_id());
    ++arrived;
    cv.notify_all();
    if (cv.wait_for(lock, std::chrono::seconds(10), [&] { return arrived == 2; })) met = true;
  });
  EXPECT_TRUE(met) << "the two iterations never ran at the same time";
  EXPECT_EQ(ids.size(), 2u);
}

}  // namespace
}  // namespace ledgerlake
