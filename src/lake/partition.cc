#include "lake/partition.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ledgerlake::lake {

namespace fs = std::filesystem;

namespace {

int RenameAt2(const std::string& from, const std::string& to, unsigned int flags) {
  return static_cast<int>(::syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), flags));
}

}  // namespace

Status CommitPartition(const Lake& lake, std::string_view dataset, DayNumber day, const std::string& staged_dir) {
  const std::string target = lake.partition_dir(dataset, day);
  const fs::path parent = fs::path(target).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return Status::IOError("cannot create " + parent.string() + ": " + ec.message());
  LL_RETURN_IF_ERROR(FsyncPath(staged_dir));

  if (RenameAt2(staged_dir, target, RENAME_NOREPLACE) == 0) {
    return FsyncPath(parent.string());
  }
  if (errno != EEXIST) {
    return Status::IOError("cannot move " + staged_dir + " to " + target + ": " + std::strerror(errno));
  }
  // The partition exists: exchange the two directories atomically, then drop the old one (now at staged_dir).
  if (RenameAt2(staged_dir, target, RENAME_EXCHANGE) != 0) {
    return Status::IOError("cannot swap " + staged_dir + " with " + target + ": " + std::strerror(errno));
  }
  LL_RETURN_IF_ERROR(FsyncPath(parent.string()));
  fs::remove_all(staged_dir, ec);
  return Status::OK();
}

void CleanStaging(const Lake& lake) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(lake.tmp_dir(), ec)) fs::remove_all(entry.path(), ec);
}

}  // namespace ledgerlake::lake
