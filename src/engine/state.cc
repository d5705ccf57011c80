#include "engine/state.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "engine/invoice_order.h"
#include "util/stream_hash.h"
#include "util/task_pool.h"
#include "util/varint.h"

namespace ledgerlake::engine {

namespace {

// Version 4: keyed arrays carry their largest key, and invoices are in (account_id, date_issued, invoice_id)
// order. A state of an older version is not read: the run rebuilds from the raw zone, as for a damaged one.
constexpr char kMagic[8] = {'L', 'L', 'S', 'T', 'A', 'T', 'E', '4'};

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
// Invoices are the bulk of a state (one per invoice ever landed), so they are stored compactly: in blocks of up
// to kInvoiceBlock, each [records u32][payload bytes u32][payload checksum u64][payload], the payload holding per
// invoice varints relative to the previous invoice of the block (the first against zeros), so that a block
// decodes and checks on its own (on any core). The file's checksum covers the block headers, not the payloads.
// Saved in (account_id, date_issued, invoice_id) order, most accounts and dates differ from the previous by
// little or nothing; about 14 bytes an invoice instead of 56 fixed.
constexpr uint32_t kInvoiceBlock = 1 << 14;

struct InvoiceCoder {
  int64_t account_id = 0;
  int64_t invoice_id = 0;
  int64_t date_issued = 0;

  static constexpr size_t kMaxBytes = 9 * kMaxVarintBytes;

  // Writes `e` at `out` (room for kMaxBytes); returns the end of what it wrote.
  char* Put(const InvoiceEntry& e, char* out) {
    const contract::InvoiceRow& r = e.row;
    out = PutSignedVarint(out, r.account_id - account_id);
    out = PutSignedVarint(out, static_cast<int64_t>(static_cast<uint64_t>(r.invoice_id) - static_cast<uint64_t>(invoice_id)));
    out = PutSignedVarint(out, r.date_issued - date_issued);
    out = PutVarint(out, static_cast<uint64_t>(r.payment) | (uint64_t{e.extra.overflow} << 2));
    if (r.payment == contract::Payment::kPaid) out = PutSignedVarint(out, int64_t{r.payment_date} - r.date_issued);
    out = PutSignedVarint(out, e.extra.cents);
    out = PutSignedVarint(out, e.extra.quantity);
    out = PutVarint(out, e.file);
    out = PutVarint(out, e.extra.file == UINT32_MAX ? 0 : uint64_t{e.extra.file} + 1);  // 0: no line items yet
    account_id = r.account_id;
    invoice_id = r.invoice_id;
    date_issued = r.date_issued;
    return out;
  }

