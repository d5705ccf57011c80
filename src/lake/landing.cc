#include "lake/landing.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "csv/byte_source.h"
#include "csv/parts.h"
#include "csv/record_reader.h"
#include "util/sha256.h"
#include "util/unique_fd.h"

namespace ledgerlake::lake {

namespace fs = std::filesystem;
using contract::TableId;

namespace {

// A ByteSource that shows every byte it hands out to a sink first (hashing and copying while the reader reads).
class TeeSource : public csv::ByteSource {
 public:
  using Sink = std::function<void(const char*, size_t)>;
  TeeSource(std::unique_ptr<csv::ByteSource> inner, Sink sink) : inner_(std::move(inner)), sink_(std::move(sink)) {}
  Status Read(char* dst, size_t n, size_t* got) override {
    LL_RETURN_IF_ERROR(inner_->Read(dst, n, got));
    if (*got > 0) sink_(dst, *got);
    return Status::OK();
  }
  uint64_t file_bytes() const override { return inner_->file_bytes(); }
  uint64_t file_bytes_read() const override { return inner_->file_bytes_read(); }
  bool compressed() const override { return inner_->compressed(); }

 private:
  std::unique_ptr<csv::ByteSource> inner_;
  Sink sink_;
};

std::vector<std::string> ExpandInputs(const std::vector<std::string>& inputs, Status* st) {
  std::vector<std::string> files;
  for (const std::string& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(in, ec)) {
        const std::string name = entry.path().filename().string();
        const bool csv = name.size() > 4 && name.ends_with(".csv");
        const bool gz = name.size() > 7 && name.ends_with(".csv.gz");
        if (entry.is_regular_file() && (csv || gz)) found.push_back(entry.path().string());
      }
      if (ec) {
        *st = Status::IOError("cannot list " + in + ": " + ec.message());
        return {};
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(in, ec)) {
      files.push_back(in);
    } else if (fs::exists(in, ec)) {
      *st = Status::InvalidArgument("cannot ingest " + in +
                                    ": not a regular file (a fifo, device or socket); ingest takes files and directories");
      return {};
    } else {
      *st = Status::NotFound("cannot read " + in + ": no such file or directory");
      return {};
    }
  }
  if (files.empty()) *st = Status::InvalidArgument("no .csv or .csv.gz files to ingest");
  return files;
}

std::string SidecarPath(const std::string& data_path) { return data_path + ".json"; }

nlohmann::json ToJson(const LandedFile& f) {
  return {{"sequence", f.sequence},         {"table", std::string(contract::TableName(f.table))},
          {"source", f.source},             {"sha256", f.sha256},
          {"bytes", f.bytes},               {"decoded_bytes", f.decoded_bytes},
          {"gzip", f.gzip},                 {"landed_unix", f.landed_unix},
          {"unknown_columns", f.unknown_columns}};
}

// The inspection when Land is given none: every record is read, and nothing else is done with it.
class SkipRecords final : public csv::PartVisitor {
 public:
  void Records(size_t, const csv::RecordBatch&, size_t) override {}
  void Restart(size_t) override {}
};

Status ReadAllRecords(Inspection& in) {
  std::unique_ptr<csv::ByteSource> stream = std::move(in.stream);
  if (!stream) {
    std::vector<std::string> header;
    auto layout = csv::ReadLayout(in.plain_copy, &header);
    if (layout.ok()) {
      SkipRecords skip;
      const size_t parts = csv::PartsFor(layout->file_bytes - layout->data_begin, in.pool->threads());
      if (csv::ReadInParts(in.plain_copy, *layout, parts, *in.pool, skip).ok()) return Status::OK();
    }
    auto opened = csv::ByteSource::Open(in.plain_copy);  // for the whole-file reader's message
    if (!opened.ok()) return opened.status();
    stream = std::move(*opened);
  }
  csv::RecordReader reader(std::move(stream));
  Status st = reader.ReadHeader();
  csv::RecordBatch batch;
  while (st.ok()) {
    st = reader.NextBatch(batch);
    if (batch.size() == 0) break;
  }
  return st;
}

// Copies the plain file `source` to `path`, hashing it on the way, and starts writing the copy to disk.
Status CopyAndHash(csv::ByteSource& source, const std::string& path, LandedFile* out) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  constexpr size_t kBlock = size_t{4} << 20;
  std::unique_ptr<char[]> buf(new char[kBlock]);
  Sha256 sha;
  uint64_t total = 0;
  for (;;) {
    size_t got = 0;
    LL_RETURN_IF_ERROR(source.Read(buf.get(), kBlock, &got));
    if (got == 0) break;
    sha.Update(buf.get(), got);
    for (size_t done = 0; done < got;) {
      const ssize_t w = ::write(fd.get(), buf.get() + done, got - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
      done += static_cast<size_t>(w);
    }
    total += got;
  }
  // Start the writeback now; the fsync before the file is made visible then has little left to wait for.
  (void)::sync_file_range(fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
  if (fd.Close() != 0) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  out->sha256 = sha.HexDigest();
  out->decoded_bytes = total;
  return Status::OK();
}

Status InspectionFailed(const std::string& input, const Status& st) {
  return Status::InvalidArgument(st.message().starts_with(input) ? st.message() : input + ": " + st.message());
}

// Staging one input, first step: reads its header (which decides the table and proves the file is CSV text),
// copies it to `*staged` (in the lake's tmp dir: not yet visible) and hashes it. A gzip input is inspected here
// too, as it is decoded; a plain one afterwards, from its copy (InspectCopy).
Status Stage(const std::string& input, std::optional<TableId> table_override, const Inspector& inspector,
             size_t index, TaskPool& pool, LandedFile* out, std::string* staged) {
  const std::string source = fs::absolute(input).lexically_normal().string();
  auto opened = csv::ByteSource::Open(input);
  if (!opened.ok()) return opened.status();
  out->gzip = (*opened)->compressed();
  out->bytes = (*opened)->file_bytes();
  out->source = source;

  // Header first: it decides the table (when neither --table nor the name does) and proves the file is CSV text.
  std::vector<std::string> header;
  {
    auto hs = csv::ByteSource::Open(input);
    if (!hs.ok()) return hs.status();
    csv::RecordReader reader(std::move(*hs));
    Status st = reader.ReadHeader();
    if (!st.ok()) return InspectionFailed(input, st);
    header = reader.header();
  }
  std::optional<TableId> table = table_override;
  if (!table) table = contract::TableFromFileName(input);
  if (!table) table = contract::TableFromHeader(header);
  if (!table) {
    return Status::InvalidArgument(input +
                                   ": cannot tell which table this is from its name or header; use --table "
                                   "accounts|skus|invoices|invoice_line_items");
  }
  out->table = *table;
  auto map = contract::MapHeader(*table, header);
  if (!map.ok()) return Status::InvalidArgument(input + ": " + map.status().message());
  out->unknown_columns = map->unknown_columns;

  if (!out->gzip) return CopyAndHash(**opened, *staged, out);
  // One pass over the decoded bytes, as the inspector pulls them: hash them and read every record (which proves
  // the gzip stream intact). The file is then copied byte for byte.
  Sha256 sha;
  uint64_t decoded = 0;
  Inspection inspection{*table, input, index, nullptr, "", &pool};
  inspection.stream = std::make_unique<TeeSource>(std::move(*opened), [&](const char* data, size_t n) {
    sha.Update(data, n);
    decoded += n;
  });
  const Status st = inspector ? inspector(inspection) : ReadAllRecords(inspection);
  if (!st.ok()) return InspectionFailed(input, st);
  out->sha256 = sha.HexDigest();
  out->decoded_bytes = decoded;
  std::error_code ec;
  fs::copy_file(input, *staged, fs::copy_options::overwrite_existing, ec);
  if (ec) return Status::IOError("cannot copy " + input + ": " + ec.message());
  return Status::OK();
}

// Staging a plain input, second step: its copy is read to the end (in parts, on all threads).
Status InspectCopy(const std::string& input, const Inspector& inspector, size_t index, TaskPool& pool,
                   const LandedFile& staged_file, const std::string& staged) {
  Inspection inspection{staged_file.table, input, index, nullptr, staged, &pool};
  const Status st = inspector ? inspector(inspection) : ReadAllRecords(inspection);
  return st.ok() ? st : InspectionFailed(input, st);
}

}  // namespace

Result<std::vector<LandedFile>> ListLanded(const Lake& lake) {
  std::vector<LandedFile> files;
  for (TableId t : contract::kAllTables) {
    const std::string dir = lake.raw_dir(contract::TableName(t));
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string path = entry.path().string();
      if (path.ends_with(".json")) continue;
      std::ifstream in(SidecarPath(path));
      const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
      if (j.is_discarded()) return Status::Corruption("landed file " + path + " has no readable sidecar");
      LandedFile f;
      f.sequence = j.value("sequence", uint64_t{0});
      f.table = t;
      f.path = path;
      f.source = j.value("source", std::string());
      f.sha256 = j.value("sha256", std::string());
      f.bytes = j.value("bytes", uint64_t{0});
      f.decoded_bytes = j.value("decoded_bytes", uint64_t{0});
      f.gzip = j.value("gzip", false);
      f.landed_unix = j.value("landed_unix", int64_t{0});
      f.unknown_columns = j.value("unknown_columns", std::vector<std::string>{});
      files.push_back(std::move(f));
    }
    if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  }
  std::sort(files.begin(), files.end(), [](const LandedFile& a, const LandedFile& b) { return a.sequence < b.sequence; });
  return files;
}

