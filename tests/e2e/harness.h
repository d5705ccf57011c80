// End-to-end test support: runs the real ledgerlake binary in a scratch lake and captures what it prints.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace ledgerlake::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `ledgerlake <args>` (args are shell-quoted here) with the lake at `lake`.
CommandResult RunLedgerlake(const std::string& lake, const std::vector<std::string>& args);

// The same as a user who may read the lake but not write it: as root, the command runs as nobody (the lake must be
// readable by others); otherwise as this user, and the caller makes the lake read-only (chmod) first.
CommandResult RunLedgerlakeAsReader(const std::string& lake, const std::vector<std::string>& args);

// The same with `input` on its standard input.
CommandResult RunLedgerlakeWithInput(const std::string& lake, const std::vector<std::string>& args,
                                     const std::string& input);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& content);
void WriteGzip(const std::string& path, const std::string& content);

// A fresh scratch directory per test, removed afterwards.
class ScratchTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  std::string dir_;
  std::string lake_;
  CommandResult Ll(const std::vector<std::string>& args) { return RunLedgerlake(lake_, args); }
  // Runs and asserts success, returning stdout.
  std::string LlOk(const std::vector<std::string>& args);
};

std::string TestData(const std::string& relative);

// Every dataset of `lake` as of `day` (account_features, account_invoice_features, invoice_features, pending,
// rejects), each as `query ... ORDER BY ALL --format csv` prints it, one after the other.
std::string DatasetViews(const std::string& lake, const std::string& day);

// LEDGERLAKE_CLOCK's value for a service clock that starts now and runs `speed` times faster.
std::string ClockFromNow(int speed);

// One line of tests/data/sandbox/escapes.tsv: a query the sandbox must refuse (or answer without what is not
// granted), with {lake} replaced by the lake's directory.
struct SandboxEscape {
  std::string role;
  int status = 0;
  std::string fragment;  // of the answer; " | " separates alternatives
  std::string sql;
  // Whether `answer` holds the fragment (or one of its alternatives).
  bool Matches(const std::string& answer) const;
};
std::vector<SandboxEscape> ReadSandboxEscapes(const std::string& lake);

}  // namespace ledgerlake::e2e
