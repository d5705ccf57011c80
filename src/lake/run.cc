#include "lake/run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <filesystem>

#include "duck/database.h"
#include "duck/parquet_writer.h"
#include "engine/loader.h"
#include "lake/datasets.h"
#include "lake/landing.h"
#include "lake/partition.h"

namespace ledgerlake::lake {

namespace fs = std::filesystem;
using contract::TableId;

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

duck::ColumnView Col(std::string name, duck::ColumnType type, const void* values, const uint8_t* valid = nullptr) {
  return duck::ColumnView{std::move(name), type, values, valid};
}

// The rejects dataset as columns; the string_views point into `rejects` and `files`, which outlive the write.
struct RejectColumns {
  std::vector<std::string_view> table, source, reason, detail, record;
  std::vector<int64_t> line;
};

RejectColumns BuildRejectColumns(const std::vector<contract::Reject>& rejects,
                                 const std::vector<engine::SourceFile>& files) {
  RejectColumns c;
  for (auto* v : {&c.table, &c.source, &c.reason, &c.detail, &c.record}) v->reserve(rejects.size());
  c.line.reserve(rejects.size());
  for (const contract::Reject& r : rejects) {
    c.table.push_back(contract::TableName(r.table));
    c.source.push_back(files[r.file].source_name);
    c.reason.push_back(contract::ReasonCode(r.reason));
    c.detail.push_back(r.detail);
    c.record.push_back(r.record);
    c.line.push_back(static_cast<int64_t>(r.line));
  }
  return c;
}

// The pending dataset as columns; item_id is NULL for invoices.
struct PendingColumns {
  std::vector<std::string_view> table, source, missing_table;
  std::vector<int64_t> invoice_id, item_id, missing_key;
  std::vector<uint8_t> item_valid;
};

PendingColumns BuildPendingColumns(const std::vector<engine::PendingRow>& rows,
                                   const std::vector<engine::SourceFile>& files) {
  PendingColumns c;
  for (const engine::PendingRow& r : rows) {
    c.table.push_back(contract::TableName(r.table));
    c.source.push_back(files[r.file].source_name);
    c.invoice_id.push_back(r.invoice_id);
    c.item_id.push_back(r.item_id);
    c.item_valid.push_back(r.table == TableId::kLineItems ? 1 : 0);
    c.missing_table.push_back(contract::TableName(r.missing));
    c.missing_key.push_back(r.missing_key);
  }
  return c;
}

}  // namespace

