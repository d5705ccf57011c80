#include "e2e/harness.h"

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace ledgerlake::e2e {

namespace fs = std::filesystem;

namespace {
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}
}  // namespace

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

void WriteGzip(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
  gzclose(f);
}

namespace {
CommandResult Run(const std::string& prefix, const std::string& lake, const std::vector<std::string>& args,
                  const std::string* input = nullptr);
}  // namespace

CommandResult RunLedgerlakeWithInput(const std::string& lake, const std::vector<std::string>& args,
                                     const std::string& input) {
  return Run("", lake, args, &input);
}

CommandResult RunLedgerlake(const std::string& lake, const std::vector<std::string>& args) { return Run("", lake, args); }

CommandResult RunLedgerlakeAsReader(const std::string& lake, const std::vector<std::string>& args) {
  // root may write anything: become nobody, who may only read a lake root made.
  return Run(::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "", lake, args);
}

namespace {
CommandResult Run(const std::string& prefix, const std::string& lake, const std::vector<std::string>& args,
                  const std::string* input) {
  static std::atomic<int> counter{0};  // tests may run commands from several threads
  const std::string base = fs::temp_directory_path().string() + "/ll-e2e-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter++);
  std::string cmd = prefix + ShellQuote(LEDGERLAKE_BIN);
  if (!lake.empty()) cmd += " --lake " + ShellQuote(lake);
  for (const std::string& a : args) cmd += " " + ShellQuote(a);
  if (input != nullptr) WriteFile(base + ".in", *input);
  cmd += " >" + base + ".out 2>" + base + ".err <" + (input != nullptr ? base + ".in" : std::string("/dev/null"));
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  fs::remove(base + ".in");
  return r;
}
}  // namespace

void ScratchTest::SetUp() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = fs::temp_directory_path().string() + "/ll-" + info->test_suite_name() + "-" + info->name() + "-" +
         std::to_string(::getpid());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  lake_ = dir_ + "/lake";
}

void ScratchTest::TearDown() {
  if (HasFailure()) return;  // kept for a look
  std::error_code error;
  fs::remove_all(dir_, error);
  EXPECT_FALSE(error) << "cannot remove " << dir_ << ": " << error.message();
}

std::string ScratchTest::LlOk(const std::vector<std::string>& args) {
  CommandResult r = Ll(args);
  EXPECT_EQ(r.exit_code, 0) << "ledgerlake " << (args.empty() ? "" : args[0]) << " failed: " << r.err;
  return r.out;
}

std::string TestData(const std::string& relative) { return std::string(LEDGERLAKE_TESTDATA) + "/" + relative; }

std::string DatasetViews(const std::string& lake, const std::string& day) {
  std::string out;
  for (const char* view : {"account_features", "account_invoice_features", "invoice_features", "pending", "rejects"}) {
    const CommandResult r = RunLedgerlake(
        lake, {"query", std::string("SELECT * FROM ") + view + " ORDER BY ALL", "--format", "csv", "--as-of", day});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    out += r.out;
  }
  return out;
}

std::string ClockFromNow(int speed) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char start[32];
  std::strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string("LEDGERLAKE_CLOCK=") + start + "*" + std::to_string(speed);
}

bool SandboxEscape::Matches(const std::string& answer) const {
  for (size_t from = 0;;) {
    const size_t bar = fragment.find(" | ", from);
    if (answer.find(fragment.substr(from, bar - from)) != std::string::npos) return true;
    if (bar == std::string::npos) return false;
    from = bar + 3;
  }
}

std::vector<SandboxEscape> ReadSandboxEscapes(const std::string& lake) {
  std::vector<SandboxEscape> out;
  std::ifstream in(TestData("sandbox/escapes.tsv"));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string part; std::getline(fields, part, '\t');) f.push_back(part);
    EXPECT_EQ(f.size(), 4u) << "escapes.tsv: " << line;
    if (f.size() != 4) continue;
    for (size_t at; (at = f[3].find("{lake}")) != std::string::npos;) f[3].replace(at, 6, lake);
    out.push_back({f[0], std::stoi(f[1]), f[2], f[3]});
  }
  return out;
}

}  // namespace ledgerlake::e2e
