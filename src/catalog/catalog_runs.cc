// Catalog: run records and the partitions runs wrote (the rest of the Catalog is in catalog.cc).
#include <map>
#include <optional>

#include "catalog/catalog.h"
#include "lake/datasets.h"

namespace ledgerlake::catalog {

namespace {

Result<DayNumber> ParseDay(const sqlite::Database& db, const std::string& text) {
  const auto day = ParseIsoDate(text);
  if (!day) return Status::Corruption("catalog " + db.path() + ": bad day '" + text + "'");
  return *day;
}

}  // namespace

Result<int64_t> Catalog::RecordRun(const RunRecord& run) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  int64_t id = 0;
  {
    auto stmt = db_.Prepare(
        "INSERT INTO runs (started_unix_ms, ended_unix_ms, status, message, as_of, full_refresh, seconds, files_read, "
        "bytes_read, bytes_written, state, bookmark, complete, passes, run_trigger, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt(1, run.started_unix_ms)
        .BindInt(2, run.ended_unix_ms)
        .BindText(3, run.ok ? "ok" : "failed")
        .BindText(4, run.message)
        .BindText(5, FormatIsoDate(run.as_of))
        .BindInt(6, run.full_refresh ? 1 : 0)
        .BindDouble(7, run.seconds)
        .BindInt(8, static_cast<int64_t>(run.files_read))
        .BindInt(9, static_cast<int64_t>(run.bytes_read))
        .BindInt(10, static_cast<int64_t>(run.bytes_written))
        .BindText(11, run.state)
        .BindInt(12, static_cast<int64_t>(run.bookmark))
        .BindInt(13, run.complete ? 1 : 0)
        .BindInt(14, run.passes)
        .BindText(15, run.trigger);
    if (run.run_id > 0) {
      stmt->BindInt(16, run.run_id);
    } else {
      stmt->BindNull(16);
    }
    LL_RETURN_IF_ERROR(stmt->Run());
    id = db_.last_insert_rowid();
  }
  {
    auto stmt = db_.Prepare("DELETE FROM run_starts WHERE run_id = ?");
    if (!stmt.ok()) return stmt.status();
    stmt->BindInt(1, id);
    LL_RETURN_IF_ERROR(stmt->Run());
  }
  {
    auto stmt = db_.Prepare("INSERT INTO run_stages (run_id, position, name, seconds) VALUES (?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    for (size_t i = 0; i < run.stages.size(); ++i) {
      stmt->Reset();
      stmt->BindInt(1, id)
          .BindInt(2, static_cast<int64_t>(i))
          .BindText(3, run.stages[i].name)
          .BindDouble(4, run.stages[i].seconds);
      LL_RETURN_IF_ERROR(stmt->Run());
    }
  }
  {
    auto stmt = db_.Prepare(
        "INSERT INTO run_tables (run_id, table_name, read, accepted, rejected, duplicate, pending) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!stmt.ok()) return stmt.status();
    for (const TableFates& t : run.tables) {
      stmt->Reset();
      stmt->BindInt(1, id)
          .BindText(2, t.table)
          .BindInt(3, static_cast<int64_t>(t.fates.read))
          .BindInt(4, static_cast<int64_t>(t.fates.accepted))
          .BindInt(5, static_cast<int64_t>(t.fates.rejected))
          .BindInt(6, static_cast<int64_t>(t.fates.duplicate))
          .BindInt(7, static_cast<int64_t>(t.fates.pending));
      LL_RETURN_IF_ERROR(stmt->Run());
    }
  }
  {
    auto stmt = db_.Prepare("INSERT OR IGNORE INTO run_inputs (run_id, file_sequence) VALUES (?, ?)");
    if (!stmt.ok()) return stmt.status();
    for (uint64_t seq : run.consumed) {
      stmt->Reset();
      stmt->BindInt(1, id).BindInt(2, static_cast<int64_t>(seq));
      LL_RETURN_IF_ERROR(stmt->Run());
    }
  }
  {
    auto ins = db_.Prepare(
        "INSERT INTO run_partitions (run_id, dataset, day, path, rows, bytes, written_unix_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    auto ins_file =
        db_.Prepare("INSERT INTO partition_files (run_id, dataset, name, bytes, sha256) VALUES (?, ?, ?, ?, ?)");
    auto current = db_.Prepare("INSERT OR REPLACE INTO partitions (dataset, day, run_id) VALUES (?, ?, ?)");
    if (!ins.ok()) return ins.status();
    if (!ins_file.ok()) return ins_file.status();
    if (!current.ok()) return current.status();
    for (const PartitionRecord& p : run.partitions) {
      const std::string day = FormatIsoDate(p.day);
      ins->Reset();
      ins->BindInt(1, id)
          .BindText(2, p.dataset)
          .BindText(3, day)
          .BindText(4, p.path)
          .BindInt(5, static_cast<int64_t>(p.rows))
          .BindInt(6, static_cast<int64_t>(p.bytes))
          .BindInt(7, p.written_unix_ms);
      LL_RETURN_IF_ERROR(ins->Run());
      for (const PartitionFile& f : p.files) {
        ins_file->Reset();
        ins_file->BindInt(1, id)
            .BindText(2, p.dataset)
            .BindText(3, f.name)
            .BindInt(4, static_cast<int64_t>(f.bytes))
            .BindText(5, f.sha256);
        LL_RETURN_IF_ERROR(ins_file->Run());
      }
      current->Reset();
      LL_RETURN_IF_ERROR(current->BindText(1, p.dataset).BindText(2, day).BindInt(3, id).Run());
    }
  }
  LL_RETURN_IF_ERROR(txn->Commit());
  return id;
}

Status Catalog::ReplacePartitionFiles(int64_t run_id, std::string_view dataset,
                                      const std::vector<PartitionFile>& files) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  LL_RETURN_IF_ERROR(ReplaceFiles(run_id, dataset, files, std::nullopt));
  return txn->Commit();
}

Status Catalog::ReplaceFiles(int64_t run_id, std::string_view dataset, const std::vector<PartitionFile>& files,
                             std::optional<uint64_t> rows) {
  {
    auto found = db_.Prepare("SELECT 1 FROM run_partitions WHERE run_id = ? AND dataset = ?");
    if (!found.ok()) return found.status();
    auto row = found->BindInt(1, run_id).BindText(2, dataset).Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return Status::NotFound("run " + std::to_string(run_id) + " wrote no partition of " + std::string(dataset));
    }
  }
  auto del = db_.Prepare("DELETE FROM partition_files WHERE run_id = ? AND dataset = ?");
  if (!del.ok()) return del.status();
  LL_RETURN_IF_ERROR(del->BindInt(1, run_id).BindText(2, dataset).Run());
  auto ins = db_.Prepare("INSERT INTO partition_files (run_id, dataset, name, bytes, sha256) VALUES (?, ?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  uint64_t bytes = 0;
  for (const PartitionFile& f : files) {
    ins->Reset();
    LL_RETURN_IF_ERROR(ins->BindInt(1, run_id)
                           .BindText(2, dataset)
                           .BindText(3, f.name)
                           .BindInt(4, static_cast<int64_t>(f.bytes))
                           .BindText(5, f.sha256)
                           .Run());
    bytes += f.bytes;
  }
  // rows = coalesce(?, rows): a repair rewrites the same rows, a compaction says how many it wrote.
  auto upd = db_.Prepare("UPDATE run_partitions SET bytes = ?, rows = coalesce(?, rows) WHERE run_id = ? AND dataset = ?");
  if (!upd.ok()) return upd.status();
  upd->BindInt(1, static_cast<int64_t>(bytes));
  if (rows) {
    upd->BindInt(2, static_cast<int64_t>(*rows));
  } else {
    upd->BindNull(2);
  }
  return upd->BindInt(3, run_id).BindText(4, dataset).Run();
}

Status Catalog::CompactAndDrop(int64_t run_id, const std::vector<CompactedPartition>& compacted, Operation drop) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (const CompactedPartition& c : compacted) LL_RETURN_IF_ERROR(ReplaceFiles(run_id, c.dataset, c.files, c.rows));
  auto complete = db_.Prepare("UPDATE runs SET complete = 1 WHERE run_id = ?");
  if (!complete.ok()) return complete.status();
  LL_RETURN_IF_ERROR(complete->BindInt(1, run_id).Run());
  LL_RETURN_IF_ERROR(DropDaysInTransaction(drop));
  return txn->Commit();
}

Result<std::vector<PartitionRecord>> Catalog::LoadPartitions(bool current_only, std::string_view dataset) {
  // Every run's output, or only the outputs that are the lake's partitions now.
  auto stmt = db_.Prepare(current_only ? R"sql(
      SELECT r.run_id, r.dataset, r.day, r.path, r.rows, r.bytes, r.written_unix_ms, x.complete
      FROM partitions p JOIN run_partitions r ON r.run_id = p.run_id AND r.dataset = p.dataset
      JOIN runs x ON x.run_id = p.run_id
      WHERE ?1 = '' OR p.dataset = ?1 ORDER BY r.dataset, r.day)sql"
                                       : R"sql(
      SELECT r.run_id, r.dataset, r.day, r.path, r.rows, r.bytes, r.written_unix_ms, x.complete
      FROM run_partitions r JOIN runs x ON x.run_id = r.run_id
      WHERE ?1 = '' OR r.dataset = ?1 ORDER BY r.run_id, r.dataset)sql");
  auto files =
      db_.Prepare("SELECT name, bytes, sha256 FROM partition_files WHERE run_id = ? AND dataset = ? ORDER BY name");
  if (!stmt.ok()) return stmt.status();
  if (!files.ok()) return files.status();
  stmt->BindText(1, dataset);
  std::vector<PartitionRecord> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    PartitionRecord p;
    p.run_id = stmt->ColumnInt(0);
    p.dataset = stmt->ColumnText(1);
    auto day = ParseDay(db_, stmt->ColumnText(2));
    if (!day.ok()) return day.status();
    p.day = *day;
    p.path = stmt->ColumnText(3);
    p.rows = static_cast<uint64_t>(stmt->ColumnInt(4));
    p.bytes = static_cast<uint64_t>(stmt->ColumnInt(5));
    p.written_unix_ms = stmt->ColumnInt(6);
    p.complete = stmt->ColumnInt(7) != 0 || lake::IsSnapshotDataset(p.dataset);
    files->Reset();
    files->BindInt(1, p.run_id).BindText(2, p.dataset);
    for (;;) {
      auto frow = files->Step();
      if (!frow.ok()) return frow.status();
      if (!*frow) break;
      p.files.push_back({files->ColumnText(0), static_cast<uint64_t>(files->ColumnInt(1)), files->ColumnText(2)});
    }
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<PartitionRecord>> Catalog::Partitions(std::string_view dataset) {
  return LoadPartitions(true, dataset);
}

Result<std::vector<CommittedRun>> Catalog::CommittedRuns() {
  // Every run writes account_features, so its partitions name the runs that own a day.
  auto stmt = db_.Prepare(R"sql(
      SELECT p.day, r.run_id, r.state, r.bookmark, r.complete, r.passes
      FROM partitions p JOIN runs r ON r.run_id = p.run_id
      WHERE p.dataset = 'account_features' ORDER BY p.day)sql");
  if (!stmt.ok()) return stmt.status();
  std::vector<CommittedRun> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    CommittedRun c;
    auto day = ParseDay(db_, stmt->ColumnText(0));
    if (!day.ok()) return day.status();
    c.day = *day;
    c.run_id = stmt->ColumnInt(1);
    c.state = stmt->ColumnText(2);
    c.bookmark = static_cast<uint64_t>(stmt->ColumnInt(3));
    c.complete = stmt->ColumnInt(4) != 0;
    c.passes = static_cast<uint32_t>(stmt->ColumnInt(5));
    out.push_back(std::move(c));
  }
  auto inputs = db_.Prepare("SELECT file_sequence FROM run_inputs WHERE run_id = ? ORDER BY file_sequence");
  if (!inputs.ok()) return inputs.status();
  for (CommittedRun& c : out) {
    inputs->Reset();
    inputs->BindInt(1, c.run_id);
    for (;;) {
      auto row = inputs->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      c.consumed.push_back(static_cast<uint64_t>(inputs->ColumnInt(0)));
    }
  }
  return out;
}

