#include "engine/invoice_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>

namespace ledgerlake::engine {
namespace {

// Builds the body of `records` (id -> ordinal) and opens a view of it.
std::vector<char> Build(const std::map<int64_t, uint32_t>& records) {
  InvoiceIndexWriter writer(records.size());
  for (const auto& [id, ordinal] : records) EXPECT_TRUE(writer.Add(id, ordinal));
  EXPECT_TRUE(writer.ok());
  std::vector<char> body;
  writer.Emit([&](const void* p, size_t n) { body.insert(body.end(), static_cast<const char*>(p), static_cast<const char*>(p) + n); });
  EXPECT_EQ(body.size(), writer.bytes());
  return body;
}

const unsigned char* Bytes(const std::vector<char>& body) { return reinterpret_cast<const unsigned char*>(body.data()); }

// Every record is found, every id between and around them is not, and ForEach gives them all in order: checked
// against a std::map, for random sets of every size around the block boundaries and ids of every magnitude.
TEST(InvoiceIndexTest, FindsEveryRecordAndNothingElse) {
  std::mt19937_64 random(42);
  for (size_t n : {size_t{0}, size_t{1}, size_t{31}, size_t{32}, size_t{33}, size_t{64}, size_t{65}, size_t{1000}, size_t{5003}}) {
    for (int spread : {1, 3, 1 << 20}) {
      std::map<int64_t, uint32_t> records;
      const uint32_t accounts = 1 + static_cast<uint32_t>(n / 3);
      while (records.size() < n) {
        const auto id = static_cast<int64_t>(random() % (uint64_t{static_cast<uint64_t>(spread)} * (n + 1))) -
                        (spread > 1000 ? int64_t{1} << 30 : 0);
        records[id] = static_cast<uint32_t>(random() % accounts);
      }
      if (n > 2 && spread > 1000) {  // the extremes of the id range
        records.erase(records.begin());
        records.erase(std::prev(records.end()));
        records[INT64_MIN] = 0;
        records[INT64_MAX] = accounts - 1;
      }
      const std::vector<char> body = Build(records);
      InvoiceIndexView view;
      ASSERT_TRUE(view.Open(Bytes(body), body.size(), records.size(), accounts)) << n;
      for (const auto& [id, ordinal] : records) {
        EXPECT_EQ(view.Find(id), ordinal) << id;
        if (id != INT64_MAX && !records.contains(id + 1)) {
          EXPECT_EQ(view.Find(id + 1), InvoiceIndexView::kNone);
        }
        if (id != INT64_MIN && !records.contains(id - 1)) {
          EXPECT_EQ(view.Find(id - 1), InvoiceIndexView::kNone);
        }
      }
      std::vector<std::pair<int64_t, uint32_t>> seen;
      view.ForEach([&](int64_t id, uint32_t ordinal) { seen.emplace_back(id, ordinal); });
      const std::vector<std::pair<int64_t, uint32_t>> expected(records.begin(), records.end());
      EXPECT_EQ(seen, expected);
      if (records.empty()) {
        EXPECT_EQ(view.Find(0), InvoiceIndexView::kNone);
      }
    }
  }
}

TEST(InvoiceIndexTest, IdsMustIncrease) {
  InvoiceIndexWriter writer;
  EXPECT_TRUE(writer.Add(5, 0));
  EXPECT_FALSE(writer.Add(5, 1));
  EXPECT_FALSE(writer.Add(4, 1));
  EXPECT_TRUE(writer.Add(6, 1));
  EXPECT_EQ(writer.records(), 2u);
}

// It is dense enough to be worth it: consecutive ids in a few hundred thousand accounts take about 4 bytes each.
TEST(InvoiceIndexTest, AboutFourBytesAnInvoice) {
  std::map<int64_t, uint32_t> records;
  for (int64_t id = 0; id < 100000; ++id) records[4 * id + 1] = static_cast<uint32_t>((id * 7919) % 300000);
  EXPECT_LT(Build(records).size(), 100000u * 5);
}

// Whatever is wrong with a body (a count that does not match, bytes cut short or changed), Open says so rather
// than read past it, and a view that failed to open finds nothing.
TEST(InvoiceIndexTest, DamageIsRefused) {
  std::map<int64_t, uint32_t> records;
  for (int64_t id = 0; id < 200; ++id) records[id * 3] = static_cast<uint32_t>(id % 10);
  const std::vector<char> body = Build(records);
  InvoiceIndexView view;
  EXPECT_FALSE(view.Open(Bytes(body), body.size(), records.size() + 1, 10));  // another count
  EXPECT_FALSE(view.Open(Bytes(body), body.size(), records.size() - 32, 10));
  EXPECT_FALSE(view.Open(Bytes(body), body.size(), records.size(), 9));       // ordinals beyond the accounts
  EXPECT_FALSE(view.Open(Bytes(body), body.size() - 1, records.size(), 10));  // cut short
  EXPECT_FALSE(view.Open(Bytes(body), 4, records.size(), 10));
  EXPECT_EQ(view.Find(3), InvoiceIndexView::kNone);
  size_t refused = 0, changed = 0;
  for (size_t at = 0; at < body.size(); ++at) {
    std::vector<char> damaged = body;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x80);
    InvoiceIndexView v;
    if (!v.Open(Bytes(damaged), damaged.size(), records.size(), 10)) {
      ++refused;
      continue;
    }
    // A change Open cannot tell from valid data still gives a well-formed index (the state's checksum catches
    // it): ids in order, every one found where ForEach says.
    ++changed;
    int64_t previous = INT64_MIN;
    bool first = true;
    v.ForEach([&](int64_t id, uint32_t ordinal) {
      EXPECT_TRUE(first || id > previous);
      EXPECT_LT(ordinal, 10u);
      EXPECT_EQ(v.Find(id), ordinal);
      previous = id;
      first = false;
    });
  }
  EXPECT_GT(refused, body.size() / 2);
  EXPECT_EQ(refused + changed, body.size());
}

// Checked in parts on a pool (as a state load does), an index of many parts opens exactly as it does in one, and
// ids that stop rising where one part meets the next are refused: each part alone is well formed there, only the
// seam tells.
TEST(InvoiceIndexTest, CheckedInPartsAsInOne) {
  std::map<int64_t, uint32_t> records;
  for (int64_t id = 0; id < 1'000'000; ++id) records[2 * id + 5] = static_cast<uint32_t>((id * 7919) % 1000);
  const std::vector<char> body = Build(records);
  TaskPool pool(2);
  InvoiceIndexView view;
  ASSERT_TRUE(view.Open(Bytes(body), body.size(), records.size(), 1000, &pool));
  for (int64_t id : {int64_t{5}, int64_t{2 * 262'144 + 5}, int64_t{2 * 999'999 + 5}}) EXPECT_EQ(view.Find(id), records.at(id));
  EXPECT_FALSE(view.Open(Bytes(body), body.size(), records.size(), 999, &pool));  // an ordinal beyond, anywhere

  // The table entry of each block is {first id i64, first ordinal u32, offset u32} after the block count. The
  // parts are blocks [k * blocks / parts, (k + 1) * blocks / parts): move a part's first block's ids back to
  // just before those of the block before it.
  uint64_t blocks = 0;
  std::memcpy(&blocks, body.data(), sizeof blocks);
  const uint64_t parts = (blocks + 8191) / 8192;
  ASSERT_GE(parts, 2u);
  const uint64_t seam = blocks / parts;  // the first block of part 1
  std::vector<char> damaged = body;
  int64_t before = 0;
  std::memcpy(&before, damaged.data() + 8 + 16 * (seam - 1), sizeof before);
  std::memcpy(damaged.data() + 8 + 16 * seam, &before, sizeof before);  // its ids now repeat the block before's
  EXPECT_FALSE(view.Open(Bytes(damaged), damaged.size(), records.size(), 1000, &pool));
  EXPECT_FALSE(view.Open(Bytes(damaged), damaged.size(), records.size(), 1000));
}

}  // namespace
}  // namespace ledgerlake::engine
