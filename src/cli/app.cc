#include "cli/app.h"

#include <malloc.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <charconv>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <cstring>
#include <sstream>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include "catalog/catalog.h"
#include "catalog/crawler.h"
#include "catalog/verify.h"
#include "cli/catalog_view.h"
#include "cli/summary.h"
#include "contract/schema.h"
#include "duck/database.h"
#include "duck/format.h"
#include "engine/partitioning.h"
#include "engine/state.h"
#include "job/backfill.h"
#include "job/ingest.h"
#include "job/manage.h"
#include "job/repair.h"
#include "job/run_job.h"
#include "gen/generator.h"
#include "lake/datasets.h"
#include "lake/landing.h"
#include "lake/partition.h"
#include "lake/run.h"
#include "lake/source_tables.h"
#include "lake/views.h"
#include "query/sandbox.h"
#include "serve/config.h"
#include "serve/service.h"

namespace ledgerlake::cli {

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitHeldBack = 3;  // run: done, but a table was held back by a breaking schema change

// Prints the reason: one line, "ledgerlake: <why>". DuckDB's errors go on with a hint ("Candidate bindings: ...")
// and the statement with a caret under the place: those lines follow, as DuckDB wrote them.
int Fail(const Status& st) {
  const std::string& m = st.message();
  const size_t eol = m.find('\n');
  std::fprintf(stderr, "ledgerlake: %s\n", (eol == std::string::npos ? m : m.substr(0, eol)).c_str());
  if (eol != std::string::npos) {
    std::string rest = m.substr(eol + 1);
    while (!rest.empty() && rest.back() == '\n') rest.pop_back();
    size_t start = rest.find_first_not_of('\n');
    if (start != std::string::npos) std::fprintf(stderr, "%s\n", rest.substr(start).c_str());
  }
  return st.code() == Status::Code::kUsage ? kExitUsage : kExitFailure;
}

// A one-line progress indicator on stderr, only when stderr is a terminal; redrawn at most ten times a second.
class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO) == 1) {}
  ~Progress() { Clear(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Update(std::string_view stage, uint64_t done, uint64_t total) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (stage == stage_ && now - last_ < std::chrono::milliseconds(100)) return;
    stage_ = std::string(stage);
    last_ = now;
    const double pct = total == 0 ? 100.0 : std::min(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total));
    std::fprintf(stderr, "\r\033[K  %-28s %5.1f%%", stage_.c_str(), pct);
    std::fflush(stderr);
    shown_ = true;
  }
  void Clear() {
    if (enabled_ && shown_) std::fprintf(stderr, "\r\033[K");
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::string stage_;
  std::chrono::steady_clock::time_point last_{};
};

Result<DayNumber> ParseDateOption(const std::string& text, const char* what) {
  const auto d = ParseIsoDate(text);
  if (!d) return Status::Usage(std::string(what) + " must be a date YYYY-MM-DD, got '" + text + "'");
  return *d;
}

void SayWaiting() { std::fprintf(stderr, "ledgerlake: another ledgerlake process holds the lake; waiting for it\n"); }

// The writers' lock: wait for it (saying so), or with --no-wait give up at once.
bool g_no_wait = false;
Result<lake::LakeLock> LockLake(const lake::Lake& lake) {
  return g_no_wait ? lake::LakeLock::TryAcquire(lake) : lake::LakeLock::Acquire(lake, SayWaiting);
}

