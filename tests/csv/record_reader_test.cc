// Dialect cases of docs/data-contract.md, one by one, with expected values written from the contract. Each input is
// also read with tiny buffers and batches (every record straddling a buffer end) and must give the same result.
#include "csv/record_reader.h"

#include <gtest/gtest.h>

#include "csv_test_util.h"

namespace ledgerlake::csv {
namespace {

using testing::ReadAll;
using testing::ReadOut;
using testing::R;
using testing::Rec;
using testing::Value;

const Value kNull = std::nullopt;


// Reads `input` with default options and with a range of tiny buffers and batches; all must give `expected`.
ReadOut ExpectRecords(const std::string& input, const std::vector<std::string>& header, const std::vector<Rec>& expected,
                      uint64_t blank_lines) {
  ReadOut first;
  std::vector<ReaderOptions> variants;
  variants.push_back(ReaderOptions{});
  for (size_t buffer : {1, 2, 3, 4, 5, 7, 16}) {
    for (size_t batch : {1, 2, 3}) {
      ReaderOptions o;
      o.buffer_bytes = buffer;
      o.batch_records = batch;
      variants.push_back(o);
    }
  }
  for (size_t v = 0; v < variants.size(); ++v) {
    SCOPED_TRACE("buffer_bytes " + std::to_string(variants[v].buffer_bytes) + " batch_records " +
                 std::to_string(variants[v].batch_records));
    ReadOut out = ReadAll(input, variants[v]);
    EXPECT_TRUE(out.header_status.ok()) << out.header_status.ToString();
    EXPECT_TRUE(out.status.ok()) << out.status.ToString();
    EXPECT_EQ(out.header, header);
    EXPECT_EQ(out.records.size(), expected.size());
    for (size_t i = 0; i < std::min(out.records.size(), expected.size()); ++i) {
      EXPECT_EQ(out.records[i], expected[i]) << "record " << i;
    }
    EXPECT_EQ(out.blank_lines, blank_lines);
    testing::ExpectTiling(input, out);
    if (v == 0) first = out;
  }
  return first;
}

TEST(RecordReaderTest, SimpleRecords) {
  ReadOut out = ExpectRecords("id,name\n1,alice\n2,bob\n", {"id", "name"},
                              {R(2, 8, 8, "1,alice", {"1", "alice"}), R(3, 16, 6, "2,bob", {"2", "bob"})}, 0);
  EXPECT_EQ(out.records[0].kinds, (std::vector<FieldKind>{FieldKind::kPlain, FieldKind::kPlain}));
  EXPECT_EQ(out.bytes_consumed, 22u);
}

TEST(RecordReaderTest, QuotedCommas) {
  ReadOut out = ExpectRecords("id,name\n1,\"Smith, John\"\n2,\"a,b,,c\"\n", {"id", "name"},
                              {R(2, 8, 16, "1,\"Smith, John\"", {"1", "Smith, John"}),
                               R(3, 24, 11, "2,\"a,b,,c\"", {"2", "a,b,,c"})},
                              0);
  EXPECT_EQ(out.records[0].kinds[1], FieldKind::kQuoted);
}

TEST(RecordReaderTest, DoubledQuotes) {
  ReadOut out = ExpectRecords("id,say\n1,\"say \"\"hi\"\"\"\n2,\"\"\"\"\n", {"id", "say"},
                              {R(2, 7, 15, "1,\"say \"\"hi\"\"\"", {"1", "say \"hi\""}),
                               R(3, 22, 7, "2,\"\"\"\"", {"2", "\""})},
                              0);
  EXPECT_EQ(out.records[0].kinds[1], FieldKind::kEscaped);
  EXPECT_EQ(out.records[1].kinds[1], FieldKind::kEscaped);
}

TEST(RecordReaderTest, QuotedLineBreaksAndLineNumbersAfterThem) {
  const std::string in =
      "id,note\n"                       // line 1, offset 0
      "1,\"first\nsecond\nthird\"\n"    // lines 2-4, offset 8, 23 bytes
      "2,\"crlf\r\ninside\"\r\n"        // lines 5-6, offset 31, 18 bytes
      "3,\"lone\rcr\"\n"                // line 7, offset 49, 12 bytes (a lone CR is not a line break)
      "4,plain\n";                      // line 8, offset 61
  ExpectRecords(in, {"id", "note"},
                {R(2, 8, 23, "1,\"first\nsecond\nthird\"", {"1", "first\nsecond\nthird"}),
                 R(5, 31, 18, "2,\"crlf\r\ninside\"", {"2", "crlf\r\ninside"}),
                 R(7, 49, 12, "3,\"lone\rcr\"", {"3", "lone\rcr"}), R(8, 61, 8, "4,plain", {"4", "plain"})},
                0);
}

TEST(RecordReaderTest, CrlfLineEndings) {
  ExpectRecords("id,name\r\n1,a\r\n2,\"b\"\r\n3,\r\n", {"id", "name"},
                {R(2, 9, 5, "1,a", {"1", "a"}), R(3, 14, 7, "2,\"b\"", {"2", "b"}), R(4, 21, 4, "3,", {"3", kNull})},
                0);
}

TEST(RecordReaderTest, LoneCrIsData) {
  // Only LF and CRLF end lines: a CR elsewhere in an unquoted field is a character of it.
  ExpectRecords("id,name\n1,a\rb\n2,c\r", {"id", "name"},
                {R(2, 8, 6, "1,a\rb", {"1", "a\rb"}), R(3, 14, 4, "2,c\r", {"2", "c\r"})}, 0);
}

TEST(RecordReaderTest, ByteOrderMarkIsSkipped) {
  ReadOut out = ExpectRecords("\xEF\xBB\xBFid,name\n1,a\n", {"id", "name"}, {R(2, 8, 4, "1,a", {"1", "a"})}, 0);
  EXPECT_EQ(out.bytes_consumed, 15u);
  // Only at the start: elsewhere it is data.
  ExpectRecords("id\n\xEF\xBB\xBFx\n", {"id"}, {R(2, 3, 5, "\xEF\xBB\xBFx", {"\xEF\xBB\xBFx"})}, 0);
}

TEST(RecordReaderTest, MissingFinalNewline) {
  ExpectRecords("id,name\n1,a\n2,b", {"id", "name"}, {R(2, 8, 4, "1,a", {"1", "a"}), R(3, 12, 3, "2,b", {"2", "b"})},
                0);
  ExpectRecords("id,name\r\n1,\"a\"", {"id", "name"}, {R(2, 9, 5, "1,\"a\"", {"1", "a"})}, 0);
  ExpectRecords("id,name\n1,", {"id", "name"}, {R(2, 8, 2, "1,", {"1", kNull})}, 0);
  ExpectRecords("id", {"id"}, {}, 0);
}

TEST(RecordReaderTest, BlankLinesAreSkippedAndCounted) {
  const std::string in =
      "\n"          // line 1 blank
      "\r\n"        // line 2 blank
      "id,name\n"   // line 3 header, offset 3
      "\n"          // line 4 blank
      "1,a\r\n"     // line 5, offset 12
      "\r\n"        // line 6 blank
      "\n"          // line 7 blank
      "2,b\n"       // line 8, offset 20
      "\n";         // line 9 blank
  ReadOut out = ExpectRecords(in, {"id", "name"}, {R(5, 12, 5, "1,a", {"1", "a"}), R(8, 20, 4, "2,b", {"2", "b"})}, 6);
  EXPECT_EQ(out.header_blank_lines, 2u);
}

TEST(RecordReaderTest, WhitespaceLineIsARecordNotABlankLine) {
  ExpectRecords("id\n \n", {"id"}, {R(2, 3, 2, " ", {" "})}, 0);
}

TEST(RecordReaderTest, EmptyQuotedIsEmptyStringEmptyUnquotedIsNull) {
  ReadOut out = ExpectRecords("a,b,c\n,\"\",x\n\"\",,\n", {"a", "b", "c"},
                              {R(2, 6, 6, ",\"\",x", {kNull, "", "x"}), R(3, 12, 5, "\"\",,", {"", kNull, kNull})}, 0);
  EXPECT_EQ(out.records[0].kinds[1], FieldKind::kQuoted);
}

TEST(RecordReaderTest, QuoteInsideUnquotedFieldIsLiteral) {
  ReadOut out = ExpectRecords("a,b\n5'10\",x\"y\"\n", {"a", "b"}, {R(2, 4, 11, "5'10\",x\"y\"", {"5'10\"", "x\"y\""})},
                              0);
  EXPECT_EQ(out.records[0].kinds, (std::vector<FieldKind>{FieldKind::kPlain, FieldKind::kPlain}));
  // A space before the quote makes the field unquoted, so its comma splits it.
  ExpectRecords("a,b\n \"x,y\"\n", {"a", "b"}, {R(2, 4, 7, " \"x,y\"", {" \"x", "y\""})}, 0);
}

TEST(RecordReaderTest, TextAfterClosingQuoteIsLiteral) {
  ReadOut out = ExpectRecords("a,b\n\"ab\"cd,\"x\"y\"z\"\n\"q\"\r\r\n", {"a", "b"},
                              {R(2, 4, 15, "\"ab\"cd,\"x\"y\"z\"", {"abcd", "xy\"z\""}),
                               R(3, 19, 6, "\"q\"\r", {"q\r"})},
                              0);
  EXPECT_EQ(out.records[0].kinds, (std::vector<FieldKind>{FieldKind::kEscaped, FieldKind::kEscaped}));
}

TEST(RecordReaderTest, FieldCountIsTheCallersBusinessForSingleLineRecords) {
  ExpectRecords("a,b\n1,2,3\n4\n", {"a", "b"}, {R(2, 4, 6, "1,2,3", {"1", "2", "3"}), R(3, 10, 2, "4", {"4"})}, 0);
}

TEST(RecordReaderTest, HeaderIsUnescapedAndMayFollowBlankLines) {
  ExpectRecords("\n\"id\",\"na\"\"me\",\"a,b\"\n1,2,3\n", {"id", "na\"me", "a,b"}, {R(3, 21, 6, "1,2,3", {"1", "2", "3"})},
                1);
  ExpectRecords("\"multi\nline\",x\n1,2\n", {"multi\nline", "x"}, {R(3, 15, 4, "1,2", {"1", "2"})}, 0);
  ExpectRecords("pr\xC3\xA9nom\n", {"pr\xC3\xA9nom"}, {}, 0);
}

TEST(RecordReaderTest, InvalidUtf8RecordsAreFlaggedAndStillSplit) {
  const std::string in =
      "a,b\n"
      "1,\xFF\n"                   // line 2: 0xFF never appears in UTF-8
      "2,\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\n"  // line 3: e-acute, euro sign, emoji: valid
      "3,\xC0\xAF\n"               // line 4: overlong '/'
      "4,\xED\xA0\x80\n"           // line 5: surrogate U+D800
      "5,\xF4\x90\x80\x80\n"       // line 6: above U+10FFFF
      "6,\xE2\x82\n"               // line 7: truncated sequence
      "7,\"\xE9t\xE9\"\n"          // line 8: Latin-1, quoted
      "8,ok\n";
  ReadOut out = ExpectRecords(
      in, {"a", "b"},
      {R(2, 4, 4, "1,\xFF", {"1", "\xFF"}, RecordError::kInvalidUtf8),
       R(3, 8, 12, "2,\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", {"2", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"}),
       R(4, 20, 5, "3,\xC0\xAF", {"3", "\xC0\xAF"}, RecordError::kInvalidUtf8),
       R(5, 25, 6, "4,\xED\xA0\x80", {"4", "\xED\xA0\x80"}, RecordError::kInvalidUtf8),
       R(6, 31, 7, "5,\xF4\x90\x80\x80", {"5", "\xF4\x90\x80\x80"}, RecordError::kInvalidUtf8),
       R(7, 38, 5, "6,\xE2\x82", {"6", "\xE2\x82"}, RecordError::kInvalidUtf8),
       R(8, 43, 8, "7,\"\xE9t\xE9\"", {"7", "\xE9t\xE9"}, RecordError::kInvalidUtf8), R(9, 51, 5, "8,ok", {"8", "ok"})},
      0);
}

TEST(RecordReaderTest, ManyRecordsAcrossBatchesAndBuffers) {
  // 1000 records of varying shape; expected values built alongside the text.
  std::string in = "id,text\n";
  std::vector<Rec> expected;
  uint64_t line = 2;
  for (int i = 0; i < 1000; ++i) {
    std::string id = std::to_string(i);
    Rec r;
    r.line = line;
    r.offset = in.size();
    std::string raw;
    switch (i % 4) {
      case 0:
        raw = id + ",plain" + id;
        r.fields = {id, "plain" + id};
        break;
      case 1:
        raw = id + ",\"quoted, " + id + "\"";
        r.fields = {id, "quoted, " + id};
        break;
      case 2:
        raw = id + ",\"two\nlines \"\"" + id + "\"\"\"";
        r.fields = {id, "two\nlines \"" + id + "\""};
        break;
      default:
        raw = id + ",";
        r.fields = {id, kNull};
        break;
    }
    std::string term = i % 3 == 0 ? "\r\n" : "\n";
    r.raw = raw;
    r.consumed = static_cast<uint32_t>(raw.size() + term.size());
    line += 1 + (i % 4 == 2 ? 1 : 0);
    in += raw + term;
    expected.push_back(r);
  }
  ReadOut out = ExpectRecords(in, {"id", "text"}, expected, 0);
  EXPECT_GT(out.batches, 0u);
  ReaderOptions small;
  small.batch_records = 7;
  EXPECT_EQ(ReadAll(in, small).batches, (1000 + 6) / 7);
}

TEST(RecordReaderTest, RecordLargerThanTheBufferGrowsIt) {
  std::string big(100000, 'x');
  std::string quoted;
  for (int i = 0; i < 1000; ++i) quoted += "line " + std::to_string(i) + ", \"\"q\"\"\n";
  std::string expected_value;
  for (int i = 0; i < 1000; ++i) expected_value += "line " + std::to_string(i) + ", \"q\"\n";
  const std::string in = "a,b\n" + big + ",1\n2,\"" + quoted + "\"\n3,x\n";
  ReaderOptions o;
  o.buffer_bytes = 64;
  ReadOut out = ReadAll(in, o);
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.records[0].fields, (std::vector<Value>{big, "1"}));
  EXPECT_EQ(out.records[1].fields, (std::vector<Value>{"2", expected_value}));
  EXPECT_EQ(out.records[1].line, 3u);
  EXPECT_EQ(out.records[2].line, 3u + 1001u);
  EXPECT_EQ(out.records[2].fields, (std::vector<Value>{"3", "x"}));
  testing::ExpectTiling(in, out);
}

TEST(RecordReaderTest, BatchMemoryIsContiguousAndSpansAreInsideTheRecord) {
  ReaderOptions o;
  o.buffer_bytes = 8;
  o.batch_records = 5;
  RecordReader reader(ByteSource::FromString("h1,h2\n1,\"a\nb\"\n22,333\n\"x\"\"\",y\n"), o);
  ASSERT_TRUE(reader.ReadHeader().ok());
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"h1", "h2"}));
  RecordBatch batch;
  std::string scratch;
  size_t seen = 0;
  while (true) {
    ASSERT_TRUE(reader.NextBatch(batch).ok());
    if (batch.size() == 0) break;
    for (size_t i = 0; i < batch.size(); ++i, ++seen) {
      const RecordInfo& r = batch.record(i);
      ASSERT_EQ(r.field_count, 2u);
      for (uint32_t f = 0; f < r.field_count; ++f) {
        EXPECT_GE(batch.field(i, f).begin, r.raw_begin);
        EXPECT_LE(batch.field(i, f).end, r.raw_end);
      }
    }
  }
  EXPECT_EQ(seen, 3u);
  // The end is sticky.
  ASSERT_TRUE(reader.NextBatch(batch).ok());
  EXPECT_EQ(batch.size(), 0u);
}

