// Spill: what a partitioned run's first pass routes to later passes reads back as the same records, with a line
// map that names each record's line in the landed file (multi-line records and quoted headers included), and
// disappears bucket by bucket and with the spill.
#include "engine/spill.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "csv/record_reader.h"

namespace ledgerlake::engine {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll_spill_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SpillTest, RecordsReadBackWithTheirLandedLines) {
  auto spill = Spill::Create(dir_ + "/s", 3);
  ASSERT_TRUE(spill.ok());
  Spill& s = **spill;
  // File 0: a header with a name that needs quoting; records of lines 2, 3-4 (a quoted line break) and 9.
  s.BeginFile(0, {"account_id", "company, name", "joining_date"});
  ASSERT_TRUE(s.Add(2, "1,Acme,2024-01-01", 2).ok());
  ASSERT_TRUE(s.Add(2, "2,\"Two\nLines\",2024-01-02", 3).ok());
  ASSERT_TRUE(s.Add(1, "3,Other,2024-01-03", 5).ok());
  ASSERT_TRUE(s.Add(2, "4,Last,2024-01-04", 9).ok());
  ASSERT_TRUE(s.EndFile().ok());
  s.BeginFile(1, {"invoice_id", "account_id", "date_issued"});  // file 1 routes nothing to bucket 2
  ASSERT_TRUE(s.Add(1, "10,3,2024-02-01", 2).ok());
  ASSERT_TRUE(s.EndFile().ok());

  EXPECT_TRUE(s.Has(0, 2));
  EXPECT_TRUE(s.Has(0, 1));
  EXPECT_FALSE(s.Has(1, 2));
  EXPECT_FALSE(s.Has(0, 0));  // bucket 0 stays with the first pass
  EXPECT_EQ(ReadText(s.CsvPath(0, 2)),
            "account_id,\"company, name\",joining_date\n1,Acme,2024-01-01\n2,\"Two\nLines\",2024-01-02\n"
            "4,Last,2024-01-04\n");
  // The spilled file parses to the same fields on its own.
  auto source = csv::ByteSource::Open(s.CsvPath(0, 2));
  ASSERT_TRUE(source.ok());
  csv::RecordReader reader(std::move(*source));
  ASSERT_TRUE(reader.ReadHeader().ok());
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"account_id", "company, name", "joining_date"}));
  csv::RecordBatch batch;
  ASSERT_TRUE(reader.NextBatch(batch).ok());
  ASSERT_EQ(batch.size(), 3u);
  std::string scratch;
  EXPECT_EQ(batch.Value(batch.field(1, 1), scratch), "Two\nLines");

  auto map = ReadLineMap(s.LineMapPath(0, 2));
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->size(), 3u);
  EXPECT_EQ((*map)[0].spill_line, 2u);
  EXPECT_EQ((*map)[0].landed_line, 2u);
  EXPECT_EQ((*map)[1].spill_line, 3u);
  EXPECT_EQ((*map)[1].landed_line, 3u);
  EXPECT_EQ((*map)[2].spill_line, 5u);  // after the two-line record
  EXPECT_EQ((*map)[2].landed_line, 9u);
  // A line inside a spilled record maps to the same offset in the landed record.
  EXPECT_EQ(LandedLine(*map, 2), 2u);
  EXPECT_EQ(LandedLine(*map, 4), 4u);
  EXPECT_EQ(LandedLine(*map, 5), 9u);

  // The sequential reader agrees, and says so when the map ends early.
  auto seq = LineMapReader::Open(s.LineMapPath(0, 2));
  ASSERT_TRUE(seq.ok());
  SpilledLine e{};
  for (const SpilledLine& want : *map) {
    ASSERT_TRUE((*seq)->Next(&e).ok());
    EXPECT_EQ(e.landed_line, want.landed_line);
  }
  EXPECT_EQ((*seq)->Next(&e).code(), Status::Code::kCorruption);

  // Buckets go as their pass ends; the rest goes with the spill.
  s.RemoveBucket(2);
  EXPECT_FALSE(s.Has(0, 2));
  EXPECT_FALSE(fs::exists(s.CsvPath(0, 2)));
  EXPECT_TRUE(fs::exists(s.CsvPath(0, 1)));
  spill->reset();
  EXPECT_FALSE(fs::exists(dir_ + "/s"));
}

TEST_F(SpillTest, LargeSpillsAreFlushedWhole) {
  auto spill = Spill::Create(dir_ + "/big", 2);
  ASSERT_TRUE(spill.ok());
  (*spill)->BeginFile(0, {"invoice_id", "item_id", "quantity"});
  std::string expected = "invoice_id,item_id,quantity\n";
  for (int i = 0; i < 100000; ++i) {  // several write buffers
    const std::string rec = std::to_string(i) + ",7," + std::to_string(i % 9);
    ASSERT_TRUE((*spill)->Add(1, rec, static_cast<uint64_t>(2 * i + 2)).ok());
    expected += rec + "\n";
  }
  ASSERT_TRUE((*spill)->EndFile().ok());
  EXPECT_EQ(ReadText((*spill)->CsvPath(0, 1)), expected);
  auto map = ReadLineMap((*spill)->LineMapPath(0, 1));
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->size(), 100000u);
  EXPECT_EQ(map->back().spill_line, 100001u);
  EXPECT_EQ(map->back().landed_line, 200000u);
}

TEST_F(SpillTest, AnUnwritableDirectoryIsAnError) {
  const std::string file = dir_ + "/not-a-dir";
  fs::create_directories(dir_);
  std::ofstream(file) << "x";
  EXPECT_FALSE(Spill::Create(file + "/spill", 2).ok());
}

}  // namespace
}  // namespace ledgerlake::engine
