#include "cli/catalog_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "contract/schema.h"

namespace ledgerlake::cli {

using nlohmann::ordered_json;

namespace {

// Unix seconds as UTC: "2025-06-01 10:00:00" for people, "2025-06-01T10:00:00Z" for JSON.
std::string UtcTime(int64_t unix_seconds, bool iso) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string UtcTimeMs(int64_t unix_ms, bool iso) { return UtcTime(unix_ms / 1000, iso); }

// What the contract says about a column: "integer, required", "text", or "extra" for one it does not know.
struct ContractRole {
  const contract::ColumnSpec* spec = nullptr;
};

ContractRole RoleOf(std::string_view table, const std::string& column) {
  const auto t = contract::TableFromName(table);
  if (!t) return {};
  const auto index = contract::ContractColumnIndex(*t, column);
  if (!index) return {};
  return {&contract::TableColumns(*t)[*index]};
}

std::string_view ContractTypeName(contract::ValueType type) {
  switch (type) {
    case contract::ValueType::kInteger: return "integer";
    case contract::ValueType::kDecimal: return "decimal";
    case contract::ValueType::kDate: return "date";
    case contract::ValueType::kText: return "text";
  }
  return "?";
}

std::string RoleText(const ContractRole& role) {
  if (!role.spec) return "extra (kept, not used)";
  return std::string(ContractTypeName(role.spec->type)) + (role.spec->required ? ", required" : ", optional");
}

ordered_json ColumnJson(std::string_view table, const catalog::ColumnSchema& c) {
  const ContractRole role = RoleOf(table, c.name);
  ordered_json j = {{"name", c.name},
                    {"type", catalog::ColumnTypeName(c.type)},
                    {"scale", c.scale},
                    {"nullable", c.nullable},
                    {"format", c.format}};
  j["contract_type"] = role.spec ? ordered_json(ContractTypeName(role.spec->type)) : ordered_json(nullptr);
  j["required"] = role.spec && role.spec->required;
  return j;
}

ordered_json VersionJson(const catalog::SchemaVersion& v) {
  ordered_json columns = ordered_json::array();
  for (const catalog::ColumnSchema& c : v.columns) columns.push_back(ColumnJson(v.table, c));
  return {{"version", v.version},
          {"change", catalog::ChangeKindName(v.change)},
          {"detail", v.detail},
          {"file", v.file},
          {"source", v.source},
          {"files", v.files},
          {"first_seen", UtcTime(v.first_seen_unix, true)},
          {"last_seen", UtcTime(v.last_seen_unix, true)},
          {"columns", columns}};
}

ordered_json TableJson(const catalog::TableInfo& t) {
  return {{"table", t.name},
          {"files", t.files},
          {"rows", t.rows},
          {"bytes", t.bytes},
          {"current_version", t.current_version},
          {"versions", t.versions},
          {"first_seen", UtcTime(t.first_seen_unix, true)},
          {"last_seen", UtcTime(t.last_seen_unix, true)},
          {"status", t.breaking_files > 0 ? "breaking" : "ok"},
          {"breaking_files", t.breaking_files}};
}

ordered_json BreakingJson(const catalog::BreakingChange& b) {
  return {{"table", b.table},   {"file", b.file},     {"source", b.source},
          {"column", b.column}, {"detail", b.detail}, {"superseded", b.superseded}};
}

ordered_json PartitionJson(const catalog::PartitionRecord& p) {
  ordered_json files = ordered_json::array();
  for (const catalog::PartitionFile& f : p.files) files.push_back({{"name", f.name}, {"bytes", f.bytes}});
  return {{"dataset", p.dataset}, {"day", FormatIsoDate(p.day)},
          {"path", p.path},       {"rows", p.rows},
          {"bytes", p.bytes},     {"files", files},
          {"run_id", p.run_id},   {"written", UtcTimeMs(p.written_unix_ms, true)},
          {"kind", p.complete ? "complete" : "delta"}};
}

// Aligned columns leave blanks after a short last column; drop them.
std::string TrimLineEnds(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
    }
    out += c;
  }
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  const auto b = static_cast<double>(bytes);
  if (bytes < 10000) return fmt::format("{} bytes", bytes);
  if (bytes < 10000000) return fmt::format("{:.1f} kB", b / 1e3);
  return fmt::format("{:.1f} MB", b / 1e6);
}

