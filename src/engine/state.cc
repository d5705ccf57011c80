#include "engine/state.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <type_traits>

#include "util/stream_hash.h"

namespace ledgerlake::engine {

namespace {

constexpr char kMagic[8] = {'L', 'L', 'S', 'T', 'A', 'T', 'E', '3'};

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
struct InvoiceRecord {
  int64_t invoice_id;
  int64_t account_id;
  int64_t cents;
  int64_t quantity;
  int32_t date_issued;
  int32_t payment_date;
  uint32_t file;
  uint32_t group_file;
  uint8_t payment;
  uint8_t overflow;
  uint8_t unused[6];
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
    if (n > 0 && std::fread(p, 1, n, f_) != n) return Status::Corruption(path_ + ": truncated state");
    hash_.Update(p, n);
    return Status::OK();
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
  static void Write(const Ledger& l, const StateInfo& info, Writer& w) {
    w.Raw(kMagic, sizeof kMagic);
    w.Put(static_cast<int32_t>(info.as_of));
    w.Put(info.bookmarks);
    w.Put(static_cast<uint32_t>(info.line_logs.size()));
    for (const std::string& s : info.line_logs) w.Text(s);
    {
      Writer::Array<AccountRecord> a(w, l.accounts_.size());
      l.accounts_.ForEach([&](const AccountEntry& e) { a.Add({e.row.account_id, e.row.joining_date, e.file}); });
    }
    {
      Writer::Array<SkuRecord> a(w, l.skus_.size());
      l.skus_.ForEach([&](const SkuEntry& e) { a.Add({e.row.item_id, e.row.retail_cents, e.file, 0}); });
    }
    {
      Writer::Array<InvoiceRecord> a(w, l.invoices_.size());
      l.invoices_.ForEach([&](const InvoiceEntry& e) {
        InvoiceRecord r{};
        r.invoice_id = e.row.invoice_id;
        r.account_id = e.row.account_id;
        r.cents = e.extra.cents;
        r.quantity = e.extra.quantity;
        r.date_issued = e.row.date_issued;
        r.payment_date = e.row.payment_date;
        r.file = e.file;
        r.group_file = e.extra.file;
        r.payment = static_cast<uint8_t>(e.row.payment);
        r.overflow = static_cast<uint8_t>(e.extra.overflow);
        a.Add(r);
      });
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
    LL_RETURN_IF_ERROR(r.Array<AccountRecord>([&](const AccountRecord& a) {
      l.accounts_.TryInsert(a.account_id, AccountEntry{{a.account_id, a.joining_date}, 0, 0, 0, a.file, {}});
    }));
    LL_RETURN_IF_ERROR(r.Array<SkuRecord>([&](const SkuRecord& s) {
      l.skus_.TryInsert(s.item_id, SkuEntry{{s.item_id, s.retail_cents}, 0, 0, 0, s.file, {}});
    }));
    LL_RETURN_IF_ERROR(r.Array<InvoiceRecord>(
        [&](uint64_t count) { l.invoices_.Reserve(static_cast<size_t>(count)); },
        [&](const InvoiceRecord& v) {
          InvoiceEntry e{{v.invoice_id, v.account_id, v.date_issued, v.payment_date,
                          static_cast<contract::Payment>(v.payment)},
                         0, 0, 0, v.file, LineGroup{}};
          e.extra.cents = v.cents;
          e.extra.quantity = v.quantity;
          e.extra.file = v.group_file;
          e.extra.overflow = v.overflow & 1;
          l.invoices_.TryInsert(v.invoice_id, e);
        }));
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

Status SaveState(const Ledger& ledger, const StateInfo& info, const std::string& path) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::IOError("cannot create " + tmp + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Writer w(f);
  StateCodec::Write(ledger, info, w);
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
