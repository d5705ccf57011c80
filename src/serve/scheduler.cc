#include "serve/scheduler.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "util/date.h"

namespace ledgerlake::serve {

Result<ServiceClock> ServiceClock::Parse(std::string_view spec) {
  const auto bad = [&] {
    return Status::InvalidArgument("LEDGERLAKE_CLOCK: '" + std::string(spec) +
                                   "' is not <YYYY-MM-DDTHH:MM:SSZ>*<speed> (e.g. 2025-01-01T05:59:50Z*60)");
  };
  const size_t star = spec.find('*');
  if (star == std::string_view::npos || star != 20 || spec[10] != 'T' || spec[19] != 'Z') return bad();
  auto day = ParseIsoDate(spec.substr(0, 10));
  int h = 0, m = 0, s = 0;
  auto num = [&](size_t at, int& out) {
    return std::from_chars(spec.data() + at, spec.data() + at + 2, out).ptr == spec.data() + at + 2;
  };
  double speed = 0;
  const std::string speed_text(spec.substr(star + 1));
  const auto parsed = std::from_chars(speed_text.data(), speed_text.data() + speed_text.size(), speed);
  if (!day || !num(11, h) || !num(14, m) || !num(17, s) || spec[13] != ':' || spec[16] != ':' || h > 23 || m > 59 ||
      s > 59 || parsed.ptr != speed_text.data() + speed_text.size() || !(speed > 0)) {
    return bad();
  }
  ServiceClock clock;
  clock.start_ = static_cast<double>(*day) * 86400 + h * 3600 + m * 60 + s;
  clock.speed_ = speed;
  return clock;
}

double ServiceClock::Now() const {
  if (real()) {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  return start_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count() * speed_;
}

std::chrono::steady_clock::time_point ServiceClock::When(double unix_seconds) const {
  const double ahead = (unix_seconds - Now()) / (real() ? 1.0 : speed_);
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(std::max(0.0, ahead)));
}

double RetryDelaySeconds(int retry, const RetryConfig& config, double jitter) {
  const double doubled = config.base_delay_seconds * std::pow(2.0, std::max(0, retry - 1));
  return std::min(doubled, config.max_delay_seconds) * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0));
}

std::optional<int64_t> CatchUpTick(const CronSchedule& schedule, double now, std::optional<int32_t> newest_scheduled_day) {
  if (!newest_scheduled_day) return std::nullopt;
  const auto tick = schedule.Previous(static_cast<int64_t>(std::floor(now)));
  if (!tick) return std::nullopt;
  const int32_t tick_day = static_cast<int32_t>(*tick / 86400);
  if (tick_day <= *newest_scheduled_day) return std::nullopt;
  return tick;
}

}  // namespace ledgerlake::serve
