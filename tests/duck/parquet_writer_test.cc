#include "duck/parquet_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duck/test_support.h"

namespace ledgerlake::duck {
namespace {

using testing::DuckTest;
using testing::kNull;
using testing::Rows;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

// Owns the arrays a TableView borrows: one column of each type, each with its own NULL pattern.
struct AllTypes {
  std::vector<int64_t> bigints;
  std::vector<int32_t> ints;
  std::vector<double> doubles;
  std::vector<int32_t> dates;
  std::vector<int64_t> cents;
  std::vector<std::string> strings;  // owns the text the string_views point at
  std::vector<std::string_view> views;
  std::vector<uint8_t> bigint_valid, int_valid, double_valid, date_valid, cents_valid, string_valid;

  void Resize(size_t n) {
    for (auto* v : {&bigints, &cents}) v->resize(n);
    for (auto* v : {&ints, &dates}) v->resize(n);
    doubles.resize(n);
    strings.resize(n);
    for (auto* v : {&bigint_valid, &int_valid, &double_valid, &date_valid, &cents_valid, &string_valid}) {
      v->assign(n, 1);
    }
  }

  TableView View() {
    views.assign(strings.begin(), strings.end());
    TableView table;
    table.rows = bigints.size();
    table.columns = {{"b", ColumnType::kBigInt, bigints.data(), bigint_valid.data()},
                     {"i", ColumnType::kInteger, ints.data(), int_valid.data()},
                     {"f", ColumnType::kDouble, doubles.data(), double_valid.data()},
                     {"d", ColumnType::kDate, dates.data(), date_valid.data()},
                     {"m", ColumnType::kDecimal18_2, cents.data(), cents_valid.data()},
                     {"s", ColumnType::kVarchar, views.data(), string_valid.data()}};
    return table;
  }
};

// Row i of the generated tables, written so SQL can recompute it from the file's row number.
AllTypes Generated(size_t n) {
  AllTypes t;
  t.Resize(n);
  for (size_t r = 0; r < n; ++r) {
    const auto i = static_cast<int64_t>(r);
    t.bigints[r] = i * 1000003 - 7;
    t.ints[r] = static_cast<int32_t>(i % 100000) - 50000;
    t.doubles[r] = static_cast<double>(i) * 0.25 - 3.0;
    t.dates[r] = static_cast<int32_t>(i % 40000) - 20000;
    t.cents[r] = i * 37 - 1000000;
    t.strings[r] = (r % 4 == 0) ? "row " + std::to_string(r) : "a longer string, row \"" + std::to_string(r) + "\"";
    t.bigint_valid[r] = r % 3 != 0;
    t.int_valid[r] = r % 5 != 1;
    t.double_valid[r] = r % 7 != 2;
    t.date_valid[r] = r % 11 != 3;
    t.cents_valid[r] = r % 13 != 4;
    t.string_valid[r] = r % 64 != 63;  // NULL in the last bit of every validity word
  }
  return t;
}

// Counts, in SQL, the rows of `path` that differ from Generated(): an independent recomputation keyed on
// each row's position in the file, so it also checks that rows are in table order.
constexpr const char* kMismatchSql = R"(
  SELECT count(*) FROM (SELECT *, file_row_number AS r FROM read_parquet('%PATH%', file_row_number = true))
  WHERE (b IS NULL) != (r % 3 = 0) OR b != r * 1000003 - 7
     OR (i IS NULL) != (r % 5 = 1) OR i != r % 100000 - 50000
     OR (f IS NULL) != (r % 7 = 2) OR f != r * 0.25 - 3.0
     OR (d IS NULL) != (r % 11 = 3) OR d != DATE '1970-01-01' + (r % 40000 - 20000)::INTEGER
     OR (m IS NULL) != (r % 13 = 4) OR (m * 100)::BIGINT != r * 37 - 1000000
     OR (s IS NULL) != (r % 64 = 63)
     OR s != CASE WHEN r % 4 = 0 THEN 'row ' || r ELSE 'a longer string, row "' || r || '"' END)";

std::string WithPath(std::string sql, const std::string& path) {
  const std::string key = "%PATH%";
  sql.replace(sql.find(key), key.size(), path);
  return sql;
}

const Rows kExpectedSchema = {{"b", "BIGINT"}, {"i", "INTEGER"},       {"f", "DOUBLE"},
                              {"d", "DATE"},   {"m", "DECIMAL(18,2)"}, {"s", "VARCHAR"}};

class ParquetWriterTest : public DuckTest {
 protected:
  void WriteAndCheckGenerated(size_t n, const ParquetWriteOptions& options = {}) {
    SCOPED_TRACE(std::to_string(n) + " rows");
    AllTypes t = Generated(n);
    const std::string path = Path("gen_" + std::to_string(n) + ".parquet");
    Status st = WriteParquet(con(), t.View(), path, options);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + path + "'))"),
              kExpectedSchema);
    EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + path + "')"), std::to_string(n));
    EXPECT_EQ(Scalar(WithPath(kMismatchSql, path)), "0");
  }
};

