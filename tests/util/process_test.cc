#include "util/process.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ledgerlake {
namespace {

TEST(ProcessTest, ThisProcessIsRunningAndAReapedChildIsNot) {
  const auto me = ProcessStartTicks(::getpid());
  ASSERT_TRUE(me.has_value());
  EXPECT_TRUE(ProcessMayBeRunning(::getpid(), *me));
  EXPECT_FALSE(ProcessMayBeRunning(::getpid(), *me + 1));  // the pid, taken by another process since
  const pid_t child = ::fork();
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  const auto ticks = ProcessStartTicks(child);
  ASSERT_TRUE(ticks.has_value());
  EXPECT_GE(*ticks, *me);
  EXPECT_TRUE(ProcessMayBeRunning(child, *ticks));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessMayBeRunning(child, *ticks));
  EXPECT_FALSE(ProcessStartTicks(child).has_value());
  EXPECT_FALSE(ProcessMayBeRunning(0, 0));
}

}  // namespace
}  // namespace ledgerlake
