#include "job/ingest.h"

#include <map>
#include <mutex>
#include <unordered_map>

#include "catalog/crawler.h"

namespace ledgerlake::job {

Result<IngestOutcome> Ingest(const lake::LakeLock& /*lock*/, const lake::Lake& lake,
                             const std::vector<std::string>& inputs, std::optional<contract::TableId> table) {
  // The crawler profiles each extract in landing's own pass over it, so ingest reads every file once.
  std::map<size_t, catalog::FileProfile> by_input;
  std::mutex by_input_mu;
  auto crawl = [&](lake::Inspection& in) {
    auto profile = in.stream ? catalog::CrawlStream(std::move(in.stream), in.table, in.name)
                             : catalog::CrawlPlainFile(in.plain_copy, in.table, in.name, *in.pool);
    if (!profile.ok()) return profile.status();
    LL_RETURN_IF_ERROR(catalog::CheckShape(*profile, profile->columns.size(), in.name));
    std::lock_guard<std::mutex> guard(by_input_mu);
    by_input[in.index] = std::move(*profile);
    return Status::OK();
  };
  auto landed = lake::Land(lake, inputs, table, crawl);
  if (!landed.ok()) return landed.status();
  std::unordered_map<uint64_t, catalog::FileProfile> profiled;
  for (auto& [i, profile] : by_input) {
    if ((*landed)[i].newly_landed) profiled.emplace((*landed)[i].sequence, std::move(profile));
  }
  IngestOutcome outcome;
  outcome.landed = std::move(*landed);
  // Register and crawl what was landed (and anything an earlier crash left unregistered).
  auto cat = catalog::Catalog::Open(lake);
  outcome.registration = cat.ok() ? cat->Sync(lake, &profiled) : cat.status();
  if (outcome.registration.ok()) outcome.catalog.emplace(std::move(*cat));
  return outcome;
}

}  // namespace ledgerlake::job
