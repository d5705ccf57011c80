#include "catalog/run_record.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "contract/schema.h"

namespace ledgerlake::catalog {

namespace fs = std::filesystem;

int64_t NowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string RelativeToLake(const lake::Lake& lake, const std::string& path) {
  const std::string prefix = lake.root() + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

}  // namespace

Result<RunRecord> RecordFromReport(const lake::Lake& lake, const lake::RunReport& report,
                                   std::vector<uint64_t> consumed, int64_t started_unix_ms, int64_t ended_unix_ms) {
  RunRecord r;
  r.started_unix_ms = started_unix_ms;
  r.ended_unix_ms = ended_unix_ms;
  r.ok = true;
  r.as_of = report.as_of;
  r.full_refresh = report.full_refresh;
  r.seconds = report.total_seconds;
  r.files_read = report.files_read;
  r.bytes_read = report.bytes_read;
  r.consumed = std::move(consumed);
  r.state = RelativeToLake(lake, report.state_file);
  r.bookmark = *std::max_element(report.bookmarks.begin(), report.bookmarks.end());
  r.complete = report.complete;
  r.passes = report.partitions;
  r.stages = report.stages;
  for (contract::TableId t : contract::kAllTables) {
    r.tables.push_back({std::string(contract::TableName(t)), report.tables[static_cast<size_t>(t)]});
  }
  for (const lake::DatasetResult& d : report.datasets) {
    PartitionRecord p;
    p.dataset = d.name;
    p.day = report.as_of;
    p.path = RelativeToLake(lake, d.partition);
    p.rows = d.rows;
    p.written_unix_ms = ended_unix_ms;
    p.complete = report.complete;
    for (const lake::WrittenFile& f : d.files) {
      p.files.push_back({fs::path(f.path).filename().string(), f.bytes, f.sha256});
      p.bytes += f.bytes;
    }
    r.bytes_written += p.bytes;
    r.partitions.push_back(std::move(p));
  }
  return r;
}

RunRecord FailedRecord(DayNumber as_of, bool full_refresh, std::string message, std::vector<uint64_t> consumed,
                       int64_t started_unix_ms, int64_t ended_unix_ms) {
  RunRecord r;
  r.ok = false;
  r.message = std::move(message);
  r.as_of = as_of;
  r.full_refresh = full_refresh;
  r.started_unix_ms = started_unix_ms;
  r.ended_unix_ms = ended_unix_ms;
  r.seconds = static_cast<double>(ended_unix_ms - started_unix_ms) / 1000.0;
  r.consumed = std::move(consumed);
  return r;
}

}  // namespace ledgerlake::catalog
