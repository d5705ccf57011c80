// A run killed at any moment (SIGKILL) leaves the catalog and every visible partition as they were, or (killed
// after its commit) exactly as the run leaves them; never a mix. The run log lists a run killed after its start as
// aborted, and nothing else changes in it. The next run completes and removes the dead run's files, and its
// features equal the reference SQL's over the files landed.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <random>

#include "e2e/harness.h"
#include "e2e/reference.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

// Starts `ledgerlake --lake L run --as-of D [extra]` and SIGKILLs it after `delay_us`.
void RunAndKill(const std::string& lake, const std::string& as_of, const std::vector<std::string>& extra,
                int delay_us) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<const char*> argv = {LEDGERLAKE_BIN, "--lake", lake.c_str(), "run", "--as-of", as_of.c_str()};
    for (const std::string& e : extra) argv.push_back(e.c_str());
    argv.push_back(nullptr);
    ::execv(LEDGERLAKE_BIN, const_cast<char* const*>(argv.data()));
    ::_exit(127);
  }
  ::usleep(static_cast<useconds_t>(delay_us));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

// Every dataset's view, as a row count and an order-independent digest per dataset.
constexpr const char* kDigest =
    "SELECT d, count(*) AS n, sum(hash(r)) AS h FROM ("
    "SELECT 'account_features' AS d, x::VARCHAR AS r FROM account_features x "
    "UNION ALL SELECT 'account_invoice_features', x::VARCHAR FROM account_invoice_features x "
    "UNION ALL SELECT 'invoice_features', x::VARCHAR FROM invoice_features x "
    "UNION ALL SELECT 'pending', x::VARCHAR FROM pending x "
    "UNION ALL SELECT 'rejects', x::VARCHAR FROM rejects x) GROUP BY d ORDER BY d";

class CrashTest : public ScratchTest {
 protected:
  // The runs of a `catalog runs --json` listing that ended (ok or failed); a run killed after its start is listed
  // as aborted, every other entry must be one of these.
  static nlohmann::json Finished(const std::string& listing) {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& r : nlohmann::json::parse(listing)) {
      EXPECT_TRUE(r["status"] == "ok" || r["status"] == "failed" || r["status"] == "aborted") << r.dump();
      if (r["status"] != "aborted") out.push_back(r);
    }
    return out;
  }
  static size_t Aborted(const std::string& listing) {
    size_t n = 0;
    for (const nlohmann::json& r : nlohmann::json::parse(listing)) n += r["status"] == "aborted";
    return n;
  }
  std::string Digest(const std::string& lake) {
    const CommandResult r = RunLedgerlake(lake, {"query", kDigest, "--format", "csv"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  // Parquet files under processed/ (committed or not).
  static size_t ParquetFiles(const std::string& lake) {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(lake + "/processed")) {
      n += e.path().extension() == ".parquet" ? 1 : 0;
    }
    return n;
  }
};

// Full runs and incremental runs killed at random moments: the catalog and the views stay exactly as they were
// until a run commits, and then show exactly the new result; the next run cleans up and completes.
TEST_F(CrashTest, KilledRunsLeaveTheViewsAsTheyWereOrAsTheRunLeavesThem) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "2000", "--invoices", "60000", "--seed", "3"});
  LlOk({"generate", "--out", dir_ + "/y", "--accounts", "2500", "--invoices", "8000", "--seed", "4"});
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/x"});
  const std::string empty = Digest(lake_);
  std::vector<Extract> landed;
  auto landed_delivery = [&](const std::string& dir) {
    for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) {
      landed.push_back(Extract{dir + "/" + t + ".csv", t});
    }
  };
  landed_delivery(dir_ + "/x");

  // Each scenario: the lake before, the run that gets killed, and the same run completed on a copy of the lake.
  auto scenario = [&](const std::string& as_of, const std::vector<std::string>& extra, int rounds) {
    const std::string before = Digest(lake_);
    const nlohmann::json runs_before = Finished(LlOk({"catalog", "runs", "--json"}));
    const std::string ref = dir_ + "/ref";
    fs::remove_all(ref);
    fs::copy(lake_, ref, fs::copy_options::recursive);
    std::vector<std::string> args = {"run", "--as-of", as_of};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_EQ(RunLedgerlake(ref, args).exit_code, 0);
    const std::string after = Digest(ref);
    const bool changes = after != before;  // a full refresh of a day an incremental run built changes nothing
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> delay(0, 500000);
    bool committed = false;
    size_t aborted = 0;
    for (int round = 0; round < rounds && !committed; ++round) {
      RunAndKill(lake_, as_of, extra, delay(rng));
      const std::string now = Digest(lake_);
      committed = changes && now == after;
      if (!committed) {
        EXPECT_EQ(now, before) << as_of << " round " << round;
        if (changes) {
          const std::string listed = LlOk({"catalog", "runs", "--json"});
          EXPECT_EQ(Finished(listed), runs_before) << as_of << " round " << round;
          aborted = std::max(aborted, Aborted(listed));
        }
      }
    }
    // The next run completes (or finds the killed one committed: nothing new) and cleans up after the dead.
    LlOk(args);
    EXPECT_GE(Aborted(LlOk({"catalog", "runs", "--json"})), aborted) << as_of;  // the log keeps them
    EXPECT_EQ(Digest(lake_), after) << as_of;
    const auto parts = LlOk({"catalog", "partitions", "--json"});
    size_t listed = 0;
    for (size_t at = parts.find("\"name\""); at != std::string::npos; at = parts.find("\"name\"", at + 1)) ++listed;
    EXPECT_EQ(ParquetFiles(lake_), listed) << as_of;
    EXPECT_TRUE(fs::is_empty(lake_ + "/tmp"));
    ExpectSameRows(LakeFeatures(lake_), ReferenceFeatures(landed, as_of, dir_), "after killed runs as of " + as_of);
  };
  scenario("2024-11-24", {}, 10);                         // the first run: complete partitions
  LlOk({"ingest", dir_ + "/y"});                          // upserts, new invoices, new line groups
  landed_delivery(dir_ + "/y");
  scenario("2024-11-25", {}, 10);                         // an incremental run
  scenario("2024-11-25", {"--full-refresh"}, 6);          // a full refresh replacing the day: the same result
  scenario("2024-11-26", {"--partitions", "4"}, 6);        // a run in 4 passes (files per pass, a spill in tmp/)
  EXPECT_NE(Digest(lake_), empty);
}

}  // namespace
}  // namespace ledgerlake::e2e
