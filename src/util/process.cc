#include "util/process.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

namespace ledgerlake {

std::optional<uint64_t> ProcessStartTicks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ')'.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {  // field 22 is starttime
    if (!(fields >> field)) return std::nullopt;
  }
  try {
    return std::stoull(field);
  } catch (...) {
    return std::nullopt;
  }
}

bool ProcessMayBeRunning(pid_t pid, uint64_t start_ticks) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) return false;  // no process has the pid
  const std::optional<uint64_t> now = ProcessStartTicks(pid);
  return !now || *now == start_ticks;  // without /proc, the pid alone says
}

}  // namespace ledgerlake
