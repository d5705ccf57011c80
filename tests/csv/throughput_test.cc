// Throughput of the record reader on a real file. Skipped unless LEDGERLAKE_CSV_BENCH names a CSV (or .csv.gz)
// file, e.g.  LEDGERLAKE_CSV_BENCH=/tmp/big.csv build/tests/csv_tests --gtest_filter='CsvBench.*'
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>

#include "csv/record_reader.h"

namespace ledgerlake::csv {
namespace {

TEST(CsvBench, Throughput) {
  const char* path = std::getenv("LEDGERLAKE_CSV_BENCH");
  if (path == nullptr || *path == '\0') GTEST_SKIP() << "set LEDGERLAKE_CSV_BENCH=<file> to run";
  // Round 0 and 1 only split records; rounds 2 and 3 also get every field's value, as a consumer would.
  for (int round = 0; round < 4; ++round) {
    const bool values = round >= 2;
    auto src = ByteSource::Open(path);
    ASSERT_TRUE(src.ok()) << src.status().ToString();
    auto t0 = std::chrono::steady_clock::now();
    std::clock_t c0 = std::clock();
    RecordReader reader(std::move(*src));
    ASSERT_TRUE(reader.ReadHeader().ok());
    RecordBatch batch;
    uint64_t records = 0, fields = 0, value_bytes = 0, errors = 0;
    std::string scratch;
    for (;;) {
      ASSERT_TRUE(reader.NextBatch(batch).ok());
      if (batch.size() == 0) break;
      records += batch.size();
      for (size_t i = 0; i < batch.size(); ++i) {
        const RecordInfo& r = batch.record(i);
        errors += r.error != RecordError::kNone;
        fields += r.field_count;
        if (!values) continue;
        for (uint32_t f = 0; f < r.field_count; ++f) value_bytes += batch.Value(batch.field(i, f), scratch).size();
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    double mb = static_cast<double>(reader.bytes_consumed()) / 1e6;
    std::printf("%s%s: %.1f MB decoded, %llu records, %llu fields, %llu errors, %.3f s wall (%.0f MB/s), %.3f s CPU (%.0f MB/s)\n", values ? "(+values) " : "", path, mb,
                static_cast<unsigned long long>(records), static_cast<unsigned long long>(fields),
                static_cast<unsigned long long>(errors), secs, mb / secs, cpu, mb / cpu);
    if (values) {
      EXPECT_GT(value_bytes, 0u);
    }
  }
}

}  // namespace
}  // namespace ledgerlake::csv
