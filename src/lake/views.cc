#include "lake/views.h"

#include <algorithm>
#include <filesystem>

#include "contract/schema.h"
#include "lake/datasets.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

namespace {

// The column names of a DatasetSpec's "name TYPE, ..." list.
std::string ColumnNames(std::string_view sql_columns) {
  std::string out;
  for (const DatasetColumn& c : DatasetColumns(sql_columns)) out += (out.empty() ? "" : ", ") + std::string(c.name);
  return out;
}

// "CAST(NULL AS type) AS name, ..." for a DatasetSpec's column list: the columns of an empty dataset.
std::string TypedNulls(std::string_view sql_columns) {
  std::string out;
  for (const DatasetColumn& c : DatasetColumns(sql_columns)) {
    out += (out.empty() ? "" : ", ") + std::string("CAST(NULL AS ") + std::string(c.type) + ") AS " + std::string(c.name);
  }
  return out;
}

// The files of `parts`.
std::vector<const ViewFile*> FilesOf(const std::vector<const ViewPartition*>& parts) {
  std::vector<const ViewFile*> out;
  for (const ViewPartition* p : parts) {
    for (const ViewFile& f : p->files) out.push_back(&f);
  }
  return out;
}

// read_parquet over the files of `parts`; with `hive`, the partition's ingest_year/month/day as BIGINT columns.
std::string ReadParts(const std::vector<const ViewPartition*>& parts, bool hive) {
  std::string list;
  for (const ViewFile* f : FilesOf(parts)) list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(f->path);
  return "read_parquet([" + list + "]" +
         (hive ? ", hive_partitioning = true, hive_types = {'ingest_year': BIGINT, 'ingest_month': BIGINT, "
                 "'ingest_day': BIGINT})"
               : ", hive_partitioning = false)");
}

constexpr std::string_view kDay = "make_date(ingest_year::INTEGER, ingest_month::INTEGER, ingest_day::INTEGER)";
constexpr std::string_view kHistoryColumns =
    ", CAST(NULL AS BIGINT) AS ingest_year, CAST(NULL AS BIGINT) AS ingest_month, CAST(NULL AS BIGINT) AS ingest_day";

std::string Relative(const Lake& lake, const std::string& path) {
  const std::string prefix = lake.root() + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

// The first of `files` that is missing or not of the size it was written with, and what is wrong with it.
std::optional<std::string> SizeProblem(const Lake& lake, const std::vector<const ViewFile*>& files) {
  for (const ViewFile* f : files) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(f->path, ec);
    if (ec) return Relative(lake, f->path) + " is missing";
    if (size != f->bytes) {
      return Relative(lake, f->path) + " has " + std::to_string(size) + " bytes where " + std::to_string(f->bytes) +
             " were written";
    }
  }
  return std::nullopt;
}

// SQL that fails with `message` when the view is read: its columns typed as `typed_nulls`, no rows otherwise.
std::string FailingView(const std::string& typed_nulls, const std::string& message) {
  return "SELECT " + typed_nulls + " FROM range(1) WHERE error(" + duck::SqlStringLiteral(message) + ") IS NULL";
}

class ViewMaker {
 public:
  ViewMaker(const Lake& lake, duck::Connection& conn) : lake_(lake), conn_(conn) {}

  // CREATE OR REPLACE VIEW `name` AS `sql`, reading `files`; a view that fails when read, naming the file, when
  // they are damaged. `typed_nulls` are its columns as "CAST(NULL AS type) AS name, ...".
  Status Make(const std::string& name, const std::string& sql, const std::vector<const ViewFile*>& files,
              const std::string& typed_nulls) {
    if (auto problem = SizeProblem(lake_, files)) return Fail(name, *problem, typed_nulls);
    const Status st = conn_.Execute("CREATE OR REPLACE VIEW " + name + " AS " + sql);
    if (st.ok()) return st;
    // DuckDB read a file's metadata to bind the view and could not: name the file that fails on its own.
    std::string culprit;
    for (const ViewFile* f : files) {
      if (!conn_.Execute("DESCRIBE SELECT * FROM read_parquet(" + duck::SqlStringLiteral(f->path) + ")").ok()) {
        culprit = Relative(lake_, f->path);
        break;
      }
    }
    const std::string& m = st.message();
    const std::string first_line = m.substr(0, m.find('\n'));
    return Fail(name, (culprit.empty() ? "its files" : culprit) + " cannot be read (" + first_line + ")", typed_nulls);
  }

 private:
  Status Fail(const std::string& name, const std::string& problem, const std::string& typed_nulls) {
    const std::string message = "view " + name + ": " + problem +
                                "; `ledgerlake verify` checks every file of the lake, and `ledgerlake verify "
                                "--repair` rewrites damaged partitions from the raw zone";
    return conn_.Execute("CREATE OR REPLACE VIEW " + name + " AS " + FailingView(typed_nulls, message));
  }

  const Lake& lake_;
  duck::Connection& conn_;
};

}  // namespace

std::vector<std::string> LakeViewNames() {
  std::vector<std::string> names;
  for (const DatasetSpec& ds : kDatasets) names.emplace_back(ds.name);
  names.emplace_back("incomplete_invoices");
  for (contract::TableId t : contract::kAllTables) names.emplace_back(contract::TableName(t));
  for (contract::TableId t : contract::kAllTables) names.push_back("raw_" + std::string(contract::TableName(t)));
  return names;
}

