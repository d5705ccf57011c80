// End to end: the real `ledgerlake serve` on a free loopback port, driven over HTTP. Every endpoint, every status
// code, the sandbox's refusals (tests/data/sandbox/escapes.tsv), tokens made and revoked, the online store against
// the query views, metrics through promtool, a run through the API, a clean stop during a run, and queries during
// a commit.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "e2e/harness.h"
#include "e2e/service_process.h"

namespace ledgerlake::e2e {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kConfig = R"yaml(# the service tests' config
roles:
  finance: [invoice_features, account_invoice_features]
  analyst: ["*"]
query:
  timeout_seconds: 2
  max_rows: 1000
  max_concurrent: 8
ingest:
  max_bytes: 1MB
)yaml";

struct Reply {
  int status = 0;
  json body;
  std::string text;
};

class ServeTest : public ScratchTest {
 protected:
  // A lake with generated extracts run as of `day`, the test config, and an admin and a finance token.
  void MakeLake(int accounts = 200, int invoices = 3000, const std::string& day = "2025-01-01") {
    LlOk({"init"});
    LlOk({"generate", "--out", dir_ + "/gen", "--accounts", std::to_string(accounts), "--invoices",
          std::to_string(invoices), "--seed", "7"});
    std::vector<std::string> ingest = {"ingest"};
    for (const auto& f : fs::directory_iterator(dir_ + "/gen")) ingest.push_back(f.path().string());
    LlOk(ingest);
    if (!day.empty()) LlOk({"run", "--as-of", day});
    WriteFile(lake_ + "/ledgerlake.yaml", kConfig);
    admin_ = Token("admin", "root");
    finance_ = Token("finance", "fin");
  }

  std::string Token(const std::string& role, const std::string& name) {
    const CommandResult r = Ll({"token", "create", "--role", role, "--name", name});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string token = r.out;
    while (!token.empty() && token.back() == '\n') token.pop_back();
    return token;
  }

  void Start(const std::vector<std::string>& extra = {}) {
    ::signal(SIGPIPE, SIG_IGN);  // the service may answer 413 and hang up before a large body is sent
    service_ = std::make_unique<ServiceProcess>(lake_, dir_ + "/serve.log", extra);
    ASSERT_TRUE(service_->ok()) << service_->log();
  }

  Reply Send(const std::string& method, const std::string& path, const std::string& token = "",
             const std::string& body = "") {
    httplib::Client client("127.0.0.1", service_->port());
    client.set_read_timeout(60, 0);
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r = method == "GET" ? client.Get(path.c_str(), headers)
                                        : client.Post(path.c_str(), headers, body, "application/json");
    Reply reply;
    if (!r) {
      reply.text = "no reply: " + httplib::to_string(r.error());
      return reply;
    }
    reply.status = r->status;
    reply.text = r->body;
    reply.body = json::parse(r->body, nullptr, false);
    return reply;
  }
  // Sends `request` as it is on a new connection and returns the status of the answer (0 when there is none).
  int RawStatus(const std::string& request) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(service_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int status = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[64] = {};
      if (::recv(fd, buf, sizeof buf - 1, 0) > 12) status = std::atoi(buf + 9);  // "HTTP/1.1 413 ..."
    }
    ::close(fd);
    return status;
  }

  Reply Query(const std::string& token, const std::string& sql, const std::string& as_of = "") {
    json body = {{"sql", sql}};
    if (!as_of.empty()) body["as_of"] = as_of;
    return Send("POST", "/api/query", token, body.dump());
  }

  // The rows of a query that must succeed.
  json Rows(const std::string& sql, const std::string& as_of = "") {
    const Reply r = Query(admin_, sql, as_of);
    EXPECT_EQ(r.status, 200) << sql << ": " << r.text;
    return r.body.is_object() ? r.body["rows"] : json::array();
  }

  std::string admin_;
  std::string finance_;
  // The service goes before the scratch directory: a live one may still be writing its catalog's WAL there.
  void TearDown() override {
    service_.reset();
    ScratchTest::TearDown();
  }

  std::unique_ptr<ServiceProcess> service_;
};

