#include "serve/service.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <variant>

#include "catalog/catalog.h"
#include "duck/format.h"
#include "contract/schema.h"
#include "job/backfill.h"
#include "job/ingest.h"
#include "job/manage.h"
#include "job/run_job.h"
#include "lake/datasets.h"
#include "lake/lake.h"
#include "query/sandbox.h"
#include "serve/feature_index.h"
#include "serve/alerts.h"
#include "serve/drop_folder.h"
#include "serve/metrics.h"
#include "serve/query_limits.h"
#include "serve/scheduler.h"
#include "util/date.h"

namespace ledgerlake::serve {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxQueryBody = 1 << 20;  // a query request's JSON body

// The HTTP status for a failure.
int HttpCode(const Status& st) {
  switch (st.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kUsage: return 400;
    case Status::Code::kPermissionDenied: return 403;
    case Status::Code::kNotFound: return 404;
    case Status::Code::kBusy: return 409;
    default: return 500;
  }
}

// Seconds as milliseconds with three decimals, for logs.
double Millis(double seconds) { return std::round(seconds * 1e6) / 1e3; }

// The first line of a message (DuckDB's errors go on with the statement and a caret).
std::string FirstLine(const std::string& m) { return m.substr(0, m.find('\n')); }


// The state of the catalog's files: changes whenever anything commits to it (WAL appends, checkpoints).
std::string CatalogStamp(const std::string& path) {
  std::string stamp;
  for (const std::string& p : {path, path + "-wal"}) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      stamp += std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec) + ";";
    } else {
      stamp += "-;";
    }
  }
  return stamp;
}

// What the views of `inputs` are made of, as one string: equal strings, equal views.
std::string Signature(const lake::ViewInputs& inputs) {
  std::string s;
  for (const lake::ViewPartition& p : inputs.partitions) {
    s += p.dataset + "@" + std::to_string(p.day) + (p.complete ? "c" : "d");
    for (const lake::ViewFile& f : p.files) s += "|" + f.path + ":" + std::to_string(f.bytes);
    s += "\n";
  }
  for (const lake::ViewInputs::Run& r : inputs.runs) {
    s += "run@" + std::to_string(r.day);
    for (const uint64_t a : r.applied) s += "," + std::to_string(a);
    s += "\n";
  }
  return s;
}

json RunJson(const catalog::RunRecord& r) {
  json tables = json::array();
  for (const catalog::TableFates& t : r.tables) {
    tables.push_back({{"table", t.table},
                      {"read", t.fates.read},
                      {"accepted", t.fates.accepted},
                      {"rejected", t.fates.rejected},
                      {"duplicate", t.fates.duplicate},
                      {"pending", t.fates.pending}});
  }
  json stages = json::array();
  for (const lake::StageTime& s : r.stages) stages.push_back({{"name", s.name}, {"seconds", s.seconds}});
  return {{"id", r.run_id},
          {"as_of", FormatIsoDate(r.as_of)},
          {"status", r.ok ? "succeeded" : "failed"},
          {"trigger", r.trigger},
          {"started", FormatUtcMillis(r.started_unix_ms)},
          {"finished", FormatUtcMillis(r.ended_unix_ms)},
          {"seconds", r.seconds},
          {"full_refresh", r.full_refresh},
          {"files_read", r.files_read},
          {"bytes_read", r.bytes_read},
          {"bytes_written", r.bytes_written},
          {"tables", tables},
          {"stages", stages},
          {"error", r.ok ? json(nullptr) : json(r.message)}};
}

// A run that started and has no record: running, or aborted when the next writer found its process gone.
json StartJson(const catalog::RunStart& r) {
  const bool aborted = r.aborted_unix_ms.has_value();
  return {{"id", r.run_id},
          {"as_of", FormatIsoDate(r.as_of)},
          {"status", aborted ? "aborted" : "running"},
          {"trigger", r.trigger},
          {"started", FormatUtcMillis(r.started_unix_ms)},
          {"finished", nullptr},
          {"seconds", nullptr},
          {"full_refresh", r.full_refresh},
          {"tables", json::array()},
          {"stages", json::array()},
          {"error", aborted ? json("the process running it (pid " + std::to_string(r.pid) +
                                   ") ended before the run did: killed, or its machine stopped; nothing it wrote "
                                   "was committed, found at " + FormatUtcMillis(*r.aborted_unix_ms))
                            : json(nullptr)}};
}

// The views of one state of the catalog, and the sandboxes made on them (per role and day), made when first
// asked for.
struct Snapshot {
  lake::ViewInputs inputs;
  std::string signature;
  std::mutex mu;
  std::map<std::string, std::shared_ptr<query::Sandbox>> sandboxes;  // "<role>@<day or newest>"

  Result<std::shared_ptr<query::Sandbox>> SandboxFor(const lake::Lake& lake, const std::string& role,
                                                     const query::Grants& grants, std::optional<DayNumber> as_of,
                                                     const query::SandboxLimits& limits) {
    const std::string key = role + "@" + (as_of ? FormatIsoDate(*as_of) : std::string("newest"));
    std::lock_guard<std::mutex> g(mu);
    if (auto it = sandboxes.find(key); it != sandboxes.end()) return it->second;
    if (sandboxes.size() >= 16) sandboxes.clear();  // days asked for once are not kept for ever
    auto made = query::Sandbox::Open(lake, inputs, grants, as_of, limits);
    if (!made.ok()) return made.status();
    std::shared_ptr<query::Sandbox> sandbox(std::move(*made));
    sandboxes.emplace(key, sandbox);
    return sandbox;
  }
};

// The newest run this service started (through the API or its schedule), while it runs and after.
struct CurrentRun {
  int64_t id = 0;
  DayNumber as_of = 0;
  int64_t started_unix_ms = 0;
  std::string trigger;
  bool done = false;
  std::string error;  // when it failed
};

}  // namespace

struct Service::Impl {
  lake::Lake lake;
  ServeConfig config;
  std::shared_ptr<spdlog::logger> log;
  httplib::Server http;
  Metrics metrics;
  Watchdog watchdog;
  QuerySlots slots;
  std::atomic<bool> stopping{false};

  std::mutex refresh_mu;  // one refresh of the snapshot at a time
  std::mutex snap_mu;     // guards snapshot, stamp
  std::shared_ptr<Snapshot> snapshot;
  std::string stamp;
  std::mutex tokens_mu;
  std::unordered_map<std::string, catalog::StoredToken> tokens;  // by token id

  std::mutex index_mu;
  std::shared_ptr<const FeatureIndex> index;
  std::string index_signature;
  int64_t observed_runs = 0;  // the newest run id the metrics have seen
  int64_t observed_aborted = 0;  // the newest aborted run the metrics and alerts have seen
  bool unfinished_starts = false;  // some run started and has no record: looked at again every second
  const int64_t opened_unix_ms = catalog::NowUnixMs();  // aborted runs found since are alerted even at the start

  std::atomic<uint64_t> upload_counter{0};

  std::mutex run_mu;
  std::optional<CurrentRun> current_run;
  std::thread run_thread;  // the newest API run's

  int listen_fd = -1;

  ServiceClock clock = ServiceClock::Real();
  std::unique_ptr<Alerter> alerter;
  std::thread scheduler;
  std::optional<DropFolders> folders;
  std::thread folder_watcher;
  std::mutex schedule_mu;
  std::condition_variable schedule_cv;  // woken to stop
  std::condition_variable backfill_cv;  // woken by a new backfill, or to stop
  std::thread backfiller;
  bool runs_baselined = false;          // the run records at start are counted, not alerted about
  // What the time-based alerts compare with the clock, taken from the catalog and the views when they change
  // (never read again while they do not): the newest successful run's and landed file's times (the service's
  // start when there is none), and the pending rows with the landing time of the oldest one's file.
  struct Freshness {
    double last_success = 0;
    double last_file = 0;
    std::vector<std::pair<std::string, uint64_t>> pending_by_source;  // from the views (RebuildIndex)
    uint64_t pending_rows = 0;
    double oldest_pending = 0;
  };
  double started_unix = 0;              // when the service started, on its clock
  Freshness freshness;                  // the watcher thread's own

  std::mutex watcher_mu;
  std::condition_variable watcher_cv;
  std::thread watcher;

