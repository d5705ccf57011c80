// The ingest job: lands extracts in the raw zone (lake/landing.h), crawling each in landing's own pass over it,
// and registers them in the catalog. The `ingest` command and the service's POST /api/ingest both call it and
// only print or answer what it returns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "contract/schema.h"
#include "lake/lake.h"
#include "lake/landing.h"

namespace ledgerlake::job {

struct IngestOutcome {
  std::vector<lake::LandedFile> landed;  // one per input file, in input order
  // The catalog with every landed file registered; nullopt when registering failed (the files are landed all the
  // same, and the next command that opens the catalog registers them): `registration` says why.
  std::optional<catalog::Catalog> catalog;
  Status registration;
};

// Lands `inputs` (files, or directories of them) into table `table` (else by file name, else by header), all or
// nothing: an input that cannot be landed fails the whole call with landing's message and lands none.
Result<IngestOutcome> Ingest(const lake::LakeLock& lock, const lake::Lake& lake, const std::vector<std::string>& inputs,
                             std::optional<contract::TableId> table);

}  // namespace ledgerlake::job
