#include "lake/views.h"

#include <cstdio>
#include <filesystem>
#include <tuple>

#include "contract/schema.h"
#include "lake/datasets.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

namespace fs = std::filesystem;

namespace {

// "ingest_year=2024" -> 2024 for key "ingest_year"; -1 when the name does not match.
int PartValue(const fs::path& p, std::string_view key) {
  const std::string name = p.filename().string();
  if (name.size() <= key.size() + 1 || name.compare(0, key.size(), key) != 0 || name[key.size()] != '=') return -1;
  int v = 0;
  for (size_t i = key.size() + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return -1;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<std::string> NewestPartition(const Lake& lake, std::string_view dataset) {
  std::tuple<int, int, int> best{-1, -1, -1};
  std::optional<std::string> found;
  std::error_code ec;
  for (const auto& y : fs::directory_iterator(lake.dataset_dir(dataset), ec)) {
    const int year = PartValue(y.path(), "ingest_year");
    if (year < 0) continue;
    for (const auto& m : fs::directory_iterator(y.path(), ec)) {
      const int month = PartValue(m.path(), "ingest_month");
      if (month < 0) continue;
      for (const auto& d : fs::directory_iterator(m.path(), ec)) {
        const int day = PartValue(d.path(), "ingest_day");
        if (day < 0) continue;
        const std::tuple<int, int, int> key{year, month, day};
        if (key > best) {
          best = key;
          found = d.path().string();
        }
      }
    }
  }
  return found;
}

Status CreateViews(const Lake& lake, duck::Connection& conn) {
  for (const DatasetSpec& ds : kDatasets) {
    const auto part = NewestPartition(lake, ds.name);
    std::string sql;
    if (part) {
      sql = "CREATE OR REPLACE VIEW " + std::string(ds.name) + " AS SELECT * FROM read_parquet(" +
            duck::SqlStringLiteral(*part + "/*.parquet") + ", hive_partitioning = false)";
    } else {
      sql = "CREATE OR REPLACE TABLE " + std::string(ds.name) + " (" + std::string(ds.sql_columns) + ")";
    }
    LL_RETURN_IF_ERROR(conn.Execute(sql));
  }
  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();
  for (contract::TableId t : contract::kAllTables) {
    std::string list;
    for (const LandedFile& f : *landed) {
      if (f.table != t) continue;
      list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(f.path);
    }
    if (list.empty()) continue;
    LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW raw_" + std::string(contract::TableName(t)) +
                                    " AS SELECT * FROM read_csv([" + list +
                                    "], header = true, all_varchar = true, union_by_name = true, filename = true, "
                                    "ignore_errors = true, strict_mode = false)"));
  }
  return Status::OK();
}

}  // namespace ledgerlake::lake