TEST_F(ServeTest, HealthAndTokens) {
  MakeLake();
  Start();
  Reply r = Send("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, json({{"status", "ok"}}));
  EXPECT_EQ(Send("GET", "/api/datasets").status, 401);
  EXPECT_EQ(Send("GET", "/api/datasets", "ll_000000000000_" + std::string(64, '0')).status, 401);
  EXPECT_EQ(Send("GET", "/api/datasets", admin_ + "x").status, 401);
  std::string wrong_secret = admin_;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';  // one hex digit of the secret changed
  EXPECT_EQ(Send("GET", "/api/datasets", wrong_secret).status, 401);
  EXPECT_EQ(Send("GET", "/api/nothing", admin_).status, 404);

  // The catalog keeps no secret: the token's text appears nowhere in it.
  const std::string catalog = ReadFile(lake_ + "/catalog.db") + ReadFile(lake_ + "/catalog.db-wal");
  EXPECT_EQ(catalog.find(admin_.substr(16)), std::string::npos);

  // A token made while the service runs works at once; a revoked one stops working.
  const std::string later = Token("analyst", "later");
  EXPECT_EQ(Send("GET", "/api/datasets", later).status, 200);
  LlOk({"token", "revoke", "later"});
  EXPECT_EQ(Send("GET", "/api/datasets", later).status, 401);
  EXPECT_NE(LlOk({"token", "list"}).find("later"), std::string::npos);
  EXPECT_EQ(Ll({"token", "revoke", "later"}).exit_code, 1);
  EXPECT_EQ(Ll({"token", "create", "--role", "nobody"}).exit_code, 2);
  EXPECT_EQ(Ll({"token", "create", "--role", "admin", "--name", "root"}).exit_code, 1);  // the name is taken
}

TEST_F(ServeTest, DatasetsShowOnlyWhatTheRoleMayRead) {
  MakeLake();
  Start();
  Reply r = Send("GET", "/api/datasets", finance_);
  ASSERT_EQ(r.status, 200) << r.text;
  std::set<std::string> names;
  for (const json& d : r.body["datasets"]) names.insert(d["name"].get<std::string>());
  EXPECT_EQ(names, (std::set<std::string>{"account_invoice_features", "invoice_features"}));
  r = Send("GET", "/api/datasets", admin_);
  names.clear();
  for (const json& d : r.body["datasets"]) {
    names.insert(d["name"].get<std::string>());
    EXPECT_EQ(d["newest_partition"], "2025-01-01");
    if (d["name"] == "invoice_features") {
      EXPECT_EQ(d["columns"][2], json({{"name", "inv_total"}, {"type", "DECIMAL(18,2)"}}));
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"account_features", "account_invoice_features", "invoice_features",
                                          "rejects", "pending"}));
}

