#include "engine/state.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "engine/base_invoices.h"
#include "engine/features.h"
#include "engine/invoice_index.h"
#include "engine/invoice_order.h"
#include "util/stream_hash.h"
#include "util/task_pool.h"
#include "util/varint.h"

namespace ledgerlake::engine {

namespace fs = std::filesystem;

namespace {

// Version 6: invoices are grouped by account, each account's bytes decodable (and copyable) on their own, with a
// directory of accounts and an index from invoice to account, so that a run decodes only the accounts it needs
// (engine/base_invoices.h). Version 6 changed no byte of the layout but what it holds: line-item sums and line
// logs count exact repeats of a line (version 5 dropped them), and digests count a payment dated after D as not
// known yet. Version 7: the compact invoice index. Version 8: the same bytes under the four-lane StreamHash (its
// checksums, and those of the line logs it names). Version 9: a state may be an overlay over a complete state
// beside it, which its header names (docs/formats.md). A state of an older version is not read: the run rebuilds
// from the raw zone, as for a damaged one.
constexpr char kMagic[8] = {'L', 'L', 'S', 'T', 'A', 'T', 'E', '9'};

// Records as stored: fixed-size, native little-endian (the state never leaves the machine's lake).
struct AccountRecord {
  int64_t account_id;
  int32_t joining_date;
  uint32_t file;
};
struct SkuRecord {
  int64_t item_id;
  int64_t retail_cents;
  uint32_t file;
  uint32_t unused;
};
// Invoices are the bulk of a state (one per invoice ever landed), so they are stored compactly, by account in
// account order, in blocks of whole accounts holding about kInvoiceBlock invoices each:
// [accounts u32][invoices u32][directory bytes u32][payload bytes u32][checksum of directory and payload u64]
// [directory: per account, varints: account_id (from the previous one of the block), invoices, payload bytes,
// AccountDigest as of the state's D][payload: per account, its invoices (InvoiceCoder)], after the count of
// invoices (u64) and up to an end mark (a header of zeros). The blocks check and
// parse side by side; an account's invoices are decoded only when a run needs them. The file's checksum covers
// the block headers, not their bodies.
constexpr uint32_t kInvoiceBlock = 1 << 14;
// The invoice index, after the blocks: [min id i64][max id i64][records u64][body bytes u64][checksum of the
// body u64][body (engine/invoice_index.h)].

// The directory entry of an account: the most bytes it takes.
constexpr size_t kMaxDirectoryEntry = 9 * kMaxVarintBytes;

char* PutDirectoryEntry(char* out, int64_t previous_account, const BaseAccount& a, DayNumber as_of) {
  const AccountDigest& d = a.digest;
  out = PutSignedVarint(
      out, static_cast<int64_t>(static_cast<uint64_t>(a.account_id) - static_cast<uint64_t>(previous_account)));
  out = PutVarint(out, a.count);
  out = PutVarint(out, a.size);
  out = PutVarint(out, static_cast<uint32_t>(d.issued));
  if (d.issued > 0) {
    out = PutSignedVarint(out, d.first);
    out = PutVarint(out, static_cast<uint64_t>(int64_t{d.last} - d.first));
    out = PutVarint(out, d.before_joining);
    out = PutVarint(out, d.out_of_range);
  }
  return PutVarint(out, d.next_change == kNever ? 0 : static_cast<uint64_t>(int64_t{d.next_change} - as_of));
}

// False on damaged input; `a.bytes` is left for the caller.
bool GetDirectoryEntry(const unsigned char*& p, const unsigned char* end, int64_t previous_account, DayNumber as_of,
                       BaseAccount& a) {
  int64_t account = 0, first = 0;
  uint64_t count = 0, size = 0, issued = 0, span = 0, before = 0, out_of_range = 0, next = 0;
  if (!GetSignedVarint(p, end, &account) || !GetVarint(p, end, &count) || !GetVarint(p, end, &size) ||
      !GetVarint(p, end, &issued) || count == 0 || count > UINT32_MAX || size > UINT32_MAX || issued > count) {
    return false;
  }
  a = BaseAccount{};
  a.account_id = static_cast<int64_t>(static_cast<uint64_t>(previous_account) + static_cast<uint64_t>(account));
  a.count = static_cast<uint32_t>(count);
  a.size = static_cast<uint32_t>(size);
  a.digest.issued = static_cast<int32_t>(issued);
  if (issued > 0) {
    if (!GetSignedVarint(p, end, &first) || !GetVarint(p, end, &span) || !GetVarint(p, end, &before) ||
        !GetVarint(p, end, &out_of_range) || first < INT32_MIN || first > as_of ||
        span > static_cast<uint64_t>(int64_t{as_of} - first) || before > issued || out_of_range > issued) {
      return false;
    }
    a.digest.first = static_cast<DayNumber>(first);
    a.digest.last = static_cast<DayNumber>(first + static_cast<int64_t>(span));
    a.digest.before_joining = static_cast<uint32_t>(before);
    a.digest.out_of_range = static_cast<uint32_t>(out_of_range);
  }
  if (!GetVarint(p, end, &next) || next > static_cast<uint64_t>(int64_t{kNever} - as_of)) return false;
  a.digest.next_change = next == 0 ? kNever : static_cast<DayNumber>(as_of + static_cast<int64_t>(next));
  return true;
}

struct OrphanRecord {
  int64_t invoice_id;
  uint32_t file;
  uint32_t unused;
};
struct PendingRecord {
  int64_t invoice_id;
  int64_t item_id;
  int64_t quantity;
  uint32_t file;
  uint32_t unused;
};

class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) {}
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Raw(&v, sizeof v);
  }
  void Raw(const void* p, size_t n) {
    hash_.Update(p, n);
    Unhashed(p, n);
  }
  // Bytes the file's checksum leaves out: they carry a checksum of their own, which Raw wrote.
  void Unhashed(const void* p, size_t n) {
    if (ok_ && n > 0) ok_ = std::fwrite(p, 1, n, f_) == n;
  }
  // Ends the file with the checksum of everything before it.
  void Seal() {
    const uint64_t h = hash_.Final();
    if (ok_) ok_ = std::fwrite(&h, sizeof h, 1, f_) == 1;
  }
  void Text(const std::string& s) {
    Put(static_cast<uint32_t>(s.size()));
    Raw(s.data(), s.size());
  }
  // Buffers records and writes them in blocks.
  template <typename T>
  class Array {
   public:
    Array(Writer& w, uint64_t count) : w_(w) {
      w_.Put(count);
      buf_.reserve(kBlock);
    }
    ~Array() { Flush(); }
    void Add(const T& v) {
      buf_.push_back(v);
      if (buf_.size() == kBlock) Flush();
    }

   private:
    static constexpr size_t kBlock = 1 << 14;
    void Flush() {
      w_.Raw(buf_.data(), buf_.size() * sizeof(T));
      buf_.clear();
    }
    Writer& w_;
    std::vector<T> buf_;
  };
  bool ok() const { return ok_; }

 private:
  std::FILE* f_;
  StreamHash hash_;
  bool ok_ = true;
};