void Print(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// The catalog of `lake`, with every landed file registered (using the crawl profiles in `profiled`, by landing
// sequence, instead of reading those files again).
Result<catalog::Catalog> OpenCatalog(const lake::Lake& lake,
                                     const std::unordered_map<uint64_t, catalog::FileProfile>* profiled = nullptr) {
  auto cat = catalog::Catalog::Open(lake);
  if (!cat.ok()) return cat.status();
  LL_RETURN_IF_ERROR(cat->Sync(lake, profiled));
  return cat;
}

// The catalog for the commands that only show it: registered up to date when this user may write the lake,
// else read as it stands.
Result<catalog::Catalog> OpenCatalogToShow(const lake::Lake& lake) {
  if (query::MayWriteCatalog(lake)) return OpenCatalog(lake);
  return catalog::Catalog::OpenForReading(lake);
}

// Prints the schema changes the files just landed caused: new compatible versions as notes, breaking changes as
// warnings (the files are landed all the same: raw is immutable; run holds the table back until superseded).
Status PrintSchemaChanges(catalog::Catalog& cat, const std::vector<lake::LandedFile>& landed) {
  std::set<uint64_t> fresh;
  for (const lake::LandedFile& f : landed) {
    if (f.newly_landed) fresh.insert(f.sequence);
  }
  if (fresh.empty()) return Status::OK();
  auto versions = cat.Versions();
  if (!versions.ok()) return versions.status();
  for (const catalog::SchemaVersion& v : *versions) {
    if (!fresh.count(v.file_sequence) || v.change != catalog::ChangeKind::kCompatible) continue;
    std::printf("schema   %s version %d (compatible): %s (from %s)\n", v.table.c_str(), v.version, v.detail.c_str(),
                v.source.c_str());
  }
  auto breaking = cat.BreakingChanges(/*include_superseded=*/true);
  if (!breaking.ok()) return breaking.status();
  for (const catalog::BreakingChange& b : *breaking) {
    if (!fresh.count(b.file_sequence)) continue;
    if (b.superseded) {
      std::printf("note: breaking schema change, already superseded by a later %s extract: %s\n", b.table.c_str(),
                  BreakingLine(b).c_str());
    } else {
      std::printf("warning: breaking schema change: %s; `ledgerlake run` holds %s back until a later %s extract without "
                  "it is ingested\n",
                  BreakingLine(b).c_str(), b.table.c_str(), b.table.c_str());
    }
  }
  return Status::OK();
}

int CmdInit(const std::string& lake_dir) {
  auto lake = lake::Lake::Init(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto cat = catalog::Catalog::Open(*lake);
  if (!cat.ok()) return Fail(cat.status());
  std::printf("lake ready at %s\n", lake_dir.c_str());
  return 0;
}

int CmdIngest(const std::string& lake_dir, const std::vector<std::string>& inputs, const std::string& table_name) {
  std::optional<contract::TableId> table;
  if (!table_name.empty()) table = contract::TableFromName(table_name);
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto lock = LockLake(*lake);
  if (!lock.ok()) return Fail(lock.status());
  auto ingested = job::Ingest(*lock, *lake, inputs, table);
  if (!ingested.ok()) return Fail(ingested.status());
  const std::vector<lake::LandedFile>* landed = &ingested->landed;
  size_t fresh = 0;
  for (const lake::LandedFile& f : *landed) {
    fresh += f.newly_landed ? 1 : 0;
    std::printf("%-8s %-20s %12llu bytes  %s\n", f.newly_landed ? "landed" : "present",
                std::string(contract::TableName(f.table)).c_str(), static_cast<unsigned long long>(f.bytes),
                f.source.c_str());
    if (!f.unknown_columns.empty()) {
      constexpr size_t kShown = 10;  // a header of thousands of columns is no note
      std::string cols;
      for (size_t i = 0; i < f.unknown_columns.size() && i < kShown; ++i) {
        cols += (cols.empty() ? "" : ", ") + f.unknown_columns[i];
      }
      if (f.unknown_columns.size() > kShown) cols += " and " + std::to_string(f.unknown_columns.size() - kShown) + " more";
      std::printf("         note: %zu extra column%s kept in the raw zone, not used: %s\n", f.unknown_columns.size(),
                  f.unknown_columns.size() == 1 ? "" : "s", cols.c_str());
    }
  }
  std::printf("%zu new, %zu already in the lake\n", fresh, landed->size() - fresh);
  Status st = ingested->catalog ? PrintSchemaChanges(*ingested->catalog, *landed) : ingested->registration;
  if (!st.ok()) {
    return Fail(Status::IOError("the files are landed but the catalog could not register them (the next command "
                                "will retry): " + st.message()));
  }
  return 0;
}

// Rewrites the partitions of `damaged` from the raw zone (verify --repair); false when a repair failed.
bool Repair(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat,
            const std::vector<catalog::Damage>& damaged,
            std::vector<job::RepairedPartition>* repaired, std::string* error) {
  Progress progress;
  auto done = job::RepairPartitions(
      lock, lake, cat, damaged, "repair-" + std::to_string(catalog::NowUnixMs()) + "-" + std::to_string(::getpid()),
      [&](std::string_view stage, uint64_t d, uint64_t t) { progress.Update(stage, d, t); });
  progress.Clear();
  if (!done.ok()) {
    *error = done.status().message();
    return false;
  }
  *repaired = std::move(*done);
  return true;
}

// The --as-of option: absent when not given.
Result<std::optional<DayNumber>> ParseAsOf(const std::string& text) {
  if (text.empty()) return std::optional<DayNumber>();
  auto d = ParseDateOption(text, "--as-of");
  if (!d.ok()) return d.status();
  return std::optional<DayNumber>(*d);
}

// The plan of a run, as `run --dry-run` prints it.
std::string PlanText(const job::RunPlan& plan) {
  std::string out = fmt::format("run as of {}: {} ({})\n", FormatIsoDate(plan.as_of), job::KindName(plan.kind),
                                plan.reason);
  if (plan.kind == job::RunPlan::Kind::kNothingToApply) return out;
  uint64_t bytes = 0;
  for (const lake::LandedFile& f : plan.apply) bytes += f.bytes;
  out += fmt::format("passes: {} ({}); the memory model expects a peak of {} MiB\n", plan.passes, plan.passes_reason,
                     (plan.expected_peak_bytes + (1 << 19)) >> 20);
  out += fmt::format("files to apply: {} ({:.1f} MB)\n", plan.apply.size(), static_cast<double>(bytes) / 1e6);
  for (const lake::LandedFile& f : plan.apply) {
    out += fmt::format("  {:>8}  {:<20} {:>12} bytes  {}\n", f.sequence, contract::TableName(f.table), f.bytes, f.source);
  }
  for (const job::HeldTable& h : plan.held) out += fmt::format("{} ({} files)\n", h.message, h.files);
  for (const catalog::Damage& d : plan.damaged) out += "repairs first: " + catalog::DamageLine(d) + "\n";
  return out;
}

std::string PlanJson(const job::RunPlan& plan) {
  nlohmann::ordered_json j;
  j["as_of"] = FormatIsoDate(plan.as_of);
  j["kind"] = std::string(job::KindName(plan.kind));
  j["reason"] = plan.reason;
  if (plan.base) j["base"] = {{"run_id", plan.base->run_id}, {"as_of", FormatIsoDate(plan.base->day)}};
  j["passes"] = plan.passes;
  j["passes_reason"] = plan.passes_reason;
  j["memory_limit_bytes"] = plan.memory_limit;
  j["expected_peak_bytes"] = plan.expected_peak_bytes;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const lake::LandedFile& f : plan.apply) {
    files.push_back({{"sequence", f.sequence},
                     {"table", std::string(contract::TableName(f.table))},
                     {"bytes", f.bytes},
                     {"source", f.source}});
  }
  j["apply"] = files;
  nlohmann::ordered_json held = nlohmann::ordered_json::array();
  for (const job::HeldTable& h : plan.held) held.push_back({{"table", h.table}, {"files", h.files}, {"message", h.message}});
  j["held"] = held;
  nlohmann::ordered_json damaged = nlohmann::ordered_json::array();
  for (const catalog::Damage& d : plan.damaged) damaged.push_back(catalog::DamageLine(d));
  j["repairs_first"] = damaged;
  return j.dump(2) + "\n";
}

struct RunCommand {
  std::string as_of;
  std::string from;  // a backfill: --from and --to
  std::string to;
  bool missing = false;  // the backfill's days without a committed run only
  bool json = false;
  bool full_refresh = false;
  uint32_t partitions = 0;
  uint64_t memory_limit = 0;
  bool dry_run = false;
};

// LEDGERLAKE_OVERLAY_SHARE=N (docs/cli.md): a run's state is saved as an overlay while it holds at most 1/N of a
// bucket's invoices; 0 saves every state complete. Unset: engine::kOverlayShare.
Result<uint32_t> OverlayShare() {
  const char* value = std::getenv("LEDGERLAKE_OVERLAY_SHARE");
  if (value == nullptr || *value == '\0') return engine::kOverlayShare;
  const std::string_view text(value);
  uint32_t n = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), n);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || n > 1000) {
    return Status::Usage("LEDGERLAKE_OVERLAY_SHARE wants a whole number from 0 to 1000, not '" + std::string(text) + "'");
  }
  return n;
}

