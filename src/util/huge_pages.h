// Transparent huge pages for the process's large allocations.
//
// A run allocates a few hundred MB of columns, hash tables and sort buffers and touches each page once. With 4 KiB
// pages every first touch is a page fault, and on virtual machines a fault is expensive: on the 2-core machines
// ledgerlake is measured on, faults took a fifth of a 5M-invoice run's CPU time (docs/benchmarks.md). glibc backs
// its allocations with transparent huge pages (one fault per 2 MiB) when the tunable glibc.malloc.hugetlb=1 is
// set, but tunables are read only when a process starts. So main() calls UseHugePages() first: when the tunable is
// not set yet, the kernel offers transparent huge pages (mode "always" or "madvise") and LEDGERLAKE_HUGE_PAGES is
// not "0", it adds the tunable to GLIBC_TUNABLES and executes the same program again with the same arguments;
// otherwise (or when that exec fails) it returns and the process goes on as it is. A GLIBC_TUNABLES that already
// names glibc.malloc.hugetlb is the user's choice and is left alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerlake {

// The GLIBC_TUNABLES value to restart with, or nothing when no restart is wanted. `tunables` is the current value
// (null when unset), `thp_enabled` the contents of /sys/kernel/mm/transparent_hugepage/enabled (empty when it
// cannot be read), `opt_out` the value of LEDGERLAKE_HUGE_PAGES (null when unset).
std::optional<std::string> HugePageTunables(const char* tunables, std::string_view thp_enabled, const char* opt_out);

// Restarts the process (argv as given to main) with glibc's huge page tunable when HugePageTunables says so.
// Returns when no restart is wanted or the restart failed.
void UseHugePages(char** argv);

}  // namespace ledgerlake
