// Verify: the lake's files against what the catalog recorded when they were written. Landed extracts are checked
// against their size and content hash (SHA-256 of the decoded content), committed partition files against their
// size and SHA-256 as written. Used by `ledgerlake verify`, cheaply (sizes only) by every run before it starts,
// and by a query whose files fail to read, to name the damaged one.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "lake/lake.h"

namespace ledgerlake::catalog {

struct Damage {
  enum class Zone { kRaw, kProcessed };
  Zone zone = Zone::kProcessed;
  std::string path;  // relative to the lake root
  std::string what;  // "missing", "120 bytes where 4096 were written", "its content differs from ..."
  // A partition file: the partition it belongs to.
  std::string dataset;
  DayNumber day = 0;
  int64_t run_id = 0;
  // A landed file: its landing sequence and the extract it came from.
  uint64_t sequence = 0;
  std::string source;
};

enum class VerifyDepth {
  kSizes,      // existence and size: a stat per file
  kChecksums,  // and every byte, against the recorded SHA-256
};

struct VerifyScope {
  bool raw = true;        // the landed extracts
  bool processed = true;  // the committed partitions' files
};

struct Verification {
  size_t raw_files = 0;        // checked
  size_t partition_files = 0;  // checked
  std::vector<Damage> damaged;  // raw ones first (in landing order), then partition files (by dataset and day)
};

// Checks the lake's files. Fails only when the catalog cannot be read.
Result<Verification> VerifyLake(const lake::Lake& lake, Catalog& catalog, VerifyDepth depth, VerifyScope scope = {});

// One line about a damaged file, for messages: "<path> (<dataset> of <day>): <what>".
std::string DamageLine(const Damage& d);

}  // namespace ledgerlake::catalog