// The records of an array as written by Writer::Array, where the file is mapped (they are read with memcpy).
template <typename T>
struct InPlace {
  uint64_t count = 0;
  const unsigned char* at = nullptr;
  T operator[](uint64_t i) const {
    T v;
    std::memcpy(&v, at + i * sizeof v, sizeof v);
    return v;
  }
  size_t bytes() const { return static_cast<size_t>(count) * sizeof(T); }
};

// Reads a state mapped in memory: fixed-size values and the file's checksum over them, and bodies (left in place)
// that carry checksums of their own.
class Reader {
 public:
  Reader(const unsigned char* data, size_t size, const std::string& path) : p_(data), end_(data + size), path_(path) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  template <typename T>
  Status Get(T* v) {
    static_assert(std::is_trivially_copyable_v<T>);
    return Raw(v, sizeof *v);
  }
  Status Raw(void* out, size_t n) {
    const unsigned char* p = nullptr;
    LL_RETURN_IF_ERROR(Unhashed(n, &p));
    if (n > 0) std::memcpy(out, p, n);
    hash_.Update(p, n);
    return Status::OK();
  }
  // `n` bytes the file's checksum leaves out (Writer::Unhashed), where they are: the caller checks them.
  Status Unhashed(size_t n, const unsigned char** at) {
    if (static_cast<size_t>(end_ - p_) < n) return Status::Corruption(path_ + ": truncated state");
    *at = p_;
    p_ += n;
    return Status::OK();
  }
  // Checks the checksum that ends the file, and that nothing follows it.
  Status CheckSeal() {
    const uint64_t expected = hash_.Final();
    uint64_t stored = 0;
    if (static_cast<size_t>(end_ - p_) < sizeof stored) return Status::Corruption(path_ + ": truncated state");
    std::memcpy(&stored, p_, sizeof stored);
    p_ += sizeof stored;
    if (stored != expected) return Status::Corruption(path_ + ": checksum mismatch (a damaged state)");
    if (p_ != end_) return Status::Corruption(path_ + ": trailing bytes after the state");
    return Status::OK();
  }
  Status Text(std::string* s) {
    uint32_t n = 0;
    LL_RETURN_IF_ERROR(Get(&n));
    if (n > static_cast<size_t>(end_ - p_)) return Status::Corruption(path_ + ": truncated state");
    s->resize(n);
    return Raw(s->data(), n);
  }
  // An array written by Writer::Array, left where the file is mapped; hashed at once.
  template <typename T>
  Status Array(InPlace<T>* a) {
    LL_RETURN_IF_ERROR(Get(&a->count));
    if (a->count > static_cast<size_t>(end_ - p_) / sizeof(T)) return Status::Corruption(path_ + ": truncated state");
    LL_RETURN_IF_ERROR(Unhashed(a->bytes(), &a->at));
    hash_.Update(a->at, a->bytes());
    return Status::OK();
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
  const std::string& path_;
  StreamHash hash_;
};

Status Damaged(const std::string& what) { return Status::Corruption(what + " (a damaged state)"); }

uint64_t HashOf(const unsigned char* p, size_t n) {
  StreamHash h;
  h.Update(p, n);
  return h.Final();
}

// Sorts (invoice id, ordinal) pairs by id: an LSD radix sort on the id's offset from the smallest, 11 bits a digit,
// for the digits the ids span. A continued state's save gathers its decoded invoices account by account.
void SortById(std::vector<std::pair<int64_t, uint32_t>>& pairs) {
  if (pairs.size() < 2) return;
  const auto [lo, hi] = std::minmax_element(pairs.begin(), pairs.end());
  const uint64_t min = static_cast<uint64_t>(lo->first), span = static_cast<uint64_t>(hi->first) - min;
  constexpr int kDigit = 11;
  constexpr size_t kBuckets = size_t{1} << kDigit;
  std::vector<std::pair<int64_t, uint32_t>> spare(pairs.size());
  for (int shift = 0; shift < 64 && (span >> shift) != 0; shift += kDigit) {
    auto digit = [&](const std::pair<int64_t, uint32_t>& p) {
      return ((static_cast<uint64_t>(p.first) - min) >> shift) & (kBuckets - 1);
    };
    std::array<size_t, kBuckets> place{};
    for (const auto& p : pairs) ++place[digit(p)];
    size_t sum = 0;
    for (size_t& c : place) sum += std::exchange(c, sum);
    for (const auto& p : pairs) spare[place[digit(p)]++] = p;
    pairs.swap(spare);
  }
}

// Writes the invoice blocks: accounts are added in account order, each either encoded from its entries or copied
// from the base state with its digest. Copied bytes are written from where the base is mapped, not copied twice.
class BlockWriter {
 public:
  // `base`: the loaded state that copied accounts come from (null: none); what is copied from it leaves the
  // process's memory once written.
  BlockWriter(Writer& w, DayNumber as_of, const BaseInvoices* base) : w_(w), as_of_(as_of), base_(base) {}
  // Writes the last block and the end mark (a header of zeros); false if an account took more bytes than a block
  // can hold.
  bool Close() {
    Flush();
    for (uint32_t zero : {0u, 0u, 0u, 0u}) w_.Put(zero);
    w_.Put(uint64_t{0});
    return !too_large_;
  }
  // An account whose invoices (in order) are `run`, with its digest.
  void Encode(int64_t account_id, std::span<const InvoiceEntry* const> run, const AccountDigest& digest) {
    const size_t at = encoded_.size();
    encoded_.resize(at + run.size() * InvoiceCoder::kMaxBytes);
    InvoiceCoder coder;
    char* out = encoded_.data() + at;
    for (const InvoiceEntry* e : run) out = coder.Put(*e, out);
    encoded_.resize(static_cast<size_t>(out - encoded_.data()));
    const size_t size = encoded_.size() - at;
    if (!pieces_.empty() && pieces_.back().mapped == nullptr) {
      pieces_.back().size += size;
    } else {
      pieces_.push_back(Piece{nullptr, at, size});
    }
    Add(BaseAccount{account_id, nullptr, static_cast<uint32_t>(size), static_cast<uint32_t>(run.size()), digest});
  }
  // An account of the base, as it is.
  void Copy(const BaseAccount& a) {
    if (!pieces_.empty() && pieces_.back().mapped != nullptr &&
        pieces_.back().mapped + pieces_.back().size == a.bytes) {
      pieces_.back().size += a.size;  // the next account of the same base block
    } else {
      pieces_.push_back(Piece{a.bytes, 0, a.size});
    }
    Add(a);
  }

