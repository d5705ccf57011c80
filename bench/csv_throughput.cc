// csv_throughput: how fast the record reader goes through one real file, with and without decoding every field's
// value (as a consumer would). A benchmark, not a test: it asserts nothing, and no ctest runs it.
//
//   build/csv_throughput FILE.csv[.gz]
//
// Prints one line per round (two rounds of each kind): decoded MB, records, fields, errors, wall and CPU seconds.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "csv/record_reader.h"

int main(int argc, char** argv) {
  using namespace ledgerlake::csv;
  if (argc != 2) {
    std::fprintf(stderr, "usage: csv_throughput FILE\n");
    return 2;
  }
  const char* path = argv[1];
  for (int round = 0; round < 4; ++round) {
    const bool values = round >= 2;
    auto src = ByteSource::Open(path);
    if (!src.ok()) {
      std::fprintf(stderr, "csv_throughput: %s\n", src.status().ToString().c_str());
      return 1;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    RecordReader reader(std::move(*src));
    if (auto st = reader.ReadHeader(); !st.ok()) {
      std::fprintf(stderr, "csv_throughput: %s\n", st.ToString().c_str());
      return 1;
    }
    RecordBatch batch;
    uint64_t records = 0, fields = 0, value_bytes = 0, errors = 0;
    std::string scratch;
    for (;;) {
      if (auto st = reader.NextBatch(batch); !st.ok()) {
        std::fprintf(stderr, "csv_throughput: %s\n", st.ToString().c_str());
        return 1;
      }
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
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    const double mb = static_cast<double>(reader.bytes_consumed()) / 1e6;
    std::printf("%s%s: %.1f MB decoded, %llu records, %llu fields, %llu errors, %llu value bytes, %.3f s wall "
                "(%.0f MB/s), %.3f s CPU (%.0f MB/s)\n",
                values ? "(+values) " : "", path, mb, static_cast<unsigned long long>(records),
                static_cast<unsigned long long>(fields), static_cast<unsigned long long>(errors),
                static_cast<unsigned long long>(value_bytes), secs, mb / secs, cpu, mb / cpu);
  }
  return 0;
}
