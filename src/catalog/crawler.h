// Crawler: the seed's Glue crawler for one landed extract. Reads the header and every record, streaming through
// csv::RecordReader, and infers each column's type, nullability and date format. All rows, no sampling. A large
// plain file is read in parts on all cores (csv/parts.h) and the parts' profiles merged, with the same result as
// one pass. Ingest crawls each file it lands: with hashing and copying, a 459 MB delivery takes 1.0-1.3 s on 2
// cores (docs/benchmarks.md). Used by the catalog when it registers a file; the classification of what the
// profile means for the table's schema is in catalog/evolution.h.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/column_type.h"
#include "contract/schema.h"
#include "csv/byte_source.h"
#include "util/status.h"
#include "util/task_pool.h"

namespace ledgerlake::catalog {

// What the crawler saw in one column of one file.
//
// Contract columns are typed by the contract first: a text column of docs/data-contract.md is text whatever its
// values look like; an integer, decimal or date column is typed over the values that parse as the contract type
// (integer; integer or decimal(<=2); date or timestamp), the others being per-row rejects for the validator.
// Only when more than half of its non-empty values fail the contract's parser is the column typed over all its
// values like an extra column (and catalog/evolution.h calls the file breaking). Each value is parsed once by the
// contract's parser, and only the values it refuses go through general inference.
struct ColumnProfile {
  ColumnSchema schema;
  int contract_column = -1;        // index in contract::TableColumns(table), -1 for an extra column
  uint64_t values = 0;             // non-empty values (empty or blank fields are NULL, as for the validator)
  uint64_t contract_failures = 0;  // non-empty values that do not parse as the contract type
  std::string failure_example;     // the first of them, cut to 40 bytes
  uint64_t failure_line = 0;       // and its line
  std::string failure_format;      // the date-like format all failing values share, or ""
};

struct FileProfile {
  contract::TableId table{};
  std::vector<ColumnProfile> columns;         // in header order
  std::vector<std::string> missing_required;  // required contract columns absent from the header
  uint64_t records = 0;                       // records read, header excluded
  uint64_t skipped = 0;  // records not profiled: broken quoting, invalid UTF-8 or a wrong field count
  uint64_t broken_quotes = 0;                    // of those, records with broken quoting
  std::map<uint32_t, uint64_t> other_field_counts;  // of those, well-quoted records by their (wrong) field count
};

// Refuses a file whose records mostly do not have its header's shape (more than half of them have another number
// of fields than the header, or broken quoting): its header does not match its rows, and reading it would split
// records into fragments. InvalidArgument naming `name`, the counts and the likely cause.
Status CheckShape(const FileProfile& profile, size_t header_fields, std::string_view name);

// Profiles the extract at `path` (plain or gzip) as a file of `table`. Fails, naming the file, when it cannot
// be read.
Result<FileProfile> CrawlFile(const std::string& path, contract::TableId table);
// The same over any byte source; `name` is used in error messages.
Result<FileProfile> CrawlStream(std::unique_ptr<csv::ByteSource> source, contract::TableId table,
                                std::string_view name);
// The same for a plain (not gzip) file that nobody writes meanwhile, read in `parts` parts side by side on
// `pool` (csv/parts.h; 0: csv::PartsFor, one part below 32 MiB): the same profile as CrawlStream, lines
// included.
Result<FileProfile> CrawlPlainFile(const std::string& path, contract::TableId table, std::string_view name,
                                   TaskPool& pool, size_t parts = 0);

}  // namespace ledgerlake::catalog