 private:
  struct Piece {
    const unsigned char* mapped;  // in the base; null: at `offset` in encoded_
    size_t offset;
    size_t size;
  };
  const void* Data(const Piece& p) const {
    return p.mapped != nullptr ? static_cast<const void*>(p.mapped) : encoded_.data() + p.offset;
  }
  void Add(const BaseAccount& a) {
    const size_t at = directory_.size();
    directory_.resize(at + kMaxDirectoryEntry);
    char* end = PutDirectoryEntry(directory_.data() + at, previous_account_, a, as_of_);
    directory_.resize(static_cast<size_t>(end - directory_.data()));
    previous_account_ = a.account_id;
    ++accounts_;
    invoices_ += a.count;
    payload_ += a.size;
    if (invoices_ >= kInvoiceBlock) Flush();
  }
  void Flush() {
    if (accounts_ == 0) return;
    if (payload_ > UINT32_MAX) too_large_ = true;  // a block's payload size is 32-bit
    StreamHash hash;
    hash.Update(directory_.data(), directory_.size());
    for (const Piece& p : pieces_) hash.Update(Data(p), p.size);
    w_.Put(accounts_);
    w_.Put(invoices_);
    w_.Put(static_cast<uint32_t>(directory_.size()));
    w_.Put(static_cast<uint32_t>(payload_));
    w_.Put(hash.Final());
    w_.Unhashed(directory_.data(), directory_.size());
    for (const Piece& p : pieces_) w_.Unhashed(Data(p), p.size);
    if (base_ != nullptr) {
      for (const Piece& p : pieces_) {
        if (p.mapped != nullptr) base_->Release(p.mapped, p.size);
      }
    }
    directory_.clear();
    encoded_.clear();
    pieces_.clear();
    accounts_ = 0;
    invoices_ = 0;
    payload_ = 0;
    previous_account_ = 0;
  }
  Writer& w_;
  const DayNumber as_of_;
  const BaseInvoices* base_;
  std::vector<char> directory_, encoded_;
  std::vector<Piece> pieces_;  // the payload, in order
  uint32_t accounts_ = 0, invoices_ = 0;
  uint64_t payload_ = 0;
  int64_t previous_account_ = 0;
  bool too_large_ = false;
};

}  // namespace

