// The order every consumer of a finished Ledger's invoices wants: by (account_id, date_issued, invoice_id), so
// that each account's invoices are one run, in the order the window, position and interval features need.
// The state is saved in this order (engine/state.h), so the base accounts an incremental run decodes come
// already sorted, and only this run's new and re-keyed invoices need placing: a merge, not a sort of everything.
#pragma once

#include <cstdint>
#include <vector>

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

}  // namespace ledgerlake::engine
