#include "engine/line_log.h"

#include <cstring>

#include "util/stream_hash.h"

namespace ledgerlake::engine {

Result<std::unique_ptr<LineLogWriter>> LineLogWriter::Create(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  return std::unique_ptr<LineLogWriter>(new LineLogWriter(f, path));
}

LineLogWriter::~LineLogWriter() {
  if (file_handle_ != nullptr) std::fclose(file_handle_);
}

void LineLogWriter::Flush(uint32_t next_file) {
  if (records_ > 0 && !failed_) {
    StreamHash hash;
    hash.Update(payload_.data(), payload_.size());
    const uint64_t sum = hash.Final();
    const uint32_t header[6] = {file_, records_, static_cast<uint32_t>(payload_.size()), 0,
                                static_cast<uint32_t>(sum), static_cast<uint32_t>(sum >> 32)};
    failed_ = std::fwrite(header, sizeof header, 1, file_handle_) != 1 ||
              std::fwrite(payload_.data(), 1, payload_.size(), file_handle_) != payload_.size();
  }
  lines_ += records_;
  records_ = 0;
  payload_.clear();
  file_ = next_file;
  last_invoice_ = 0;
}

Status LineLogWriter::Close() {
  Flush(0);
  const bool ok = !failed_ && std::fflush(file_handle_) == 0;
  const bool closed = std::fclose(file_handle_) == 0;
  file_handle_ = nullptr;
  if (!ok || !closed) return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
  return Status::OK();
}

Status ReadLineLog(const std::string& path, const std::function<void(const LoggedLine&)>& f) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  std::string payload;
  Status st;
  for (;;) {
    uint32_t header[6];
    const size_t got = std::fread(header, 1, sizeof header, file);
    if (got == 0) break;
    payload.resize(header[2]);
    if (got != sizeof header || std::fread(payload.data(), 1, payload.size(), file) != payload.size()) {
      st = Status::Corruption(path + ": truncated line log");
      break;
    }
    StreamHash hash;
    hash.Update(payload.data(), payload.size());
    if (hash.Final() != (static_cast<uint64_t>(header[5]) << 32 | header[4])) {
      st = Status::Corruption(path + ": checksum mismatch (a damaged line log)");
      break;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(payload.data());
    const auto* end = p + payload.size();
    LoggedLine line{header[0], 0, 0, 0};
    for (uint32_t r = 0; r < header[1]; ++r) {
      int64_t delta = 0;
      if (!GetSignedVarint(p, end, &delta) || !GetSignedVarint(p, end, &line.item_id) ||
          !GetSignedVarint(p, end, &line.quantity)) {
        st = Status::Corruption(path + ": damaged line log");
        break;
      }
      line.invoice_id = static_cast<int64_t>(static_cast<uint64_t>(line.invoice_id) + static_cast<uint64_t>(delta));
      f(line);
    }
    if (!st.ok()) break;
    if (p != end) {
      st = Status::Corruption(path + ": damaged line log");
      break;
    }
  }
  if (st.ok() && std::ferror(file)) st = Status::IOError("cannot read " + path);
  std::fclose(file);
  return st;
}

}  // namespace ledgerlake::engine
