// ByteSource: plain files, gzip files (single and multi-member, written here with zlib), and the errors a
// truncated or corrupt gzip file must raise (Corruption naming the file, never a silent end).
#include "csv/byte_source.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <random>

#include "csv/record_reader.h"
#include "csv_test_util.h"

namespace ledgerlake::csv {
namespace {

// One gzip member holding `data`.
std::string GzipMember(const std::string& data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class ByteSourceTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string path = ::testing::TempDir() + "ll_csv_" + std::to_string(::getpid()) + "_" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.close();
    paths_.push_back(path);
    return path;
  }
  void TearDown() override {
    for (const std::string& p : paths_) ::unlink(p.c_str());
  }
  // Reads the whole source in chunks of `chunk` bytes; returns the first error.
  static Status ReadWhole(ByteSource& src, std::string* out, size_t chunk = 1 << 16) {
    std::string buf(chunk, '\0');
    out->clear();
    for (;;) {
      size_t got = 0;
      Status s = src.Read(buf.data(), buf.size(), &got);
      if (!s.ok()) return s;
      if (got == 0) return Status::OK();
      out->append(buf.data(), got);
    }
  }
  std::vector<std::string> paths_;
};

std::string SampleCsv(size_t rows) {
  std::string s = "id,name\n";
  std::mt19937 rng(7);
  for (size_t i = 0; i < rows; ++i) s += std::to_string(i) + ",name " + std::to_string(rng()) + "\n";
  return s;
}

TEST_F(ByteSourceTest, PlainFile) {
  const std::string data = "id,name\n1,\"a\"\n";
  std::string path = Write("plain.csv", data);
  auto src = ByteSource::Open(path);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_FALSE((*src)->compressed());
  EXPECT_EQ((*src)->file_bytes(), data.size());
  std::string got;
  ASSERT_TRUE(ReadWhole(**src, &got, 3).ok());
  EXPECT_EQ(got, data);
  EXPECT_EQ((*src)->file_bytes_read(), data.size());
}

TEST_F(ByteSourceTest, TinyPlainFiles) {
  for (const std::string& data : {std::string(), std::string("\x1f"), std::string("\x1f" "a"), std::string("a")}) {
    auto src = ByteSource::Open(Write("tiny.csv", data));
    ASSERT_TRUE(src.ok());
    EXPECT_FALSE((*src)->compressed());
    std::string got;
    ASSERT_TRUE(ReadWhole(**src, &got, 1).ok());
    EXPECT_EQ(got, data);
  }
}

TEST_F(ByteSourceTest, MissingFileNamesThePath) {
  auto src = ByteSource::Open("/nonexistent/dir/extract.csv");
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), Status::Code::kIOError);
  EXPECT_NE(src.status().message().find("/nonexistent/dir/extract.csv"), std::string::npos);
  EXPECT_FALSE(ByteSource::Open(::testing::TempDir()).ok());  // a directory
}

TEST_F(ByteSourceTest, GzipSingleMember) {
  const std::string data = SampleCsv(1000);
  const std::string gz = GzipMember(data);
  auto src = ByteSource::Open(Write("single.csv.gz", gz));
  ASSERT_TRUE(src.ok());
  EXPECT_TRUE((*src)->compressed());
  EXPECT_EQ((*src)->file_bytes(), gz.size());
  std::string got;
  ASSERT_TRUE(ReadWhole(**src, &got, 1000).ok());
  EXPECT_EQ(got, data);
  EXPECT_EQ((*src)->file_bytes_read(), gz.size());
  // One byte at a time too.
  auto again = ByteSource::Open(paths_.back());
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(ReadWhole(**again, &got, 1).ok());
  EXPECT_EQ(got, data);
}

TEST_F(ByteSourceTest, GzipMultiMember) {
  const std::string a = "id,name\n1,a\n";
  const std::string b = "2,\"b\nc\"\n";
  const std::string c = "3,c";
  const std::string gz = GzipMember(a) + GzipMember(b, 0) + GzipMember("") + GzipMember(c, 9);
  auto src = ByteSource::Open(Write("multi.csv.gz", gz));
  ASSERT_TRUE(src.ok());
  std::string got;
  ASSERT_TRUE(ReadWhole(**src, &got, 5).ok());
  EXPECT_EQ(got, a + b + c);

  // Through the record reader, as a file.
  auto src2 = ByteSource::Open(paths_.back());
  ASSERT_TRUE(src2.ok());
  testing::ReadOut out = testing::ReadAll(std::move(*src2));
  ASSERT_TRUE(out.header_status.ok());
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[1].fields, (std::vector<testing::Value>{"2", "b\nc"}));
  EXPECT_EQ(out.records[2].line, 5u);  // header 1, then lines 2, 3-4, 5
  EXPECT_EQ(out.records[2].fields, (std::vector<testing::Value>{"3", "c"}));
}

