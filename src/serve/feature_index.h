// The online store: every account's account_features row and its current invoice_features rows, held in memory
// and rendered as JSON for GET /api/accounts/{id}/features without touching DuckDB. Built from a sandbox's views
// (a whole scan of each, in the background after each committed run) and swapped in whole, so a lookup sees one
// run's features or the next one's, never a mix. Rows are kept as their JSON values (rendered as /api/query
// renders them), about 60 bytes per invoice; an account's invoices are found by binary search on account id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "duck/database.h"
#include "util/status.h"

namespace ledgerlake::serve {

class FeatureIndex {
 public:
  // Reads account_features and invoice_features through `conn` (which must see both views).
  static Result<FeatureIndex> Build(duck::Connection& conn);

  // {"account": {...}, "invoices": [{...}, ...]} for `account_id`, invoices by invoice id; nullopt when the
  // account has no account_features row.
  std::optional<std::string> Render(int64_t account_id) const;

  size_t accounts() const { return accounts_.ids.size(); }
  size_t invoices() const { return invoices_.ids.size(); }

 private:
  // Rows of JSON values: row r's cells are cells[cell_start[r] ...], each ending at its offset in `ends`.
  struct Table {
    std::vector<std::string> keys;  // "\"name\":" per column
    std::vector<int64_t> ids;       // the key each row is found by, ascending
    std::string text;               // every cell's JSON text, one after the other
    std::vector<uint32_t> ends;     // end offset (in text, from the row's start) of every cell, row after row
    std::vector<uint64_t> starts;   // where each row's text starts
    void AppendObject(size_t row, std::string& out) const;
  };
  static Result<Table> Load(duck::Connection& conn, const std::string& sql);

  Table accounts_;
  Table invoices_;  // by account id, then invoice id
};

}  // namespace ledgerlake::serve
