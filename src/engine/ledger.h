// Ledger: the merged state of the four raw tables after every landed extract has been applied in landing
// order, and the fate of every row read (data-contract.md): accepted, rejected, duplicate or pending.
// Merge rules: accounts, skus and invoices are upserted per key (the most recently landed extract wins);
// within one file an exact repeat of the current row is a duplicate and a different row with the same key
// demotes the earlier one to a duplicate_key reject; the line items of an invoice are replaced as a group by the
// most recently landed extract holding any of them. Parents are loaded before children (accounts, skus,
// invoices, line items), so a line item is priced the moment it is read and only per-invoice sums are kept.
// Fed by engine/loader.h; read by engine/features.h.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <array>
#include <cstdint>
#include <vector>

#include "contract/rows.h"

namespace ledgerlake::engine {

using contract::TableId;

struct FateCounts {
  uint64_t read = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t duplicate = 0;
  uint64_t pending = 0;
};

// A row that a later row of the same file demoted to a duplicate_key reject; its text is fetched from the file.
struct DemotedRow {
  TableId table;
  uint32_t file;
  int64_t key;
  contract::RowLocation location;
  uint64_t winner_line;  // the line of the row that replaced it
};

template <typename Row>
struct KeyedEntry {
  Row row;
  uint64_t content_hash;
  contract::RowLocation location;
  uint32_t file;
};

// The line items of one invoice from the extract that currently owns its group, priced and summed.
struct LineGroup {
  uint32_t file = UINT32_MAX;  // no file yet
  bool overflow = false;  // the exact sum does not fit in 64-bit cents
  int64_t cents = 0;      // sum of quantity x retail price over the group's known-sku lines
  int64_t quantity = 0;   // sum of quantity over the same lines
};

// A line item whose invoice or sku is unknown: pending when its group still owns the invoice at the end.
struct PendingLine {
  int64_t invoice_id;
  int64_t item_id;
  uint32_t file;
  bool invoice_missing;
  bool sku_missing;
};

class Ledger {
 public:
  // Called when a file of `table` starts; files arrive in landing order, tables in kAllTables order.
  void BeginFile(TableId table, uint32_t file);

  void Add(const contract::ValidRow<contract::AccountRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::SkuRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::InvoiceRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::LineItemRow>& row, uint32_t file);
  void CountReject(TableId table) {
    ++counts_[Index(table)].read;
    ++counts_[Index(table)].rejected;
  }

  // Rows demoted to duplicate_key since the last call (the loader turns them into Rejects).
  std::vector<DemotedRow> TakeDemoted() { return std::exchange(demoted_, {}); }

  // Resolves pending rows once every file is in. Call once, after the last Add.
  void Finish();

  const FateCounts& counts(TableId table) const { return counts_[Index(table)]; }
  const absl::flat_hash_map<int64_t, KeyedEntry<contract::AccountRow>>& accounts() const { return accounts_; }
  const absl::flat_hash_map<int64_t, KeyedEntry<contract::SkuRow>>& skus() const { return skus_; }
  const absl::flat_hash_map<int64_t, KeyedEntry<contract::InvoiceRow>>& invoices() const { return invoices_; }
  const absl::flat_hash_map<int64_t, LineGroup>& line_groups() const { return groups_; }
  // After Finish: the line items still waiting for a parent.
  const std::vector<PendingLine>& pending_lines() const { return pending_lines_; }

 private:
  static size_t Index(TableId t) { return static_cast<size_t>(t); }
  template <typename Row>
  void Upsert(absl::flat_hash_map<int64_t, KeyedEntry<Row>>& map, TableId table, int64_t key,
              const contract::ValidRow<Row>& row, uint32_t file);

  struct LineKey {
    int64_t invoice_id;
    int64_t item_id;
    int64_t quantity;
    uint64_t content_hash;
    bool operator==(const LineKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const LineKey& k) {
      return H::combine(std::move(h), k.invoice_id, k.item_id, k.quantity, k.content_hash);
    }
  };

  std::array<FateCounts, contract::kTableCount> counts_{};
  absl::flat_hash_map<int64_t, KeyedEntry<contract::AccountRow>> accounts_;
  absl::flat_hash_map<int64_t, KeyedEntry<contract::SkuRow>> skus_;
  absl::flat_hash_map<int64_t, KeyedEntry<contract::InvoiceRow>> invoices_;
  absl::flat_hash_map<int64_t, LineGroup> groups_;
  absl::flat_hash_set<LineKey> file_lines_;  // line items seen in the current file (exact-repeat detection)
  std::vector<PendingLine> pending_lines_;
  std::vector<DemotedRow> demoted_;
  bool finished_ = false;
};

}  // namespace ledgerlake::engine
