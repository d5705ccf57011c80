// The run job: one owner for a run's whole life. PlanRun decides, from the catalog alone, what the run applies,
// from which base and in how many passes (and says why); ExecuteRun repairs damaged partitions, computes
// (lake/run.h; complete instead when the base turns out unusable), commits the run in the catalog (which makes its
// files visible), and removes what no committed run needs. The CLI parses arguments and prints; the service and a
// multi-process run call the same two functions. Each takes the lake lock, as proof that its caller holds it.
//
// What a run consumed is recorded once, in the catalog's run record: the files a base has applied are those its
// run and the committed runs before it consumed. The state a run saves is a cache of the raw zone for the next
// run, keyed by the run that wrote it (its manifest, named in the run record); one that is missing, damaged, made
// in another number of buckets or under other feature definitions, or that disagrees with the catalog, is rebuilt
// from the raw zone, and the run says why.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/verify.h"
#include "job/repair.h"
#include "lake/lake.h"
#include "lake/landing.h"
#include "lake/run.h"

namespace ledgerlake::job {

using Progress = std::function<void(std::string_view stage, uint64_t done, uint64_t total)>;

struct RunRequest {
  std::optional<DayNumber> as_of;   // D; default: today in UTC
  bool full_refresh = false;        // rebuild from the raw zone and write complete partitions
  std::optional<uint32_t> passes;   // a fixed number of passes (--partitions)
  uint64_t memory_limit = 0;        // bytes the whole process should stay within; 0: no limit
  uint32_t overlay_share = engine::kOverlayShare;  // states saved as overlays up to 1/N of the invoices (state.h)
  Progress progress;                // for display only
  std::string trigger = "cli";      // what started the run, kept in its record: cli, api, schedule, file, retry
  int64_t run_id = 0;               // the id its record gets (Catalog::ReserveRunId); 0: the next free one
};

// A table held back by a breaking schema change: its files from the broken one on wait.
struct HeldTable {
  std::string table;
  uint64_t from_sequence = 0;
  uint64_t files = 0;    // landed files of the table held back
  std::string message;   // one line: the table, the file, the column, and how to resolve it
};

struct RunPlan {
  enum class Kind { kComplete, kIncremental, kNothingToApply };
  DayNumber as_of = 0;
  Kind kind = Kind::kComplete;
  std::string reason;                          // why this kind ("the first run", "continues the run as of ...")
  std::string cannot_continue;                 // why the newest base could not be continued ("" when it could,
                                               // or there was none): the run rebuilds from the raw zone
  std::optional<catalog::CommittedRun> base;   // the run an incremental run continues
  std::string base_state;                      // its state's manifest (absolute)
  std::vector<lake::LandedFile> apply;         // in landing order
  std::vector<lake::LandedFile> applicable;    // every landed file not held back (what a complete run applies)
  std::vector<HeldTable> held;
  uint32_t passes = 1;
  std::string passes_reason;                   // "--partitions", "the memory model under the limit", "one pass"
  uint64_t memory_limit = 0;
  uint32_t overlay_share = engine::kOverlayShare;
  uint64_t expected_peak_bytes = 0;            // lake/run.h's model
  bool full_refresh = false;
  std::vector<catalog::Damage> damaged;        // partitions whose files fail the quick check: repaired first
};

std::string_view KindName(RunPlan::Kind kind);  // "complete", "incremental", "nothing to apply"

// Plans a run as of request.as_of. InvalidArgument when nothing is landed yet, or when D is before the newest
// run's day (days only move forward: a partition D is a delta against the ones before it).
Result<RunPlan> PlanRun(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& catalog,
                        const RunRequest& request);

struct RunOutcome {
  RunPlan plan;
  std::optional<lake::RunReport> report;  // none when there was nothing to apply
  int64_t run_id = 0;                     // the committed run
  std::vector<RepairedPartition> repaired;
  std::string rebuilt_because;            // why an incremental plan ran complete ("" when it did not)
  std::string held_message;               // the held tables' messages, one per table, "; "-joined
};

// Carries out `plan`. A failure after planning is recorded as a failed run, and its files are removed; the error
// is returned. While it works, the catalog lists it as running (catalog::RunStart); if its process dies before the
// record, the next run (or a listing that finds the process gone) marks it aborted.
Result<RunOutcome> ExecuteRun(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& catalog,
                              RunPlan plan, const RunRequest& request);

// Marks the runs whose process died before their end as aborted: those whose process (pid and start time, on
// this machine) is gone. Takes no lock, so it never holds up a run or an ingest. Returns how many it marked; 0
// when the lake has no catalog yet or this user may not write it. For listings of runs (the CLI's, the service's).
int MarkAbortedRuns(const lake::Lake& lake);

// Deletes what no committed run needs: partition files of runs that died or were superseded (when no query holds
// a read lease), states and line logs other than those of the two newest days' runs (the base of the next day's
// run and of a re-run of the newest day), and staging.
Status RemoveUnreferenced(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& catalog);

}  // namespace ledgerlake::job
