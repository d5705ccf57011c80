// Line log: every accepted line item of a run (invoice, sku, quantity and the landing sequence of its file), in
// reading order, so that a later incremental run can reprice the line items of a sku whose price changed without
// reading the raw extracts again. A line is live while its file still owns its invoice's group (Ledger).
// Format: blocks of [file u32][records u32][payload bytes u32][0 u32][checksum u64][payload], the payload holding
// per line the zigzag varints of (invoice_id - previous invoice_id in the block), item_id and quantity. About 4-5
// bytes a line. Not fsynced: a block that fails its checksum makes the log unusable, and the run that needs it
// rebuilds from the raw zone.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/varint.h"

namespace ledgerlake::engine {

struct LoggedLine {
  uint32_t file;
  int64_t invoice_id;
  int64_t item_id;
  int64_t quantity;
};

class LineLogWriter {
 public:
  // Creates (truncates) `path`.
  static Result<std::unique_ptr<LineLogWriter>> Create(const std::string& path);
  ~LineLogWriter();
  LineLogWriter(const LineLogWriter&) = delete;
  LineLogWriter& operator=(const LineLogWriter&) = delete;

  void Append(uint32_t file, int64_t invoice_id, int64_t item_id, int64_t quantity) {
    if (file != file_ || payload_.size() >= kBlockBytes) Flush(file);
    // One append per line (three would each check the string's capacity).
    char buf[3 * kMaxVarintBytes];
    char* end = PutSignedVarint(buf, static_cast<int64_t>(static_cast<uint64_t>(invoice_id) - static_cast<uint64_t>(last_invoice_)));
    end = PutSignedVarint(end, item_id);
    end = PutSignedVarint(end, quantity);
    payload_.append(buf, static_cast<size_t>(end - buf));
    last_invoice_ = invoice_id;
    ++records_;
  }
  uint64_t lines() const { return lines_ + records_; }
  // Writes what is buffered and closes (without fsync: the caller makes the file durable before relying on it).
  // Reports the first write error of the log's life.
  Status Close();

 private:
  static constexpr size_t kBlockBytes = 1 << 20;
  explicit LineLogWriter(std::FILE* f, std::string path) : file_handle_(f), path_(std::move(path)) {}
  void Flush(uint32_t next_file);

  std::FILE* file_handle_;
  std::string path_;
  std::string payload_;
  uint32_t file_ = 0;
  uint32_t records_ = 0;
  uint64_t lines_ = 0;
  int64_t last_invoice_ = 0;
  bool failed_ = false;
};

// Calls f for every line of the log at `path`, in order. Fails on I/O errors and on a damaged log.
Status ReadLineLog(const std::string& path, const std::function<void(const LoggedLine&)>& f);

}  // namespace ledgerlake::engine
