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

 private:
  MappedFile(const unsigned char* data, size_t size) : data_(data), size_(size) {}
  const unsigned char* data_;
  size_t size_;
};

}  // namespace ledgerlake
