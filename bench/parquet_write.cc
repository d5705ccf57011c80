// parquet_write: how fast duck::WriteParquet writes 5,000,000 rows of 8 invoice_features-like columns (BIGINT,
// DECIMAL(18,2), INTEGER, DATE and a nullable INTEGER), three times in each ordering mode, printing the best
// rows/s. A benchmark, not a test: no ctest runs it.
//
//   build/parquet_write [DIR]      (writes DIR/bench.parquet; default: the system's temporary directory)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "duck/database.h"
#include "duck/parquet_writer.h"

int main(int argc, char** argv) {
  using namespace ledgerlake::duck;
  const std::string path =
      (argc > 1 ? std::filesystem::path(argv[1]) : std::filesystem::temp_directory_path()) / "bench.parquet";
  constexpr size_t kRows = 5'000'000;
  std::vector<int64_t> inv_id(kRows), acct_id(kRows), inv_total(kRows), inv_items(kRows);
  std::vector<int32_t> acct_age(kRows), num_inv_120d(kRows), date_issued(kRows), is_late(kRows);
  std::vector<uint8_t> is_late_valid(kRows);
  uint64_t x = 88172645463325252ULL;  // xorshift64: data with realistic entropy, same every run
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (size_t r = 0; r < kRows; ++r) {
    inv_id[r] = static_cast<int64_t>(r) + 1000000;
    acct_id[r] = static_cast<int64_t>(next() % 500000);
    inv_total[r] = static_cast<int64_t>(next() % 5000000);
    inv_items[r] = static_cast<int64_t>(next() % 200);
    acct_age[r] = static_cast<int32_t>(next() % 4000) - 100;
    num_inv_120d[r] = static_cast<int32_t>(next() % 12);
    date_issued[r] = 18000 + static_cast<int32_t>(next() % 2200);
    is_late[r] = static_cast<int32_t>(next() % 2);
    is_late_valid[r] = next() % 10 != 0;
  }
  const TableView table{kRows,
                        {{"inv_id", ColumnType::kBigInt, inv_id.data()},
                         {"acct_id", ColumnType::kBigInt, acct_id.data()},
                         {"inv_total", ColumnType::kDecimal18_2, inv_total.data()},
                         {"inv_items", ColumnType::kBigInt, inv_items.data()},
                         {"acct_age", ColumnType::kInteger, acct_age.data()},
                         {"num_inv_120d", ColumnType::kInteger, num_inv_120d.data()},
                         {"date_issued", ColumnType::kDate, date_issued.data()},
                         {"is_late", ColumnType::kInteger, is_late.data(), is_late_valid.data()}}};
  auto db = Database::Open();
  auto con = db.ok() ? Connection::Open(*db) : ledgerlake::Result<Connection>(db.status());
  if (!con.ok()) {
    std::fprintf(stderr, "parquet_write: %s\n", con.status().ToString().c_str());
    return 1;
  }
  for (const bool ordered : {true, false}) {
    ParquetWriteOptions options;
    options.preserve_order = ordered;
    double best = 1e9;
    for (int round = 0; round < 3; ++round) {
      const auto start = std::chrono::steady_clock::now();
      const auto st = WriteParquet(*con, table, path, options);
      if (!st.ok()) {
        std::fprintf(stderr, "parquet_write: %s\n", st.ToString().c_str());
        return 1;
      }
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("preserve_order=%s: best of 3 %.3f s = %.2f M rows/s\n", ordered ? "true " : "false", best,
                static_cast<double>(kRows) / best / 1e6);
  }
  std::filesystem::remove(path);
  return 0;
}
