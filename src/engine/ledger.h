// Ledger: the merged state of the four raw tables after every landed extract has been applied in landing
// order, and the fate of every row read (docs/data-contract.md): accepted, rejected, duplicate or pending.
// Merge rules: accounts, skus and invoices are upserted per key (the most recently landed extract wins);
// within one file an exact repeat of the current row is a duplicate and a different row with the same key
// demotes the earlier one to a duplicate_key reject; line items have no key, so every valid one is a line (an
// exact repeat of an earlier line of its invoice in the same file is a second line of the same item, counted
// only as a warning); the line items of an invoice are replaced as a group by the most recently landed extract
// holding any of them. Parents are loaded before children (accounts, skus,
// invoices, line items), so a line item is priced the moment it is read and only per-invoice sums are kept.
//
// File ids are landing sequences, so a Ledger can carry on across runs: engine/state.h saves it after a run and
// loads it before the next, which applies only the files landed since. Loading leaves the base's invoices encoded
// (engine/base_invoices.h); an account's are decoded into invoices() when this run touches them, so that a small
// delivery costs in proportion to what it touches. A loaded Ledger journals what each key looked like before this
// run's first change to it, so the features can tell which rows changed (engine/features.h) without keeping the
// previous run's output.
//
// The phases are types. A Ledger takes rows (engine/loader.h feeds it); Finish() turns it into a FinishedLedger
// (pending rows resolved, repriced, the accounts D changes decoded), the only thing the features
// (engine/features.h), a saved state (engine/state.h) and the invoice order take: a wrong order does not compile.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "contract/rows.h"
#include "engine/keyed_table.h"
#include "util/status.h"

namespace ledgerlake::engine {

using contract::TableId;

struct FateCounts {
  uint64_t read = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t duplicate = 0;
  uint64_t pending = 0;
  FateCounts& operator+=(const FateCounts& o) {
    read += o.read;
    accepted += o.accepted;
    rejected += o.rejected;
    duplicate += o.duplicate;
    pending += o.pending;
    return *this;
  }
};

// Where an entry's row is in its file: enough to fetch its text (and count its line) again if a later row of
// the same file demotes it. Smaller than contract::RowLocation: the line is recomputed only when needed.
struct StoredLocation {
  uint64_t offset;  // as csv::RecordInfo::offset
  uint32_t length;
};

// A row that a later row of the same file demoted to a duplicate_key reject; its text is fetched from the file.
struct DemotedRow {
  TableId table;
  uint32_t file;
  int64_t key;
  StoredLocation location;
  uint64_t winner_line;  // the line of the row that replaced it
};

// The line items of one invoice from the extract that currently owns its group, priced and summed. Packed to
// 4-byte alignment (20 bytes), so that an invoice's entry is 56 bytes: 5M invoices are held in memory at once.
struct __attribute__((packed, aligned(4))) LineGroup {
  int64_t cents = 0;              // sum of quantity x retail price over the group's known-sku lines
  int64_t quantity = 0;           // sum of quantity over the same lines
  uint32_t file : 31 = kNoFile;   // the landed file (its sequence) that owns the group
  uint32_t overflow : 1 = 0;      // the exact sum does not fit in 64-bit cents
  static constexpr uint32_t kNoFile = (1u << 31) - 1;  // no file yet
};
static_assert(sizeof(LineGroup) == 20);

struct NoExtra {};

// The current row of one key, the file it came from, and (for invoices) the invoice's line-item group, so that
// a line item costs one lookup. What only the loading of its file needs (the row's content hash and location) is
// kept beside, for that file only (Ledger::FileRows).
template <typename Row, typename Extra = NoExtra>
struct KeyedEntry {
  Row row;
  uint32_t file;
  [[no_unique_address]] Extra extra;
};

using AccountEntry = KeyedEntry<contract::AccountRow>;
using SkuEntry = KeyedEntry<contract::SkuRow>;
using InvoiceEntry = KeyedEntry<contract::InvoiceRow, LineGroup>;
static_assert(sizeof(InvoiceEntry) == 56);

// A line item whose invoice or sku is unknown: pending while its group still owns the invoice. Kept across runs
// (engine/state.h) and priced the moment both parents are known.
struct PendingLine {
  int64_t invoice_id;
  int64_t item_id;
  int64_t quantity;
  uint32_t file;
};

// What an invoice looked like before this run first changed it (or that it did not exist).
struct InvoiceBefore {
  bool existed;
  contract::InvoiceRow row;
  LineGroup group;  // its sums
};

// Pre-images of everything an incremental run changed, by key; a key appears once, with its state at the base.
struct Journal {
  absl::flat_hash_map<int64_t, InvoiceBefore> invoices;
  absl::flat_hash_map<int64_t, std::optional<DayNumber>> accounts;  // joining date before; nullopt: new account
  absl::flat_hash_map<int64_t, std::optional<int64_t>> skus;        // retail cents before; nullopt: new sku
};

class LineLogWriter;  // engine/line_log.h
class BaseInvoices;   // engine/base_invoices.h

// A row waiting for its parent, as listed to users: which row, and the key it waits for.
struct PendingRow {
  TableId table;        // kInvoices or kLineItems
  uint32_t file;        // index into the run's landed files
  int64_t invoice_id;   // the invoice, or the line item's invoice
  int64_t item_id;      // the line item's sku (line items only)
  TableId missing;      // the parent table: accounts, invoices or skus
  int64_t missing_key;  // the parent key not known yet
};

class FinishedLedger;

class Ledger {
 public:
  Ledger();
  ~Ledger();
  Ledger(Ledger&&) noexcept;
  Ledger& operator=(Ledger&&) noexcept;

