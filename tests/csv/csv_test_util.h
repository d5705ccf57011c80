// Helpers for the csv/ tests: read a whole input through RecordReader into plain values, check the tiling
// invariant of record_reader.h, and an independent, deliberately naive reference parser of the dialect
// (docs/data-contract.md + the resynchronisation rule of record_reader.h) for differential fuzzing.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "csv/byte_source.h"
#include "csv/record_reader.h"

namespace ledgerlake::csv::testing {

using Value = std::optional<std::string>;  // nullopt = NULL (empty unquoted field)

struct Rec {
  uint64_t line = 0;
  uint64_t offset = 0;
  uint32_t consumed = 0;
  std::string raw;
  RecordError error = RecordError::kNone;
  std::vector<Value> fields;
  std::vector<FieldKind> kinds;

  bool operator==(const Rec& o) const {
    return line == o.line && offset == o.offset && consumed == o.consumed && raw == o.raw && error == o.error &&
           fields == o.fields;
  }
};

std::ostream& operator<<(std::ostream& os, const Rec& r);

struct ReadOut {
  Status header_status;
  std::vector<std::string> header;
  uint64_t header_end = 0;           // bytes_consumed() right after ReadHeader (BOM included)
  uint64_t header_blank_lines = 0;   // blank lines before the header
  std::vector<Rec> records;
  Status status;                     // first failing NextBatch, or OK
  uint64_t blank_lines = 0;
  uint64_t bytes_consumed = 0;
  size_t batches = 0;
};

// Record i of `batch` as plain values.
Rec ToRec(const RecordBatch& batch, size_t i);

// Reads everything: ReadHeader, then NextBatch until the end or an error. Checks per-batch structure
// (batch size limit, spans inside the record, raw text consistent with the fields) as it goes.
ReadOut ReadAll(std::unique_ptr<ByteSource> source, const ReaderOptions& options = {});
inline ReadOut ReadAll(const std::string& input, const ReaderOptions& options = {}) {
  return ReadAll(ByteSource::FromString(input), options);
}

// Asserts the tiling guarantee: with `input` the whole decoded stream (BOM included), the skipped blank lines,
// the header and the records cover the stream after the BOM exactly, in order, with line = 1 + LFs before.
void ExpectTiling(const std::string& input, const ReadOut& out);

// The reference reader: a direct, character-at-a-time transcription of the contract.
struct RefOut {
  bool header_ok = false;
  std::vector<std::string> header;
  std::vector<Rec> records;
  bool fatal = false;  // a physical line longer than max_record_bytes was reached
  uint64_t blank_lines = 0;
};
RefOut RefRead(const std::string& input, size_t max_record_bytes);
bool RefUtf8(std::string_view s);

// Expects the reader's output to equal the reference's.
void ExpectSameAsReference(const std::string& input, const ReaderOptions& options);

// An expected record, for tables of expectations.
inline Rec R(uint64_t line, uint64_t offset, uint32_t consumed, std::string raw, std::vector<Value> fields,
             RecordError error = RecordError::kNone) {
  Rec r;
  r.line = line;
  r.offset = offset;
  r.consumed = consumed;
  r.raw = std::move(raw);
  r.fields = std::move(fields);
  r.error = error;
  return r;
}

}  // namespace ledgerlake::csv::testing
