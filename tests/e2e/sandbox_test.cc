// End to end: `ledgerlake query` runs in the query sandbox too (query/sandbox.h): the admin escapes of
// tests/data/sandbox/escapes.tsv fail with exit status 1 and the same reason the service gives, and nothing
// outside the lake is read or written.
#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

class SandboxTest : public ScratchTest {};

TEST_F(SandboxTest, TheQueryCommandRefusesEveryEscape) {
  LlOk({"init"});
  LlOk({"generate", "--out", dir_ + "/gen", "--accounts", "50", "--invoices", "300"});
  LlOk({"ingest", dir_ + "/gen"});
  LlOk({"run", "--as-of", "2025-01-01"});
  size_t checked = 0;
  for (const SandboxEscape& e : ReadSandboxEscapes(lake_)) {
    if (e.role != "admin" || e.status != 403) continue;
    const CommandResult r = Ll({"query", e.sql});
    EXPECT_EQ(r.exit_code, 1) << e.sql << ": " << r.out;
    EXPECT_TRUE(e.Matches(r.err)) << e.sql << " -> " << r.err;
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
