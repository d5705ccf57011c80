// Repair: rewrites damaged partition files from the raw zone. The rows of a committed run's partitions are a
// function of the files it applied and of its base's, so the run is computed again: a complete run from every file
// applied up to it; a delta run from a base rebuilt in a scratch directory from every file applied up to the run
// before it, then the run's own files, exactly as it ran. The damaged datasets' files are replaced by the new ones
// (the catalog's commit makes them visible); nothing else changes. Used by `ledgerlake verify --repair` and by
// every run, which repairs what its quick check found before it starts.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/verify.h"
#include "lake/lake.h"

namespace ledgerlake::job {

struct RepairedPartition {
  std::string dataset;
  DayNumber day = 0;
  int64_t run_id = 0;
  std::vector<std::string> files;  // the new files, relative to the lake root
};

// Rewrites the partitions of the damaged processed files in `damaged` (raw files cannot be repaired: they are the
// truth, and are skipped). Takes the lake lock as proof that it is held. `token` names the new files (unique per call). Fails, leaving the
// catalog as it was for the partition being repaired, when the raw zone no longer holds a file a run applied.
Result<std::vector<RepairedPartition>> RepairPartitions(
    const lake::LakeLock& lock, const lake::Lake& lake, catalog::Catalog& catalog,
    const std::vector<catalog::Damage>& damaged,
    const std::string& token, const std::function<void(std::string_view, uint64_t, uint64_t)>& progress = {});

}  // namespace ledgerlake::job
