// Data-quality checks between snapshots (the seed's Task 2 compares snapshots over time). A run's profile is the
// datasets as the views show them as of its day: rows per dataset; per feature its null rate and mean (exact) and
// its median and 90th percentile (of a reservoir sample of 20,000 rows: a sort of every row would cost as much as
// a quarter of the run); the share of late invoices. It is kept in the catalog and compared with the profile of
// the committed run before under thresholds: each check's value, the previous value, its threshold and whether it
// passed are kept with the run (`ledgerlake catalog checks`, GET /api/runs/{id}). The service checks every run it
// sees commit, in the background, so the checks never slow a run down nor fail one: a check that fails is
// reported, counted and alerted.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "lake/lake.h"
#include "util/status.h"

namespace ledgerlake::job {

// The thresholds (the service config's `checks:`; the same defaults everywhere).
struct CheckThresholds {
  double max_row_drop = 0.05;          // a dataset may lose at most this share of its rows from one run to the next
  double max_late_rate_change = 0.1;   // the share of late invoices may move at most this much (absolute)
  double max_null_rate_change = 0.1;   // a feature's share of NULLs may move at most this much (absolute)
  double max_mean_change = 0.5;        // a feature's mean may move at most this share of its previous value
};

// metric name -> value: "rows:<dataset>", "null_rate:<dataset>.<column>", "mean:...", "p50:...", "p90:...",
// "late_rate".
using Profile = std::map<std::string, double>;

// The profile of the datasets as the views show them as of `day`.
Result<Profile> ProfileDay(const lake::Lake& lake, catalog::Catalog& cat, DayNumber day);

// The checks of `current` against `previous` (none when there is no previous profile).
std::vector<catalog::CheckResult> CompareProfiles(const Profile& previous, const Profile& current,
                                                  const CheckThresholds& thresholds);

// Profiles run `run_id` (as of `day`), stores the profile and the checks against the newest earlier committed run
// with a profile, and returns the checks.
Result<std::vector<catalog::CheckResult>> CheckRun(const lake::Lake& lake, catalog::Catalog& cat, int64_t run_id,
                                                   DayNumber day, const CheckThresholds& thresholds);

}  // namespace ledgerlake::job
