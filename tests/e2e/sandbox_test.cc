// End to end: `ledgerlake query` runs in the query sandbox too (query/sandbox.h): the admin escapes of
// tests/data/sandbox/escapes.tsv fail with exit status 1 and the same reason the service gives, and nothing
// outside the lake is read or written.
#include <fstream>
#include <sstream>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

class SandboxTest : public ScratchTest {};

TEST_F(SandboxTest, TheQueryCommandRefusesEveryEscape) {
  LlOk({"init"});
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "50", "--invoices", "300"});
  LlOk({"ingest", dir_ + "/gen"});
  LlOk({"run", "--as-of", "2025-01-01"});
  std::ifstream in(TestData("sandbox/escapes.tsv"));
  size_t checked = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string part; std::getline(fields, part, '\t');) f.push_back(part);
    if (f.size() != 4 || f[0] != "admin" || f[1] != "403") continue;
    std::string sql = f[3];
    for (size_t at; (at = sql.find("{lake}")) != std::string::npos;) sql.replace(at, 6, lake_);
    const CommandResult r = Ll({"query", sql});
    EXPECT_EQ(r.exit_code, 1) << sql << ": " << r.out;
    bool found = false;
    for (size_t from = 0;;) {
      const size_t bar = f[2].find(" | ", from);
      found = found || r.err.find(f[2].substr(from, bar - from)) != std::string::npos;
      if (bar == std::string::npos) break;
      from = bar + 3;
    }
    EXPECT_TRUE(found) << sql << " -> " << r.err;
    ++checked;
  }
  EXPECT_GT(checked, 15u);
  EXPECT_FALSE(std::filesystem::exists("/tmp/ledgerlake-sandbox-escape.csv"));
  // Scripts of read-only statements still run, and the views are as they were.
  EXPECT_EQ(LlOk({"query", "SELECT 1 AS a; SELECT count(*) AS n FROM invoice_features", "--format", "csv"}),
            "a\n1\nn\n300\n");
}

}  // namespace
}  // namespace ledgerlake::e2e
