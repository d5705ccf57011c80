// BaseInvoices: the invoices of the state a run continues from (engine/state.h), left encoded where the state
// file is mapped and decoded one account at a time, when the run needs that account: because this run's
// extracts touch it (an invoice, a line item, a price, its joining date), or because D moving on changes its rows.
// A run that adds 1% to a lake thus decodes the accounts it touches, not every invoice ever landed. The accounts
// it leaves alone go into the next state as they are (their bytes copied), and into the features through their
// digest: what account_features and the warnings need of them, as of the state's D.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/invoice_index.h"
#include "engine/invoice_order.h"
#include "engine/ledger.h"
#include "util/date.h"
#include "util/mapped_file.h"
#include "util/varint.h"

namespace ledgerlake::engine {

inline constexpr DayNumber kNever = std::numeric_limits<DayNumber>::max();

// What an account's invoices contribute to the features as of a day D, beyond their own rows (features.h's
// DigestOf computes it). While D moves on to any day before next_change, the account's rows stay the same and
// so does its digest.
struct AccountDigest {
  int32_t issued = 0;   // invoices issued on or before D
  DayNumber first = 0;  // the first and last of those dates (when issued > 0)
  DayNumber last = 0;
  uint32_t before_joining = 0;     // of those, how many were issued before the account joined (acct_age < 0)
  uint32_t out_of_range = 0;       // of those, how many have a total that does not fit DECIMAL(18,2)
  DayNumber next_change = kNever;  // the first day after D on which D moving on changes one of its rows
  bool operator==(const AccountDigest&) const = default;
};

// One account's invoices in the state: where their bytes are, how many, and their digest as of the state's D.
struct BaseAccount {
  int64_t account_id;
  const unsigned char* bytes;  // InvoiceCoder's encoding, in (date_issued, invoice_id) order
  uint32_t size;               // bytes
  uint32_t count;              // invoices
  AccountDigest digest;
};

// One account's invoices as stored: each as varints relative to the one before (the first against zeros), so
// an account's bytes decode, and can be copied, on their own.
class InvoiceCoder {
 public:
  static constexpr size_t kMaxBytes = 8 * kMaxVarintBytes;

  // Writes `e` at `out` (room for kMaxBytes); returns the end of what it wrote.
  char* Put(const InvoiceEntry& e, char* out) {
    const contract::InvoiceRow& r = e.row;
    out = PutSignedVarint(
        out, static_cast<int64_t>(static_cast<uint64_t>(r.invoice_id) - static_cast<uint64_t>(invoice_id_)));
    out = PutSignedVarint(out, int64_t{r.date_issued} - date_issued_);
    out = PutVarint(out, static_cast<uint64_t>(r.payment) | (uint64_t{e.extra.overflow} << 2));
    if (r.payment == contract::Payment::kPaid) out = PutSignedVarint(out, int64_t{r.payment_date} - r.date_issued);
    out = PutSignedVarint(out, e.extra.cents);
    out = PutSignedVarint(out, e.extra.quantity);
    out = PutVarint(out, e.file);
    out = PutVarint(out, e.extra.file == LineGroup::kNoFile ? 0 : uint64_t{e.extra.file} + 1);  // 0: no line items yet
    invoice_id_ = r.invoice_id;
    date_issued_ = r.date_issued;
    return out;
  }

  // Reads the next invoice of account `account_id` into `e`; false on damaged input.
  bool Get(const unsigned char*& p, const unsigned char* end, int64_t account_id, InvoiceEntry& e) {
    int64_t invoice = 0, date = 0, cents = 0, quantity = 0;
    uint64_t flags = 0, file = 0, group_file = 0;
    if (!GetSignedVarint(p, end, &invoice) || !GetSignedVarint(p, end, &date) || !GetVarint(p, end, &flags) ||
        (flags & 3) > 2 || flags > 7) {
      return false;
    }
    invoice_id_ = static_cast<int64_t>(static_cast<uint64_t>(invoice_id_) + static_cast<uint64_t>(invoice));
    date_issued_ += date;
    if (date_issued_ < std::numeric_limits<DayNumber>::min() || date_issued_ > std::numeric_limits<DayNumber>::max()) {
      return false;
    }
    e = InvoiceEntry{};
    e.row.account_id = account_id;
    e.row.invoice_id = invoice_id_;
    e.row.date_issued = static_cast<DayNumber>(date_issued_);
    e.row.payment = static_cast<contract::Payment>(flags & 3);
    e.row.payment_date = contract::kNoDate;
    if (e.row.payment == contract::Payment::kPaid) {
      int64_t days = 0;
      if (!GetSignedVarint(p, end, &days)) return false;
      e.row.payment_date = static_cast<DayNumber>(date_issued_ + days);
    }
    if (!GetSignedVarint(p, end, &cents) || !GetSignedVarint(p, end, &quantity) || !GetVarint(p, end, &file) ||
        !GetVarint(p, end, &group_file) || file > UINT32_MAX || group_file > uint64_t{LineGroup::kNoFile}) {
      return false;
    }
    e.extra.cents = cents;
    e.extra.quantity = quantity;
    e.extra.overflow = (flags >> 2) & 1;
    e.extra.file = group_file == 0 ? LineGroup::kNoFile : static_cast<uint32_t>(group_file - 1) & LineGroup::kNoFile;
    e.file = static_cast<uint32_t>(file);
    return true;
  }

