// Synthetic raw extracts: writes the four tables of docs/data-contract.md as one clean, consistent CSV delivery of any
// size, for tests, demos and benchmarks. Used by cli/ (`ledgerlake generate`) and the end-to-end tests.
// The data looks like a real export (quoted multi-line addresses, doubled quotes, skewed account activity,
// unpaid invoices, credit lines) but contains no invalid rows, so every row should be accepted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::gen {

struct GenerateOptions {
  std::string out_dir;  // created when missing
  int64_t accounts = 1000;
  int64_t invoices = 10000;
  int64_t skus = 500;
  uint64_t seed = 42;
  DayNumber first_day = DaysFromCivil(CivilDate{2019, 1, 1});  // joining and issuing dates fall in [first, last]
  DayNumber last_day = DaysFromCivil(CivilDate{2024, 12, 31});
  bool gzip = false;  // write <table>.csv.gz (concatenated gzip members) instead of <table>.csv
  int threads = 0;    // worker threads; 0 = hardware concurrency. Never changes the output bytes.
  bool overwrite = false;  // replace files of the same names already in out_dir; false: refuse (AlreadyExists)
};

struct GeneratedFile {
  std::string path;
  std::string table;  // accounts, skus, invoices or invoice_line_items
  uint64_t rows;      // data rows, header excluded
  uint64_t bytes;     // size on disk (compressed size with gzip)
};

// Writes accounts, skus, invoices and invoice_line_items (.csv or .csv.gz) into options.out_dir (replacing files
// of the same name only with options.overwrite, else InvalidArgument naming the first one, before writing
// anything); each file appears under its final name only once complete. IDs are 1..accounts,
// 1..skus and 1..invoices; every invoice has 1 to 6 line items with distinct skus, and about 2% of invoices have
// their last line twice, exactly (one item bought on two lines: both are lines). The same options give
// byte-identical files whatever the thread count. Fails with InvalidArgument for impossible options (e.g.
// invoices without any account or sku, first_day after last_day) and IOError when a file cannot be written.
Result<std::vector<GeneratedFile>> Generate(const GenerateOptions& options);

}  // namespace ledgerlake::gen
