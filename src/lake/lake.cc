#include "lake/lake.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace ledgerlake::lake {

namespace fs = std::filesystem;

namespace {
constexpr int kFormatVersion = 1;
const char* kMarker = "/ledgerlake.json";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }
}  // namespace

std::string Lake::partition_dir(std::string_view dataset, DayNumber day) const {
  const CivilDate c = CivilFromDays(day);
  char buf[80];
  std::snprintf(buf, sizeof buf, "/ingest_year=%04d/ingest_month=%02d/ingest_day=%02d", c.year, c.month, c.day);
  return dataset_dir(dataset) + buf;
}

Result<Lake> Lake::Init(const std::string& root) {
  std::error_code ec;
  if (fs::exists(root + kMarker, ec)) return Lake(root);
  if (fs::exists(root, ec) && !fs::is_directory(root, ec)) {
    return Status::InvalidArgument("cannot create a lake at " + root + ": it is a file, not a directory");
  }
  if (fs::exists(root, ec) && !fs::is_empty(root, ec)) {
    return Status::InvalidArgument("cannot create a lake in " + root + ": the directory is not empty");
  }
  for (const char* sub : {"/raw", "/processed", "/state", "/tmp"}) {
    fs::create_directories(root + sub, ec);
    if (ec) return Status::IOError("cannot create " + root + sub + ": " + ec.message());
  }
  nlohmann::json marker = {{"format", kFormatVersion}, {"created_unix", static_cast<int64_t>(std::time(nullptr))}};
  for (const char* file : {"/LOCK", "/READERS"}) {  // readers may lack the right to create them later
    const int fd = ::open((root + file).c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError(Errno("cannot create " + root + file));
    ::close(fd);
  }
  LL_RETURN_IF_ERROR(WriteFileAtomic(root + kMarker, marker.dump(2) + "\n", root + "/tmp"));
  return Lake(root);
}

Result<Lake> Lake::Open(const std::string& root) {
  std::ifstream in(root + kMarker);
  if (!in) {
    return Status::NotFound("no lake at " + root + " (run `ledgerlake --lake " + root + " init` to create one)");
  }
  nlohmann::json marker = nlohmann::json::parse(in, nullptr, false);
  if (marker.is_discarded() || !marker.contains("format") || !marker["format"].is_number_integer()) {
    return Status::Corruption(root + kMarker + " is not a ledgerlake marker");
  }
  if (marker["format"].get<int>() > kFormatVersion) {
    return Status::InvalidArgument("the lake at " + root + " has a newer format; upgrade ledgerlake");
  }
  std::error_code ec;
  for (const char* sub : {"/raw", "/processed", "/state", "/tmp"}) fs::create_directories(root + sub, ec);
  return Lake(root);
}

Result<LakeLock> LakeLock::Acquire(const Lake& lake, void (*on_wait)()) {
  const std::string path = lake.root() + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(Errno("cannot open " + path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) {
      ::close(fd);
      return Status::IOError(Errno("cannot lock " + path));
    }
    if (on_wait) on_wait();
    if (::flock(fd, LOCK_EX) != 0) {
      ::close(fd);
      return Status::IOError(Errno("cannot lock " + path));
    }
  }
  return LakeLock(fd);
}

Result<LakeLock> LakeLock::TryAcquire(const Lake& lake) {
  const std::string path = lake.root() + "/LOCK";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(Errno("cannot open " + path));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const bool busy = errno == EWOULDBLOCK;
    ::close(fd);
    if (busy) return Status::Busy("another ledgerlake process is working on the lake at " + lake.root() + "; not waiting (--no-wait)");
    return Status::IOError(Errno("cannot lock " + path));
  }
  return LakeLock(fd);
}

LakeLock::~LakeLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

ReadLease ReadLease::Acquire(const Lake& lake) {
  const std::string path = lake.root() + "/READERS";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ReadLease(-1);
  while (::flock(fd, LOCK_SH) != 0) {
    if (errno != EINTR) {
      ::close(fd);
      return ReadLease(-1);
    }
  }
  return ReadLease(fd);
}

ReadLease& ReadLease::operator=(ReadLease&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ReadLease::~ReadLease() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<ReadersGone> ReadersGone::TryAcquire(const Lake& lake) {
  const std::string path = lake.root() + "/READERS";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return std::nullopt;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  return ReadersGone(fd);
}

ReadersGone::~ReadersGone() {
  if (fd_ >= 0) ::close(fd_);
}

Status FsyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(Errno("cannot open " + path));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::IOError(Errno("cannot fsync " + path));
  return Status::OK();
}

Status WriteFileAtomic(const std::string& path, std::string_view content, const std::string& tmp_dir) {
  const std::string tmp = tmp_dir + "/write-" + std::to_string(::getpid()) + "-" + fs::path(path).filename().string();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) return Status::IOError("cannot write " + tmp);
  }
  LL_RETURN_IF_ERROR(FsyncPath(tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::IOError(Errno("cannot rename " + tmp + " to " + path));
  return FsyncPath(fs::path(path).parent_path().string());
}

}  // namespace ledgerlake::lake