// Friend of Ledger and BaseInvoices: reads and writes their private state.
class StateCodec {
 public:
  // Writes the state complete, or as an overlay over the complete state the base reads its other accounts from
  // when `overlay_share` > 0 (the new file goes beside that one: SaveState) and the overlay would hold at most
  // 1/overlay_share of the invoices. An account decoded and left without invoices cannot be said by an overlay
  // (the complete state under it would show through): met while writing one, it sets *needs_complete and stops
  // (the caller writes the state again, complete).
  static Status Write(const Ledger& l, const std::vector<uint32_t>& order, StateInfo& info, uint32_t overlay_share,
                      Writer& w, bool* needs_complete) {
    const BaseInvoices* base = l.base_.get();
    if (base != nullptr && base->as_of() > info.as_of) {
      return Status::InvalidArgument("SaveState: the state would go back before its base's D");
    }
    const auto& invoices = l.invoices_;
    // Base accounts not decoded are copied; their digest must still hold as of the new D.
    uint64_t total_invoices = order.size(), overlay_invoices = order.size();
    if (base != nullptr) {
      for (uint32_t o = 0; o < base->size(); ++o) {
        if (l.decoded(o)) continue;
        if (base->account(o).digest.next_change <= info.as_of) {
          return Status::InvalidArgument("SaveState: a base account whose rows change by D was not decoded");
        }
        total_invoices += base->account(o).count;
        if (base->in_overlay(o)) overlay_invoices += base->account(o).count;
      }
    }
    const bool overlay = overlay_share > 0 && base != nullptr && overlay_invoices * overlay_share <= total_invoices;
    info.base = overlay ? fs::path(base->complete_path()).filename().string() : std::string();
    info.base_seal = overlay ? base->complete_seal() : 0;

    w.Raw(kMagic, sizeof kMagic);
    w.Put(static_cast<int32_t>(info.as_of));
    w.Put(info.bookmarks);
    w.Put(static_cast<uint32_t>(info.line_logs.size()));
    for (const std::string& s : info.line_logs) w.Text(s);
    w.Text(info.base);
    w.Put(info.base_seal);
    {
      w.Put(l.accounts_.max_key());
      Writer::Array<AccountRecord> a(w, l.accounts_.size());
      l.accounts_.ForEach([&](const AccountEntry& e) { a.Add({e.row.account_id, e.row.joining_date, e.file}); });
    }
    {
      w.Put(l.skus_.max_key());
      Writer::Array<SkuRecord> a(w, l.skus_.size());
      l.skus_.ForEach([&](const SkuEntry& e) { a.Add({e.row.item_id, e.row.retail_cents, e.file, 0}); });
    }

    // The accounts in order: the base's not decoded, merged with the runs of `order`. Each gets its new ordinal;
    // the index is filled from the entries as they are written, and from the base's (renumbered) for copied
    // accounts.
    const uint64_t records = overlay ? overlay_invoices : total_invoices;  // the invoices this file holds
    w.Put(records);
    int64_t min_id = invoices.min_key(), max_id = invoices.max_key();
    if (base != nullptr && base->invoices() > 0) {
      min_id = std::min(min_id, base->min_invoice_id());
      max_id = std::max(max_id, base->max_invoice_id());
    }
    // The new ordinal of each of this run's invoices (by position: a complete save; by id, gathered account by
    // account and sorted: a save that continues a state, which decodes few), and of each base account copied.
    std::vector<uint32_t> ordinal_of(base == nullptr ? invoices.size() : 0, BaseInvoices::kNone);
    std::vector<std::pair<int64_t, uint32_t>> run_records;
    if (base != nullptr) run_records.reserve(invoices.size());
    std::vector<uint32_t> remap(base != nullptr ? base->size() : 0, BaseInvoices::kNone);
    {
      BlockWriter blocks(w, info.as_of, base);
      uint32_t next_ordinal = 0, o = 0;
      std::optional<int64_t> encoded;  // the account of the last run encoded
      // Copies the base accounts before `account_id` (all that are left without one); an overlay copies only
      // those of the overlay it continues. A decoded account passed here without a run of its own was emptied.
      auto copy_until = [&](std::optional<int64_t> account_id) {
        for (; base != nullptr && o < base->size() && (!account_id || base->account(o).account_id < *account_id); ++o) {
          if (l.decoded(o)) {
            if (overlay && encoded != base->account(o).account_id) *needs_complete = true;
            continue;
          }
          if (overlay && !base->in_overlay(o)) continue;
          blocks.Copy(base->account(o));
          remap[o] = next_ordinal++;
        }
      };
      // After a complete run, the order visits entries scattered in memory: they are fetched ahead.
      constexpr size_t kAhead = 32;
      auto prefetch = [&](size_t i) {
        if (i + kAhead < order.size()) __builtin_prefetch(&invoices.AtPosition(order[i + kAhead]));
      };
      std::vector<const InvoiceEntry*> run;
      const InvoiceEntry* previous = nullptr;
      for (size_t i = 0; i < order.size();) {
        const int64_t account_id = invoices.AtPosition(order[i]).row.account_id;
        run.clear();
        for (; i < order.size(); ++i) {
          prefetch(i);
          const InvoiceEntry& e = invoices.AtPosition(order[i]);
          if (previous != nullptr && !InvoiceOrderLess(previous->row, e.row)) {
            return Status::InvalidArgument("SaveState: the invoices are not in (account, date, invoice) order");
          }
          if (e.row.account_id != account_id) break;
          run.push_back(&e);
          previous = &e;
        }
        copy_until(account_id);
        if (*needs_complete) return Status::OK();
        if (base != nullptr && o < base->size() && base->account(o).account_id == account_id && !l.decoded(o)) {
          return Status::InvalidArgument("SaveState: an account has invoices both decoded and not");
        }
        blocks.Encode(account_id, run, DigestOf(run, l.accounts_.Find(account_id), info.as_of));
        if (base == nullptr) {
          for (size_t k = i - run.size(); k < i; ++k) ordinal_of[order[k]] = next_ordinal;
        } else {
          for (const InvoiceEntry* e : run) run_records.emplace_back(e->row.invoice_id, next_ordinal);
        }
        encoded = account_id;
        ++next_ordinal;
      }
      copy_until(std::nullopt);
      if (*needs_complete) return Status::OK();
      if (!blocks.Close()) return Status::InvalidArgument("SaveState: an account has too many invoices for a block");
    }
    // The index, by invoice id: this run's invoices (in key order) merged with the copied accounts' (the base's
    // index is in id order already). Decoded accounts are not copied, so no invoice comes from both.
    InvoiceIndexWriter index(records);
    bool in_order = true;
    if (base == nullptr) {
      invoices.ForEachInKeyOrder([&](int64_t id, uint32_t position) { in_order &= index.Add(id, ordinal_of[position]); });
    } else {
      SortById(run_records);
      size_t next = 0;
      auto add_copied = [&](int64_t id, uint32_t ordinal) {
        if (ordinal >= remap.size() || remap[ordinal] == BaseInvoices::kNone) return;
        for (; next < run_records.size() && run_records[next].first < id; ++next) {
          in_order &= index.Add(run_records[next].first, run_records[next].second);
        }
        in_order &= index.Add(id, remap[ordinal]);
      };
      if (overlay) {
        base->ForEachOverlayInvoice(add_copied);
      } else {
        base->ForEachInvoice(add_copied);
      }
      for (; next < run_records.size(); ++next) in_order &= index.Add(run_records[next].first, run_records[next].second);
    }
    if (!in_order || index.records() != records || !index.ok()) {
      return Status::InvalidArgument("SaveState: the invoice index does not add up");
    }
    StreamHash index_hash;
    index.Emit([&](const void* p, size_t n) { index_hash.Update(p, n); });
    w.Put(min_id);
    w.Put(max_id);
    w.Put(index.records());
    w.Put(index.bytes());
    w.Put(index_hash.Final());
    index.Emit([&](const void* p, size_t n) { w.Unhashed(p, n); });
    {
      Writer::Array<OrphanRecord> a(w, l.orphan_groups_.size());
      // In key order, so that equal states are equal files.
      std::vector<std::pair<int64_t, uint32_t>> orphans;
      for (const auto& [id, g] : l.orphan_groups_) orphans.emplace_back(id, g.file);
      std::sort(orphans.begin(), orphans.end());
      for (const auto& [id, file] : orphans) a.Add({id, file, 0});
    }
    {
      Writer::Array<PendingRecord> a(w, l.pending_lines_.size());
      for (const PendingLine& p : l.pending_lines_) a.Add({p.invoice_id, p.item_id, p.quantity, p.file, 0});
    }
    return Status::OK();
  }

