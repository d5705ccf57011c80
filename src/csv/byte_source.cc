// ByteSource implementations: plain files read with read(2) straight into the caller's buffer, gzip files
// inflated with zlib (every member of a multi-member file, in order), and in-memory strings for tests.
#include "csv/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace ledgerlake::csv {
namespace {

constexpr size_t kGzipInputBytes = 1 << 20;

std::string ErrnoMessage(const std::string& path, const char* what, int err) {
  return path + ": " + what + ": " + std::strerror(err);
}

// Owns a file descriptor; reads with EINTR handled.
class File {
 public:
  File(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~File() {
    if (fd_ >= 0) ::close(fd_);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::string& path() const { return path_; }

  // Reads up to n bytes; *got == 0 means end of file.
  Status Read(char* dst, size_t n, size_t* got) {
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) {
        *got = static_cast<size_t>(r);
        return Status::OK();
      }
      if (errno != EINTR) return Status::IOError(ErrnoMessage(path_, "read failed", errno));
    }
  }

  // Reads until n bytes or end of file.
  Status ReadFull(char* dst, size_t n, size_t* got) {
    size_t total = 0;
    while (total < n) {
      size_t r = 0;
      LL_RETURN_IF_ERROR(Read(dst + total, n - total, &r));
      if (r == 0) break;
      total += r;
    }
    *got = total;
    return Status::OK();
  }

 private:
  std::string path_;
  int fd_;
};

// Plain file. `prefix` holds the bytes already read to sniff the gzip magic; they are returned first.
class PlainFileSource final : public ByteSource {
 public:
  PlainFileSource(std::unique_ptr<File> file, uint64_t size, std::string prefix)
      : file_(std::move(file)), size_(size), prefix_(std::move(prefix)), read_(prefix_.size()) {}

  Status Read(char* dst, size_t n, size_t* got) override {
    *got = 0;
    if (n == 0) return Status::OK();
    if (prefix_pos_ < prefix_.size()) {
      size_t k = std::min(n, prefix_.size() - prefix_pos_);
      std::memcpy(dst, prefix_.data() + prefix_pos_, k);
      prefix_pos_ += k;
      *got = k;
      return Status::OK();
    }
    LL_RETURN_IF_ERROR(file_->Read(dst, n, got));
    read_ += *got;
    return Status::OK();
  }
  uint64_t file_bytes() const override { return size_; }
  uint64_t file_bytes_read() const override { return read_; }
  bool compressed() const override { return false; }

 private:
  std::unique_ptr<File> file_;
  uint64_t size_;
  std::string prefix_;
  size_t prefix_pos_ = 0;
  uint64_t read_;
};

// Gzip file, one or more members. Anything that is not a complete gzip member (a truncated last member, a
// bad checksum, trailing bytes that do not start another member) is Corruption naming the file.
class GzipFileSource final : public ByteSource {
 public:
  GzipFileSource(std::unique_ptr<File> file, uint64_t size) : file_(std::move(file)), size_(size) {}
  ~GzipFileSource() override {
    if (initialized_) inflateEnd(&zs_);
  }

  // `prefix` is the bytes already read from the start of the file.
  Status Init(const std::string& prefix) {
    in_.reset(new char[kGzipInputBytes]);
    std::memcpy(in_.get(), prefix.data(), prefix.size());
    read_ = prefix.size();
    std::memset(&zs_, 0, sizeof(zs_));
    zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
    zs_.avail_in = static_cast<uInt>(prefix.size());
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) {
      return Status::IOError(file_->path() + ": cannot initialise zlib");
    }
    initialized_ = true;
    return Status::OK();
  }

  Status Read(char* dst, size_t n, size_t* got) override {
    *got = 0;
    if (!status_.ok()) return status_;
    size_t produced = 0;
    while (produced < n && !done_) {
      if (zs_.avail_in == 0 && !file_eof_) {
        Status s = FillInput();
        if (!s.ok()) return Fail(s);
      }
      if (member_done_) {
        // Between members: the end of the file is a clean end; anything else must be another member.
        if (zs_.avail_in == 0) {
          done_ = true;
          break;
        }
        if (zs_.next_in[0] != 0x1f) {
          return Fail(Status::Corruption(file_->path() + ": corrupt gzip file: unexpected data after member " +
                                         std::to_string(members_) + " at offset " +
                                         std::to_string(read_ - zs_.avail_in)));
        }
        if (inflateReset(&zs_) != Z_OK) return Fail(Status::Corruption(file_->path() + ": zlib reset failed"));
        member_done_ = false;
      }
      size_t chunk = std::min<size_t>(n - produced, 1u << 30);
      zs_.next_out = reinterpret_cast<Bytef*>(dst + produced);
      zs_.avail_out = static_cast<uInt>(chunk);
      int rc = inflate(&zs_, Z_NO_FLUSH);
      produced += chunk - zs_.avail_out;
      if (rc == Z_STREAM_END) {
        ++members_;
        member_done_ = true;
      } else if (rc == Z_BUF_ERROR) {
        // No progress possible: out of input at the end of the file, in the middle of a member.
        if (zs_.avail_in == 0 && file_eof_) {
          return Fail(Status::Corruption(file_->path() + ": truncated gzip file (unexpected end of data in member " +
                                         std::to_string(members_ + 1) + ")"));
        }
      } else if (rc != Z_OK) {
        std::string detail = zs_.msg != nullptr ? zs_.msg : ("zlib error " + std::to_string(rc));
        return Fail(Status::Corruption(file_->path() + ": corrupt gzip file: " + detail));
      }
    }
    *got = produced;
    return Status::OK();
  }

