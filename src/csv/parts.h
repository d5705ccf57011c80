// Reading a plain CSV file in parts, side by side on several cores, with exactly the records, fields, errors and
// line numbers that one RecordReader reading the file from its start would give.
//
// Where a part starts is a guess: the first line start at or after an even cut of the file. The guess is wrong
// when the cut falls inside a quoted field that spans lines (the line start is then inside a record). Each part
// is therefore read speculatively, and checked afterwards against the part before it: part k stops at the first
// record starting at or after part k+1's start, and that record must be the first record part k+1 read. The
// reader keeps no state from one record to the next (a record's fields, errors and resynchronisation depend only
// on its own bytes and the header's field count), so once both readers stand at the same record start they agree
// on everything after it. When they disagree, part k+1 is read again from where part k stopped, which is a true
// record start. Used by the crawler at ingest (catalog/crawler.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "csv/record_reader.h"
#include "util/status.h"
#include "util/task_pool.h"

namespace ledgerlake::csv {

// Where a plain CSV file's records begin, from a RecordReader that has read the header.
struct FileLayout {
  uint64_t data_begin = 0;  // offset of the first byte after the header record (a BOM included)
  uint64_t first_line = 1;  // the physical line there
  size_t fields = 0;        // the header's field count
  uint64_t file_bytes = 0;
};

// Reads the header of the plain file at `path`: its names into *header, and where its records begin.
Result<FileLayout> ReadLayout(const std::string& path, std::vector<std::string>* header);

// What ReadInParts hands the records to. Calls for one part come from one thread at a time, in file order;
// calls for different parts may come from different threads at once.
class PartVisitor {
 public:
  virtual ~PartVisitor() = default;
  // The first `n` records of `batch` (n >= 1) are the next records of part `part`. Their line numbers and
  // offsets count from the part's start: line 1 is the line returned for the part by ReadInParts.
  virtual void Records(size_t part, const RecordBatch& batch, size_t n) = 0;
  // Forget what Records said about `part`: it is read again, from a different start.
  virtual void Restart(size_t part) = 0;
};

struct PartStart {
  uint64_t offset = 0;  // where the part's reading started
  uint64_t line = 1;    // the physical line there: a record's line in the file is line + its part line - 1
};

// Reads the records of the plain file at `path` (laid out as `layout`) as `parts` consecutive parts on `pool`.
// Every record is handed to `visitor` exactly once (after any Restart of its part). Fails with the first error
// any part's reader met; the caller may then read the file from its start for the error the whole-file reader
// gives (a part's reader may fail on a record past its end, or before an earlier part would have).
Result<std::vector<PartStart>> ReadInParts(const std::string& path, const FileLayout& layout, size_t parts,
                                           TaskPool& pool, PartVisitor& visitor);

// A number of parts for `bytes` of records on `threads` threads: 1 below 32 MiB, else about 16 MiB each, at
// most 16 per thread.
size_t PartsFor(uint64_t bytes, size_t threads);

}  // namespace ledgerlake::csv
