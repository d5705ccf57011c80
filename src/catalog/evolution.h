// Schema evolution: what a crawled file means for its table's schema versions. Pure functions over profiles
// (catalog/crawler.h) and versions; the catalog stores the outcome.
//
// The rules, per table, file by file in landing order:
// - A file is *breaking* when it violates the contract at the schema level: a required column of
//   docs/data-contract.md is missing, or more than half of the non-empty values of an integer, decimal or date column
//   of the contract do not parse as that type (a column systematically of another type, such as joining_date
//   written DD/MM/YYYY). Fewer bad values are per-row rejects, the validator's business, not a schema change.
// - The table's *current* schema is its latest non-breaking version. A version's columns are the union of its
//   files' columns: a file lacking an optional or extra column still fits (the column is NULL there).
// - A good file that fits the current schema (every column present with a type at most as wide) joins it: no new
//   version, its last-seen time moves. Otherwise it makes a new version, the current schema widened to hold it:
//   'initial' when there was none, else 'compatible' (columns added, types widened integer -> decimal,
//   date -> timestamp, decimal scale up, or anything -> text in a column the contract does not type).
// - A breaking file joins the latest version when that version is breaking too and the file fits it (the same
//   problem again); otherwise it makes a new 'breaking' version. It never becomes the current schema.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/crawler.h"

namespace ledgerlake::catalog {

enum class ChangeKind { kInitial, kCompatible, kBreaking };

std::string_view ChangeKindName(ChangeKind kind);  // "initial", "compatible", "breaking"
std::optional<ChangeKind> ChangeKindFromName(std::string_view name);

using TableSchema = std::vector<ColumnSchema>;

// A contract violation that makes a file breaking, naming the column.
struct SchemaProblem {
  std::string column;
  std::string
      detail;  // e.g. "3 of 3 values are not ISO dates (first: '24/11/2024' on line 2; they look like DD/MM/YYYY)"
};

// The breaking problems of a file; empty when it satisfies the contract's schema.
std::vector<SchemaProblem> BreakingProblems(const FileProfile& file);

// True when every column of `file` is in `schema` with a type that holds its values (a column with no values
// fits any type). Nullability does not matter.
bool Fits(const FileProfile& file, const TableSchema& schema);

// `schema` widened to hold `file`: wider types, the file's new columns appended in header order, nullability
// merged (a column the file lacks becomes nullable).
TableSchema Widen(const TableSchema& schema, const FileProfile& file);

// What changed from `before` to `after`, e.g. "added column region (text); item_cost_price widened integer ->
// decimal(2)"; "" when nothing but nullability did.
std::string DescribeChange(const TableSchema& before, const TableSchema& after);

struct VersionInfo {
  int version = 0;
  ChangeKind change = ChangeKind::kInitial;
  TableSchema columns;
};

// Where one file goes, given its table's versions so far (in version order).
struct Placement {
  bool new_version = false;
  int version = 0;                           // the version the file belongs to, existing or new
  ChangeKind change = ChangeKind::kInitial;  // the version's kind
  TableSchema columns;                       // the version's columns including this file
  std::string detail;                        // a new version's description of its change
  std::vector<SchemaProblem> problems;       // non-empty exactly when the file is breaking
};

Placement Place(const std::vector<VersionInfo>& versions, const FileProfile& file);

}  // namespace ledgerlake::catalog
