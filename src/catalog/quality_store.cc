// The run_profiles and run_checks tables (catalog format 7): Catalog::StoreProfile, Profile, Checks.
#include "catalog/catalog.h"

namespace ledgerlake::catalog {

Status Catalog::StoreProfile(int64_t run_id, const std::map<std::string, double>& profile,
                             const std::vector<CheckResult>& checks) {
  auto txn = sqlite::Transaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  for (const char* table : {"run_profiles", "run_checks"}) {
    auto clear = db_.Prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?");
    if (!clear.ok()) return clear.status();
    clear->BindInt(1, run_id);
    LL_RETURN_IF_ERROR(clear->Run());
  }
  auto metric = db_.Prepare("INSERT INTO run_profiles (run_id, metric, value) VALUES (?, ?, ?)");
  if (!metric.ok()) return metric.status();
  for (const auto& [name, value] : profile) {
    metric->Reset();
    metric->BindInt(1, run_id).BindText(2, name).BindDouble(3, value);
    LL_RETURN_IF_ERROR(metric->Run());
  }
  auto check = db_.Prepare(
      "INSERT INTO run_checks (run_id, name, value, previous, current, threshold, ok) VALUES (?, ?, ?, ?, ?, ?, ?)");
  if (!check.ok()) return check.status();
  for (const CheckResult& c : checks) {
    check->Reset();
    check->BindInt(1, run_id)
        .BindText(2, c.name)
        .BindDouble(3, c.value)
        .BindDouble(4, c.previous)
        .BindDouble(5, c.current)
        .BindDouble(6, c.threshold)
        .BindInt(7, c.ok ? 1 : 0);
    LL_RETURN_IF_ERROR(check->Run());
  }
  return txn->Commit();
}

Result<std::map<std::string, double>> Catalog::Profile(int64_t run_id) {
  auto stmt = db_.Prepare("SELECT metric, value FROM run_profiles WHERE run_id = ?");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, run_id);
  std::map<std::string, double> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&] {
    out[stmt->ColumnText(0)] = stmt->ColumnDouble(1);
    return Status::OK();
  }));
  return out;
}

Result<std::map<int64_t, std::vector<CheckResult>>> Catalog::Checks(int64_t run_id) {
  auto stmt = db_.Prepare(
      "SELECT run_id, name, value, previous, current, threshold, ok FROM run_checks WHERE ? = 0 OR run_id = ? "
      "ORDER BY run_id, name");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, run_id).BindInt(2, run_id);
  std::map<int64_t, std::vector<CheckResult>> out;
  LL_RETURN_IF_ERROR(stmt->ForEachRow([&] {
    out[stmt->ColumnInt(0)].push_back(CheckResult{stmt->ColumnText(1), stmt->ColumnDouble(2), stmt->ColumnDouble(3),
                                                  stmt->ColumnDouble(4), stmt->ColumnDouble(5), stmt->ColumnInt(6) != 0});
    return Status::OK();
  }));
  return out;
}

}  // namespace ledgerlake::catalog