  Impl(lake::Lake l, ServeConfig c) : lake(std::move(l)), config(std::move(c)), slots(config.query.max_concurrent) {
    log = spdlog::stderr_logger_mt("ledgerlake-serve-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    log->set_pattern("%v");
  }

  void Log(const std::string& level, const std::string& event, json fields = json::object()) {
    json line = {{"time", FormatUtcMillis(catalog::NowUnixMs())}, {"level", level}, {"event", event}};
    line.update(fields);
    const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
    if (level == "error") {
      log->error(text);
    } else if (level == "warn") {
      log->warn(text);
    } else {
      log->info(text);
    }
  }

  // The current snapshot, made again first when the catalog changed since it was made (which also reloads the
  // tokens). Take a read lease before calling it when the files of its views will be read.
  Result<std::shared_ptr<Snapshot>> Fresh() {
    const std::string now = CatalogStamp(catalog::Catalog::PathOf(lake));
    {
      std::lock_guard<std::mutex> g(snap_mu);
      if (snapshot && now == stamp) return snapshot;
    }
    std::lock_guard<std::mutex> refreshing(refresh_mu);
    const std::string again = CatalogStamp(catalog::Catalog::PathOf(lake));
    {
      std::lock_guard<std::mutex> g(snap_mu);
      if (snapshot && again == stamp) return snapshot;
    }
    LL_RETURN_IF_ERROR(ReloadTokens());
    auto inputs = query::ViewInputsToRead(lake);
    if (!inputs.ok()) return inputs.status();
    std::string signature = Signature(*inputs);
    std::lock_guard<std::mutex> g(snap_mu);
    stamp = again;
    if (!snapshot || snapshot->signature != signature) {
      auto fresh = std::make_shared<Snapshot>();
      fresh->inputs = std::move(*inputs);
      fresh->signature = std::move(signature);
      snapshot = std::move(fresh);
      watcher_cv.notify_all();  // the online store follows
    }
    return snapshot;
  }

  Status ReloadTokens() {
    std::unordered_map<std::string, catalog::StoredToken> loaded;
    if (std::filesystem::exists(catalog::Catalog::PathOf(lake))) {
      auto cat = catalog::Catalog::OpenForReading(lake);
      if (!cat.ok()) return cat.status();
      auto valid = cat->ValidTokens();
      if (!valid.ok()) return valid.status();
      for (catalog::StoredToken& t : *valid) loaded.emplace(t.info.id, std::move(t));
    }
    std::lock_guard<std::mutex> g(tokens_mu);
    tokens = std::move(loaded);
    return Status::OK();
  }

  // The role of the request's bearer token; nullopt (and a 401 reply) when there is none or it is not valid.
  std::optional<std::string> Authenticate(const httplib::Request& req, httplib::Response& res) {
    const std::string header = req.get_header_value("Authorization");
    std::string why = "no token: send Authorization: Bearer <token> (`ledgerlake token create` makes one)";
    if (header.starts_with("Bearer ")) {
      const std::string token = header.substr(7);
      why = "the token is not valid (unknown, revoked or mistyped)";
      if (auto id = catalog::TokenId(token)) {
        (void)Fresh();  // tokens made or revoked since are seen
        std::lock_guard<std::mutex> g(tokens_mu);
        if (auto it = tokens.find(*id); it != tokens.end() && catalog::TokenMatches(token, it->second)) {
          return it->second.info.role;
        }
      }
    }
    res.set_header("WWW-Authenticate", "Bearer");
    Error(res, 401, why);
    return std::nullopt;
  }

  // The grants of `role`: admin and the config's roles; a role the config no longer declares has none.
  query::Grants GrantsOf(const std::string& role) const {
    if (auto it = config.roles.find(role); it != config.roles.end()) return it->second;
    return query::Grants();
  }

  static void Reply(httplib::Response& res, int code, const json& body) {
    res.status = code;
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  }
  static void Error(httplib::Response& res, int code, const std::string& message) {
    Reply(res, code, json{{"error", FirstLine(message)}});
  }
  static void Fail(httplib::Response& res, const Status& st) { Error(res, HttpCode(st), st.message()); }

  // Wraps a route's handler: metrics and a log line per request; an exception is a 500, never a dead server.
  httplib::Server::Handler Route(const std::string& route, std::function<void(const httplib::Request&, httplib::Response&)> fn) {
    return [this, route, fn = std::move(fn)](const httplib::Request& req, httplib::Response& res) {
      const Clock::time_point start = Clock::now();
      try {
        fn(req, res);
      } catch (const std::exception& e) {
        Error(res, 500, std::string("internal error: ") + e.what());
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      metrics.ObserveRequest(route, res.status, seconds);
      if (route != "/healthz" && route != "/metrics" && route != "/api/accounts/{id}/features") {
        Log(res.status >= 500 ? "error" : "info", "request",
            {{"method", req.method}, {"route", route}, {"status", res.status}, {"ms", Millis(seconds)}});
      }
    };
  }

  // ---- routes ----

  void Datasets(const httplib::Request& req, httplib::Response& res) {
    auto role = Authenticate(req, res);
    if (!role) return;
    const query::Grants grants = GrantsOf(*role);
    auto snap = Fresh();
    if (!snap.ok()) return Fail(res, snap.status());
    json out = json::array();
    for (const lake::DatasetSpec& ds : lake::kDatasets) {
      if (ds.name == "deleted_invoices" || !grants.Allows(ds.name)) continue;
      json columns = json::array();
      for (const lake::DatasetColumn& c : lake::DatasetColumns(ds.sql_columns)) {
        columns.push_back({{"name", std::string(c.name)}, {"type", std::string(c.type)}});
      }
      std::optional<DayNumber> newest;
      for (const lake::ViewPartition& p : (*snap)->inputs.partitions) {
        if (p.dataset == ds.name) newest = newest ? std::max(*newest, p.day) : p.day;
      }
      out.push_back({{"name", std::string(ds.name)},
                     {"columns", columns},
                     {"newest_partition", newest ? json(FormatIsoDate(*newest)) : json(nullptr)}});
    }
    Reply(res, 200, json{{"datasets", out}});
  }

  void Query(const httplib::Request& req, httplib::Response& res) {
    auto role = Authenticate(req, res);
    if (!role) return;
    if (req.body.size() > kMaxQueryBody) return Error(res, 413, "the query request is over 1 MiB");
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("sql") || !body["sql"].is_string()) {
      return Error(res, 400, "the body must be a JSON object with \"sql\" (a string) and optionally \"as_of\"");
    }
    std::optional<DayNumber> as_of;
    if (body.contains("as_of") && !body["as_of"].is_null()) {
      if (!body["as_of"].is_string() || !(as_of = ParseIsoDate(body["as_of"].get<std::string>()))) {
        return Error(res, 400, "as_of must be a date YYYY-MM-DD");
      }
    }
    const std::string sql = body["sql"].get<std::string>();
    const Clock::time_point start = Clock::now();
    const auto timeout = std::chrono::duration<double>(config.query.timeout_seconds);
    const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(timeout);
    if (!slots.Acquire(deadline)) {
      return Error(res, 503, "every query slot stayed busy for query.timeout_seconds: try again later");
    }
    struct Release {
      QuerySlots& s;
      ~Release() { s.Release(); }
    } release{slots};

    lake::ReadLease lease = lake::ReadLease::Acquire(lake);  // before the catalog is read: its files stay
    auto snap = Fresh();
    if (!snap.ok()) return Fail(res, snap.status());
    query::SandboxLimits limits;
    limits.memory_limit = config.query.memory_limit;
    auto sandbox = (*snap)->SandboxFor(lake, *role, GrantsOf(*role), as_of, limits);
    if (!sandbox.ok()) return Fail(res, sandbox.status());
    auto conn = (*sandbox)->Connect();
    if (!conn.ok()) return Fail(res, conn.status());
    auto statements = conn->CountStatements(sql);
    if (!statements.ok()) return Fail(res, statements.status());
    if (*statements != 1) return Error(res, 400, "one SQL statement per request, not " + std::to_string(*statements));
    if (Status allowed = (*sandbox)->Check(*conn, sql); !allowed.ok()) return Fail(res, allowed);

    std::atomic<bool> fired{false};
    const uint64_t ticket = watchdog.Watch(&*conn, deadline, &fired);
    std::string out = "{\"columns\":[";
    Status failure;
    bool truncated = false;
    {
      auto result = conn->QueryStatement(sql, 0);
      if (!result.ok()) {
        failure = result.status();
      } else {
        for (size_t c = 0; c < result->column_count(); ++c) {
          if (c > 0) out += ',';
          out += json{{"name", result->column_name(c)}, {"type", result->column_type(c)}}.dump();
        }
        out += "],\"rows\":[";
        size_t rows = 0;
        for (;;) {
          auto next = result->Next();
          if (!next.ok()) {
            failure = next.status();
            break;
          }
          if (!*next) break;
          if (rows == config.query.max_rows) {
            truncated = true;
            break;
          }
          out += rows++ == 0 ? "[" : ",[";
          for (size_t c = 0; c < result->column_count(); ++c) {
            if (c > 0) out += ',';
            duck::AppendJsonCell(*result, c, out);
          }
          out += ']';
        }
      }
    }
    watchdog.Forget(ticket);
    metrics.ObserveQuery(std::chrono::duration<double>(Clock::now() - start).count());
    if (fired.load()) {
      return Error(res, 400,
                   "query cancelled: it ran longer than query.timeout_seconds (" +
                       json(config.query.timeout_seconds).dump() + " s)");
    }
    if (!failure.ok()) return Fail(res, query::NameDamagedFiles(lake, failure));
    out += "],\"truncated\":";
    out += truncated ? "true}" : "false}";
    res.status = 200;
    res.set_content(out, "application/json");
  }

  void AccountFeatures(const httplib::Request& req, httplib::Response& res) {
    auto role = Authenticate(req, res);
    if (!role) return;
    const query::Grants grants = GrantsOf(*role);
    if (!grants.Allows("account_features") || !grants.Allows("invoice_features")) {
      return Error(res, 403, "the lookup needs grants on account_features and invoice_features");
    }
    int64_t id = 0;
    const std::string text = req.matches[1];
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), id);
    if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
      return Error(res, 400, "an account id is a whole number, not '" + text + "'");
    }
    std::shared_ptr<const FeatureIndex> current;
    {
      std::lock_guard<std::mutex> g(index_mu);
      current = index;
    }
    if (!current) return Error(res, 503, "the feature index is still being built: try again in a moment");
    auto body = current->Render(id);
    if (!body) return Error(res, 404, "no account " + text + " in account_features");
    res.status = 200;
    res.set_content(*body, "application/json");
  }

  void Runs(const httplib::Request& req, httplib::Response& res) {
    if (!Authenticate(req, res)) return;
    size_t limit = 20;
    if (req.has_param("limit")) {
      const std::string text = req.get_param_value("limit");
      const auto parsed = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || limit == 0 || limit > 1000) {
        return Error(res, 400, "limit must be a whole number from 1 to 1000");
      }
    }
    auto records = RunRecords();
    if (!records.ok()) return Fail(res, records.status());
    // Recorded runs, then the starts without a record (running or aborted), then this service's own run, which
    // knows most about itself; newest first.
    std::map<int64_t, json> all;
    const auto checks = StoredChecks(0);
    size_t taken = 0;
    for (auto it = records->rbegin(); it != records->rend() && taken < limit; ++it, ++taken) {
      all.emplace(it->first, WithChecks(RunJson(it->second), it->first, checks));
    }
    for (const catalog::RunStart& start : RunStarts()) {
      if (!records->count(start.run_id)) all.emplace(start.run_id, StartJson(start));
    }
    if (auto running = RunningJson(); running && !records->count(running->at("id").get<int64_t>())) {
      all[running->at("id").get<int64_t>()] = *running;
    }
    json runs = json::array();
    for (auto it = all.rbegin(); it != all.rend() && runs.size() < limit; ++it) runs.push_back(std::move(it->second));
    Reply(res, 200, json{{"runs", runs}});
  }

  void OneRun(const httplib::Request& req, httplib::Response& res) {
    if (!Authenticate(req, res)) return;
    int64_t id = 0;
    const std::string text = req.matches[1];
    std::from_chars(text.data(), text.data() + text.size(), id);
    auto records = RunRecords();
    if (!records.ok()) return Fail(res, records.status());
    if (auto it = records->find(id); it != records->end()) {
      return Reply(res, 200, WithChecks(RunJson(it->second), id, StoredChecks(id)));
    }
    if (auto running = RunningJson(); running && running->at("id").get<int64_t>() == id) return Reply(res, 200, *running);
    for (const catalog::RunStart& start : RunStarts()) {
      if (start.run_id == id) return Reply(res, 200, StartJson(start));
    }
    Error(res, 404, "no run " + text);
  }

  // The data-quality checks of run `id` (0: of every run), by run.
  std::map<int64_t, std::vector<catalog::CheckResult>> StoredChecks(int64_t id) {
    auto cat = catalog::Catalog::OpenForReading(lake);
    if (!cat.ok()) return {};
    auto stored = cat->Checks(id);
    return stored.ok() ? std::move(*stored) : std::map<int64_t, std::vector<catalog::CheckResult>>();
  }

  // `run` with its data-quality checks from `stored` ("checks": [] when it has none).
  static json WithChecks(json run, int64_t id, const std::map<int64_t, std::vector<catalog::CheckResult>>& stored) {
    json checks = json::array();
    if (auto it = stored.find(id); it != stored.end()) {
      for (const catalog::CheckResult& c : it->second) {
        checks.push_back({{"name", c.name}, {"ok", c.ok}, {"value", c.value}, {"threshold", c.threshold},
                          {"previous", c.previous}, {"current", c.current}});
      }
    }
    run["checks"] = checks;
    return run;
  }

  Result<std::map<int64_t, catalog::RunRecord>> RunRecords() {
    std::map<int64_t, catalog::RunRecord> out;
    if (!std::filesystem::exists(catalog::Catalog::PathOf(lake))) return out;
    auto cat = catalog::Catalog::OpenForReading(lake);
    if (!cat.ok()) return cat.status();
    auto runs = cat->Runs();
    if (!runs.ok()) return runs.status();
    for (catalog::RunRecord& r : *runs) out.emplace(r.run_id, std::move(r));
    return out;
  }

  // The catalog's starts without a record (none when it cannot be read: the records say what went wrong).
  std::vector<catalog::RunStart> RunStarts() {
    if (!std::filesystem::exists(catalog::Catalog::PathOf(lake))) return {};
    auto cat = catalog::Catalog::OpenForReading(lake);
    if (!cat.ok()) return {};
    auto starts = cat->RunStarts();
    return starts.ok() ? std::move(*starts) : std::vector<catalog::RunStart>();
  }

  // Runs whose process died before their end (a run of this service never: it waits for its run before it
  // exits). With the lake lock free, no run is going on, so the starts without a record are marked aborted now
  // rather than at the next run. Each is an incident.
  void FindAbortedRuns() {
    job::MarkAbortedRuns(lake);
    unfinished_starts = false;
    for (const catalog::RunStart& start : RunStarts()) {
      unfinished_starts |= !start.aborted_unix_ms;
      if (!start.aborted_unix_ms || start.run_id <= observed_aborted) continue;
      observed_aborted = start.run_id;
      metrics.ObserveAbortedRun(start.trigger);
      if (runs_baselined || *start.aborted_unix_ms >= opened_unix_ms) {
        alerter->Fire("run", "run_aborted", "error",
                      "run " + std::to_string(start.run_id) + " as of " + FormatIsoDate(start.as_of) + " (" +
                          start.trigger + ") was aborted: its process ended before the run did");
      }
    }
  }

  // The service's newest run, while the catalog has no record of it (running, or ended without one).
  std::optional<json> RunningJson() {
    std::lock_guard<std::mutex> g(run_mu);
    if (!current_run) return std::nullopt;
    const CurrentRun& r = *current_run;
    json j = {{"id", r.id},       {"as_of", FormatIsoDate(r.as_of)}, {"trigger", r.trigger},
              {"started", FormatUtcMillis(r.started_unix_ms)}, {"finished", nullptr}, {"error", nullptr}};
    j["status"] = !r.done ? "running" : (r.error.empty() ? "succeeded" : "failed");
    if (!r.error.empty()) j["error"] = r.error;
    return j;
  }

  void StartRun(const httplib::Request& req, httplib::Response& res) {
    auto role = Authenticate(req, res);
    if (!role) return;
    if (*role != "admin") return Error(res, 403, "starting a run needs the admin role");
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) return Error(res, 400, "the body must be a JSON object {\"as_of\": \"YYYY-MM-DD\"}");
    if (body.contains("from") || body.contains("to")) return StartBackfill(body, res);
    job::RunRequest request;
    request.trigger = "api";
    if (body.contains("as_of") && !body["as_of"].is_null()) {
      std::optional<DayNumber> day;
      if (!body["as_of"].is_string() || !(day = ParseIsoDate(body["as_of"].get<std::string>()))) {
        return Error(res, 400, "as_of must be a date YYYY-MM-DD");
      }
      request.as_of = day;
    }
    auto prepared = PrepareRun(std::move(request));
    if (!prepared.ok()) {
      const Status& st = prepared.status();
      return st.code() == Status::Code::kBusy ? Error(res, 409, st.message()) : Fail(res, st);
    }
    if (std::holds_alternative<job::RunPlan>(*prepared)) {
      const job::RunPlan& plan = std::get<job::RunPlan>(*prepared);
      return Reply(res, 200, json{{"id", nullptr}, {"status", "skipped"}, {"as_of", FormatIsoDate(plan.as_of)},
                                  {"reason", plan.reason}});
    }
    PreparedRun run = std::move(std::get<PreparedRun>(*prepared));
    const int64_t id = run.request.run_id;
    const DayNumber as_of = run.plan.as_of;
    {
      std::lock_guard<std::mutex> g(run_mu);
      if (run_thread.joinable()) run_thread.join();  // the previous API run's thread, ended
      run_thread = std::thread([this, run = std::move(run)]() mutable { (void)ExecutePrepared(std::move(run)); });
    }
    Reply(res, 202, json{{"id", id}, {"as_of", FormatIsoDate(as_of)}});
  }

  // POST /api/runs {"from", "to", "only_missing"?}: a backfill, kept in the catalog and carried out day by day
  // by the backfill thread (which goes on with it after a restart).
  void StartBackfill(const json& body, httplib::Response& res) {
    std::optional<DayNumber> from;
    std::optional<DayNumber> to;
    if (!body.contains("from") || !body.contains("to") || !body["from"].is_string() || !body["to"].is_string() ||
        !(from = ParseIsoDate(body["from"].get<std::string>())) || !(to = ParseIsoDate(body["to"].get<std::string>()))) {
      return Error(res, 400, "a backfill is {\"from\": \"YYYY-MM-DD\", \"to\": \"YYYY-MM-DD\", \"only_missing\": false}");
    }
    const bool only_missing = body.value("only_missing", false);
    auto cat = catalog::Catalog::Open(lake);
    if (!cat.ok()) return Fail(res, cat.status());
    auto days = job::BackfillDays(*cat, *from, *to, only_missing);
    if (!days.ok()) return Fail(res, days.status());
    auto id = cat->CreateBackfill(*from, *to, only_missing);
    if (!id.ok()) return Fail(res, id.status());
    Log("info", "backfill queued", {{"backfill", *id}, {"from", FormatIsoDate(*from)}, {"to", FormatIsoDate(*to)}, {"days", days->size()}});
    backfill_cv.notify_all();
    json list = json::array();
    for (const DayNumber d : *days) list.push_back(FormatIsoDate(d));
    Reply(res, 202, json{{"backfill", *id}, {"days", list}});
  }

  static json BackfillJson(const catalog::Backfill& b) {
    return {{"id", b.id},
            {"from", FormatIsoDate(b.from)},
            {"to", FormatIsoDate(b.to)},
            {"only_missing", b.only_missing},
            {"status", b.status},
            {"done_through", b.done_through ? json(FormatIsoDate(*b.done_through)) : json(nullptr)},
            {"error", b.error.empty() ? json(nullptr) : json(b.error)},
            {"created", FormatUtcMillis(b.created_unix_ms)},
            {"finished", b.ended_unix_ms ? json(FormatUtcMillis(*b.ended_unix_ms)) : json(nullptr)}};
  }

  void Backfills(const httplib::Request& req, httplib::Response& res) {
    if (!Authenticate(req, res)) return;
    auto cat = catalog::Catalog::OpenForReading(lake);
    if (!cat.ok()) return Fail(res, cat.status());
    auto all = cat->Backfills();
    if (!all.ok()) return Fail(res, all.status());
    const bool one = req.matches.size() > 1;
    json list = json::array();
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      if (one && std::to_string(it->id) == req.matches[1].str()) return Reply(res, 200, BackfillJson(*it));
      list.push_back(BackfillJson(*it));
    }
    if (one) return Error(res, 404, "no backfill " + req.matches[1].str());
    Reply(res, 200, json{{"backfills", list}});
  }

  // The backfill thread: the oldest queued or running backfill, day after day, until none is left.
  void RunBackfills() {
    while (!stopping) {
      std::optional<catalog::Backfill> next;
      {
        auto cat = catalog::Catalog::Open(lake);
        if (cat.ok()) {
          auto all = cat->Backfills();
          if (all.ok()) {
            for (const catalog::Backfill& b : *all) {
              if (b.status == "queued" || b.status == "running") {
                next = b;
                break;
              }
            }
          }
        }
      }
      if (!next) {
        std::unique_lock<std::mutex> lock(schedule_mu);
        backfill_cv.wait_for(lock, std::chrono::seconds(5), [this] { return stopping.load(); });
        continue;
      }
      CarryOut(*next);
    }
  }

  void Save(const catalog::Backfill& b) {
    auto cat = catalog::Catalog::Open(lake);
    const Status st = cat.ok() ? cat->UpdateBackfill(b) : cat.status();
    if (!st.ok()) Log("error", "backfill not saved", {{"backfill", b.id}, {"error", FirstLine(st.message())}});
  }

  void CarryOut(catalog::Backfill b) {
    b.status = "running";
    Save(b);
    const DayNumber first = b.done_through ? *b.done_through + 1 : b.from;
    for (DayNumber day = first; day <= b.to && !stopping;) {
      std::vector<DayNumber> days;
      {
        auto cat = catalog::Catalog::Open(lake);
        auto computed = cat.ok() ? job::BackfillDays(*cat, day, b.to, b.only_missing) : Result<std::vector<DayNumber>>(cat.status());
        if (!computed.ok()) return Failed(b, FirstLine(computed.status().message()));
        days = std::move(*computed);
      }
      if (days.empty()) break;
      day = days.front();
      job::RunRequest request;
      request.as_of = day;
      request.trigger = "api";
      auto prepared = PrepareRun(std::move(request));
      if (!prepared.ok() && prepared.status().code() == Status::Code::kBusy) {
        std::unique_lock<std::mutex> lock(schedule_mu);  // another run first; then this day again
        backfill_cv.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping.load(); });
        continue;
      }
      Status st = prepared.ok() ? Status::OK() : prepared.status();
      if (prepared.ok() && std::holds_alternative<PreparedRun>(*prepared)) {
        st = ExecutePrepared(std::move(std::get<PreparedRun>(*prepared)));
      }
      if (!st.ok()) return Failed(b, FormatIsoDate(day) + ": " + FirstLine(st.message()));
      b.done_through = day;
      Save(b);
      ++day;
    }
    if (stopping) return;  // still running: the next start goes on from done_through
    b.status = "done";
    b.ended_unix_ms = catalog::NowUnixMs();
    Save(b);
    alerter->Resolve("backfill", "backfill " + std::to_string(b.id) + " is done");
    Log("info", "backfill done", {{"backfill", b.id}});
  }

  void Failed(catalog::Backfill& b, const std::string& error) {
    b.status = "failed";
    b.error = error;
    b.ended_unix_ms = catalog::NowUnixMs();
    Save(b);
    alerter->Fire("backfill", "backfill_failed", "error",
                  "backfill " + std::to_string(b.id) + " stopped at " + error +
                      "; POST /api/runs with \"only_missing\": true goes on from there");
  }

  // A run ready to execute: the run slot claimed (current_run), the lake lock, the catalog, the plan, and the
  // request with the id its record will have.
  struct PreparedRun {
    lake::LakeLock lock;
    catalog::Catalog cat;
    job::RunPlan plan;
    job::RunRequest request;
  };

  // Claims the run slot and plans the run: Busy when a run of this service or another process's writer holds the
  // lake; the plan's error; the plan alone when it has nothing to apply (the slot is not claimed then).
  Result<std::variant<PreparedRun, job::RunPlan>> PrepareRun(job::RunRequest request) {
    std::lock_guard<std::mutex> g(run_mu);
    if (stopping) return Status::Busy("the service is stopping");
    if (current_run && !current_run->done) {
      return Status::Busy("run " + std::to_string(current_run->id) + " is running: one run at a time (try again when it ends)");
    }
    auto lock = lake::LakeLock::TryAcquire(lake);
    if (!lock.ok()) return Status::Busy("another process holds the lake lock (a run or an ingest): try again when it ends");
    auto cat = catalog::Catalog::Open(lake);
    if (!cat.ok()) return cat.status();
    LL_RETURN_IF_ERROR(cat->Sync(lake));
    auto plan = job::PlanRun(*lock, lake, *cat, request);
    if (!plan.ok()) return plan.status();
    using Prepared = std::variant<PreparedRun, job::RunPlan>;
    if (plan->kind == job::RunPlan::Kind::kNothingToApply) return Prepared(std::in_place_type<job::RunPlan>, std::move(*plan));
    auto id = cat->ReserveRunId();
    if (!id.ok()) return id.status();
    request.run_id = *id;
    current_run = CurrentRun{*id, plan->as_of, catalog::NowUnixMs(), request.trigger, false, ""};
    Log("info", "run started",
        {{"id", *id}, {"as_of", FormatIsoDate(plan->as_of)}, {"kind", job::KindName(plan->kind)}, {"trigger", request.trigger}});
    return Prepared(std::in_place_type<PreparedRun>,
                    PreparedRun{std::move(*lock), std::move(*cat), std::move(*plan), std::move(request)});
  }

  // Carries out a prepared run and frees the run slot; the run's error when it failed.
  Status ExecutePrepared(PreparedRun run) {
    auto outcome = job::ExecuteRun(run.lock, lake, run.cat, std::move(run.plan), run.request);
    const Status st = outcome.ok() ? Status::OK() : outcome.status();
    if (st.ok() && config.retention_keep_days) {  // retention, while the run's lock is held
      auto vacuumed = job::Vacuum(run.lock, lake, run.cat, *config.retention_keep_days, "schedule");
      if (!vacuumed.ok()) {
        Log("error", "retention failed", {{"error", FirstLine(vacuumed.status().message())}});
      } else if (!vacuumed->days.empty()) {
        Log("info", "retention", {{"dropped_days", vacuumed->days.size()}, {"note", vacuumed->note}});
      }
    }
    {
      std::lock_guard<std::mutex> done(run_mu);
      current_run->done = true;
      if (!st.ok()) current_run->error = FirstLine(st.message());
    }
    Log(st.ok() ? "info" : "error", "run ended",
        {{"id", run.request.run_id}, {"error", st.ok() ? json(nullptr) : json(FirstLine(st.message()))}});
    watcher_cv.notify_all();
    return st;
  }

  // POST /api/undo {"runs": N} and POST /api/vacuum {"keep_days": N} (admin): job/manage.h under the lake lock.
  void Manage(const httplib::Request& req, httplib::Response& res, bool undo) {
    auto role = Authenticate(req, res);
    if (!role) return;
    if (*role != "admin") return Error(res, 403, std::string(undo ? "undo" : "vacuum") + " needs the admin role");
    json body = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    const char* key = undo ? "runs" : "keep_days";
    if (body.is_discarded() || !body.is_object() || (body.contains(key) && !body[key].is_number_integer()) ||
        (!undo && !body.contains(key))) {
      return Error(res, 400, std::string("the body must be {\"") + key + "\": N}");
    }
    const int n = body.value(key, 1);
    std::unique_lock<std::mutex> g(run_mu);  // not while the service's own run goes on
    if (current_run && !current_run->done) return Error(res, 409, "run " + std::to_string(current_run->id) + " is running");
    auto lock = lake::LakeLock::TryAcquire(lake);
    if (!lock.ok()) return Error(res, 409, "another process holds the lake lock (a run or an ingest): try again when it ends");
    auto cat = catalog::Catalog::Open(lake);
    if (!cat.ok()) return Fail(res, cat.status());
    auto done = undo ? job::UndoNewestRuns(*lock, lake, *cat, n, "api") : job::Vacuum(*lock, lake, *cat, n, "api");
    if (!done.ok()) return Fail(res, done.status());
    json days = json::array();
    for (const DayNumber d : done->days) days.push_back(FormatIsoDate(d));
    Log("info", undo ? "undo" : "vacuum", {{"days", days}, {"runs", done->runs}});
    Reply(res, 200, json{{"days", days}, {"runs", done->runs}, {"note", done->note}});
  }

  // POST /api/ingest?table=NAME&name=FILE: the body, streamed to a file under the lake's tmp/ (at most
  // ingest.max_bytes), landed as `ledgerlake ingest FILE --table NAME` would land it.
  void IngestUpload(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& read) {
    auto role = Authenticate(req, res);
    if (!role) return;
    if (*role != "admin") return Error(res, 403, "ingest needs the admin role");
    const std::string name = req.get_param_value("name");
    const std::string table_name = req.get_param_value("table");
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      return Error(res, 400, "name= must be the extract's file name (e.g. invoices_2025-01-02.csv), without a directory");
    }
    std::optional<contract::TableId> table;
    if (!table_name.empty() && !(table = contract::TableFromName(table_name))) {
      return Error(res, 400, "table= must be accounts, skus, invoices or invoice_line_items, not '" + table_name + "'");
    }
    if (req.has_header("Content-Length") &&
        std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > config.ingest_max_bytes) {
      return Error(res, 413, "the extract is over ingest.max_bytes (" + std::to_string(config.ingest_max_bytes) + " bytes)");
    }
    const std::string dir = lake.tmp_dir() + "/upload-" + std::to_string(catalog::NowUnixMs()) + "-" +
                            std::to_string(upload_counter.fetch_add(1));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    struct Cleanup {
      std::string dir;
      ~Cleanup() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
      }
    } cleanup{dir};
    const std::string path = dir + "/" + name;
    std::FILE* out = ec ? nullptr : std::fopen(path.c_str(), "wb");
    if (out == nullptr) return Error(res, 500, "cannot write " + path);
    uint64_t bytes = 0;
    bool too_big = false;
    bool write_failed = false;
    read([&](const char* data, size_t n) {
      bytes += n;
      if (bytes > config.ingest_max_bytes) {
        too_big = true;
        return false;
      }
      write_failed = write_failed || std::fwrite(data, 1, n, out) != n;
      return !write_failed;
    });
    write_failed = std::fclose(out) != 0 || write_failed;
    if (too_big) return Error(res, 413, "the extract is over ingest.max_bytes (" + std::to_string(config.ingest_max_bytes) + " bytes)");
    if (write_failed) return Error(res, 500, "cannot write " + path);
    auto lock = lake::LakeLock::TryAcquire(lake);
    if (!lock.ok()) return Error(res, 409, "another process holds the lake lock (a run or an ingest): try again when it ends");
    auto ingested = job::Ingest(*lock, lake, {path}, table);
    if (!ingested.ok()) return Fail(res, Status::InvalidArgument(ingested.status().message()));
    json landed = json::array();
    for (const lake::LandedFile& f : ingested->landed) {
      landed.push_back({{"table", std::string(contract::TableName(f.table))},
                        {"sequence", f.sequence},
                        {"bytes", f.bytes},
                        {"status", f.newly_landed ? "landed" : "present"},
                        {"unknown_columns", f.unknown_columns}});
    }
    json out_json = {{"landed", landed}};
    if (!ingested->registration.ok()) {
      out_json["warning"] = "landed, but the catalog could not register it yet: " + FirstLine(ingested->registration.message());
    } else if (auto breaking = ingested->catalog->BreakingChanges(); breaking.ok()) {
      json held = json::array();
      for (const catalog::BreakingChange& b : *breaking) {
        for (const lake::LandedFile& f : ingested->landed) {
          if (f.newly_landed && b.file_sequence == f.sequence) held.push_back(catalog::BreakingLine(b));
        }
      }
      if (!held.empty()) out_json["breaking"] = held;
    }
    Log("info", "ingested", {{"name", name}, {"bytes", bytes}, {"landed", landed.size()}});
    Reply(res, 200, out_json);
  }

  // ---- background: the online store and the run metrics follow the catalog ----

  void Watch() {
    std::string index_for;  // the snapshot signature the index was built from
    std::string runs_stamp;
    Clock::time_point next_time_alerts = Clock::now();
    while (!stopping) {
      {
        lake::ReadLease lease = lake::ReadLease::Acquire(lake);
        auto snap = Fresh();
        if (!snap.ok()) {
          Log("error", "refresh failed", {{"error", FirstLine(snap.status().message())}});
        } else {
          std::shared_ptr<Snapshot> s = *snap;
          if (s->signature != index_for) {
            if (Status st = RebuildIndex(*s); st.ok()) {
              index_for = s->signature;
            } else {
              Log("error", "feature index not rebuilt", {{"error", FirstLine(st.message())}});
            }
          }
          std::string now;
          {
            std::lock_guard<std::mutex> g(snap_mu);
            now = stamp;
          }
          if (now != runs_stamp) {
            if (Status st = ObserveRuns(*s); st.ok()) runs_stamp = now;
            ReadLanding();
          }
          if (Clock::now() >= next_time_alerts) {
            if (unfinished_starts) FindAbortedRuns();  // a run's process may have died since
            TimeAlerts();
            next_time_alerts = Clock::now() + std::chrono::seconds(1);
          }
        }
      }
      std::unique_lock<std::mutex> lock(watcher_mu);
      watcher_cv.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopping.load(); });
    }
  }

  Result<std::shared_ptr<query::Sandbox>> AdminSandbox(Snapshot& s) {
    return s.SandboxFor(lake, "admin", query::Grants::All(), std::nullopt, query::SandboxLimits{config.query.memory_limit, 0});
  }

  Status RebuildIndex(Snapshot& s) {
    const Clock::time_point start = Clock::now();
    auto sandbox = AdminSandbox(s);
    if (!sandbox.ok()) return sandbox.status();
    auto conn = (*sandbox)->Connect();
    if (!conn.ok()) return conn.status();
    auto built = FeatureIndex::Build(*conn);
    if (!built.ok()) return built.status();
    auto fresh = std::make_shared<const FeatureIndex>(std::move(*built));
    for (const lake::DatasetSpec& ds : lake::kDatasets) {
      if (ds.name == "deleted_invoices") continue;
      auto n = conn->Query("SELECT count(*) FROM " + std::string(ds.name));
      if (!n.ok()) continue;
      auto rows = n->ReadAll();
      if (!rows.ok() || rows->empty() || !(*rows)[0][0]) continue;
      const double count = std::stod(*(*rows)[0][0]);
      if (ds.name == "pending") metrics.SetPendingRows(count);
      metrics.SetDatasetRows(std::string(ds.name), count);
    }
    freshness.pending_by_source.clear();
    if (auto pending = conn->Query("SELECT source_file, count(*) FROM pending GROUP BY ALL"); pending.ok()) {
      if (auto rows = pending->ReadAll(); rows.ok()) {
        for (const duck::TextRow& row : *rows) {
          if (row[0] && row[1]) freshness.pending_by_source.emplace_back(*row[0], std::stoull(*row[1]));
        }
      }
    }
    Log("info", "feature index built",
        {{"accounts", fresh->accounts()},
         {"invoices", fresh->invoices()},
         {"ms", Millis(std::chrono::duration<double>(Clock::now() - start).count())}});
    std::lock_guard<std::mutex> g(index_mu);
    index = std::move(fresh);
    return Status::OK();
  }

  // The landed files' part of `freshness`, after a change of the catalog.
  void ReadLanding() {
    const AlertsConfig& a = config.alerts;
    if (!a.fresh_warn_hours && !a.fresh_error_hours && !a.pending_days) return;
    auto cat = catalog::Catalog::OpenForReading(lake);
    if (!cat.ok()) return;
    auto landed = cat->LandedFiles();
    if (!landed.ok()) return;
    std::map<std::string, double> landed_at;  // by source path: the earliest landing of it
    for (const lake::LandedFile& f : *landed) {
      freshness.last_file = std::max(freshness.last_file, static_cast<double>(f.landed_unix));
      auto [it, fresh] = landed_at.emplace(f.source, static_cast<double>(f.landed_unix));
      if (!fresh) it->second = std::min(it->second, static_cast<double>(f.landed_unix));
    }
    freshness.pending_rows = 0;
    freshness.oldest_pending = std::numeric_limits<double>::infinity();
    for (const auto& [source, rows] : freshness.pending_by_source) {
      freshness.pending_rows += rows;
      if (auto it = landed_at.find(source); it != landed_at.end()) {
        freshness.oldest_pending = std::min(freshness.oldest_pending, it->second);
      }
    }
  }

  // Freshness and pending rows against the service's clock: each a warning (and freshness an error past its
  // second threshold), raised once and resolved when it clears. No I/O: `freshness` holds what it compares.
  void TimeAlerts() {
    const AlertsConfig& a = config.alerts;
    const double now = clock.Now();
    const std::pair<const char*, double> ages[] = {{"runs", (now - freshness.last_success) / 3600},
                                                   {"data", (now - freshness.last_file) / 3600}};
    for (const auto& [what, hours] : ages) {
      const std::string subject = std::string(what) == "runs" ? "no successful run" : "no new file";
      for (const auto& [level, limit] : {std::pair<const char*, std::optional<double>>{"warning", a.fresh_warn_hours},
                                         {"error", a.fresh_error_hours}}) {
        if (!limit) continue;
        const std::string key = std::string("stale_") + what + ":" + level;
        if (hours > *limit) {
          alerter->Fire(key, std::string("stale_") + what, level,
                        subject + " for " + json(std::round(hours * 10) / 10).dump() + " hours (alerts.fresh_within_hours." +
                            (std::string(level) == "warning" ? "warn" : "error") + " is " + json(*limit).dump() + ")");
        } else {
          alerter->Resolve(key, subject + " is fresh again");
        }
      }
    }
    if (!a.pending_days) return;
    const double days = (now - freshness.oldest_pending) / 86400;
    if (freshness.pending_rows > 0 && days > *a.pending_days) {
      alerter->Fire("pending", "pending_rows_waiting", "warning",
                    std::to_string(freshness.pending_rows) + " rows wait for a parent, the oldest for " +
                        json(std::round(days * 10) / 10).dump() + " days (alerts.pending_days is " +
                        json(*a.pending_days).dump() + "); `ledgerlake catalog pending` lists them");
    } else {
      alerter->Resolve("pending", "no row waits longer than alerts.pending_days");
    }
  }

  // Profiles run `r` and checks it against the run before (job/quality.h); failures are counted and alerted once.
  void Check(const catalog::RunRecord& r) {
    auto cat = catalog::Catalog::Open(lake);
    if (!cat.ok()) return;
    if (!runs_baselined) {  // at start: only when it was never profiled
      auto profile = cat->Profile(r.run_id);
      if (!profile.ok() || !profile->empty()) return;
    }
    auto checks = job::CheckRun(lake, *cat, r.run_id, r.as_of, config.checks);
    if (!checks.ok()) {
      Log("warn", "checks not made", {{"run", r.run_id}, {"error", FirstLine(checks.status().message())}});
      return;
    }
    std::string failed;
    for (const catalog::CheckResult& c : *checks) {
      if (c.ok) continue;
      metrics.ObserveFailedCheck(c.name);
      failed += (failed.empty() ? "" : "; ") + c.name + " " + json(c.value).dump() + " > " + json(c.threshold).dump();
    }
    if (!runs_baselined) return;
    if (failed.empty()) {
      alerter->Resolve("quality", "the checks of run " + std::to_string(r.run_id) + " pass");
    } else {
      alerter->Fire("quality", "quality_check_failed", "warning",
                    "run " + std::to_string(r.run_id) + " as of " + FormatIsoDate(r.as_of) + ": " + failed);
    }
  }

  // Counts the runs the catalog gained since the last look into the metrics.
  Status ObserveRuns(Snapshot& s) {
    FindAbortedRuns();
    auto records = RunRecords();
    if (!records.ok()) return records.status();
    for (auto it = records->upper_bound(observed_runs); it != records->end(); ++it) {
      const catalog::RunRecord& r = it->second;
      std::map<std::pair<std::string, std::string>, uint64_t> rejects;
      for (const catalog::PartitionRecord& p : r.partitions) {
        if (p.dataset != "rejects" || p.files.empty()) continue;
        std::string list;
        for (const catalog::PartitionFile& f : p.files) {
          list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(lake.root() + "/" + p.path + "/" + f.name);
        }
        auto sandbox = AdminSandbox(s);
        if (!sandbox.ok()) break;
        auto conn = (*sandbox)->Connect();
        if (!conn.ok()) break;
        auto counted = conn->Query("SELECT table_name, reason, count(*) FROM read_parquet([" + list + "]) GROUP BY ALL");
        if (!counted.ok()) break;  // a partition a later run superseded and removed: its rejects are not counted
        auto rows = counted->ReadAll();
        if (!rows.ok()) break;
        for (const duck::TextRow& row : *rows) {
          if (row[0] && row[1] && row[2]) rejects[{*row[0], *row[1]}] += std::stoull(*row[2]);
        }
      }
      metrics.ObserveRun(r, rejects);
      observed_runs = r.run_id;
      if (r.ok) freshness.last_success = std::max(freshness.last_success, static_cast<double>(r.ended_unix_ms) / 1000);
      // Data-quality checks of each committed run as it comes (and, at start, of the newest one if it has none).
      const bool newest = std::next(it) == records->end();
      if (r.ok && !r.partitions.empty() && (runs_baselined || newest)) Check(r);
      // Runs of the command line and the API are not retried: a failure is an incident at once. A failed
      // scheduled attempt is the scheduler's to judge (a retry may follow).
      if (runs_baselined && r.ok) alerter->Resolve("run", "run " + std::to_string(r.run_id) + " as of " + FormatIsoDate(r.as_of) + " succeeded");
      if (runs_baselined && r.ok && config.alerts.reject_rate_above) {
        uint64_t read = 0, rejected = 0;
        for (const catalog::TableFates& t : r.tables) {
          read += t.fates.read;
          rejected += t.fates.rejected;
        }
        const double rate = read > 0 ? static_cast<double>(rejected) / static_cast<double>(read) : 0;
        if (rate > *config.alerts.reject_rate_above) {
          alerter->Fire("reject_rate", "reject_rate_high", "warning",
                        "run " + std::to_string(r.run_id) + " as of " + FormatIsoDate(r.as_of) + " rejected " +
                            std::to_string(rejected) + " of " + std::to_string(read) + " rows (" + json(rate).dump() +
                            " > alerts.reject_rate_above " + json(*config.alerts.reject_rate_above).dump() + ")");
        } else {
          alerter->Resolve("reject_rate", "run " + std::to_string(r.run_id) + " rejected " + json(rate).dump() + " of its rows");
        }
      }
      if (runs_baselined && !r.ok && (r.trigger == "cli" || r.trigger == "api")) {
        alerter->Fire("run", "run_failed", "error",
                      "run " + std::to_string(r.run_id) + " as of " + FormatIsoDate(r.as_of) + " failed: " + FirstLine(r.message));
      }
    }
    runs_baselined = true;
    return Status::OK();
  }

  // ---- the schedule (serve/scheduler.h) ----

  // Waits until this service's clock reads `unix_seconds`; false when the service stops first.
  bool WaitUntil(double unix_seconds) {
    std::unique_lock<std::mutex> lock(schedule_mu);
    return !schedule_cv.wait_until(lock, clock.When(unix_seconds), [this] { return stopping.load(); }) &&
           !stopping;
  }

  // The day of the newest scheduled run (schedule or retry) in the catalog.
  std::optional<int32_t> NewestScheduledDay() {
    auto records = RunRecords();
    if (!records.ok()) return std::nullopt;
    std::optional<int32_t> day;
    for (const auto& [id, r] : *records) {
      if (r.trigger == "schedule" || r.trigger == "retry") day = day ? std::max(*day, r.as_of) : r.as_of;
    }
    return day;
  }

  // A scheduled run as of the tick's day, retried with backoff; one alert when every attempt failed.
  void ScheduledRun(int64_t tick) {
    metrics.ObserveTick("run", static_cast<double>(tick), clock.Now() - static_cast<double>(tick));
    const DayNumber as_of = static_cast<DayNumber>(tick / 86400);
    std::mt19937_64 rng(static_cast<uint64_t>(tick));
    std::string error;
    for (int attempt = 1; attempt <= config.retry.max_attempts && !stopping; ++attempt) {
      job::RunRequest request;
      request.as_of = as_of;
      request.trigger = attempt == 1 ? "schedule" : "retry";
      auto prepared = PrepareRun(std::move(request));
      Status st;
      if (!prepared.ok()) {
        st = prepared.status();
        if (st.code() == Status::Code::kBusy && attempt == 1) {
          metrics.ObserveSkippedTick("run");
          Log("info", "tick skipped", {{"job", "run"}, {"tick", FormatUtcMillis(tick * 1000)}, {"why", st.message()}});
          return;
        }
      } else if (std::holds_alternative<job::RunPlan>(*prepared)) {
        Log("info", "scheduled run skipped", {{"as_of", FormatIsoDate(as_of)}, {"why", std::get<job::RunPlan>(*prepared).reason}});
        return;
      } else {
        st = ExecutePrepared(std::move(std::get<PreparedRun>(*prepared)));
      }
      if (st.ok()) {
        alerter->Resolve("run", "the scheduled run as of " + FormatIsoDate(as_of) + " succeeded");
        return;
      }
      error = FirstLine(st.message());
      if (attempt == config.retry.max_attempts) break;
      const double delay = RetryDelaySeconds(attempt, config.retry, std::uniform_real_distribution<double>(0, 1)(rng));
      metrics.ObserveRetry();
      Log("warn", "run will be retried", {{"as_of", FormatIsoDate(as_of)}, {"attempt", attempt}, {"in_seconds", delay}, {"error", error}});
      if (!WaitUntil(clock.Now() + delay)) return;
    }
    if (!stopping) {
      alerter->Fire("run", "run_failed", "error",
                    "the scheduled run as of " + FormatIsoDate(as_of) + " failed " + std::to_string(config.retry.max_attempts) +
                        " time(s); the last error: " + error);
    }
  }

  // A re-crawl of every landed file, when no other writer holds the lake.
  void ScheduledCrawl(int64_t tick) {
    metrics.ObserveTick("crawl", static_cast<double>(tick), clock.Now() - static_cast<double>(tick));
    auto lock = lake::LakeLock::TryAcquire(lake);
    if (!lock.ok()) {
      metrics.ObserveSkippedTick("crawl");
      return;
    }
    auto cat = catalog::Catalog::Open(lake);
    const Status st = cat.ok() ? cat->Recrawl(lake) : cat.status();
    if (st.ok()) {
      alerter->Resolve("crawl", "the crawl succeeded");
    } else {
      alerter->Fire("crawl", "crawl_failed", "error", "the scheduled crawl failed: " + FirstLine(st.message()));
    }
  }

  void Schedule() {
    const ScheduleConfig& sched = config.schedule;
    if (!sched.run && !sched.crawl) return;
    if (sched.run) {
      if (auto tick = CatchUpTick(*sched.run, clock.Now(), NewestScheduledDay())) {
        Log("info", "catching up a missed tick", {{"job", "run"}, {"tick", FormatUtcMillis(*tick * 1000)}});
        ScheduledRun(*tick);
      }
    }
    auto next_after = [&](const std::optional<CronSchedule>& c) -> std::optional<int64_t> {
      return c ? c->Next(static_cast<int64_t>(clock.Now())) : std::nullopt;
    };
    std::optional<int64_t> next_run = next_after(sched.run);
    std::optional<int64_t> next_crawl = next_after(sched.crawl);
    while (!stopping && (next_run || next_crawl)) {
      const int64_t wake = std::min(next_run.value_or(INT64_MAX), next_crawl.value_or(INT64_MAX));
      if (!WaitUntil(static_cast<double>(wake))) return;
      if (next_run && *next_run <= wake) {
        ScheduledRun(*next_run);
        // Ticks that came while the run (and its retries) went on are skipped, and counted.
        for (auto t = sched.run->Next(*next_run); t && *t <= static_cast<int64_t>(clock.Now()); t = sched.run->Next(*t)) {
          metrics.ObserveSkippedTick("run");
        }
        next_run = next_after(sched.run);
      }
      if (next_crawl && *next_crawl <= wake) {
        ScheduledCrawl(*next_crawl);
        next_crawl = next_after(sched.crawl);
      }
    }
  }

  // ---- drop folders (serve/drop_folder.h) ----

  void WatchFolders(DropFolders drops) {
    bool run_wanted = false;  // files were landed and no run has taken them yet
    while (!stopping) {
      std::vector<DropFolders::Ready> ready = drops.Poll(250);
      metrics.SetWatchedFilesWaiting(static_cast<double>(drops.waiting() + ready.size()));
      if (!ready.empty()) {
        auto lock = lake::LakeLock::TryAcquire(lake);
        if (!lock.ok()) continue;  // a run or an ingest holds the lake: the files wait for the next scan
        for (const DropFolders::Ready& file : ready) {
          std::optional<contract::TableId> table;
          if (!file.folder->table.empty()) table = contract::TableFromName(file.folder->table);
          auto ingested = job::Ingest(*lock, lake, {file.path}, table);
          if (!ingested.ok()) {
            const std::string reason = FirstLine(ingested.status().message());
            const Status moved = DropFolders::MoveToRefused(file, reason);
            Log("warn", "file refused", {{"file", file.path}, {"reason", reason}});
            alerter->Fire("file:" + file.path, "file_refused", "warning",
                          "ingest refused " + file.path + " (moved to refused/): " + reason);
            if (!moved.ok()) Log("error", "file not moved", {{"file", file.path}, {"error", moved.message()}});
            continue;
          }
          // Landed (or landed before a crash, and present now): moved out of the way, then a run.
          const Status moved = DropFolders::MoveToLanded(file);
          if (!moved.ok()) Log("error", "file not moved", {{"file", file.path}, {"error", moved.message()}});
          for (const lake::LandedFile& f : ingested->landed) {
            Log("info", "file landed", {{"file", file.path}, {"table", std::string(contract::TableName(f.table))},
                                        {"status", f.newly_landed ? "landed" : "present"}});
          }
          run_wanted = true;
        }
      }
      if (run_wanted) {
        job::RunRequest request;
        request.as_of = static_cast<DayNumber>(std::floor(clock.Now() / 86400));
        request.trigger = "file";
        auto prepared = PrepareRun(std::move(request));
        if (!prepared.ok() && prepared.status().code() == Status::Code::kBusy) continue;  // after the run going on
        run_wanted = false;
        if (!prepared.ok()) {
          alerter->Fire("run", "run_failed", "error", "the run for arrived files failed: " + FirstLine(prepared.status().message()));
        } else if (std::holds_alternative<PreparedRun>(*prepared)) {
          const Status st = ExecutePrepared(std::move(std::get<PreparedRun>(*prepared)));
          if (st.ok()) {
            alerter->Resolve("run", "the run for arrived files succeeded");
          } else {
            alerter->Fire("run", "run_failed", "error", "the run for arrived files failed: " + FirstLine(st.message()));
          }
        }
      }
    }
  }

  void Routes() {
    http.Get("/healthz", Route("/healthz", [](const httplib::Request&, httplib::Response& res) {
               Reply(res, 200, json{{"status", "ok"}});
             }));
    http.Get("/metrics", Route("/metrics", [this](const httplib::Request&, httplib::Response& res) {
               res.status = 200;
               res.set_content(metrics.Text(), "text/plain; version=0.0.4; charset=utf-8");
             }));
    http.Get("/api/datasets", Route("/api/datasets", [this](const auto& q, auto& r) { Datasets(q, r); }));
    http.Post("/api/query", Route("/api/query", [this](const auto& q, auto& r) { Query(q, r); }));
    http.Get(R"(/api/accounts/([^/]+)/features)",
             Route("/api/accounts/{id}/features", [this](const auto& q, auto& r) { AccountFeatures(q, r); }));
    http.Get("/api/runs", Route("/api/runs", [this](const auto& q, auto& r) { Runs(q, r); }));
    http.Get(R"(/api/runs/(\d+))", Route("/api/runs/{id}", [this](const auto& q, auto& r) { OneRun(q, r); }));
    http.Post("/api/runs", Route("/api/runs", [this](const auto& q, auto& r) { StartRun(q, r); }));
    http.Post("/api/undo", Route("/api/undo", [this](const auto& q, auto& r) { Manage(q, r, true); }));
    http.Post("/api/vacuum", Route("/api/vacuum", [this](const auto& q, auto& r) { Manage(q, r, false); }));
    http.Get("/api/backfills", Route("/api/backfills", [this](const auto& q, auto& r) { Backfills(q, r); }));
    http.Get(R"(/api/backfills/(\d+))", Route("/api/backfills/{id}", [this](const auto& q, auto& r) { Backfills(q, r); }));
    http.Post("/api/ingest", [this](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& read) {
      Route("/api/ingest", [&](const httplib::Request& q, httplib::Response& r) { IngestUpload(q, r, read); })(req, res);
    });
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) {
        Error(res, res.status, res.status == 404 ? "no such endpoint" : "HTTP " + std::to_string(res.status));
      }
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      Error(res, 500, "internal error");
    });
    // cpp-httplib listens with a backlog of 5, its compiled-in default: 50 clients connecting at once overflow
    // it and lose connections. The listening socket goes through this hook before it binds; Bind() then listens
    // again on it with the system's maximum backlog.
    http.set_socket_options([this](int fd) {
      int yes = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
      listen_fd = fd;
    });
    http.set_tcp_nodelay(true);  // an answer goes out in two writes: without it, Nagle and delayed ACKs add 40 ms
    http.new_task_queue = [] { return new httplib::ThreadPool(64); };
    http.set_keep_alive_max_count(100000);
    http.set_keep_alive_timeout(10);
    http.set_payload_max_length(std::max<uint64_t>(config.ingest_max_bytes, kMaxQueryBody) + 1);
  }
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  Shutdown();
  if (impl_->watcher.joinable()) impl_->watcher.join();
  if (impl_->scheduler.joinable()) impl_->scheduler.join();
  if (impl_->folder_watcher.joinable()) impl_->folder_watcher.join();
  if (impl_->backfiller.joinable()) impl_->backfiller.join();
  std::lock_guard<std::mutex> g(impl_->run_mu);
  if (impl_->run_thread.joinable()) impl_->run_thread.join();
}

