#include "lake/run.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <filesystem>

#include "duck/database.h"
#include "duck/parquet_writer.h"
#include "engine/invoice_order.h"
#include "engine/line_log.h"
#include "engine/loader.h"
#include "engine/partitioning.h"
#include "engine/state.h"
#include "lake/datasets.h"
#include "lake/landing.h"
#include "lake/partition.h"
#include "util/sha256.h"

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
                                   const std::vector<LandedFile>& landed) {
  PendingColumns c;
  for (const engine::PendingRow& r : rows) {
    // The Ledger's file ids are landing sequences; `landed` is in sequence order.
    const auto f = std::lower_bound(landed.begin(), landed.end(), r.file,
                                    [](const LandedFile& l, uint32_t seq) { return l.sequence < seq; });
    c.table.push_back(contract::TableName(r.table));
    c.source.push_back(f->source);
    c.invoice_id.push_back(r.invoice_id);
    c.item_id.push_back(r.item_id);
    c.item_valid.push_back(r.table == TableId::kLineItems ? 1 : 0);
    c.missing_table.push_back(contract::TableName(r.missing));
    c.missing_key.push_back(r.missing_key);
  }
  return c;
}

// The rows of `all` whose `changed` has `bit`, as columns of their own.
engine::InvoiceFeatures Select(const engine::InvoiceFeatures& all, const std::vector<uint8_t>& changed, uint8_t bit) {
  engine::InvoiceFeatures out;
  for (size_t i = 0; i < all.size(); ++i) {
    if ((changed[i] & bit) == 0) continue;
    out.invoice_id.push_back(all.invoice_id[i]);
    out.account_id.push_back(all.account_id[i]);
    out.date_issued.push_back(all.date_issued[i]);
    out.total_cents.push_back(all.total_cents[i]);
    out.total_valid.push_back(all.total_valid[i]);
    out.items.push_back(all.items[i]);
    out.account_age.push_back(all.account_age[i]);
    out.num_inv_120d.push_back(all.num_inv_120d[i]);
    out.cum_tot_inv_acct.push_back(all.cum_tot_inv_acct[i]);
    out.is_late.push_back(all.is_late[i]);
    out.is_late_valid.push_back(all.is_late_valid[i]);
  }
  return out;
}

// Invoices that exist as of D (issued by D, account known) with line items waiting for a sku: their totals leave
// those lines out until the sku lands.
uint64_t IncompleteInvoices(const engine::Ledger& ledger, const std::vector<engine::PendingRow>& pending,
                            DayNumber as_of) {
  std::vector<int64_t> ids;
  for (const engine::PendingRow& p : pending) {
    if (p.table != TableId::kLineItems || p.missing != TableId::kSkus) continue;
    const engine::InvoiceEntry* e = ledger.invoices().Find(p.invoice_id);
    if (e != nullptr && e->row.date_issued <= as_of && ledger.accounts().contains(e->row.account_id)) {
      ids.push_back(p.invoice_id);
    }
  }
  std::sort(ids.begin(), ids.end());
  return static_cast<uint64_t>(std::unique(ids.begin(), ids.end()) - ids.begin());
}

// Adds `seconds` to the stage `name`, appending it the first time (a partitioned run's passes add up).
void AddStage(std::vector<StageTime>& stages, std::string name, double seconds) {
  for (StageTime& s : stages) {
    if (s.name == name) {
      s.seconds += seconds;
      return;
    }
  }
  stages.push_back({std::move(name), seconds});
}

// Loads every table of `files` into `ledger`, parents first, keeping what `filter` keeps; `label` tells the
// passes of a partitioned run apart in the progress display.
Status LoadTables(const std::vector<engine::SourceFile>& files, engine::Ledger& ledger,
                  std::vector<contract::Reject>& rejects, const engine::RowFilter& filter, const RunOptions& options,
                  const std::string& label, std::vector<StageTime>& stages, engine::Spill* spill = nullptr) {
  for (TableId t : contract::kAllTables) {
    const auto start = Clock::now();
    const std::string stage = "load " + std::string(contract::TableName(t));
    engine::ProgressFn progress;
    if (options.progress) {
      progress = [&](TableId, uint64_t done, uint64_t total) { options.progress(stage + label, done, total); };
    }
    LL_RETURN_IF_ERROR(engine::LoadTable(t, files, ledger, rejects, progress, filter, spill));
    AddStage(stages, stage, Seconds(start));
  }
  return Status::OK();
}