TEST_F(ServeTest, QueriesAreTypedLimitedAndCancelled) {
  MakeLake();
  Start();
  Reply r = Query(finance_, "SELECT inv_id, inv_total, CAST(NULL AS VARCHAR) AS nothing, 'x' AS s, DATE '2025-01-02' AS d "
                            "FROM invoice_features ORDER BY inv_id LIMIT 2");
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["columns"][1], json({{"name", "inv_total"}, {"type", "DECIMAL(18,2)"}}));
  EXPECT_TRUE(r.body["rows"][0][0].is_number_integer());
  EXPECT_TRUE(r.body["rows"][0][1].is_number());
  EXPECT_TRUE(r.body["rows"][0][2].is_null());
  EXPECT_EQ(r.body["rows"][0][3], "x");
  EXPECT_EQ(r.body["rows"][0][4], "2025-01-02");
  EXPECT_EQ(r.body["truncated"], false);

  r = Query(finance_, "SELECT inv_id FROM invoice_features");  // 3000 rows, max_rows 1000
  EXPECT_EQ(r.body["rows"].size(), 1000u);
  EXPECT_EQ(r.body["truncated"], true);

  EXPECT_EQ(Query(finance_, "SELEC 1").status, 400);
  EXPECT_EQ(Query(finance_, "SELECT 1; SELECT 2").status, 400);
  EXPECT_EQ(Query(admin_, "SELECT 1; SELECT 2").status, 400);
  EXPECT_EQ(Send("POST", "/api/query", finance_, "{not json").status, 400);
  EXPECT_EQ(Send("POST", "/api/query", finance_, R"({"sql": 1})").status, 400);
  EXPECT_EQ(Query(finance_, "SELECT 1", "2025-13-01").status, 400);
  EXPECT_EQ(Send("POST", "/api/query", finance_, json({{"sql", std::string(2 << 20, ' ') + "SELECT 1"}}).dump()).status,
            413);

  // A runaway query is cancelled at query.timeout_seconds, and the service goes on answering.
  const auto start = std::chrono::steady_clock::now();
  r = Query(finance_, "SELECT count(*) FROM range(10000000000000::BIGINT)");
  EXPECT_EQ(r.status, 400) << r.text;
  EXPECT_NE(r.text.find("cancelled"), std::string::npos) << r.text;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30);
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_EQ(Query(finance_, "SELECT 1 AS one").body["rows"], json::parse("[[1]]"));

  // as_of: a day before the first run sees empty datasets.
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features", "2024-12-31"), json::parse("[[0]]"));
}

TEST_F(ServeTest, TheSandboxRefusesEveryEscape) {
  MakeLake();
  Start();
  size_t checked = 0;
  for (const SandboxEscape& e : ReadSandboxEscapes(lake_)) {
    const Reply r = Query(e.role == "admin" ? admin_ : finance_, e.sql);
    EXPECT_EQ(r.status, e.status) << e.role << ": " << e.sql << " -> " << r.text;
    EXPECT_TRUE(e.Matches(r.text)) << e.role << ": " << e.sql << " -> " << r.text;
    ++checked;
  }
  EXPECT_GT(checked, 40u);
  EXPECT_FALSE(fs::exists("/tmp/ledgerlake-sandbox-escape.csv"));
  EXPECT_FALSE(fs::exists(lake_ + "/processed/escape.csv"));
  // Nothing a refused statement tried changed the views.
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features"), json::parse("[[3000]]"));
}