 private:
  int64_t invoice_id_ = 0;
  int64_t date_issued_ = 0;
};

class BaseInvoices {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  DayNumber as_of() const { return as_of_; }
  // Accounts with invoices, by account_id; an account's place in this order is its ordinal.
  uint32_t size() const { return static_cast<uint32_t>(accounts_.size()); }
  const BaseAccount& account(uint32_t ordinal) const { return accounts_[ordinal]; }
  uint64_t invoices() const { return invoices_; }
  int64_t min_invoice_id() const { return min_invoice_; }
  int64_t max_invoice_id() const { return max_invoice_; }

  // The ordinal of an account, or kNone if the state has no invoice of it.
  uint32_t OrdinalOfAccount(int64_t account_id) const;
  // The ordinal of the account an invoice of the state belongs to, or kNone if the state has no such invoice.
  uint32_t OrdinalOfInvoice(int64_t invoice_id) const;
  // Calls f(invoice_id, ordinal) for every invoice of the state, by invoice_id.
  template <typename F>
  void ForEachInvoice(F&& f) const {
    if (!overlay()) {
      index_.ForEach(f);
      return;
    }
    std::vector<std::pair<int64_t, uint32_t>> top;
    ForEachOverlayInvoice([&](int64_t id, uint32_t ordinal) { top.emplace_back(id, ordinal); });
    size_t next = 0;
    under_index_.ForEach([&](int64_t id, uint32_t under_ordinal) {
      const uint32_t ordinal = under_remap_[under_ordinal];
      if (ordinal == kNone) return;  // an account the overlay replaces
      for (; next < top.size() && top[next].first <= id; ++next) f(top[next].first, top[next].second);
      if (next > 0 && top[next - 1].first == id) return;  // cannot happen: its account would be replaced
      f(id, ordinal);
    });
    for (; next < top.size(); ++next) f(top[next].first, top[next].second);
  }

  // A state saved as an overlay (docs/formats.md) lies over a complete state of the same bucket: the accounts it
  // holds replace that state's, the others are read from it, and the two read as one.
  bool overlay() const { return under_file_ != nullptr; }
  // Whether account `ordinal`'s bytes are in the overlay (never, in a complete state).
  bool in_overlay(uint32_t ordinal) const { return !in_overlay_.empty() && in_overlay_[ordinal] != 0; }
  // Calls f(invoice_id, ordinal) for every invoice in the overlay, by invoice_id (none in a complete state).
  template <typename F>
  void ForEachOverlayInvoice(F&& f) const {
    if (overlay()) index_.ForEach([&](int64_t id, uint32_t ordinal) { f(id, overlay_remap_[ordinal]); });
  }
  // The complete state the accounts outside an overlay are read from (the loaded file itself when it is complete),
  // and its seal: the checksum that ends it.
  const std::string& complete_path() const { return complete_path_; }
  uint64_t complete_seal() const { return complete_seal_; }
  // Drops mapped bytes of either file from the process's memory (they are read again if touched).
  void Release(const unsigned char* from, size_t n) const;

  // Decodes the invoices of `ordinal` in (date_issued, invoice_id) order, calling f(entry) for each. False when
  // they do not decode or are out of order: a damaged state.
  template <typename F>
  bool Decode(uint32_t ordinal, F&& f) const {
    const BaseAccount& a = accounts_[ordinal];
    const unsigned char* p = a.bytes;
    const unsigned char* end = p + a.size;
    InvoiceCoder coder;
    InvoiceEntry e, previous;
    for (uint32_t i = 0; i < a.count; ++i) {
      if (!coder.Get(p, end, a.account_id, e)) return false;
      if (i > 0 && !InvoiceOrderLess(previous.row, e.row)) return false;
      f(static_cast<const InvoiceEntry&>(e));
      previous = e;
    }
    return p == end;
  }

 private:
  friend class StateCodec;  // engine/state.cc builds it from a state file

  // Account ordinals are looked up in a direct array by account_id when the ids are at most this many per account.
  static constexpr uint64_t kDenseSlotsPerAccount = 4;
  // Fills account_slots_ for accounts_ when their ids allow a direct array (after a load, and after an overlay's
  // accounts are merged with those under it).
  void IndexAccounts();

  std::unique_ptr<MappedFile> file_;
  DayNumber as_of_ = 0;
  std::vector<BaseAccount> accounts_;
  uint64_t invoices_ = 0;
  int64_t min_invoice_ = 0, max_invoice_ = -1;  // of every invoice, overlay and under it
  // Account ordinals by account_id: a direct array when the ids are small enough, else a binary search.
  std::vector<uint32_t> account_slots_;  // account_id -> ordinal + 1 (0: none)
  InvoiceIndexView index_;  // in file_
  int64_t index_min_ = 0, index_max_ = -1;  // the ids index_ spans
  std::string complete_path_;
  uint64_t complete_seal_ = 0;
  // An overlay: the complete state under it, its index, and where their ordinals went in accounts_.
  std::unique_ptr<MappedFile> under_file_;
  InvoiceIndexView under_index_;
  int64_t under_min_ = 0, under_max_ = -1;
  std::vector<uint32_t> under_remap_;    // ordinal in the complete state -> ordinal here (kNone: replaced)
  std::vector<uint32_t> overlay_remap_;  // ordinal in the overlay -> ordinal here
  std::vector<uint8_t> in_overlay_;      // per ordinal here
};

}  // namespace ledgerlake::engine
