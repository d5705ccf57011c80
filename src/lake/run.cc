#include "lake/run.h"

#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <thread>
#include <filesystem>
#include <fstream>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

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
#include "util/process.h"
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
// passes of a partitioned run apart in the progress display. `table_loaded` is called after each table.
Status LoadTables(const std::vector<engine::SourceFile>& files, engine::Ledger& ledger,
                  std::vector<contract::Reject>& rejects, const engine::RowFilter& filter, const RunOptions& options,
                  const std::string& label, std::vector<StageTime>& stages, engine::Spill* spill = nullptr,
                  const std::function<void(TableId)>& table_loaded = {}) {
  for (TableId t : contract::kAllTables) {
    const auto start = Clock::now();
    const std::string stage = "load " + std::string(contract::TableName(t));
    engine::ProgressFn progress;
    if (options.progress) {
      progress = [&](TableId, uint64_t done, uint64_t total) { options.progress(stage + label, done, total); };
    }
    LL_RETURN_IF_ERROR(engine::LoadTable(t, files, ledger, rejects, progress, filter, spill));
    AddStage(stages, stage, Seconds(start));
    if (table_loaded) table_loaded(t);
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
  // the datasets themselves are written side by side, one connection per worker, the largest first (so that the
  // last one written alone is a small one).
  std::vector<size_t> largest_first(tables.size());
  std::iota(largest_first.begin(), largest_first.end(), size_t{0});
  auto cells = [&](size_t t) { return tables[t].second.rows * tables[t].second.columns.size(); };
  std::stable_sort(largest_first.begin(), largest_first.end(), [&](size_t x, size_t y) { return cells(x) > cells(y); });
  std::atomic<size_t> next{0}, written{0};
  std::vector<Status> status(tables.size());
  std::vector<std::string> checksums(tables.size());
  auto worker = [&] {
    auto conn = duck::Connection::Open(db);
    for (size_t n = next++; n < tables.size(); n = next++) {
      const size_t i = largest_first[n];
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

// The manifest's JSON (docs/formats.md).
nlohmann::json ManifestJson(const StateManifest& m) {
  nlohmann::json bookmarks = nlohmann::json::array();
  for (uint32_t b : m.bookmarks) bookmarks.push_back(b);
  return {{"format", StateManifest::kFormat},
          {"feature_definitions", m.feature_definitions},
          {"as_of", FormatIsoDate(m.as_of)},
          {"buckets", m.buckets},
          {"bookmarks", bookmarks},
          {"bucket_states", m.bucket_states},
          {"routes", m.routes}};
}

// The files one pass reads: the landed files in pass 0 (which spills the other buckets' rows), bucket k's spill
// in pass k > 0 (skus: the landed files in every pass).
std::vector<engine::SourceFile> PassFiles(const std::vector<engine::SourceFile>& files, uint32_t bucket,
                                          const engine::Spill* spill) {
  std::vector<engine::SourceFile> pass = files;
  if (bucket == 0 || spill == nullptr) return pass;
  for (uint32_t i = 0; i < pass.size(); ++i) {
    engine::SourceFile& f = pass[i];
    if (f.table == TableId::kSkus) continue;  // every pass reads the skus' landed files
    const bool spilled = spill->Has(i, bucket);
    f.path = spilled ? spill->CsvPath(i, bucket) : "";
    f.line_map = spilled ? spill->LineMapPath(i, bucket) : "";
    f.sha256.clear();  // pass 0 checked the landed file; a spill is not the landed bytes
  }
  return pass;
}

// One pass of a run: loads bucket `bucket` (from its base state when incremental), applies the pass's rows,
// computes its features, saves its state and writes its files. Accumulates into `report`. In two steps: Prepare
// (load, apply, resolve) touches nothing shared, so that the next incremental pass can prepare on a thread of its
// own while this one completes (computes, saves and writes); Complete adds what a prepared pass counted to the
// report, in bucket order.
class Pass {
 public:
  Pass(const Lake& lake, const RunOptions& options, const std::string& state_dir, duck::Database& db,
       RunReport& report)
      : lake_(lake), options_(options), state_dir_(state_dir), db_(db), report_(report) {}

  // A bucket with its rows applied and resolved, and what preparing it counted and took.
  struct Prepared {
    uint32_t bucket = 0;
    std::optional<engine::FinishedLedger> finished;
    engine::StateInfo info;
    std::vector<contract::Reject> rejects;
    std::vector<StageTime> stages;
    std::optional<std::vector<uint32_t>> order;  // the invoice order, when sorted while the line items loaded
    double order_wait = 0;                       // then, how long the pass waited for it
  };

  // Loads bucket `bucket` of `buckets`, continuing `base_state` (a bucket state file) when given, and applies its
  // rows. Reads the report's bookmarks only (set before the passes).
  Result<Prepared> Prepare(uint32_t bucket, uint32_t buckets, const std::optional<std::string>& base_state,
                           const std::vector<engine::SourceFile>& files, const engine::RowFilter& filter,
                           engine::Spill* spill) const {
    Prepared p;
    p.bucket = bucket;
    const std::string label = buckets > 1 ? " (" + std::to_string(bucket + 1) + "/" + std::to_string(buckets) + ")" : "";
    const std::string suffix = Suffix(bucket, buckets);
    engine::Ledger ledger;
    // A Ledger of extracts alone has its invoice order sorted beside the line items (engine/invoice_order.h).
    // Declared after the Ledger, so that an early return waits for it before the Ledger goes.
    std::optional<engine::InvoiceOrderAhead> ahead;
    std::vector<std::string> base_logs;
    if (base_state) {
      const auto start = Clock::now();
      auto loaded = engine::LoadState(*base_state);
      if (!loaded.ok()) return loaded.status();
      ledger = std::move(loaded->ledger);
      base_logs = std::move(loaded->info.line_logs);
      AddStage(p.stages, "load state", Seconds(start));
    }
    // Applies this pass's rows, logging its line items for later repricing.
    const std::string log_name = options_.token + suffix + ".lines";
    auto line_log = engine::LineLogWriter::Create(state_dir_ + "/" + log_name);
    if (!line_log.ok()) return line_log.status();
    ledger.LogLinesTo(line_log->get());
    LL_RETURN_IF_ERROR(LoadTables(PassFiles(files, bucket, spill), ledger, p.rejects, filter, options_, label,
                                  p.stages, bucket == 0 ? spill : nullptr, [&](TableId t) {
                                    if (t == TableId::kInvoices && !base_state) ahead.emplace(ledger);
                                  }));
    if (ahead) {
      const auto start = Clock::now();
      p.order = ahead->Take();
      p.order_wait = Seconds(start);  // what the line items' load did not hide
    }
    if (spill != nullptr) spill->RemoveBucket(bucket);
    LL_RETURN_IF_ERROR((*line_log)->Close());
    p.info.as_of = options_.as_of;
    p.info.bookmarks = report_.bookmarks;
    p.info.line_logs = base_logs;
    std::error_code ec;
    if ((*line_log)->lines() > 0) {
      p.info.line_logs.push_back(log_name);
    } else {
      fs::remove(state_dir_ + "/" + log_name, ec);
    }
    line_log->reset();

    const auto finish_start = Clock::now();
    auto finishing = engine::FinishedLedger::Finish(std::move(ledger), engine::FinishOptions{options_.as_of, Paths(base_logs)});
    if (!finishing.ok()) return finishing.status();
    p.finished.emplace(std::move(*finishing));
    if (base_state) AddStage(p.stages, "reprice", Seconds(finish_start));
    // Each run adds a line log; past kMaxLineLogs, the live lines of all of them go into one.
    if (p.info.line_logs.size() > kMaxLineLogs) {
      const auto start = Clock::now();
      const std::string compact_name = options_.token + suffix + "-compact.lines";
      auto compact = engine::LineLogWriter::Create(state_dir_ + "/" + compact_name);
      if (!compact.ok()) return compact.status();
      LL_RETURN_IF_ERROR(p.finished->CompactLines(Paths(p.info.line_logs), **compact));
      LL_RETURN_IF_ERROR((*compact)->Close());
      p.info.line_logs = {compact_name};
      AddStage(p.stages, "compact line logs", Seconds(start));
    }
    return p;
  }

  // Computes, saves and writes a prepared bucket; returns the file name of its new state, and adds its orphan
  // invoices to `orphans`.
  Result<std::string> Complete(Prepared prepared, const std::vector<engine::SourceFile>& files,
                               const std::vector<LandedFile>& landed, std::vector<int64_t>& orphans) {
    const uint32_t bucket = prepared.bucket;
    for (const StageTime& st : prepared.stages) AddStage(report_.stages, st.name, st.seconds);
    std::optional<engine::FinishedLedger>& finished = prepared.finished;
    const bool continued = finished->base_as_of().has_value();  // from a base state
    const engine::Ledger& l = finished->ledger();
    for (TableId t : contract::kAllTables) {
      // Every pass loads every sku; their fates count once, in pass 0 (engine/partitioning.h).
      if (t == TableId::kSkus && bucket != 0) continue;
      report_.tables[static_cast<size_t>(t)] += l.counts(t);
    }
    report_.repeated_line_items += l.repeated_line_items();
    std::vector<engine::PendingRow> pending = l.PendingRows();
    report_.pending_total += pending.size();
    report_.incomplete_invoices += IncompleteInvoices(l, pending, options_.as_of);
    const std::vector<int64_t> own_orphans = l.OrphanInvoices();
    orphans.insert(orphans.end(), own_orphans.begin(), own_orphans.end());

    // The state is saved on a thread of its own while the features are computed. A complete pass waits for it and
    // drops the Ledger before writing, so that its memory is not held twice. An incremental pass, whose Ledger
    // holds only what it decoded, lets it go on while it writes and while the next pass loads and applies its
    // rows: at most one save is left running, joined before the next one starts (and by Finish).
    const std::string state_name = options_.token + Suffix(bucket, report_.partitions) + ".state";
    const auto start = Clock::now();
    std::vector<uint32_t> order = prepared.order ? std::move(*prepared.order) : engine::InvoiceOrder(*finished);
    auto save = std::make_unique<BackgroundSave>(std::move(*finished), std::move(order));
    finished.reset();
    const double order_seconds = Seconds(start) + prepared.order_wait;
    if (continued) LL_RETURN_IF_ERROR(Finish());  // the previous pass's save
    save->Start(prepared.info, state_dir_ + "/" + state_name, engine::SaveOptions{options_.overlay_share});
    engine::FeatureSet features;
    if (continued) {
      auto delta = engine::ComputeDelta(save->finished, save->order);
      if (!delta.ok()) return delta.status();
      features = std::move(*delta);
    } else {
      features = engine::ComputeFeatures(save->finished, save->order);
    }
    AddStage(report_.stages, "features", Seconds(start) + prepared.order_wait);
    AddStage(report_.stages, std::string(kInvoiceOrderStage), order_seconds);
    saving_ = std::move(save);
    if (!continued) LL_RETURN_IF_ERROR(Finish());  // frees the Ledger before the write
    LL_RETURN_IF_ERROR(WritePass(bucket, features, prepared.rejects, pending, files, landed));
    return state_name;
  }

  // Waits for the state being saved in the background, if any, and says how it went.
  Status Finish() {
    if (saving_ == nullptr) return Status::OK();
    saving_->thread.join();
    const Status saved = saving_->status;
    AddStage(report_.stages, std::string(kSaveStateStage), saving_->seconds);
    saving_.reset();
    return saved;
  }

 private:
  // A finished bucket being saved on a thread of its own; the thread is joined before the rest goes.
  struct BackgroundSave {
    BackgroundSave(engine::FinishedLedger f, std::vector<uint32_t> o) : finished(std::move(f)), order(std::move(o)) {}
    void Start(const engine::StateInfo& info, const std::string& path, const engine::SaveOptions& options) {
      thread = std::jthread([this, info, path, options] {
        const auto save_start = Clock::now();
        status = engine::SaveState(finished, order, info, path, options);
        seconds = Seconds(save_start);
      });
    }
    engine::FinishedLedger finished;
    std::vector<uint32_t> order;
    Status status;
    double seconds = 0;
    std::jthread thread;  // declared last: joined (destroyed) first
  };
  std::unique_ptr<BackgroundSave> saving_;

 private:
  Status WritePass(uint32_t bucket, const engine::FeatureSet& features, const std::vector<contract::Reject>& rejects,
                   const std::vector<engine::PendingRow>& pending, const std::vector<engine::SourceFile>& files,
                   const std::vector<LandedFile>& landed) {
    report_.warnings.invoices_before_joining += features.warnings.invoices_before_joining;
    report_.warnings.totals_out_of_range += features.warnings.totals_out_of_range;
    report_.deleted += features.deleted.size();
    if (!options_.write_datasets) return Status::OK();
    const auto start = Clock::now();
    engine::InvoiceFeatures aif_rows, if_rows;
    if (!report_.complete) {
      aif_rows = Select(features.invoices, features.changed, engine::kAccountInvoiceChanged);
      if_rows = Select(features.invoices, features.changed, engine::kInvoiceChanged);
    }
    const Outputs out{features.accounts, report_.complete ? features.invoices : aif_rows,
                      report_.complete ? features.invoices : if_rows, rejects, pending, features.deleted};
    const std::string token = report_.partitions > 1 ? options_.token + "-" + std::to_string(bucket) : options_.token;
    LL_RETURN_IF_ERROR(WriteOutputs(lake_, options_, db_, out, files, landed, token, bucket != 0, report_.datasets));
    AddStage(report_.stages, "write", Seconds(start));
    return Status::OK();
  }

  // Of a bucket's state files' names: "-b<k>" with several buckets.
  static std::string Suffix(uint32_t bucket, uint32_t buckets) { return buckets > 1 ? "-b" + std::to_string(bucket) : ""; }
  std::vector<std::string> Paths(const std::vector<std::string>& names) const {
    std::vector<std::string> out;
    for (const std::string& name : names) out.push_back(state_dir_ + "/" + name);
    return out;
  }

  const Lake& lake_;
  const RunOptions& options_;
  const std::string& state_dir_;
  duck::Database& db_;
  RunReport& report_;
};

// Whether a run's next bucket is prepared while the current one completes (Run). Passes that continue a state may
// overlap; complete passes, whose Ledgers hold their whole bucket, never do. Two prepared buckets then live at
// once, so under a memory limit the passes overlap only where the memory measured so far leaves room: bucket 0 and
// the preparing of bucket 1 run alone and are measured (VmHWM, and what a prepare alone added to VmRSS); then
// bucket k+1 is prepared beside bucket k when the peak so far, plus 1.25x that growth (0.25x once passes have
// overlapped, their peak holding one already), fits the limit. Without a limit, they always overlap.
class OverlapGate {
 public:
  OverlapGate(bool continues_state, uint32_t buckets, uint64_t memory_limit)
      : may_(continues_state && buckets > 1), buckets_(buckets), limit_(memory_limit) {}

  // Runs prepare() with nothing beside it, measuring what it adds to the resident memory.
  template <typename F>
  auto Alone(F&& prepare) {
    const auto before = OwnResidentMemory();
    auto prepared = prepare();
    const auto after = OwnResidentMemory();
    if (before && after && after->now > before->now) growth_ = std::max(growth_, after->now - before->now);
    return prepared;
  }

  // Whether bucket + 1 is to be prepared while `bucket` completes, `overlapped` passes having overlapped so far.
  bool Overlaps(uint32_t bucket, uint32_t overlapped) const {
    if (!may_ || bucket + 1 >= buckets_) return false;
    if (limit_ == 0) return true;
    if (bucket == 0 || growth_ == 0) return false;
    const auto memory = OwnResidentMemory();
    const uint64_t room = overlapped > 0 ? growth_ / 4 : growth_ + growth_ / 4;
    return memory && memory->peak + room <= limit_;
  }

  // Whether any two passes may run at once (progress callbacks must then be serialized).
  bool may_overlap() const { return may_; }

 private:
  const bool may_;
  const uint32_t buckets_;
  const uint64_t limit_;
  uint64_t growth_ = 0;  // the most resident memory a prepare run alone added
};

}  // namespace

Status WriteManifest(const StateManifest& manifest, const std::string& path) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << ManifestJson(manifest).dump(2) << "\n";
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<StateManifest> ReadManifest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::UnusableCache("cannot read the state " + path + ": " + std::strerror(errno));
  const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  auto bad = [&](const std::string& why) { return Status::UnusableCache("the state " + path + " " + why); };
  if (j.is_discarded() || !j.is_object()) return bad("is not a state manifest (a damaged file)");
  if (j.value("format", 0) != StateManifest::kFormat) {
    return bad("has format " + std::to_string(j.value("format", 0)) + ", not " + std::to_string(StateManifest::kFormat));
  }
  StateManifest m;
  m.feature_definitions = j.value("feature_definitions", 0);
  if (m.feature_definitions != engine::kFeatureDefinitions) {
    return bad("was made under feature definitions " + std::to_string(m.feature_definitions) + ", not " +
               std::to_string(engine::kFeatureDefinitions));
  }
  const auto as_of = ParseIsoDate(j.value("as_of", std::string()));
  const auto buckets = j.value("buckets", uint32_t{0});
  const auto& bookmarks = j.contains("bookmarks") ? j["bookmarks"] : nlohmann::json();
  if (!as_of || buckets == 0 || !bookmarks.is_array() || bookmarks.size() != contract::kTableCount ||
      !j.contains("bucket_states") || !j["bucket_states"].is_array() || j["bucket_states"].size() != buckets) {
    return bad("is not a complete state manifest (a damaged file)");
  }
  m.as_of = *as_of;
  m.buckets = buckets;
  for (size_t t = 0; t < contract::kTableCount; ++t) m.bookmarks[t] = bookmarks[t].get<uint32_t>();
  m.bucket_states = j["bucket_states"].get<std::vector<std::string>>();
  m.routes = j.value("routes", std::string());
  if (buckets > 1 && m.routes.empty()) return bad("has no routes for its buckets");
  return m;
}

std::vector<std::string> StateFiles(const std::string& manifest_path) {
  std::vector<std::string> files = {manifest_path};
  auto manifest = ReadManifest(manifest_path);
  if (!manifest.ok()) return files;
  const std::string dir = fs::path(manifest_path).parent_path().string();
  if (!manifest->routes.empty()) files.push_back(dir + "/" + manifest->routes);
  for (const std::string& state : manifest->bucket_states) {
    files.push_back(dir + "/" + state);
    auto info = engine::ReadStateInfo(dir + "/" + state);
    if (!info.ok()) continue;
    if (!info->base.empty()) files.push_back(dir + "/" + info->base);  // the complete state an overlay lies over
    for (const std::string& log : info->line_logs) files.push_back(dir + "/" + log);
  }
  return files;
}

uint64_t ExpectedPeak(const std::vector<const LandedFile*>& files, uint32_t passes, uint64_t base_bytes) {
  double bytes = 0;
  for (const LandedFile* f : files) {
    if (f->table != TableId::kSkus) bytes += static_cast<double>(f->decoded_bytes);
  }
  const double per_pass = (kPeakPerDecodedByte * bytes + static_cast<double>(base_bytes)) / std::max(1u, passes);
  return kFixedPeakBytes + static_cast<uint64_t>(per_pass);
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
  const uint32_t buckets = options.passes;
  if (buckets < 1 || buckets > engine::kMaxBuckets) {
    return Status::InvalidArgument("passes must be between 1 and " + std::to_string(engine::kMaxBuckets));
  }
  if (!std::is_sorted(options.apply.begin(), options.apply.end())) {
    return Status::InvalidArgument("the landing sequences to apply must be sorted");
  }
  RunReport report;
  report.as_of = options.as_of;
  report.full_refresh = options.full_refresh;
  report.complete = !options.base.has_value();
  report.partitions = buckets;
  const std::string state_dir = options.state_dir.empty() ? lake.state_dir() : options.state_dir;
  std::error_code ec;
  fs::create_directories(state_dir, ec);
  if (ec) return Status::IOError("cannot create " + state_dir + ": " + ec.message());

  // The base: its manifest, which must have as many buckets as this run has passes.
  std::optional<StateManifest> base;
  std::string base_dir;
  if (options.base) {
    auto manifest = ReadManifest(*options.base);
    if (!manifest.ok()) return manifest.status();
    if (manifest->buckets != buckets) {
      return Status::UnusableCache("the state " + *options.base + " has " + std::to_string(manifest->buckets) +
                                   " buckets, this run " + std::to_string(buckets) + " passes");
    }
    base = std::move(*manifest);
    base_dir = fs::path(*options.base).parent_path().string();
    report.base_as_of = base->as_of;
    report.bookmarks = base->bookmarks;
  }

  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();
  std::vector<engine::SourceFile> files;
  for (const LandedFile& f : *landed) {
    if (!std::binary_search(options.apply.begin(), options.apply.end(), f.sequence)) continue;
    files.push_back(engine::SourceFile{f.path, f.source, f.table, static_cast<uint32_t>(f.sequence), {}, f.sha256});
    report.bytes_read += f.bytes;
    report.applied.push_back(f.sequence);
    uint32_t& b = report.bookmarks[static_cast<size_t>(f.table)];
    b = std::max(b, static_cast<uint32_t>(f.sequence));
  }
  if (files.size() != options.apply.size()) {
    return Status::NotFound("a file the run is to apply is not in the raw zone");
  }
  report.files_read = files.size();

  duck::DatabaseOptions db_options;
  db_options.threads = options.threads;
  db_options.memory_limit = options.duck_memory_limit;
  auto db = duck::Database::Open(db_options);
  if (!db.ok()) return db.status();

  // Routes (more than one bucket): the base's, with this run's invoice rows over them; an invoice this run moves
  // to another bucket cannot be continued from the base's buckets.
  std::optional<engine::SavedRoutes> base_routes;
  if (base && buckets > 1) {
    auto loaded = engine::LoadRoutes(base_dir + "/" + base->routes);
    if (!loaded.ok()) return loaded.status();
    base_routes = std::move(*loaded);
  }
  engine::Routing routing(buckets, base_routes ? &base_routes->routes : nullptr);
  std::unique_ptr<engine::Spill> spill;
  if (buckets > 1) {
    const auto start = Clock::now();
    engine::Ledger unused;
    std::vector<contract::Reject> none;
    engine::ProgressFn progress;
    if (options.progress) {
      progress = [&](TableId, uint64_t done, uint64_t total) { options.progress("route invoices", done, total); };
    }
    LL_RETURN_IF_ERROR(
        engine::LoadTable(TableId::kInvoices, files, unused, none, progress, engine::RowFilter::Recording(routing)));
    AddStage(report.stages, "route invoices", Seconds(start));
    if (base_routes) {
      const std::vector<int64_t> moves = routing.Moves(base_routes->orphans);
      if (!moves.empty()) {
        return Status::UnusableCache(std::to_string(moves.size()) + " invoice" + (moves.size() == 1 ? "" : "s") +
                                     " (invoice " + std::to_string(moves.front()) +
                                     " first) move to another bucket of accounts, which continuing the state by "
                                     "bucket cannot follow");
      }
    }
    auto created = engine::Spill::Create(lake.tmp_dir() + "/" + options.token + "-spill", buckets);
    if (!created.ok()) return created.status();
    spill = std::move(*created);
  }

  StateManifest manifest;
  manifest.as_of = options.as_of;
  manifest.buckets = buckets;
  manifest.bookmarks = report.bookmarks;
  std::vector<int64_t> orphans;
  // Bucket k+1 may be prepared (loaded and applied, on a thread of its own) while bucket k is completed (computed,
  // saved, written) on this one: OverlapGate says when. Progress may then come from two threads.
  OverlapGate gate(base.has_value(), buckets, options.memory_limit);
  RunOptions pass_options = options;
  std::mutex progress_mu;
  if (gate.may_overlap() && options.progress) {
    pass_options.progress = [&](std::string_view stage, uint64_t done, uint64_t total) {
      std::lock_guard lock(progress_mu);
      options.progress(stage, done, total);
    };
  }
  Pass pass(lake, pass_options, state_dir, *db, report);
  std::vector<engine::RowFilter> filters;
  for (uint32_t bucket = 0; bucket < buckets; ++bucket) {
    filters.push_back(buckets > 1 ? engine::RowFilter::Bucket(routing, bucket) : engine::RowFilter());
  }
  auto prepare = [&](uint32_t bucket) {
    std::optional<std::string> base_state;
    if (base) base_state = base_dir + "/" + base->bucket_states[bucket];
    return pass.Prepare(bucket, buckets, base_state, files, filters[bucket], spill.get());
  };
  Result<Pass::Prepared> prepared = gate.Alone([&] { return prepare(0); });
  for (uint32_t bucket = 0; bucket < buckets; ++bucket) {
    if (!prepared.ok()) return prepared.status();
    const bool overlap = gate.Overlaps(bucket, report.overlapped_passes);
    std::optional<Result<Pass::Prepared>> next;
    std::thread preparing;
    if (overlap) preparing = std::thread([&] { next.emplace(prepare(bucket + 1)); });
    auto state = pass.Complete(std::move(*prepared), files, *landed, orphans);
    if (preparing.joinable()) preparing.join();
    if (!state.ok()) return state.status();
    manifest.bucket_states.push_back(*state);
    if (overlap) ++report.overlapped_passes;
    if (bucket + 1 < buckets) prepared = overlap ? std::move(*next) : gate.Alone([&] { return prepare(bucket + 1); });
  }
  LL_RETURN_IF_ERROR(pass.Finish());
  if (buckets > 1) {
    std::sort(orphans.begin(), orphans.end());
    manifest.routes = options.token + ".routes";
    LL_RETURN_IF_ERROR(engine::SaveRoutes(routing.Merged(), orphans, state_dir + "/" + manifest.routes));
  }
  report.state_file = state_dir + "/" + options.token + ".manifest";
  LL_RETURN_IF_ERROR(WriteManifest(manifest, report.state_file));
  report.total_seconds = Seconds(run_start);
  return report;
}

}  // namespace ledgerlake::lake