// One run as of `day`: planned, carried out, its summary printed. The exit status.
int RunDay(const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& cat, DayNumber day,
           const RunCommand& c) {
  Progress progress;
  job::RunRequest request;
  request.as_of = day;
  request.full_refresh = c.full_refresh;
  if (c.partitions > 0) request.passes = c.partitions;
  request.memory_limit = c.memory_limit;
  auto overlay_share = OverlayShare();
  if (!overlay_share.ok()) return Fail(overlay_share.status());
  request.overlay_share = *overlay_share;
  request.progress = [&](std::string_view stage, uint64_t done, uint64_t total) { progress.Update(stage, done, total); };
  auto plan = job::PlanRun(lock, lake, cat, request);
  if (!plan.ok()) return Fail(plan.status());
  if (c.dry_run) {
    Print(c.json ? PlanJson(*plan) : PlanText(*plan));
    return 0;
  }
  for (const job::HeldTable& h : plan->held) std::fprintf(stderr, "ledgerlake: %s\n", h.message.c_str());
  for (const catalog::Damage& d : plan->damaged) {
    std::fprintf(stderr, "ledgerlake: damaged: %s\n", catalog::DamageLine(d).c_str());
  }
  auto outcome = job::ExecuteRun(lock, lake, cat, *plan, request);
  progress.Clear();
  if (!outcome.ok()) return Fail(outcome.status());
  for (const job::RepairedPartition& r : outcome->repaired) {
    std::fprintf(stderr, "ledgerlake: repaired %s of %s (run %lld) from the raw zone\n", r.dataset.c_str(),
                 FormatIsoDate(r.day).c_str(), static_cast<long long>(r.run_id));
  }
  const int status = outcome->held_message.empty() ? 0 : kExitHeldBack;
  if (!outcome->report) {
    std::fprintf(stderr, "ledgerlake: %s; its partitions stay as they are\n", outcome->plan.reason.c_str());
    if (c.json) {
      Print("{\"as_of\": \"" + FormatIsoDate(outcome->plan.as_of) +
            "\", \"skipped\": \"nothing to apply since the run of that day\"}\n");
    }
    return status;
  }
  if (!outcome->rebuilt_because.empty()) {
    std::fprintf(stderr, "ledgerlake: %s; rebuilding from the raw zone\n", outcome->rebuilt_because.c_str());
  } else if (!outcome->plan.cannot_continue.empty()) {
    std::fprintf(stderr, "ledgerlake: %s; rebuilding from the raw zone\n", outcome->plan.cannot_continue.c_str());
  }
  Print(c.json ? RunSummaryJson(*outcome->report) : RunSummaryText(*outcome->report));
  return status;
}

int CmdRun(const std::string& lake_dir, const RunCommand& c) {
  const bool backfill = !c.from.empty() || !c.to.empty();
  if (backfill && (c.from.empty() || c.to.empty())) return Fail(Status::Usage("a backfill needs both --from and --to"));
  if (backfill && !c.as_of.empty()) return Fail(Status::Usage("give --as-of or --from/--to, not both"));
  if (!backfill && c.missing) return Fail(Status::Usage("--missing goes with --from and --to"));
  std::optional<DayNumber> from;
  std::optional<DayNumber> to;
  if (backfill) {
    auto f = ParseDateOption(c.from, "--from");
    if (!f.ok()) return Fail(f.status());
    auto t = ParseDateOption(c.to, "--to");
    if (!t.ok()) return Fail(t.status());
    from = *f;
    to = *t;
  }
  auto as_of = ParseAsOf(c.as_of);
  if (!as_of.ok()) return Fail(as_of.status());
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto lock = LockLake(*lake);
  if (!lock.ok()) return Fail(lock.status());
  if (!std::filesystem::exists(catalog::Catalog::PathOf(*lake)) && query::HasProcessedFiles(*lake)) {
    std::fprintf(stderr, "ledgerlake: the catalog was missing: the run history and which partitions were committed "
                         "are lost; this run rebuilds the datasets from the raw zone (earlier days' partitions are "
                         "dropped)\n");
  }
  auto cat = OpenCatalog(*lake);
  if (!cat.ok()) return Fail(cat.status());
  // Under a memory limit, one malloc arena for every thread of this process: memory one thread frees is then
  // reused by the next that allocates. With glibc's arena per thread, each pass's Ledger (built on one thread,
  // freed on another) left its memory in its own arena: at 50M invoices in 14 overlapping passes the peak was
  // 1.16 GB against 0.94 GB. Set here, where the process is the run's, not in the job the service shares.
  if (c.memory_limit > 0) mallopt(M_ARENA_MAX, 1);
  if (!backfill) return RunDay(*lock, *lake, *cat, as_of->value_or(TodayUtc()), c);

  auto days = job::BackfillDays(*cat, *from, *to, c.missing);
  if (!days.ok()) return Fail(days.status());
  if (days->empty()) std::fprintf(stderr, "ledgerlake: every day from %s to %s has a run already\n", c.from.c_str(), c.to.c_str());
  int worst = 0;
  for (const DayNumber day : *days) {
    if (!c.json && !c.dry_run) std::printf("== %s\n", FormatIsoDate(day).c_str());
    const int status = RunDay(*lock, *lake, *cat, day, c);
    if (status == kExitFailure || status == kExitUsage) {
      std::fprintf(stderr, "ledgerlake: the backfill stopped at %s; `ledgerlake run --from %s --to %s --missing` "
                           "goes on from there\n", FormatIsoDate(day).c_str(), c.from.c_str(), c.to.c_str());
      return status;
    }
    worst = std::max(worst, status);
  }
  return worst;
}

// What a query as of `as_of` (the newest run when absent) would see nothing of, said once on stderr: no run has
// committed partitions yet, or none on or before that day.
void NoteEmptyViews(const std::vector<lake::ViewPartition>& partitions, std::optional<DayNumber> as_of) {
  std::optional<DayNumber> first;
  for (const lake::ViewPartition& p : partitions) first = first ? std::min(*first, p.day) : p.day;
  if (!first) {
    std::fprintf(stderr, "ledgerlake: no run has committed datasets yet: every dataset is empty\n");
  } else if (as_of && *as_of < *first) {
    std::fprintf(stderr, "ledgerlake: no run on or before %s (the first is as of %s): every dataset is empty\n",
                 FormatIsoDate(*as_of).c_str(), FormatIsoDate(*first).c_str());
  }
}

struct QueryCommand {
  std::string sql;   // the statements, or "-" for standard input
  std::string file;  // or a file of them
  std::string format = "table";
  std::string as_of;
  size_t max_rows = 1000;  // table format only
};

// The SQL text of a query command: its argument, standard input ("-"), or a file.
Result<std::string> QueryText(const QueryCommand& q) {
  if (!q.file.empty() && !q.sql.empty()) return Status::Usage("give the SQL or --file, not both");
  if (q.file.empty() && q.sql.empty()) return Status::Usage("give the SQL (\"-\" reads it from standard input) or --file");
  std::stringstream text;
  if (!q.file.empty()) {
    std::ifstream in(q.file, std::ios::binary);
    if (!in) return Status::IOError("cannot read " + q.file + ": " + std::strerror(errno));
    text << in.rdbuf();
  } else if (q.sql == "-") {
    text << std::cin.rdbuf();
  } else {
    return q.sql;
  }
  return text.str();
}

