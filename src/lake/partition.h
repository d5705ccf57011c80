// Partition files. A run writes one Parquet file per dataset, named after the run (part-<token>.parquet), into
// processed/<dataset>/ingest_year=/ingest_month=/ingest_day=: first under a hidden temporary name, then fsynced
// and renamed. Writing a file does not publish it: the catalog's commit of the run does (catalog/catalog.h), and
// queries read only committed files. The files a commit superseded, and those of runs that died before
// committing, are removed by RemoveUnreferenced under the lake lock.
#pragma once

#include <set>
#include <string>

#include "lake/lake.h"

namespace ledgerlake::lake {

// The final path of the file of `dataset` written by the run `token` as of `day`.
std::string PartitionFile(const Lake& lake, std::string_view dataset, DayNumber day, std::string_view token);

// Makes `tmp` (written next to it) durable and renames it to `path`.
Status PublishFile(const std::string& tmp, const std::string& path);

// Deletes every file under state/ that is not in `keep` (absolute paths), and everything under tmp/; and, when no
// query holds a ReadLease (lake.h), every file under processed/ not in `keep` and partition directories left
// empty. While queries run, superseded partition files stay for a later call to delete. Call with the lake lock
// held, after the catalog's commit. Returns the number of files under processed/ left for later.
size_t RemoveUnreferenced(const Lake& lake, const std::set<std::string>& keep);

}  // namespace ledgerlake::lake
