// The order every consumer of a finished Ledger's invoices wants: by (account_id, date_issued, invoice_id), so
// that each account's invoices are one run, in the order the window, position and interval features need.
// The state is saved in this order (engine/state.h), so an incremental run loads its base already sorted and
// only has to place this run's new and re-keyed invoices: a merge, not a sort of every invoice.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/ledger.h"

namespace ledgerlake::engine {

// Positions (KeyedTable order) of all of `ledger`'s invoices, sorted by (account_id, date_issued, invoice_id).
// Requires ledger.Finish(). Sorts on two threads when there is much to sort.
std::vector<uint32_t> InvoiceOrder(const Ledger& ledger);

}  // namespace ledgerlake::engine
