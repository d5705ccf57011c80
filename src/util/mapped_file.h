// MappedFile: a whole file mapped read-only into memory, unmapped when destroyed. Lets a reader keep the large
// parts of a file where they are (in the page cache) and decode only what it needs of them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "util/status.h"

namespace ledgerlake {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  // Drops the pages wholly inside [from, from + n) (a range of this mapping) from the process's memory: they are
  // read again from the page cache, unchanged, when next touched. For a large file read once in parts, so that
  // it does not stay in the process's resident memory (and count against its memory limit) after each part.
  void Release(const unsigned char* from, size_t n) const;

 private:
  MappedFile(const unsigned char* data, size_t size) : data_(data), size_(size) {}
  const unsigned char* data_;
  size_t size_;
};

}  // namespace ledgerlake