TEST(RecordReaderTest, NextBatchBeforeReadHeaderFails) {
  RecordReader reader(ByteSource::FromString("a\n1\n"));
  RecordBatch batch;
  EXPECT_FALSE(reader.NextBatch(batch).ok());
}

TEST(ReadHeaderTest, Failures) {
  struct Case {
    const char* name;
    std::string input;
  };
  const std::vector<Case> cases = {
      {"empty", ""},
      {"only blank lines", "\n\r\n\n"},
      {"only a BOM", "\xEF\xBB\xBF"},
      {"BOM and blank lines", "\xEF\xBB\xBF\n\n"},
      {"NUL in header", std::string("id,na\0me\n1,2\n", 13)},
      {"NUL in quoted header", std::string("\"id\0\"\n1\n", 8)},
      {"invalid UTF-8", "id,n\xFF\n1,2\n"},
      {"Latin-1 header", "pr\xE9nom\n"},
      {"unterminated quote", "id,\"name\n1,2\n"},
  };
  for (const Case& c : cases) {
    RecordReader reader(ByteSource::FromString(c.input));
    Status s = reader.ReadHeader();
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << c.name << ": " << s.ToString();
    EXPECT_FALSE(s.message().empty()) << c.name;
    RecordBatch batch;
    EXPECT_FALSE(reader.NextBatch(batch).ok()) << c.name;
  }
  RecordReader twice(ByteSource::FromString("a\n"));
  ASSERT_TRUE(twice.ReadHeader().ok());
  EXPECT_FALSE(twice.ReadHeader().ok());
}