// Runs every statement of the query in order, printing each one's result (a blank line between two tables).
int CmdQuery(const std::string& lake_dir, const QueryCommand& q) {
  auto as_of = ParseAsOf(q.as_of);
  if (!as_of.ok()) return Fail(as_of.status());
  auto sql = QueryText(q);
  if (!sql.ok()) return Fail(sql.status());
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto session = query::OpenQuerySession(*lake, query::Grants::All(), *as_of);
  if (!session.ok()) return Fail(session.status());
  if (Status allowed = session->sandbox->Check(session->conn, *sql); !allowed.ok()) return Fail(allowed);
  auto statements = session->conn.CountStatements(*sql);
  if (!statements.ok()) return Fail(statements.status());
  const duck::OutputFormat format = q.format == "csv"    ? duck::OutputFormat::kCsv
                                    : q.format == "json" ? duck::OutputFormat::kJson
                                                         : duck::OutputFormat::kTable;
  for (size_t i = 0; i < *statements; ++i) {
    auto result = session->conn.QueryStatement(*sql, i);
    if (!result.ok()) return Fail(query::NameDamagedFiles(*lake, result.status()));
    if (i > 0 && format == duck::OutputFormat::kTable) std::cout << '\n';
    Status st = duck::FormatResult(*result, format, std::cout, duck::FormatOptions{q.max_rows});
    std::cout.flush();
    if (!st.ok()) return Fail(query::NameDamagedFiles(*lake, st));
  }
  NoteEmptyViews(session->partitions, *as_of);
  return 0;
}

int CmdGenerate(gen::GenerateOptions options, const std::string& first, const std::string& last) {
  if (!first.empty()) {
    auto d = ParseDateOption(first, "--first-day");
    if (!d.ok()) return Fail(d.status());
    options.first_day = *d;
  }
  if (!last.empty()) {
    auto d = ParseDateOption(last, "--last-day");
    if (!d.ok()) return Fail(d.status());
    options.last_day = *d;
  }
  const auto start = std::chrono::steady_clock::now();
  auto files = gen::Generate(options);
  if (!files.ok()) return Fail(files.status());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t bytes = 0;
  for (const gen::GeneratedFile& f : *files) {
    std::printf("%-20s %12llu rows %14llu bytes  %s\n", f.table.c_str(), static_cast<unsigned long long>(f.rows),
                static_cast<unsigned long long>(f.bytes), f.path.c_str());
    bytes += f.bytes;
  }
  std::printf("generated %.1f MB in %.2f s (seed %llu)\n", static_cast<double>(bytes) / 1e6, secs,
              static_cast<unsigned long long>(options.seed));
  return 0;
}

int CmdCrawl(const std::string& lake_dir, bool json) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto lock = LockLake(*lake);
  if (!lock.ok()) return Fail(lock.status());
  auto cat = catalog::Catalog::Open(*lake);
  if (!cat.ok()) return Fail(cat.status());
  Status st = cat->Recrawl(*lake);
  if (!st.ok()) return Fail(st);
  auto tables = cat->Tables();
  if (!tables.ok()) return Fail(tables.status());
  auto versions = cat->Versions();
  if (!versions.ok()) return Fail(versions.status());
  auto breaking = cat->BreakingChanges();
  if (!breaking.ok()) return Fail(breaking.status());
  Print(json ? CrawlJson(*tables, *versions, *breaking) : CrawlText(*tables, *versions, *breaking));
  return 0;
}

int CmdVerify(const std::string& lake_dir, bool json, bool repair, bool quick) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  std::optional<lake::LakeLock> lock;
  if (repair) {
    auto acquired = LockLake(*lake);
    if (!acquired.ok()) return Fail(acquired.status());
    lock.emplace(std::move(*acquired));
  }
  auto cat = repair ? OpenCatalog(*lake) : OpenCatalogToShow(*lake);
  if (!cat.ok()) return Fail(cat.status());
  auto checked = catalog::VerifyLake(*lake, *cat, quick ? catalog::VerifyDepth::kSizes : catalog::VerifyDepth::kChecksums);
  if (!checked.ok()) return Fail(checked.status());
  std::vector<job::RepairedPartition> repaired;
  std::string repair_error;
  bool left = false;  // damage not repaired
  for (const catalog::Damage& d : checked->damaged) left |= d.zone == catalog::Damage::Zone::kRaw;
  if (repair && !checked->damaged.empty()) {
    if (!Repair(*lock, *lake, *cat, checked->damaged, &repaired, &repair_error)) left = true;
    (void)job::RemoveUnreferenced(*lock, *lake, *cat);
  } else if (!checked->damaged.empty()) {
    left = true;
  }
  if (json) {
    nlohmann::ordered_json j;
    j["checked"] = {{"raw_files", checked->raw_files},
                    {"partition_files", checked->partition_files},
                    {"depth", quick ? "sizes" : "checksums"}};
    nlohmann::ordered_json damaged = nlohmann::ordered_json::array();
    for (const catalog::Damage& d : checked->damaged) {
      nlohmann::ordered_json e = {{"zone", d.zone == catalog::Damage::Zone::kRaw ? "raw" : "processed"},
                                  {"path", d.path},
                                  {"problem", d.what}};
      if (d.zone == catalog::Damage::Zone::kRaw) {
        e["source"] = d.source;
        e["sequence"] = d.sequence;
      } else {
        e["dataset"] = d.dataset;
        e["day"] = FormatIsoDate(d.day);
        e["run_id"] = d.run_id;
      }
      damaged.push_back(e);
    }
    j["damaged"] = damaged;
    nlohmann::ordered_json fixed = nlohmann::ordered_json::array();
    for (const job::RepairedPartition& r : repaired) {
      fixed.push_back({{"dataset", r.dataset}, {"day", FormatIsoDate(r.day)}, {"run_id", r.run_id}, {"files", r.files}});
    }
    j["repaired"] = fixed;
    if (!repair_error.empty()) j["repair_error"] = repair_error;
    j["ok"] = !left;
    Print(j.dump(2) + "\n");
  } else {
    std::printf("checked %zu landed files and %zu partition files (%s)\n", checked->raw_files,
                checked->partition_files, quick ? "their sizes" : "their sizes and SHA-256 of every byte");
    for (const catalog::Damage& d : checked->damaged) std::printf("damaged   %s\n", catalog::DamageLine(d).c_str());
    for (const job::RepairedPartition& r : repaired) {
      std::printf("repaired  %s of %s (run %lld): rewritten from the raw zone as %s\n", r.dataset.c_str(),
                  FormatIsoDate(r.day).c_str(), static_cast<long long>(r.run_id), r.files.front().c_str());
    }
    for (const catalog::Damage& d : checked->damaged) {
      if (d.zone != catalog::Damage::Zone::kRaw) continue;
      std::printf("cannot repair %s: landed extracts are the lake's truth; restore it from %s or a backup\n",
                  d.path.c_str(), d.source.c_str());
    }
    if (!repair_error.empty()) std::printf("repair failed: %s\n", repair_error.c_str());
    if (!repair && !checked->damaged.empty()) {
      std::printf("`ledgerlake verify --repair` rewrites damaged partitions from the raw zone\n");
    }
    if (checked->damaged.empty()) std::printf("no damage found\n");
  }
  return left ? kExitFailure : 0;
}

