// End to end: the service's schedule on a test clock (LEDGERLAKE_CLOCK: a given start, minutes in fractions of a
// second), with a local webhook receiver: a scheduled run, retries of a failing run with one alert and one
// resolution, and one catch-up run after a downtime.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <signal.h>

#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/harness.h"
#include "e2e/service_process.h"

namespace ledgerlake::e2e {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// A webhook on a free loopback port that keeps what it is sent.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> g(mu_);
      alerts_.push_back(json::parse(req.body, nullptr, false));
      res.set_content("{}", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<json> alerts() {
    std::lock_guard<std::mutex> g(mu_);
    return alerts_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<json> alerts_;
};

class ScheduleTest : public ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    ::signal(SIGPIPE, SIG_IGN);
    LlOk({"init"});
    LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "100", "--invoices", "1000", "--seed", "3"});
    if (LandTheDelivery()) LlOk({"ingest", dir_ + "/gen"});
  }
  // Whether SetUp lands the generated delivery (a drop folder's test delivers it itself).
  virtual bool LandTheDelivery() const { return true; }
  void Config(const std::string& yaml) { WriteFile(lake_ + "/ledgerlake.yaml", yaml); }

  // The catalog's runs that ended (`catalog runs --json` without those running or aborted).
  json Runs() {
    json ended = json::array();
    for (json& r : AllRuns()) {
      if (r["status"] == "ok" || r["status"] == "failed") ended.push_back(std::move(r));
    }
    return ended;
  }
  json AllRuns() { return json::parse(LlOk({"catalog", "runs", "--json"})); }

  // Waits (up to `seconds`) until `done` holds.
  template <typename F>
  bool WaitFor(F done, double seconds = 30) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }
};

TEST_F(ScheduleTest, ARunStartsAtItsTickAsOfTheTicksDay) {
  Config("schedule:\n  run: \"0 6 * * *\"\n");
  ServiceProcess service(lake_, dir_ + "/serve.log", {}, {"LEDGERLAKE_CLOCK=2025-01-01T05:59:50Z*60"});
  ASSERT_TRUE(service.ok()) << service.log();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() == 1; })) << service.log();
  const json run = Runs()[0];
  EXPECT_EQ(run["as_of"], "2025-01-01");
  EXPECT_EQ(run["status"], "ok");
  EXPECT_EQ(run["trigger"], "schedule");
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, AFailingRunIsRetriedAlertedOnceAndResolvedOnce) {
  WebhookReceiver hook;
  Config("schedule:\n  run: \"*/30 * * * *\"\nretry:\n  max_attempts: 3\n  base_delay_seconds: 30\n"
         "  max_delay_seconds: 60\nalerts:\n  webhook: " + hook.url() + "\n");
  // A landed extract damaged after landing: every run fails reading it, until it is put back.
  std::string damaged;
  for (const auto& f : fs::recursive_directory_iterator(lake_ + "/raw")) {
    if (f.path().string().find("/invoices/") != std::string::npos && f.path().extension() == ".csv") damaged = f.path();
  }
  ASSERT_FALSE(damaged.empty());
  const std::string good = ReadFile(damaged);
  std::string bad = good;
  bad[bad.size() / 2] = bad[bad.size() / 2] == '1' ? '2' : '1';
  WriteFile(damaged, bad);

  // 600x: a minute every 0.1 s; the ticks come at 06:00 and 06:30 (3 s apart), each with two retries.
  ServiceProcess service(lake_, dir_ + "/serve.log", {}, {"LEDGERLAKE_CLOCK=2025-01-01T05:59:50Z*600"});
  ASSERT_TRUE(service.ok()) << service.log();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() >= 6; })) << service.log();  // two ticks, three attempts each
  json runs = Runs();
  EXPECT_EQ(runs[0]["trigger"], "schedule");
  EXPECT_EQ(runs[1]["trigger"], "retry");
  EXPECT_EQ(runs[2]["trigger"], "retry");
  EXPECT_EQ(runs[3]["trigger"], "schedule");
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(runs[i]["status"], "failed") << runs[i].dump();
  ASSERT_TRUE(WaitFor([&] { return !hook.alerts().empty(); }));
  EXPECT_EQ(hook.alerts().size(), 1u) << "one alert per incident, not one per attempt or tick";
  EXPECT_EQ(hook.alerts()[0]["alert"], "run_failed");
  EXPECT_EQ(hook.alerts()[0]["status"], "firing");

  WriteFile(damaged, good);
  ASSERT_TRUE(WaitFor([&] { return hook.alerts().size() >= 2; })) << service.log();
  EXPECT_EQ(hook.alerts()[1]["status"], "resolved");
  EXPECT_EQ(hook.alerts()[1]["alert"], "run_failed");
  EXPECT_EQ(Runs().back()["status"], "ok");
  EXPECT_EQ(service.Stop(SIGTERM), 0);
  EXPECT_EQ(hook.alerts().size(), 2u);
}

