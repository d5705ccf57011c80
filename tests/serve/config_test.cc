#include "serve/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ledgerlake::serve {
namespace {

// A file of this test's own: ctest runs the cases of this file side by side, each in its own process, and with one
// shared name a case could load what another had just written.
std::string OwnFile(const std::string& what) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  return ::testing::TempDir() + "/ledgerlake-" + what + "-" + test->name() + "-" + std::to_string(::getpid()) + ".yaml";
}

class ConfigTest : public ::testing::Test {
 protected:
  Result<ServeConfig> Load(const std::string& yaml) {
    const std::string path = OwnFile("config");
    std::ofstream(path) << yaml;
    auto loaded = LoadConfig(path);
    std::filesystem::remove(path);
    return loaded;
  }
};

TEST_F(ConfigTest, TheDocumentedExampleLoads) {
  auto c = Load(R"(listen: 0.0.0.0:9000
roles:
  finance: [invoice_features, account_invoice_features]
  analyst: ["*"]
query:
  timeout_seconds: 2.5
  memory_limit: 512MB
  max_rows: 100
  max_concurrent: 3
ingest:
  max_bytes: 2GB
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->roles.size(), 3u);  // admin is built in
  EXPECT_TRUE(c->roles.at("admin").all());
  EXPECT_TRUE(c->roles.at("analyst").all());
  EXPECT_TRUE(c->roles.at("finance").Allows("invoice_features_history"));
  EXPECT_FALSE(c->roles.at("finance").Allows("account_features"));
  EXPECT_DOUBLE_EQ(c->query.timeout_seconds, 2.5);
  EXPECT_EQ(c->query.memory_limit, "512MB");
  EXPECT_EQ(c->query.max_rows, 100u);
  EXPECT_EQ(c->query.max_concurrent, 3);
  EXPECT_EQ(c->ingest_max_bytes, 2000000000u);
}

TEST_F(ConfigTest, AnEmptyFileIsTheDefaults) {
  auto c = Load("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->roles.size(), 1u);
  EXPECT_EQ(DefaultConfig().query.max_rows, 10000u);
}

TEST_F(ConfigTest, MistakesNameTheLineAndTheKey) {
  struct Case {
    const char* yaml;
    const char* says;
  } cases[] = {
      {"listen: 8080\n", "line 1: listen: '8080' is not HOST:PORT"},
      {"roles:\n  admin: [\"*\"]\n", "line 2: admin is built in"},
      {"roles:\n  finance: invoice_features\n", "line 2: role finance: a list of views"},
      {"roles:\n  finance: [invoice_feature]\n", "'invoice_feature' is not a view"},
      {"query:\n  timeout_secs: 3\n", "line 2: unknown key 'timeout_secs' in query"},
      {"query:\n  timeout_seconds: -1\n", "query.timeout_seconds must be above 0"},
      {"query:\n  max_rows: many\n", "query.max_rows must be a whole number"},
      {"query:\n  memory_limit: lots\n", "query.memory_limit: 'lots' is not a size"},
      {"schedules: {}\n", "unknown key 'schedules'"},
      {"roles: [\n", "line 2"},
  };
  for (const Case& c : cases) {
    auto loaded = Load(c.yaml);
    ASSERT_FALSE(loaded.ok()) << c.yaml;
    EXPECT_NE(loaded.status().message().find(c.says), std::string::npos) << c.yaml << " -> " << loaded.status().message();
  }
  EXPECT_EQ(LoadConfig("/nonexistent/ledgerlake.yaml").status().code(), Status::Code::kNotFound);
}

TEST_F(ConfigTest, SizesAndAddresses) {
  EXPECT_EQ(*ParseByteSize("1000"), 1000u);
  EXPECT_EQ(*ParseByteSize("1.5GiB"), uint64_t{3} << 29);
  EXPECT_EQ(*ParseByteSize("512 MB"), 512000000u);
  EXPECT_FALSE(ParseByteSize("MB").ok());
  EXPECT_FALSE(ParseByteSize("1 PB").ok());
  ServeConfig c;
  EXPECT_TRUE(SetListen("127.0.0.1:0", c).ok());
  EXPECT_EQ(c.port, 0);
  EXPECT_FALSE(SetListen("127.0.0.1:70000", c).ok());
  EXPECT_FALSE(SetListen(":80", c).ok());
}

}  // namespace
}  // namespace ledgerlake::serve

namespace ledgerlake::serve {
namespace {

// Every ```yaml block of the docs that is a whole config (README.md, docs/serve.md) loads as it is written.
TEST(ConfigDocsTest, EveryConfigExampleInTheDocsLoads) {
  size_t checked = 0;
  for (const char* doc : {"README.md", "docs/serve.md"}) {
    std::ifstream in(std::string(LEDGERLAKE_SOURCE_DIR) + "/" + doc);
    ASSERT_TRUE(in) << doc;
    std::string line;
    std::string block;
    bool inside = false;
    while (std::getline(in, line)) {
      if (!inside && line == "```yaml") {
        inside = true;
        block.clear();
      } else if (inside && line == "```") {
        inside = false;
        const std::string path = OwnFile("docs-example");
        std::ofstream(path) << block;
        auto loaded = LoadConfig(path);
        std::filesystem::remove(path);
        EXPECT_TRUE(loaded.ok()) << doc << ":\n" << block << "\n-> " << loaded.status().message();
        ++checked;
      } else if (inside) {
        block += line + "\n";
      }
    }
  }
  EXPECT_GE(checked, 3u);
}

}  // namespace
}  // namespace ledgerlake::serve
