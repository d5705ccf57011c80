#include "engine/ledger.h"

#include <utility>

namespace ledgerlake::engine {

using contract::ValidRow;

void Ledger::BeginFile(TableId table, uint32_t /*file*/) {
  if (table == TableId::kLineItems) file_lines_.clear();
}

template <typename Row>
void Ledger::Upsert(absl::flat_hash_map<int64_t, KeyedEntry<Row>>& map, TableId table, int64_t key,
                    const ValidRow<Row>& row, uint32_t file) {
  FateCounts& c = counts_[Index(table)];
  ++c.read;
  auto [it, inserted] = map.try_emplace(key, KeyedEntry<Row>{row.row, row.content_hash, row.location, file});
  if (inserted) {
    ++c.accepted;
    return;
  }
  KeyedEntry<Row>& e = it->second;
  if (e.file == file) {
    if (e.content_hash == row.content_hash) {
      ++c.duplicate;  // exact repeat of the accepted row of this file: counted, kept once
      return;
    }
    // Same key, different values, same file: the earlier row is rejected and the later one wins.
    demoted_.push_back(DemotedRow{table, file, key, e.location, row.location.line});
    --c.accepted;
    ++c.rejected;
  }
  // An earlier file's row is superseded (it stays counted as accepted: it was valid and used until now).
  e = KeyedEntry<Row>{row.row, row.content_hash, row.location, file};
  ++c.accepted;
}

void Ledger::Add(const ValidRow<contract::AccountRow>& row, uint32_t file) {
  Upsert(accounts_, TableId::kAccounts, row.row.account_id, row, file);
}

void Ledger::Add(const ValidRow<contract::SkuRow>& row, uint32_t file) {
  Upsert(skus_, TableId::kSkus, row.row.item_id, row, file);
}

void Ledger::Add(const ValidRow<contract::InvoiceRow>& row, uint32_t file) {
  Upsert(invoices_, TableId::kInvoices, row.row.invoice_id, row, file);
}

void Ledger::Add(const ValidRow<contract::LineItemRow>& row, uint32_t file) {
  FateCounts& c = counts_[Index(TableId::kLineItems)];
  ++c.read;
  const contract::LineItemRow& r = row.row;
  if (!file_lines_.insert(LineKey{r.invoice_id, r.item_id, r.quantity, row.content_hash}).second) {
    ++c.duplicate;
    return;
  }
  ++c.accepted;
  LineGroup& g = groups_[r.invoice_id];
  if (g.file != file) g = LineGroup{file, false, 0, 0};  // the first line of this invoice in this file takes over
  const bool invoice_missing = !invoices_.contains(r.invoice_id);
  const auto sku = skus_.find(r.item_id);
  if (invoice_missing || sku == skus_.end()) {
    pending_lines_.push_back(PendingLine{r.invoice_id, r.item_id, file, invoice_missing, sku == skus_.end()});
    return;
  }
  int64_t line_cents = 0;
  if (__builtin_mul_overflow(r.quantity, sku->second.row.retail_cents, &line_cents) ||
      __builtin_add_overflow(g.cents, line_cents, &g.cents) || __builtin_add_overflow(g.quantity, r.quantity, &g.quantity)) {
    g.overflow = true;
  }
}

void Ledger::Finish() {
  if (finished_) return;
  finished_ = true;
  FateCounts& inv = counts_[Index(TableId::kInvoices)];
  for (const auto& [id, e] : invoices_) {
    if (!accounts_.contains(e.row.account_id)) {
      --inv.accepted;
      ++inv.pending;
    }
  }
  // A line of a group that a later extract replaced is superseded, not pending.
  FateCounts& li = counts_[Index(TableId::kLineItems)];
  std::vector<PendingLine> still;
  for (const PendingLine& p : pending_lines_) {
    if (groups_.at(p.invoice_id).file != p.file) continue;
    --li.accepted;
    ++li.pending;
    still.push_back(p);
  }
  pending_lines_ = std::move(still);
}

}  // namespace ledgerlake::engine
