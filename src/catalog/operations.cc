// The operations table (catalog format 8): Catalog::DropDays and Operations.
#include <charconv>

#include "catalog/catalog.h"

namespace ledgerlake::catalog {

Status Catalog::DropDays(Operation op) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  LL_RETURN_IF_ERROR(DropDaysInTransaction(op));
  return txn->Commit();
}

Status Catalog::DropDaysInTransaction(const Operation& op) {
  std::string days;
  std::string runs;
  for (const DayNumber d : op.days) {
    auto drop = db_.Prepare("DELETE FROM partitions WHERE day = ?");
    if (!drop.ok()) return drop.status();
    drop->BindText(1, FormatIsoDate(d));
    LL_RETURN_IF_ERROR(drop->Run());
    days += (days.empty() ? "" : ",") + FormatIsoDate(d);
  }
  for (const int64_t r : op.runs) runs += (runs.empty() ? "" : ",") + std::to_string(r);
  auto stmt = db_.Prepare(
      "INSERT INTO operations (kind, days, runs, detail, op_trigger, at_unix_ms) VALUES (?, ?, ?, ?, ?, ?)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, op.kind).BindText(2, days).BindText(3, runs).BindText(4, op.detail).BindText(5, op.trigger).BindInt(6, NowUnixMs());
  return stmt->Run();
}

Result<std::vector<Operation>> Catalog::Operations() {
  auto stmt = db_.Prepare("SELECT operation_id, kind, days, runs, detail, op_trigger, at_unix_ms FROM operations ORDER BY 1");
  if (!stmt.ok()) return stmt.status();
  std::vector<Operation> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&] {
    Operation op;
    op.id = stmt->ColumnInt(0);
    op.kind = stmt->ColumnText(1);
    const std::string days = stmt->ColumnText(2);
    for (size_t pos = 0; pos < days.size();) {
      const size_t comma = std::min(days.find(',', pos), days.size());
      if (auto d = ParseIsoDate(std::string_view(days).substr(pos, comma - pos))) op.days.push_back(*d);
      pos = comma + 1;
    }
    const std::string runs = stmt->ColumnText(3);
    for (size_t pos = 0; pos < runs.size();) {
      const size_t comma = std::min(runs.find(',', pos), runs.size());
      int64_t id = 0;
      std::from_chars(runs.data() + pos, runs.data() + comma, id);
      op.runs.push_back(id);
      pos = comma + 1;
    }
    op.detail = stmt->ColumnText(4);
    op.trigger = stmt->ColumnText(5);
    op.at_unix_ms = stmt->ColumnInt(6);
    out.push_back(std::move(op));
    return Status::OK();
  }));
  return out;
}

}  // namespace ledgerlake::catalog