TEST_F(ByteSourceTest, GzipLargerThanTheInputBuffer) {
  // Several MiB of poorly compressible text: the inflater refills its input many times.
  std::string data = "id,v\n";
  std::mt19937_64 rng(11);
  while (data.size() < (5u << 20)) data += std::to_string(rng()) + "," + std::to_string(rng()) + "\n";
  const std::string gz = GzipMember(data.substr(0, data.size() / 2)) + GzipMember(data.substr(data.size() / 2));
  ASSERT_GT(gz.size(), 2u << 20);
  auto src = ByteSource::Open(Write("large.csv.gz", gz));
  ASSERT_TRUE(src.ok());
  std::string got;
  ASSERT_TRUE(ReadWhole(**src, &got, 1 << 20).ok());
  EXPECT_TRUE(got == data);
}

void ExpectCorruption(const Status& s, const std::string& path) {
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
}

TEST_F(ByteSourceTest, TruncatedGzipIsCorruption) {
  const std::string data = SampleCsv(5000);
  const std::string gz = GzipMember(data) + GzipMember(data);
  const size_t one = GzipMember(data).size();
  // Cut inside the trailer, inside the deflate data, right after the header, inside the second member.
  for (size_t keep : {gz.size() - 1, gz.size() - 4, gz.size() - 8, one / 2, size_t{10}, size_t{2}, one + 5,
                      gz.size() - 20}) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    std::string path = Write("trunc.csv.gz", gz.substr(0, keep));
    auto src = ByteSource::Open(path);
    ASSERT_TRUE(src.ok());
    std::string got;
    ExpectCorruption(ReadWhole(**src, &got), path);
    // The error is sticky.
    size_t n = 0;
    char c;
    EXPECT_FALSE((*src)->Read(&c, 1, &n).ok());

    // And the record reader surfaces it, from ReadHeader or NextBatch.
    auto src2 = ByteSource::Open(path);
    ASSERT_TRUE(src2.ok());
    testing::ReadOut out = testing::ReadAll(std::move(*src2));
    Status s = out.header_status.ok() ? out.status : out.header_status;
    ExpectCorruption(s, path);
  }
}

TEST_F(ByteSourceTest, CorruptGzipIsCorruption) {
  const std::string data = SampleCsv(2000);
  const std::string gz = GzipMember(data);
  std::string bad_crc = gz;
  bad_crc[gz.size() - 6] = static_cast<char>(bad_crc[gz.size() - 6] ^ 0x55);  // CRC32 in the trailer
  std::string bad_len = gz;
  bad_len[gz.size() - 2] = static_cast<char>(bad_len[gz.size() - 2] ^ 0x01);  // ISIZE in the trailer
  std::string bad_data = gz;
  bad_data[gz.size() / 2] = static_cast<char>(bad_data[gz.size() / 2] ^ 0xFF);
  std::string bad_method = gz;
  bad_method[2] = 7;  // compression method other than deflate
  const std::string garbage_after = gz + "not gzip";
  const std::string zeros_after = gz + std::string(16, '\0');
  int i = 0;
  for (const std::string& bytes : {bad_crc, bad_len, bad_data, bad_method, garbage_after, zeros_after}) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::string path = Write("corrupt" + std::to_string(i++) + ".csv.gz", bytes);
    auto src = ByteSource::Open(path);
    ASSERT_TRUE(src.ok());
    std::string got;
    ExpectCorruption(ReadWhole(**src, &got), path);
  }
}

TEST_F(ByteSourceTest, FromString) {
  auto src = ByteSource::FromString("abc");
  EXPECT_FALSE(src->compressed());
  EXPECT_EQ(src->file_bytes(), 3u);
  std::string got;
  ASSERT_TRUE(ReadWhole(*src, &got, 2).ok());
  EXPECT_EQ(got, "abc");
}

TEST_F(ByteSourceTest, EmptyFileHasNoHeader) {
  auto src = ByteSource::Open(Write("empty.csv", ""));
  ASSERT_TRUE(src.ok());
  RecordReader reader(std::move(*src));
  EXPECT_EQ(reader.ReadHeader().code(), Status::Code::kInvalidArgument);
  auto gz = ByteSource::Open(Write("empty.csv.gz", GzipMember("")));
  ASSERT_TRUE(gz.ok());
  RecordReader reader2(std::move(*gz));
  EXPECT_EQ(reader2.ReadHeader().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace ledgerlake::csv
