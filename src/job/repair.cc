#include "job/repair.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "lake/run.h"

namespace ledgerlake::job {

namespace {

namespace fs = std::filesystem;

std::string Relative(const lake::Lake& lake, const std::string& path) {
  const std::string prefix = lake.root() + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

// The committed runs (one per day with partitions) in day order, with what each applied and wrote.
struct ChainRun {
  DayNumber day = 0;
  const catalog::RunRecord* record = nullptr;
};

// A scratch directory under the lake's tmp/, removed when done.
class Scratch {
 public:
  explicit Scratch(std::string dir) : dir_(std::move(dir)) { fs::create_directories(dir_, ec_); }
  ~Scratch() { fs::remove_all(dir_, ec_); }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::error_code ec_;
};

}  // namespace

Result<std::vector<RepairedPartition>> RepairPartitions(
    const lake::LakeLock& /*lock*/, const lake::Lake& lake, catalog::Catalog& catalog,
    const std::vector<catalog::Damage>& damaged,
    const std::string& token, const std::function<void(std::string_view, uint64_t, uint64_t)>& progress) {
  std::map<int64_t, std::set<std::string>> by_run;  // run -> datasets to rewrite
  for (const catalog::Damage& d : damaged) {
    if (d.zone == catalog::Damage::Zone::kProcessed) by_run[d.run_id].insert(d.dataset);
  }
  if (by_run.empty()) return std::vector<RepairedPartition>();
  auto runs = catalog.Runs();
  if (!runs.ok()) return runs.status();
  auto committed = catalog.CommittedRuns();
  if (!committed.ok()) return committed.status();
  std::vector<ChainRun> chain;
  for (const catalog::CommittedRun& c : *committed) {
    const auto it = std::find_if(runs->begin(), runs->end(), [&](const auto& r) { return r.run_id == c.run_id; });
    if (it == runs->end()) return Status::Corruption("the catalog lists partitions of an unknown run");
    chain.push_back(ChainRun{c.day, &*it});
  }
  // The files applied up to chain[i], in landing order.
  auto applied_up_to = [&](size_t i) {
    std::set<uint64_t> files;
    for (size_t k = 0; k <= i; ++k) files.insert(chain[k].record->consumed.begin(), chain[k].record->consumed.end());
    return std::vector<uint64_t>(files.begin(), files.end());
  };

  std::vector<RepairedPartition> out;
  int step = 0;
  for (const auto& [run_id, datasets] : by_run) {
    const auto at = std::find_if(chain.begin(), chain.end(), [&](const ChainRun& c) { return c.record->run_id == run_id; });
    if (at == chain.end()) return Status::NotFound("run " + std::to_string(run_id) + " owns no partition any more");
    const size_t i = static_cast<size_t>(at - chain.begin());
    const catalog::RunRecord& run = *chain[i].record;
    const std::string run_token = token + "-" + std::to_string(step++);
    Scratch scratch(lake.tmp_dir() + "/" + run_token);

    lake::RunOptions options;
    options.as_of = chain[i].day;
    options.token = run_token;
    options.state_dir = scratch.dir();
    options.full_refresh = run.full_refresh;
    options.progress = progress;
    options.passes = run.passes;
    if (run.complete) {
      options.apply = applied_up_to(i);
    } else {
      if (i == 0) return Status::Corruption("run " + std::to_string(run_id) + " is a delta without a run before it");
      lake::RunOptions base;
      base.as_of = chain[i - 1].day;
      base.token = run_token + "-base";
      base.state_dir = scratch.dir();
      base.apply = applied_up_to(i - 1);
      base.passes = options.passes;
      base.write_datasets = false;
      base.progress = progress;
      auto rebuilt = lake::Run(lake, base);
      if (!rebuilt.ok()) return rebuilt.status();
      options.base = rebuilt->state_file;
      std::vector<uint64_t> own(run.consumed.begin(), run.consumed.end());
      std::sort(own.begin(), own.end());
      options.apply = std::move(own);
    }
    auto report = lake::Run(lake, options);
    if (!report.ok()) return report.status();
    for (const lake::DatasetResult& d : report->datasets) {
      if (!datasets.contains(d.name)) continue;
      std::vector<catalog::PartitionFile> files;
      RepairedPartition repaired{d.name, chain[i].day, run_id, {}};
      for (const lake::WrittenFile& f : d.files) {
        files.push_back(catalog::PartitionFile{fs::path(f.path).filename().string(), f.bytes, f.sha256});
        repaired.files.push_back(Relative(lake, f.path));
      }
      LL_RETURN_IF_ERROR(catalog.ReplacePartitionFiles(run_id, d.name, files));
      out.push_back(std::move(repaired));
    }
  }
  return out;
}

}  // namespace ledgerlake::job
