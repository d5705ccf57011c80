// Rendering what the catalog knows for people (aligned tables) and for scripts (one JSON value): the outputs of
// `ledgerlake catalog tables|describe|partitions|runs`, `ledgerlake crawl`, and the one-line messages about
// breaking schema changes that ingest and run print.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace ledgerlake::cli {

using catalog::BreakingLine;

std::string TablesText(const std::vector<catalog::TableInfo>& tables);
std::string TablesJson(const std::vector<catalog::TableInfo>& tables);

std::string DescribeText(const catalog::TableDescription& table);
std::string DescribeJson(const catalog::TableDescription& table);

std::string PartitionsText(const std::vector<catalog::PartitionRecord>& partitions);
std::string PartitionsJson(const std::vector<catalog::PartitionRecord>& partitions);

std::string RunsText(const std::vector<catalog::RunRecord>& runs, const std::vector<catalog::RunStart>& starts);
std::string RunsJson(const std::vector<catalog::RunRecord>& runs, const std::vector<catalog::RunStart>& starts);

// `ledgerlake crawl`: per table its versions and changes, then the breaking changes that block `run`.
std::string CrawlText(const std::vector<catalog::TableInfo>& tables,
                      const std::vector<catalog::SchemaVersion>& versions,
                      const std::vector<catalog::BreakingChange>& breaking);
std::string CrawlJson(const std::vector<catalog::TableInfo>& tables,
                      const std::vector<catalog::SchemaVersion>& versions,
                      const std::vector<catalog::BreakingChange>& breaking);

}  // namespace ledgerlake::cli