  // The invoice blocks and index: their headers read in turn, their bodies checked and their directories parsed
  // side by side; the invoices stay encoded (BaseInvoices).
  // `side` are tasks of the caller's that run beside the checks (they may use the base's counts and id range,
  // set before they start).
  // Each block's bytes leave the process's memory once checked (`file` maps them): a run decodes few accounts.
  static Status ReadInvoices(Reader& r, BaseInvoices& b, const std::vector<std::function<void()>>& side,
                             const MappedFile& file) {
    uint64_t total_invoices = 0;
    LL_RETURN_IF_ERROR(r.Get(&total_invoices));
    if (total_invoices >= UINT32_MAX) return Damaged("the invoice blocks do not add up");
    struct Block {
      uint32_t accounts = 0, invoices = 0, directory = 0, payload = 0;
      uint64_t checksum = 0;
      const unsigned char* body = nullptr;
      uint32_t first = 0;  // ordinal of its first account
      bool ok = false;
    };
    std::vector<Block> blocks;
    uint64_t total_accounts = 0;
    for (uint64_t invoices = 0;;) {
      Block block;
      LL_RETURN_IF_ERROR(r.Get(&block.accounts));
      LL_RETURN_IF_ERROR(r.Get(&block.invoices));
      LL_RETURN_IF_ERROR(r.Get(&block.directory));
      LL_RETURN_IF_ERROR(r.Get(&block.payload));
      LL_RETURN_IF_ERROR(r.Get(&block.checksum));
      if (block.accounts == 0) {  // the end mark
        if (invoices != total_invoices || block.invoices != 0 || block.directory != 0 || block.payload != 0) {
          return Damaged("the invoice blocks do not add up");
        }
        break;
      }
      if (block.invoices < block.accounts || block.invoices > total_invoices - invoices ||
          block.directory > block.accounts * kMaxDirectoryEntry ||
          block.payload > uint64_t{block.invoices} * InvoiceCoder::kMaxBytes) {
        return Damaged("the invoice blocks do not add up");
      }
      LL_RETURN_IF_ERROR(r.Unhashed(size_t{block.directory} + block.payload, &block.body));
      block.first = static_cast<uint32_t>(total_accounts);
      total_accounts += block.accounts;
      invoices += block.invoices;
      blocks.push_back(block);
    }
    uint64_t records = 0, index_bytes = 0, index_checksum = 0;
    LL_RETURN_IF_ERROR(r.Get(&b.min_invoice_));
    LL_RETURN_IF_ERROR(r.Get(&b.max_invoice_));
    b.index_min_ = b.min_invoice_;
    b.index_max_ = b.max_invoice_;
    LL_RETURN_IF_ERROR(r.Get(&records));
    LL_RETURN_IF_ERROR(r.Get(&index_bytes));
    LL_RETURN_IF_ERROR(r.Get(&index_checksum));
    if (records != total_invoices || index_bytes > 8 + 16 * (records + 1) + 2 * kMaxVarintBytes * records) {
      return Damaged("the invoice index does not fit the invoices");
    }
    const unsigned char* index = nullptr;
    LL_RETURN_IF_ERROR(r.Unhashed(index_bytes, &index));
    b.invoices_ = total_invoices;
    b.accounts_.resize(total_accounts);
    TaskPool pool;
    bool index_ok = false;
    // The index first (its check is a loop of its own on the same threads), then the caller's tasks, then the
    // blocks.
    pool.ParallelFor(1 + side.size() + blocks.size(), [&](size_t i) {
      if (i == 0) {
        index_ok = HashOf(index, index_bytes) == index_checksum &&
                   b.index_.Open(index, index_bytes, records, static_cast<uint32_t>(total_accounts), &pool);
        return;
      }
      if (i <= side.size()) {
        side[i - 1]();
        return;
      }
      Block& block = blocks[i - 1 - side.size()];
      if (HashOf(block.body, size_t{block.directory} + block.payload) != block.checksum) return;
      const unsigned char* p = block.body;
      const unsigned char* end = p + block.directory;
      const unsigned char* bytes = end;
      uint64_t payload = 0, invoices = 0;
      int64_t previous = 0;
      for (uint32_t a = 0; a < block.accounts; ++a) {
        BaseAccount& account = b.accounts_[block.first + a];
        if (!GetDirectoryEntry(p, end, previous, b.as_of_, account)) return;
        if (a > 0 && account.account_id <= previous) return;  // accounts rise
        account.bytes = bytes + payload;
        payload += account.size;
        invoices += account.count;
        previous = account.account_id;
      }
      block.ok = p == end && payload == block.payload && invoices == block.invoices;
      file.Release(block.body, size_t{block.directory} + block.payload);
    });
    if (!index_ok) return Damaged("the invoice index fails its checksum or does not parse");
    for (const Block& block : blocks) {
      if (!block.ok) return Damaged("an invoice block fails its checksum or does not parse");
    }
    // Accounts rise within each block (checked there) and from one block to the next.
    for (size_t k = 1; k < blocks.size(); ++k) {
      if (b.accounts_[blocks[k].first - 1].account_id >= b.accounts_[blocks[k].first].account_id) {
        return Damaged("the invoice blocks do not add up");
      }
    }
    return Status::OK();
  }

