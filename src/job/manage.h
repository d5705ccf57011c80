// Run management: undoing the newest runs, and retention (vacuum). Both change which partitions are current
// without running anything, in one catalog transaction each (the files they leave unreferenced are removed
// afterwards, when no reader holds them), and both are recorded (catalog operations). Called by `ledgerlake undo`,
// `ledgerlake vacuum` and the service (POST /api/undo, POST /api/vacuum, its `retention:` setting).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "lake/lake.h"
#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::job {

struct ManageOutcome {
  std::vector<DayNumber> days;  // the days whose partitions were dropped, oldest first
  std::vector<int64_t> runs;    // the runs that owned them
  std::string note;             // what was kept and why (vacuum), "" otherwise
};

// Undoes the `runs` newest committed runs (the runs that own the newest days): their days' partitions stop being
// current, so the views are as the run before left them, and a run as of an earlier day than theirs is allowed
// again. The runs' records stay (the operation says they were undone). InvalidArgument when there is no run.
Result<ManageOutcome> UndoNewestRuns(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat,
                                     int runs, const std::string& trigger);

// Keeps the partitions of the newest `keep_days` days (counted back from the newest run's day, that day included)
// and drops older ones. The views of the kept days stay exactly as they were: when the oldest kept run's
// partitions are a delta against partitions about to be dropped, its non-snapshot datasets are first written
// whole (the views as of its day) into new files, and the run is marked complete, in the same catalog commit
// as the drop (the note says so). Its `_history` rows then hold the whole datasets as of its day.
Result<ManageOutcome> Vacuum(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat, int keep_days,
                             const std::string& trigger);

}  // namespace ledgerlake::job