std::string VersionLabel(int version) { return version == 0 ? "-" : std::to_string(version); }

}  // namespace

std::string TablesText(const std::vector<catalog::TableInfo>& tables) {
  if (tables.empty()) return "no tables yet: ingest some extracts first\n";
  std::string out = fmt::format("{:<20} {:>6} {:>12} {:>8} {:>8}  {:<19}  {:<19}  {}\n", "table", "files", "rows",
                                "version", "versions", "first landed (UTC)", "last landed (UTC)", "status");
  for (const catalog::TableInfo& t : tables) {
    const std::string status = t.breaking_files == 0 ? "ok"
                                                     : fmt::format("breaking change in {} file{}: run holds it back",
                                                                   t.breaking_files, t.breaking_files == 1 ? "" : "s");
    out += fmt::format("{:<20} {:>6} {:>12} {:>8} {:>8}  {:<19}  {:<19}  {}\n", t.name, t.files, t.rows,
                       VersionLabel(t.current_version), t.versions, UtcTime(t.first_seen_unix, false),
                       UtcTime(t.last_seen_unix, false), status);
  }
  return TrimLineEnds(out);
}

std::string TablesJson(const std::vector<catalog::TableInfo>& tables) {
  ordered_json j = ordered_json::array();
  for (const catalog::TableInfo& t : tables) j.push_back(TableJson(t));
  return j.dump(2) + "\n";
}

std::string DescribeText(const catalog::TableDescription& d) {
  const catalog::TableInfo& t = d.info;
  if (t.files == 0) return "table " + t.name + ": no files landed yet\n";
  std::string out =
      fmt::format("table {}: {} file{}, {} rows, {}; schema version {} of {}\n", t.name, t.files,
                  t.files == 1 ? "" : "s", t.rows, HumanBytes(t.bytes), VersionLabel(t.current_version), t.versions);
  out += fmt::format("first landed {} UTC, last landed {} UTC\n", UtcTime(t.first_seen_unix, false),
                     UtcTime(t.last_seen_unix, false));
  if (t.breaking_files > 0) {
    out += fmt::format(
        "status: breaking change in {} file{}: `ledgerlake run` holds it back until a later {} extract "
        "without it is ingested\n",
        t.breaking_files, t.breaking_files == 1 ? "" : "s", t.name);
  }
  if (!d.columns.empty()) {
    out += fmt::format("\n{:<24} {:<12} {:<9} {:<24} {}\n", "column", "type", "nullable", "contract", "format");
    for (const catalog::ColumnSchema& c : d.columns) {
      out += fmt::format("{:<24} {:<12} {:<9} {:<24} {}\n", c.name, c.TypeText(), c.nullable ? "yes" : "no",
                         RoleText(RoleOf(t.name, c.name)), c.format);
    }
  }
  out += fmt::format("\n{:>7}  {:<10} {:>5}  {:<19}  {:<19}  {}\n", "version", "change", "files", "first seen (UTC)",
                     "last seen (UTC)", "introduced by");
  for (const catalog::SchemaVersion& v : d.versions) {
    out += fmt::format("{:>7}  {:<10} {:>5}  {:<19}  {:<19}  {}\n", v.version, catalog::ChangeKindName(v.change),
                       v.files, UtcTime(v.first_seen_unix, false), UtcTime(v.last_seen_unix, false), v.file);
    out += fmt::format("{:>7}  {}\n", "", v.detail);
  }
  return TrimLineEnds(out);
}

