// The service's schedule (serve/config.h `schedule:` and `retry:`): what the scheduler thread of serve/service.cc
// decides, kept apart from it so that it can be tested alone. The clock is the real one, or for tests one that
// starts at a given instant and runs faster (LEDGERLAKE_CLOCK="2025-01-01T05:59:50Z*60": a minute every second).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "serve/config.h"
#include "util/cron.h"
#include "util/status.h"

namespace ledgerlake::serve {

class ServiceClock {
 public:
  static ServiceClock Real() { return ServiceClock(); }
  // "<ISO UTC instant>*<speed>", e.g. "2025-01-01T05:59:50Z*60"; InvalidArgument for anything else.
  static Result<ServiceClock> Parse(std::string_view spec);

  // Unix seconds (with a fraction) now, on this clock.
  double Now() const;
  // When this clock will read `unix_seconds`, on the steady clock (to wait until).
  std::chrono::steady_clock::time_point When(double unix_seconds) const;
  bool real() const { return speed_ == 0; }

 private:
  double start_ = 0;  // the instant the clock started at; unused for the real clock
  double speed_ = 0;  // 0: the real clock
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// How long to wait before retry number `retry` (1 for the first) of a failed run: base_delay_seconds doubled
// for each earlier retry, capped at max_delay_seconds, then scaled by a jitter factor between 0.5 and 1
// (`jitter` in [0, 1)) so that several lakes failing together do not retry together.
double RetryDelaySeconds(int retry, const RetryConfig& config, double jitter);

// The tick to catch up at start: the schedule's last tick at or before `now` when the newest scheduled run is as
// of an earlier day than that tick's (the service was down when it came), else none. With no scheduled run ever,
// none: a schedule that never ran has missed nothing.
std::optional<int64_t> CatchUpTick(const CronSchedule& schedule, double now, std::optional<int32_t> newest_scheduled_day);

}  // namespace ledgerlake::serve
