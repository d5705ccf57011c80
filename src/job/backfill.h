// Backfills: one run per day over a range of days, in order, each as of its day (`ledgerlake run --from D1 --to D2`
// and the service's POST /api/runs {"from", "to"}). What this file decides is which days, under the rule that
// days only move forward (a run as of a day before the newest run's is refused: partition D is a delta against
// the ones before it).
#pragma once

#include <vector>

#include "catalog/catalog.h"
#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::job {

// The longest range a backfill takes, in days (ten years).
inline constexpr int kMaxBackfillDays = 3660;

// The days to run from `from` to `to` (inclusive): all of them, or with `only_missing` those without a committed
// run (which resumes a backfill that stopped on a failure). InvalidArgument when `from` is after `to`, when the
// range is longer than kMaxBackfillDays, or when a day to run comes before the newest committed run's day.
Result<std::vector<DayNumber>> BackfillDays(catalog::Catalog& cat, DayNumber from, DayNumber to, bool only_missing);

}  // namespace ledgerlake::job
