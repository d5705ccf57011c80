#include "csv/parts.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "util/unique_fd.h"

namespace ledgerlake::csv {

namespace {

// How reading one part went.
struct Outcome {
  uint64_t first = 0;       // offset of the first record the part's reader met (past the end too), or EOF
  uint64_t first_line = 1;  // its line, counted from the part's start
  uint64_t next = 0;        // offset of the first record at or after the part's stop, or EOF
  uint64_t next_line = 1;   // its line, counted from the part's start
  Status status;
};

// Reads the records starting in [begin, stop) and the first one after (to know where the next part begins).
Outcome ReadPart(const std::string& path, uint64_t begin, uint64_t stop, const FileLayout& layout, size_t part,
                 PartVisitor& visitor) {
  Outcome o;
  o.first = o.next = layout.file_bytes;
  auto source = ByteSource::OpenPlainAt(path, begin);
  if (!source.ok()) {
    o.status = source.status();
    return o;
  }
  RecordReader reader(std::move(*source));
  reader.StartWithoutHeader(layout.fields);
  RecordBatch batch;
  bool seen = false;
  for (;;) {
    Status st = reader.NextBatch(batch);
    if (!st.ok()) {
      o.status = st;
      return o;
    }
    if (batch.size() == 0) break;
    if (!seen) {
      seen = true;
      o.first = begin + batch.record(0).offset;
      o.first_line = batch.record(0).line;
    }
    size_t n = 0;
    while (n < batch.size() && begin + batch.record(n).offset < stop) ++n;
    if (n > 0) visitor.Records(part, batch, n);
    if (n < batch.size()) {
      o.next = begin + batch.record(n).offset;
      o.next_line = batch.record(n).line;
      return o;
    }
  }
  o.next_line = reader.line();
  if (!seen) o.first_line = o.next_line;
  return o;
}

// The first line start at or after `at`: just past the first LF in [at - 1, EOF), or EOF.
Result<uint64_t> LineStartFrom(const std::string& path, uint64_t at, uint64_t file_bytes) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::IOError(path + ": cannot open: " + std::strerror(errno));
  char buf[1 << 16];
  uint64_t pos = at - 1;
  while (pos < file_bytes) {
    const ssize_t got = ::pread(fd.get(), buf, sizeof buf, static_cast<off_t>(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Status::IOError(path + ": read failed: " + std::strerror(errno));
    if (got == 0) break;
    const void* lf = std::memchr(buf, '\n', static_cast<size_t>(got));
    if (lf != nullptr) return pos + static_cast<uint64_t>(static_cast<const char*>(lf) - buf) + 1;
    pos += static_cast<uint64_t>(got);
  }
  return file_bytes;
}

}  // namespace

Result<FileLayout> ReadLayout(const std::string& path, std::vector<std::string>* header) {
  auto source = ByteSource::Open(path);
  if (!source.ok()) return source.status();
  if ((*source)->compressed()) return Status::InvalidArgument(path + ": a gzip file cannot be read in parts");
  FileLayout layout;
  layout.file_bytes = (*source)->file_bytes();
  RecordReader reader(std::move(*source));
  LL_RETURN_IF_ERROR(reader.ReadHeader());
  *header = reader.header();
  layout.data_begin = reader.bytes_consumed();
  layout.first_line = reader.line();
  layout.fields = header->size();
  return layout;
}

Result<std::vector<PartStart>> ReadInParts(const std::string& path, const FileLayout& layout, size_t parts,
                                           TaskPool& pool, PartVisitor& visitor) {
  parts = std::max<size_t>(parts, 1);
  const uint64_t data = layout.file_bytes > layout.data_begin ? layout.file_bytes - layout.data_begin : 0;
  // Guessed starts: line starts after even cuts. Part k reads the records starting in [begin[k], begin[k + 1]).
  std::vector<uint64_t> begin(parts + 1, layout.file_bytes);
  begin[0] = layout.data_begin;
  for (size_t k = 1; k < parts; ++k) {
    const uint64_t cut = layout.data_begin + data / parts * k;
    auto start = LineStartFrom(path, std::max(cut, begin[k - 1] + 1), layout.file_bytes);
    if (!start.ok()) return start.status();
    begin[k] = std::min(*start, layout.file_bytes);
  }
  std::vector<Outcome> out(parts);
  pool.ParallelFor(parts, [&](size_t k) { out[k] = ReadPart(path, begin[k], begin[k + 1], layout, k, visitor); });

  // Check each part against the one before it, in order, reading again from the true start when they disagree.
  std::vector<PartStart> starts(parts);
  starts[0] = PartStart{layout.data_begin, layout.first_line};
  for (size_t k = 0; k < parts; ++k) {
    if (!out[k].status.ok()) return out[k].status;
    if (k + 1 == parts) break;
    if (out[k + 1].first != out[k].next) {
      visitor.Restart(k + 1);
      begin[k + 1] = out[k].next;
      out[k + 1] = ReadPart(path, begin[k + 1], std::max(begin[k + 1], begin[k + 2]), layout, k + 1, visitor);
    }
    // The record part k stopped at is part k+1's first: its line in both counts gives part k+1's first line.
    starts[k + 1] = PartStart{begin[k + 1], starts[k].line + out[k].next_line - out[k + 1].first_line};
  }
  return starts;
}

size_t PartsFor(uint64_t bytes, size_t threads) {
  constexpr uint64_t kPartBytes = uint64_t{16} << 20;
  if (bytes < 2 * kPartBytes) return 1;
  return static_cast<size_t>(std::min<uint64_t>(bytes / kPartBytes, 16 * std::max<size_t>(threads, 1)));
}

}  // namespace ledgerlake::csv