enum class CatalogView { kTables, kDescribe, kPartitions, kRuns, kPending, kChecks, kOperations };

// The undo and vacuum operations, oldest first.
int CmdOperations(catalog::Catalog& cat, bool as_json) {
  auto ops = cat.Operations();
  if (!ops.ok()) return Fail(ops.status());
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const catalog::Operation& op : *ops) {
    nlohmann::ordered_json days = nlohmann::ordered_json::array();
    for (const DayNumber d : op.days) days.push_back(FormatIsoDate(d));
    out.push_back({{"id", op.id}, {"kind", op.kind}, {"at", FormatUtcMillis(op.at_unix_ms)}, {"trigger", op.trigger},
                   {"days", days}, {"runs", op.runs}, {"detail", op.detail}});
  }
  if (as_json) {
    Print(out.dump(2) + "\n");
    return 0;
  }
  std::printf("%-4s %-7s %-25s %-9s %s\n", "id", "kind", "at (UTC)", "trigger", "detail");
  for (const catalog::Operation& op : *ops) {
    std::printf("%-4lld %-7s %-25s %-9s %s; days %s to %s\n", static_cast<long long>(op.id), op.kind.c_str(),
                FormatUtcMillis(op.at_unix_ms).c_str(), op.trigger.c_str(), op.detail.c_str(),
                op.days.empty() ? "-" : FormatIsoDate(op.days.front()).c_str(),
                op.days.empty() ? "-" : FormatIsoDate(op.days.back()).c_str());
  }
  return 0;
}

// The data-quality checks of run `run_id` (0: the newest run that has checks), as `catalog checks` prints them.
int CmdChecks(catalog::Catalog& cat, int64_t run_id, bool as_json) {
  auto all = cat.Checks(run_id);
  if (!all.ok()) return Fail(all.status());
  if (all->empty()) {
    if (run_id != 0) return Fail(Status::NotFound("run " + std::to_string(run_id) + " has no checks"));
    std::fprintf(stderr, "ledgerlake: no run has checks yet (`ledgerlake serve` checks each run it sees commit)\n");
    if (as_json) Print("[]\n");
    return 0;
  }
  const auto& [id, checks] = *all->rbegin();
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  size_t failed = 0;
  for (const catalog::CheckResult& c : checks) {
    failed += c.ok ? 0 : 1;
    out.push_back({{"run_id", id}, {"check", c.name}, {"ok", c.ok}, {"value", c.value}, {"threshold", c.threshold},
                   {"previous", c.previous}, {"current", c.current}});
  }
  if (as_json) {
    Print(out.dump(2) + "\n");
    return 0;
  }
  std::printf("run %lld: %zu checks, %zu failed\n", static_cast<long long>(id), checks.size(), failed);
  std::printf("%-58s %-6s %12s %10s %14s %14s\n", "check", "status", "value", "threshold", "previous", "current");
  for (const catalog::CheckResult& c : checks) {
    std::printf("%-58s %-6s %12.4f %10.4f %14.4f %14.4f\n", c.name.c_str(), c.ok ? "ok" : "FAILED", c.value,
                c.threshold, c.previous, c.current);
  }
  return 0;
}

// The rows of the newest run's pending dataset, with the key each waits for.
int CmdPending(const lake::Lake& lake, bool json) {
  auto session = query::OpenQuerySession(lake, query::Grants::All(), std::nullopt);
  if (!session.ok()) return Fail(session.status());
  auto result = session->conn.Query(
      "SELECT table_name, source_file, invoice_id, item_id, missing_table, missing_key FROM pending "
      "ORDER BY missing_table, missing_key, table_name, invoice_id, item_id");
  if (!result.ok()) return Fail(result.status());
  Status st = duck::FormatResult(*result, json ? duck::OutputFormat::kJson : duck::OutputFormat::kTable, std::cout);
  std::cout.flush();
  return st.ok() ? 0 : Fail(st);
}

int CmdCatalog(const std::string& lake_dir, CatalogView view, const std::string& name, bool json) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  if (view == CatalogView::kPending) return CmdPending(*lake, json);
  if (view == CatalogView::kOperations) {
    auto shown = OpenCatalogToShow(*lake);
    if (!shown.ok()) return Fail(shown.status());
    return CmdOperations(*shown, json);
  }
  if (view == CatalogView::kChecks) {
    auto shown = OpenCatalogToShow(*lake);
    if (!shown.ok()) return Fail(shown.status());
    int64_t run_id = 0;
    if (!name.empty() && (std::from_chars(name.data(), name.data() + name.size(), run_id).ptr != name.data() + name.size())) {
      return Fail(Status::Usage("--run takes a run id, not '" + name + "'"));
    }
    return CmdChecks(*shown, run_id, json);
  }
  auto cat = OpenCatalogToShow(*lake);
  if (!cat.ok()) return Fail(cat.status());
  switch (view) {
    case CatalogView::kTables: {
      auto tables = cat->Tables();
      if (!tables.ok()) return Fail(tables.status());
      Print(json ? TablesJson(*tables) : TablesText(*tables));
      return 0;
    }
    case CatalogView::kDescribe: {
      auto table = cat->Describe(name);
      if (!table.ok()) return Fail(table.status());
      Print(json ? DescribeJson(*table) : DescribeText(*table));
      return 0;
    }
    case CatalogView::kPartitions: {
      auto partitions = cat->Partitions(name);
      if (!partitions.ok()) return Fail(partitions.status());
      Print(json ? PartitionsJson(*partitions) : PartitionsText(*partitions));
      return 0;
    }
    case CatalogView::kPending:
      return CmdPending(*lake, json);
    case CatalogView::kRuns: {
      auto runs = cat->Runs();
      if (!runs.ok()) return Fail(runs.status());
      job::MarkAbortedRuns(*lake);     // a run whose process died shows as aborted, not as running for ever
      auto starts = cat->RunStarts();  // runs going on, and runs whose process died (aborted)
      if (!starts.ok()) return Fail(starts.status());
      Print(json ? RunsJson(*runs, *starts) : RunsText(*runs, *starts));
      return 0;
    }
    case CatalogView::kChecks:
    case CatalogView::kOperations: break;  // answered above
  }
  return kExitUsage;
}