  // The parts of a state before and after its invoices (docs/formats.md, items 2-3 and 6-7), left in place.
  struct Head {
    int64_t max_account = 0;
    InPlace<AccountRecord> accounts;
    int64_t max_sku = 0;
    InPlace<SkuRecord> skus;
  };
  struct Tail {
    InPlace<OrphanRecord> orphans;
    InPlace<PendingRecord> pending;
  };
  static Status ReadHead(Reader& r, Head& h) {
    LL_RETURN_IF_ERROR(r.Get(&h.max_account));
    LL_RETURN_IF_ERROR(r.Array(&h.accounts));
    LL_RETURN_IF_ERROR(r.Get(&h.max_sku));
    return r.Array(&h.skus);
  }
  static Status ReadTail(Reader& r, Tail& t) {
    LL_RETURN_IF_ERROR(r.Array(&t.orphans));
    return r.Array(&t.pending);
  }

  static Status ReadHeader(Reader& r, StateInfo& info) {
    char magic[sizeof kMagic];
    LL_RETURN_IF_ERROR(r.Raw(magic, sizeof magic));
    if (std::memcmp(magic, kMagic, sizeof kMagic - 1) == 0 && magic[7] != kMagic[7]) {
      return Status::Corruption(std::string("a state of format version ") + magic[7] + ", not " + kMagic[7] +
                                " (written by another ledgerlake)");
    }
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) return Status::Corruption("not a ledgerlake state file");
    int32_t as_of = 0;
    LL_RETURN_IF_ERROR(r.Get(&as_of));
    info.as_of = as_of;
    LL_RETURN_IF_ERROR(r.Get(&info.bookmarks));
    uint32_t logs = 0;
    LL_RETURN_IF_ERROR(r.Get(&logs));
    info.line_logs.resize(logs);
    for (std::string& s : info.line_logs) LL_RETURN_IF_ERROR(r.Text(&s));
    LL_RETURN_IF_ERROR(r.Text(&info.base));
    LL_RETURN_IF_ERROR(r.Get(&info.base_seal));
    if (info.base.find('/') != std::string::npos) return Status::Corruption("a state over a file elsewhere");
    return Status::OK();
  }

  // The seal of a whole state file: the checksum that ends it.
  static uint64_t SealOf(const MappedFile& file) {
    uint64_t seal = 0;
    if (file.size() >= sizeof seal) std::memcpy(&seal, file.data() + file.size() - sizeof seal, sizeof seal);
    return seal;
  }

  // The complete state `info.base` that an overlay lies over (beside it, as it was when the overlay was saved):
  // checked like any state, but only its invoices are kept: the overlay holds everything else.
  static Status ReadUnder(const std::string& overlay_path, const StateInfo& info, BaseInvoices& under,
                          std::unique_ptr<MappedFile>& under_file) {
    const std::string path = (fs::path(overlay_path).parent_path() / info.base).string();
    auto file = MappedFile::Open(path);
    if (!file.ok()) return Status::Corruption("cannot open the state it lies over, " + path);
    if (SealOf(**file) != info.base_seal) return Status::Corruption(path + " is not the state it lies over");
    // Its damage is named as its own: the file to look at is that one.
    const Status read = [&] {
      Reader r((*file)->data(), (*file)->size(), path);
      StateInfo under_info;
      LL_RETURN_IF_ERROR(ReadHeader(r, under_info));
      if (!under_info.base.empty() || under_info.as_of > info.as_of) {
        return Status::Corruption("not a complete state before it");
      }
      under.as_of_ = under_info.as_of;
      Head head;
      Tail tail;
      LL_RETURN_IF_ERROR(ReadHead(r, head));
      LL_RETURN_IF_ERROR(ReadInvoices(r, under, {}, **file));
      LL_RETURN_IF_ERROR(ReadTail(r, tail));
      return r.CheckSeal();
    }();
    if (!read.ok()) return Status::Corruption("the complete state it lies over, " + path + ": " + read.message());
    under_file = std::move(*file);
    return Status::OK();
  }

  // Makes `top` (an overlay's invoices) read as one with the complete state `under` it: the accounts of both by
  // account_id, the overlay's replacing those of the same id.
  static void Lay(BaseInvoices& top, BaseInvoices& under, std::unique_ptr<MappedFile> under_file) {
    constexpr uint32_t kNone = BaseInvoices::kNone;
    std::vector<BaseAccount> merged;
    merged.reserve(top.accounts_.size() + under.accounts_.size());
    top.overlay_remap_.assign(top.accounts_.size(), kNone);
    top.under_remap_.assign(under.accounts_.size(), kNone);
    top.in_overlay_.clear();
    top.in_overlay_.reserve(merged.capacity());
    top.invoices_ = 0;
    for (size_t i = 0, j = 0; i < top.accounts_.size() || j < under.accounts_.size();) {
      const bool from_top = j == under.accounts_.size() ||
                            (i < top.accounts_.size() && top.accounts_[i].account_id <= under.accounts_[j].account_id);
      if (from_top) {
        if (j < under.accounts_.size() && under.accounts_[j].account_id == top.accounts_[i].account_id) ++j;
        top.overlay_remap_[i] = static_cast<uint32_t>(merged.size());
        merged.push_back(top.accounts_[i++]);
      } else {
        top.under_remap_[j] = static_cast<uint32_t>(merged.size());
        merged.push_back(under.accounts_[j++]);
      }
      top.in_overlay_.push_back(from_top ? 1 : 0);
      top.invoices_ += merged.back().count;
    }
    top.accounts_ = std::move(merged);
    top.under_index_ = under.index_;
    top.under_min_ = under.index_min_;
    top.under_max_ = under.index_max_;
    const bool top_empty = top.index_max_ < top.index_min_, under_empty = under.index_max_ < under.index_min_;
    top.min_invoice_ = top_empty ? under.index_min_ : under_empty ? top.index_min_ : std::min(top.index_min_, under.index_min_);
    top.max_invoice_ = top_empty ? under.index_max_ : under_empty ? top.index_max_ : std::max(top.index_max_, under.index_max_);
    top.under_file_ = std::move(under_file);
  }

  // From here on the loaded Ledger journals its changes; its files up to the bookmarks are the base.
  static void Continue(Ledger& l, const StateInfo& info) { l.StartIncremental(info.bookmarks); }

  static Status Read(std::unique_ptr<MappedFile> file, const std::string& path, Ledger& l, StateInfo& info) {
    auto base = std::make_unique<BaseInvoices>();
    Reader r(file->data(), file->size(), path);
    LL_RETURN_IF_ERROR(ReadHeader(r, info));
    base->as_of_ = info.as_of;
    BaseInvoices under;
    std::unique_ptr<MappedFile> under_file;
    if (!info.base.empty()) {
      LL_RETURN_IF_ERROR(ReadUnder(path, info, under, under_file));
      base->complete_path_ = (fs::path(path).parent_path() / info.base).string();
      base->complete_seal_ = info.base_seal;
    } else {
      base->complete_path_ = path;
      base->complete_seal_ = SealOf(*file);
    }
    Head head;
    LL_RETURN_IF_ERROR(ReadHead(r, head));
    l.skus_.Reserve(static_cast<size_t>(head.skus.count), head.max_sku);
    for (uint64_t i = 0; i < head.skus.count; ++i) {
      const SkuRecord sku = head.skus[i];
      l.skus_.TryInsert(sku.item_id, SkuEntry{{sku.item_id, sku.retail_cents}, sku.file, {}});
    }
    // The accounts are indexed beside the invoice blocks' checks, as is the invoices' key index sized.
    const std::vector<std::function<void()>> side = {
        [&] {
          l.accounts_.Reserve(static_cast<size_t>(head.accounts.count), head.max_account);
          for (uint64_t i = 0; i < head.accounts.count; ++i) {
            const AccountRecord a = head.accounts[i];
            l.accounts_.TryInsert(a.account_id, AccountEntry{{a.account_id, a.joining_date}, a.file, {}});
          }
          file->Release(head.accounts.at, head.accounts.bytes());
        },
        // The invoices decoded will have ids across the base's range: index them directly from the start.
        [&] {
          // Under an overlay: about as many as the complete state holds (the overlay's replace its accounts').
          const uint64_t count = std::max(base->invoices(), under.invoices());
          const int64_t max_id = under.invoices() == 0   ? base->max_invoice_id()
                                 : base->invoices() == 0 ? under.max_invoice_id()
                                                         : std::max(base->max_invoice_id(), under.max_invoice_id());
          if (count > 0) l.invoices_.Reserve(static_cast<size_t>(count), max_id);
        }};
    LL_RETURN_IF_ERROR(ReadInvoices(r, *base, side, *file));
    Tail tail;
    LL_RETURN_IF_ERROR(ReadTail(r, tail));
    for (uint64_t i = 0; i < tail.orphans.count; ++i) {
      const OrphanRecord o = tail.orphans[i];
      if (o.file >= LineGroup::kNoFile) return Damaged("an orphan group's file is out of range");
      LineGroup g;
      g.file = o.file & LineGroup::kNoFile;
      l.orphan_groups_.emplace(o.invoice_id, g);
    }
    for (uint64_t i = 0; i < tail.pending.count; ++i) {
      const PendingRecord p = tail.pending[i];
      l.pending_lines_.push_back(PendingLine{p.invoice_id, p.item_id, p.quantity, p.file});
    }
    LL_RETURN_IF_ERROR(r.CheckSeal());
    base->file_ = std::move(file);
    if (under_file != nullptr) Lay(*base, under, std::move(under_file));
    base->IndexAccounts();  // once, over the accounts of both files
    l.decoded_.assign(base->size(), 0);
    l.base_ = std::move(base);
    // Invoices of accounts not known yet are pending: listed every run, so decoded now.
    for (uint32_t o = 0; o < l.base_->size(); ++o) {
      if (!l.accounts_.contains(l.base_->account(o).account_id)) l.DecodeBase(o);
    }
    return l.base_status_;
  }
};

