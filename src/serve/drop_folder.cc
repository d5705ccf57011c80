#include "serve/drop_folder.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ledgerlake::serve {

namespace {

namespace fs = std::filesystem;

double SteadySeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool BeingWritten(const std::string& name) {
  return name.empty() || name[0] == '.' || name.ends_with(".tmp") || name.ends_with(".part");
}

// `dir/name`, or `dir/name.1`, `.2`, ... when taken.
std::string FreeName(const std::string& dir, const std::string& name) {
  std::string path = dir + "/" + name;
  for (int i = 1; fs::exists(path) || fs::exists(path + ".reason"); ++i) path = dir + "/" + name + "." + std::to_string(i);
  return path;
}

Status Move(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return Status::IOError("cannot move " + from + " to " + to + ": " + std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace

Result<DropFolders> DropFolders::Open(const std::vector<WatchConfig>& config) {
  DropFolders d;
  d.folders_ = config;
  if (config.empty()) return d;
  d.inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  for (const WatchConfig& w : config) {
    std::error_code ec;  // the folder itself is made when missing, with landed/ and refused/ in it
    fs::create_directories(w.path + "/landed", ec);
    if (!ec) fs::create_directories(w.path + "/refused", ec);
    if (ec) return Status::IOError("watch: cannot prepare " + w.path + ": " + ec.message());
    if (d.inotify_fd_ >= 0) {
      (void)::inotify_add_watch(d.inotify_fd_, w.path.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MODIFY);
    }
  }
  return d;
}

DropFolders::DropFolders(DropFolders&& other) noexcept
    : inotify_fd_(std::exchange(other.inotify_fd_, -1)),
      folders_(std::move(other.folders_)),
      seen_(std::move(other.seen_)),
      waiting_(other.waiting_) {}

DropFolders::~DropFolders() {
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
}

std::vector<DropFolders::Ready> DropFolders::Poll(int max_wait_ms) {
  if (inotify_fd_ >= 0) {
    pollfd p{inotify_fd_, POLLIN, 0};
    if (::poll(&p, 1, max_wait_ms) > 0) {
      char buf[4096];
      while (::read(inotify_fd_, buf, sizeof buf) > 0) {
      }  // what changed does not matter: every folder is scanned below
    }
  } else {
    ::usleep(static_cast<useconds_t>(max_wait_ms) * 1000);
  }
  const double now = SteadySeconds();
  std::vector<Ready> ready;
  std::map<std::string, Seen> still;
  size_t waiting = 0;
  for (const WatchConfig& w : folders_) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(w.path, ec)) {
      const std::string name = entry.path().filename().string();
      if (BeingWritten(name)) continue;
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      const std::string path = entry.path().string();
      Seen now_seen{static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, now};
      auto it = seen_.find(path);
      if (it != seen_.end() && it->second.size == now_seen.size && it->second.mtime_ns == now_seen.mtime_ns) {
        now_seen.since = it->second.since;
      }
      if (now - now_seen.since >= w.settle_seconds) {
        ready.push_back({path, &w});
      } else {
        ++waiting;
      }
      still.emplace(path, now_seen);  // a ready file stays ready until it is moved away
    }
  }
  seen_ = std::move(still);
  waiting_ = waiting;
  return ready;
}

size_t DropFolders::waiting() const { return waiting_; }

Status DropFolders::MoveToLanded(const Ready& file) {
  const std::string name = fs::path(file.path).filename().string();
  return Move(file.path, FreeName(file.folder->path + "/landed", name));
}

Status DropFolders::MoveToRefused(const Ready& file, const std::string& reason) {
  const std::string name = fs::path(file.path).filename().string();
  const std::string to = FreeName(file.folder->path + "/refused", name);
  {
    std::ofstream out(to + ".reason");
    out << reason << "\n";
  }
  return Move(file.path, to);
}

}  // namespace ledgerlake::serve