std::string DescribeJson(const catalog::TableDescription& d) {
  ordered_json j = TableJson(d.info);
  ordered_json columns = ordered_json::array();
  for (const catalog::ColumnSchema& c : d.columns) columns.push_back(ColumnJson(d.info.name, c));
  j["columns"] = columns;
  ordered_json versions = ordered_json::array();
  for (const catalog::SchemaVersion& v : d.versions) versions.push_back(VersionJson(v));
  j["schema_versions"] = versions;
  return j.dump(2) + "\n";
}

std::string PartitionsText(const std::vector<catalog::PartitionRecord>& partitions) {
  if (partitions.empty()) return "no partitions yet: `ledgerlake run` writes them\n";
  std::string out = fmt::format("{:<26} {:<10} {:<8} {:>12} {:>5} {:>12} {:>5}  {}\n", "dataset", "day", "kind",
                                "rows", "files", "bytes", "run", "path");
  for (const catalog::PartitionRecord& p : partitions) {
    out += fmt::format("{:<26} {:<10} {:<8} {:>12} {:>5} {:>12} {:>5}  {}\n", p.dataset, FormatIsoDate(p.day),
                       p.complete ? "complete" : "delta", p.rows, p.files.size(), p.bytes, p.run_id, p.path);
  }
  return TrimLineEnds(out);
}

std::string PartitionsJson(const std::vector<catalog::PartitionRecord>& partitions) {
  ordered_json j = ordered_json::array();
  for (const catalog::PartitionRecord& p : partitions) j.push_back(PartitionJson(p));
  return j.dump(2) + "\n";
}

std::string RunsText(const std::vector<catalog::RunRecord>& runs, const std::vector<catalog::RunStart>& starts) {
  if (runs.empty() && starts.empty()) return "no runs yet\n";
  std::string out = fmt::format("{:>5}  {:<19}  {:<10}  {:<6} {:<8} {:>8} {:>6} {:>11} {:>11}\n", "run",
                                "started (UTC)", "as of", "status", "kind", "seconds", "files", "read", "written");
  std::map<int64_t, std::string> lines;  // by run id: records and starts interleave
  for (const catalog::RunRecord& r : runs) {
    std::string& line = lines[r.run_id];
    line = fmt::format("{:>5}  {:<19}  {:<10}  {:<6} {:<8} {:>8.2f} {:>6} {:>11} {:>11}\n", r.run_id,
                       UtcTimeMs(r.started_unix_ms, false), FormatIsoDate(r.as_of), r.ok ? "ok" : "failed",
                       !r.ok ? "" : r.complete ? "complete" : "delta", r.seconds, r.consumed.size(),
                       HumanBytes(r.bytes_read), HumanBytes(r.bytes_written));
    if (!r.message.empty()) line += fmt::format("{:>5}  {}\n", "", r.message);
  }
  for (const catalog::RunStart& r : starts) {
    std::string& line = lines[r.run_id];
    line = fmt::format("{:>5}  {:<19}  {:<10}  {:<6}\n", r.run_id, UtcTimeMs(r.started_unix_ms, false),
                       FormatIsoDate(r.as_of), r.aborted_unix_ms ? "aborted" : "running");
    if (r.aborted_unix_ms) {
      line += fmt::format("{:>5}  its process (pid {}) ended before the run did; found at {}\n", "", r.pid,
                          UtcTimeMs(*r.aborted_unix_ms, false));
    }
  }
  for (const auto& [id, line] : lines) out += line;
  return TrimLineEnds(out);
}

