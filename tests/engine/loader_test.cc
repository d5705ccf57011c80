// The loader on real files: duplicate_key rejects carry their exact raw text (re-read from the file, also
// after a BOM and through gzip), and every record read ends in exactly one fate even for mutated input.
#include "engine/loader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>

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

}  // namespace
}  // namespace ledgerlake::engine
