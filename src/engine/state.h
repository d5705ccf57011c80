// The Ledger's merged state between runs (the seed's job bookmarks, done exactly): every key's current row, each
// invoice's line-item sums and owning file, the orphan groups and pending line items, plus where the state stands
// (the as-of date of the run that wrote it, the newest landing sequence applied) and the line logs that hold its
// line items (engine/line_log.h). A run loads the state of the run before it, applies only later files and saves
// a new state; states are immutable files, written to a temporary name, fsynced and renamed. Invoices are kept by
// account, so that a run reads only the accounts it needs and copies the others into its own state as they were.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "engine/ledger.h"
#include "util/date.h"
#include "util/status.h"

namespace ledgerlake::engine {

struct StateInfo {
  DayNumber as_of = 0;  // the D of the run that wrote it
  // Per table, the newest landing sequence merged in: every file of the table up to it is (a table held back
  // by a breaking change keeps its later files for a later run).
  std::array<uint32_t, contract::kTableCount> bookmarks{};
  std::vector<std::string> line_logs;  // file names (relative to the state's directory), oldest first
  // Set by SaveState: an overlay names the complete state it lies over (a file beside it) and that file's seal;
  // empty and 0 for a complete state.
  std::string base;
  uint64_t base_seal = 0;
};

// A state that continues one is saved as an overlay over the complete state its other accounts stay in
// (docs/formats.md) while the overlay would hold at most 1/overlay_share of the invoices; 0: always complete.
inline constexpr uint32_t kOverlayShare = 2;
struct SaveOptions {
  uint32_t overlay_share = kOverlayShare;
};

// Writes `ledger` and `info` to `path` (through a temporary name; without fsync: the caller makes the file durable
// before relying on it), as of ledger.as_of() (info.as_of is ignored). `invoice_order` is InvoiceOrder(ledger)
// (engine/invoice_order.h): the invoices are saved in that order. Base accounts the ledger did not decode are
// copied with their digest, which still holds as of its D (Finish decoded those it changes), or left where they
// are, under an overlay.
Status SaveState(const FinishedLedger& ledger, const std::vector<uint32_t>& invoice_order, const StateInfo& info,
                 const std::string& path, const SaveOptions& options = {});

// Reads only the header of the state at `path`. kUnusableCache when it is not a state this ledgerlake reads.
Result<StateInfo> ReadStateInfo(const std::string& path);

// A Ledger continued from a saved state, ready to take the rows of the files landed after its bookmarks.
struct LoadedState {
  Ledger ledger;
  StateInfo info;
};

// Loads the state at `path`: every account, sku, orphan group and pending line, and the invoices as
// Ledger::base(), decoded account by account when needed (those of unknown accounts at once); the Ledger journals
// every change from here on. kUnusableCache when the file is missing, damaged or of another format version.
Result<LoadedState> LoadState(const std::string& path);

}  // namespace ledgerlake::engine