Result<RunReport> Run(const Lake& lake, const RunOptions& options) {
  const auto run_start = Clock::now();
  RunReport report;
  report.as_of = options.as_of;
  report.full_refresh = true;
  CleanStaging(lake);

  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();
  std::vector<engine::SourceFile> files;
  for (const LandedFile& f : *landed) {
    files.push_back(engine::SourceFile{f.path, f.source, f.table});
    report.bytes_read += f.bytes;
  }
  report.files_read = files.size();

  // Load, parents first, then compute; the Ledger is dropped before writing so its memory is not held twice.
  std::vector<contract::Reject> rejects;
  std::vector<engine::PendingRow> pending;
  engine::FeatureSet features;
  {
    engine::Ledger ledger;
    for (TableId t : contract::kAllTables) {
      const auto start = Clock::now();
      const std::string stage = "load " + std::string(contract::TableName(t));
      engine::ProgressFn progress;
      if (options.progress) {
        progress = [&](TableId, uint64_t done, uint64_t total) { options.progress(stage, done, total); };
      }
      LL_RETURN_IF_ERROR(engine::LoadTable(t, files, ledger, rejects, progress));
      report.stages.push_back({stage, Seconds(start)});
    }
    ledger.Finish();
    for (TableId t : contract::kAllTables) report.tables[static_cast<size_t>(t)] = ledger.counts(t);
    pending = ledger.PendingRows();

    const auto start = Clock::now();
    features = engine::ComputeFeatures(ledger, options.as_of);
    report.warnings = features.warnings;
    report.stages.push_back({"features", Seconds(start)});
  }

  // Write every dataset's partition into staging, then swap them in.
  const auto start = Clock::now();
  duck::DatabaseOptions db_options;
  db_options.threads = options.threads;
  auto db = duck::Database::Open(db_options);
  if (!db.ok()) return db.status();

  const engine::AccountFeatures& a = features.accounts;
  const engine::InvoiceFeatures& inv = features.invoices;
  const RejectColumns rc = BuildRejectColumns(rejects, files);
  const PendingColumns pc = BuildPendingColumns(pending, files);
  using CT = duck::ColumnType;
  std::vector<std::pair<std::string_view, duck::TableView>> tables;
  tables.push_back({"account_features",
                    duck::TableView{a.size(),
                                    {Col("account_id", CT::kBigInt, a.account_id.data()),
                                     Col("feature_account_age_day", CT::kInteger, a.age_day.data()),
                                     Col("feature_account_age_year", CT::kInteger, a.age_year.data()),
                                     Col("feature_customer_age_over_one_year", CT::kInteger, a.over_one_year.data()),
                                     Col("feature_total_invoices", CT::kInteger, a.total_invoices.data()),
                                     Col("feature_avg_invoice_interval_day", CT::kDouble, a.avg_interval_day.data(),
                                         a.avg_interval_valid.data())}}});
  tables.push_back({"account_invoice_features",
                    duck::TableView{inv.size(),
                                    {Col("account_id", CT::kBigInt, inv.account_id.data()),
                                     Col("invoice_id", CT::kBigInt, inv.invoice_id.data()),
                                     Col("date_issued", CT::kDate, inv.date_issued.data()),
                                     Col("feature_invoice_spending", CT::kDecimal18_2, inv.total_cents.data(),
                                         inv.total_valid.data())}}});
  tables.push_back({"invoice_features",
                    duck::TableView{inv.size(),
                                    {Col("inv_id", CT::kBigInt, inv.invoice_id.data()),
                                     Col("acct_id", CT::kBigInt, inv.account_id.data()),
                                     Col("inv_total", CT::kDecimal18_2, inv.total_cents.data(), inv.total_valid.data()),
                                     Col("inv_items", CT::kBigInt, inv.items.data()),
                                     Col("acct_age", CT::kInteger, inv.account_age.data()),
                                     Col("num_inv_120d", CT::kInteger, inv.num_inv_120d.data()),
                                     Col("cum_tot_inv_acct", CT::kInteger, inv.cum_tot_inv_acct.data()),
                                     Col("is_late", CT::kInteger, inv.is_late.data(), inv.is_late_valid.data())}}});
  tables.push_back({"rejects", duck::TableView{rejects.size(),
                                               {Col("table_name", CT::kVarchar, rc.table.data()),
                                                Col("source_file", CT::kVarchar, rc.source.data()),
                                                Col("line_number", CT::kBigInt, rc.line.data()),
                                                Col("reason", CT::kVarchar, rc.reason.data()),
                                                Col("detail", CT::kVarchar, rc.detail.data()),
                                                Col("record", CT::kVarchar, rc.record.data())}}});
  tables.push_back({"pending", duck::TableView{pending.size(),
                                               {Col("table_name", CT::kVarchar, pc.table.data()),
                                                Col("source_file", CT::kVarchar, pc.source.data()),
                                                Col("invoice_id", CT::kBigInt, pc.invoice_id.data()),
                                                Col("item_id", CT::kBigInt, pc.item_id.data(), pc.item_valid.data()),
                                                Col("missing_table", CT::kVarchar, pc.missing_table.data()),
                                                Col("missing_key", CT::kBigInt, pc.missing_key.data())}}});

  const std::string staging = lake.tmp_dir() + "/run-" + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(staging, ec);
  // Each dataset is written by one DuckDB thread (so its rows keep our order and files are reproducible);
  // the datasets themselves are written side by side, one connection per worker.
  for (const auto& [name, view] : tables) {
    fs::create_directories(staging + "/" + std::string(name), ec);
    if (ec) return Status::IOError("cannot create " + staging + "/" + std::string(name) + ": " + ec.message());
  }
  std::atomic<size_t> next{0}, written{0};
  std::vector<Status> results(tables.size());
  auto worker = [&] {
    auto conn = duck::Connection::Open(*db);
    for (size_t i = next++; i < tables.size(); i = next++) {
      const std::string file = staging + "/" + std::string(tables[i].first) + "/part-0.parquet";
      results[i] = conn.ok() ? duck::WriteParquet(*conn, tables[i].second, file) : conn.status();
      if (results[i].ok()) results[i] = FsyncPath(file);
      if (options.progress) options.progress("write", ++written, tables.size());
    }
  };
  const unsigned workers = std::max(1u, std::min(std::thread::hardware_concurrency(), 2u));
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const Status& st : results) LL_RETURN_IF_ERROR(st);
  for (auto& [name, view] : tables) {
    LL_RETURN_IF_ERROR(CommitPartition(lake, name, options.as_of, staging + "/" + std::string(name)));
    report.datasets.push_back(DatasetResult{std::string(name), view.rows, lake.partition_dir(name, options.as_of)});
  }
  fs::remove_all(staging, ec);
  report.stages.push_back({"write", Seconds(start)});
  report.total_seconds = Seconds(run_start);
  return report;
}

}  // namespace ledgerlake::lake
