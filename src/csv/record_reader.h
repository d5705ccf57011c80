// Streaming RFC 4180 record reader for raw extracts: the one place that knows the CSV dialect of
// docs/data-contract.md. Written by hand (not a library) because it is the hot path and because the contract
// needs exact line numbers, raw record text and resynchronisation after broken records.
// Used by contract/ (typed validation), lake/ (header sniffing at ingest) and tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv/byte_source.h"
#include "util/status.h"

namespace ledgerlake::csv {

// What is wrong with a record at the dialect level. Column-count checks belong to the caller.
enum class RecordError : uint8_t {
  kNone = 0,
  kUnterminatedQuote,  // an opening quote never closed: the record is the single physical line it started on,
                       // with no fields (field_count == 0)
  kInvalidUtf8,        // the record's bytes are not valid UTF-8 (fields are still split)
};

// How to turn a field's bytes into its value.
enum class FieldKind : uint8_t {
  kPlain = 0,   // value is the span as is (an empty plain field is NULL)
  kQuoted,      // the span is already the content between the quotes, with no doubled quotes inside
  kEscaped,     // the span is the raw field including its quotes; call Unescape() to get the value
};

struct FieldSpan {
  uint32_t begin;  // offset into RecordBatch::data()
  uint32_t end;
  FieldKind kind;
};

struct RecordInfo {
  uint64_t line;          // 1-based physical line where the record starts
  uint64_t offset;        // byte offset of the record's first byte in the decoded stream (after the BOM)
  uint32_t raw_begin;     // the record's text, without its line terminator, as offsets into data()
  uint32_t raw_end;
  uint32_t consumed;      // bytes the record took in the stream, terminator included
  uint32_t first_field;   // index into RecordBatch::fields()
  uint32_t field_count;
  RecordError error;
};

// A batch of consecutive records. Its memory belongs to the reader and stays valid until the next NextBatch().
class RecordBatch {
 public:
  size_t size() const { return records_.size(); }
  const RecordInfo& record(size_t i) const { return records_[i]; }
  std::string_view raw(size_t i) const {
    const RecordInfo& r = records_[i];
    return std::string_view(data_ + r.raw_begin, r.raw_end - r.raw_begin);
  }
  const FieldSpan& field(size_t record_index, size_t field_index) const {
    return fields_[records_[record_index].first_field + field_index];
  }
  std::string_view span(const FieldSpan& f) const { return std::string_view(data_ + f.begin, f.end - f.begin); }
  // The field's value; `scratch` is used only for kEscaped fields. A plain empty field is NULL: see IsNull.
  std::string_view Value(const FieldSpan& f, std::string& scratch) const {
    return f.kind == FieldKind::kEscaped ? Unescaped(f, scratch) : span(f);
  }
  static bool IsNull(const FieldSpan& f) { return f.kind == FieldKind::kPlain && f.begin == f.end; }
  // Whether the 8 bytes from the field's start may be read (as one word; those past the field's end are not
  // part of it and have no meaning): lets a short number be parsed without a loop (contract/values.h).
  bool CanReadWord(const FieldSpan& f) const { return f.begin + 8 <= readable_; }

  // For the reader only: the batch's bytes, of which the first `readable` may be read.
  void Reset(const char* data, size_t readable) {
    data_ = data;
    readable_ = readable;
    records_.clear();
    fields_.clear();
  }
  std::vector<RecordInfo>& mutable_records() { return records_; }
  std::vector<FieldSpan>& mutable_fields() { return fields_; }

 private:
  std::string_view Unescaped(const FieldSpan& f, std::string& scratch) const;

  const char* data_ = nullptr;
  size_t readable_ = 0;
  std::vector<RecordInfo> records_;
  std::vector<FieldSpan> fields_;
};

// Decodes a kEscaped raw field (starting with a quote): inside quotes "" is one quote; a quote followed by
// anything else closes the quoted part; everything after that, quotes included, is taken literally.
void Unescape(std::string_view raw_field, std::string& out);

struct ReaderOptions {
  size_t batch_records = 4096;             // records per NextBatch
  size_t buffer_bytes = 1 << 20;           // initial read buffer; grows for long records
  size_t max_record_bytes = 64u << 20;     // a quoted field growing past this is treated as unterminated;
                                           // a single physical line longer than this fails the stream
};

// Reads records from a ByteSource.
// Dialect: comma separator, '"' quoting with doubled quotes, quoted fields may hold commas, CR and LF; records
// end in LF or CRLF; a UTF-8 BOM at the start is skipped; the last record may lack its terminator; blank lines
// (nothing but a terminator) are skipped and counted, not returned. A quote inside an unquoted field is a literal
// character.
// Resynchronisation: the first record is the header and fixes the expected field count. When a record whose
// quoted field spans line breaks ends with a different field count, or the stream ends inside quotes, or a
// record exceeds max_record_bytes, the opening quote is taken as broken: the reader returns the single
// physical line the record started on as a kUnterminatedQuote record and resumes at the next physical line.
// Guarantee: the returned records plus the skipped blank lines tile the stream exactly, in order, with exact
// line numbers; nothing is dropped and no later record is shifted.
class RecordReader {
 public:
  RecordReader(std::unique_ptr<ByteSource> source, ReaderOptions options = {});
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Reads the header record. Must be called once before NextBatch. Fails on an I/O or gzip error, an empty
  // stream, or a header that is not valid UTF-8 or contains NUL bytes (the file is not CSV text).
  Status ReadHeader();
  const std::vector<std::string>& header() const { return header_; }  // unescaped header names

  // Instead of ReadHeader, for a stream that starts at a record boundary inside a file (a part read side by
  // side with others, csv/parts.h): records are expected to have `fields` fields, no BOM is looked for, and
  // line numbers and offsets count from the stream's start (line 1, offset 0).
  void StartWithoutHeader(size_t fields);

  // The physical line the next record starts on (after ReadHeader: the first line after the header).
  uint64_t line() const;

  // Fills `batch` with the next records: at most batch_records, fewer when the read buffer ends (a batch never
  // spans two buffer fills); batch.size() == 0 means end of stream. Fails on I/O/gzip errors, and with
  // Corruption on a physical line longer than max_record_bytes (the records before it come first).
  Status NextBatch(RecordBatch& batch);

  uint64_t blank_lines() const { return blank_lines_; }
  uint64_t bytes_consumed() const;  // decoded bytes consumed so far (for progress)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> header_;
  uint64_t blank_lines_ = 0;
};

}  // namespace ledgerlake::csv
