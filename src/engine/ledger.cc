#include "engine/ledger.h"

#include <utility>

namespace ledgerlake::engine {

using contract::ValidRow;

void Ledger::BeginFile(TableId table, uint32_t /*file*/) {
  if (table == TableId::kLineItems) file_lines_.clear();
}

template <typename Entry, typename Row>
void Ledger::Upsert(KeyedTable<Entry>& entries, TableId table, int64_t key, const ValidRow<Row>& row, uint32_t file) {
  FateCounts& c = counts_[Index(table)];
  ++c.read;
  auto [entry, inserted] =
      entries.TryInsert(key, Entry{row.row, row.content_hash, row.location.offset, row.location.length, file, {}});
  if (inserted) {
    ++c.accepted;
    return;
  }
  Entry& e = *entry;
  if (e.file == file) {
    if (e.content_hash == row.content_hash) {
      ++c.duplicate;  // exact repeat of the accepted row of this file: counted, kept once
      return;
    }
    // Same key, different values, same file: the earlier row is rejected and the later one wins.
    demoted_.push_back(DemotedRow{table, file, key, e.location(), row.location.line});
    --c.accepted;
    ++c.rejected;
  }
  // An earlier file's row is superseded (it stays counted as accepted: it was valid and used until now).
  // `extra` (an invoice's line items) belongs to the key, not to the row, and is kept.
  e.row = row.row;
  e.content_hash = row.content_hash;
  e.offset = row.location.offset;
  e.length = row.location.length;
  e.file = file;
  ++c.accepted;
}

void Ledger::ExpectRows(TableId table, size_t rows) {
  switch (table) {
    case TableId::kAccounts: accounts_.Reserve(accounts_.size() + rows); break;
    case TableId::kSkus: skus_.Reserve(skus_.size() + rows); break;
    case TableId::kInvoices: invoices_.Reserve(invoices_.size() + rows); break;
    case TableId::kLineItems: break;  // line items have no key index
  }
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
  // Exports list an invoice's lines together: remember the last invoice found (entries never move).
  if (r.invoice_id != last_invoice_id_ || last_invoice_ == nullptr) {
    last_invoice_ = invoices_.Find(r.invoice_id);
    last_invoice_id_ = r.invoice_id;
  }
  InvoiceEntry* invoice = last_invoice_;
  const bool invoice_missing = invoice == nullptr;
  LineGroup& g = invoice_missing ? orphan_groups_[r.invoice_id] : invoice->extra;
  if (g.file != file) {
    g = LineGroup{};  // the first line of this invoice in this file takes the group over
    g.file = file;
  } else {
    for (uint32_t n = g.line_head; n != LineGroup::kNoLine; n = file_lines_[n].next) {
      if (file_lines_[n].content_hash == row.content_hash) {
        ++c.duplicate;
        return;
      }
    }
  }
  file_lines_.push_back(LineNode{row.content_hash, g.line_head});
  g.line_head = static_cast<uint32_t>(file_lines_.size() - 1) & LineGroup::kNoLine;
  ++c.accepted;

  const SkuEntry* sku = skus_.Find(r.item_id);
  if (invoice_missing || sku == nullptr) {
    pending_lines_.push_back(PendingLine{r.invoice_id, r.item_id, file, invoice_missing, sku == nullptr});
    return;
  }
  int64_t line_cents = 0;
  if (__builtin_mul_overflow(r.quantity, sku->row.retail_cents, &line_cents) ||
      __builtin_add_overflow(g.cents, line_cents, &g.cents) || __builtin_add_overflow(g.quantity, r.quantity, &g.quantity)) {
    g.overflow = 1;
  }
}

void Ledger::Finish() {
  if (finished_) return;
  finished_ = true;
  file_lines_ = SegmentedVector<LineNode>();  // repeat detection is over: give the memory back
  FateCounts& inv = counts_[Index(TableId::kInvoices)];
  invoices_.ForEach([&](const InvoiceEntry& e) {
    if (!accounts_.contains(e.row.account_id)) {
      --inv.accepted;
      ++inv.pending;
      pending_rows_.push_back(
          PendingRow{TableId::kInvoices, e.file, e.row.invoice_id, 0, TableId::kAccounts, e.row.account_id});
    }
  });
  // A line of a group that a later extract replaced is superseded, not pending.
  FateCounts& li = counts_[Index(TableId::kLineItems)];
  for (const PendingLine& p : pending_lines_) {
    const InvoiceEntry* invoice = invoices_.Find(p.invoice_id);
    const LineGroup& g = invoice != nullptr ? invoice->extra : orphan_groups_.at(p.invoice_id);
    if (g.file != p.file) continue;
    --li.accepted;
    ++li.pending;
    // A line missing both parents waits for its invoice first.
    pending_rows_.push_back(PendingRow{TableId::kLineItems, p.file, p.invoice_id, p.item_id,
                                       p.invoice_missing ? TableId::kInvoices : TableId::kSkus,
                                       p.invoice_missing ? p.invoice_id : p.item_id});
  }
  pending_lines_ = {};
}

}  // namespace ledgerlake::engine