TEST_F(ParquetWriterTest, EveryTypeRoundTripsExactly) {
  AllTypes t;
  t.Resize(6);
  t.bigints = {kInt64Min, kInt64Max, 0, -1, 42, 7};
  t.ints = {kInt32Min, kInt32Max, 0, -1, 42, 7};
  t.doubles = {80.0, -0.5, 1e20, 0.1, std::numeric_limits<double>::infinity(), 7};
  // 2024-11-24, 1969-12-31, 1900-01-01, 0001-01-01, 9999-12-31
  t.dates = {20051, -1, -25567, -719162, 2932896, 7};
  t.cents = {8999, -1234, 999999999999999999, -999999999999999999, 5, 7};
  t.strings = {"Acme Plumbing", "1 Main St,\nRichmond, VIC 3121", "Beta \"Trade\" Co", "Zürich — 東京 🚀", "", "x"};
  for (auto* valid : {&t.bigint_valid, &t.int_valid, &t.cents_valid}) (*valid)[5] = 0;
  for (auto* valid : {&t.double_valid, &t.date_valid, &t.string_valid}) (*valid)[5] = 0;
  const std::string path = Path("all types.parquet");
  Status st = WriteParquet(con(), t.View(), path);
  ASSERT_TRUE(st.ok()) << st.ToString();

  EXPECT_EQ(Query("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + path + "'))"),
            kExpectedSchema);
  EXPECT_EQ(Query("SELECT * FROM read_parquet('" + path + "')"),
            (Rows{{"-9223372036854775808", "-2147483648", "80.0", "2024-11-24", "89.99", "Acme Plumbing"},
                  {"9223372036854775807", "2147483647", "-0.5", "1969-12-31", "-12.34", "1 Main St,\nRichmond, VIC 3121"},
                  {"0", "0", "1e+20", "1900-01-01", "9999999999999999.99", "Beta \"Trade\" Co"},
                  {"-1", "-1", "0.1", "0001-01-01", "-9999999999999999.99", "Zürich — 東京 🚀"},
                  {"42", "42", "inf", "9999-12-31", "0.05", ""},
                  {kNull, kNull, kNull, kNull, kNull, kNull}}));
  // The empty string is a value, not NULL.
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + path + "') WHERE s = ''"), "1");
}

TEST_F(ParquetWriterTest, FileIsSnappyCompressedParquetWithTheRightPhysicalTypes) {
  AllTypes t = Generated(10);
  const std::string path = Path("meta.parquet");
  ASSERT_TRUE(WriteParquet(con(), t.View(), path).ok());
  EXPECT_EQ(Query("SELECT DISTINCT compression FROM parquet_metadata('" + path + "')"), (Rows{{"SNAPPY"}}));
  // Column order as in the TableView; what a Parquet reader other than DuckDB sees.
  EXPECT_EQ(Query("SELECT name, type, converted_type, scale, precision FROM parquet_schema('" + path +
                  "') WHERE name != 'duckdb_schema'"),
            (Rows{{"b", "INT64", "INT_64", kNull, kNull},
                  {"i", "INT32", "INT_32", kNull, kNull},
                  {"f", "DOUBLE", kNull, kNull, kNull},
                  {"d", "INT32", "DATE", kNull, kNull},
                  {"m", "INT64", "DECIMAL", "2", "18"},
                  {"s", "BYTE_ARRAY", "UTF8", kNull, kNull}}));
}

TEST_F(ParquetWriterTest, ZeroRows) {
  WriteAndCheckGenerated(0);
  // Columns with no values at all are fine when there are no rows.
  TableView empty{0, {{"only", ColumnType::kVarchar, nullptr}}};
  const std::string path = Path("empty.parquet");
  ASSERT_TRUE(WriteParquet(con(), empty, path).ok());
  EXPECT_EQ(Query("SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet('" + path + "'))"),
            (Rows{{"VARCHAR"}}));
}

TEST_F(ParquetWriterTest, ChunkBoundaries) {
  for (size_t n : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{2047}, size_t{2048}, size_t{2049},
                   size_t{4096}, size_t{4097}}) {
    WriteAndCheckGenerated(n);
  }
}

TEST_F(ParquetWriterTest, AMillionRowsInOrder) { WriteAndCheckGenerated(1'000'000); }