// The rows of partition D of every dataset that one pass computed.
struct Outputs {
  const engine::AccountFeatures& accounts;
  const engine::InvoiceFeatures& account_invoices;
  const engine::InvoiceFeatures& invoices;
  const std::vector<contract::Reject>& rejects;
  const std::vector<engine::PendingRow>& pending;
  const std::vector<int64_t>& deleted;
};

// Writes `out` into partition D as files named after `file_token`, adding them to `results` (one entry per
// dataset, in a fixed order, created on the first call). With `skip_empty`, a dataset without rows gets no file.
Status WriteOutputs(const Lake& lake, const RunOptions& options, duck::Database& db, const Outputs& out,
                    const std::vector<engine::SourceFile>& files, const std::vector<LandedFile>& landed,
                    const std::string& file_token, bool skip_empty, std::vector<DatasetResult>& results) {
  const engine::AccountFeatures& a = out.accounts;
  const engine::InvoiceFeatures& aif = out.account_invoices;
  const engine::InvoiceFeatures& inv = out.invoices;
  const RejectColumns rc = BuildRejectColumns(out.rejects, files);
  const PendingColumns pc = BuildPendingColumns(out.pending, landed);
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
                    duck::TableView{aif.size(),
                                    {Col("account_id", CT::kBigInt, aif.account_id.data()),
                                     Col("invoice_id", CT::kBigInt, aif.invoice_id.data()),
                                     Col("date_issued", CT::kDate, aif.date_issued.data()),
                                     Col("feature_invoice_spending", CT::kDecimal18_2, aif.total_cents.data(),
                                         aif.total_valid.data())}}});
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
  tables.push_back({"rejects", duck::TableView{out.rejects.size(),
                                               {Col("table_name", CT::kVarchar, rc.table.data()),
                                                Col("source_file", CT::kVarchar, rc.source.data()),
                                                Col("line_number", CT::kBigInt, rc.line.data()),
                                                Col("reason", CT::kVarchar, rc.reason.data()),
                                                Col("detail", CT::kVarchar, rc.detail.data()),
                                                Col("record", CT::kVarchar, rc.record.data())}}});
  tables.push_back({"pending", duck::TableView{out.pending.size(),
                                               {Col("table_name", CT::kVarchar, pc.table.data()),
                                                Col("source_file", CT::kVarchar, pc.source.data()),
                                                Col("invoice_id", CT::kBigInt, pc.invoice_id.data()),
                                                Col("item_id", CT::kBigInt, pc.item_id.data(), pc.item_valid.data()),
                                                Col("missing_table", CT::kVarchar, pc.missing_table.data()),
                                                Col("missing_key", CT::kBigInt, pc.missing_key.data())}}});
  tables.push_back({"deleted_invoices", duck::TableView{out.deleted.size(),
                                                        {Col("invoice_id", CT::kBigInt, out.deleted.data())}}});

  if (results.empty()) {
    for (const auto& [name, view] : tables) {
      const std::string dir = lake.partition_dir(name, options.as_of);
      std::error_code ec;
      fs::create_directories(dir, ec);
      if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
      results.push_back(DatasetResult{std::string(name), 0, dir, {}, 0});
    }
  }
  // Each dataset is written by one DuckDB thread (so its rows keep our order and files are reproducible);
  // the datasets themselves are written side by side, one connection per worker.
  std::atomic<size_t> next{0}, written{0};
  std::vector<Status> status(tables.size());
  std::vector<std::string> checksums(tables.size());
  auto worker = [&] {
    auto conn = duck::Connection::Open(db);
    for (size_t i = next++; i < tables.size(); i = next++) {
      if (skip_empty && tables[i].second.rows == 0) continue;
      const std::string file = PartitionFile(lake, tables[i].first, options.as_of, file_token);
      const std::string tmp = fs::path(file).parent_path().string() + "/.part-" + file_token + ".tmp";
      status[i] = conn.ok() ? duck::WriteParquet(*conn, tables[i].second, tmp) : conn.status();
      if (status[i].ok()) {
        auto sha = Sha256OfFile(tmp);  // read back while the file is in the page cache
        status[i] = sha.ok() ? PublishFile(tmp, file) : sha.status();
        if (sha.ok()) checksums[i] = std::move(*sha);
      }
      if (options.progress) options.progress("write", ++written, tables.size());
    }
  };
  const unsigned workers = std::max(1u, std::min(std::thread::hardware_concurrency(), 2u));
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  for (const Status& st : status) LL_RETURN_IF_ERROR(st);
  for (size_t i = 0; i < tables.size(); ++i) {
    if (skip_empty && tables[i].second.rows == 0) continue;
    DatasetResult& d = results[i];
    WrittenFile f{PartitionFile(lake, tables[i].first, options.as_of, file_token), 0, checksums[i]};
    std::error_code ec;
    f.bytes = fs::file_size(f.path, ec);
    d.rows += tables[i].second.rows;
    d.bytes += f.bytes;
    d.files.push_back(std::move(f));
  }
  return Status::OK();
}