TEST_F(ServeTest, TheLookupServesWhatTheViewsShow) {
  MakeLake();
  Start();
  Reply r;
  for (int i = 0; i < 100; ++i) {  // the online store is built in the background after the start
    r = Send("GET", "/api/accounts/1/features", admin_);
    if (r.status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const json accounts = Rows("SELECT account_id FROM account_features ORDER BY account_id LIMIT 5");
  ASSERT_EQ(accounts.size(), 5u);
  for (const json& a : accounts) {
    const std::string id = std::to_string(a[0].get<int64_t>());
    r = Send("GET", "/api/accounts/" + id + "/features", admin_);
    ASSERT_EQ(r.status, 200) << r.text;
    // Independently: the same rows through the query views.
    Reply account = Query(admin_, "SELECT * FROM account_features WHERE account_id = " + id);
    Reply invoices = Query(admin_, "SELECT * FROM invoice_features WHERE acct_id = " + id + " ORDER BY inv_id");
    json expected_account = json::object();
    for (size_t c = 0; c < account.body["columns"].size(); ++c) {
      expected_account[account.body["columns"][c]["name"].get<std::string>()] = account.body["rows"][0][c];
    }
    EXPECT_EQ(r.body["account"], expected_account);
    ASSERT_EQ(r.body["invoices"].size(), invoices.body["rows"].size());
    for (size_t i = 0; i < invoices.body["rows"].size(); ++i) {
      for (size_t c = 0; c < invoices.body["columns"].size(); ++c) {
        EXPECT_EQ(r.body["invoices"][i][invoices.body["columns"][c]["name"].get<std::string>()],
                  invoices.body["rows"][i][c]);
      }
    }
  }
  EXPECT_EQ(Send("GET", "/api/accounts/999999999/features", admin_).status, 404);
  EXPECT_EQ(Send("GET", "/api/accounts/abc/features", admin_).status, 400);
  EXPECT_EQ(Send("GET", "/api/accounts/1/features", finance_).status, 403);  // no account_features grant
}

TEST_F(ServeTest, RunsThroughTheApiAndTheirRecords) {
  MakeLake();
  Start();
  Reply r = Send("GET", "/api/runs?limit=5", finance_);
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["runs"].size(), 1u);
  const json cli_run = r.body["runs"][0];
  EXPECT_EQ(cli_run["status"], "succeeded");
  EXPECT_EQ(cli_run["trigger"], "cli");
  EXPECT_EQ(cli_run["as_of"], "2025-01-01");
  EXPECT_FALSE(cli_run["tables"].empty());
  EXPECT_FALSE(cli_run["stages"].empty());
  EXPECT_EQ(Send("GET", "/api/runs/" + std::to_string(cli_run["id"].get<int64_t>()), finance_).body, cli_run);
  EXPECT_EQ(Send("GET", "/api/runs/999", finance_).status, 404);
  EXPECT_EQ(Send("GET", "/api/runs?limit=0", finance_).status, 400);

  EXPECT_EQ(Send("POST", "/api/runs", finance_, R"({"as_of": "2025-01-02"})").status, 403);
  EXPECT_EQ(Send("POST", "/api/runs", admin_, R"({"as_of": "2024-12-01"})").status, 400);  // days only move forward
  EXPECT_EQ(Send("POST", "/api/runs", admin_, R"({"as_of": "soon"})").status, 400);
  r = Send("POST", "/api/runs", admin_, R"({"as_of": "2025-01-01"})");  // nothing new since that run
  EXPECT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["status"], "skipped");

  // New extracts, then a run through the API: 202 with the id its record gets.
  LlOk({"generate", "--out", dir_ + "/more", "--accounts", "200", "--invoices", "3300", "--seed", "7"});
  LlOk({"ingest", dir_ + "/more/invoices.csv"});
  r = Send("POST", "/api/runs", admin_, R"({"as_of": "2025-01-02"})");
  ASSERT_EQ(r.status, 202) << r.text;
  const int64_t id = r.body["id"].get<int64_t>();
  EXPECT_GT(id, cli_run["id"].get<int64_t>());
  json run;
  for (int i = 0; i < 600; ++i) {
    run = Send("GET", "/api/runs/" + std::to_string(id), admin_).body;
    if (run.value("status", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(run["status"], "succeeded") << run.dump();
  EXPECT_EQ(run["trigger"], "api");
  EXPECT_EQ(Send("GET", "/api/runs?limit=1", admin_).body["runs"][0]["id"], id);
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features"), json::parse("[[3300]]"));
}

TEST_F(ServeTest, IngestLandsUploadsLikeTheCommand) {
  MakeLake();
  Start();
  LlOk({"generate", "--out", dir_ + "/more", "--accounts", "200", "--invoices", "3300", "--seed", "7"});
  const std::string extract = ReadFile(dir_ + "/more/invoices.csv");
  ASSERT_LT(extract.size(), 1000000u);
  const std::string path = "/api/ingest?table=invoices&name=invoices_2025-01-02.csv";
  EXPECT_EQ(Send("POST", path, finance_, extract).status, 403);
  Reply r = Send("POST", path, admin_, extract);
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["landed"][0]["status"], "landed");
  EXPECT_EQ(r.body["landed"][0]["table"], "invoices");
  r = Send("POST", path, admin_, extract);  // the same content again: landing is idempotent
  EXPECT_EQ(r.body["landed"][0]["status"], "present") << r.text;
  EXPECT_NE(LlOk({"catalog", "tables"}).find("invoices"), std::string::npos);

  EXPECT_EQ(Send("POST", "/api/ingest?table=nope&name=x.csv", admin_, extract).status, 400);
  EXPECT_EQ(Send("POST", "/api/ingest?table=invoices&name=../x.csv", admin_, extract).status, 400);
  r = Send("POST", "/api/ingest?table=invoices&name=bad.csv", admin_, "not,the,header\n1,2,3\n");
  EXPECT_EQ(r.status, 400) << r.text;
  // Over ingest.max_bytes (1MB here): refused from its Content-Length, before any of the body is read.
  EXPECT_EQ(RawStatus("POST /api/ingest?table=invoices&name=big.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                      admin_ + "\r\nContent-Length: 1100000\r\n\r\n"),
            413);
  // Every upload's scratch copy is gone, landed or refused.
  if (fs::exists(lake_ + "/tmp")) {
    for (const auto& entry : fs::directory_iterator(lake_ + "/tmp")) {
      EXPECT_FALSE(entry.path().filename().string().starts_with("upload-")) << entry.path();
    }
  }

  r = Send("POST", "/api/runs", admin_, R"({"as_of": "2025-01-02"})");
  ASSERT_EQ(r.status, 202) << r.text;
  for (int i = 0; i < 600; ++i) {
    if (Send("GET", "/api/runs/" + std::to_string(r.body["id"].get<int64_t>()), admin_).body["status"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(Rows("SELECT count(*) FROM invoice_features"), json::parse("[[3300]]"));
}

TEST_F(ServeTest, AnotherWriterIsAConflictAndABrokenCatalogAServerError) {
  MakeLake();
  Start();
  {
    // Another process's run or ingest holds the lake lock (flock on <lake>/LOCK).
    const int fd = ::open((lake_ + "/LOCK").c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    Reply r = Send("POST", "/api/runs", admin_, R"({"as_of": "2025-01-02"})");
    EXPECT_EQ(r.status, 409) << r.text;
    EXPECT_EQ(Send("POST", "/api/ingest?table=invoices&name=i.csv", admin_, "inv_id\n").status, 409);
    ::close(fd);
  }
  // The catalog replaced by garbage: what needs it fails with 500 and a reason; the rest still answers.
  WriteFile(lake_ + "/catalog.db", std::string(8192, 'x'));
  fs::remove(lake_ + "/catalog.db-wal");
  const Reply r = Send("GET", "/api/runs", admin_);
  EXPECT_EQ(r.status, 500) << r.text;
  EXPECT_TRUE(r.body.contains("error")) << r.text;
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
}

TEST_F(ServeTest, MetricsPassPromtool) {
  MakeLake();
  Start();
  (void)Send("GET", "/api/datasets", admin_);
  (void)Query(admin_, "SELECT 1");
  std::string text;
  for (int i = 0; i < 100; ++i) {  // the run metrics follow the catalog in the background
    text = Send("GET", "/metrics").text;
    if (text.find("ledgerlake_dataset_rows{") != std::string::npos &&
        text.find("ledgerlake_runs_total{") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const char* name :
       {"ledgerlake_runs_total{status=\"succeeded\",trigger=\"cli\"} 1", "ledgerlake_run_duration_seconds_bucket",
        "ledgerlake_rows_total{", "ledgerlake_last_success_timestamp_seconds ", "ledgerlake_dataset_rows{dataset=\"invoice_features\"} 3000",
        "ledgerlake_pending_rows ", "ledgerlake_http_requests_total{", "ledgerlake_http_request_duration_seconds_bucket",
        "ledgerlake_query_duration_seconds_bucket"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from\n" << text;
  }
  WriteFile(dir_ + "/metrics.txt", text);
  const int rc = std::system(("promtool check metrics < " + dir_ + "/metrics.txt > " + dir_ + "/promtool.out 2>&1").c_str());
  EXPECT_EQ(rc, 0) << ReadFile(dir_ + "/promtool.out");
}

TEST_F(ServeTest, ConfigErrorsStopBeforeBinding) {
  MakeLake(50, 200);
  WriteFile(lake_ + "/ledgerlake.yaml", "roles:\n  finance: [invoice_features, no_such_view]\n");
  ServiceProcess bad(lake_, dir_ + "/bad.log");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.exit_code(), 2);
  EXPECT_NE(bad.log().find("ledgerlake.yaml: line 2"), std::string::npos) << bad.log();
  EXPECT_NE(bad.log().find("no_such_view"), std::string::npos) << bad.log();
  WriteFile(lake_ + "/ledgerlake.yaml", "query:\n  timeout_secs: 3\n");
  ServiceProcess typo(lake_, dir_ + "/typo.log");
  EXPECT_EQ(typo.exit_code(), 2);
  EXPECT_NE(typo.log().find("unknown key 'timeout_secs'"), std::string::npos) << typo.log();
  ServiceProcess missing(lake_, dir_ + "/missing.log", {"--config", dir_ + "/nope.yaml"});
  EXPECT_EQ(missing.exit_code(), 2);
}

TEST_F(ServeTest, SigtermDuringARunFinishesItAndExitsZero) {
  MakeLake(5000, 300000, "");
  Start();
  const Reply r = Send("POST", "/api/runs", admin_, R"({"as_of": "2025-01-01"})");
  ASSERT_EQ(r.status, 202) << r.text;
  EXPECT_EQ(service_->Stop(SIGTERM), 0) << service_->log();
  EXPECT_NE(service_->log().find("waiting for run to end"), std::string::npos) << service_->log();
  const json runs = json::parse(LlOk({"catalog", "runs", "--json"}));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["run_id"], r.body["id"]);
  EXPECT_EQ(runs[0]["status"], "ok") << runs[0].dump();
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features", "--format", "csv"}), "n\n300000\n");
}

TEST_F(ServeTest, QueriesDuringACommitSeeTheOldViewsOrTheNew) {
  MakeLake(500, 20000);
  // 50 clients share 8 query slots: on a loaded machine a query may wait long for one (a 503 past the timeout).
  std::string config = kConfig;
  config.replace(config.find("timeout_seconds: 2"), 18, "timeout_seconds: 120");
  WriteFile(lake_ + "/ledgerlake.yaml", config);
  Start();
  LlOk({"generate", "--out", dir_ + "/more", "--accounts", "500", "--invoices", "24000", "--seed", "7"});
  LlOk({"ingest", dir_ + "/more/invoices.csv"});
  const json before = Rows("SELECT count(*), sum(inv_total)::VARCHAR FROM invoice_features");
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::mutex seen_mu;
  std::set<std::string> seen;
  std::vector<std::thread> clients;
  for (int c = 0; c < 50; ++c) {
    clients.emplace_back([&] {
      while (!done) {
        const Reply q = Query(finance_, "SELECT count(*), sum(inv_total)::VARCHAR FROM invoice_features");
        if (q.status != 200) {
          if (++failures == 1) ADD_FAILURE() << q.status << " " << q.text;
          continue;
        }
        std::lock_guard<std::mutex> g(seen_mu);
        seen.insert(q.body["rows"].dump());
      }
    });
  }
  const CommandResult run = Ll({"run", "--as-of", "2025-01-02"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  done = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(failures.load(), 0);
  const json after = Rows("SELECT count(*), sum(inv_total)::VARCHAR FROM invoice_features");
  EXPECT_NE(before, after);
  for (const std::string& s : seen) EXPECT_TRUE(s == before.dump() || s == after.dump()) << s;
  EXPECT_TRUE(seen.count(after.dump()));
}

}  // namespace
}  // namespace ledgerlake::e2e