TEST_F(ParquetWriterTest, AMillionRowsOnAllThreadsKeepsEveryRowOnce) {
  ParquetWriteOptions options;
  options.preserve_order = false;
  AllTypes t = Generated(1'000'000);
  const std::string path = Path("unordered.parquet");
  ASSERT_TRUE(WriteParquet(con(), t.View(), path, options).ok());
  // Row order is up to DuckDB's threads, so compare as a set: the row number is recoverable from b
  // (b = r * 1000003 - 7) except where b is NULL; rows with NULL b are recovered from s.
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + path + "')"), "1000000");
  const std::string by_key = R"(
    WITH k AS (SELECT *, CASE WHEN b IS NOT NULL THEN (b + 7) // 1000003
                              ELSE regexp_extract(s, '([0-9]+)', 1)::BIGINT END AS r
               FROM read_parquet('%PATH%'))
    SELECT count(DISTINCT r), min(r), max(r), count(*) FILTER (WHERE
         (i IS NULL) != (r % 5 = 1) OR i != r % 100000 - 50000
      OR (f IS NULL) != (r % 7 = 2) OR f != r * 0.25 - 3.0
      OR (d IS NULL) != (r % 11 = 3) OR d != DATE '1970-01-01' + (r % 40000 - 20000)::INTEGER
      OR (m IS NULL) != (r % 13 = 4) OR (m * 100)::BIGINT != r * 37 - 1000000
      OR (b IS NULL) != (r % 3 = 0)) FROM k WHERE b IS NOT NULL OR s IS NOT NULL)";
  // 5,209 rows (r % 3 = 0 and r % 64 = 63, the last being 999,999) have neither key and are counted apart.
  EXPECT_EQ(Query(WithPath(by_key, path)), (Rows{{"994791", "0", "999998", "0"}}));
  EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + path + "') WHERE b IS NULL AND s IS NULL"), "5209");
}

TEST_F(ParquetWriterTest, ColumnsWithoutNullMasks) {
  std::vector<int64_t> ids = {3, 1, 2};
  std::vector<std::string_view> names = {"c", "a", "b"};
  TableView table{3, {{"id", ColumnType::kBigInt, ids.data()}, {"name", ColumnType::kVarchar, names.data()}}};
  const std::string path = Path("plain.parquet");
  ASSERT_TRUE(WriteParquet(con(), table, path).ok());
  EXPECT_EQ(Query("SELECT * FROM read_parquet('" + path + "')"), (Rows{{"3", "c"}, {"1", "a"}, {"2", "b"}}));
}

TEST_F(ParquetWriterTest, NullsInOneChunkDoNotLeakIntoTheNext) {
  // NULLs only in the first vector (2048 rows), then only values; and the other way round for a second column.
  constexpr size_t kRows = 3 * 2048;
  std::vector<int32_t> a(kRows, 1), b(kRows, 2);
  std::vector<uint8_t> a_valid(kRows, 1), b_valid(kRows, 1);
  for (size_t r = 0; r < 2048; ++r) a_valid[r] = r % 2;
  for (size_t r = 2048; r < kRows; ++r) b_valid[r] = r % 2;
  std::vector<std::string_view> s(kRows, "some text here");
  std::vector<uint8_t> s_valid(a_valid);
  TableView table{kRows,
                  {{"a", ColumnType::kInteger, a.data(), a_valid.data()},
                   {"b", ColumnType::kInteger, b.data(), b_valid.data()},
                   {"s", ColumnType::kVarchar, s.data(), s_valid.data()}}};
  const std::string path = Path("chunks.parquet");
  ASSERT_TRUE(WriteParquet(con(), table, path).ok());
  EXPECT_EQ(Query("SELECT file_row_number // 2048 AS chunk, count(a), count(b), count(s) FROM read_parquet('" + path +
                  "', file_row_number = true) GROUP BY ALL ORDER BY chunk"),
            (Rows{{"0", "1024", "2048", "1024"}, {"1", "2048", "1024", "2048"}, {"2", "2048", "1024", "2048"}}));
}

TEST_F(ParquetWriterTest, OverwritesAndCanBeCalledManyTimes) {
  const std::string path = Path("again.parquet");
  for (int round = 0; round < 40; ++round) {
    std::vector<int32_t> values(static_cast<size_t>(round) + 1, round);
    TableView table{values.size(), {{"v", ColumnType::kInteger, values.data()}}};
    Status st = WriteParquet(con(), table, path);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(Query("SELECT count(*), min(v), max(v) FROM read_parquet('" + path + "')"),
              (Rows{{std::to_string(round + 1), std::to_string(round), std::to_string(round)}}));
  }
}

