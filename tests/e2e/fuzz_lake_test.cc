// Mutated extracts through the whole binary: random byte flips, truncations, line-ending and encoding variants,
// header/row shape mismatches, stray quotes, dropped and doubled lines. Each mutated file is either landed or
// refused whole with one line saying why (never a crash, never a silent half); every run that follows counts fates
// that add up for every table, and every view of the lake still answers a query.
#include <nlohmann/json.hpp>
#include <random>

#include "e2e/harness.h"
#include "util/date.h"

namespace ledgerlake::e2e {
namespace {

using nlohmann::json;
using Rng = std::mt19937_64;

size_t Uniform(Rng& rng, size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string Utf16Le(const std::string& s, bool bom) {
  std::string out = bom ? std::string("\xFF\xFE", 2) : "";
  for (const char c : s) {
    out += c;
    out += '\0';
  }
  return out;
}

// One mutation of a clean extract, and its name for messages.
std::pair<std::string, std::string> Mutate(const std::string& clean, Rng& rng) {
  std::string s = clean;
  const size_t header_end = s.find('\n');
  switch (Uniform(rng, 0, 11)) {
    case 0: {
      for (size_t k = 0, n = Uniform(rng, 1, 6); k < n; ++k) s[Uniform(rng, 0, s.size() - 1)] ^= static_cast<char>(1 << Uniform(rng, 0, 7));
      return {s, "byte flips"};
    }
    case 1: return {s.substr(0, Uniform(rng, 0, s.size())), "truncated"};
    case 2: return {ReplaceAll(s, "\n", "\r\n"), "CRLF"};
    case 3: return {ReplaceAll(s, "\n", "\r"), "CR only"};
    case 4: return {ReplaceAll(s, "\n", "\r\r\n"), "CR CR LF"};
    case 5: return {Utf16Le(s, Uniform(rng, 0, 1) == 0), "UTF-16"};
    case 6: return {"\xEF\xBB\xBF\xEF\xBB\xBF" + s, "two BOMs"};
    case 7: return {s.substr(0, header_end) + ",extra_column" + s.substr(header_end), "header wider than rows"};
    case 8: return {s.substr(0, s.rfind(',', header_end)) + s.substr(header_end), "header narrower than rows"};
    case 9: {
      for (size_t k = 0, n = Uniform(rng, 1, 4); k < n; ++k) s.insert(Uniform(rng, header_end, s.size()), "\"");
      return {s, "stray quotes"};
    }
    case 10: {  // a line dropped
      const size_t at = s.find('\n', Uniform(rng, header_end, s.size() - 1));
      if (at == std::string::npos || at + 1 >= s.size()) return {s, "unchanged"};
      const size_t end = s.find('\n', at + 1);
      return {s.substr(0, at + 1) + (end == std::string::npos ? "" : s.substr(end + 1)), "line dropped"};
    }
    default: {  // a line doubled
      const size_t at = s.find('\n', Uniform(rng, header_end, s.size() - 1));
      if (at == std::string::npos || at + 1 >= s.size()) return {s, "unchanged"};
      const size_t end = s.find('\n', at + 1);
      const std::string line = s.substr(at + 1, end == std::string::npos ? std::string::npos : end - at);
      return {s.substr(0, at + 1) + line + (line.ends_with("\n") ? "" : "\n") + s.substr(at + 1), "line doubled"};
    }
  }
}

constexpr const char* kEveryView =
    "SELECT (SELECT count(*) FROM account_features) + (SELECT count(*) FROM account_invoice_features) + "
    "(SELECT count(*) FROM invoice_features) + (SELECT count(*) FROM rejects) + (SELECT count(*) FROM pending) + "
    "(SELECT count(*) FROM incomplete_invoices) + (SELECT count(*) FROM invoice_features_history) + "
    "(SELECT count(*) FROM accounts) + (SELECT count(*) FROM skus) + (SELECT count(*) FROM invoices) + "
    "(SELECT count(*) FROM invoice_line_items) + (SELECT count(*) FROM raw_accounts) + "
    "(SELECT count(*) FROM raw_skus) + (SELECT count(*) FROM raw_invoices) + "
    "(SELECT count(*) FROM raw_invoice_line_items) AS n";

class FuzzLakeTest : public ScratchTest {};

TEST_F(FuzzLakeTest, MutatedExtractsAreLandedOrRefusedAndEveryRunAddsUpAndAnswers) {
  LlOk({"generate", "--out", dir_ + "/clean", "--accounts", "60", "--invoices", "400", "--seed", "17"});
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/clean"});
  LlOk({"run", "--as-of", "2024-06-01"});
  const char* tables[] = {"accounts", "skus", "invoices", "invoice_line_items"};
  Rng rng(4242);
  int landed = 0, refused = 0;
  DayNumber day = *ParseIsoDate("2024-06-02");
  for (int i = 0; i < 24; ++i) {
    const std::string table = tables[Uniform(rng, 0, 3)];
    const auto [bytes, what] = Mutate(ReadFile(dir_ + "/clean/" + table + ".csv"), rng);
    SCOPED_TRACE("mutation " + std::to_string(i) + " of " + table + ": " + what);
    const std::string path = dir_ + "/m/" + table + "_" + std::to_string(i) + ".csv";
    WriteFile(path, bytes);
    const CommandResult ingest = Ll({"ingest", path});
    ASSERT_TRUE(ingest.exit_code == 0 || ingest.exit_code == 1) << ingest.err;
    if (ingest.exit_code == 1) {
      ++refused;
      EXPECT_EQ(std::count(ingest.err.begin(), ingest.err.end(), '\n'), 1) << "one line: " << ingest.err;
      continue;
    }
    ++landed;
    const CommandResult run = Ll({"run", "--as-of", FormatIsoDate(day++), "--json"});
    ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 3) << run.err;
    const json report = json::parse(run.out);
    for (const auto& [t, c] : report.at("tables").items()) {
      EXPECT_EQ(c.at("read"), c.at("accepted").get<int64_t>() + c.at("rejected").get<int64_t>() +
                                  c.at("duplicate").get<int64_t>() + c.at("pending").get<int64_t>())
          << t;
    }
    const CommandResult q = Ll({"query", kEveryView, "--format", "csv"});
    EXPECT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(Ll({"query", "SELECT 1"}).exit_code, 0);
  }
  EXPECT_GT(landed, 5);
  EXPECT_GT(refused, 3);
  EXPECT_NE(LlOk({"verify"}).find("no damage found"), std::string::npos);
}

}  // namespace
}  // namespace ledgerlake::e2e
