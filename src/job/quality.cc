#include "job/quality.h"

#include <cmath>

#include "lake/datasets.h"
#include "query/sandbox.h"

namespace ledgerlake::job {

namespace {

// The feature columns profiled, by dataset (numbers all).
const std::vector<std::pair<std::string, std::vector<std::string>>>& ProfiledColumns() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> columns = {
      {"account_features",
       {"feature_account_age_day", "feature_account_age_year", "feature_customer_age_over_one_year",
        "feature_total_invoices", "feature_avg_invoice_interval_day"}},
      {"account_invoice_features", {"feature_invoice_spending"}},
      {"invoice_features", {"inv_total", "inv_items", "acct_age", "num_inv_120d", "cum_tot_inv_acct", "is_late"}},
  };
  return columns;
}

}  // namespace

Result<Profile> ProfileDay(const lake::Lake& lake, catalog::Catalog& cat, DayNumber day) {
  auto inputs = query::ViewInputsOf(lake, cat);
  if (!inputs.ok()) return inputs.status();
  auto sandbox = query::Sandbox::Open(lake, *inputs, query::Grants::All(), day);
  if (!sandbox.ok()) return sandbox.status();
  auto conn = (*sandbox)->Connect();
  if (!conn.ok()) return conn.status();
  Profile profile;
  auto one_row = [&](const std::string& sql, const std::vector<std::string>& names) -> Status {
    auto result = conn->Query(sql);
    if (!result.ok()) return result.status();
    auto rows = result->ReadAll();
    if (!rows.ok()) return rows.status();
    if (rows->size() != 1) return Status::InvalidArgument("profile: no row from " + sql);
    for (size_t i = 0; i < names.size(); ++i) {
      if ((*rows)[0][i]) profile[names[i]] = std::stod(*(*rows)[0][i]);  // NULL (an empty dataset): no metric
    }
    return Status::OK();
  };
  for (const lake::DatasetSpec& ds : lake::kDatasets) {
    if (ds.name == "deleted_invoices") continue;
    const std::string name(ds.name);
    std::string sql = "SELECT count(*)";
    std::vector<std::string> names = {"rows:" + name};
    std::string sampled = "SELECT 1";
    std::vector<std::string> sampled_names = {"sample"};
    for (const auto& [dataset, columns] : ProfiledColumns()) {
      if (dataset != name) continue;
      for (const std::string& c : columns) {
        const std::string v = "CAST(" + c + " AS DOUBLE)";
        sql += ", avg(CASE WHEN " + c + " IS NULL THEN 1.0 ELSE 0.0 END), avg(" + v + ")";
        for (const char* m : {"null_rate:", "mean:"}) names.push_back(m + name + "." + c);
        sampled += ", quantile_cont(" + v + ", 0.5), quantile_cont(" + v + ", 0.9)";
        for (const char* m : {"p50:", "p90:"}) sampled_names.push_back(m + name + "." + c);
      }
    }
    if (name == "invoice_features") {
      sql += ", avg(CAST(is_late AS DOUBLE))";
      names.push_back("late_rate");
    }
    LL_RETURN_IF_ERROR(one_row(sql + " FROM " + name, names));
    if (sampled_names.size() > 1) {
      LL_RETURN_IF_ERROR(one_row(sampled + " FROM (SELECT * FROM " + name +
                                     " USING SAMPLE reservoir(20000 ROWS) REPEATABLE (7))",
                                 sampled_names));
      profile.erase("sample");
    }
  }
  return profile;
}

std::vector<catalog::CheckResult> CompareProfiles(const Profile& previous, const Profile& current,
                                                  const CheckThresholds& t) {
  std::vector<catalog::CheckResult> checks;
  if (previous.empty()) return checks;
  auto at = [](const Profile& p, const std::string& k) -> std::optional<double> {
    auto it = p.find(k);
    return it == p.end() ? std::nullopt : std::optional<double>(it->second);
  };
  for (const auto& [metric, now] : current) {
    const auto before = at(previous, metric);
    if (!before) continue;
    catalog::CheckResult c;
    c.previous = *before;
    c.current = now;
    if (metric.starts_with("rows:")) {
      c.name = "row_drop:" + metric.substr(5);
      c.value = *before > 0 ? std::max(0.0, (*before - now) / *before) : 0;
      c.threshold = t.max_row_drop;
    } else if (metric == "late_rate") {
      c.name = "late_rate_change";
      c.value = std::fabs(now - *before);
      c.threshold = t.max_late_rate_change;
    } else if (metric.starts_with("null_rate:")) {
      c.name = "null_rate_change:" + metric.substr(10);
      c.value = std::fabs(now - *before);
      c.threshold = t.max_null_rate_change;
    } else if (metric.starts_with("mean:")) {
      c.name = "mean_change:" + metric.substr(5);
      c.value = *before != 0 ? std::fabs(now - *before) / std::fabs(*before) : (now == 0 ? 0 : 1);
      c.threshold = t.max_mean_change;
    } else {
      continue;  // quantiles are kept for the record, not checked
    }
    c.ok = c.value <= c.threshold + 1e-12;
    checks.push_back(std::move(c));
  }
  return checks;
}

Result<std::vector<catalog::CheckResult>> CheckRun(const lake::Lake& lake, catalog::Catalog& cat, int64_t run_id,
                                                   DayNumber day, const CheckThresholds& thresholds) {
  auto profile = ProfileDay(lake, cat, day);
  if (!profile.ok()) return profile.status();
  // The run before: the newest committed run of an earlier day, or an earlier run of the same day (a re-run).
  auto runs = cat.Runs();
  if (!runs.ok()) return runs.status();
  Profile previous;
  for (auto it = runs->rbegin(); it != runs->rend(); ++it) {
    if (it->run_id >= run_id || !it->ok || it->as_of > day) continue;
    auto p = cat.Profile(it->run_id);
    if (!p.ok()) return p.status();
    if (!p->empty()) {
      previous = std::move(*p);
      break;
    }
  }
  std::vector<catalog::CheckResult> checks = CompareProfiles(previous, *profile, thresholds);
  LL_RETURN_IF_ERROR(cat.StoreProfile(run_id, *profile, checks));
  return checks;
}

}  // namespace ledgerlake::job