TEST_F(ScheduleTest, ATickMissedWhileDownGivesOneCatchUpRun) {
  Config("schedule:\n  run: \"0 6 * * *\"\n");
  {
    ServiceProcess first(lake_, dir_ + "/first.log", {}, {"LEDGERLAKE_CLOCK=2025-01-01T05:59:50Z*60"});
    ASSERT_TRUE(first.ok()) << first.log();
    ASSERT_TRUE(WaitFor([&] { return Runs().size() == 1; })) << first.log();
    EXPECT_EQ(first.Stop(SIGTERM), 0);
  }
  // Down on 2 and 3 January; back at noon on the 3rd: one run as of the 3rd, none for the 2nd.
  ServiceProcess second(lake_, dir_ + "/second.log", {}, {"LEDGERLAKE_CLOCK=2025-01-03T12:00:00Z*1"});
  ASSERT_TRUE(second.ok()) << second.log();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() == 2; })) << second.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const json runs = Runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1]["as_of"], "2025-01-03");
  EXPECT_EQ(runs[1]["trigger"], "schedule");
  EXPECT_EQ(second.Stop(SIGTERM), 0);
}

// The service's GET/POST, with an admin token.
class ApiClient {
 public:
  ApiClient(int port, std::string token) : client_("127.0.0.1", port), token_(std::move(token)) {
    client_.set_read_timeout(60, 0);
  }
  std::pair<int, json> Get(const std::string& path) {
    auto r = client_.Get(path.c_str(), {{"Authorization", "Bearer " + token_}});
    return r ? std::make_pair(r->status, json::parse(r->body, nullptr, false))
             : std::make_pair(0, json{{"no_reply", httplib::to_string(r.error())}});
  }
  std::pair<int, json> Post(const std::string& path, const json& body) {
    auto r = client_.Post(path.c_str(), {{"Authorization", "Bearer " + token_}}, body.dump(), "application/json");
    return r ? std::make_pair(r->status, json::parse(r->body, nullptr, false))
             : std::make_pair(0, json{{"no_reply", httplib::to_string(r.error())}});
  }

 private:
  httplib::Client client_;
  std::string token_;
};

