#include "util/task_pool.h"

#include <algorithm>

namespace ledgerlake {

TaskPool::TaskPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (size_t t = 1; t < threads; ++t) workers_.emplace_back([this] { Work(); });
}

TaskPool::~TaskPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void TaskPool::RunOne(std::unique_lock<std::mutex>& lock) {
  const Item item = queue_.front();
  queue_.pop_front();
  lock.unlock();
  (*item.loop->fn)(item.index);
  lock.lock();
  if (--item.loop->remaining == 0) cv_.notify_all();
}

void TaskPool::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
    if (queue_.empty()) return;  // closing, and nothing left
    RunOne(lock);
  }
}

void TaskPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1 || workers_.empty()) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Loop loop{&fn, n};
  std::unique_lock<std::mutex> lock(mu_);
  // Queued at the front: the innermost loop's iterations run first, so a waiting caller finishes its own loop
  // before taking up more outer work.
  for (size_t i = n; i-- > 0;) queue_.push_front(Item{&loop, i});
  cv_.notify_all();
  while (loop.remaining > 0) {
    if (!queue_.empty()) {
      RunOne(lock);
    } else {
      cv_.wait(lock);
    }
  }
}

}  // namespace ledgerlake