// A complete run in options.partitions passes (RunOptions::partitions): a first pass over the invoice extracts
// learns each invoice's bucket, then each pass loads, computes and writes one bucket. Pass 0 reads the landed
// extracts and spills the other buckets' rows; pass k reads bucket k's spill. Saves no state.
Status RunPartitioned(const Lake& lake, const RunOptions& options, const std::vector<engine::SourceFile>& files,
                      const std::vector<LandedFile>& landed, duck::Database& db, RunReport& report) {
  const uint32_t buckets = options.partitions;
  engine::InvoiceRouter router(buckets);
  {
    const auto start = Clock::now();
    engine::Ledger unused;
    std::vector<contract::Reject> none;
    engine::ProgressFn progress;
    if (options.progress) {
      progress = [&](TableId, uint64_t done, uint64_t total) { options.progress("route invoices", done, total); };
    }
    LL_RETURN_IF_ERROR(
        engine::LoadTable(TableId::kInvoices, files, unused, none, progress, engine::RowFilter::Recording(router)));
    AddStage(report.stages, "route invoices", Seconds(start));
  }
  auto spill = engine::Spill::Create(lake.tmp_dir() + "/" + options.token + "-spill", buckets);
  if (!spill.ok()) return spill.status();
  for (uint32_t bucket = 0; bucket < buckets; ++bucket) {
    const std::string label = " (" + std::to_string(bucket + 1) + "/" + std::to_string(buckets) + ")";
    std::vector<engine::SourceFile> pass_files = files;
    if (bucket != 0) {
      for (uint32_t i = 0; i < pass_files.size(); ++i) {
        engine::SourceFile& f = pass_files[i];
        if (f.table == TableId::kSkus) continue;  // every pass reads the skus' landed files
        const bool spilled = (*spill)->Has(i, bucket);
        f.path = spilled ? (*spill)->CsvPath(i, bucket) : "";
        f.line_map = spilled ? (*spill)->LineMapPath(i, bucket) : "";
        f.sha256.clear();  // pass 0 checked the landed file; a spill is not the landed bytes
      }
    }
    std::vector<contract::Reject> rejects;
    std::vector<engine::PendingRow> pending;
    engine::FeatureSet features;
    {
      engine::Ledger ledger;
      LL_RETURN_IF_ERROR(LoadTables(pass_files, ledger, rejects, engine::RowFilter::Bucket(router, bucket), options,
                                    label, report.stages, spill->get()));
      (*spill)->RemoveBucket(bucket);
      ledger.Finish();
      for (TableId t : contract::kAllTables) {
        // Every pass loads every sku; their fates count once, in pass 0 (engine/partitioning.h).
        if (t == TableId::kSkus && bucket != 0) continue;
        report.tables[static_cast<size_t>(t)] += ledger.counts(t);
      }
      report.repeated_line_items += ledger.repeated_line_items();
      pending = ledger.PendingRows();
      report.incomplete_invoices += IncompleteInvoices(ledger, pending, options.as_of);
      const auto start = Clock::now();
      features = engine::ComputeFeatures(ledger, options.as_of);
      AddStage(report.stages, "features", Seconds(start));
    }
    report.pending_total += pending.size();
    report.warnings.invoices_before_joining += features.warnings.invoices_before_joining;
    report.warnings.totals_out_of_range += features.warnings.totals_out_of_range;
    const auto start = Clock::now();
    const Outputs out{features.accounts, features.invoices, features.invoices, rejects, pending, features.deleted};
    LL_RETURN_IF_ERROR(WriteOutputs(lake, options, db, out, files, landed, options.token + "-" + std::to_string(bucket),
                                    bucket != 0, report.datasets));
    AddStage(report.stages, "write", Seconds(start));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<std::string>> StateLineLogs(const Lake& lake, const std::string& state_file) {
  auto info = engine::ReadStateInfo(state_file);
  if (!info.ok()) return info.status();
  std::vector<std::string> logs;
  for (const std::string& name : info->line_logs) logs.push_back(lake.state_dir() + "/" + name);
  return logs;
}

std::vector<const LandedFile*> FilesToApply(const std::vector<LandedFile>& landed, const Bookmarks& bookmarks,
                                            const Holds& holds) {
  std::vector<const LandedFile*> out;
  for (const LandedFile& f : landed) {
    const size_t t = static_cast<size_t>(f.table);
    if (f.sequence > bookmarks[t] && (holds[t] == 0 || f.sequence < holds[t])) out.push_back(&f);
  }
  return out;
}

Result<uint32_t> PassesFor(const std::vector<const LandedFile*>& files, uint64_t limit) {
  double bytes = 0;
  for (const LandedFile* f : files) {
    if (f->table != TableId::kSkus) bytes += static_cast<double>(f->decoded_bytes);
  }
  const double one_pass = kPeakPerDecodedByte * bytes;
  if (one_pass + static_cast<double>(kFixedPeakBytes) <= static_cast<double>(limit)) return 1u;
  const double room = static_cast<double>(limit) - static_cast<double>(kFixedPeakBytes);
  const double passes = room > 0 ? std::ceil(one_pass / room) : HUGE_VAL;
  if (passes > engine::kMaxBuckets) {
    return Status::InvalidArgument("a memory limit of " + std::to_string(limit >> 20) + " MiB is too small for " +
                                   std::to_string(static_cast<uint64_t>(bytes) >> 20) +
                                   " MiB of extracts: even " + std::to_string(engine::kMaxBuckets) +
                                   " passes would need more");
  }
  return static_cast<uint32_t>(passes);
}

Result<RunReport> Run(const Lake& lake, const RunOptions& options) {
  const auto run_start = Clock::now();
  if (options.partitions < 1 || options.partitions > engine::kMaxBuckets) {
    return Status::InvalidArgument("partitions must be between 1 and " + std::to_string(engine::kMaxBuckets));
  }
  if (options.partitions > 1 && options.base_state) {
    return Status::InvalidArgument("a partitioned run is a complete run: it cannot continue from a base state");
  }
  RunReport report;
  report.as_of = options.as_of;
  report.full_refresh = options.full_refresh;
  report.complete = !options.base_state.has_value();
  report.partitions = options.partitions;

  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();

  if (options.apply && !std::is_sorted(options.apply->begin(), options.apply->end())) {
    return Status::InvalidArgument("the landing sequences to apply must be sorted");
  }
  const std::string state_dir = options.state_dir.empty() ? lake.state_dir() : options.state_dir;
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return Status::IOError("cannot create " + state_dir + ": " + ec.message());

  duck::DatabaseOptions db_options;
  db_options.threads = options.threads;
  auto db = duck::Database::Open(db_options);
  if (!db.ok()) return db.status();

  engine::StateInfo base;
  engine::Ledger ledger;
  if (options.base_state) {
    const auto start = Clock::now();
    auto info = engine::LoadState(*options.base_state, ledger);
    if (!info.ok()) return Status::Corruption(std::string(kBaseUnusable) + info.status().message());
    base = std::move(*info);
    ledger.StartIncremental(base.bookmarks);
    report.base_as_of = base.as_of;
    report.stages.push_back({"load state", Seconds(start)});
  }
  report.bookmarks = base.bookmarks;
  std::vector<engine::SourceFile> files;
  std::vector<const LandedFile*> to_apply;
  if (options.apply) {
    for (const LandedFile& f : *landed) {
      if (std::binary_search(options.apply->begin(), options.apply->end(), f.sequence)) to_apply.push_back(&f);
    }
    if (to_apply.size() != options.apply->size()) {
      return Status::NotFound("a file the run is to apply again is no longer in the raw zone");
    }
  } else {
    to_apply = FilesToApply(*landed, base.bookmarks, options.holds);
  }
  for (const LandedFile* f : to_apply) {
    files.push_back(engine::SourceFile{f->path, f->source, f->table, static_cast<uint32_t>(f->sequence), {}, f->sha256});
    report.bytes_read += f->bytes;
    report.applied.push_back(f->sequence);
    uint32_t& b = report.bookmarks[static_cast<size_t>(f->table)];
    b = std::max(b, static_cast<uint32_t>(f->sequence));
  }
  for (const LandedFile& f : *landed) {
    const size_t t = static_cast<size_t>(f.table);
    if (options.holds[t] != 0 && f.sequence >= options.holds[t]) ++report.held[t];
  }
  report.files_read = files.size();

  if (options.partitions > 1) {
    LL_RETURN_IF_ERROR(RunPartitioned(lake, options, files, *landed, *db, report));
    report.total_seconds = Seconds(run_start);
    return report;
  }

  // Load, parents first, then compute. The state is saved on a thread of its own meanwhile: a complete run waits
  // for it and drops the Ledger before writing, so that its memory is not held twice; an incremental run, whose
  // Ledger holds only what it decoded, lets it go on while writing (the jthread joins on any way out).
  std::vector<contract::Reject> rejects;
  std::vector<engine::PendingRow> pending;
  engine::FeatureSet features;
  engine::StateInfo info;
  std::vector<uint32_t> order;
  Status saved;
  double save_seconds = 0;
  std::jthread saver;
  {
    const std::string log_name = options.token + ".lines";
    auto line_log = engine::LineLogWriter::Create(state_dir + "/" + log_name);
    if (!line_log.ok()) return line_log.status();
    ledger.LogLinesTo(line_log->get());
    LL_RETURN_IF_ERROR(LoadTables(files, ledger, rejects, engine::RowFilter(), options, "", report.stages));
    ledger.LogLinesTo(nullptr);
    LL_RETURN_IF_ERROR((*line_log)->Close());
    info = engine::StateInfo{options.as_of, report.bookmarks, base.line_logs};
    if ((*line_log)->lines() > 0) {
      info.line_logs.push_back(log_name);
    } else {
      fs::remove(state_dir + "/" + log_name, ec);
    }
    line_log->reset();
    if (options.base_state) {
      const auto start = Clock::now();
      std::vector<std::string> logs;
      for (const std::string& name : base.line_logs) logs.push_back(state_dir + "/" + name);
      const Status repriced = ledger.Reprice(logs);
      if (!repriced.ok()) return Status::Corruption(std::string(kBaseUnusable) + repriced.message());
      report.stages.push_back({"reprice", Seconds(start)});
      ledger.DecodeDue(options.as_of);  // base accounts whose rows D moving on changes
    }
    ledger.Finish();
    // Each run adds a line log; past kMaxLineLogs, the live lines of all of them go into one.
    if (info.line_logs.size() > kMaxLineLogs) {
      const auto start = Clock::now();
      const std::string compact_name = options.token + "-compact.lines";
      auto compact = engine::LineLogWriter::Create(state_dir + "/" + compact_name);
      if (!compact.ok()) return compact.status();
      std::vector<std::string> logs;
      for (const std::string& name : info.line_logs) logs.push_back(state_dir + "/" + name);
      const Status copied = ledger.CompactLines(logs, **compact);
      if (!copied.ok()) return Status::Corruption(std::string(kBaseUnusable) + copied.message());
      LL_RETURN_IF_ERROR((*compact)->Close());
      info.line_logs = {compact_name};
      report.stages.push_back({"compact line logs", Seconds(start)});
    }
    // Every base account this run decoded (compaction decodes all of them) decoded cleanly.
    if (!ledger.base_status().ok()) {
      return Status::Corruption(std::string(kBaseUnusable) + ledger.base_status().message());
    }
    for (TableId t : contract::kAllTables) report.tables[static_cast<size_t>(t)] = ledger.counts(t);
    report.repeated_line_items = ledger.repeated_line_items();
    pending = ledger.PendingRows();
    report.pending_total = pending.size();
    report.incomplete_invoices = IncompleteInvoices(ledger, pending, options.as_of);

    // The state is saved while the features are computed.
    const auto start = Clock::now();
    report.state_file = state_dir + "/" + options.token + ".state";
    for (const std::string& name : info.line_logs) report.line_logs.push_back(state_dir + "/" + name);
    // Both go through the invoices in (account, date, invoice) order: merged into the base's order when
    // incremental, sorted otherwise.
    order = engine::InvoiceOrder(ledger);
    const double order_seconds = Seconds(start);
    saver = std::jthread([&] {
      const auto save_start = Clock::now();
      saved = engine::SaveState(ledger, order, info, report.state_file);
      save_seconds = Seconds(save_start);
    });
    features = options.base_state ? engine::ComputeDelta(ledger, order, options.as_of, base.as_of)
                                  : engine::ComputeFeatures(ledger, order, options.as_of);
    report.warnings = features.warnings;
    report.deleted = features.deleted.size();
    report.stages.push_back({"features", Seconds(start)});
    report.stages.push_back({std::string(kInvoiceOrderStage), order_seconds});
    if (report.complete) {
      saver.join();
      LL_RETURN_IF_ERROR(saved);
      report.stages.push_back({std::string(kSaveStateStage), save_seconds});
      ledger = engine::Ledger();
      order = {};
    }
  }

  if (!options.write_datasets) {
    if (saver.joinable()) saver.join();
    LL_RETURN_IF_ERROR(saved);
    report.total_seconds = Seconds(run_start);
    return report;
  }
  // Write every dataset's file of partition D.
  const auto start = Clock::now();
  engine::InvoiceFeatures aif_rows, if_rows;
  if (!report.complete) {
    aif_rows = Select(features.invoices, features.changed, engine::kAccountInvoiceChanged);
    if_rows = Select(features.invoices, features.changed, engine::kInvoiceChanged);
  }
  const Outputs out{features.accounts, report.complete ? features.invoices : aif_rows,
                    report.complete ? features.invoices : if_rows, rejects, pending, features.deleted};
  LL_RETURN_IF_ERROR(WriteOutputs(lake, options, *db, out, files, *landed, options.token, false, report.datasets));
  report.stages.push_back({"write", Seconds(start)});
  if (saver.joinable()) {
    saver.join();
    LL_RETURN_IF_ERROR(saved);
    report.stages.push_back({std::string(kSaveStateStage), save_seconds});
  }
  report.total_seconds = Seconds(run_start);
  return report;
}

}  // namespace ledgerlake::lake