Result<std::vector<RunRecord>> Catalog::Runs() {
  std::vector<RunRecord> runs;
  std::map<int64_t, size_t> index;  // run id -> position in runs
  {
    auto stmt = db_.Prepare(
        "SELECT run_id, started_unix_ms, ended_unix_ms, status, message, as_of, full_refresh, seconds, files_read, "
        "bytes_read, bytes_written, state, bookmark, complete, passes, run_trigger FROM runs ORDER BY run_id");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      RunRecord r;
      r.run_id = stmt->ColumnInt(0);
      r.started_unix_ms = stmt->ColumnInt(1);
      r.ended_unix_ms = stmt->ColumnInt(2);
      r.ok = stmt->ColumnText(3) == "ok";
      r.message = stmt->ColumnText(4);
      auto day = ParseDay(db_, stmt->ColumnText(5));
      if (!day.ok()) return day.status();
      r.as_of = *day;
      r.full_refresh = stmt->ColumnInt(6) != 0;
      r.seconds = stmt->ColumnDouble(7);
      r.files_read = static_cast<uint64_t>(stmt->ColumnInt(8));
      r.bytes_read = static_cast<uint64_t>(stmt->ColumnInt(9));
      r.bytes_written = static_cast<uint64_t>(stmt->ColumnInt(10));
      r.state = stmt->ColumnText(11);
      r.bookmark = static_cast<uint64_t>(stmt->ColumnInt(12));
      r.complete = stmt->ColumnInt(13) != 0;
      r.passes = static_cast<uint32_t>(stmt->ColumnInt(14));
      r.trigger = stmt->ColumnText(15);
      index[r.run_id] = runs.size();
      runs.push_back(std::move(r));
    }
  }
  {
    auto stmt = db_.Prepare("SELECT run_id, name, seconds FROM run_stages ORDER BY run_id, position");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      runs[index.at(stmt->ColumnInt(0))].stages.push_back({stmt->ColumnText(1), stmt->ColumnDouble(2)});
    }
  }
  {
    // Tables in contract order: the order a run reports them in.
    auto stmt = db_.Prepare(
        "SELECT run_id, table_name, read, accepted, rejected, duplicate, pending FROM run_tables ORDER BY run_id, "
        "CASE table_name WHEN 'accounts' THEN 0 WHEN 'skus' THEN 1 WHEN 'invoices' THEN 2 ELSE 3 END");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      runs[index.at(stmt->ColumnInt(0))].tables.push_back(
          TableFates{stmt->ColumnText(1),
                     engine::FateCounts{static_cast<uint64_t>(stmt->ColumnInt(2)), static_cast<uint64_t>(stmt->ColumnInt(3)),
                                        static_cast<uint64_t>(stmt->ColumnInt(4)), static_cast<uint64_t>(stmt->ColumnInt(5)),
                                        static_cast<uint64_t>(stmt->ColumnInt(6))}});
    }
  }
  {
    auto stmt = db_.Prepare("SELECT run_id, file_sequence FROM run_inputs ORDER BY run_id, file_sequence");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      runs[index.at(stmt->ColumnInt(0))].consumed.push_back(static_cast<uint64_t>(stmt->ColumnInt(1)));
    }
  }
  auto outputs = LoadPartitions(false, "");
  if (!outputs.ok()) return outputs.status();
  for (PartitionRecord& p : *outputs) {
    const auto it = index.find(p.run_id);
    if (it != index.end()) runs[it->second].partitions.push_back(std::move(p));
  }
  return runs;
}

