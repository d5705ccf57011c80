// Query views: what `ledgerlake query` sees (the seed's Athena tables), built from the partitions the catalog
// has committed (never from whatever files a directory holds). As of a day A (default: the newest run):
//   - account_features, pending: the newest partition on or before A (each is a complete snapshot);
//   - account_invoice_features, invoice_features: from the newest complete partition on or before A, the newest
//     row per invoice up to A, without invoices a later partition's deleted_invoices lists;
//   - rejects: every partition's rows from that complete partition up to A;
//   - <dataset>_history: every partition's rows up to A with ingest_year, ingest_month, ingest_day;
//   - accounts, skus, invoices, invoice_line_items: each source table as the runs up to A left it, typed;
//   - raw_<table>: every record of the landed extracts of each table, as text.
// Before the first run every dataset is empty, with the contract's column types. The views can be made again on
// the same connection (as of another day, after another run).
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "duck/database.h"
#include "lake/lake.h"

namespace ledgerlake::lake {

// A committed file, with the size it was written with.
struct ViewFile {
  std::string path;  // absolute
  uint64_t bytes = 0;
};

// A committed partition, as the catalog lists it.
struct ViewPartition {
  std::string dataset;
  DayNumber day = 0;
  bool complete = true;          // a whole dataset; false: the changes since the partition before
  std::vector<ViewFile> files;
};

// What the views are made of: the committed partitions, and per committed run its day and the landed files it
// applied (the source views show the tables as the files applied by the runs up to the view's day left them).
struct ViewInputs {
  std::vector<ViewPartition> partitions;
  struct Run {
    DayNumber day = 0;
    std::vector<uint64_t> applied;  // landing sequences
  };
  std::vector<Run> runs;
};

// Which views to create, by name (a dataset's `_history` view goes with the dataset); empty: every view.
using ViewFilter = std::function<bool(std::string_view view)>;

// The names of every view CreateViews makes, `_history` views left out: the datasets, incomplete_invoices, the
// source tables and their raw_ views. What a role can be granted (query/grants.h).
std::vector<std::string> LakeViewNames();

// Creates the views on `conn`, as of `as_of` (the newest partition when absent), only those `allowed` names
// (incomplete_invoices only with invoice_features and pending, which it reads). The connection's database must
// have the lake's table functions registered (lake/source_tables.h: RegisterSourceTables). Each view is bound on its own:
// a view whose files are missing, of another size than written, or unreadable by DuckDB is made a view that fails,
// when queried, with a message naming the file (and `ledgerlake verify`), so the other views and queries that do
// not read it go on working. Fails only when the lake's raw zone cannot be listed or DuckDB refuses a statement
// it should not.
Status CreateViews(const Lake& lake, duck::Connection& conn, const ViewInputs& inputs,
                   std::optional<DayNumber> as_of = std::nullopt, const ViewFilter& allowed = {});

}  // namespace ledgerlake::lake