  const Journal& journal() const { return journal_; }
  // Whether it continues a saved state (engine/state.h: LoadState): changes are journaled, and row fates count
  // only the rows of files after the state's bookmarks.
  bool incremental() const { return journaling_; }

  // Continuing from a state (engine/state.h): the base's invoices, decoded into invoices() one account at a time
  // when this run touches the account (any row of it or of its invoices, a price its line items use) or asks
  // for it. Null for a Ledger built from extracts alone.
  const BaseInvoices* base() const { return base_.get(); }
  // Whether base account `ordinal` (below base()->size()) has its invoices in invoices().
  bool decoded(uint32_t ordinal) const { return decoded_[ordinal] != 0; }
  // The base accounts decoded so far, each a run of consecutive positions of invoices() holding the account's
  // invoices in (date_issued, invoice_id) order, as the state had them (this run may have changed some since).
  struct DecodedRun {
    int64_t account_id;
    uint32_t first;  // position
    uint32_t count;
  };
  const std::vector<DecodedRun>& decoded_runs() const { return decoded_runs_; }
  // Not OK when a base account failed to decode (a damaged state): nothing computed from this Ledger is right.
  const Status& base_status() const { return base_status_; }
  // Every accepted line item goes to `log` too, so a later run can reprice it (until Finish).
  void LogLinesTo(LineLogWriter* log) { line_log_ = log; }

  // Called when a file of `table` starts; files arrive in landing order, tables in kAllTables order. And when
  // the last file of a table has been added (the loader calls both).
  void BeginFile(TableId table, uint32_t file);
  void EndTable(TableId table) {
    if (table == TableId::kLineItems) EndLineItems();
  }

  void Add(const contract::ValidRow<contract::AccountRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::SkuRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::InvoiceRow>& row, uint32_t file);
  void Add(const contract::ValidRow<contract::LineItemRow>& row, uint32_t file);
  void CountReject(TableId table) {
    ++counts_[Index(table)].read;
    ++counts_[Index(table)].rejected;
  }

  // A hint that about `rows` more rows of `table` are coming (sizes the key index once instead of growing it).
  void ExpectRows(TableId table, size_t rows);

  // Rows demoted to duplicate_key since the last call (the loader turns them into Rejects).
  std::vector<DemotedRow> TakeDemoted() { return std::exchange(demoted_, {}); }

  const FateCounts& counts(TableId table) const { return counts_[Index(table)]; }
  // Line items read so far that repeat an earlier line of their invoice in the same file exactly (all kept).
  // Counted run by run: exports list an invoice's lines together, so a line is compared only with the lines
  // before it in its run (the consecutive lines of its invoice), and the lines of a file are not kept. When a
  // line's invoice already had lines earlier in the file, outside the current run, the count of that file is not
  // known from the runs alone: LineRepeatsNeedRecount() says so until the loader, which re-reads the file, gives
  // the file's exact count to SetFileLineRepeats (engine/loader.h).
  uint64_t repeated_line_items() const { return repeated_lines_; }
  bool LineRepeatsNeedRecount() const { return run_.revisited; }
  // The current line-item file's exact count of repeated lines, replacing what its runs counted.
  void SetFileLineRepeats(uint64_t repeats) {
    repeated_lines_ = repeated_lines_ - run_.file_repeats + repeats;
    run_.file_repeats = repeats;
    run_.revisited = false;
  }
  const KeyedTable<AccountEntry>& accounts() const { return accounts_; }
  const KeyedTable<SkuEntry>& skus() const { return skus_; }
  // Each invoice's entry carries its line-item group in `extra` (while the line-item table loads into a Ledger
  // without a base, the groups of densely numbered invoices are kept apart: read them after EndTable or Finish).
  const KeyedTable<InvoiceEntry>& invoices() const { return invoices_; }
  // After Finish: every pending row (invoices in landing order of their key, then line items in reading order).
  const std::vector<PendingRow>& PendingRows() const { return pending_rows_; }
  // The invoices whose line items wait for them (orphan groups), sorted.
  std::vector<int64_t> OrphanInvoices() const;

