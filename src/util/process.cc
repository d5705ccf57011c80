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

std::optional<ResidentMemory> OwnResidentMemory() {
  std::ifstream in("/proc/self/status");
  if (!in) return std::nullopt;
  ResidentMemory m;
  bool rss = false, hwm = false;
  std::string line;
  while (std::getline(in, line)) {
    uint64_t kib = 0;
    if (line.rfind("VmRSS:", 0) == 0 && std::istringstream(line.substr(6)) >> kib) {
      m.now = kib * 1024;
      rss = true;
    } else if (line.rfind("VmHWM:", 0) == 0 && std::istringstream(line.substr(6)) >> kib) {
      m.peak = kib * 1024;
      hwm = true;
    }
  }
  if (!rss || !hwm) return std::nullopt;
  return m;
}

}  // namespace ledgerlake
