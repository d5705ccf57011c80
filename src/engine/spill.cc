#include "engine/spill.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

namespace ledgerlake::engine {

namespace fs = std::filesystem;

namespace {

constexpr size_t kWriteBuffer = 256 << 10;  // per open spilled file: at most 2 x buckets of them at a time

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// A header name as a CSV field: quoted when it holds a separator, quote or line break.
void AppendField(std::string& out, const std::string& name) {
  if (name.find_first_of(",\"\r\n") == std::string::npos) {
    out += name;
    return;
  }
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

// One spilled file and its line map, written through buffers of our own (a record costs two appends).
struct Spill::Writer {
  int csv = -1, map = -1;
  std::string csv_path, map_path;
  std::string csv_buffer, map_buffer;
  uint64_t next_line = 0;  // the spill line the next record starts on

  static Status WriteAll(int fd, std::string& buffer, const std::string& path) {
    size_t done = 0;
    while (done < buffer.size()) {
      const ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Errno("cannot write", path);
      done += static_cast<size_t>(n);
    }
    buffer.clear();
    return Status::OK();
  }
  Status Open() {
    csv = ::open(csv_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (csv < 0) return Errno("cannot create", csv_path);
    map = ::open(map_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (map < 0) return Errno("cannot create", map_path);
    csv_buffer.reserve(kWriteBuffer + (64 << 10));
    map_buffer.reserve(kWriteBuffer / 4 + sizeof(SpilledLine));
    return Status::OK();
  }
  Status Flush() {
    LL_RETURN_IF_ERROR(WriteAll(csv, csv_buffer, csv_path));
    return WriteAll(map, map_buffer, map_path);
  }
  Status Close() {
    Status st = csv >= 0 && map >= 0 ? Flush() : Status::OK();
    if (csv >= 0 && ::close(csv) != 0 && st.ok()) st = Errno("cannot write", csv_path);
    if (map >= 0 && ::close(map) != 0 && st.ok()) st = Errno("cannot write", map_path);
    csv = map = -1;
    return st;
  }
  ~Writer() { (void)Close(); }
};

Spill::Spill(std::string dir, uint32_t buckets) : dir_(std::move(dir)), buckets_(buckets) {}

Result<std::unique_ptr<Spill>> Spill::Create(std::string dir, uint32_t buckets) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  return std::unique_ptr<Spill>(new Spill(std::move(dir), buckets));
}

Spill::~Spill() {
  writers_.clear();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Spill::Name(uint32_t file, uint32_t bucket) const {
  return dir_ + "/" + std::to_string(file) + "-" + std::to_string(bucket);
}

void Spill::BeginFile(uint32_t file, const std::vector<std::string>& header) {
  file_ = file;
  header_line_.clear();
  for (size_t i = 0; i < header.size(); ++i) {
    if (i > 0) header_line_ += ',';
    AppendField(header_line_, header[i]);
  }
  header_line_ += '\n';
  header_lines_ = static_cast<uint64_t>(std::count(header_line_.begin(), header_line_.end(), '\n'));
  writers_.clear();
  writers_.resize(buckets_);
  if (spilled_.size() <= file) spilled_.resize(file + 1);
  spilled_[file].assign(buckets_, 0);
}

Status Spill::Add(uint32_t bucket, std::string_view raw, uint64_t line) {
  std::unique_ptr<Writer>& w = writers_[bucket];
  if (!w) {
    w = std::make_unique<Writer>();
    w->csv_path = CsvPath(file_, bucket);
    w->map_path = LineMapPath(file_, bucket);
    LL_RETURN_IF_ERROR(w->Open());
    w->csv_buffer = header_line_;
    w->next_line = 1 + header_lines_;
    spilled_[file_][bucket] = 1;
  }
  const SpilledLine entry{w->next_line, line};
  w->csv_buffer.append(raw);
  w->csv_buffer.push_back('\n');
  w->map_buffer.append(reinterpret_cast<const char*>(&entry), sizeof entry);
  w->next_line += 1 + static_cast<uint64_t>(std::count(raw.begin(), raw.end(), '\n'));
  if (w->csv_buffer.size() >= kWriteBuffer || w->map_buffer.size() >= kWriteBuffer / 4) return w->Flush();
  return Status::OK();
}

Status Spill::EndFile() {
  Status st;
  for (std::unique_ptr<Writer>& w : writers_) {
    if (w) {
      const Status closed = w->Close();
      if (st.ok()) st = closed;
    }
  }
  writers_.clear();
  return st;
}

std::string Spill::CsvPath(uint32_t file, uint32_t bucket) const { return Name(file, bucket) + ".csv"; }
std::string Spill::LineMapPath(uint32_t file, uint32_t bucket) const { return Name(file, bucket) + ".lines"; }

bool Spill::Has(uint32_t file, uint32_t bucket) const {
  return file < spilled_.size() && bucket < spilled_[file].size() && spilled_[file][bucket] != 0;
}

void Spill::RemoveBucket(uint32_t bucket) {
  for (uint32_t file = 0; file < spilled_.size(); ++file) {
    if (!Has(file, bucket)) continue;
    std::error_code ec;
    fs::remove(CsvPath(file, bucket), ec);
    fs::remove(LineMapPath(file, bucket), ec);
    spilled_[file][bucket] = 0;
  }
}

Result<std::unique_ptr<LineMapReader>> LineMapReader::Open(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Errno("cannot open", path);
  return std::unique_ptr<LineMapReader>(new LineMapReader(f));
}

LineMapReader::~LineMapReader() { std::fclose(f_); }

Status LineMapReader::Refill() {
  entries_.resize(4096);
  const size_t got = std::fread(entries_.data(), sizeof(SpilledLine), entries_.size(), f_);
  entries_.resize(got);
  next_ = 0;
  if (got == 0) return Status::Corruption("a spilled file's line map ends early");
  return Status::OK();
}

Result<std::vector<SpilledLine>> ReadLineMap(const std::string& path) {
  auto reader = LineMapReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::error_code ec;
  const uint64_t bytes = fs::file_size(path, ec);
  if (ec) return Status::IOError("cannot read " + path + ": " + ec.message());
  std::vector<SpilledLine> map(bytes / sizeof(SpilledLine));
  for (SpilledLine& e : map) LL_RETURN_IF_ERROR((*reader)->Next(&e));
  return map;
}

uint64_t LandedLine(const std::vector<SpilledLine>& map, uint64_t spill_line) {
  auto it = std::upper_bound(map.begin(), map.end(), spill_line,
                             [](uint64_t line, const SpilledLine& e) { return line < e.spill_line; });
  if (it == map.begin()) return spill_line;  // not a spilled record's line (cannot happen for a row)
  --it;
  return it->landed_line + (spill_line - it->spill_line);
}

}  // namespace ledgerlake::engine