 private:
  friend class StateCodec;      // engine/state.cc
  friend class FinishedLedger;  // Finish

  // Marks everything in the Ledger so far (loaded by engine/state.h) as the base, made of each table's files
  // landed up to its bookmark: from now on changes are journaled, and row fates count only rows of later files.
  void StartIncremental(const std::array<uint32_t, contract::kTableCount>& bookmarks);
  // Decodes the base accounts whose rows D moving on to `as_of` can change (AccountDigest::next_change).
  void DecodeDue(DayNumber as_of);
  // Decodes every base account.
  void DecodeAll();
  // The base's line items (in `logs`, written by earlier runs) of skus whose price this run changed, repriced in
  // their invoices' sums. Fails when a log cannot be read.
  Status Reprice(const std::vector<std::string>& logs);
  // Writes to `out` the lines of `logs` that are still live (their file owns their invoice's group, known or
  // orphan), so that one log can replace many (it decodes every base account to tell).
  Status CompactLines(const std::vector<std::string>& logs, LineLogWriter& out);
  // Resolves pending rows once every file is in: prices the line items whose parents are now known and lists
  // what still waits.
  void Resolve();

  // Decoding base accounts (see base()): by ordinal; the base account of an account id, if any; the base account
  // an invoice belongs to, if any; and an invoice's entry, decoding its base account first if need be.
  void DecodeBase(uint32_t ordinal);
  void DecodeBaseAccount(int64_t account_id);
  void DecodeBaseInvoice(int64_t invoice_id);
  InvoiceEntry* FindInvoice(int64_t invoice_id);

  // Journal hooks, called before a change while incremental.
  void JournalInvoice(InvoiceEntry& e);
  void JournalNewInvoice(int64_t invoice_id);
  void PriceLine(InvoiceEntry& invoice, LineGroup& g, int64_t quantity, int64_t retail_cents);
  static size_t Index(TableId t) { return static_cast<size_t>(t); }
  bool IsBase(TableId table, uint32_t file) const { return journaling_ && file <= bookmarks_[Index(table)]; }
  template <typename Entry, typename Row>
  void Upsert(KeyedTable<Entry>& entries, TableId table, int64_t key, const contract::ValidRow<Row>& row,
              uint32_t file);

  // The rows the current file of a keyed table put in the Ledger, by entry position: their content hash (a later
  // exact repeat is a duplicate) and where they are (a row a later one demotes is read back from the file). Only
  // while that file loads: once it is done, a later file's row replaces a row whatever its content.
  class FileRows {
   public:
    struct __attribute__((packed, aligned(4))) Origin {  // 20 bytes
      uint64_t content_hash;
      uint64_t offset;
      uint32_t length;
    };
    // Starts a file whose new entries will have positions from `first_new` on.
    void Begin(uint32_t first_new);
    void Reserve(size_t rows);  // a hint: about this many rows are coming
    void Set(uint32_t position, const Origin& origin);
    const Origin& Get(uint32_t position) const;  // set for `position` in this file
   private:
    uint32_t first_new_ = 0;
    std::vector<Origin> fresh_;                            // entries this file inserted, from first_new_ on
    absl::flat_hash_map<uint32_t, Origin> replaced_;       // entries of earlier files that this file replaced
  };

