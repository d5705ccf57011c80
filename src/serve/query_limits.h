// The limits the service puts on queries (serve/config.h `query:`): QuerySlots hands out the max_concurrent
// slots in arrival order, and Watchdog interrupts a query that outlives its deadline (DuckDB's interrupt, from
// one thread). Used by serve/service.cc for /api/query.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "duck/database.h"

namespace ledgerlake::serve {

// The query slots (query.max_concurrent), handed out in the order they were asked for: a semaphore lets a
// newcomer overtake a query that has waited long, which drove /api/query's p99 to seconds under load.
class QuerySlots {
 public:
  explicit QuerySlots(int slots) : free_(slots) {}
  // Waits for a slot until `deadline`; false when none came in time.
  bool Acquire(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    if (free_ > 0 && waiting_.empty()) {
      --free_;
      return true;
    }
    Waiter me;
    waiting_.push_back(&me);
    if (me.cv.wait_until(lock, deadline, [&] { return me.granted; })) return true;
    waiting_.erase(std::find(waiting_.begin(), waiting_.end(), &me));
    return false;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiting_.empty()) {
      ++free_;
      return;
    }
    Waiter* next = waiting_.front();  // the slot passes straight to the longest waiter
    waiting_.pop_front();
    next->granted = true;
    next->cv.notify_one();
  }

 private:
  struct Waiter {
    std::condition_variable cv;
    bool granted = false;
  };
  std::mutex mu_;
  int free_;
  std::deque<Waiter*> waiting_;
};

// Interrupts queries that outlive their deadline, from one thread.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // Watches `conn` until Forget(ticket); `fired` becomes true when it was interrupted.
  uint64_t Watch(duck::Connection* conn, std::chrono::steady_clock::time_point deadline, std::atomic<bool>* fired) {
    std::lock_guard<std::mutex> g(mu_);
    const uint64_t ticket = ++next_;
    watched_[ticket] = Entry{conn, deadline, fired};
    cv_.notify_all();
    return ticket;
  }
  void Forget(uint64_t ticket) {
    std::lock_guard<std::mutex> g(mu_);  // after this, the connection is never touched again
    watched_.erase(ticket);
  }

 private:
  struct Entry {
    duck::Connection* conn;
    std::chrono::steady_clock::time_point deadline;
    std::atomic<bool>* fired;
  };
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      std::chrono::steady_clock::time_point next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      const std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
      for (auto& [ticket, e] : watched_) {
        if (e.deadline <= now) {
          if (!e.fired->exchange(true)) e.conn->Interrupt();
        } else {
          next = std::min(next, e.deadline);
        }
      }
      cv_.wait_until(lock, next);
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t next_ = 0;
  std::map<uint64_t, Entry> watched_;
  std::thread thread_;
};

}  // namespace ledgerlake::serve