TEST_F(ScheduleTest, ABackfillThroughTheApiGoesOnAfterARestart) {
  std::string token = LlOk({"token", "create", "--role", "admin"});
  token.pop_back();
  auto service = std::make_unique<ServiceProcess>(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service->ok()) << service->log();
  {
    ApiClient api(service->port(), token);
    auto [status, body] = api.Post("/api/runs", {{"from", "2025-01-01"}, {"to", "2025-01-12"}});
    ASSERT_EQ(status, 202) << body.dump();
    EXPECT_EQ(body["days"].size(), 12u);
    // Killed (not stopped) once a few days are done.
    ASSERT_TRUE(WaitFor([&] { return Runs().size() >= 3; })) << service->log();
  }
  service.reset();  // SIGKILL
  service = std::make_unique<ServiceProcess>(lake_, dir_ + "/serve2.log");
  ASSERT_TRUE(service->ok()) << service->log();
  ApiClient api(service->port(), token);
  ASSERT_TRUE(WaitFor([&] {
    auto [status, body] = api.Get("/api/backfills/1");
    EXPECT_EQ(status, 200) << body.dump();
    return body.is_object() && body.value("status", "") == "done";
  }, 60))
      << api.Get("/api/backfills/1").second.dump() << service->log();
  std::set<std::string> days;
  for (const json& r : Runs()) {
    if (r["status"] == "ok") days.insert(r["as_of"].get<std::string>());
  }
  EXPECT_EQ(days.size(), 12u);
  EXPECT_EQ(*days.begin(), "2025-01-01");
  EXPECT_EQ(*days.rbegin(), "2025-01-12");
  // Days only move forward; only_missing skips the days done.
  EXPECT_EQ(api.Post("/api/runs", {{"from", "2025-01-05"}, {"to", "2025-01-13"}}).first, 400);
  auto [status, body] = api.Post("/api/runs", {{"from", "2025-01-05"}, {"to", "2025-01-13"}, {"only_missing", true}});
  EXPECT_EQ(status, 202) << body.dump();
  EXPECT_EQ(body["days"], json::parse(R"(["2025-01-13"])"));
  EXPECT_EQ(api.Get("/api/backfills").second["backfills"].size(), 2u);
  EXPECT_EQ(api.Get("/api/backfills/9").first, 404);
  EXPECT_EQ(service->Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, QualityChecksOfEachRunAreKeptShownAndAlertedOnce) {
  WebhookReceiver hook;
  // Means may not move at all: the second day's run fails that check (accounts are a day older).
  Config("checks:\n  max_mean_change: 0\nalerts:\n  webhook: " + hook.url() + "\n");
  std::string token = LlOk({"token", "create", "--role", "admin"});
  token.pop_back();
  LlOk({"run", "--as-of", "2025-01-01"});
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  ApiClient api(service.port(), token);
  // At start the newest run gets a profile (nothing before it to compare with), and no alert. The service takes
  // the runs it finds at start as history: the next run waits until it has looked (run 1 is counted).
  httplib::Client metrics("127.0.0.1", service.port());
  ASSERT_TRUE(WaitFor([&] {
    auto got = metrics.Get("/metrics");
    return got && got->body.find("ledgerlake_runs_total{status=\"succeeded\",trigger=\"cli\"} 1") != std::string::npos;
  })) << service.log();
  LlOk({"run", "--as-of", "2025-01-02"});
  ASSERT_TRUE(WaitFor([&] { return !hook.alerts().empty(); })) << service.log();
  EXPECT_EQ(hook.alerts()[0]["alert"], "quality_check_failed");
  EXPECT_NE(hook.alerts()[0]["message"].get<std::string>().find("mean_change:account_features.feature_account_age_day"),
            std::string::npos);
  const json run = api.Get("/api/runs/2").second;
  ASSERT_FALSE(run["checks"].empty()) << run.dump();
  size_t failed = 0;
  for (const json& c : run["checks"]) failed += c["ok"] == false ? 1 : 0;
  EXPECT_GT(failed, 0u);
  const std::string shown = LlOk({"catalog", "checks"});
  EXPECT_NE(shown.find("run 2:"), std::string::npos) << shown;
  EXPECT_NE(shown.find("FAILED"), std::string::npos) << shown;
  EXPECT_NE(LlOk({"catalog", "checks", "--run", "2", "--json"}).find("\"row_drop:invoice_features\""), std::string::npos);
  EXPECT_NE(metrics.Get("/metrics")->body.find("ledgerlake_checks_failed_total{check=\"mean_change:"), std::string::npos);
  // The same day again, nothing new: every metric the same, the checks pass, the incident is resolved.
  LlOk({"run", "--as-of", "2025-01-02", "--full-refresh"});
  ASSERT_TRUE(WaitFor([&] { return hook.alerts().size() >= 2; })) << service.log();
  EXPECT_EQ(hook.alerts()[1]["status"], "resolved");
  EXPECT_EQ(hook.alerts().size(), 2u);
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, StaleRunsAndDataWarnThenErrorAndManyRejectsAlert) {
  WebhookReceiver hook;
  Config("alerts:\n  webhook: " + hook.url() + "\n  reject_rate_above: 0.01\n  fresh_within_hours: {warn: 1, error: 3}\n");
  LlOk({"run", "--as-of", "2025-01-01"});
  // The service's clock starts now and runs an hour a second: the run and the files grow stale as it goes.
  ServiceProcess service(lake_, dir_ + "/serve.log", {}, {ClockFromNow(3600)});
  ASSERT_TRUE(service.ok()) << service.log();
  // 40 of the next run's rows are rejected (accounts without an id): over 1% of the rows it reads.
  std::string bad = "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date\n";
  for (int i = 0; i < 40; ++i) bad += ",Co,Addr,Person,0400000000,F,2020-01-01\n";
  WriteFile(dir_ + "/accounts_bad.csv", bad);
  LlOk({"ingest", dir_ + "/accounts_bad.csv"});
  LlOk({"run", "--as-of", "2025-01-02"});
  ASSERT_TRUE(WaitFor([&] { return hook.alerts().size() >= 5; }, 20)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::multiset<std::string> seen;
  for (const json& a : hook.alerts()) seen.insert(a["alert"].get<std::string>() + "/" + a["severity"].get<std::string>());
  EXPECT_EQ(seen, (std::multiset<std::string>{"reject_rate_high/warning", "stale_data/error", "stale_data/warning",
                                               "stale_runs/error", "stale_runs/warning"}))
      << service.log();
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, RowsWaitingTooLongForAParentAlert) {
  WebhookReceiver hook;
  Config("alerts:\n  webhook: " + hook.url() + "\n  pending_days: 2\n");
  // Line items of invoice 1 for a sku that never comes: pending, from the day they landed.
  WriteFile(dir_ + "/more/invoice_line_items.csv", "invoice_id,item_id,quantity\n1,999999,2\n1,999998,1\n");
  LlOk({"ingest", dir_ + "/more/invoice_line_items.csv"});
  LlOk({"run", "--as-of", "2025-01-01"});
  ASSERT_EQ(LlOk({"query", "SELECT count(*) AS n FROM pending", "--format", "csv"}), "n\n2\n");
  // A day a second: after two, the rows have waited longer than pending_days.
  ServiceProcess service(lake_, dir_ + "/serve.log", {}, {ClockFromNow(86400)});
  ASSERT_TRUE(service.ok()) << service.log();
  ASSERT_TRUE(WaitFor([&] { return !hook.alerts().empty(); }, 20)) << service.log();
  EXPECT_EQ(hook.alerts()[0]["alert"], "pending_rows_waiting");
  EXPECT_NE(hook.alerts()[0]["message"].get<std::string>().find("2 rows wait"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(hook.alerts().size(), 1u);
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, UndoVacuumAndRetentionThroughTheService) {
  Config("retention:\n  keep_days: 2\n");
  std::string token = LlOk({"token", "create", "--role", "admin"});
  token.pop_back();
  LlOk({"run", "--as-of", "2025-01-01"});
  LlOk({"run", "--as-of", "2025-01-02", "--full-refresh"});
  LlOk({"run", "--as-of", "2030-01-01"});
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  ApiClient api(service.port(), token);
  auto [status, body] = api.Post("/api/undo", json::object());
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["days"], json::parse(R"(["2030-01-01"])"));
  EXPECT_EQ(api.Post("/api/vacuum", json::object()).first, 400);  // keep_days is required
  // A run through the API, then retention (keep 2 days): the 1st goes, the 2nd (complete) and the 3rd stay.
  auto run = api.Post("/api/runs", {{"as_of", "2025-01-03"}});
  ASSERT_EQ(run.first, 202) << run.second.dump();
  ASSERT_TRUE(WaitFor([&] { return api.Get("/api/runs/" + std::to_string(run.second["id"].get<int64_t>())).second["status"] == "succeeded"; }));
  ASSERT_TRUE(WaitFor([&] {
    return LlOk({"query", "SELECT count(DISTINCT ingest_day) AS n FROM account_features_history", "--format", "csv"}) == "n\n2\n";
  })) << service.log();
  // Keep 1 day: the 3rd, a delta of the 2nd, is written whole, and the 2nd goes.
  EXPECT_EQ(api.Post("/api/vacuum", {{"keep_days", 1}}).second["days"], json::parse(R"(["2025-01-02"])"));
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(ScheduleTest, AWebhookThatIsDownStopsNothingAndIsCounted) {
  // Nothing listens on the webhook's port (bound, then closed).
  int dead_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    dead_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  Config("schedule:\n  run: \"*/30 * * * *\"\nretry:\n  max_attempts: 1\nalerts:\n  webhook: http://127.0.0.1:" +
         std::to_string(dead_port) + "/hook\n");
  std::string damaged;
  for (const auto& f : fs::recursive_directory_iterator(lake_ + "/raw")) {
    if (f.path().string().find("/accounts/") != std::string::npos && f.path().extension() == ".csv") damaged = f.path();
  }
  const std::string good = ReadFile(damaged);
  WriteFile(damaged, good + "x");
  ServiceProcess service(lake_, dir_ + "/serve.log", {}, {"LEDGERLAKE_CLOCK=2025-01-01T05:59:50Z*600"});
  ASSERT_TRUE(service.ok()) << service.log();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() >= 1; })) << service.log();
  WriteFile(damaged, good);
  // The alert could not be delivered; the next tick's run goes ahead all the same.
  ASSERT_TRUE(WaitFor([&] { return !Runs().empty() && Runs().back()["status"] == "ok"; })) << service.log();
  httplib::Client metrics("127.0.0.1", service.port());
  ASSERT_TRUE(WaitFor([&] {
    return metrics.Get("/metrics")->body.find("ledgerlake_alert_failures_total 0") == std::string::npos;
  })) << metrics.Get("/metrics")->body;
  EXPECT_NE(service.log().find("alert not delivered"), std::string::npos);
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

class DropFolderTest : public ScheduleTest {
 protected:
  void SetUp() override {
    ScheduleTest::SetUp();
    fs::create_directories(drop_);
  }
  bool LandTheDelivery() const override { return false; }
  // Moves the generated extracts into the drop folder (rename: each appears whole).
  void Deliver() {
    for (const auto& f : fs::directory_iterator(dir_ + "/gen")) fs::rename(f.path(), drop_ + "/" + f.path().filename().string());
  }
  size_t Count(const std::string& dir) {
    size_t n = 0;
    for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir)) ++n;
    return n;
  }
  std::string drop_ = dir_ + "/drop";
};

