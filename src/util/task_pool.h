// TaskPool: a fixed set of threads running the iterations of ParallelFor loops, which may nest. A thread that
// waits for its loop runs queued iterations meanwhile (its own loop's or any other's), so nesting never
// deadlocks and no core idles while there is work: ingest runs one loop over its files, and each large file's
// crawl runs a nested loop over parts of that file, on the same two threads.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ledgerlake {

class TaskPool {
 public:
  // `threads` counts the calling thread: TaskPool(2) starts one more thread. 0 means one per core.
  explicit TaskPool(size_t threads = 0);
  ~TaskPool();
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  size_t threads() const { return workers_.size() + 1; }

  // Runs fn(0) ... fn(n - 1), in any order and on any of the pool's threads (the caller's included), and returns
  // when all have returned. May be called from inside an iteration. `fn` must not throw.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  struct Loop {
    const std::function<void(size_t)>* fn;
    size_t remaining;  // iterations not yet finished
  };
  struct Item {
    Loop* loop;
    size_t index;
  };
  void RunOne(std::unique_lock<std::mutex>& lock);  // pops and runs the front item; lock held around it
  void Work();

  std::mutex mu_;
  std::condition_variable cv_;  // an item was queued, a loop finished, or the pool is closing
  std::deque<Item> queue_;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ledgerlake
