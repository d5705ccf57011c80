#include "job/manage.h"

#include <algorithm>

#include <unistd.h>

#include <filesystem>

#include "duck/database.h"
#include "job/run_job.h"
#include "lake/datasets.h"
#include "lake/source_tables.h"
#include "lake/views.h"
#include "query/sandbox.h"
#include "util/sha256.h"

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

namespace {

// Writes, for run `run`'s day, each non-snapshot dataset whole (as the views show it as of that day) into a new
// file of the run's partition directory: what makes a delta partition complete. Nothing is committed here.
Result<std::vector<catalog::CompactedPartition>> WriteComplete(const lake::Lake& lake, catalog::Catalog& cat,
                                                                const catalog::CommittedRun& run) {
  auto inputs = query::ViewInputsOf(lake, cat);
  if (!inputs.ok()) return inputs.status();
  auto db = duck::Database::Open();
  if (!db.ok()) return db.status();
  LL_RETURN_IF_ERROR(lake::RegisterSourceTables(*db, lake));
  auto conn = duck::Connection::Open(*db);
  if (!conn.ok()) return conn.status();
  LL_RETURN_IF_ERROR(lake::CreateViews(lake, *conn, *inputs, run.day));
  auto partitions = cat.Partitions();
  if (!partitions.ok()) return partitions.status();
  std::vector<catalog::CompactedPartition> out;
  const std::string name = "part-compact-" + std::to_string(catalog::NowUnixMs()) + "-" + std::to_string(::getpid()) + ".parquet";
  for (const catalog::PartitionRecord& p : *partitions) {
    if (p.run_id != run.run_id || p.day != run.day || lake::IsSnapshotDataset(p.dataset)) continue;
    const std::string path = lake.root() + "/" + p.path + "/" + name;
    // A complete partition lists no deletions: the invoices it lacks are simply not in it.
    const std::string rows_sql = "SELECT * FROM " + p.dataset + (p.dataset == "deleted_invoices" ? " WHERE false" : "");
    LL_RETURN_IF_ERROR(conn->Execute("COPY (" + rows_sql + ") TO " + duck::SqlStringLiteral(path) +
                                     " (FORMAT parquet, COMPRESSION snappy)"));
    auto counted = conn->Query("SELECT count(*) FROM read_parquet(" + duck::SqlStringLiteral(path) + ")");
    if (!counted.ok()) return counted.status();
    auto n = counted->ReadAll();
    if (!n.ok()) return n.status();
    auto sha = Sha256OfFile(path);
    if (!sha.ok()) return sha.status();
    std::error_code ec;
    const uint64_t bytes = std::filesystem::file_size(path, ec);
    if (ec) return Status::IOError("cannot stat " + path + ": " + ec.message());
    out.push_back({p.dataset, {catalog::PartitionFile{name, bytes, *sha}}, std::stoull(*(*n)[0][0])});
  }
  return out;
}

}  // namespace

Result<ManageOutcome> Vacuum(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat, int keep_days,
                             const std::string& trigger) {
  if (keep_days < 1) return Status::InvalidArgument("keep at least one day");
  auto committed = cat.CommittedRuns();
  if (!committed.ok()) return committed.status();
  ManageOutcome out;
  if (committed->empty()) return out;
  // The oldest run kept, and the newest complete partition at or before it (its views read back to there).
  const DayNumber horizon = committed->back().day - keep_days + 1;
  const catalog::CommittedRun* first = nullptr;
  for (const catalog::CommittedRun& r : *committed) {
    if (r.day >= horizon) {
      first = &r;
      break;
    }
  }
  for (const catalog::CommittedRun& r : *committed) {
    if (r.day < first->day) {
      out.days.push_back(r.day);
      out.runs.push_back(r.run_id);
    }
  }
  if (out.days.empty()) return out;
  catalog::Operation op;
  op.kind = "vacuum";
  op.days = out.days;
  op.runs = out.runs;
  op.detail = "kept " + std::to_string(keep_days) + " day(s) from " + FormatIsoDate(horizon);
  op.trigger = trigger;
  if (first->complete) {
    LL_RETURN_IF_ERROR(cat.DropDays(std::move(op)));
  } else {
    // A delta against a partition about to go: it is written whole first, in the same commit.
    auto compacted = WriteComplete(lake, cat, *first);
    if (!compacted.ok()) {
      (void)RemoveUnreferenced(lock, lake, cat);
      return compacted.status();
    }
    out.note = "the partitions of " + FormatIsoDate(first->day) + " (run " + std::to_string(first->run_id) +
               ") were a delta against a day dropped: they now hold their datasets whole";
    op.detail += "; " + out.note;
    LL_RETURN_IF_ERROR(cat.CompactAndDrop(first->run_id, *compacted, std::move(op)));
  }
  (void)RemoveUnreferenced(lock, lake, cat);
  return out;
}

}  // namespace ledgerlake::job