Status Catalog::BeginRun(const RunStart& start) {
  auto stmt = db_.Prepare(
      "INSERT INTO run_starts (run_id, started_unix_ms, as_of, full_refresh, run_trigger, pid, process_start) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, start.run_id)
      .BindInt(2, start.started_unix_ms)
      .BindText(3, FormatIsoDate(start.as_of))
      .BindInt(4, start.full_refresh ? 1 : 0)
      .BindText(5, start.trigger)
      .BindInt(6, start.pid)
      .BindInt(7, static_cast<int64_t>(start.process_start));
  return stmt->Run();
}

Result<int> Catalog::MarkAborted(std::optional<int64_t> run_id, int64_t now_unix_ms) {
  auto stmt = db_.Prepare(std::string("UPDATE run_starts SET aborted_unix_ms = ? WHERE aborted_unix_ms IS NULL "
                                      "AND run_id NOT IN (SELECT run_id FROM runs)") +
                          (run_id ? " AND run_id = ?" : ""));
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, now_unix_ms);
  if (run_id) stmt->BindInt(2, *run_id);
  LL_RETURN_IF_ERROR(stmt->Run());
  return db_.changes();
}

Status Catalog::AbortRun(int64_t run_id, int64_t now_unix_ms) { return MarkAborted(run_id, now_unix_ms).status(); }