  // False on damaged input.
  bool Get(const unsigned char*& p, const unsigned char* end, InvoiceEntry& e) {
    int64_t account = 0, invoice = 0, date = 0, cents = 0, quantity = 0;
    uint64_t flags = 0, file = 0, group_file = 0;
    if (!GetSignedVarint(p, end, &account) || !GetSignedVarint(p, end, &invoice) ||
        !GetSignedVarint(p, end, &date) || !GetVarint(p, end, &flags) || (flags & 3) > 2) {
      return false;
    }
    account_id += account;
    invoice_id = static_cast<int64_t>(static_cast<uint64_t>(invoice_id) + static_cast<uint64_t>(invoice));
    date_issued += date;
    e = InvoiceEntry{};
    e.row.account_id = account_id;
    e.row.invoice_id = invoice_id;
    e.row.date_issued = static_cast<DayNumber>(date_issued);
    e.row.payment = static_cast<contract::Payment>(flags & 3);
    e.row.payment_date = contract::kNoDate;
    if (e.row.payment == contract::Payment::kPaid) {
      int64_t days = 0;
      if (!GetSignedVarint(p, end, &days)) return false;
      e.row.payment_date = static_cast<DayNumber>(date_issued + days);
    }
    if (!GetSignedVarint(p, end, &cents) || !GetSignedVarint(p, end, &quantity) || !GetVarint(p, end, &file) ||
        !GetVarint(p, end, &group_file) || file > UINT32_MAX || group_file > uint64_t{UINT32_MAX}) {
      return false;
    }
    e.extra.cents = cents;
    e.extra.quantity = quantity;
    e.extra.overflow = (flags >> 2) & 1;
    e.extra.file = group_file == 0 ? UINT32_MAX : static_cast<uint32_t>(group_file - 1);
    e.file = static_cast<uint32_t>(file);
    return true;
  }
};

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

class Reader {
 public:
  Reader(std::FILE* f, const std::string& path) : f_(f), path_(path) {}
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  template <typename T>
  Status Get(T* v) {
    return Raw(v, sizeof *v);
  }
  Status Raw(void* p, size_t n) {
    LL_RETURN_IF_ERROR(Unhashed(p, n));
    hash_.Update(p, n);
    return Status::OK();
  }
  // Bytes the file's checksum leaves out (Writer::Unhashed): the caller checks them.
  Status Unhashed(void* p, size_t n) {
    if (n > 0 && std::fread(p, 1, n, f_) != n) return Status::Corruption(path_ + ": truncated state");
    return Status::OK();
  }
  // How many bytes of the file are left to read (0 if that cannot be told): a size hint.
  size_t remaining() const {
    struct stat st {};
    const long at = std::ftell(f_);
    if (fstat(fileno(f_), &st) != 0 || at < 0 || st.st_size < at) return 0;
    return static_cast<size_t>(st.st_size - at);
  }
  // Checks the checksum that ends the file, and that nothing follows it.
  Status CheckSeal() {
    const uint64_t expected = hash_.Final();
    uint64_t stored = 0;
    if (std::fread(&stored, sizeof stored, 1, f_) != 1) return Status::Corruption(path_ + ": truncated state");
    if (stored != expected) return Status::Corruption(path_ + ": checksum mismatch (a damaged state)");
    char extra = 0;
    if (std::fread(&extra, 1, 1, f_) != 0) return Status::Corruption(path_ + ": trailing bytes after the state");
    return Status::OK();
  }
  Status Text(std::string* s) {
    uint32_t n = 0;
    LL_RETURN_IF_ERROR(Get(&n));
    s->resize(n);
    return Raw(s->data(), n);
  }
  // Reads an array written by Writer::Array: calls on_count(records) once, then f per record.
  template <typename T, typename C, typename F>
  Status Array(C&& on_count, F&& f) {
    uint64_t count = 0;
    LL_RETURN_IF_ERROR(Get(&count));
    on_count(count);
    std::vector<T> buf(std::min<uint64_t>(count, 1 << 14));
    for (uint64_t done = 0; done < count;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(count - done, buf.size()));
      LL_RETURN_IF_ERROR(Raw(buf.data(), n * sizeof(T)));
      for (size_t i = 0; i < n; ++i) f(buf[i]);
      done += n;
    }
    return Status::OK();
  }
  template <typename T, typename F>
  Status Array(F&& f) {
    return Array<T>([](uint64_t) {}, f);
  }

 private:
  std::FILE* f_;
  const std::string& path_;
  StreamHash hash_;
};

}  // namespace

// Friend of Ledger: reads and writes its private state.
class StateCodec {
 public:
  static void Write(const Ledger& l, const std::vector<uint32_t>& invoice_order, const StateInfo& info, Writer& w) {
    w.Raw(kMagic, sizeof kMagic);
    w.Put(static_cast<int32_t>(info.as_of));
    w.Put(info.bookmarks);
    w.Put(static_cast<uint32_t>(info.line_logs.size()));
    for (const std::string& s : info.line_logs) w.Text(s);
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
    {
      w.Put(l.invoices_.max_key());
      w.Put(static_cast<uint64_t>(l.invoices_.size()));
      std::vector<char> payload(kInvoiceBlock * InvoiceCoder::kMaxBytes);
      constexpr size_t kAhead = 16;  // after a complete run, the order visits entries scattered in memory
      for (size_t start = 0; start < invoice_order.size(); start += kInvoiceBlock) {
        const size_t end = std::min(invoice_order.size(), start + kInvoiceBlock);
        InvoiceCoder coder;
        char* out = payload.data();
        for (size_t i = start; i < end; ++i) {
          if (i + kAhead < end) __builtin_prefetch(&l.invoices_.AtPosition(invoice_order[i + kAhead]));
          out = coder.Put(l.invoices_.AtPosition(invoice_order[i]), out);
        }
        const auto bytes = static_cast<uint32_t>(out - payload.data());
        StreamHash hash;
        hash.Update(payload.data(), bytes);
        w.Put(static_cast<uint32_t>(end - start));
        w.Put(bytes);
        w.Put(hash.Final());
        w.Unhashed(payload.data(), bytes);
      }
    }
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
  }