  uint64_t file_bytes() const override { return size_; }
  uint64_t file_bytes_read() const override { return read_ - zs_.avail_in; }
  bool compressed() const override { return true; }

 private:
  Status FillInput() {
    size_t got = 0;
    LL_RETURN_IF_ERROR(file_->Read(in_.get(), kGzipInputBytes, &got));
    if (got == 0) file_eof_ = true;
    read_ += got;
    zs_.next_in = reinterpret_cast<Bytef*>(in_.get());
    zs_.avail_in = static_cast<uInt>(got);
    return Status::OK();
  }
  Status Fail(Status s) {
    status_ = s;
    return s;
  }

  std::unique_ptr<File> file_;
  uint64_t size_;
  std::unique_ptr<char[]> in_;
  z_stream zs_;
  bool initialized_ = false;
  bool file_eof_ = false;
  bool member_done_ = false;  // the last inflate() finished a member; the next bytes must start another
  bool done_ = false;
  uint64_t members_ = 0;
  uint64_t read_ = 0;
  Status status_;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string bytes) : bytes_(std::move(bytes)) {}
  Status Read(char* dst, size_t n, size_t* got) override {
    size_t k = std::min(n, bytes_.size() - pos_);
    if (k > 0) std::memcpy(dst, bytes_.data() + pos_, k);
    pos_ += k;
    *got = k;
    return Status::OK();
  }
  uint64_t file_bytes() const override { return bytes_.size(); }
  uint64_t file_bytes_read() const override { return pos_; }
  bool compressed() const override { return false; }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::unique_ptr<ByteSource>> ByteSource::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(ErrnoMessage(path, "cannot open", errno));
  auto file = std::make_unique<File>(path, fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::IOError(ErrnoMessage(path, "cannot stat", errno));
  if (S_ISDIR(st.st_mode)) return Status::IOError(path + ": is a directory");
  uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
#ifdef POSIX_FADV_SEQUENTIAL
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  // Sniff the magic with read(2) rather than pread(2) so that pipes work too.
  std::string prefix(2, '\0');
  size_t got = 0;
  LL_RETURN_IF_ERROR(file->ReadFull(prefix.data(), prefix.size(), &got));
  prefix.resize(got);
  if (got == 2 && static_cast<unsigned char>(prefix[0]) == 0x1f && static_cast<unsigned char>(prefix[1]) == 0x8b) {
    auto gz = std::make_unique<GzipFileSource>(std::move(file), size);
    LL_RETURN_IF_ERROR(gz->Init(prefix));
    return std::unique_ptr<ByteSource>(std::move(gz));
  }
  return std::unique_ptr<ByteSource>(std::make_unique<PlainFileSource>(std::move(file), size, std::move(prefix)));
}

Result<std::unique_ptr<ByteSource>> ByteSource::OpenPlainAt(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(ErrnoMessage(path, "cannot open", errno));
  auto file = std::make_unique<File>(path, fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::IOError(ErrnoMessage(path, "cannot stat", errno));
  if (!S_ISREG(st.st_mode)) return Status::IOError(path + ": not a regular file");
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) return Status::IOError(ErrnoMessage(path, "cannot seek", errno));
#ifdef POSIX_FADV_SEQUENTIAL
  (void)::posix_fadvise(fd, static_cast<off_t>(offset), 0, POSIX_FADV_SEQUENTIAL);
#endif
  auto source = std::make_unique<PlainFileSource>(std::move(file), static_cast<uint64_t>(st.st_size), std::string());
  return std::unique_ptr<ByteSource>(std::move(source));
}

std::unique_ptr<ByteSource> ByteSource::FromString(std::string bytes) {
  return std::make_unique<StringSource>(std::move(bytes));
}

}  // namespace ledgerlake::csv
