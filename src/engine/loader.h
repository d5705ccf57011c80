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
#include "engine/spill.h"
#include "util/status.h"

namespace ledgerlake::engine {

struct SourceFile {
  std::string path;         // the landed file to read (plain or gzip)
  std::string source_name;  // what rejects report as source_file (the original extract's path)
  TableId table;
  uint32_t sequence = 0;    // its landing sequence: the Ledger's id for the file
  std::string line_map{};   // a spilled file (engine/spill.h): its line map; empty for a landed file
  // The SHA-256 of its decoded content recorded when it was landed: the loader checks the file against it while
  // reading (the raw zone is immutable; a file changed by hand fails the load). Empty: not checked.
  std::string sha256{};
};

// Progress of the current table's load: decoded bytes so far and an estimate of the total.
using ProgressFn = std::function<void(TableId table, uint64_t done, uint64_t total)>;

// Loads every file of `table` (in the order given, skipping other tables' files) into `ledger`, appending
// rejects, in (file, line) order, to `rejects`. Fails only when a file cannot be read (I/O or gzip error) or its
// header no longer satisfies the contract, or its content no longer matches its recorded SHA-256 (Corruption); the
// message names the file. Files with an empty path are skipped.
// Only the rows `filter` keeps reach the Ledger or `rejects` (engine/partitioning.h; the default keeps all); in
// pass 0 of a partitioned run, the rows of other buckets go to `spill`.
Status LoadTable(TableId table, const std::vector<SourceFile>& files, Ledger& ledger,
                 std::vector<contract::Reject>& rejects, const ProgressFn& progress = {},
                 const RowFilter& filter = {}, Spill* spill = nullptr);

}  // namespace ledgerlake::engine