Status SaveState(const FinishedLedger& finished, const std::vector<uint32_t>& invoice_order, const StateInfo& given,
                 const std::string& path, const SaveOptions& options) {
  const Ledger& ledger = finished.ledger();
  StateInfo info = given;
  info.as_of = finished.as_of();
  if (invoice_order.size() != ledger.invoices().size()) {
    return Status::InvalidArgument("SaveState: the invoice order does not cover every invoice");
  }
  const std::string tmp = path + ".tmp";
  // An overlay names the complete state it lies over by file name: only beside it.
  const BaseInvoices* base = ledger.base();
  const bool may_overlay = base != nullptr && fs::path(base->complete_path()).parent_path().lexically_normal() ==
                                                  fs::path(path).parent_path().lexically_normal();
  std::vector<char> buffer(1 << 20);
  // Writes the file with overlays up to 1/share (0: complete); *again when it must be written complete instead.
  auto write = [&](uint32_t share, bool* again) -> Status {
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
    std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
    Writer w(f);
    const Status written = StateCodec::Write(ledger, invoice_order, info, share, w, again);
    w.Seal();
    const bool ok = written.ok() && w.ok() && std::fflush(f) == 0;
    const int err = errno;
    std::fclose(f);
    if (!ok || *again) {
      std::remove(tmp.c_str());
      if (!written.ok()) return written;
      if (!ok) return Status::IOError("cannot write " + tmp + ": " + std::strerror(err));
    }
    return Status::OK();
  };
  bool again = false;
  LL_RETURN_IF_ERROR(write(may_overlay ? options.overlay_share : 0, &again));
  if (again) {
    bool never = false;
    LL_RETURN_IF_ERROR(write(0, &never));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<StateInfo> ReadStateInfo(const std::string& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return Status::UnusableCache("cannot open the state " + path + ": " + file.status().message());
  Reader r((*file)->data(), (*file)->size(), path);
  StateInfo info;
  Status st = StateCodec::ReadHeader(r, info);
  if (!st.ok()) return Status::UnusableCache(path + ": " + st.message());
  return info;
}

Result<LoadedState> LoadState(const std::string& path) {
  auto file = MappedFile::Open(path);
  if (!file.ok()) return Status::UnusableCache("cannot open the state " + path + ": " + file.status().message());
  LoadedState loaded;
  Status st = StateCodec::Read(std::move(*file), path, loaded.ledger, loaded.info);
  if (!st.ok()) return Status::UnusableCache(path + ": " + st.message());
  StateCodec::Continue(loaded.ledger, loaded.info);
  return loaded;
}

}  // namespace ledgerlake::engine
