// Whether a process recorded earlier (by pid and start time) is still running on this machine: a pid alone can
// be reused by a later process, its start time (clock ticks after boot, /proc/<pid>/stat) tells them apart. Used
// to tell a run that is going on from one whose process died (catalog::RunStart).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace ledgerlake {

// The start time of process `pid` in clock ticks after boot; nullopt when there is no such process (or /proc
// cannot say).
std::optional<uint64_t> ProcessStartTicks(pid_t pid);

// False only when process `pid` that started at `start_ticks` is certainly gone: no such pid, or a pid that a
// later process took. Without /proc, whether any process has the pid.
bool ProcessMayBeRunning(pid_t pid, uint64_t start_ticks);

// This process's resident memory now and its peak so far (VmRSS and VmHWM of /proc/self/status), in bytes;
// nullopt without /proc.
struct ResidentMemory {
  uint64_t now = 0;
  uint64_t peak = 0;
};
std::optional<ResidentMemory> OwnResidentMemory();

}  // namespace ledgerlake
