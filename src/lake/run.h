// The run: the seed's Glue ETL job. Loads every landed extract (parents first, in landing order) into a Ledger,
// computes the feature datasets as of D, writes them and the rejects as Parquet partition D, and reports what
// happened to every row. Every run is currently a full recompute from the raw zone.
#pragma once

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "engine/features.h"
#include "engine/ledger.h"
#include "lake/lake.h"

namespace ledgerlake::lake {

struct RunOptions {
  DayNumber as_of = 0;
  bool full_refresh = false;  // accepted; every run is a full refresh until bookmarks exist
  int threads = 0;            // DuckDB writer threads; 0 = all cores
  // Called as work advances: stage name, done and total (bytes or rows). Only for display.
  std::function<void(std::string_view stage, uint64_t done, uint64_t total)> progress;
};

struct DatasetResult {
  std::string name;
  uint64_t rows = 0;
  std::string partition;  // directory of the committed partition
};

struct StageTime {
  std::string name;
  double seconds = 0;
};

struct RunReport {
  DayNumber as_of = 0;
  bool full_refresh = true;
  uint64_t files_read = 0;
  uint64_t bytes_read = 0;
  std::array<engine::FateCounts, contract::kTableCount> tables{};
  std::vector<DatasetResult> datasets;
  std::vector<StageTime> stages;
  engine::FeatureWarnings warnings;
  double total_seconds = 0;
};

// Runs the job. The caller holds the lake lock. Fails (changing no visible partition) when a landed file cannot
// be read or a partition cannot be written.
Result<RunReport> Run(const Lake& lake, const RunOptions& options);

}  // namespace ledgerlake::lake
