// The resynchronisation rule of record_reader.h: a broken opening quote costs exactly its own physical line, and
// every following row comes out intact, with its right line number. Expected values from the contract.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "csv/record_reader.h"
#include "csv_test_util.h"

namespace ledgerlake::csv {
namespace {

using testing::ReadAll;
using testing::ReadOut;
using testing::R;
using testing::Rec;
using testing::Value;

Rec Broken(uint64_t line, uint64_t offset, uint32_t consumed, std::string raw) {
  return R(line, offset, consumed, std::move(raw), {}, RecordError::kUnterminatedQuote);
}

void ExpectRead(const std::string& in, const std::vector<Rec>& expected, uint64_t blank_lines,
                size_t max_record_bytes = ReaderOptions{}.max_record_bytes) {
  for (size_t buffer : {size_t{1} << 20, size_t{1}, size_t{3}, size_t{8}}) {
    for (size_t batch : {4096, 1, 2}) {
      SCOPED_TRACE("buffer " + std::to_string(buffer) + " batch " + std::to_string(batch));
      ReaderOptions o;
      o.buffer_bytes = buffer;
      o.batch_records = batch;
      o.max_record_bytes = max_record_bytes;
      ReadOut out = ReadAll(in, o);
      ASSERT_TRUE(out.header_status.ok()) << out.header_status.ToString();
      ASSERT_TRUE(out.status.ok()) << out.status.ToString();
      ASSERT_EQ(out.records.size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(out.records[i], expected[i]) << "record " << i;
      EXPECT_EQ(out.blank_lines, blank_lines);
      testing::ExpectTiling(in, out);
    }
  }
}

TEST(ResyncTest, UnterminatedQuoteAtEndOfStream) {
  ExpectRead("id,name\n1,ok\n2,\"broken\n3,fine\n",
             {R(2, 8, 5, "1,ok", {"1", "ok"}), Broken(3, 13, 10, "2,\"broken"), R(4, 23, 7, "3,fine", {"3", "fine"})},
             0);
  // On the last line, without a line break.
  ExpectRead("a,b\n1,\"x", {Broken(2, 4, 4, "1,\"x")}, 0);
  // Only a quote.
  ExpectRead("a\n\"", {Broken(2, 2, 1, "\"")}, 0);
}

TEST(ResyncTest, StrayQuoteSpanningLinesWithWrongFieldCount) {
  // The quote opened on line 2 closes at "Oslo" on line 4, giving 2 fields instead of 3: line 2 alone is broken.
  ExpectRead(
      "id,name,city\n"
      "1,\"Acme,Paris\n"
      "2,Beta,Rome\n"
      "3,Gamma,\"Oslo\"\n"
      "4,Delta,Bern\n",
      {Broken(2, 13, 14, "1,\"Acme,Paris"), R(3, 27, 12, "2,Beta,Rome", {"2", "Beta", "Rome"}),
       R(4, 39, 15, "3,Gamma,\"Oslo\"", {"3", "Gamma", "Oslo"}), R(5, 54, 13, "4,Delta,Bern", {"4", "Delta", "Bern"})},
      0);
  // The same with CRLF: the broken line's raw text has no CR.
  ExpectRead(
      "id,name,city\r\n"
      "1,\"Acme,Paris\r\n"
      "2,Beta,Rome\r\n"
      "3,Gamma,\"Oslo\"\r\n"
      "4,Delta,Bern\r\n",
      {Broken(2, 14, 15, "1,\"Acme,Paris"), R(3, 29, 13, "2,Beta,Rome", {"2", "Beta", "Rome"}),
       R(4, 42, 16, "3,Gamma,\"Oslo\"", {"3", "Gamma", "Oslo"}), R(5, 58, 14, "4,Delta,Bern", {"4", "Delta", "Bern"})},
      0);
}

TEST(ResyncTest, MultiLineRecordWithTheRightFieldCountIsKept) {
  ExpectRead("a,b,c\n1,\"x\n2,y\",z\n3,4,5\n",
             {R(2, 6, 12, "1,\"x\n2,y\",z", {"1", "x\n2,y", "z"}), R(4, 18, 6, "3,4,5", {"3", "4", "5"})}, 0);
}

TEST(ResyncTest, TwoBrokenLinesInARow) {
  // Line 2's quote pairs with line 3's, giving 2 fields of 3; line 3's quote then never closes.
  ExpectRead("a,b,c\n1,\"x,q\n2,\"y\n3,z,q\n",
             {Broken(2, 6, 7, "1,\"x,q"), Broken(3, 13, 5, "2,\"y"), R(4, 18, 6, "3,z,q", {"3", "z", "q"})}, 0);
}

TEST(ResyncTest, LineNumbersAfterBrokenBlankAndMultiLineRecords) {
  ExpectRead("a,b,c\n1,\"bad,x\n\n2,\"ok\nfine\",y\n3,x,y\n",
             {Broken(2, 6, 9, "1,\"bad,x"), R(4, 16, 14, "2,\"ok\nfine\",y", {"2", "ok\nfine", "y"}),
              R(6, 30, 6, "3,x,y", {"3", "x", "y"})},
             1);
}

TEST(ResyncTest, QuotedFieldLongerThanMaxRecordBytes) {
  std::string in = "a,b\n1,\"open\n";
  for (int i = 0; i < 10; ++i) in += "2,x\n";
  in += "3,close\"\n";
  // Within the limit it is one 57-byte record of 2 fields, as RFC 4180 reads it.
  std::string value = "open\n";
  for (int i = 0; i < 10; ++i) value += "2,x\n";
  value += "3,close";
  ExpectRead(in, {R(2, 4, 57, in.substr(4, 56), {"1", value})}, 0);
  // Past max_record_bytes the opening quote is taken as broken.
  std::vector<Rec> expected = {Broken(2, 4, 8, "1,\"open")};
  for (int i = 0; i < 10; ++i) {
    expected.push_back(R(3 + static_cast<uint64_t>(i), 12 + 4 * static_cast<uint64_t>(i), 4, "2,x", {"2", "x"}));
  }
  expected.push_back(R(13, 52, 9, "3,close\"", {"3", "close\""}));
  ExpectRead(in, expected, 0, 32);
}

TEST(ResyncTest, PhysicalLineLongerThanMaxRecordBytesFailsTheFile) {
  const std::string in = "a,b\n1,2\n3," + std::string(20, 'x') + "\n5,6\n";
  for (size_t batch : {1, 4096}) {
    ReaderOptions o;
    o.max_record_bytes = 16;
    o.batch_records = batch;
    ReadOut out = ReadAll(in, o);
    ASSERT_TRUE(out.header_status.ok());
    ASSERT_EQ(out.records.size(), 1u);  // the rows before it are delivered first
    EXPECT_EQ(out.records[0].fields, (std::vector<Value>{"1", "2"}));
    EXPECT_EQ(out.status.code(), Status::Code::kCorruption);
    EXPECT_NE(out.status.message().find("line 3"), std::string::npos) << out.status.message();
  }
  ReaderOptions o;
  o.max_record_bytes = 4;
  EXPECT_EQ(ReadAll("abcdef\n1\n", o).header_status.code(), Status::Code::kCorruption);
}

// Hands out a string's bytes and records how many it has handed out.
class CountingSource : public ByteSource {
 public:
  CountingSource(std::string data, size_t* handed_out) : data_(std::move(data)), handed_out_(handed_out) {}
  Status Read(char* dst, size_t n, size_t* got) override {
    size_t k = std::min(n, data_.size() - *handed_out_);
    std::memcpy(dst, data_.data() + *handed_out_, k);
    *handed_out_ += k;
    *got = k;
    return Status::OK();
  }
  uint64_t file_bytes() const override { return data_.size(); }
  uint64_t file_bytes_read() const override { return *handed_out_; }
  bool compressed() const override { return false; }

 private:
  std::string data_;
  size_t* handed_out_;
};

TEST(ResyncTest, BrokenQuoteIsDecidedWithinMaxRecordBytesOfInput) {
  // A stray quote near the start of an 8 MB file that never closes: the reader must not buffer the whole file
  // to find that out, only about max_record_bytes of it.
  std::string in = "a,b\n1,\"x\n";
  const size_t rows = 2000000;
  for (size_t i = 0; i < rows; ++i) in += "2,y\n";
  size_t handed_out = 0;
  ReaderOptions o;
  o.buffer_bytes = 4096;
  o.batch_records = 1;
  o.max_record_bytes = 64 << 10;
  RecordReader reader(std::make_unique<CountingSource>(in, &handed_out), o);
  ASSERT_TRUE(reader.ReadHeader().ok());
  RecordBatch batch;
  ASSERT_TRUE(reader.NextBatch(batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.record(0).error, RecordError::kUnterminatedQuote);
  EXPECT_EQ(batch.raw(0), "1,\"x");
  EXPECT_LE(handed_out, 4 * o.max_record_bytes);
  size_t good = 0;
  uint64_t last_line = 0;
  for (;;) {
    ASSERT_TRUE(reader.NextBatch(batch).ok());
    if (batch.size() == 0) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      good += batch.record(i).error == RecordError::kNone && batch.record(i).field_count == 2;
      last_line = batch.record(i).line;
    }
  }
  EXPECT_EQ(good, rows);
  EXPECT_EQ(last_line, 2 + rows);
}

}  // namespace
}  // namespace ledgerlake::csv
