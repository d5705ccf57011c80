// The loader on real files: duplicate_key rejects carry their exact raw text (re-read from the file, also
// after a BOM and through gzip), and every record read ends in exactly one fate even for mutated input.
#include "engine/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include "csv/utf8.h"

namespace ledgerlake::engine {
namespace {

namespace fs = std::filesystem;

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll-loader-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, bool gzip = false) {
    const std::string path = (dir_ / name).string();
    if (gzip) {
      gzFile f = gzopen(path.c_str(), "wb");
      gzwrite(f, content.data(), static_cast<unsigned>(content.size()));
      gzclose(f);
    } else {
      std::ofstream(path, std::ios::binary) << content;
    }
    return path;
  }
  fs::path dir_;
};

TEST_F(LoaderTest, DuplicateKeyRejectsKeepTheirExactTextAfterABomAndThroughGzip) {
  const std::string text =
      "\xEF\xBB\xBFitem_id,item_name,item_retail_price\r\n"
      "1,\"Pipe, 15mm\",7.50\r\n"
      "2,Tap,59.99\r\n"
      "1,\"Pipe\n15mm\",7.50\r\n"
      "2,Tap,59.99\r\n"
      "1,Pipe,8.00\r\n";
  for (bool gzip : {false, true}) {
    const std::vector<SourceFile> files = {{Write(gzip ? "skus.csv.gz" : "skus.csv", text, gzip), "skus.csv", TableId::kSkus}};
    Ledger ledger;
    std::vector<contract::Reject> rejects;
    ASSERT_TRUE(LoadTable(TableId::kSkus, files, ledger, rejects).ok());
    const FateCounts& c = ledger.counts(TableId::kSkus);
    EXPECT_EQ(c.read, 5u);
    EXPECT_EQ(c.accepted, 2u);
    EXPECT_EQ(c.duplicate, 1u);
    EXPECT_EQ(c.rejected, 2u);
    ASSERT_EQ(rejects.size(), 2u);
    EXPECT_EQ(rejects[0].line, 2u);
    EXPECT_EQ(rejects[0].reason, contract::RejectReason::kDuplicateKey);
    EXPECT_EQ(rejects[0].record, "1,\"Pipe, 15mm\",7.50");
    EXPECT_EQ(rejects[1].line, 4u);
    EXPECT_EQ(rejects[1].record, "1,\"Pipe\n15mm\",7.50");
    EXPECT_EQ(ledger.skus().at(1).row.retail_cents, 800);
  }
}

TEST_F(LoaderTest, MutatedFilesNeverLoseARow) {
  std::string valid = "invoice_id,account_id,date_issued,payment_dates\n";
  for (int i = 1; i <= 300; ++i) {
    valid += std::to_string(i) + "," + std::to_string(i % 17) + ",2024-0" + std::to_string(1 + i % 9) + "-1" +
             std::to_string(i % 10) + "," + (i % 3 ? "" : "2024-10-01") + "\n";
  }
  std::mt19937_64 rng(7);
  const std::string alphabet = "\",\n\r0123456789-x \xff\xc3";
  for (int round = 0; round < 300; ++round) {
    std::string s = valid;
    const int edits = 1 + static_cast<int>(rng() % 12);
    for (int e = 0; e < edits; ++e) {
      const size_t at = 60 + rng() % (s.size() - 60);  // keep the header intact
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[at] = c; break;
        case 1: s.insert(at, 1, c); break;
        default: s.erase(at, 1); break;
      }
    }
    const std::vector<SourceFile> files = {{Write("invoices.csv", s), "invoices.csv", TableId::kInvoices}};
    Ledger ledger;
    std::vector<contract::Reject> rejects;
    ASSERT_TRUE(LoadTable(TableId::kInvoices, files, ledger, rejects).ok()) << round;
    auto finished = FinishedLedger::Finish(std::move(ledger), FinishOptions{});
    ASSERT_TRUE(finished.ok()) << round;
    const FateCounts& c = finished->ledger().counts(TableId::kInvoices);
    EXPECT_EQ(c.accepted + c.rejected + c.duplicate + c.pending, c.read) << round;
    EXPECT_EQ(rejects.size(), c.rejected) << round;
    // Without accounts every surviving invoice is pending; nothing is silently accepted.
    EXPECT_EQ(c.accepted, 0u) << round;
    // Records are all counted: each LF outside the intact rows starts at most one record, so read is close
    // to the 300 rows; losing rows would show as far fewer.
    EXPECT_GE(c.read + 12, 300u) << round;
    for (const auto& r : rejects) EXPECT_TRUE(csv::IsValidUtf8(r.record)) << round;
  }
}

// Repeated line items are counted run by run (Ledger keeps only the current invoice's lines); a file whose
// invoices come back after other invoices' lines is recounted by re-reading it. Either way the count is exact:
// here against a count made from the file's text, over files whose lines come grouped by invoice and shuffled, in
// one file and in two (a later file replaces an invoice's group, and its repeats count again), with an extra
// column that makes otherwise equal lines differ and integers written two ways ("7" and "007").
TEST_F(LoaderTest, RepeatedLinesAreCountedExactlyWhetherOrNotAnInvoicesLinesAreTogether) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 40; ++round) {
    const bool grouped = round % 2 == 0;
    const int file_count = 1 + round % 3 / 2;
    std::vector<SourceFile> files;
    uint64_t expected = 0;
    for (int f = 0; f < file_count; ++f) {
      struct Line {
        int invoice, item, quantity;
        std::string note;
      };
      std::vector<Line> lines;
      const int invoices = 1 + static_cast<int>(rng() % 30);
      for (int inv = 1; inv <= invoices; ++inv) {
        const int n = static_cast<int>(rng() % (round % 5 == 4 ? 60 : 6));  // some invoices past the scanned run
        for (int k = 0; k < n; ++k) {
          lines.push_back({inv, static_cast<int>(rng() % 4), 1 + static_cast<int>(rng() % 3), rng() % 5 ? "" : "x"});
        }
      }
      if (!grouped) std::shuffle(lines.begin(), lines.end(), rng);
      std::string text = "invoice_id,item_id,quantity,note\n";
      std::map<int, std::set<std::tuple<int, int, std::string>>> distinct;
      for (const Line& l : lines) {
        text += std::to_string(l.invoice) + "," + (rng() % 2 ? "00" : "") + std::to_string(l.item) + "," +
                std::to_string(l.quantity) + "," + l.note + "\n";
        distinct[l.invoice].insert({l.item, l.quantity, l.note});
      }
      expected += lines.size();
      for (const auto& [inv, set] : distinct) expected -= set.size();
      const std::string name = "lines-" + std::to_string(f) + ".csv";
      files.push_back({Write(name, text), name, TableId::kLineItems, static_cast<uint32_t>(f)});
    }
    Ledger ledger;
    std::vector<contract::Reject> rejects;
    ASSERT_TRUE(LoadTable(TableId::kLineItems, files, ledger, rejects).ok()) << round;
    EXPECT_TRUE(rejects.empty()) << round;
    EXPECT_FALSE(ledger.LineRepeatsNeedRecount()) << round;
    EXPECT_EQ(ledger.repeated_line_items(), expected) << "round " << round << (grouped ? " grouped" : " shuffled");
  }
}

}  // namespace
}  // namespace ledgerlake::engine