// Edit distance between two short words (for suggestions).
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown command 'ingset'", with the nearest of `commands` when one is near.
std::string UnknownCommand(std::string_view word, const std::vector<const CLI::App*>& commands,
                           std::string_view parent) {
  std::string best;
  size_t best_distance = 3;  // suggest within 2 edits
  for (const CLI::App* c : commands) {
    const size_t d = Distance(word, c->get_name());
    if (d < best_distance || (c->get_name().starts_with(word) && word.size() >= 3)) {
      best_distance = std::min(d, best_distance);
      best = c->get_name();
    }
  }
  std::string out = "unknown command '" + std::string(parent) + std::string(word) + "'";
  if (!best.empty()) out += "; did you mean '" + std::string(parent) + best + "'?";
  return out + " (`ledgerlake " + std::string(parent) + "--help` lists the commands)";
}

// Before CLI11 parses: the first word that is not an option must be a command (and the word after `catalog` one
// of its views); CLI11 alone would only say that a subcommand is required.
// The service's config: --config when given (it must exist), else <lake>/ledgerlake.yaml when it exists, else
// the defaults. A config that cannot be used is a usage error (exit 2).
Result<serve::ServeConfig> ServiceConfig(const std::string& lake_dir, const std::string& config_path) {
  const std::string path = config_path.empty() ? lake_dir + "/ledgerlake.yaml" : config_path;
  auto config = serve::LoadConfig(path);
  if (config.ok()) return config;
  if (config.status().code() == Status::Code::kNotFound && config_path.empty()) return serve::DefaultConfig();
  return Status::Usage("config " + config.status().message());
}

int CmdServe(const std::string& lake_dir, const std::string& listen, const std::string& config_path) {
  auto config = ServiceConfig(lake_dir, config_path);
  if (!config.ok()) return Fail(config.status());
  if (!listen.empty()) {
    if (Status st = serve::SetListen(listen, *config); !st.ok()) return Fail(Status::Usage(st.message()));
  }
  if (!std::filesystem::exists(lake_dir + "/raw") && !std::filesystem::exists(lake_dir + "/catalog.db")) {
    return Fail(Status::NotFound(lake_dir + " is not a lake (`ledgerlake init` makes one)"));
  }
  return serve::RunService(lake_dir, std::move(*config));
}

int CmdTokenCreate(const std::string& lake_dir, const std::string& role, const std::string& name,
                   const std::string& config_path) {
  auto config = ServiceConfig(lake_dir, config_path);
  if (!config.ok()) return Fail(config.status());
  if (!config->roles.count(role)) {
    std::string roles;
    for (const auto& [r, grants] : config->roles) roles += (roles.empty() ? "" : ", ") + r;
    return Fail(Status::Usage("role " + role + " is not declared (roles: " + roles + "; declare others under `roles:` in " +
                              (config->source.empty() ? lake_dir + "/ledgerlake.yaml" : config->source) + ")"));
  }
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto cat = catalog::Catalog::Open(*lake);
  if (!cat.ok()) return Fail(cat.status());
  auto token = cat->CreateToken(role, name);
  if (!token.ok()) return Fail(token.status());
  std::printf("%s\n", token->c_str());
  std::fprintf(stderr, "ledgerlake: a token for role %s; keep it now: it is not stored and cannot be shown again\n",
               role.c_str());
  return 0;
}

int CmdTokenList(const std::string& lake_dir, bool as_json) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto cat = catalog::Catalog::Open(*lake);
  if (!cat.ok()) return Fail(cat.status());
  auto tokens = cat->ListTokens();
  if (!tokens.ok()) return Fail(tokens.status());
  nlohmann::json out = nlohmann::json::array();
  for (const catalog::TokenInfo& t : *tokens) {
    out.push_back({{"name", t.name},
                   {"role", t.role},
                   {"id", t.id},
                   {"created_unix_ms", t.created_unix_ms},
                   {"revoked_unix_ms", t.revoked_unix_ms ? nlohmann::json(*t.revoked_unix_ms) : nlohmann::json(nullptr)}});
  }
  if (as_json) {
    Print(out.dump(2) + "\n");
    return 0;
  }
  std::printf("%-24s %-16s %-14s %s\n", "name", "role", "id", "status");
  for (const catalog::TokenInfo& t : *tokens) {
    std::printf("%-24s %-16s %-14s %s\n", t.name.c_str(), t.role.c_str(), t.id.c_str(),
                t.revoked_unix_ms ? "revoked" : "valid");
  }
  return 0;
}

int CmdTokenRevoke(const std::string& lake_dir, const std::string& name) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto cat = catalog::Catalog::Open(*lake);
  if (!cat.ok()) return Fail(cat.status());
  if (Status st = cat->RevokeToken(name); !st.ok()) return Fail(st);
  std::printf("revoked %s\n", name.c_str());
  return 0;
}

// `undo` and `vacuum`: change which partitions are current, under the lake lock (job/manage.h).
int CmdManage(const std::string& lake_dir, bool undo, int count, bool as_json) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return Fail(lake.status());
  auto lock = LockLake(*lake);
  if (!lock.ok()) return Fail(lock.status());
  auto cat = OpenCatalog(*lake);
  if (!cat.ok()) return Fail(cat.status());
  auto done = undo ? job::UndoNewestRuns(*lock, *lake, *cat, count, "cli") : job::Vacuum(*lock, *lake, *cat, count, "cli");
  if (!done.ok()) return Fail(done.status());
  auto committed = cat->CommittedRuns();
  if (!committed.ok()) return Fail(committed.status());
  if (as_json) {
    nlohmann::ordered_json out = {{"operation", undo ? "undo" : "vacuum"}};
    nlohmann::ordered_json days = nlohmann::ordered_json::array();
    for (const DayNumber d : done->days) days.push_back(FormatIsoDate(d));
    out["days"] = days;
    out["runs"] = done->runs;
    out["newest_run"] = committed->empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(committed->back().run_id);
    out["note"] = done->note;
    Print(out.dump() + "\n");
    return 0;
  }
  for (size_t i = 0; i < done->days.size(); ++i) {
    std::printf("%s run %lld (as of %s)\n", undo ? "undid" : "dropped the partitions of", static_cast<long long>(done->runs[i]),
                FormatIsoDate(done->days[i]).c_str());
  }
  if (done->days.empty()) std::printf("nothing to drop\n");
  if (!done->note.empty()) std::printf("note: %s\n", done->note.c_str());
  if (committed->empty()) {
    std::printf("no run is committed now\n");
  } else {
    std::printf("the newest run is now %lld (as of %s)\n", static_cast<long long>(committed->back().run_id),
                FormatIsoDate(committed->back().day).c_str());
  }
  return 0;
}

