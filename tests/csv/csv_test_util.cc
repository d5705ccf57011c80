#include "csv_test_util.h"

#include <algorithm>
#include <ostream>

namespace ledgerlake::csv::testing {

namespace {

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

const std::string kBom = "\xEF\xBB\xBF";

}  // namespace

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  os << "{line " << r.line << ", offset " << r.offset << ", consumed " << r.consumed << ", raw \"" << Escape(r.raw)
     << "\", error " << static_cast<int>(r.error) << ", fields [";
  for (size_t i = 0; i < r.fields.size(); ++i) {
    if (i) os << ", ";
    if (r.fields[i]) {
      os << '"' << Escape(*r.fields[i]) << '"';
    } else {
      os << "NULL";
    }
  }
  return os << "]}";
}

Rec ToRec(const RecordBatch& batch, size_t i) {
  const RecordInfo& info = batch.record(i);
  Rec r;
  r.line = info.line;
  r.offset = info.offset;
  r.consumed = info.consumed;
  r.raw = std::string(batch.raw(i));
  r.error = info.error;
  std::string scratch;
  for (uint32_t f = 0; f < info.field_count; ++f) {
    const FieldSpan& fs = batch.field(i, f);
    r.kinds.push_back(fs.kind);
    if (RecordBatch::IsNull(fs)) {
      r.fields.emplace_back(std::nullopt);
    } else {
      r.fields.emplace_back(std::string(batch.Value(fs, scratch)));
    }
  }
  return r;
}

ReadOut ReadAll(std::unique_ptr<ByteSource> source, const ReaderOptions& options) {
  ReadOut out;
  RecordReader reader(std::move(source), options);
  out.header_status = reader.ReadHeader();
  if (!out.header_status.ok()) return out;
  out.header = reader.header();
  out.header_end = reader.bytes_consumed();
  out.header_blank_lines = reader.blank_lines();
  RecordBatch batch;
  for (;;) {
    Status s = reader.NextBatch(batch);
    if (!s.ok()) {
      out.status = s;
      break;
    }
    if (batch.size() == 0) break;
    ++out.batches;
    EXPECT_LE(batch.size(), std::max<size_t>(options.batch_records, 1));
    for (size_t i = 0; i < batch.size(); ++i) {
      const RecordInfo& info = batch.record(i);
      Rec r = ToRec(batch, i);
      EXPECT_LE(info.raw_begin, info.raw_end);
      EXPECT_LE(info.raw_end - info.raw_begin, info.consumed);
      if (info.error == RecordError::kUnterminatedQuote) { EXPECT_EQ(info.field_count, 0u); }
      // The raw text is the fields' raw texts joined by commas.
      std::string joined;
      uint32_t prev_end = info.raw_begin;
      for (uint32_t f = 0; f < info.field_count; ++f) {
        const FieldSpan& fs = batch.field(i, f);
        std::string_view sp = batch.span(fs);
        EXPECT_LE(fs.begin, fs.end);
        EXPECT_GE(fs.begin, prev_end);
        EXPECT_LE(fs.end, info.raw_end);
        prev_end = fs.end;
        if (f) joined += ',';
        switch (fs.kind) {
          case FieldKind::kPlain:
            EXPECT_EQ(sp.find_first_of(",\n"), std::string_view::npos);
            if (!sp.empty()) { EXPECT_NE(sp.front(), '"'); }
            joined += sp;
            break;
          case FieldKind::kQuoted:
            EXPECT_EQ(sp.find('"'), std::string_view::npos);
            joined += '"';
            joined += sp;
            joined += '"';
            break;
          case FieldKind::kEscaped:
            EXPECT_TRUE(!sp.empty() && sp.front() == '"');
            joined += sp;
            break;
        }
      }
      if (info.error != RecordError::kUnterminatedQuote) { EXPECT_EQ(joined, r.raw) << r; }
      out.records.push_back(std::move(r));
    }
  }
  out.blank_lines = reader.blank_lines();
  out.bytes_consumed = reader.bytes_consumed();
  return out;
}

