#include "lake/views.h"

#include <algorithm>

#include "contract/schema.h"
#include "lake/datasets.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

namespace {

// The column names of a DatasetSpec's "name TYPE, ..." list (types hold no ", ").
std::string ColumnNames(std::string_view sql_columns) {
  std::string out;
  size_t pos = 0;
  while (pos < sql_columns.size()) {
    size_t end = sql_columns.find(", ", pos);
    if (end == std::string_view::npos) end = sql_columns.size();
    const std::string_view col = sql_columns.substr(pos, end - pos);
    out += (out.empty() ? "" : ", ") + std::string(col.substr(0, col.find(' ')));
    pos = end + 2;
  }
  return out;
}

// "CAST(NULL AS type) AS name, ..." for a DatasetSpec's column list: the columns of an empty dataset.
std::string TypedNulls(std::string_view sql_columns) {
  std::string out;
  size_t pos = 0;
  while (pos < sql_columns.size()) {
    size_t end = sql_columns.find(", ", pos);
    if (end == std::string_view::npos) end = sql_columns.size();
    const std::string_view col = sql_columns.substr(pos, end - pos);
    const size_t space = col.find(' ');
    out += (out.empty() ? "" : ", ") + std::string("CAST(NULL AS ") + std::string(col.substr(space + 1)) + ") AS " +
           std::string(col.substr(0, space));
    pos = end + 2;
  }
  return out;
}

// read_parquet over the files of `parts`, with the partition's day as column _day when `with_day`.
std::string ReadParts(const std::vector<const ViewPartition*>& parts, bool hive) {
  std::string list;
  for (const ViewPartition* p : parts) {
    for (const std::string& f : p->files) list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(f);
  }
  return "read_parquet([" + list + "], hive_partitioning = " + (hive ? "true" : "false") + ")";
}

constexpr std::string_view kDay = "make_date(ingest_year::INTEGER, ingest_month::INTEGER, ingest_day::INTEGER)";

}  // namespace

Status CreateViews(const Lake& lake, duck::Connection& conn, const std::vector<ViewPartition>& partitions,
                   std::optional<DayNumber> as_of) {
  // The visible partitions of each dataset, by day.
  auto visible = [&](std::string_view dataset) {
    std::vector<const ViewPartition*> out;
    for (const ViewPartition& p : partitions) {
      if (p.dataset == dataset && (!as_of || p.day <= *as_of) && !p.files.empty()) out.push_back(&p);
    }
    std::sort(out.begin(), out.end(), [](const ViewPartition* a, const ViewPartition* b) { return a->day < b->day; });
    return out;
  };
  // From the newest complete partition on.
  auto since_complete = [](std::vector<const ViewPartition*> parts) {
    for (size_t i = parts.size(); i-- > 0;) {
      if (parts[i]->complete) {
        parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i));
        break;
      }
    }
    return parts;
  };
  const auto deletions = since_complete(visible("deleted_invoices"));

  for (const DatasetSpec& ds : kDatasets) {
    const std::string name(ds.name);
    const std::string columns = ColumnNames(ds.sql_columns);
    const auto all = visible(ds.name);
    if (all.empty()) {  // views too (not tables), so that the views can be made again on the same connection
      const std::string nulls = TypedNulls(ds.sql_columns);
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + " AS SELECT " + nulls + " LIMIT 0"));
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + "_history AS SELECT " + nulls +
                                      ", CAST(NULL AS BIGINT) AS ingest_year, CAST(NULL AS BIGINT) AS ingest_month, "
                                      "CAST(NULL AS BIGINT) AS ingest_day LIMIT 0"));
      continue;
    }
    LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + "_history AS SELECT " + columns +
                                    ", ingest_year, ingest_month, ingest_day FROM " + ReadParts(all, true)));
    std::string sql;
    const std::string_view key = name == "invoice_features" ? "inv_id" : "invoice_id";
    const auto parts = since_complete(all);
    if (name == "account_features" || name == "pending") {
      sql = "SELECT " + columns + " FROM " + ReadParts({all.back()}, false);
    } else if ((name == "account_invoice_features" || name == "invoice_features") && parts.size() > 1) {
      sql = "SELECT " + columns + " FROM (SELECT *, " + std::string(kDay) + " AS _day FROM " + ReadParts(parts, true) +
            ") r";
      std::vector<const ViewPartition*> later;  // deletions after the complete partition can only matter
      for (const ViewPartition* d : deletions) {
        if (d->day > parts.front()->day) later.push_back(d);
      }
      if (!later.empty()) {
        sql += " WHERE NOT EXISTS (SELECT 1 FROM (SELECT invoice_id, " + std::string(kDay) + " AS _day FROM " +
               ReadParts(later, true) + ") d WHERE d.invoice_id = r." + std::string(key) + " AND d._day > r._day)";
      }
      sql += " QUALIFY row_number() OVER (PARTITION BY r." + std::string(key) + " ORDER BY r._day DESC) = 1";
    } else {
      sql = "SELECT " + columns + " FROM " + ReadParts(parts, false);
    }
    LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + " AS " + sql));
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
