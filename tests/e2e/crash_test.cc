// A run killed at any moment (SIGKILL) leaves every visible partition as it was: the old complete partition
// or the new complete one, never a mix, and the next run completes.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

// Starts `ledgerlake --lake L run --as-of D` and SIGKILLs it after `delay_us`.
void RunAndKill(const std::string& lake, const std::string& as_of, int delay_us) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    ::execl(LEDGERLAKE_BIN, LEDGERLAKE_BIN, "--lake", lake.c_str(), "run", "--as-of", as_of.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::usleep(static_cast<useconds_t>(delay_us));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

class CrashTest : public ScratchTest {
 protected:
  std::string Count(const std::string& dataset) {
    return LlOk({"query", "SELECT count(*) AS n FROM " + dataset, "--format", "csv"});
  }
};

TEST_F(CrashTest, KilledRunsLeaveOldOrNewPartitionsNeverAMix) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "2000", "--invoices", "60000", "--seed", "3"});
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/x"});
  LlOk({"run", "--as-of", "2024-11-24"});
  const std::string complete = Count("invoice_features");
  const std::string complete_accounts = Count("account_features");
  const std::string part = lake_ + "/processed/invoice_features/ingest_year=2024/ingest_month=11/ingest_day=24";

  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay(0, 600000);
  for (int round = 0; round < 12; ++round) {
    RunAndKill(lake_, "2024-11-24", delay(rng));
    // The partition is always there and complete: exactly one Parquet file with every row.
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(part)) files += e.path().extension() == ".parquet" ? 1 : 0;
    EXPECT_EQ(files, 1u) << "round " << round;
    EXPECT_EQ(Count("invoice_features"), complete) << "round " << round;
    EXPECT_EQ(Count("account_features"), complete_accounts) << "round " << round;
  }
  // A new date killed mid-way: its partition is absent or complete.
  for (int round = 0; round < 6; ++round) {
    RunAndKill(lake_, "2024-11-25", delay(rng));
    const std::string p = lake_ + "/processed/invoice_features/ingest_year=2024/ingest_month=11/ingest_day=25";
    if (fs::exists(p)) {
      EXPECT_NE(Count("invoice_features"), "n\n0\n");
    }
  }
  // And the next run completes, cleaning the staging debris.
  LlOk({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(Count("read_parquet('" + part + "/*.parquet')"), complete);
  EXPECT_TRUE(fs::is_empty(lake_ + "/tmp"));
}

}  // namespace
}  // namespace ledgerlake::e2e
