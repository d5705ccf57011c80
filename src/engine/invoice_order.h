// The order every consumer of a finished Ledger's invoices wants: by (account_id, date_issued, invoice_id), so
// that each account's invoices are one run, in the order the window, position and interval features need.
// The state is saved in this order (engine/state.h), so the base accounts an incremental run decodes come
// already sorted, and only this run's new and re-keyed invoices need placing: a merge, not a sort of everything.
#pragma once

#include <cstdint>
#include <vector>

#include <thread>

#include "engine/ledger.h"

namespace ledgerlake::engine {

// The order itself, for anything with account_id, date_issued and invoice_id (an InvoiceRow, a sort key).
template <typename A, typename B>
bool InvoiceOrderLess(const A& a, const B& b) {
  if (a.account_id != b.account_id) return a.account_id < b.account_id;
  if (a.date_issued != b.date_issued) return a.date_issued < b.date_issued;
  return a.invoice_id < b.invoice_id;
}

// What InvoiceOrder sorts: an invoice's order key and its position in the Ledger.
struct InvoiceSortKey {
  int64_t account_id;
  int64_t invoice_id;
  DayNumber date_issued;
  uint32_t position;
};

// Sorts `keys` by (account_id, date_issued, invoice_id). When the three fields' ranges fit in 64 bits together
// (billing systems number accounts and invoices densely, and dates span years, so they nearly always do), an LSD
// radix sort on the packed key, touching only the digits that vary; otherwise a comparison sort on two threads.
// Invoice ids are unique, so the order is total and both give the same result.
void SortInvoiceKeys(std::vector<InvoiceSortKey>& keys);

// Positions (KeyedTable order) of all of `ledger`'s invoices, sorted by (account_id, date_issued, invoice_id).
std::vector<uint32_t> InvoiceOrder(const FinishedLedger& ledger);

// The same order for a Ledger of extracts alone (no base state), computed on a thread of its own from the moment
// its invoice table is in: line items and Finish change no invoice's account, date or position, so the order can
// be sorted while the line items load (the line-item load leaves part of a core idle; the order used to take a
// core alone after it). Construct once the invoice table has ended, Take() before the Ledger is finished (moved
// into a FinishedLedger); the destructor waits for the thread.
class InvoiceOrderAhead {
 public:
  explicit InvoiceOrderAhead(const Ledger& ledger);  // ledger.base() is null; no invoice rows come any more
  ~InvoiceOrderAhead();
  InvoiceOrderAhead(const InvoiceOrderAhead&) = delete;
  InvoiceOrderAhead& operator=(const InvoiceOrderAhead&) = delete;
  // Waits for the order: InvoiceOrder(Finish(ledger)), as the Ledger is now.
  std::vector<uint32_t> Take();

 private:
  std::vector<uint32_t> order_;
  std::thread thread_;
};

}  // namespace ledgerlake::engine