std::optional<std::string> CheckCommandWords(int argc, char** argv, const CLI::App& app) {
  const CLI::App* level = &app;
  std::string parent;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--lake") {
      ++i;  // its value
      continue;
    }
    if (arg.starts_with("-")) return std::nullopt;  // options (and --help) are CLI11's business
    std::vector<const CLI::App*> commands = level->get_subcommands([](const CLI::App*) { return true; });
    if (commands.empty()) return std::nullopt;  // a command's own arguments follow
    const auto found = std::find_if(commands.begin(), commands.end(), [&](const CLI::App* c) { return c->get_name() == arg; });
    if (found == commands.end()) return UnknownCommand(arg, commands, parent);
    level = *found;
    parent += std::string(arg) + " ";
  }
  return std::nullopt;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"ledgerlake: raw billing extracts in, point-in-time payment features out, on a local data lake."};
  app.require_subcommand(1);
  app.fallthrough();
  std::string lake_dir = "./lake";
  app.add_option("--lake", lake_dir, "lake directory (default: $LEDGERLAKE_LAKE, else ./lake)")
      ->envname("LEDGERLAKE_LAKE");

  CLI::App* init = app.add_subcommand("init", "create an empty lake");

  CLI::App* ingest = app.add_subcommand("ingest", "land extracts (.csv, .csv.gz) in the lake's raw zone");
  std::vector<std::string> inputs;
  std::string table;
  ingest->add_option("inputs", inputs, "files, or directories of .csv/.csv.gz files")->required();
  ingest->add_option("--table", table, "the table of every input (default: from the file name, else the header)")
      ->check(CLI::IsMember({"accounts", "skus", "invoices", "invoice_line_items"}));
  ingest->add_flag("--no-wait", g_no_wait, "if another process is working on the lake, exit (status 1) instead of waiting");

  CLI::App* run = app.add_subcommand("run", "build the feature datasets as of a date into partition D");
  RunCommand run_command;
  run->add_option("--as-of", run_command.as_of, "snapshot date D, YYYY-MM-DD (default: today in UTC)");
  run->add_option("--from", run_command.from, "a backfill: one run per day from this day ... (YYYY-MM-DD)");
  run->add_option("--to", run_command.to, "... to this day, in order, each as of its day");
  run->add_flag("--missing", run_command.missing, "with --from/--to: only the days without a run (resumes a backfill)");
  run->add_flag("--json", run_command.json, "print the run summary as one JSON object");
  run->add_flag("--no-wait", g_no_wait, "if another process is working on the lake, exit (status 1) instead of waiting");
  run->add_flag("--full-refresh", run_command.full_refresh, "rebuild the state from the raw zone instead of continuing the previous run's, and write complete partitions");
  run->add_option("--partitions", run_command.partitions,
                  "bound memory: run in N passes, each holding about 1/N of the accounts; the state is kept in N "
                  "buckets, so later runs in N passes stay incremental")
      ->check(CLI::Range(1u, engine::kMaxBuckets));
  run->add_option("--memory-limit", run_command.memory_limit,
                  "bound memory to about this much (e.g. 2GB): the run takes as many passes as the lake needs (see "
                  "--partitions), DuckDB included")
      ->transform(CLI::AsSizeValue(false))
      ->excludes("--partitions");
  run->add_flag("--dry-run", run_command.dry_run,
                "print the plan (files to apply, complete or incremental and why, passes, expected memory) and stop");

  CLI::App* query = app.add_subcommand("query", "SQL over the datasets, rejects, source and raw tables");
  QueryCommand query_command;
  query->add_option("sql", query_command.sql,
                    "the SQL: one or more statements, each one's result printed in turn; - reads them from standard "
                    "input");
  query->add_option("--file", query_command.file, "read the SQL from this file");
  query->add_option("--format", query_command.format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  query->add_option("--as-of", query_command.as_of,
                    "show the datasets as the newest run on or before this day (YYYY-MM-DD) left them");
  query->add_option("--max-rows", query_command.max_rows,
                    "table format: show at most this many rows of a result and count the rest (0: all; default 1000)");

  CLI::App* crawl = app.add_subcommand(
      "crawl", "re-crawl every landed file: infer its schema, rebuild the schema versions, report breaking changes");
  bool crawl_json = false;
  crawl->add_flag("--json", crawl_json, "print one JSON object");
  crawl->add_flag("--no-wait", g_no_wait, "if another process is working on the lake, exit (status 1) instead of waiting");

  CLI::App* verify = app.add_subcommand(
      "verify", "check every landed and partition file against what was recorded when it was written");
  bool verify_json = false, verify_repair = false, verify_quick = false;
  verify->add_flag("--json", verify_json, "print one JSON object");
  verify->add_flag("--repair", verify_repair, "rewrite damaged partitions from the raw zone");
  verify->add_flag("--quick", verify_quick, "check sizes only (a stat per file) instead of every byte");
  verify->add_flag("--no-wait", g_no_wait, "with --repair: if another process is working on the lake, exit (status 1)");

  CLI::App* cat = app.add_subcommand("catalog", "what the lake's catalog knows: tables, schemas, partitions, runs");
  cat->require_subcommand(1);
  bool cat_json = false;
  std::string cat_name;
  CLI::App* cat_tables =
      cat->add_subcommand("tables", "list the tables with landed files, their schema version and status");
  cat_tables->add_flag("--json", cat_json, "print one JSON array");
  CLI::App* cat_describe =
      cat->add_subcommand("describe", "one table: columns, types, nullability, schema versions and their changes");
  cat_describe->add_option("table", cat_name, "accounts, skus, invoices or invoice_line_items")
      ->required()
      ->check(CLI::IsMember({"accounts", "skus", "invoices", "invoice_line_items"}));
  cat_describe->add_flag("--json", cat_json, "print one JSON object");
  CLI::App* cat_partitions = cat->add_subcommand("partitions", "list the datasets' current partitions");
  std::vector<std::string> dataset_names;
  for (const auto& ds : lake::kDatasets) dataset_names.emplace_back(ds.name);
  cat_partitions->add_option("dataset", cat_name, "only this dataset")->check(CLI::IsMember(dataset_names));
  cat_partitions->add_flag("--json", cat_json, "print one JSON array");
  CLI::App* cat_pending =
      cat->add_subcommand("pending", "list the rows waiting for a parent (as of the newest run) and the key each waits for");
  cat_pending->add_flag("--json", cat_json, "print one JSON array");
  CLI::App* cat_checks =
      cat->add_subcommand("checks", "the data-quality checks of the newest checked run (or --run N) against the run before");
  std::string check_run;
  cat_checks->add_option("--run", check_run, "the run id");
  cat_checks->add_flag("--json", cat_json, "print one JSON array");
  CLI::App* cat_operations = cat->add_subcommand("operations", "list the undo and vacuum operations, oldest first");
  cat_operations->add_flag("--json", cat_json, "print one JSON array");
  CLI::App* cat_runs = cat->add_subcommand("runs", "list the runs, oldest first, with their status and volumes");
  cat_runs->add_flag("--json", cat_json, "print one JSON array (with stages, row fates, inputs and partitions)");

  CLI::App* generate = app.add_subcommand("generate", "write realistic synthetic extracts");
  gen::GenerateOptions gen_options;
  std::string first_day, last_day;
  generate->add_option("--out", gen_options.out_dir, "output directory")->required();
  // CLI11's own number checks print their range as a 300-digit double: say it in words instead.
  auto at_least = [](int64_t lowest) {
    return CLI::Validator(
        [lowest](std::string& text) -> std::string {
          int64_t v = 0;
          const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
          if (r.ec != std::errc() || r.ptr != text.data() + text.size() || v < lowest) {
            return "must be a whole number of at least " + std::to_string(lowest) + ", got '" + text + "'";
          }
          return "";
        },
        ">= " + std::to_string(lowest));
  };
  generate->add_option("--accounts", gen_options.accounts, "number of accounts")->check(at_least(1));
  generate->add_option("--invoices", gen_options.invoices, "number of invoices")->check(at_least(0));
  generate->add_option("--skus", gen_options.skus, "number of skus")->check(at_least(1));
  generate->add_flag("--force", gen_options.overwrite, "replace extracts already in --out (default: refuse)");
  generate->add_option("--seed", gen_options.seed, "random seed (same seed, same files)");
  generate->add_option("--first-day", first_day, "earliest joining/issue date (default 2019-01-01)");
  generate->add_option("--last-day", last_day, "latest joining/issue date (default 2024-12-31)");
  generate->add_flag("--gzip", gen_options.gzip, "write .csv.gz files");

  CLI::App* undo_cmd = app.add_subcommand("undo", "undo the newest run(s): their days' partitions stop being current");
  int undo_runs = 1;
  bool manage_json = false;
  undo_cmd->add_option("--runs", undo_runs, "how many of the newest runs (default 1)")->check(CLI::Range(1, 100000));
  undo_cmd->add_flag("--json", manage_json, "print one JSON object");
  undo_cmd->add_flag("--no-wait", g_no_wait, "if another process is working on the lake, exit (status 1)");
  CLI::App* vacuum_cmd = app.add_subcommand("vacuum", "drop partitions older than the newest N days (retention)");
  int keep_days = 0;
  vacuum_cmd->add_option("--keep-days", keep_days, "days to keep, the newest run's included")->required()->check(CLI::Range(1, 1000000));
  vacuum_cmd->add_flag("--json", manage_json, "print one JSON object");
  vacuum_cmd->add_flag("--no-wait", g_no_wait, "if another process is working on the lake, exit (status 1)");

  CLI::App* serve_cmd = app.add_subcommand("serve", "serve the lake over HTTP: queries, feature lookup, runs, metrics");
  std::string listen;
  std::string config_path;
  serve_cmd->add_option("--listen", listen, "HOST:PORT to listen on (default: the config's, else 127.0.0.1:8080)");
  serve_cmd->add_option("--config", config_path, "the service's YAML config (default: <lake>/ledgerlake.yaml if present)");

  CLI::App* token_cmd = app.add_subcommand("token", "API tokens of the service: create, list, revoke");
  token_cmd->require_subcommand(1);
  CLI::App* token_create = token_cmd->add_subcommand("create", "make a token for a role and print it (once)");
  std::string token_role;
  std::string token_name;
  token_create->add_option("--role", token_role, "admin, or a role the config declares")->required();
  token_create->add_option("--name", token_name, "a name to list and revoke it by (default: token-<id>)");
  token_create->add_option("--config", config_path, "the service's YAML config (default: <lake>/ledgerlake.yaml)");
  CLI::App* token_list = token_cmd->add_subcommand("list", "list the tokens (never their secrets)");
  bool token_json = false;
  token_list->add_flag("--json", token_json, "print one JSON array");
  CLI::App* token_revoke = token_cmd->add_subcommand("revoke", "revoke a token by name");
  token_revoke->add_option("name", token_name, "the token's name")->required();

  if (auto unknown = CheckCommandWords(argc, argv, app)) return Fail(Status::Usage(*unknown));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  if (init->parsed()) return CmdInit(lake_dir);
  if (serve_cmd->parsed()) return CmdServe(lake_dir, listen, config_path);
  if (undo_cmd->parsed()) return CmdManage(lake_dir, true, undo_runs, manage_json);
  if (vacuum_cmd->parsed()) return CmdManage(lake_dir, false, keep_days, manage_json);
  if (token_create->parsed()) return CmdTokenCreate(lake_dir, token_role, token_name, config_path);
  if (token_list->parsed()) return CmdTokenList(lake_dir, token_json);
  if (token_revoke->parsed()) return CmdTokenRevoke(lake_dir, token_name);
  if (ingest->parsed()) return CmdIngest(lake_dir, inputs, table);
  if (run->parsed()) return CmdRun(lake_dir, run_command);
  if (query->parsed()) return CmdQuery(lake_dir, query_command);
  if (generate->parsed()) return CmdGenerate(gen_options, first_day, last_day);
  if (crawl->parsed()) return CmdCrawl(lake_dir, crawl_json);
  if (verify->parsed()) return CmdVerify(lake_dir, verify_json, verify_repair, verify_quick);
  if (cat_tables->parsed()) return CmdCatalog(lake_dir, CatalogView::kTables, "", cat_json);
  if (cat_describe->parsed()) return CmdCatalog(lake_dir, CatalogView::kDescribe, cat_name, cat_json);
  if (cat_partitions->parsed()) return CmdCatalog(lake_dir, CatalogView::kPartitions, cat_name, cat_json);
  if (cat_runs->parsed()) return CmdCatalog(lake_dir, CatalogView::kRuns, "", cat_json);
  if (cat_checks->parsed()) return CmdCatalog(lake_dir, CatalogView::kChecks, check_run, cat_json);
  if (cat_operations->parsed()) return CmdCatalog(lake_dir, CatalogView::kOperations, "", cat_json);
  if (cat_pending->parsed()) return CmdCatalog(lake_dir, CatalogView::kPending, "", cat_json);
  return kExitUsage;
}

}  // namespace ledgerlake::cli