std::string RunsJson(const std::vector<catalog::RunRecord>& runs, const std::vector<catalog::RunStart>& starts) {
  ordered_json j = ordered_json::array();
  for (const catalog::RunRecord& r : runs) {
    ordered_json stages = ordered_json::object();
    for (const lake::StageTime& s : r.stages) stages[s.name] = s.seconds;
    ordered_json tables = ordered_json::object();
    for (const catalog::TableFates& t : r.tables) {
      tables[t.table] = {{"read", t.fates.read},
                         {"accepted", t.fates.accepted},
                         {"rejected", t.fates.rejected},
                         {"duplicate", t.fates.duplicate},
                         {"pending", t.fates.pending}};
    }
    ordered_json partitions = ordered_json::array();
    for (const catalog::PartitionRecord& p : r.partitions) partitions.push_back(PartitionJson(p));
    j.push_back({{"run_id", r.run_id},
                 {"started", UtcTimeMs(r.started_unix_ms, true)},
                 {"ended", UtcTimeMs(r.ended_unix_ms, true)},
                 {"status", r.ok ? "ok" : "failed"},
                 {"trigger", r.trigger},
                 {"message", r.message},
                 {"as_of", FormatIsoDate(r.as_of)},
                 {"full_refresh", r.full_refresh},
                 {"kind", r.complete ? "complete" : "delta"},
                 {"passes", r.passes},
                 {"bookmark", r.bookmark},
                 {"state", r.state},
                 {"seconds", r.seconds},
                 {"files_read", r.files_read},
                 {"bytes_read", r.bytes_read},
                 {"bytes_written", r.bytes_written},
                 {"stages_seconds", stages},
                 {"tables", tables},
                 {"consumed_files", r.consumed},
                 {"partitions", partitions}});
  }
  for (const catalog::RunStart& r : starts) {
    j.push_back({{"run_id", r.run_id},
                 {"started", UtcTimeMs(r.started_unix_ms, true)},
                 {"ended", nullptr},
                 {"status", r.aborted_unix_ms ? "aborted" : "running"},
                 {"trigger", r.trigger},
                 {"message", r.aborted_unix_ms ? "its process (pid " + std::to_string(r.pid) + ") ended before the run did"
                                               : std::string()},
                 {"as_of", FormatIsoDate(r.as_of)},
                 {"full_refresh", r.full_refresh}});
  }
  std::stable_sort(j.begin(), j.end(), [](const ordered_json& a, const ordered_json& b) {
    return a["run_id"].get<int64_t>() < b["run_id"].get<int64_t>();
  });
  return j.dump(2) + "\n";
}

std::string CrawlText(const std::vector<catalog::TableInfo>& tables,
                      const std::vector<catalog::SchemaVersion>& versions,
                      const std::vector<catalog::BreakingChange>& breaking) {
  if (tables.empty()) return "no landed files to crawl\n";
  std::string out;
  for (const catalog::TableInfo& t : tables) {
    out += fmt::format("{}: {} file{}, {} rows, schema version {} of {}\n", t.name, t.files, t.files == 1 ? "" : "s",
                       t.rows, VersionLabel(t.current_version), t.versions);
    for (const catalog::SchemaVersion& v : versions) {
      if (v.table != t.name) continue;
      out += fmt::format("  v{:<3} {:<10} {:>4} file{}  {}  ({})\n", v.version, catalog::ChangeKindName(v.change),
                         v.files, v.files == 1 ? " " : "s", v.detail, v.file);
    }
  }
  for (const catalog::BreakingChange& b : breaking) {
    out += "breaking: " + BreakingLine(b) + "\n";
  }
  if (!breaking.empty()) {
    out +=
        "`ledgerlake run` holds a table with a breaking change back; ingest a corrected extract of the table "
        "to supersede it\n";
  }
  return TrimLineEnds(out);
}

std::string CrawlJson(const std::vector<catalog::TableInfo>& tables,
                      const std::vector<catalog::SchemaVersion>& versions,
                      const std::vector<catalog::BreakingChange>& breaking) {
  ordered_json j;
  ordered_json ts = ordered_json::array();
  for (const catalog::TableInfo& t : tables) {
    ordered_json tj = TableJson(t);
    ordered_json vs = ordered_json::array();
    for (const catalog::SchemaVersion& v : versions) {
      if (v.table == t.name) vs.push_back(VersionJson(v));
    }
    tj["schema_versions"] = vs;
    ts.push_back(tj);
  }
  j["tables"] = ts;
  ordered_json bs = ordered_json::array();
  for (const catalog::BreakingChange& b : breaking) bs.push_back(BreakingJson(b));
  j["breaking"] = bs;
  return j.dump(2) + "\n";
}

}  // namespace ledgerlake::cli
