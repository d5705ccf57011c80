// ByteSource: a file's bytes as a stream, transparently gunzipped when the file starts with the gzip magic.
// The reader (csv/record_reader.h), the lander (lake/) and the hasher read every extract through it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "util/status.h"

namespace ledgerlake::csv {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Opens `path`: plain bytes, or gzip (one or more members) when it starts with 1f 8b. Fails with a message
  // naming the file when it cannot be opened.
  static Result<std::unique_ptr<ByteSource>> Open(const std::string& path);
  // The bytes of the plain file `path` from `offset` to its end, as they are (no gzip detection): a part of a
  // file read side by side with others (csv/parts.h).
  static Result<std::unique_ptr<ByteSource>> OpenPlainAt(const std::string& path, uint64_t offset);
  // A source over bytes in memory (tests).
  static std::unique_ptr<ByteSource> FromString(std::string bytes);

  // Reads up to n decoded bytes into dst; sets *got to 0 at the end of the stream. A truncated or corrupt gzip
  // stream is an error (Corruption), never a silent end.
  virtual Status Read(char* dst, size_t n, size_t* got) = 0;

  virtual uint64_t file_bytes() const = 0;       // size of the file on disk (compressed size for gzip)
  virtual uint64_t file_bytes_read() const = 0;  // how far into the file we are (for progress)
  virtual bool compressed() const = 0;
};

}  // namespace ledgerlake::csv
