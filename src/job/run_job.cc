#include "job/run_job.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "catalog/run_record.h"
#include "contract/schema.h"
#include "lake/partition.h"
#include "util/process.h"

namespace ledgerlake::job {

namespace {

namespace fs = std::filesystem;

std::string MiB(uint64_t bytes) { return std::to_string((bytes + (1 << 19)) >> 20) + " MiB"; }

// Per table, the newest landing sequence among `files`: the bookmarks of a state that merged them.
lake::Bookmarks BookmarksOf(const std::vector<uint64_t>& sequences, const std::vector<lake::LandedFile>& landed) {
  lake::Bookmarks b{};
  for (const lake::LandedFile& f : landed) {
    if (!std::binary_search(sequences.begin(), sequences.end(), f.sequence)) continue;
    uint32_t& m = b[static_cast<size_t>(f.table)];
    m = std::max(m, static_cast<uint32_t>(f.sequence));
  }
  return b;
}

// The committed runs up to and including `upto` (by day) consumed these files, ascending.
std::vector<uint64_t> AppliedUpTo(const std::vector<catalog::CommittedRun>& chain, DayNumber upto) {
  std::set<uint64_t> files;
  for (const catalog::CommittedRun& r : chain) {
    if (r.day <= upto) files.insert(r.consumed.begin(), r.consumed.end());
  }
  return std::vector<uint64_t>(files.begin(), files.end());
}

std::vector<uint64_t> Sequences(const std::vector<lake::LandedFile>& files) {
  std::vector<uint64_t> out;
  for (const lake::LandedFile& f : files) out.push_back(f.sequence);
  return out;
}

std::vector<const lake::LandedFile*> Pointers(const std::vector<lake::LandedFile>& files) {
  std::vector<const lake::LandedFile*> out;
  for (const lake::LandedFile& f : files) out.push_back(&f);
  return out;
}

// Whether the state at `manifest_path` can be continued by a run in `passes` passes over the files `applied` (what
// the catalog says its run and the ones before it consumed); "" if so, else why not. Its size goes to `bytes`.
std::string WhyNotContinue(const std::string& manifest_path, uint32_t passes, const std::vector<uint64_t>& applied,
                           const std::vector<lake::LandedFile>& landed, uint64_t* bytes) {
  auto manifest = lake::ReadManifest(manifest_path);
  if (!manifest.ok()) return manifest.status().message();
  if (manifest->buckets != passes) {
    return "its state is kept in " + std::to_string(manifest->buckets) + " bucket" +
           (manifest->buckets == 1 ? "" : "s") + " and this run takes " + std::to_string(passes) + " pass" +
           (passes == 1 ? "" : "es");
  }
  if (manifest->bookmarks != BookmarksOf(applied, landed)) {
    return "its state does not hold the files the catalog says it applied";
  }
  *bytes = 0;
  std::error_code ec;
  for (const std::string& f : lake::StateFiles(manifest_path)) *bytes += fs::file_size(f, ec);
  return "";
}

// DuckDB's share of a memory limit: it writes the Parquet files, and stays within this (its spill aside).
std::string DuckMemoryLimit(uint64_t limit) {
  if (limit == 0) return "";
  const uint64_t share = std::clamp<uint64_t>(limit / 8, uint64_t{64} << 20, uint64_t{512} << 20);
  return std::to_string(share >> 20) + "MB";
}

std::string NewToken() {
  return "r" + std::to_string(catalog::NowUnixMs()) + "-" + std::to_string(::getpid());
}

}  // namespace

std::string_view KindName(RunPlan::Kind kind) {
  switch (kind) {
    case RunPlan::Kind::kComplete: return "complete";
    case RunPlan::Kind::kIncremental: return "incremental";
    case RunPlan::Kind::kNothingToApply: return "nothing to apply";
  }
  return "?";
}

Result<RunPlan> PlanRun(const lake::LakeLock& /*lock*/, const lake::Lake& lake, catalog::Catalog& catalog,
                        const RunRequest& request) {
  RunPlan plan;
  plan.as_of = request.as_of.value_or(TodayUtc());
  plan.full_refresh = request.full_refresh;
  plan.memory_limit = request.memory_limit;
  plan.overlay_share = request.overlay_share;
  auto landed = lake::ListLanded(lake);
  if (!landed.ok()) return landed.status();
  if (landed->empty()) {  // an empty complete partition would only block every earlier day
    return Status::InvalidArgument("nothing is landed yet: `ledgerlake ingest` the extracts first");
  }
  auto chain = catalog.CommittedRuns();
  if (!chain.ok()) return chain.status();
  if (!chain->empty() && plan.as_of < chain->back().day) {
    return Status::InvalidArgument("the lake has partitions up to " + FormatIsoDate(chain->back().day) +
                                   "; a run as of " + FormatIsoDate(plan.as_of) +
                                   " would rewrite history: run as of that day or later");
  }

  // A table with a breaking schema change not yet superseded is held back from its first broken file on: its
  // files wait (nothing of them is applied) while the other tables go on.
  auto breaking = catalog.BreakingChanges();
  if (!breaking.ok()) return breaking.status();
  std::array<uint64_t, contract::kTableCount> holds{};
  for (const catalog::BreakingChange& b : *breaking) {
    const auto t = contract::TableFromName(b.table);
    if (!t) continue;
    uint64_t& h = holds[static_cast<size_t>(*t)];
    if (h == 0 || b.file_sequence < h) h = b.file_sequence;
  }
  for (const catalog::BreakingChange& b : *breaking) {
    const auto t = contract::TableFromName(b.table);
    if (!t || b.file_sequence != holds[static_cast<size_t>(*t)]) continue;
    HeldTable held{b.table, b.file_sequence, 0,
                   "held back: " + catalog::BreakingLine(b) + "; ingest a corrected " + b.table +
                       " extract to supersede it"};
    for (const lake::LandedFile& f : *landed) held.files += f.table == *t && f.sequence >= b.file_sequence;
    plan.held.push_back(std::move(held));
  }
  for (const lake::LandedFile& f : *landed) {
    const uint64_t hold = holds[static_cast<size_t>(f.table)];
    if (hold == 0 || f.sequence < hold) plan.applicable.push_back(f);
  }
  const std::vector<uint64_t> applicable = Sequences(plan.applicable);

  // Passes: as asked, or as many as the memory model says a complete run of the lake needs.
  if (request.passes) {
    plan.passes = *request.passes;
    plan.passes_reason = "--partitions " + std::to_string(plan.passes);
  } else if (request.memory_limit > 0) {
    auto passes = lake::PassesFor(Pointers(plan.applicable), request.memory_limit);
    if (!passes.ok()) return passes.status();
    plan.passes = *passes;
    plan.passes_reason = "the fewest the memory model fits in " + MiB(request.memory_limit);
  } else {
    plan.passes = 1;
    plan.passes_reason = "no memory limit";
  }

  // Nothing new since the run of the same day: its partitions stay as they are.
  if (!chain->empty() && plan.as_of == chain->back().day && !request.full_refresh) {
    const std::vector<uint64_t> applied = AppliedUpTo(*chain, plan.as_of);
    if (std::includes(applied.begin(), applied.end(), applicable.begin(), applicable.end())) {
      plan.kind = RunPlan::Kind::kNothingToApply;
      plan.reason = "nothing to apply since the run as of " + FormatIsoDate(plan.as_of);
      return plan;
    }
  }

  // The base: the run of the newest day before D.
  const catalog::CommittedRun* base = nullptr;
  for (const catalog::CommittedRun& r : *chain) {
    if (r.day < plan.as_of) base = &r;
  }
  uint64_t base_bytes = 0;
  plan.kind = RunPlan::Kind::kComplete;
  if (request.full_refresh) {
    plan.reason = "--full-refresh: rebuilt from the raw zone";
  } else if (base == nullptr) {
    plan.reason = "the first run of the lake" + std::string(chain->empty() ? "" : " before this day");
  } else if (base->state.empty()) {
    plan.reason = "the run as of " + FormatIsoDate(base->day) + " kept no state";
  } else {
    const std::string manifest = lake.root() + "/" + base->state;
    const std::vector<uint64_t> applied = AppliedUpTo(*chain, base->day);
    const std::string why = WhyNotContinue(manifest, plan.passes, applied, *landed, &base_bytes);
    if (why.empty()) {
      plan.kind = RunPlan::Kind::kIncremental;
      plan.reason = "continues the run as of " + FormatIsoDate(base->day) + " (run " + std::to_string(base->run_id) + ")";
      plan.base = *base;
      plan.base_state = manifest;
      for (const lake::LandedFile& f : plan.applicable) {
        if (!std::binary_search(applied.begin(), applied.end(), f.sequence)) plan.apply.push_back(f);
      }
    } else {
      plan.reason = "the run as of " + FormatIsoDate(base->day) + " cannot be continued: " + why;
      plan.cannot_continue = plan.reason;
    }
  }
  if (plan.kind == RunPlan::Kind::kComplete) plan.apply = plan.applicable;
  plan.expected_peak_bytes = lake::ExpectedPeak(Pointers(plan.apply), plan.passes, base_bytes);

  auto quick = catalog::VerifyLake(lake, catalog, catalog::VerifyDepth::kSizes, catalog::VerifyScope{false, true});
  if (!quick.ok()) return quick.status();
  plan.damaged = std::move(quick->damaged);
  return plan;
}

int MarkAbortedRuns(const lake::Lake& lake) {
  std::error_code ec;
  if (!std::filesystem::exists(catalog::Catalog::PathOf(lake), ec)) return 0;
  auto cat = catalog::Catalog::Open(lake);
  if (!cat.ok()) return 0;
  auto starts = cat->RunStarts();
  if (!starts.ok()) return 0;
  int marked = 0;
  for (const catalog::RunStart& s : *starts) {
    if (s.aborted_unix_ms || ProcessMayBeRunning(static_cast<pid_t>(s.pid), s.process_start)) continue;
    marked += cat->AbortRun(s.run_id, catalog::NowUnixMs()).ok() ? 1 : 0;
  }
  return marked;
}

Status RemoveUnreferenced(const lake::LakeLock& /*lock*/, const lake::Lake& lake, catalog::Catalog& catalog) {
  auto partitions = catalog.Partitions();
  if (!partitions.ok()) return partitions.status();
  std::set<std::string> keep;
  for (const catalog::PartitionRecord& p : *partitions) {
    for (const catalog::PartitionFile& f : p.files) keep.insert(lake.root() + "/" + p.path + "/" + f.name);
  }
  auto runs = catalog.CommittedRuns();
  if (!runs.ok()) return runs.status();
  for (size_t i = runs->size() >= 2 ? runs->size() - 2 : 0; i < runs->size(); ++i) {
    if ((*runs)[i].state.empty()) continue;
    // Even an unreadable state stays: the run that finds it so says why before it rebuilds.
    for (const std::string& f : lake::StateFiles(lake.root() + "/" + (*runs)[i].state)) keep.insert(f);
  }
  lake::RemoveUnreferenced(lake, keep);
  return Status::OK();
}

Result<RunOutcome> ExecuteRun(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& catalog,
                              RunPlan plan, const RunRequest& request) {
  RunOutcome outcome;
  for (const HeldTable& h : plan.held) {
    outcome.held_message += (outcome.held_message.empty() ? "" : "; ") + h.message;
  }
  if (plan.kind == RunPlan::Kind::kNothingToApply) {
    outcome.plan = std::move(plan);
    return outcome;
  }
  const int64_t started = catalog::NowUnixMs();
  // The lock is held: a start without a record is a run whose process died. Then this run's own start, so that
  // while it works it is listed as running, and as aborted if this process dies before its record.
  LL_RETURN_IF_ERROR(catalog.AbortAbandonedRuns(started).status());
  int64_t run_id = request.run_id;
  if (run_id <= 0) {
    auto reserved = catalog.ReserveRunId();
    if (!reserved.ok()) return reserved.status();
    run_id = *reserved;
  }
  LL_RETURN_IF_ERROR(catalog.BeginRun(catalog::RunStart{run_id, started, plan.as_of, plan.full_refresh, request.trigger,
                                                       ::getpid(), ProcessStartTicks(::getpid()).value_or(0),
                                                       std::nullopt}));
  auto failed = [&](const Status& failure) -> Status {
    catalog::RunRecord record =
        catalog::FailedRecord(plan.as_of, plan.full_refresh, failure.message(), {}, started, catalog::NowUnixMs());
    record.trigger = request.trigger;
    record.run_id = run_id;
    (void)catalog.RecordRun(record);
    (void)RemoveUnreferenced(lock, lake, catalog);
    return failure;
  };

  if (!plan.damaged.empty()) {
    auto repaired = RepairPartitions(lock, lake, catalog, plan.damaged, "repair-" + NewToken(), request.progress);
    if (!repaired.ok()) return failed(Status::IOError("damaged partitions could not be repaired: " + repaired.status().message()));
    outcome.repaired = std::move(*repaired);
  }
  LL_RETURN_IF_ERROR(RemoveUnreferenced(lock, lake, catalog));  // what a run that died left behind

  lake::RunOptions options;
  options.as_of = plan.as_of;
  options.apply = Sequences(plan.apply);
  if (plan.kind == RunPlan::Kind::kIncremental) options.base = plan.base_state;
  options.passes = plan.passes;
  options.token = NewToken();
  options.full_refresh = plan.full_refresh;
  options.duck_memory_limit = DuckMemoryLimit(plan.memory_limit);
  options.memory_limit = plan.memory_limit;
  options.overlay_share = plan.overlay_share;
  options.progress = request.progress;
  auto report = lake::Run(lake, options);
  if (!report.ok() && options.base && report.status().code() == Status::Code::kUnusableCache) {
    // The state is a cache of the raw zone: rebuild it, and write complete partitions.
    outcome.rebuilt_because = report.status().message();
    (void)RemoveUnreferenced(lock, lake, catalog);  // the half-written state and files of the attempt
    options.base.reset();
    options.apply = Sequences(plan.applicable);
    options.token = NewToken();
    report = lake::Run(lake, options);
  }
  if (!report.ok()) return failed(report.status());
  for (const HeldTable& h : plan.held) {
    if (const auto t = contract::TableFromName(h.table)) report->held[static_cast<size_t>(*t)] = h.files;
  }
  // The commit: until the catalog records the run, nothing it wrote is visible.
  auto record = catalog::RecordFromReport(lake, *report, report->applied, started, catalog::NowUnixMs());
  if (!record.ok()) return failed(record.status());
  record->message = outcome.held_message;
  record->trigger = request.trigger;
  record->run_id = run_id;
  auto id = catalog.RecordRun(*record);
  if (!id.ok()) {
    (void)RemoveUnreferenced(lock, lake, catalog);
    return Status::IOError("the run could not be committed to the catalog: " + id.status().message());
  }
  outcome.run_id = *id;
  (void)RemoveUnreferenced(lock, lake, catalog);
  outcome.report = std::move(*report);
  outcome.plan = std::move(plan);
  return outcome;
}

}  // namespace ledgerlake::job
