#include "engine/ledger.h"

#include <algorithm>
#include <utility>

#include "engine/base_invoices.h"
#include "engine/line_log.h"

namespace ledgerlake::engine {

using contract::ValidRow;

Ledger::Ledger() = default;
Ledger::~Ledger() = default;
Ledger::Ledger(Ledger&&) noexcept = default;
Ledger& Ledger::operator=(Ledger&&) noexcept = default;

void Ledger::DecodeBase(uint32_t ordinal) {
  if (decoded_[ordinal] != 0) return;
  decoded_[ordinal] = 1;
  const auto first = static_cast<uint32_t>(invoices_.size());
  // An account's invoice ids are scattered over the key index: decoded first and their slots prefetched, then
  // inserted.
  decoding_.clear();
  const bool ok = base_->Decode(ordinal, [&](const InvoiceEntry& e) {
    invoices_.Prefetch(e.row.invoice_id);
    decoding_.push_back(e);
  });
  for (const InvoiceEntry& e : decoding_) {
    if (!invoices_.TryInsert(e.row.invoice_id, e).second && base_status_.ok()) {
      base_status_ = Status::Corruption("invoice " + std::to_string(e.row.invoice_id) +
                                        " is in the state twice (a damaged state)");
    }
  }
  if (!ok && base_status_.ok()) {
    base_status_ = Status::Corruption("the invoices of account " + std::to_string(base_->account(ordinal).account_id) +
                                      " do not decode (a damaged state)");
  }
  const auto count = static_cast<uint32_t>(invoices_.size()) - first;
  decoded_runs_.push_back(DecodedRun{base_->account(ordinal).account_id, first, count});
}

void Ledger::DecodeBaseAccount(int64_t account_id) {
  if (base_ == nullptr) return;
  if (const uint32_t ordinal = base_->OrdinalOfAccount(account_id); ordinal != BaseInvoices::kNone) {
    DecodeBase(ordinal);
  }
}

void Ledger::DecodeBaseInvoice(int64_t invoice_id) {
  if (base_ == nullptr) return;
  if (const uint32_t ordinal = base_->OrdinalOfInvoice(invoice_id); ordinal != BaseInvoices::kNone) {
    if (ordinal < base_->size()) {
      DecodeBase(ordinal);
    } else if (base_status_.ok()) {
      base_status_ = Status::Corruption("the state's invoice index points past its accounts (a damaged state)");
    }
  }
}

InvoiceEntry* Ledger::FindInvoice(int64_t invoice_id) {
  InvoiceEntry* e = invoices_.Find(invoice_id);
  if (e != nullptr || base_ == nullptr) return e;
  DecodeBaseInvoice(invoice_id);
  return invoices_.Find(invoice_id);
}

void Ledger::DecodeDue(DayNumber as_of) {
  if (base_ == nullptr) return;
  for (uint32_t ordinal = 0; ordinal < base_->size(); ++ordinal) {
    if (decoded_[ordinal] == 0 && base_->account(ordinal).digest.next_change <= as_of) DecodeBase(ordinal);
  }
}

void Ledger::DecodeAll() {
  if (base_ == nullptr) return;
  for (uint32_t ordinal = 0; ordinal < base_->size(); ++ordinal) DecodeBase(ordinal);
}

void Ledger::StartIncremental(const std::array<uint32_t, contract::kTableCount>& bookmarks) {
  journaling_ = true;
  bookmarks_ = bookmarks;
}

void Ledger::BeginFile(TableId table, uint32_t /*file*/) {
  switch (table) {
    case TableId::kAccounts: file_rows_.Begin(static_cast<uint32_t>(accounts_.size())); break;
    case TableId::kSkus: file_rows_.Begin(static_cast<uint32_t>(skus_.size())); break;
    case TableId::kInvoices: file_rows_.Begin(static_cast<uint32_t>(invoices_.size())); break;
    case TableId::kLineItems: file_rows_ = FileRows{}; break;  // keyed tables are done: give the memory back
  }
  if (table == TableId::kLineItems) {
    run_.open = false;
    run_.file_repeats = 0;
    run_.revisited = false;
    BeginLineItems();
  }
}

void Ledger::BeginLineItems() {
  // Only a Ledger of extracts alone: a continued one decodes base accounts (new entries) while line items come.
  // And only for densely numbered invoices: the array costs 24 bytes an id, at most 30 an invoice.
  if (key_groups_active_ || base_ != nullptr || journaling_ || invoices_.max_key() < 0) return;
  const size_t ids = std::min(invoices_.DenseSize(), static_cast<size_t>(invoices_.max_key()) + 1);
  if (ids == 0 || ids > invoices_.size() + invoices_.size() / 4) return;
  key_groups_.assign(ids, LineGroup{});
  invoices_.ForEachDense([&](int64_t key, InvoiceEntry& e) {
    if (static_cast<size_t>(key) < ids) key_groups_[static_cast<size_t>(key)] = e.extra;
  });
  key_groups_active_ = true;
  last_invoice_ = nullptr;
}

void Ledger::EndLineItems() {
  if (!key_groups_active_) return;
  invoices_.ForEachDense([&](int64_t key, InvoiceEntry& e) {
    if (static_cast<size_t>(key) < key_groups_.size()) e.extra = key_groups_[static_cast<size_t>(key)];
  });
  key_groups_ = std::vector<LineGroup>();
  key_groups_active_ = false;
  last_invoice_ = nullptr;
}

void Ledger::LineRun::Start(int64_t invoice, uint64_t hash) {
  open = true;
  invoice_id = invoice;
  hashes.clear();
  hashes.push_back(hash);
  if (!set.empty()) set.clear();
}

bool Ledger::LineRun::Repeats(uint64_t hash) {
  if (hashes.size() <= kScanned) {
    if (std::find(hashes.begin(), hashes.end(), hash) != hashes.end()) return true;
    hashes.push_back(hash);
    if (hashes.size() > kScanned) set.insert(hashes.begin(), hashes.end());
    return false;
  }
  return !set.insert(hash).second;
}

void Ledger::JournalInvoice(InvoiceEntry& e) {
  if (!journaling_ || (any_journaled_ && last_journaled_ == e.row.invoice_id)) return;
  journal_.invoices.try_emplace(e.row.invoice_id, InvoiceBefore{true, e.row, e.extra});
  last_journaled_ = e.row.invoice_id;
  any_journaled_ = true;
}

void Ledger::JournalNewInvoice(int64_t invoice_id) {
  if (!journaling_) return;
  journal_.invoices.try_emplace(invoice_id, InvoiceBefore{false, {}, {}});
  last_journaled_ = invoice_id;
  any_journaled_ = true;
}

template <typename Entry, typename Row>
void Ledger::Upsert(KeyedTable<Entry>& entries, TableId table, int64_t key, const ValidRow<Row>& row, uint32_t file) {
  FateCounts& c = counts_[Index(table)];
  ++c.read;
  if constexpr (std::is_same_v<Entry, InvoiceEntry>) {
    // The base's entry of the invoice, and the invoices its row joins (its position there changes).
    DecodeBaseInvoice(key);
    DecodeBaseAccount(row.row.account_id);
  }
  const FileRows::Origin origin{row.content_hash, row.location.offset, row.location.length};
  auto [entry, inserted] = entries.TryInsert(key, Entry{row.row, file, {}});
  if (inserted) {
    file_rows_.Set(static_cast<uint32_t>(entries.size() - 1), origin);
    ++c.accepted;
    if constexpr (std::is_same_v<Entry, InvoiceEntry>) {
      JournalNewInvoice(key);
      // Line items that came before their invoice (in an earlier run) form an orphan group: it is the invoice's.
      if (!orphan_groups_.empty()) {
        if (auto it = orphan_groups_.find(key); it != orphan_groups_.end()) {
          entry->extra = it->second;
          orphan_groups_.erase(it);
          if (journaling_) adopted_.insert(key);
        }
      }
    } else if constexpr (std::is_same_v<Entry, AccountEntry>) {
      if (journaling_) journal_.accounts.try_emplace(key, std::nullopt);
    } else {
      if (journaling_) journal_.skus.try_emplace(key, std::nullopt);
    }
    return;
  }
  Entry& e = *entry;
  const uint32_t position = entries.PositionOf(key);
  if (e.file == file) {
    const FileRows::Origin& earlier = file_rows_.Get(position);
    if (earlier.content_hash == row.content_hash) {
      ++c.duplicate;  // exact repeat of the accepted row of this file: counted, kept once
      return;
    }
    // Same key, different values, same file: the earlier row is rejected and the later one wins.
    demoted_.push_back(DemotedRow{table, file, key, StoredLocation{earlier.offset, earlier.length}, row.location.line});
    --c.accepted;
    ++c.rejected;
  }
  if (journaling_) {
    if constexpr (std::is_same_v<Entry, InvoiceEntry>) {
      JournalInvoice(e);
    } else if constexpr (std::is_same_v<Entry, AccountEntry>) {
      journal_.accounts.try_emplace(key, e.row.joining_date);
    } else {
      journal_.skus.try_emplace(key, e.row.retail_cents);
    }
  }
  // An earlier file's row is superseded (it stays counted as accepted: it was valid and used until now).
  // `extra` (an invoice's line items) belongs to the key, not to the row, and is kept.
  e.row = row.row;
  e.file = file;
  file_rows_.Set(position, origin);
  ++c.accepted;
}

void Ledger::FileRows::Begin(uint32_t first_new) {
  first_new_ = first_new;
  fresh_.clear();
  replaced_.clear();
}

void Ledger::FileRows::Set(uint32_t position, const Origin& origin) {
  if (position < first_new_) {
    replaced_.insert_or_assign(position, origin);
    return;
  }
  // Positions between the file's new entries may belong to base invoices decoded meanwhile: never asked for.
  const size_t i = position - first_new_;
  if (i >= fresh_.size()) fresh_.resize(i + 1);
  fresh_[i] = origin;
}

void Ledger::FileRows::Reserve(size_t rows) { fresh_.reserve(rows); }

const Ledger::FileRows::Origin& Ledger::FileRows::Get(uint32_t position) const {
  return position < first_new_ ? replaced_.at(position) : fresh_[position - first_new_];
}

void Ledger::ExpectRows(TableId table, size_t rows) {
  switch (table) {
    case TableId::kAccounts: accounts_.Reserve(accounts_.size() + rows); break;
    case TableId::kSkus: skus_.Reserve(skus_.size() + rows); break;
    case TableId::kInvoices: invoices_.Reserve(invoices_.size() + rows); break;
    case TableId::kLineItems: return;  // line items have no key index
  }
  file_rows_.Reserve(rows);
}

void Ledger::Add(const ValidRow<contract::AccountRow>& row, uint32_t file) {
  if (base_ != nullptr) {  // a new account, or a new joining date: its invoices' rows change
    const AccountEntry* before = accounts_.Find(row.row.account_id);
    if (before == nullptr || before->row.joining_date != row.row.joining_date) DecodeBaseAccount(row.row.account_id);
  }
  Upsert(accounts_, TableId::kAccounts, row.row.account_id, row, file);
}

void Ledger::Add(const ValidRow<contract::SkuRow>& row, uint32_t file) {
  Upsert(skus_, TableId::kSkus, row.row.item_id, row, file);
}

void Ledger::Add(const ValidRow<contract::InvoiceRow>& row, uint32_t file) {
  EndLineItems();  // invoices come before line items; should one come after, the groups go back first
  Upsert(invoices_, TableId::kInvoices, row.row.invoice_id, row, file);
}

void Ledger::PriceLine(InvoiceEntry& invoice, LineGroup& g, int64_t quantity, int64_t retail_cents) {
  JournalInvoice(invoice);
  int64_t line_cents = 0;
  if (__builtin_mul_overflow(quantity, retail_cents, &line_cents) ||
      __builtin_add_overflow(g.cents, line_cents, &g.cents) || __builtin_add_overflow(g.quantity, quantity, &g.quantity)) {
    g.overflow = 1;
  }
}

void Ledger::Add(const ValidRow<contract::LineItemRow>& row, uint32_t file) {
  FateCounts& c = counts_[Index(TableId::kLineItems)];
  ++c.read;
  const contract::LineItemRow& r = row.row;
  // Exports list an invoice's lines together: remember the last invoice found (entries never move).
  if (r.invoice_id != last_invoice_id_ || last_invoice_ == nullptr) {
    last_invoice_ = FindInvoice(r.invoice_id);
    last_invoice_id_ = r.invoice_id;
  }
  InvoiceEntry* invoice = last_invoice_;
  const bool invoice_missing = invoice == nullptr;
  const bool in_key_groups = key_groups_active_ && !invoice_missing && static_cast<uint64_t>(r.invoice_id) < key_groups_.size();
  LineGroup& g = invoice_missing  ? orphan_groups_[r.invoice_id]
                 : in_key_groups ? key_groups_[static_cast<size_t>(r.invoice_id)]
                                 : invoice->extra;
  if (g.file != file) {
    if (!invoice_missing) JournalInvoice(*invoice);
    g = LineGroup{};  // the first line of this invoice in this file takes the group over
    g.file = file & LineGroup::kNoFile;
    run_.Start(r.invoice_id, row.content_hash);
  } else if (run_.open && run_.invoice_id == r.invoice_id) {
    // A row that repeats an earlier line of its invoice in this file exactly is a second line of the same item
    // (line items have no key: docs/data-contract.md), accepted like any other; only counted, so that a double export
    // shows in the run's warnings.
    if (run_.Repeats(row.content_hash)) {
      ++repeated_lines_;
      ++run_.file_repeats;
    }
  } else {
    run_.revisited = true;  // its earlier lines in this file are not kept: the loader recounts the file
    run_.Start(r.invoice_id, row.content_hash);
  }
  ++c.accepted;
  if (line_log_ != nullptr) line_log_->Append(file, r.invoice_id, r.item_id, r.quantity);

  const SkuEntry* sku = skus_.Find(r.item_id);
  if (invoice_missing || sku == nullptr) {
    pending_lines_.push_back(PendingLine{r.invoice_id, r.item_id, r.quantity, file});
    return;
  }
  PriceLine(*invoice, g, r.quantity, sku->row.retail_cents);
}

Status Ledger::Reprice(const std::vector<std::string>& logs) {
  // Price changes of skus the base knew. New skus can only be waited for by pending lines, priced in Finish.
  absl::flat_hash_map<int64_t, int64_t> change;  // item -> new price - old price
  for (const auto& [item, before] : journal_.skus) {
    if (!before) continue;
    const int64_t now = skus_.at(item).row.retail_cents;
    if (now != *before) change[item] = now - *before;
  }
  if (change.empty()) return Status::OK();
  for (const std::string& log : logs) {
    LL_RETURN_IF_ERROR(ReadLineLog(log, [&](const LoggedLine& line) {
      const auto d = change.find(line.item_id);
      if (d == change.end()) return;
      InvoiceEntry* invoice = FindInvoice(line.invoice_id);
      // Only lines priced in the base: their file still owns the group, and the group was not an orphan's.
      if (invoice == nullptr || invoice->extra.file != line.file || adopted_.contains(line.invoice_id)) return;
      JournalInvoice(*invoice);
      LineGroup& g = invoice->extra;
      int64_t delta = 0;
      if (__builtin_mul_overflow(line.quantity, d->second, &delta) || __builtin_add_overflow(g.cents, delta, &g.cents)) {
        g.overflow = 1;
      }
    }));
  }
  return Status::OK();
}

Status Ledger::CompactLines(const std::vector<std::string>& logs, LineLogWriter& out) {
  DecodeAll();
  for (const std::string& log : logs) {
    LL_RETURN_IF_ERROR(ReadLineLog(log, [&](const LoggedLine& line) {
      const InvoiceEntry* invoice = invoices_.Find(line.invoice_id);
      const LineGroup* g = invoice != nullptr ? &invoice->extra : nullptr;
      if (g == nullptr) {
        const auto it = orphan_groups_.find(line.invoice_id);
        if (it != orphan_groups_.end()) g = &it->second;
      }
      if (g != nullptr && g->file == line.file) out.Append(line.file, line.invoice_id, line.item_id, line.quantity);
    }));
  }
  return Status::OK();
}

std::vector<int64_t> Ledger::OrphanInvoices() const {
  std::vector<int64_t> ids;
  ids.reserve(orphan_groups_.size());
  for (const auto& [id, group] : orphan_groups_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void Ledger::Resolve() {
  run_ = LineRun{};  // repeat detection is over: give the memory back
  file_rows_ = FileRows{};
  // Fates are counted for the rows of this run's files; rows of the base are listed but counted by their run.
  FateCounts& inv = counts_[Index(TableId::kInvoices)];
  invoices_.ForEach([&](const InvoiceEntry& e) {
    if (!accounts_.contains(e.row.account_id)) {
      if (!IsBase(TableId::kInvoices, e.file)) {
        --inv.accepted;
        ++inv.pending;
      }
      pending_rows_.push_back(
          PendingRow{TableId::kInvoices, e.file, e.row.invoice_id, 0, TableId::kAccounts, e.row.account_id});
    }
  });
  // A line of a group that a later extract replaced is superseded, not pending; one whose parents are all
  // known now (they landed after it) is priced into its invoice.
  FateCounts& li = counts_[Index(TableId::kLineItems)];
  std::vector<PendingLine> still;
  for (const PendingLine& p : pending_lines_) {
    InvoiceEntry* invoice = FindInvoice(p.invoice_id);
    LineGroup* g = invoice != nullptr ? &invoice->extra : nullptr;
    if (g == nullptr) {
      const auto it = orphan_groups_.find(p.invoice_id);
      if (it != orphan_groups_.end()) g = &it->second;
    }
    if (g == nullptr || g->file != p.file) continue;
    const SkuEntry* sku = skus_.Find(p.item_id);
    if (invoice != nullptr && sku != nullptr) {
      PriceLine(*invoice, *g, p.quantity, sku->row.retail_cents);
      continue;
    }
    if (!IsBase(TableId::kLineItems, p.file)) {
      --li.accepted;
      ++li.pending;
    }
    // A line missing both parents waits for its invoice first.
    pending_rows_.push_back(PendingRow{TableId::kLineItems, p.file, p.invoice_id, p.item_id,
                                       invoice == nullptr ? TableId::kInvoices : TableId::kSkus,
                                       invoice == nullptr ? p.invoice_id : p.item_id});
    still.push_back(p);
  }
  pending_lines_ = std::move(still);
}

Result<FinishedLedger> FinishedLedger::Finish(Ledger ledger, const FinishOptions& options) {
  ledger.LogLinesTo(nullptr);
  ledger.EndLineItems();
  if (ledger.journaling_) {
    const Status repriced = ledger.Reprice(options.line_logs);
    if (!repriced.ok()) return Status::UnusableCache(repriced.message());
    ledger.DecodeDue(options.as_of);  // base accounts whose rows D moving on changes
  }
  ledger.Resolve();
  // Every base account decoded so far (Resolve decodes those pending lines refer to) decoded cleanly.
  if (!ledger.base_status().ok()) return Status::UnusableCache(ledger.base_status().message());
  return FinishedLedger(std::move(ledger), options.as_of);
}

std::optional<DayNumber> FinishedLedger::base_as_of() const {
  if (ledger_.base() == nullptr) return std::nullopt;
  return ledger_.base()->as_of();
}

void FinishedLedger::DecodeAll() { ledger_.DecodeAll(); }

Status FinishedLedger::CompactLines(const std::vector<std::string>& logs, LineLogWriter& out) {
  const Status st = ledger_.CompactLines(logs, out);
  if (!st.ok()) return Status::UnusableCache(st.message());
  // Compaction decodes every base account: each of them decoded cleanly.
  if (!ledger_.base_status().ok()) return Status::UnusableCache(ledger_.base_status().message());
  return Status::OK();
}

}  // namespace ledgerlake::engine