void ExpectTiling(const std::string& input, const ReadOut& out) {
  ASSERT_TRUE(out.header_status.ok());
  const bool bom = input.compare(0, 3, kBom) == 0;
  const std::string s = bom ? input.substr(3) : input;
  const uint64_t bom_len = bom ? 3 : 0;
  size_t pos = 0;
  uint64_t blanks = 0;
  uint64_t lfs_before = 0;  // LFs in s[0, pos)
  auto eat_blank = [&]() {
    if (pos < s.size() && s[pos] == '\n') {
      pos += 1;
    } else if (s.compare(pos, 2, "\r\n") == 0) {
      pos += 2;
    } else {
      return false;
    }
    ++blanks;
    ++lfs_before;
    return true;
  };
  for (uint64_t i = 0; i < out.header_blank_lines; ++i) ASSERT_TRUE(eat_blank()) << "leading blank line " << i;
  ASSERT_GE(out.header_end, bom_len + pos);
  size_t header_end = static_cast<size_t>(out.header_end - bom_len);
  ASSERT_GT(header_end, pos) << "empty header";
  lfs_before += static_cast<uint64_t>(std::count(s.begin() + static_cast<ptrdiff_t>(pos),
                                                 s.begin() + static_cast<ptrdiff_t>(header_end), '\n'));
  pos = header_end;
  for (const Rec& r : out.records) {
    while (pos < r.offset) ASSERT_TRUE(eat_blank()) << "gap before record is not blank lines: " << r;
    ASSERT_EQ(pos, r.offset) << r;
    ASSERT_EQ(r.line, 1 + lfs_before) << r;
    ASSERT_LE(r.offset + r.consumed, s.size()) << r;
    std::string text = s.substr(pos, r.consumed);
    ASSERT_EQ(text.compare(0, r.raw.size(), r.raw), 0) << r;
    std::string term = text.substr(r.raw.size());
    if (term.empty()) {
      ASSERT_EQ(pos + r.consumed, s.size()) << "unterminated record before the end: " << r;
    } else {
      ASSERT_TRUE(term == "\n" || term == "\r\n") << r;
    }
    if (r.error == RecordError::kUnterminatedQuote) { ASSERT_EQ(r.raw.find('\n'), std::string::npos) << r; }
    lfs_before += static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
    pos += r.consumed;
  }
  if (out.status.ok()) {
    while (pos < s.size()) ASSERT_TRUE(eat_blank()) << "trailing bytes are not blank lines at " << pos;
    EXPECT_EQ(out.bytes_consumed, bom_len + s.size());
    EXPECT_EQ(blanks, out.blank_lines);
  }
}

bool RefUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    int len = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
      len = 1;
      cp = b0;
    } else if ((b0 >> 5) == 0x6) {
      len = 2;
      cp = b0 & 0x1Fu;
    } else if ((b0 >> 4) == 0xE) {
      len = 3;
      cp = b0 & 0x0Fu;
    } else if ((b0 >> 3) == 0x1E) {
      len = 4;
      cp = b0 & 0x07u;
    } else {
      return false;
    }
    if (i + static_cast<size_t>(len) > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
      if ((b >> 6) != 0x2) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += static_cast<size_t>(len);
  }
  return true;
}

namespace {

// One record parsed from position i by the plain reading of the dialect, before any resynchronisation.
struct RefRecord {
  std::vector<Value> fields;
  bool unterminated = false;  // the stream ended inside quotes
  bool multiline = false;     // a quoted field holds an LF
  size_t consumed = 0;
  size_t raw_len = 0;
};

RefRecord RefParseAt(const std::string& s, size_t i) {
  RefRecord r;
  const size_t n = s.size();
  size_t j = i;
  for (;;) {
    size_t m;  // where the field's text ends: at ',', '\n' or n
    if (j < n && s[j] == '"') {
      std::string val;
      size_t k = j + 1;
      bool closed = false;
      while (k < n) {
        if (s[k] == '"') {
          if (k + 1 < n && s[k + 1] == '"') {
            val += '"';
            k += 2;
            continue;
          }
          closed = true;
          ++k;
          break;
        }
        if (s[k] == '\n') r.multiline = true;
        val += s[k];
        ++k;
      }
      if (!closed) {
        r.unterminated = true;
        return r;
      }
      m = k;
      while (m < n && s[m] != ',' && s[m] != '\n') ++m;
      std::string lit = s.substr(k, m - k);
      if (m < n && s[m] == '\n' && !lit.empty() && lit.back() == '\r') lit.pop_back();
      r.fields.emplace_back(val + lit);
    } else {
      m = j;
      while (m < n && s[m] != ',' && s[m] != '\n') ++m;
      std::string v = s.substr(j, m - j);
      if (m < n && s[m] == '\n' && !v.empty() && v.back() == '\r') v.pop_back();
      if (v.empty()) {
        r.fields.emplace_back(std::nullopt);
      } else {
        r.fields.emplace_back(v);
      }
    }
    if (m < n && s[m] == ',') {
      j = m + 1;
      continue;
    }
    if (m < n) {  // LF
      r.consumed = m + 1 - i;
      r.raw_len = (m > i && s[m - 1] == '\r') ? m - 1 - i : m - i;
    } else {
      r.consumed = n - i;
      r.raw_len = n - i;
    }
    return r;
  }
}

}  // namespace

