#include "job/manage.h"

#include <algorithm>

#include "job/run_job.h"

namespace ledgerlake::job {

Result<ManageOutcome> UndoNewestRuns(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat,
                                     int runs, const std::string& trigger) {
  if (runs < 1) return Status::InvalidArgument("undo at least one run");
  auto committed = cat.CommittedRuns();
  if (!committed.ok()) return committed.status();
  if (committed->empty()) return Status::InvalidArgument("there is no run to undo");
  ManageOutcome out;
  const size_t n = std::min(committed->size(), static_cast<size_t>(runs));
  for (size_t i = committed->size() - n; i < committed->size(); ++i) {
    out.days.push_back((*committed)[i].day);
    out.runs.push_back((*committed)[i].run_id);
  }
  catalog::Operation op;
  op.kind = "undo";
  op.days = out.days;
  op.runs = out.runs;
  op.detail = "undid the newest " + std::to_string(n) + " run(s)";
  op.trigger = trigger;
  LL_RETURN_IF_ERROR(cat.DropDays(std::move(op)));
  (void)RemoveUnreferenced(lock, lake, cat);
  return out;
}

Result<ManageOutcome> Vacuum(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat, int keep_days,
                             const std::string& trigger) {
  if (keep_days < 1) return Status::InvalidArgument("keep at least one day");
  auto committed = cat.CommittedRuns();
  if (!committed.ok()) return committed.status();
  ManageOutcome out;
  if (committed->empty()) return out;
  const DayNumber first_kept = committed->back().day - keep_days + 1;
  // The views of the first kept day read back to the newest complete partition at or before it.
  DayNumber base = first_kept;
  for (const catalog::CommittedRun& r : *committed) {
    if (r.day <= first_kept && r.complete) base = r.day;
  }
  if (base < first_kept) {
    bool any_before = false;
    for (const catalog::CommittedRun& r : *committed) any_before = any_before || r.day < first_kept;
    if (any_before) {
      out.note = "the days from " + FormatIsoDate(base) + " stay: " + FormatIsoDate(first_kept) +
                 " is a delta against the complete partition of " + FormatIsoDate(base) +
                 " (`run --full-refresh` writes complete partitions)";
    }
  }
  for (const catalog::CommittedRun& r : *committed) {
    if (r.day < std::min(base, first_kept)) {
      out.days.push_back(r.day);
      out.runs.push_back(r.run_id);
    }
  }
  if (out.days.empty()) return out;
  catalog::Operation op;
  op.kind = "vacuum";
  op.days = out.days;
  op.runs = out.runs;
  op.detail = "kept " + std::to_string(keep_days) + " day(s) from " + FormatIsoDate(first_kept) +
              (out.note.empty() ? "" : "; " + out.note);
  op.trigger = trigger;
  LL_RETURN_IF_ERROR(cat.DropDays(std::move(op)));
  (void)RemoveUnreferenced(lock, lake, cat);
  return out;
}

}  // namespace ledgerlake::job