Result<std::vector<LandedFile>> Land(const Lake& lake, const std::vector<std::string>& inputs,
                                     std::optional<TableId> table_override, const Inspector& inspector) {
  Status st;
  const std::vector<std::string> files = ExpandInputs(inputs, &st);
  if (!st.ok()) return st;
  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();
  uint64_t next_sequence = landed->empty() ? 1 : landed->back().sequence + 1;

  std::vector<LandedFile> out(files.size());
  std::vector<std::string> staged(files.size());
  auto discard = [&]() {
    std::error_code ec;
    for (const std::string& s : staged) {
      if (!s.empty()) fs::remove(s, ec);
    }
  };
  // Stage the files side by side, largest first (a large plain file is read in parts on every thread), then
  // commit them in order.
  std::vector<size_t> order(files.size());
  std::vector<uint64_t> sizes(files.size(), 0);
  for (size_t i = 0; i < files.size(); ++i) {
    order[i] = i;
    std::error_code ec;
    sizes[i] = fs::file_size(files[i], ec);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::vector<Status> results(files.size());
  TaskPool pool;
  pool.ParallelFor(files.size(), [&](size_t k) {
    const size_t i = order[k];
    staged[i] = lake.tmp_dir() + "/land-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    results[i] = Stage(files[i], table_override, inspector, i, pool, &out[i], &staged[i]);
  });
  for (const Status& r : results) {
    if (!r.ok()) {
      discard();
      return r;
    }
  }
  // Every copy is written; their writeback started as each was copied. A thread of its own waits for them to
  // reach the disk (which costs no CPU) while the pool reads the plain copies.
  std::vector<Status> flushed(files.size());
  std::thread flusher([&] {
    for (size_t i = 0; i < files.size(); ++i) flushed[i] = FsyncPath(staged[i]);
  });
  pool.ParallelFor(files.size(), [&](size_t k) {
    const size_t i = order[k];
    if (!out[i].gzip) results[i] = InspectCopy(files[i], inspector, i, pool, out[i], staged[i]);
  });
  flusher.join();
  for (size_t i = 0; i < files.size(); ++i) {
    const Status& r = !results[i].ok() ? results[i] : flushed[i];
    if (!r.ok()) {
      discard();
      return r;
    }
  }
  // Commit: a sidecar first, then the data file's rename makes it visible (ListLanded lists data files only).
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (size_t i = 0; i < files.size(); ++i) {
    LandedFile& f = out[i];
    const auto same = std::find_if(landed->begin(), landed->end(), [&](const LandedFile& l) {
      return l.table == f.table && l.sha256 == f.sha256;
    });
    if (same != landed->end()) {
      f = *same;  // landing the same content twice is a no-op
      f.newly_landed = false;
      std::error_code ec;
      fs::remove(staged[i], ec);
      staged[i].clear();
      continue;
    }
    f.sequence = next_sequence++;
    f.landed_unix = now;
    f.newly_landed = true;
    const std::string dir = lake.raw_dir(contract::TableName(f.table));
    std::error_code ec;
    fs::create_directories(dir, ec);
    char name[64];
    std::snprintf(name, sizeof name, "/%08llu-%s", static_cast<unsigned long long>(f.sequence), f.sha256.substr(0, 16).c_str());
    f.path = dir + name + (f.gzip ? ".csv.gz" : ".csv");
    st = WriteFileAtomic(SidecarPath(f.path), ToJson(f).dump(2) + "\n", lake.tmp_dir());
    if (st.ok() && std::rename(staged[i].c_str(), f.path.c_str()) != 0) {
      st = Status::IOError("cannot move " + staged[i] + " into " + f.path);
    }
    if (!st.ok()) {
      discard();
      return st;
    }
    staged[i].clear();
    landed->push_back(f);
  }
  for (TableId t : contract::kAllTables) {
    std::error_code ec;
    if (fs::exists(lake.raw_dir(contract::TableName(t)), ec)) (void)FsyncPath(lake.raw_dir(contract::TableName(t)));
  }
  return out;
}

}  // namespace ledgerlake::lake