  // The current file's run of line items: the consecutive lines of one invoice, by content hash (item, quantity
  // and extra columns by value). Two different lines could only be confused (and a line miscounted as a repeat,
  // never dropped) by a 64-bit collision between lines of one run. Short runs are searched in `hashes`; long
  // ones in a set, so that an invoice of thousands of lines costs no quadratic time.
  struct LineRun {
    static constexpr size_t kScanned = 16;
    bool open = false;
    int64_t invoice_id = 0;
    std::vector<uint64_t> hashes;
    absl::flat_hash_set<uint64_t> set;  // the run's hashes once it has more than kScanned lines
    uint64_t file_repeats = 0;          // repeats counted in the current file
    bool revisited = false;             // an invoice of the current file came back after another one's lines
    void Start(int64_t invoice, uint64_t hash);
    bool Repeats(uint64_t hash);  // whether `hash` is already in the run; adds it
  };

  std::array<FateCounts, contract::kTableCount> counts_{};
  uint64_t repeated_lines_ = 0;
  KeyedTable<AccountEntry> accounts_;
  KeyedTable<SkuEntry> skus_;
  KeyedTable<InvoiceEntry> invoices_;
  absl::flat_hash_map<int64_t, LineGroup> orphan_groups_;  // groups of line items whose invoice is unknown
  LineRun run_;
  FileRows file_rows_;
  InvoiceEntry* last_invoice_ = nullptr;  // the entry of last_invoice_id_, if it is a known invoice
  int64_t last_invoice_id_ = 0;
  std::vector<PendingLine> pending_lines_;  // line items whose parent was unknown when read (until Finish)
  std::vector<PendingRow> pending_rows_;    // set by Finish
  std::vector<DemotedRow> demoted_;

  std::unique_ptr<BaseInvoices> base_;  // set by the state's loader
  std::vector<uint8_t> decoded_;         // per base account
  std::vector<DecodedRun> decoded_runs_;
  std::vector<InvoiceEntry> decoding_;  // DecodeBase's scratch: one account's invoices
  // While a complete Ledger (no base) takes line items: the line groups of the invoices of the key index's direct
  // array, by invoice id (slot i: invoice i), moved out of their entries. Extracts list invoices in any order and
  // line items by invoice, so reading each group from its entry was a cache miss per invoice; here the line items
  // walk the groups in order. Moved back when the table ends (EndTable), before anything else reads them; Finish
  // and an invoice row make sure of it too.
  std::vector<LineGroup> key_groups_;
  bool key_groups_active_ = false;
  void BeginLineItems();
  void EndLineItems();
  Status base_status_;
  bool journaling_ = false;
  std::array<uint32_t, contract::kTableCount> bookmarks_{};  // per table: its files up to this are the base
  Journal journal_;
  int64_t last_journaled_ = 0;  // the invoice whose first change this run is journaled (cache of the journal)
  bool any_journaled_ = false;
  absl::flat_hash_set<int64_t> adopted_;  // new invoices that took over a base orphan group (its lines unpriced)
  LineLogWriter* line_log_ = nullptr;
};

// What Finish needs besides the Ledger.
struct FinishOptions {
  DayNumber as_of = 0;                 // D: the base accounts whose rows D moving on changes are decoded
  std::vector<std::string> line_logs;  // a continued Ledger's base line logs (engine/state.h), for repricing
};

// A Ledger with every row in: what the features, the invoice order and a saved state are computed from.
class FinishedLedger {
 public:
  // Resolves the pending rows (pricing the line items whose parents arrived), reprices a continued Ledger's base
  // lines of skus whose price changed, and decodes the base accounts whose rows D moving on changes. Fails with
  // kUnusableCache when the base's state or a line log turns out damaged: nothing from it can be trusted, and the
  // run rebuilds from the raw zone.
  static Result<FinishedLedger> Finish(Ledger ledger, const FinishOptions& options);

  FinishedLedger(FinishedLedger&&) noexcept = default;
  FinishedLedger& operator=(FinishedLedger&&) noexcept = default;

  const Ledger& ledger() const { return ledger_; }
  DayNumber as_of() const { return as_of_; }
  // For a continued Ledger, the D of the state it continued; nullopt for one built from extracts alone.
  std::optional<DayNumber> base_as_of() const;

  // Decodes every base account: ComputeFeatures needs all of them (it does this itself).
  void DecodeAll();
  // Writes to `out` the lines of `logs` that are still live; kUnusableCache when a log cannot be read.
  Status CompactLines(const std::vector<std::string>& logs, LineLogWriter& out);

 private:
  FinishedLedger(Ledger ledger, DayNumber as_of) : ledger_(std::move(ledger)), as_of_(as_of) {}
  Ledger ledger_;
  DayNumber as_of_;
};

}  // namespace ledgerlake::engine
