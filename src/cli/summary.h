// Rendering a run's report for people (aligned tables) and for scripts (one JSON object).
#pragma once

#include <string>

#include "lake/run.h"

namespace ledgerlake::cli {

std::string RunSummaryText(const lake::RunReport& report);
std::string RunSummaryJson(const lake::RunReport& report);

}  // namespace ledgerlake::cli
