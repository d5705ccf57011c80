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

// Positions (KeyedTable order) of all of `ledger`'s invoices, sorted by (account_id, date_issued, invoice_id).
// Sorts on two threads when there is much to sort.
std::vector<uint32_t> InvoiceOrder(const FinishedLedger& ledger);

}  // namespace ledgerlake::engine