TEST_F(ParquetWriterTest, LeavesTheConnectionsOrderSettingAsItWas) {
  AllTypes t = Generated(100);
  ParquetWriteOptions unordered;
  unordered.preserve_order = false;
  ASSERT_TRUE(WriteParquet(con(), t.View(), Path("a.parquet"), unordered).ok());
  EXPECT_EQ(Scalar("SELECT current_setting('preserve_insertion_order')::VARCHAR"), "true");
  ASSERT_TRUE(con().Execute("SET preserve_insertion_order = false").ok());
  ASSERT_TRUE(WriteParquet(con(), t.View(), Path("b.parquet")).ok());
  EXPECT_EQ(Scalar("SELECT current_setting('preserve_insertion_order')::VARCHAR"), "false");
  EXPECT_EQ(Scalar(WithPath(kMismatchSql, Path("b.parquet"))), "0");  // written in order all the same
}

TEST_F(ParquetWriterTest, PathsWithQuotesAndSpaces) {
  AllTypes t = Generated(5);
  const std::string path = Path("it's a file.parquet");
  ASSERT_TRUE(WriteParquet(con(), t.View(), path).ok());
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(ParquetWriterTest, UnwritablePathIsAnIOError) {
  AllTypes t = Generated(5);
  Status st = WriteParquet(con(), t.View(), Path("no/such/dir/x.parquet"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Status::Code::kIOError) << st.ToString();
}

TEST_F(ParquetWriterTest, MalformedTablesAreRejected) {
  std::vector<int64_t> v = {1};
  const std::string path = Path("bad.parquet");
  EXPECT_EQ(WriteParquet(con(), TableView{1, {}}, path).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(WriteParquet(con(), TableView{1, {{"a", ColumnType::kBigInt, v.data()}, {"a", ColumnType::kBigInt, v.data()}}},
                         path)
                .code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(WriteParquet(con(), TableView{1, {{"", ColumnType::kBigInt, v.data()}}}, path).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(WriteParquet(con(), TableView{1, {{"a", ColumnType::kBigInt, nullptr}}}, path).code(),
            Status::Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ParquetWriterTest, ScanFunctionCannotBeAimedAtArbitraryMemoryFromSql) {
  Result<QueryResult> q = con().Query("SELECT * FROM ledgerlake_table_scan(1)");
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("no table is being written under this id"), std::string::npos)
      << q.status().message();
  EXPECT_FALSE(con().Query("SELECT * FROM ledgerlake_table_scan(-5)").ok());
}

TEST_F(ParquetWriterTest, OtherConnectionsCannotScanATableBeingWritten) {
  AllTypes t = Generated(2'000'000);
  Result<Connection> other = Connection::Open(db());
  ASSERT_TRUE(other.ok());
  std::atomic<bool> writing{true};
  Status written;
  std::thread writer([&] {
    for (int round = 0; round < 3 && written.ok(); ++round) written = WriteParquet(con(), t.View(), Path("busy.parquet"));
    writing = false;
  });
  int attempts = 0, successes = 0;
  while (writing) {
    for (int id = 1; id <= 4; ++id) {
      ++attempts;
      if (other->Query("SELECT count(*) FROM ledgerlake_table_scan(" + std::to_string(id) + ")").ok()) ++successes;
    }
  }
  writer.join();
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_GT(attempts, 0);
  EXPECT_EQ(successes, 0);
}

TEST_F(ParquetWriterTest, ConcurrentWritersOnOneDatabase) {
  constexpr int kThreads = 4;
  Status results[kThreads];
  std::thread threads[kThreads];
  std::vector<AllTypes> tables;
  for (int w = 0; w < kThreads; ++w) tables.push_back(Generated(50'000 + static_cast<size_t>(w)));
  for (int w = 0; w < kThreads; ++w) {
    threads[w] = std::thread([&, w] {
      Result<Connection> c = Connection::Open(db());
      if (!c.ok()) {
        results[w] = c.status();
        return;
      }
      for (int round = 0; round < 3 && results[w].ok(); ++round) {
        results[w] = WriteParquet(*c, tables[static_cast<size_t>(w)].View(),
                                  Path("w" + std::to_string(w) + "_" + std::to_string(round) + ".parquet"));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int w = 0; w < kThreads; ++w) {
    ASSERT_TRUE(results[w].ok()) << results[w].ToString();
    for (int round = 0; round < 3; ++round) {
      const std::string path = Path("w" + std::to_string(w) + "_" + std::to_string(round) + ".parquet");
      EXPECT_EQ(Scalar("SELECT count(*) FROM read_parquet('" + path + "')"), std::to_string(50'000 + w));
      EXPECT_EQ(Scalar(WithPath(kMismatchSql, path)), "0");
    }
  }
}

}  // namespace
}  // namespace ledgerlake::duck
