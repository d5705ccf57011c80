#include "cli/summary.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace ledgerlake::cli {

using contract::TableId;

std::string RunSummaryText(const lake::RunReport& r) {
  std::string kind =
      r.complete ? (r.full_refresh ? "full refresh" : "complete")
                 : "incremental since the run as of " + (r.base_as_of ? FormatIsoDate(*r.base_as_of) : std::string("?"));
  if (r.partitions > 1) kind += fmt::format(", {} passes", r.partitions);
  std::string out = fmt::format("ledgerlake run as of {} ({}): {} new file{}, {:.1f} MB read, {:.2f} s\n\n",
                                FormatIsoDate(r.as_of), kind, r.files_read, r.files_read == 1 ? "" : "s",
                                static_cast<double>(r.bytes_read) / 1e6, r.total_seconds);
  out += fmt::format("{:<20} {:>12} {:>12} {:>10} {:>10} {:>10}\n", "table", "read", "accepted", "rejected",
                     "duplicate", "pending");
  for (TableId t : contract::kAllTables) {
    const engine::FateCounts& c = r.tables[static_cast<size_t>(t)];
    out += fmt::format("{:<20} {:>12} {:>12} {:>10} {:>10} {:>10}\n", contract::TableName(t), c.read, c.accepted,
                       c.rejected, c.duplicate, c.pending);
  }
  for (TableId t : contract::kAllTables) {
    const uint64_t held = r.held[static_cast<size_t>(t)];
    if (held > 0) {
      out += fmt::format("{:<20} {} landed file{} held back by a breaking schema change (see `ledgerlake crawl`)\n",
                         contract::TableName(t), held, held == 1 ? "" : "s");
    }
  }
  out += fmt::format("\n{:<26} {:>12}  {}\n", "dataset", r.complete ? "rows" : "rows (delta)", "partition");
  for (const lake::DatasetResult& d : r.datasets) {
    out += fmt::format("{:<26} {:>12}  {}\n", d.name, d.rows, d.partition);
  }
  out += fmt::format("\n{:<26} {:>9}\n", "stage", "seconds");
  for (const lake::StageTime& s : r.stages) {
    const std::string name = s.name == lake::kInvoiceOrderStage ? "  of which " + s.name
                             : s.name == lake::kSaveStateStage  ? "  alongside: " + s.name
                                                                : s.name;
    out += fmt::format("{:<26} {:>9.3f}\n", name, s.seconds);
  }
  std::vector<std::string> warnings;
  if (r.warnings.invoices_before_joining > 0) {
    warnings.push_back(fmt::format("{} invoices were issued before their account joined (negative acct_age)",
                                   r.warnings.invoices_before_joining));
  }
  if (r.warnings.totals_out_of_range > 0) {
    warnings.push_back(
        fmt::format("{} invoice totals do not fit DECIMAL(18,2) and are NULL", r.warnings.totals_out_of_range));
  }
  if (r.repeated_line_items > 0) {
    warnings.push_back(fmt::format(
        "{} line items repeat an earlier line of their invoice in the same file exactly; each is kept as a line of "
        "its own (a double export would show here)",
        r.repeated_line_items));
  }
  if (r.incomplete_invoices > 0) {
    warnings.push_back(fmt::format(
        "{} invoices have line items waiting for a sku that is not known yet: their totals leave those lines out "
        "(the view incomplete_invoices lists them)",
        r.incomplete_invoices));
  }
  for (size_t i = 0; i < warnings.size(); ++i) out += (i == 0 ? "\nwarning: " : "warning: ") + warnings[i] + "\n";
  return out;
}

std::string RunSummaryJson(const lake::RunReport& r) {
  nlohmann::ordered_json j;
  j["as_of"] = FormatIsoDate(r.as_of);
  j["full_refresh"] = r.full_refresh;
  j["kind"] = r.complete ? "complete" : "delta";
  if (r.base_as_of) j["base_as_of"] = FormatIsoDate(*r.base_as_of);
  nlohmann::ordered_json bookmarks = nlohmann::ordered_json::object();
  nlohmann::ordered_json held = nlohmann::ordered_json::object();
  for (TableId t : contract::kAllTables) {
    bookmarks[std::string(contract::TableName(t))] = r.bookmarks[static_cast<size_t>(t)];
    if (r.held[static_cast<size_t>(t)] > 0) held[std::string(contract::TableName(t))] = r.held[static_cast<size_t>(t)];
  }
  j["bookmarks"] = bookmarks;
  j["held_files"] = held;
  j["pending_total"] = r.pending_total;
  j["deleted_invoices"] = r.deleted;
  j["partitions"] = r.partitions;
  j["overlapped_passes"] = r.overlapped_passes;
  j["files_read"] = r.files_read;
  j["bytes_read"] = r.bytes_read;
  nlohmann::ordered_json tables = nlohmann::ordered_json::object();
  for (TableId t : contract::kAllTables) {
    const engine::FateCounts& c = r.tables[static_cast<size_t>(t)];
    tables[std::string(contract::TableName(t))] = {{"read", c.read},
                                                   {"accepted", c.accepted},
                                                   {"rejected", c.rejected},
                                                   {"duplicate", c.duplicate},
                                                   {"pending", c.pending}};
  }
  j["tables"] = tables;
  nlohmann::ordered_json datasets = nlohmann::ordered_json::object();
  for (const lake::DatasetResult& d : r.datasets) datasets[d.name] = {{"rows", d.rows}, {"partition", d.partition}};
  j["datasets"] = datasets;
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const lake::StageTime& s : r.stages) stages[s.name] = s.seconds;
  j["stages_seconds"] = stages;
  j["warnings"] = {{"invoices_before_joining", r.warnings.invoices_before_joining},
                   {"totals_out_of_range", r.warnings.totals_out_of_range},
                   {"repeated_line_items", r.repeated_line_items},
                   {"incomplete_invoices", r.incomplete_invoices}};
  j["seconds"] = r.total_seconds;
  return j.dump(2) + "\n";
}

}  // namespace ledgerlake::cli
