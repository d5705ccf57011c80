// Transparent huge pages for the process's large allocations, on request.
//
// A run allocates a few hundred MB of columns, hash tables and sort buffers and touches each page once. With 4 KiB
// pages every first touch is a page fault. glibc backs its allocations with transparent huge pages (one fault per
// 2 MiB) when the tunable glibc.malloc.hugetlb=1 is set, but tunables are read only when a process starts. So
// main() calls UseHugePages() first: when LEDGERLAKE_HUGE_PAGES is "1", the tunable is not set yet and the kernel
// offers transparent huge pages (mode "always" or "madvise"), it adds the tunable to GLIBC_TUNABLES and executes
// the same program again with the same arguments; otherwise (or when that exec fails) it returns and the process
// goes on as it is. A GLIBC_TUNABLES that already names glibc.malloc.hugetlb is the user's choice and is left alone.
//
// It is off unless asked for because which is faster depends on the machine's day: on the 2-core virtual machines
// ledgerlake is measured on, huge pages made a 5M-invoice run 25-35% faster on 2026-12-02 and 22% slower on
// 2026-12-03 (docs/benchmarks.md). The likely cause is free page reporting: the guest hands free 2 MiB blocks back
// to the host, so a fresh huge page is the memory that costs the host most to give again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerlake {

// The GLIBC_TUNABLES value to restart with, or nothing when no restart is wanted. `tunables` is the current value
// (null when unset), `thp_enabled` the contents of /sys/kernel/mm/transparent_hugepage/enabled (empty when it
// cannot be read), `choice` the value of LEDGERLAKE_HUGE_PAGES (null when unset).
std::optional<std::string> HugePageTunables(const char* tunables, std::string_view thp_enabled, const char* choice);

// Restarts the process (argv as given to main) with glibc's huge page tunable when HugePageTunables says so.
// Returns when no restart is wanted or the restart failed.
void UseHugePages(char** argv);

}  // namespace ledgerlake
