// Atomic partition replacement: a run writes a dataset's partition into a staging directory under <lake>/tmp,
// then swaps it into processed/<dataset>/ingest_year=/ingest_month=/ingest_day= with one rename (renameat2
// RENAME_EXCHANGE when the partition exists). A reader sees the old partition or the new one, never a mix; a run
// killed before the swap leaves only staging debris, which the next run removes.
#pragma once

#include <string>

#include "lake/lake.h"

namespace ledgerlake::lake {

// Swaps `staged_dir` in as partition `day` of `dataset`. On success the old partition (if any) is deleted and
// `staged_dir` no longer exists.
Status CommitPartition(const Lake& lake, std::string_view dataset, DayNumber day, const std::string& staged_dir);

// Removes staging left behind by runs that died. Call with the lake lock held.
void CleanStaging(const Lake& lake);

}  // namespace ledgerlake::lake
