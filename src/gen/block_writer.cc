#include "gen/block_writer.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

namespace ledgerlake::gen {
namespace {

// Generated extracts are for tests and benchmarks: favour speed over the last few percent of size.
constexpr int kGzipLevel = 1;

// Compresses `text` as one complete gzip member (no name, mtime 0: the bytes depend on the input only).
Status GzipMember(const std::string& text, std::string* out) {
  z_stream zs{};
  if (deflateInit2(&zs, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::IOError("gzip: cannot initialise deflate");
  }
  out->resize(deflateBound(&zs, static_cast<uLong>(text.size())));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out->data());
  zs.avail_out = static_cast<uInt>(out->size());
  const int rc = deflate(&zs, Z_FINISH);
  out->resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END ? Status::OK() : Status::IOError("gzip: deflate did not finish");
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

}  // namespace

Result<std::vector<GeneratedFile>> WriteBlocks(const std::vector<OutputFile>& files, int64_t blocks, int threads,
                                               bool gzip, const BlockMaker& make_block) {
  std::vector<FilePtr> handles;
  std::vector<GeneratedFile> results;
  for (const OutputFile& f : files) {
    const std::string tmp = f.path + ".tmp";
    handles.emplace_back(std::fopen(tmp.c_str(), "wb"));
    if (!handles.back()) return Status::IOError("cannot create " + tmp);
    results.push_back(GeneratedFile{f.path, f.table, 0, 0});
  }

  std::mutex mu;
  std::condition_variable turn_changed;
  int64_t next_to_write = 0;  // guarded by mu
  Status failure;             // guarded by mu; the first error wins
  std::atomic<int64_t> next_block{0};
  std::atomic<bool> failed{false};

  auto worker = [&] {
    std::vector<BlockPart> parts(files.size());
    std::string packed;
    for (int64_t b = next_block++; b < blocks && !failed; b = next_block++) {
      for (BlockPart& p : parts) p = BlockPart{};
      make_block(b, parts);
      Status st;
      if (gzip) {
        for (BlockPart& p : parts) {
          st = GzipMember(p.text, &packed);
          if (!st.ok()) break;
          std::swap(p.text, packed);
        }
      }
      std::unique_lock<std::mutex> lock(mu);
      turn_changed.wait(lock, [&] { return next_to_write == b || failed; });
      if (failed) return;
      for (size_t f = 0; f < files.size() && st.ok(); ++f) {
        const std::string& text = parts[f].text;
        if (std::fwrite(text.data(), 1, text.size(), handles[f].get()) != text.size()) {
          st = Status::IOError("cannot write " + files[f].path + ".tmp");
        }
        results[f].rows += parts[f].rows;
        results[f].bytes += text.size();
      }
      if (!st.ok()) {
        failure = st;
        failed = true;
      }
      ++next_to_write;
      turn_changed.notify_all();
    }
  };

  const int n = static_cast<int>(std::clamp<int64_t>(blocks, 1, std::max(threads, 1)));
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (failed) {
    for (size_t f = 0; f < files.size(); ++f) {
      handles[f].reset();
      std::error_code ignored;
      std::filesystem::remove(files[f].path + ".tmp", ignored);
    }
    return failure;
  }

  for (size_t f = 0; f < files.size(); ++f) {
    const std::string tmp = files[f].path + ".tmp";
    if (std::fclose(handles[f].release()) != 0) return Status::IOError("cannot write " + tmp);
    std::error_code ec;
    std::filesystem::rename(tmp, files[f].path, ec);
    if (ec) return Status::IOError("cannot rename " + tmp + ": " + ec.message());
  }
  return results;
}

}  // namespace ledgerlake::gen