Result<int> Catalog::AbortAbandonedRuns(int64_t now_unix_ms) { return MarkAborted(std::nullopt, now_unix_ms); }

Result<std::vector<RunStart>> Catalog::RunStarts() {
  auto stmt = db_.Prepare(
      "SELECT run_id, started_unix_ms, as_of, full_refresh, run_trigger, pid, aborted_unix_ms, process_start "
      "FROM run_starts "
      "WHERE run_id NOT IN (SELECT run_id FROM runs) ORDER BY run_id");
  if (!stmt.ok()) return stmt.status();
  std::vector<RunStart> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&]() -> Status {
    RunStart r;
    r.run_id = stmt->ColumnInt(0);
    r.started_unix_ms = stmt->ColumnInt(1);
    const auto day = ParseIsoDate(stmt->ColumnText(2));
    if (!day) return Status::Corruption("the catalog's run " + std::to_string(r.run_id) + " has a malformed day");
    r.as_of = *day;
    r.full_refresh = stmt->ColumnInt(3) != 0;
    r.trigger = stmt->ColumnText(4);
    r.pid = stmt->ColumnInt(5);
    if (!stmt->ColumnIsNull(6)) r.aborted_unix_ms = stmt->ColumnInt(6);
    r.process_start = static_cast<uint64_t>(stmt->ColumnInt(7));
    out.push_back(std::move(r));
    return Status::OK();
  }));
  return out;
}

}  // namespace ledgerlake::catalog