RefOut RefRead(const std::string& input, size_t max_record_bytes) {
  RefOut out;
  // Text the dialect refuses whole: UTF-16/32 (by their byte-order marks), two UTF-8 BOMs, lines ending in CR
  // alone (a CR but no LF in the first 64 KiB).
  for (const std::string& mark : {std::string("\xFF\xFE", 2), std::string("\xFE\xFF", 2),
                                  std::string("\x00\x00\xFE\xFF", 4)}) {
    if (input.compare(0, mark.size(), mark) == 0) return out;
  }
  if (input.compare(0, 6, std::string(kBom) + kBom) == 0) return out;
  const std::string head = input.substr(0, 64 << 10);
  if (head.find('\n') == std::string::npos && head.find('\r') != std::string::npos) return out;
  const std::string s = input.compare(0, 3, kBom) == 0 ? input.substr(3) : input;
  const size_t n = s.size();
  size_t i = 0;
  uint64_t line = 1;
  bool have_header = false;
  size_t expected = 0;
  while (i < n) {
    if (s[i] == '\n') {
      ++out.blank_lines;
      ++line;
      ++i;
      continue;
    }
    if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n') {
      ++out.blank_lines;
      ++line;
      i += 2;
      continue;
    }
    RefRecord pr = RefParseAt(s, i);
    Rec rec;
    rec.line = line;
    rec.offset = i;
    bool broken = pr.unterminated || pr.consumed > max_record_bytes ||
                  (pr.multiline && have_header && pr.fields.size() != expected);
    if (broken) {
      size_t lf = s.find('\n', i);
      size_t line_len = lf == std::string::npos ? n - i : lf - i + 1;
      if (line_len > max_record_bytes) {
        out.fatal = true;
        return out;
      }
      size_t raw_len = lf == std::string::npos ? n - i : (lf > i && s[lf - 1] == '\r' ? lf - 1 - i : lf - i);
      rec.raw = s.substr(i, raw_len);
      rec.consumed = static_cast<uint32_t>(line_len);
      rec.error = RecordError::kUnterminatedQuote;
    } else {
      rec.raw = s.substr(i, pr.raw_len);
      rec.consumed = static_cast<uint32_t>(pr.consumed);
      rec.fields = pr.fields;
      rec.error = RefUtf8(s.substr(i, pr.consumed)) ? RecordError::kNone : RecordError::kInvalidUtf8;
    }
    std::string text = s.substr(i, rec.consumed);
    line += static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
    i += rec.consumed;
    if (!have_header) {
      if (rec.error != RecordError::kNone || rec.raw.find('\0') != std::string::npos) return out;
      if (!rec.raw.empty() && rec.raw.back() == '\r') return out;  // lines ending in CR CR LF
      for (const Value& v : rec.fields) out.header.push_back(v.value_or(""));
      out.header_ok = true;
      have_header = true;
      expected = rec.fields.size();
      continue;
    }
    out.records.push_back(std::move(rec));
  }
  return out;
}

void ExpectSameAsReference(const std::string& input, const ReaderOptions& options) {
  RefOut ref = RefRead(input, options.max_record_bytes);
  ReadOut got = ReadAll(input, options);
  SCOPED_TRACE("input \"" + Escape(input) + "\" buffer " + std::to_string(options.buffer_bytes) + " batch " +
               std::to_string(options.batch_records) + " max " + std::to_string(options.max_record_bytes));
  ASSERT_EQ(got.header_status.ok(), ref.header_ok) << got.header_status.ToString();
  if (!ref.header_ok) return;
  EXPECT_EQ(got.header, ref.header);
  ASSERT_EQ(got.records.size(), ref.records.size());
  for (size_t i = 0; i < ref.records.size(); ++i) ASSERT_EQ(got.records[i], ref.records[i]) << "record " << i;
  ASSERT_EQ(got.status.ok(), !ref.fatal) << got.status.ToString();
  if (ref.fatal) {
    EXPECT_EQ(got.status.code(), Status::Code::kCorruption);
  } else {
    EXPECT_EQ(got.blank_lines, ref.blank_lines);
  }
  ExpectTiling(input, got);
}

}  // namespace ledgerlake::csv::testing