Result<std::unique_ptr<Service>> Service::Open(const std::string& lake_dir, ServeConfig config) {
  auto lake = lake::Lake::Open(lake_dir);
  if (!lake.ok()) return lake.status();
  auto impl = std::make_unique<Impl>(std::move(*lake), std::move(config));
  if (const char* spec = std::getenv("LEDGERLAKE_CLOCK"); spec != nullptr && *spec != '\0') {
    auto clock = ServiceClock::Parse(spec);
    if (!clock.ok()) return clock.status();
    impl->clock = *clock;
  }
  if (!impl->config.watch.empty()) {
    auto folders = DropFolders::Open(impl->config.watch);
    if (!folders.ok()) return folders.status();
    impl->folders.emplace(std::move(*folders));
  }
  impl->started_unix = impl->clock.Now();
  impl->freshness.last_success = impl->freshness.last_file = impl->started_unix;
  Impl* raw = impl.get();
  impl->alerter = std::make_unique<Alerter>(impl->config.alerts.webhook, impl->lake.root(), impl->metrics,
                                            [raw](const std::string& level, const std::string& event, json fields) {
                                              raw->Log(level, event, std::move(fields));
                                            });
  impl->Routes();
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Result<int> Service::Bind() {
  Impl& s = *impl_;
  const int port = s.config.port == 0 ? s.http.bind_to_any_port(s.config.host)
                                      : (s.http.bind_to_port(s.config.host, s.config.port) ? s.config.port : -1);
  if (port < 0) {
    return Status::IOError("cannot listen on " + s.config.host + ":" + std::to_string(s.config.port) +
                           " (in use, or not an address of this machine)");
  }
  s.config.port = port;
  if (s.listen_fd >= 0) ::listen(s.listen_fd, SOMAXCONN);
  return port;
}

Status Service::Serve() {
  Impl& s = *impl_;
  s.watcher = std::thread([&s] { s.Watch(); });
  s.scheduler = std::thread([&s] { s.Schedule(); });
  s.backfiller = std::thread([&s] { s.RunBackfills(); });
  if (s.folders) s.folder_watcher = std::thread([&s] { s.WatchFolders(std::move(*s.folders)); });
  s.Log("info", "listening",
        {{"address", s.config.host + ":" + std::to_string(s.config.port)},
         {"lake", s.lake.root()},
         {"config", s.config.source.empty() ? json(nullptr) : json(s.config.source)}});
  const bool ok = s.http.listen_after_bind();
  s.stopping = true;
  s.watcher_cv.notify_all();
  s.schedule_cv.notify_all();
  if (s.watcher.joinable()) s.watcher.join();
  {
    std::unique_lock<std::mutex> g(s.run_mu);
    if (s.current_run && !s.current_run->done) s.Log("info", "waiting for run to end", {{"id", s.current_run->id}});
  }
  if (s.scheduler.joinable()) s.scheduler.join();  // a scheduled run in it ends first
  if (s.folder_watcher.joinable()) s.folder_watcher.join();
  s.backfill_cv.notify_all();
  if (s.backfiller.joinable()) s.backfiller.join();
  {
    std::unique_lock<std::mutex> g(s.run_mu);
    std::thread running = std::move(s.run_thread);
    g.unlock();
    if (running.joinable()) running.join();
  }
  s.Log("info", "stopped");
  return ok || s.stopping ? Status::OK() : Status::IOError("the HTTP server stopped on an error");
}

void Service::Shutdown() {
  impl_->stopping = true;
  impl_->http.stop();
  impl_->watcher_cv.notify_all();
  {
    std::lock_guard<std::mutex> g(impl_->schedule_mu);  // no wake-up lost between its check and its wait
  }
  impl_->schedule_cv.notify_all();
  impl_->backfill_cv.notify_all();
}

int RunService(const std::string& lake_dir, ServeConfig config) {
  // SIGTERM and SIGINT are taken by one thread (sigwait), blocked in every other: a clean stop, not a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a client that hangs up mid-answer is an error on that socket, not the process's end
  auto service = Service::Open(lake_dir, std::move(config));
  if (!service.ok()) {
    std::fprintf(stderr, "ledgerlake: %s\n", FirstLine(service.status().message()).c_str());
    return 1;
  }
  auto port = (*service)->Bind();
  if (!port.ok()) {
    std::fprintf(stderr, "ledgerlake: %s\n", port.status().message().c_str());
    return 1;
  }
  std::atomic<bool> signalled{false};
  std::thread waiter([&signals, &signalled, svc = service->get()] {
    int sig = 0;
    sigwait(&signals, &sig);
    signalled = true;
    svc->Shutdown();
  });
  const Status st = (*service)->Serve();
  if (!signalled) pthread_kill(waiter.native_handle(), SIGTERM);  // Serve ended on its own: wake the waiter
  waiter.join();
  if (!st.ok()) {
    std::fprintf(stderr, "ledgerlake: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace ledgerlake::serve
