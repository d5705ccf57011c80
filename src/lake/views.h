// Query views: what `ledgerlake query` sees (the seed's Athena tables). Each dataset is a view over its newest
// partition (an empty, correctly typed table before the first run); raw_<table> views read the landed
// extracts of each raw table as text.
#pragma once

#include <optional>
#include <string>

#include "duck/database.h"
#include "lake/lake.h"

namespace ledgerlake::lake {

// The newest partition directory of `dataset`, if any.
std::optional<std::string> NewestPartition(const Lake& lake, std::string_view dataset);

// Creates the views on `conn`.
Status CreateViews(const Lake& lake, duck::Connection& conn);

}  // namespace ledgerlake::lake
