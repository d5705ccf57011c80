// The independent computation the end-to-end tests compare the lake with: the reference SQL of tests/reference/
// (written from docs/ alone) run in DuckDB over the same extracts, and both sides printed the same way.
#pragma once

#include <string>
#include <vector>

namespace ledgerlake::e2e {

// One extract as it was landed: its path and table.
struct Extract {
  std::string path;  // a plain CSV file
  std::string table;  // accounts, skus, invoices or invoice_line_items
};

// The three feature datasets as the reference computes them as of `as_of` (YYYY-MM-DD) over `extracts` in
// landing order (an extract whose content was landed before is skipped, as landing it again is a no-op), as
// lines of text sorted per dataset (FeatureDump's form). Uses tests/reference/landed_files.sql; `scratch` is a
// directory for the stub files of tables without extracts. Adds a test failure when the SQL fails.
std::string ReferenceFeatures(const std::vector<Extract>& extracts, const std::string& as_of,
                              const std::string& scratch);

// The same for one clean delivery directory (tests/reference/clean_delivery.sql).
std::string ReferenceFeaturesOfDelivery(const std::string& dir, const std::string& as_of);

// The merged source tables (the rows that won the upserts, the line groups that own their invoices) as the
// reference computes them over `extracts`, and as the lake's source views show them, in one text form each.
std::string ReferenceSources(const std::vector<Extract>& extracts, const std::string& scratch);
std::string LakeSources(const std::string& lake);

// Fails the test when two dumps (lines of text) differ, showing the counts and the first lines only in each
// instead of the whole dumps.
void ExpectSameRows(const std::string& actual, const std::string& expected, const std::string& what);

// The lake's current feature views (or as of `as_of`, when not empty) in the same form.
std::string LakeFeatures(const std::string& lake, const std::string& as_of = "");

}  // namespace ledgerlake::e2e
