// The backfills table (catalog format 6): Catalog::CreateBackfill, Backfills, UpdateBackfill.
#include "catalog/catalog.h"

namespace ledgerlake::catalog {

Result<int64_t> Catalog::CreateBackfill(DayNumber from, DayNumber to, bool only_missing) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  auto stmt = db_.Prepare(
      "INSERT INTO backfills (from_day, to_day, only_missing, status, created_unix_ms) VALUES (?, ?, ?, 'queued', ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, FormatIsoDate(from)).BindText(2, FormatIsoDate(to)).BindInt(3, only_missing ? 1 : 0).BindInt(4, NowUnixMs());
  LL_RETURN_IF_ERROR(stmt->Run());
  const int64_t id = db_.last_insert_rowid();
  LL_RETURN_IF_ERROR(txn->Commit());
  return id;
}

Result<std::vector<Backfill>> Catalog::Backfills() {
  auto stmt = db_.Prepare(
      "SELECT backfill_id, from_day, to_day, only_missing, status, done_through, error, created_unix_ms, "
      "ended_unix_ms FROM backfills ORDER BY backfill_id");
  if (!stmt.ok()) return stmt.status();
  std::vector<Backfill> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&]() -> Status {
    Backfill b;
    b.id = stmt->ColumnInt(0);
    const auto from = ParseIsoDate(stmt->ColumnText(1));
    const auto to = ParseIsoDate(stmt->ColumnText(2));
    if (!from || !to) return Status::Corruption("backfill " + std::to_string(b.id) + " has a day that is not a date");
    b.from = *from;
    b.to = *to;
    b.only_missing = stmt->ColumnInt(3) != 0;
    b.status = stmt->ColumnText(4);
    if (!stmt->ColumnIsNull(5)) b.done_through = ParseIsoDate(stmt->ColumnText(5));
    b.error = stmt->ColumnText(6);
    b.created_unix_ms = stmt->ColumnInt(7);
    if (!stmt->ColumnIsNull(8)) b.ended_unix_ms = stmt->ColumnInt(8);
    out.push_back(std::move(b));
    return Status::OK();
  }));
  return out;
}

Status Catalog::UpdateBackfill(const Backfill& b) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  auto stmt = db_.Prepare(
      "UPDATE backfills SET status = ?, done_through = ?, error = ?, ended_unix_ms = ? WHERE backfill_id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, b.status);
  if (b.done_through) {
    stmt->BindText(2, FormatIsoDate(*b.done_through));
  } else {
    stmt->BindNull(2);
  }
  stmt->BindText(3, b.error);
  if (b.ended_unix_ms) {
    stmt->BindInt(4, *b.ended_unix_ms);
  } else {
    stmt->BindNull(4);
  }
  stmt->BindInt(5, b.id);
  LL_RETURN_IF_ERROR(stmt->Run());
  return txn->Commit();
}

}  // namespace ledgerlake::catalog