TEST(UnescapeTest, Rules) {
  std::string out;
  Unescape("\"a\"\"b\"", out);
  EXPECT_EQ(out, "a\"b");
  Unescape("\"\"\"\"", out);
  EXPECT_EQ(out, "\"");
  Unescape("\"ab\"cd\"e", out);
  EXPECT_EQ(out, "abcd\"e");
  Unescape("\"x\"\"\"y", out);
  EXPECT_EQ(out, "x\"y");
  Unescape("\"\"", out);
  EXPECT_EQ(out, "");
}

TEST(RecordBatchTest, ValueUsesScratchOnlyForEscaped) {
  RecordReader reader(ByteSource::FromString("a,b,c\nx,\"y\",\"z\"\"\"\n"));
  ASSERT_TRUE(reader.ReadHeader().ok());
  RecordBatch batch;
  ASSERT_TRUE(reader.NextBatch(batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  std::string scratch = "untouched";
  EXPECT_EQ(batch.Value(batch.field(0, 0), scratch), "x");
  EXPECT_EQ(batch.Value(batch.field(0, 1), scratch), "y");
  EXPECT_EQ(scratch, "untouched");
  EXPECT_EQ(batch.Value(batch.field(0, 2), scratch), "z\"");
  EXPECT_EQ(batch.span(batch.field(0, 2)), "\"z\"\"\"");
}

}  // namespace
}  // namespace ledgerlake::csv
