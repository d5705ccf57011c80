#include "job/backfill.h"

#include <algorithm>
#include <set>

namespace ledgerlake::job {

Result<std::vector<DayNumber>> BackfillDays(catalog::Catalog& cat, DayNumber from, DayNumber to, bool only_missing) {
  if (from > to) {
    return Status::InvalidArgument("the backfill's first day " + FormatIsoDate(from) + " is after its last " +
                                   FormatIsoDate(to));
  }
  if (to - from + 1 > kMaxBackfillDays) {
    return Status::InvalidArgument("a backfill runs at most " + std::to_string(kMaxBackfillDays) + " days, not " +
                                   std::to_string(to - from + 1));
  }
  auto committed = cat.CommittedRuns();
  if (!committed.ok()) return committed.status();
  std::set<DayNumber> done;
  std::optional<DayNumber> newest;
  for (const catalog::CommittedRun& r : *committed) {
    done.insert(r.day);
    newest = newest ? std::max(*newest, r.day) : r.day;
  }
  std::vector<DayNumber> days;
  for (DayNumber d = from; d <= to; ++d) {
    if (only_missing && done.count(d)) continue;
    days.push_back(d);
  }
  if (newest && !days.empty() && days.front() < *newest) {
    return Status::InvalidArgument("days only move forward: the newest run is as of " + FormatIsoDate(*newest) + ", so " +
                                   FormatIsoDate(days.front()) + " can no longer be run" +
                                   (only_missing ? "" : " (--missing, or \"only_missing\": true, skips the days already run)"));
  }
  return days;
}

}  // namespace ledgerlake::job