Status CreateViews(const Lake& lake, duck::Connection& conn, const ViewInputs& inputs,
                   std::optional<DayNumber> as_of, const ViewFilter& allowed_filter) {
  auto allowed = [&](std::string_view view) { return !allowed_filter || allowed_filter(view); };
  const std::vector<ViewPartition>& partitions = inputs.partitions;
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

  ViewMaker views(lake, conn);
  for (const DatasetSpec& ds : kDatasets) {
    if (!allowed(ds.name)) continue;
    const std::string name(ds.name);
    const std::string columns = ColumnNames(ds.sql_columns);
    const std::string nulls = TypedNulls(ds.sql_columns);
    const auto all = visible(ds.name);
    if (all.empty()) {  // views too (not tables), so that the views can be made again on the same connection
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + " AS SELECT " + nulls + " LIMIT 0"));
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + name + "_history AS SELECT " + nulls +
                                      std::string(kHistoryColumns) + " LIMIT 0"));
      continue;
    }
    LL_RETURN_IF_ERROR(views.Make(name + "_history",
                                  "SELECT " + columns + ", ingest_year, ingest_month, ingest_day FROM " +
                                      ReadParts(all, true),
                                  FilesOf(all), nulls + std::string(kHistoryColumns)));
    std::string sql;
    std::vector<const ViewFile*> files;
    const std::string_view key = name == "invoice_features" ? "inv_id" : "invoice_id";
    const auto parts = since_complete(all);
    if (name == "account_features" || name == "pending") {
      sql = "SELECT " + columns + " FROM " + ReadParts({all.back()}, false);
      files = FilesOf({all.back()});
    } else if ((name == "account_invoice_features" || name == "invoice_features") && parts.size() > 1) {
      sql = "SELECT " + columns + " FROM (SELECT *, " + std::string(kDay) + " AS _day FROM " + ReadParts(parts, true) +
            ") r";
      files = FilesOf(parts);
      std::vector<const ViewPartition*> later;  // deletions after the complete partition can only matter
      for (const ViewPartition* d : deletions) {
        if (d->day > parts.front()->day) later.push_back(d);
      }
      if (!later.empty()) {
        sql += " WHERE NOT EXISTS (SELECT 1 FROM (SELECT invoice_id, " + std::string(kDay) + " AS _day FROM " +
               ReadParts(later, true) + ") d WHERE d.invoice_id = r." + std::string(key) + " AND d._day > r._day)";
        for (const ViewFile* f : FilesOf(later)) files.push_back(f);
      }
      sql += " QUALIFY row_number() OVER (PARTITION BY r." + std::string(key) + " ORDER BY r._day DESC) = 1";
    } else {
      sql = "SELECT " + columns + " FROM " + ReadParts(parts, false);
      files = FilesOf(parts);
    }
    LL_RETURN_IF_ERROR(views.Make(name, sql, files, nulls));
  }

  // Invoices whose totals leave out line items that wait for a sku (the run's incomplete_invoices warning).
  if (allowed("incomplete_invoices") && allowed("invoice_features") && allowed("pending")) {
    LL_RETURN_IF_ERROR(conn.Execute(
      "CREATE OR REPLACE VIEW incomplete_invoices AS SELECT i.inv_id AS invoice_id, i.acct_id AS account_id, "
      "count(*) AS pending_lines, string_agg(DISTINCT p.missing_key::VARCHAR, ',' ORDER BY p.missing_key::VARCHAR) "
      "AS missing_skus FROM invoice_features i JOIN pending p ON p.invoice_id = i.inv_id AND "
      "p.table_name = 'invoice_line_items' AND p.missing_table = 'skus' GROUP BY ALL"));
  }

  // The source tables as the runs up to the view's day applied the landed files, and the raw records as text.
  std::vector<uint64_t> applied;
  for (const ViewInputs::Run& run : inputs.runs) {
    if (!as_of || run.day <= *as_of) applied.insert(applied.end(), run.applied.begin(), run.applied.end());
  }
  std::sort(applied.begin(), applied.end());
  applied.erase(std::unique(applied.begin(), applied.end()), applied.end());
  std::string list;
  for (const uint64_t seq : applied) list += (list.empty() ? "" : ",") + std::to_string(seq);
  for (contract::TableId t : contract::kAllTables) {
    const std::string table(contract::TableName(t));
    if (allowed(table)) {
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW " + table + " AS SELECT * FROM ledgerlake_source(" +
                                      duck::SqlStringLiteral(table) + ", " + duck::SqlStringLiteral(list) + ")"));
    }
    if (!allowed("raw_" + table)) continue;
    const Status st = conn.Execute("CREATE OR REPLACE VIEW raw_" + table + " AS SELECT * FROM ledgerlake_raw(" +
                                   duck::SqlStringLiteral(table) + ")");
    if (!st.ok()) {  // a landed file whose header cannot be read: only this view fails, saying why
      LL_RETURN_IF_ERROR(conn.Execute("CREATE OR REPLACE VIEW raw_" + table + " AS " +
                                      FailingView("CAST(NULL AS VARCHAR) AS _record",
                                                  "raw_" + table + ": " + st.message().substr(0, st.message().find('\n')))));
    }
  }
  return Status::OK();
}

}  // namespace ledgerlake::lake