TEST_F(DropFolderTest, ADeliveryDroppedInIsLandedTogetherAndRunOnce) {
  drop_ = dir_ + "/drop";
  fs::create_directories(drop_);
  Config("watch:\n  - path: " + drop_ + "\n    settle_seconds: 0.3\n");
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  Deliver();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() == 1; }, 20)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const json runs = Runs();
  ASSERT_EQ(runs.size(), 1u) << "files that arrive together lead to one run";
  EXPECT_EQ(runs[0]["trigger"], "file");
  EXPECT_EQ(runs[0]["status"], "ok");
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"}), "n\n1000\n");
  EXPECT_EQ(Count(drop_ + "/landed"), 4u);
  EXPECT_EQ(Count(drop_ + "/refused"), 0u);
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(DropFolderTest, ARefusedFileRaisesOneAlertAndIsNeverRetried) {
  drop_ = dir_ + "/drop";
  fs::create_directories(drop_);
  WebhookReceiver hook;
  Config("watch:\n  - path: " + drop_ + "\n    settle_seconds: 0.2\nalerts:\n  webhook: " + hook.url() + "\n");
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  WriteFile(dir_ + "/invoices_bad.csv", "these,are,not,the,columns\n1,2,3,4,5\n");
  fs::rename(dir_ + "/invoices_bad.csv", drop_ + "/invoices_bad.csv");
  ASSERT_TRUE(WaitFor([&] { return !hook.alerts().empty(); }, 20)) << service.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // several scans later
  ASSERT_EQ(hook.alerts().size(), 1u);
  EXPECT_EQ(hook.alerts()[0]["alert"], "file_refused");
  EXPECT_TRUE(fs::exists(drop_ + "/refused/invoices_bad.csv"));
  EXPECT_NE(ReadFile(drop_ + "/refused/invoices_bad.csv.reason").find("invoices"), std::string::npos);
  EXPECT_FALSE(fs::exists(drop_ + "/invoices_bad.csv"));
  EXPECT_EQ(Runs().size(), 0u);
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

TEST_F(DropFolderTest, AKillBetweenLandingAndMovingLosesNothing) {
  drop_ = dir_ + "/drop";
  fs::create_directories(drop_);
  // What a service killed after landing and before moving leaves: the files landed, still in the folder, no run.
  LlOk({"ingest", dir_ + "/gen"});
  Deliver();
  Config("watch:\n  - path: " + drop_ + "\n    settle_seconds: 0.2\n");
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  ASSERT_TRUE(WaitFor([&] { return Runs().size() == 1; }, 20)) << service.log();
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"}), "n\n1000\n");
  EXPECT_EQ(Count(drop_ + "/landed"), 4u);
  const json tables = json::parse(LlOk({"catalog", "tables", "--json"}));
  ASSERT_EQ(tables.size(), 4u);
  for (const json& t : tables) EXPECT_EQ(t["files"], 1) << t.dump();  // each extract landed once
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

// A run whose process dies (SIGKILL) is listed as running while it works, then as aborted, with one alert; the
// next run that succeeds resolves it.
TEST_F(ScheduleTest, ARunWhoseProcessDiedIsAbortedAndAlertedOnce) {
  WebhookReceiver hook;
  Config("alerts:\n  webhook: " + hook.url() + "\n");
  std::string token = LlOk({"token", "create", "--role", "admin"});
  token.pop_back();
  LlOk({"run", "--as-of", "2025-01-01"});
  LlOk({"generate", "--out", dir_ + "/big", "--accounts", "20000", "--invoices", "400000", "--seed", "5"});
  LlOk({"ingest", dir_ + "/big"});
  ServiceProcess service(lake_, dir_ + "/serve.log");
  ASSERT_TRUE(service.ok()) << service.log();
  ApiClient api(service.port(), token);

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(LEDGERLAKE_BIN, LEDGERLAKE_BIN, "--lake", lake_.c_str(), "run", "--as-of", "2025-01-02", nullptr);
    ::_exit(127);
  }
  // While it works, the catalog and the API list it as running.
  int64_t id = 0;
  ASSERT_TRUE(WaitFor([&] {
    const json runs = AllRuns();
    if (runs.empty() || runs.back()["status"] != "running") return false;
    id = runs.back()["run_id"].get<int64_t>();
    return true;
  }, 20));
  const json running = api.Get("/api/runs/" + std::to_string(id)).second;
  EXPECT_EQ(running["status"], "running") << running.dump();
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);

  ASSERT_TRUE(WaitFor([&] { return !hook.alerts().empty(); }, 20)) << service.log();
  EXPECT_EQ(hook.alerts()[0]["alert"], "run_aborted");
  EXPECT_EQ(hook.alerts()[0]["status"], "firing");
  const json aborted = api.Get("/api/runs/" + std::to_string(id)).second;
  EXPECT_EQ(aborted["status"], "aborted") << aborted.dump();
  EXPECT_EQ(aborted["trigger"], "cli");
  EXPECT_EQ(aborted["as_of"], "2025-01-02");
  EXPECT_NE(aborted["error"].get<std::string>().find("ended before the run did"), std::string::npos);
  const json listed = api.Get("/api/runs?limit=2").second["runs"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["id"], id);
  EXPECT_EQ(listed[0]["status"], "aborted");
  EXPECT_EQ(AllRuns().back()["status"], "aborted");
  httplib::Client metrics("127.0.0.1", service.port());
  EXPECT_NE(metrics.Get("/metrics")->body.find("ledgerlake_runs_total{status=\"aborted\",trigger=\"cli\"} 1"),
            std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(hook.alerts().size(), 1u);  // once, not every second

  // The day is run again and succeeds: the incident is resolved, and the aborted run stays in the log.
  LlOk({"run", "--as-of", "2025-01-02"});
  // (The new delivery moves the features' means: a quality check alerts too.)
  auto resolved = [&] {
    size_t n = 0;
    for (const json& a : hook.alerts()) n += a["alert"] == "run_aborted" && a["status"] == "resolved";
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return resolved() > 0; }, 20)) << service.log();
  EXPECT_EQ(resolved(), 1u);
  EXPECT_EQ(api.Get("/api/runs/" + std::to_string(id)).second["status"], "aborted");
  EXPECT_EQ(service.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ledgerlake::e2e
