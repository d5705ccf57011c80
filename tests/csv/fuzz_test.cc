// Deterministic fuzzing of the record reader: random bytes, random structural noise, and random mutations of
// valid CSV, each read with random buffer, batch and record-size options. The reader must never crash, must
// agree with the naive reference reader of csv_test_util (a character-at-a-time transcription of the contract),
// and must keep the tiling guarantee. Unmutated generated CSV must read back exactly the values written.
#include <gtest/gtest.h>

#include <random>

#include "csv/record_reader.h"
#include "csv/utf8.h"
#include "csv_test_util.h"

namespace ledgerlake::csv {
namespace {

using testing::Rec;
using testing::Value;

using Rng = std::mt19937_64;

size_t Uniform(Rng& rng, size_t lo, size_t hi) {  // inclusive
  return std::uniform_int_distribution<size_t>(lo, hi)(rng);
}
bool Chance(Rng& rng, double p) { return std::bernoulli_distribution(p)(rng); }

ReaderOptions RandomOptions(Rng& rng) {
  static const size_t kBuffers[] = {1, 2, 3, 4, 5, 8, 13, 32, 64, 1 << 20};
  static const size_t kBatches[] = {1, 2, 3, 7, 4096};
  ReaderOptions o;
  o.buffer_bytes = kBuffers[Uniform(rng, 0, std::size(kBuffers) - 1)];
  o.batch_records = kBatches[Uniform(rng, 0, std::size(kBatches) - 1)];
  if (Chance(rng, 0.2)) o.max_record_bytes = Uniform(rng, 6, 120);
  return o;
}

// Bytes that matter to the dialect, and some that matter to UTF-8.
char NoiseByte(Rng& rng) {
  static const char kNoise[] = {'"', '"', '"', ',', ',', ',', '\r', '\r', '\n', '\n', '\n', 'a', 'b', ' ',
                                '\xC3', '\xA9', '\xFF', '\xE2', '\x82', '\xAC', '\0', '\xEF', '\xBB', '\xBF'};
  return kNoise[Uniform(rng, 0, std::size(kNoise) - 1)];
}

TEST(FuzzTest, RandomBytes) {
  Rng rng(20240601);
  for (int iter = 0; iter < 20000; ++iter) {
    std::string in;
    if (Chance(rng, 0.5)) in = Chance(rng, 0.5) ? "a,b,c\n" : "\xEF\xBB\xBFx,\"y\"\r\n";
    size_t n = Uniform(rng, 0, 200);
    for (size_t i = 0; i < n; ++i) in += static_cast<char>(Uniform(rng, 0, 255));
    testing::ExpectSameAsReference(in, RandomOptions(rng));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FuzzTest, StructuralNoise) {
  Rng rng(77);
  for (int iter = 0; iter < 30000; ++iter) {
    std::string in;
    if (Chance(rng, 0.7)) in = Chance(rng, 0.5) ? "a,b,c\n" : "\"a\",b\r\n";
    size_t n = Uniform(rng, 0, 120);
    for (size_t i = 0; i < n; ++i) in += NoiseByte(rng);
    testing::ExpectSameAsReference(in, RandomOptions(rng));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

// A valid CSV file and the records the contract says it holds.
struct Generated {
  std::string text;
  std::vector<std::string> header;
  std::vector<Rec> records;
  uint64_t blank_lines = 0;
};

std::string RandomText(Rng& rng, bool allow_special) {
  static const char* kPieces[] = {"a", "Z", "0", "7", " ", "-", ".", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80"};
  static const char* kSpecial[] = {",", "\"", "\n", "\r\n", "\r", "\"\""};
  std::string s;
  size_t n = Uniform(rng, 1, 12);
  for (size_t i = 0; i < n; ++i) {
    if (allow_special && Chance(rng, 0.25)) {
      s += kSpecial[Uniform(rng, 0, std::size(kSpecial) - 1)];
    } else {
      s += kPieces[Uniform(rng, 0, std::size(kPieces) - 1)];
    }
  }
  return s;
}

std::string Quote(const std::string& v) {
  std::string q = "\"";
  for (char c : v) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

Generated MakeValidCsv(Rng& rng) {
  Generated g;
  const size_t cols = Uniform(rng, 1, 5);
  const bool crlf = Chance(rng, 0.4);
  const bool mixed = Chance(rng, 0.2);
  auto eol = [&]() { return (mixed ? Chance(rng, 0.5) : crlf) ? std::string("\r\n") : std::string("\n"); };
  if (Chance(rng, 0.3)) g.text = "\xEF\xBB\xBF";
  const size_t bom = g.text.size();
  uint64_t line = 1;
  auto blank = [&]() {
    g.text += eol();
    ++g.blank_lines;
    ++line;
  };
  for (size_t i = Uniform(rng, 0, 2); i > 0; --i) blank();
  for (size_t c = 0; c < cols; ++c) {
    std::string name = "col" + std::to_string(c);
    if (c) g.text += ',';
    g.text += Chance(rng, 0.3) ? Quote(name) : name;
    g.header.push_back(name);
  }
  g.text += eol();
  ++line;
  const size_t rows = Uniform(rng, 0, 40);
  for (size_t r = 0; r < rows; ++r) {
    if (Chance(rng, 0.1)) blank();
    Rec rec;
    rec.line = line;
    rec.offset = g.text.size() - bom;
    std::string raw;
    for (size_t c = 0; c < cols; ++c) {
      if (c) raw += ',';
      size_t kind = Uniform(rng, 0, 9);
      if (kind == 0 && cols > 1) {  // NULL (a lone NULL in a 1-column file would be a blank line)
        rec.fields.emplace_back(std::nullopt);
      } else if (kind == 1) {
        raw += "\"\"";
        rec.fields.emplace_back(std::string());
      } else if (kind <= 5) {  // plain: no comma, no line break, no CR, not starting with a quote
        std::string v = RandomText(rng, false);
        if (Chance(rng, 0.2)) v += "\"in\"side";
        raw += v;
        rec.fields.emplace_back(v);
      } else {
        std::string v = RandomText(rng, true);
        raw += Quote(v);
        rec.fields.emplace_back(v);
      }
    }
    const bool last = r + 1 == rows;
    std::string term = (last && Chance(rng, 0.3)) ? std::string() : eol();
    rec.raw = raw;
    rec.consumed = static_cast<uint32_t>(raw.size() + term.size());
    g.text += raw + term;
    for (char ch : raw + term) line += ch == '\n';
    g.records.push_back(std::move(rec));
    if (term.empty()) break;
  }
  if (!g.records.empty() && g.records.back().raw.size() == g.records.back().consumed) return g;
  for (size_t i = Chance(rng, 0.2) ? Uniform(rng, 1, 2) : 0; i > 0; --i) blank();
  return g;
}

TEST(FuzzTest, GeneratedCsvReadsBackExactly) {
  Rng rng(4242);
  for (int iter = 0; iter < 5000; ++iter) {
    Generated g = MakeValidCsv(rng);
    ReaderOptions o = RandomOptions(rng);
    o.max_record_bytes = ReaderOptions{}.max_record_bytes;
    testing::ReadOut out = testing::ReadAll(g.text, o);
    ASSERT_TRUE(out.header_status.ok()) << out.header_status.ToString();
    ASSERT_TRUE(out.status.ok()) << out.status.ToString();
    ASSERT_EQ(out.header, g.header);
    ASSERT_EQ(out.records.size(), g.records.size());
    for (size_t i = 0; i < g.records.size(); ++i) ASSERT_EQ(out.records[i], g.records[i]) << "record " << i;
    ASSERT_EQ(out.blank_lines, g.blank_lines);
    testing::ExpectTiling(g.text, out);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FuzzTest, MutatedCsv) {
  Rng rng(99);
  for (int iter = 0; iter < 15000; ++iter) {
    std::string in = MakeValidCsv(rng).text;
    for (size_t m = Uniform(rng, 1, 4); m > 0; --m) {
      size_t at = in.empty() ? 0 : Uniform(rng, 0, in.size() - 1);
      switch (Uniform(rng, 0, 2)) {
        case 0:
          in.insert(in.begin() + static_cast<ptrdiff_t>(at), NoiseByte(rng));
          break;
        case 1:
          if (!in.empty()) in.erase(at, 1);
          break;
        default:
          if (!in.empty()) in[at] = NoiseByte(rng);
          break;
      }
    }
    testing::ExpectSameAsReference(in, RandomOptions(rng));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FuzzTest, Utf8ValidatorAgreesWithReference) {
  Rng rng(5);
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    size_t n = Uniform(rng, 0, 24);
    for (size_t i = 0; i < n; ++i) {
      // Mostly bytes near the interesting boundaries.
      s += Chance(rng, 0.3) ? static_cast<char>(Uniform(rng, 0, 0x7F)) : static_cast<char>(Uniform(rng, 0x80, 0xFF));
    }
    ASSERT_EQ(IsValidUtf8(s), testing::RefUtf8(s)) << ::testing::PrintToString(s);
  }
  // Every 1-, 2- and 3-byte sequence exhaustively, each padded so the word-at-a-time path is taken too.
  for (uint32_t a = 0; a < 256; ++a) {
    for (uint32_t b = 0; b < 256; ++b) {
      for (uint32_t c : {0x00u, 0x41u, 0x80u, 0x8Fu, 0x90u, 0x9Fu, 0xA0u, 0xBFu, 0xC0u, 0xFFu}) {
        std::string s = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
        ASSERT_EQ(IsValidUtf8(s), testing::RefUtf8(s)) << a << " " << b << " " << c;
        std::string padded = "0123456789abcdef" + s + "0123456789abcdef";
        ASSERT_EQ(IsValidUtf8(padded), testing::RefUtf8(s)) << a << " " << b << " " << c;
      }
    }
  }
}

}  // namespace
}  // namespace ledgerlake::csv
