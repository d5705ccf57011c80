// Tests as data: every directory of tests/data/cases is a case, run through the real binary (format in
// tests/data/cases/README.md). Each case runs three ways (as written: incremental runs; every run a full refresh;
// every run in 3 passes) and must show the same views every way; after each run its features must also equal the
// reference SQL's over the files landed so far (tests/reference/, written from docs/ alone).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/harness.h"
#include "e2e/reference.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string& CasesDir() {
  static const std::string dir = TestData("cases");
  return dir;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(CasesDir())) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<fs::path> Sorted(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_directory() == directories) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The steps of a case: its subdirectories in name order, or the case directory itself.
std::vector<fs::path> Steps(const fs::path& dir) {
  std::vector<fs::path> steps = Sorted(dir, true);
  if (steps.empty()) steps.push_back(dir);
  return steps;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Where `actual` fails to contain `expected` (every key of an object, recursively; anything else equal), or "".
std::string Mismatch(const json& actual, const json& expected, const std::string& path) {
  if (expected.is_object()) {
    if (!actual.is_object()) return path + ": not an object";
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) return path + "." + key + ": missing";
      const std::string m = Mismatch(actual.at(key), value, path + "." + key);
      if (!m.empty()) return m;
    }
    return "";
  }
  return actual == expected ? "" : path + ": " + actual.dump() + ", expected " + expected.dump();
}

// The table an extract's name says (as ingest reads it: the name starts with the table's).
std::string TableOfFile(const std::string& file) {
  for (const char* table : {"invoice_line_items", "invoices", "accounts", "skus"}) {
    if (file.starts_with(table)) return table;
  }
  ADD_FAILURE() << file << ": a case's extract is named after its table";
  return "";
}

enum class Mode { kAsWritten, kFullRefresh, kThreePasses };

class CasesTest : public ScratchTest, public ::testing::WithParamInterface<std::tuple<std::string, Mode>> {};

TEST_P(CasesTest, ViewsAndRunsAreAsExpected) {
  const auto& [name, mode] = GetParam();
  const fs::path dir = fs::path(CasesDir()) / name;
  const bool with_reference = !fs::exists(dir / "no_reference");
  LlOk({"init"});
  std::vector<Extract> landed;
  int checked = 0;
  for (const fs::path& step : Steps(dir)) {
    SCOPED_TRACE("step " + step.filename().string());
    std::vector<std::string> ingest = {"ingest"};
    for (const fs::path& f : Sorted(step, false)) {
      const std::string file = f.filename().string();
      if (file.starts_with("expected") || !(file.ends_with(".csv") || file.ends_with(".csv.gz"))) continue;
      ingest.push_back(f.string());
      landed.push_back(Extract{f.string(), TableOfFile(file)});
    }
    if (ingest.size() > 1) LlOk(ingest);
    if (!fs::exists(step / "run")) continue;
    std::vector<std::string> run = Words(ReadFile((step / "run").string()));
    run.insert(run.begin(), "run");
    run.push_back("--json");
    if (mode == Mode::kFullRefresh) run.push_back("--full-refresh");
    if (mode == Mode::kThreePasses) run.insert(run.end(), {"--partitions", "3"});
    const CommandResult r = Ll(run);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto as_of = std::find(run.begin(), run.end(), "--as-of");
    ASSERT_NE(as_of, run.end()) << "a case's run names its --as-of day";
    if (mode == Mode::kAsWritten && fs::exists(step / "expected_run.json")) {
      const std::string m = Mismatch(json::parse(r.out), json::parse(ReadFile((step / "expected_run.json").string())), "run");
      EXPECT_EQ(m, "") << r.out;
      ++checked;
    }
    for (const fs::path& f : Sorted(step, false)) {
      std::string file = f.filename().string();
      if (!file.starts_with("expected_") || !file.ends_with(".csv")) continue;
      std::string view = file.substr(9, file.size() - 13);
      std::vector<std::string> query = {"query"};
      std::string day;
      if (const size_t at = view.find('@'); at != std::string::npos) {
        day = view.substr(at + 1);
        view = view.substr(0, at);
      }
      // A history or the deleted invoices depend on how the runs were made: checked as written only.
      if (mode != Mode::kAsWritten && (view.ends_with("_history") || view == "deleted_invoices")) continue;
      query.insert(query.end(), {"SELECT * FROM " + view + " ORDER BY ALL", "--format", "csv"});
      if (!day.empty()) query.insert(query.end(), {"--as-of", day});
      EXPECT_EQ(LlOk(query), ReadFile(f.string())) << file;
      ++checked;
    }
    if (with_reference) {
      ExpectSameRows(LakeFeatures(lake_), ReferenceFeatures(landed, *(as_of + 1), dir_), "reference as of " + *(as_of + 1));
    }
  }
  EXPECT_GT(checked, 0) << "a case with nothing to check";
}

std::string ModeName(Mode m) {
  switch (m) {
    case Mode::kAsWritten: return "as_written";
    case Mode::kFullRefresh: return "full_refresh";
    case Mode::kThreePasses: return "three_passes";
  }
  return "";
}

INSTANTIATE_TEST_SUITE_P(Cases, CasesTest,
                         ::testing::Combine(::testing::ValuesIn(CaseNames()),
                                            ::testing::Values(Mode::kAsWritten, Mode::kFullRefresh, Mode::kThreePasses)),
                         [](const auto& param_info) {
                           std::string n = std::get<0>(param_info.param) + "_" + ModeName(std::get<1>(param_info.param));
                           std::replace_if(n.begin(), n.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return n;
                         });

}  // namespace
}  // namespace ledgerlake::e2e