  // The invoice blocks: read in turn, then checked and decoded side by side into their places, and indexed at
  // once. The invoices were saved in (account_id, date_issued, invoice_id) order; how far that holds
  // is checked, not trusted (engine/invoice_order.h relies on it).
  static Status ReadInvoices(Reader& r, uint32_t count, Ledger& l) {
    struct Block {
      size_t offset = 0;  // of its payload in `payloads`
      uint32_t bytes = 0;
      uint32_t records = 0;
      uint64_t checksum = 0;  // of the payload
      // Set when decoded:
      bool ok = false;
      uint32_t in_order = 0;  // how many of its records, from the first, are each after the one before
      contract::InvoiceRow first{}, last{};  // the first and last records
    };
    std::vector<Block> blocks;
    std::vector<char> payloads;
    payloads.reserve(r.remaining());
    for (uint32_t done = 0; done < count;) {
      uint32_t records = 0, bytes = 0;
      uint64_t checksum = 0;
      LL_RETURN_IF_ERROR(r.Get(&records));
      LL_RETURN_IF_ERROR(r.Get(&bytes));
      LL_RETURN_IF_ERROR(r.Get(&checksum));
      // Every block but the last is full, so a block's records have known positions.
      if (records != std::min(kInvoiceBlock, count - done) || bytes > records * InvoiceCoder::kMaxBytes) {
        return Status::Corruption("damaged invoices");
      }
      Block& block = blocks.emplace_back();
      block.offset = payloads.size();
      block.bytes = bytes;
      block.records = records;
      block.checksum = checksum;
      payloads.resize(payloads.size() + bytes);
      LL_RETURN_IF_ERROR(r.Unhashed(payloads.data() + block.offset, bytes));  // checked when decoded
      done += records;
    }
    const uint32_t first = l.invoices_.Extend(count);
    TaskPool pool;
    pool.ParallelFor(blocks.size(), [&](size_t b) {
      Block& block = blocks[b];
      StreamHash hash;
      hash.Update(payloads.data() + block.offset, block.bytes);
      if (hash.Final() != block.checksum) return;
      const auto* p = reinterpret_cast<const unsigned char*>(payloads.data() + block.offset);
      const auto* end = p + block.bytes;
      InvoiceCoder coder;
      InvoiceEntry e;
      bool in_order = true;
      const auto position = static_cast<uint32_t>(first + b * kInvoiceBlock);
      for (uint32_t i = 0; i < block.records; ++i) {
        if (!coder.Get(p, end, e)) return;
        if (i == 0) block.first = e.row;
        in_order = in_order && (i == 0 || InvoiceOrderLess(block.last, e.row));
        if (in_order) block.in_order = i + 1;
        block.last = e.row;
        l.invoices_.SetAppended(position + i, e.row.invoice_id, e);
      }
      block.ok = p == end;
    });
    uint32_t sorted = 0;
    for (size_t b = 0; b < blocks.size(); ++b) {
      if (!blocks[b].ok) return Status::Corruption("damaged invoices (a block fails its checksum or does not decode)");
      if (sorted != b * kInvoiceBlock || (b > 0 && !InvoiceOrderLess(blocks[b - 1].last, blocks[b].first))) continue;
      sorted += blocks[b].in_order;
    }
    l.sorted_invoices_ = sorted;
    if (!l.invoices_.IndexAppended(&pool)) return Status::Corruption("an invoice saved twice");
    return Status::OK();
  }

