// Landing: copying extracts into the lake's raw zone, immutable and content-addressed (the seed's upload
// script and raw bucket). Each landed file gets a global landing sequence number: "most recently landed" in
// docs/data-contract.md means the highest sequence. Used by `ingest` (Land) and `run` (ListLanded).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "contract/schema.h"
#include "csv/byte_source.h"
#include "lake/lake.h"
#include "util/task_pool.h"

namespace ledgerlake::lake {

struct LandedFile {
  uint64_t sequence = 0;       // global landing order, from 1
  contract::TableId table{};
  std::string path;            // the file in the raw zone
  std::string source;          // the extract's path as given to ingest (absolute)
  std::string sha256;          // of the decoded (uncompressed) content
  uint64_t bytes = 0;          // size on disk
  uint64_t decoded_bytes = 0;  // size uncompressed
  bool gzip = false;
  int64_t landed_unix = 0;
  std::vector<std::string> unknown_columns;
  bool newly_landed = false;   // false when the same content was already in the lake (a no-op)
};

// Lands `inputs` (files, or directories whose *.csv and *.csv.gz files are taken in name order). The table is
// `table_override` when given, else the file name, else the header. All or nothing: every file is read in
// full, decoded and checked (readable, text, gzip intact, required columns present) before any is made
// visible; on failure the raw zone is unchanged and the message names the file. The caller holds the lake lock.
//
// Every input is read in full by `inspector` (the catalog's crawler, which profiles the file on the way; by
// default each record is just read), so that a run never fails on a file ingest accepted; it returns an error
// when a record cannot be read. A plain input is
// first copied into the lake's tmp dir and hashed in one pass, and the inspector reads that copy, which nobody
// else writes, in parts side by side on landing's threads (`pool`). A gzip input is decoded once: the inspector
// reads the decoded stream while it is hashed (and proves the file intact). The inspector is called from
// several threads at once (one input each), with the input's index among the expanded inputs (the index of its
// LandedFile in the result).
struct Inspection {
  contract::TableId table{};
  std::string name;                         // the input as given, for messages
  size_t index = 0;
  std::unique_ptr<csv::ByteSource> stream;  // gzip inputs: the decoded stream, to be read to its end
  std::string plain_copy;                   // plain inputs: the staged copy, to be read to its end
  TaskPool* pool = nullptr;
};
using Inspector = std::function<Status(Inspection& input)>;
Result<std::vector<LandedFile>> Land(const Lake& lake, const std::vector<std::string>& inputs,
                                     std::optional<contract::TableId> table_override,
                                     const Inspector& inspector = {});

// Every landed file, in landing order.
Result<std::vector<LandedFile>> ListLanded(const Lake& lake);

}  // namespace ledgerlake::lake
