#include "lake/partition.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace ledgerlake::lake {

namespace fs = std::filesystem;

std::string PartitionFile(const Lake& lake, std::string_view dataset, DayNumber day, std::string_view token) {
  return lake.partition_dir(dataset, day) + "/part-" + std::string(token) + ".parquet";
}

Status PublishFile(const std::string& tmp, const std::string& path) {
  LL_RETURN_IF_ERROR(FsyncPath(tmp));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
  }
  return FsyncPath(fs::path(path).parent_path().string());
}

size_t RemoveUnreferenced(const Lake& lake, const std::set<std::string>& keep) {
  std::error_code ec;
  size_t deferred = 0;
  const std::optional<ReadersGone> no_readers = ReadersGone::TryAcquire(lake);
  for (const std::string& zone : {lake.processed_dir(), lake.state_dir()}) {
    const bool readers_may_need = zone == lake.processed_dir() && !no_readers;
    std::vector<fs::path> files, dirs;
    for (auto it = fs::recursive_directory_iterator(zone, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory(ec)) {
        dirs.push_back(it->path());
      } else if (!keep.contains(it->path().string())) {
        files.push_back(it->path());
      }
    }
    if (readers_may_need) {
      deferred += files.size();
      continue;
    }
    for (const fs::path& f : files) fs::remove(f, ec);
    // Deepest first, so that a day's directory goes before its month's.
    for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) {
      if (fs::is_empty(*d, ec)) fs::remove(*d, ec);
    }
  }
  for (const auto& entry : fs::directory_iterator(lake.tmp_dir(), ec)) fs::remove_all(entry.path(), ec);
  return deferred;
}

}  // namespace ledgerlake::lake
