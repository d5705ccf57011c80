// Loader: streams landed extracts through the CSV reader and the contract validator into a Ledger, collecting
// every reject with its raw text. Files must come in landing order; the loader itself orders tables parents
// first. Used by lake/run.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "contract/rows.h"
#include "engine/ledger.h"
#include "engine/partitioning.h"
#include "util/status.h"

namespace ledgerlake::engine {

struct SourceFile {
  std::string path;         // the landed file to read (plain or gzip)
  std::string source_name;  // what rejects report as source_file (the original extract's path)
  TableId table;
  uint32_t sequence = 0;    // its landing sequence: the Ledger's id for the file
};

// Progress of the current table's load: decoded bytes so far and an estimate of the total.
using ProgressFn = std::function<void(TableId table, uint64_t done, uint64_t total)>;

// Loads every file of `table` (in the order given, skipping other tables' files) into `ledger`, appending
// rejects, in (file, line) order, to `rejects`. Fails only when a file cannot be read (I/O or gzip error) or its
// header no longer satisfies the contract; the message names the file. Only the rows `filter` keeps reach the
// Ledger or `rejects` (engine/partitioning.h); the default keeps all.
Status LoadTable(TableId table, const std::vector<SourceFile>& files, Ledger& ledger,
                 std::vector<contract::Reject>& rejects, const ProgressFn& progress = {},
                 const RowFilter& filter = {});

}  // namespace ledgerlake::engine
