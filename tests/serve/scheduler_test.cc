#include "serve/scheduler.h"

#include <gtest/gtest.h>

#include <thread>

#include "util/date.h"

namespace ledgerlake::serve {
namespace {

TEST(SchedulerTest, RetriesWaitTwiceAsLongEachTimeUpToTheCapWithJitter) {
  RetryConfig c;
  c.base_delay_seconds = 30;
  c.max_delay_seconds = 100;
  EXPECT_DOUBLE_EQ(RetryDelaySeconds(1, c, 1.0), 30);
  EXPECT_DOUBLE_EQ(RetryDelaySeconds(2, c, 1.0), 60);
  EXPECT_DOUBLE_EQ(RetryDelaySeconds(3, c, 1.0), 100);  // 120, capped
  EXPECT_DOUBLE_EQ(RetryDelaySeconds(30, c, 1.0), 100);
  EXPECT_DOUBLE_EQ(RetryDelaySeconds(1, c, 0.0), 15);   // jitter: between half and all of it
  for (double j = 0; j < 1; j += 0.1) {
    const double d = RetryDelaySeconds(2, c, j);
    EXPECT_GE(d, 30);
    EXPECT_LE(d, 60);
  }
}

TEST(SchedulerTest, AtMostOneCatchUpAndOnlyForADayNotRunYet) {
  auto daily = CronSchedule::Parse("0 6 * * *");
  ASSERT_TRUE(daily.ok());
  const double jan3_noon = (DaysFromCivil({2025, 1, 3}) * 86400.0) + 12 * 3600;
  const double jan3_6am = (DaysFromCivil({2025, 1, 3}) * 86400.0) + 6 * 3600;
  const int32_t jan1 = DaysFromCivil({2025, 1, 1});
  const int32_t jan3 = DaysFromCivil({2025, 1, 3});
  // Down since the run of 1 January: one catch-up, the latest tick (3 January), not one per missed day.
  EXPECT_EQ(CatchUpTick(*daily, jan3_noon, jan1), static_cast<int64_t>(jan3_6am));
  EXPECT_EQ(CatchUpTick(*daily, jan3_noon, jan3), std::nullopt);   // the day ran already
  EXPECT_EQ(CatchUpTick(*daily, jan3_noon, std::nullopt), std::nullopt);  // a schedule that never ran
  EXPECT_EQ(CatchUpTick(*daily, jan3_6am - 1, DaysFromCivil({2025, 1, 2})), std::nullopt);  // the 2nd's tick ran
}

TEST(SchedulerTest, ATestClockStartsWhereToldAndRunsFaster) {
  auto clock = ServiceClock::Parse("2025-01-01T05:59:50Z*600");
  ASSERT_TRUE(clock.ok()) << clock.status().message();
  const double start = DaysFromCivil({2025, 1, 1}) * 86400.0 + 6 * 3600 - 10;
  EXPECT_NEAR(clock->Now(), start, 5);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NEAR(clock->Now(), start + 60, 15);  // 0.1 s at 600x
  const auto wait = clock->When(clock->Now() + 600) - std::chrono::steady_clock::now();
  EXPECT_NEAR(std::chrono::duration<double>(wait).count(), 1.0, 0.1);
  EXPECT_FALSE(ServiceClock::Parse("2025-01-01 05:59:50*60").ok());
  EXPECT_FALSE(ServiceClock::Parse("2025-01-01T05:59:50Z*0").ok());
  EXPECT_FALSE(ServiceClock::Parse("2025-02-30T05:59:50Z*2").ok());
  EXPECT_TRUE(ServiceClock::Real().real());
}

}  // namespace
}  // namespace ledgerlake::serve
