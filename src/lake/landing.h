// Landing: copying extracts into the lake's raw zone, immutable and content-addressed (the seed's upload
// script and raw bucket). Each landed file gets a global landing sequence number: "most recently landed" in
// data-contract.md means the highest sequence. Used by `ingest` (Land) and `run` (ListLanded).
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
// Every input is read once: hashed, copied and read record by record in the same pass. By default the pass
// just reads every record; an `inspector` reads the stream itself instead (the catalog's crawler profiles the
// file on the way) and must read it to the end, returning an error when a record cannot be read. It is called
// with the input's index among the expanded inputs (the index of its LandedFile in the result), from several
// threads at once (one input each).
using Inspector = std::function<Status(std::unique_ptr<csv::ByteSource> stream, contract::TableId table,
                                       const std::string& name, size_t index)>;
Result<std::vector<LandedFile>> Land(const Lake& lake, const std::vector<std::string>& inputs,
                                     std::optional<contract::TableId> table_override,
                                     const Inspector& inspector = {});

// Every landed file, in landing order.
Result<std::vector<LandedFile>> ListLanded(const Lake& lake);

}  // namespace ledgerlake::lake
