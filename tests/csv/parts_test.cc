// Reading a file in parts (csv/parts.h) must give exactly the records one reader gives over the whole file:
// the same raw text, fields, errors, lines and offsets, whatever the number of parts and threads, and above all
// when a cut falls inside a quoted field that spans lines (the part's guessed start is then wrong and it must be
// read again).
#include "csv/parts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "csv_test_util.h"

namespace ledgerlake::csv {
namespace {

using testing::Rec;

using Rng = std::mt19937_64;
size_t Uniform(Rng& rng, size_t lo, size_t hi) { return std::uniform_int_distribution<size_t>(lo, hi)(rng); }
bool Chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }

// Collects each part's records, with lines and offsets made absolute afterwards.
class Collect final : public PartVisitor {
 public:
  explicit Collect(size_t parts) : parts_(parts) {}
  void Records(size_t part, const RecordBatch& batch, size_t n) override {
    for (size_t i = 0; i < n; ++i) parts_[part].push_back(testing::ToRec(batch, i));
  }
  void Restart(size_t part) override {
    parts_[part].clear();
    ++restarts;
  }
  std::vector<Rec> All(const std::vector<PartStart>& starts, uint64_t bom) const {
    std::vector<Rec> all;
    for (size_t k = 0; k < parts_.size(); ++k) {
      for (Rec r : parts_[k]) {
        r.line += starts[k].line - 1;
        r.offset += starts[k].offset - bom;  // the whole-file reader counts offsets after the BOM
        all.push_back(std::move(r));
      }
    }
    return all;
  }
  size_t restarts = 0;

 private:
  std::vector<std::vector<Rec>> parts_;
};

class PartsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path().string() + "/ll-parts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv";
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // Reads `text` whole and in 1..max_parts parts on pools of 1 and 3 threads, and expects the same records.
  // Returns the number of parts read again.
  size_t ExpectSameInParts(const std::string& text, size_t max_parts) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
    const testing::ReadOut whole = testing::ReadAll(text);
    EXPECT_TRUE(whole.header_status.ok() && whole.status.ok());
    std::vector<std::string> header;
    auto layout = ReadLayout(path_, &header);
    EXPECT_TRUE(layout.ok()) << layout.status().message();
    if (!layout.ok()) return 0;
    EXPECT_EQ(header, whole.header);
    EXPECT_EQ(layout->data_begin, whole.header_end);
    const uint64_t bom = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    size_t restarts = 0;
    for (size_t threads : {1, 3}) {
      TaskPool pool(threads);
      for (size_t parts = 1; parts <= max_parts; ++parts) {
        SCOPED_TRACE("parts " + std::to_string(parts) + ", threads " + std::to_string(threads));
        Collect collect(parts);
        auto starts = ReadInParts(path_, *layout, parts, pool, collect);
        EXPECT_TRUE(starts.ok()) << starts.status().message();
        if (!starts.ok()) return restarts;
        const std::vector<Rec> got = collect.All(*starts, bom);
        EXPECT_EQ(got.size(), whole.records.size());
        for (size_t i = 0; i < std::min(got.size(), whole.records.size()); ++i) {
          EXPECT_EQ(got[i], whole.records[i]) << "record " << i;
          if (::testing::Test::HasFailure()) return restarts;
        }
        restarts += collect.restarts;
      }
    }
    return restarts;
  }

  std::string path_;
};

// A random field: plain, quoted with commas, quoted over several lines, with doubled quotes, or broken.
std::string Field(Rng& rng) {
  switch (Uniform(rng, 0, 9)) {
    case 0: return "";
    case 1: return "\"a, b\"";
    case 2: {
      std::string f = "\"line";
      for (size_t i = Uniform(rng, 1, 4); i > 0; --i) f += Chance(rng, 0.3) ? "\r\nmore" : "\nmore";
      return f + "\"";
    }
    case 3: return "\"say \"\"hi\"\"\"";
    case 4: return "\"broken";                       // never closed: costs its own line
    case 5: return "x\"y";                           // a quote inside an unquoted field is literal
    case 6: return "\"\xC3\xA9\n\n\"";               // blank lines inside quotes
    default: return std::to_string(Uniform(rng, 0, 1000000));
  }
}

std::string RandomFile(Rng& rng, size_t rows) {
  std::string text = Chance(rng, 0.3) ? "\xEF\xBB\xBF" : "";
  text += Chance(rng, 0.5) ? "a,b,c\n" : "\"a\",b,\"c\"\r\n";
  for (size_t r = 0; r < rows; ++r) {
    if (Chance(rng, 0.05)) text += Chance(rng, 0.5) ? "\n" : "\r\n";  // blank line
    const size_t cols = Chance(rng, 0.05) ? Uniform(rng, 1, 5) : 3;  // sometimes a wrong field count
    for (size_t c = 0; c < cols; ++c) text += (c ? "," : "") + Field(rng);
    if (r + 1 < rows || Chance(rng, 0.7)) text += Chance(rng, 0.3) ? "\r\n" : "\n";
  }
  if (Chance(rng, 0.1)) text += "9,\"open at the end";
  return text;
}

TEST_F(PartsTest, RandomFilesReadTheSameInAnyNumberOfParts) {
  Rng rng(4242);
  size_t restarts = 0;
  for (int iter = 0; iter < 60; ++iter) {
    SCOPED_TRACE("iteration " + std::to_string(iter));
    restarts += ExpectSameInParts(RandomFile(rng, Uniform(rng, 0, 300)), 17);
    if (HasFailure()) return;
  }
  EXPECT_GT(restarts, 0u) << "no cut fell inside a multi-line record: the check after reading was not exercised";
}

TEST_F(PartsTest, CutsInsideMultiLineFieldsAreReadAgainFromTheTrueStart) {
  // Every record is mostly one quoted field of 6 lines: nearly every cut falls inside one.
  std::string text = "id,note,n\n";
  for (int i = 0; i < 200; ++i) {
    text += std::to_string(i) + ",\"first\nsecond,with,commas\nthird \"\"quoted\"\"\n\nfifth\nsixth\"," +
            std::to_string(i * 7) + "\n";
  }
  EXPECT_GT(ExpectSameInParts(text, 40), 0u);
}

TEST_F(PartsTest, LinesLongerThanAPartLeaveSomePartsEmpty) {
  std::string text = "a,b\n";
  for (int i = 0; i < 5; ++i) text += std::to_string(i) + "," + std::string(3000, 'x') + "\n";
  ExpectSameInParts(text, 30);
  ExpectSameInParts("a,b\n", 4);          // no records at all
  ExpectSameInParts("a,b\n1,2", 4);       // one record, no final line break
  ExpectSameInParts("a,b\n\n\n\n1,2\n\n", 6);  // blank lines around it
}

TEST(PartsForTest, OnePartForSmallFilesAndAboutSixteenMiBEachOtherwise) {
  EXPECT_EQ(PartsFor(0, 2), 1u);
  EXPECT_EQ(PartsFor(31u << 20, 2), 1u);
  EXPECT_EQ(PartsFor(32u << 20, 2), 2u);
  EXPECT_EQ(PartsFor(uint64_t{235} << 20, 2), 14u);
  EXPECT_EQ(PartsFor(uint64_t{100} << 30, 2), 32u);
}

}  // namespace
}  // namespace ledgerlake::csv