  static Status ReadHeader(Reader& r, StateInfo& info) {
    char magic[sizeof kMagic];
    LL_RETURN_IF_ERROR(r.Raw(magic, sizeof magic));
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0) return Status::Corruption("not a ledgerlake state file");
    int32_t as_of = 0;
    LL_RETURN_IF_ERROR(r.Get(&as_of));
    info.as_of = as_of;
    LL_RETURN_IF_ERROR(r.Get(&info.bookmarks));
    uint32_t logs = 0;
    LL_RETURN_IF_ERROR(r.Get(&logs));
    info.line_logs.resize(logs);
    for (std::string& s : info.line_logs) LL_RETURN_IF_ERROR(r.Text(&s));
    return Status::OK();
  }

  static Status Read(Reader& r, Ledger& l, StateInfo& info) {
    LL_RETURN_IF_ERROR(ReadHeader(r, info));
    int64_t max_key = 0;
    auto reserve = [&](auto& table) { return [&](uint64_t count) { table.Reserve(static_cast<size_t>(count), max_key); }; };
    LL_RETURN_IF_ERROR(r.Get(&max_key));
    LL_RETURN_IF_ERROR(r.Array<AccountRecord>(reserve(l.accounts_), [&](const AccountRecord& a) {
      l.accounts_.TryInsert(a.account_id, AccountEntry{{a.account_id, a.joining_date}, 0, 0, 0, a.file, {}});
    }));
    LL_RETURN_IF_ERROR(r.Get(&max_key));
    LL_RETURN_IF_ERROR(r.Array<SkuRecord>(reserve(l.skus_), [&](const SkuRecord& s) {
      l.skus_.TryInsert(s.item_id, SkuEntry{{s.item_id, s.retail_cents}, 0, 0, 0, s.file, {}});
    }));
    LL_RETURN_IF_ERROR(r.Get(&max_key));
    uint64_t count = 0;
    LL_RETURN_IF_ERROR(r.Get(&count));
    if (count >= KeyedTable<InvoiceEntry>::kAbsent) return Status::Corruption("damaged invoices");
    l.invoices_.Reserve(static_cast<size_t>(count), max_key);
    LL_RETURN_IF_ERROR(ReadInvoices(r, static_cast<uint32_t>(count), l));
    LL_RETURN_IF_ERROR(r.Array<OrphanRecord>([&](const OrphanRecord& o) {
      LineGroup g;
      g.file = o.file;
      l.orphan_groups_.emplace(o.invoice_id, g);
    }));
    LL_RETURN_IF_ERROR(r.Array<PendingRecord>([&](const PendingRecord& p) {
      l.pending_lines_.push_back(PendingLine{p.invoice_id, p.item_id, p.quantity, p.file});
    }));
    return r.CheckSeal();
  }
};

Status SaveState(const Ledger& ledger, const std::vector<uint32_t>& invoice_order, const StateInfo& info,
                 const std::string& path) {
  if (invoice_order.size() != ledger.invoices().size()) {
    return Status::InvalidArgument("SaveState: the invoice order does not cover every invoice");
  }
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Writer w(f);
  StateCodec::Write(ledger, invoice_order, info, w);
  w.Seal();
  const bool ok = w.ok() && std::fflush(f) == 0;
  const int err = errno;
  std::fclose(f);
  if (!ok) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot write " + tmp + ": " + std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::OK();
}

Result<StateInfo> ReadStateInfo(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError("cannot open the state " + path + ": " + std::strerror(errno));
  Reader r(f, path);
  StateInfo info;
  Status st = StateCodec::ReadHeader(r, info);
  std::fclose(f);
  if (!st.ok()) return Status::Corruption(path + ": " + st.message());
  return info;
}

Result<StateInfo> LoadState(const std::string& path, Ledger& ledger) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IOError("cannot open the state " + path + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Reader r(f, path);
  StateInfo info;
  Status st = StateCodec::Read(r, ledger, info);
  std::fclose(f);
  if (!st.ok()) return Status::Corruption(path + ": " + st.message());
  return info;
}

}  // namespace ledgerlake::engine
