// The record reader: splits the decoded byte stream into records and fields in place, without copying.
//
// How it works. The reader owns one contiguous buffer. A batch is a run of consecutive records that lie whole in
// the buffer; the batch's data pointer is the first byte of its first record, and every span is an offset from
// it. When a record runs past the end of what has been read, the batch is handed back as it is; the next
// NextBatch moves that partial record to the front of the buffer (doubling the buffer when the record fills it
// already), reads more and parses the record again from its start.
//
// Two parsers share the work. FastRun takes records that end within 64 bytes and need no unescaping (most rows
// of a billing extract): it classifies 64 bytes at once into comma / LF / quote bit masks and walks the bits,
// with no per-byte loop and no per-field branch on the byte. ParseGeneral takes everything else (long records,
// doubled quotes, line breaks in quotes, text after a closing quote, the end of the buffer, broken quotes),
// searching for the next structural byte 16 bytes at a time. Records and fields are written to the reader's
// own arrays and copied into the RecordBatch once per batch. UTF-8 is checked once per batch (one pass; per
// record only when that pass fails).
//
// Hand-written rather than a library because it is the hot path and the contract needs exact line numbers,
// raw record text and resynchronisation (see record_reader.h).
#include "csv/record_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "csv/scan.h"
#include "csv/utf8.h"

namespace ledgerlake::csv {

std::string_view RecordBatch::Unescaped(const FieldSpan& f, std::string& scratch) const {
  Unescape(span(f), scratch);
  return scratch;
}

void Unescape(std::string_view raw, std::string& out) {
  out.clear();
  if (raw.empty() || raw.front() != '"') {  // not a quoted field: nothing to undo
    out.assign(raw);
    return;
  }
  size_t i = 1;
  for (;;) {
    size_t q = raw.find('"', i);
    if (q == std::string_view::npos) {  // no closing quote (the reader never produces this): keep the rest
      out.append(raw.substr(i));
      return;
    }
    out.append(raw.substr(i, q - i));
    if (q + 1 < raw.size() && raw[q + 1] == '"') {  // doubled quote inside the quotes
      out.push_back('"');
      i = q + 2;
      continue;
    }
    out.append(raw.substr(q + 1));  // closing quote: the rest is literal text
    return;
  }
}

namespace {

constexpr size_t kMinBufferBytes = 4;               // room for a BOM and one byte
constexpr size_t kMaxBufferBytes = size_t{1} << 30;  // keeps every offset in a batch within uint32
constexpr size_t kMaxRecordBytesLimit = size_t{1} << 30;
// Bytes allocated past the read buffer's capacity, zeroed, so that a word read at any field's start stays inside
// the allocation (RecordBatch::CanReadWord).
constexpr size_t kWordSlack = 8;

enum class Step { kRecord, kBlank, kNeedMore, kEnd, kError };

}  // namespace

struct RecordReader::Impl {
  Impl(std::unique_ptr<ByteSource> src, ReaderOptions o) : source(std::move(src)), opt(o) {
    opt.batch_records = std::max<size_t>(opt.batch_records, 1);
    opt.max_record_bytes = std::clamp<size_t>(opt.max_record_bytes, 1, kMaxRecordBytesLimit);
    cap = std::clamp<size_t>(opt.buffer_bytes, kMinBufferBytes, kMaxBufferBytes);
    buf.reset(new char[cap + kWordSlack]());
    cur = end = buf.get();
    recs.reset(new RecordInfo[opt.batch_records]);
    fields_cap = 4 * opt.batch_records + kFieldSlack;
    fields.reset(new FieldSpan[fields_cap]);
  }

  // ---- Input: the buffer ----

  // Moves the unconsumed bytes to the front of the buffer (growing it when they fill it) and reads until the
  // buffer is full or the stream ends. Only called between batches: it moves the bytes batches point into.
  Status Refill() {
    if (!status.ok()) return status;
    size_t keep = static_cast<size_t>(end - cur);
    if (keep == cap) {
      size_t new_cap = cap * 2;
      std::unique_ptr<char[]> bigger(new char[new_cap + kWordSlack]());
      std::memcpy(bigger.get(), cur, keep);
      buf = std::move(bigger);
      cap = new_cap;
    } else if (cur != buf.get() && keep > 0) {
      std::memmove(buf.get(), cur, keep);
    }
    cur = buf.get();
    end = cur + keep;
    window_base = nullptr;  // the bytes moved and more will come: classify again
    char* limit = buf.get() + cap;
    char* write = buf.get() + keep;
    while (!eof && write < limit) {
      size_t got = 0;
      Status s = source->Read(write, static_cast<size_t>(limit - write), &got);
      if (!s.ok()) return Fail(s);
      if (got == 0) {
        eof = true;
      } else {
        write += got;
      }
    }
    end = write;
    return Status::OK();
  }

  // ---- Output: the batch being built, in the reader's own arrays (no vector growth checks in the hot loop);
  // FinishBatch copies them into the RecordBatch. ----

  void StartBatch() {
    base = cur;
    nrecs = 0;
    nfields = 0;
  }

  void FinishBatch(RecordBatch& batch) {
    batch.Reset(base, static_cast<size_t>(buf.get() + cap + kWordSlack - base));
    batch.mutable_records().assign(recs.get(), recs.get() + nrecs);
    batch.mutable_fields().assign(fields.get(), fields.get() + nfields);
    CheckUtf8(batch);
  }

  // Makes room for `n` more fields.
  void ReserveFields(size_t n) {
    if (fields_cap - nfields >= n) return;
    size_t new_cap = std::max(fields_cap * 2, nfields + n);
    std::unique_ptr<FieldSpan[]> bigger(new FieldSpan[new_cap]);
    std::memcpy(bigger.get(), fields.get(), nfields * sizeof(FieldSpan));
    fields = std::move(bigger);
    fields_cap = new_cap;
  }

  uint32_t Off(const char* p) const { return static_cast<uint32_t>(p - base); }

  void PushField(const char* b, const char* e, FieldKind kind) {
    ReserveFields(1);
    fields[nfields++] = FieldSpan{Off(b), Off(e), kind};
  }

  // Appends the record [start, start + consumed), whose fields are fields[first_field, nfields), and consumes
  // it. UTF-8 is checked for the whole batch at once, in CheckUtf8.
  void EmitRecord(const char* start, const char* raw_end, size_t consumed, size_t first_field, uint64_t lfs,
                  RecordError error = RecordError::kNone) {
    RecordInfo& r = recs[nrecs++];
    r.line = line;
    r.offset = pos;
    r.raw_begin = Off(start);
    r.raw_end = Off(raw_end);
    r.consumed = static_cast<uint32_t>(consumed);
    r.first_field = static_cast<uint32_t>(first_field);
    r.field_count = static_cast<uint32_t>(nfields - first_field);
    r.error = error;
    cur += consumed;
    pos += consumed;
    line += lfs;
  }

  // Flags the records of `batch` that are not valid UTF-8. The batch's bytes are checked in one pass first:
  // records start after an LF (never inside a UTF-8 sequence), so when the whole run is valid, each record is.
  static void CheckUtf8(RecordBatch& batch) {
    std::vector<RecordInfo>& rs = batch.mutable_records();
    if (rs.empty()) return;
    const char* data = batch.raw(0).data() - rs[0].raw_begin;
    const RecordInfo& last = rs.back();
    if (IsValidUtf8(data + rs[0].raw_begin, last.raw_begin + last.consumed - rs[0].raw_begin)) return;
    for (RecordInfo& r : rs) {
      if (r.error == RecordError::kNone && !IsValidUtf8(data + r.raw_begin, r.consumed)) {
        r.error = RecordError::kInvalidUtf8;
      }
    }
  }

  // ---- Parsing ----

  // Parses records until the batch holds `limit` records (returns kRecord) or ParseOne returns kNeedMore,
  // kEnd or kError.
  Step ParseRecords(size_t limit) {
    for (;;) {
      ReserveFields(65);
      FastRun(limit);
      if (nrecs >= limit) return Step::kRecord;
      Step s = ParseOne();
      if (s != Step::kRecord && s != Step::kBlank) return s;
      if (nrecs >= limit) return Step::kRecord;
    }
  }

  // The fast path. Splits, keeping the hot state in locals, the run of records at `cur` that each end within
  // the 64 bytes from their start and need no unescaping: plain fields, and quoted fields with no doubled
  // quote or line break whose closing quote ends the field. Every field is found from bit masks of the 64
  // bytes (csv/scan.h). Stops, leaving `cur` at it, at any other record or at a blank line, for ParseOne.
  void FastRun(size_t limit) {
    const char* c = cur;
    const char* const e = end;
    const char* const b = base;
    uint64_t p = pos;
    uint64_t ln = line;
    size_t nr = nrecs;
    size_t nf = nfields;
    RecordInfo* const rs = recs.get();
    FieldSpan* const fs = fields.get();
    const size_t fields_room = fields_cap - 64;  // a record in 64 bytes has at most 64 fields
    const char* wb = window_base;
    scan::Masks64 w = window;
    const size_t max_len = opt.max_record_bytes;  // a record of len + 1 bytes fits when len < max_len
    while (nr < limit && nf <= fields_room && c != e && *c != '\n' && *c != '\r') {
      unsigned off = 0;
      uint64_t lfs = 0;
      if (wb != nullptr && c >= wb && c - wb < 64) {
        off = static_cast<unsigned>(c - wb);
        lfs = w.lf >> off;
      }
      if (lfs == 0) {
        if (wb == c) break;  // the record is longer than the window
        wb = c;
        w = Classify(c, e);
        off = 0;
        lfs = w.lf;
        if (lfs == 0) break;
      }
      const unsigned len = static_cast<unsigned>(__builtin_ctzll(lfs));  // the LF is at c + len
      if (len >= max_len) break;
      const uint64_t in_record = len == 63 ? ~uint64_t{0} : (uint64_t{2} << len) - 1;
      const uint64_t commas = (w.comma >> off) & in_record;
      const uint64_t quotes = (w.quote >> off) & in_record;
      const uint32_t r0 = static_cast<uint32_t>(c - b);
      size_t f = nf;
      unsigned i = 0;  // start of the current field, relative to c
      unsigned raw_len = 0;
      bool simple = true;
      for (;;) {
        if ((quotes >> i) & 1) {
          const uint64_t rest = quotes >> i >> 1;  // quotes after the opening one
          if (rest == 0) {  // closes past the LF: a line break inside quotes
            simple = false;
            break;
          }
          const unsigned close = i + 1 + static_cast<unsigned>(__builtin_ctzll(rest));
          const unsigned after = close + 1;  // <= len: the LF is not a quote
          fs[f++] = FieldSpan{r0 + i + 1, r0 + close, FieldKind::kQuoted};
          if ((commas >> after) & 1) {
            i = after + 1;
            continue;
          }
          if (after == len || (after + 1 == len && c[after] == '\r')) {
            raw_len = after;
            break;
          }
          simple = false;  // a doubled quote, or text after the closing quote
          break;
        }
        const uint64_t next_commas = commas >> i;
        if (next_commas == 0) {  // the last field
          unsigned fe = len;
          if (fe > i && c[fe - 1] == '\r') --fe;
          fs[f++] = FieldSpan{r0 + i, r0 + fe, FieldKind::kPlain};
          raw_len = fe;
          break;
        }
        const unsigned comma = i + static_cast<unsigned>(__builtin_ctzll(next_commas));
        fs[f++] = FieldSpan{r0 + i, r0 + comma, FieldKind::kPlain};
        i = comma + 1;
      }
      if (!simple) break;
      RecordInfo& r = rs[nr++];
      r.line = ln;
      r.offset = p;
      r.raw_begin = r0;
      r.raw_end = r0 + raw_len;
      r.consumed = len + 1;
      r.first_field = static_cast<uint32_t>(nf);
      r.field_count = static_cast<uint32_t>(f - nf);
      r.error = RecordError::kNone;
      nf = f;
      c += len + 1;
      p += len + 1;
      ++ln;
    }
    cur = c;
    pos = p;
    line = ln;
    nrecs = nr;
    nfields = nf;
    window_base = wb;
    window = w;
  }

  // Classifies the 64 bytes at p (bytes past `e` match nothing).
  static scan::Masks64 Classify(const char* p, const char* e) {
    if (e - p >= 64) return scan::Classify64(p);
    char tmp[64] = {};
    std::memcpy(tmp, p, static_cast<size_t>(e - p));
    return scan::Classify64(tmp);
  }

  // Parses the record (or blank line) at `cur`. kNeedMore: the bytes buffered so far do not decide it (nothing
  // was added, nothing consumed). kError: `status` says why. The record's error is kNone or
  // kUnterminatedQuote; CheckUtf8 adds kInvalidUtf8.
  Step ParseOne() {
    const char* const start = cur;
    const char* const e = end;
    if (start == e) return eof ? Step::kEnd : Step::kNeedMore;
    if (*start == '\n' || *start == '\r') {
      size_t term = 0;
      if (*start == '\n') {
        term = 1;
      } else if (start + 1 == e) {
        if (!eof) return Step::kNeedMore;
      } else if (start[1] == '\n') {
        term = 2;
      }
      if (term != 0) {
        cur += term;
        pos += term;
        ++line;
        ++blank_lines;
        return Step::kBlank;
      }
    }
    return ParseGeneral();
  }

  // The general case of ParseOne (not a blank line): quoted fields, records past the window, the end of the
  // buffered bytes, broken records.
  Step ParseGeneral() {
    const char* const start = cur;
    const char* const e = end;
    const size_t first_field = nfields;
    enum class How { kLf, kEof, kNeedMore, kOpenQuote } how;
    const char* p = start;
    const char* raw_end = nullptr;
    const char* next = nullptr;
    uint64_t quoted_lfs = 0;

    for (;;) {
      if (p < e && *p == '"') {
        // Quoted field: find its closing quote, counting line breaks inside it.
        const char* q = p + 1;
        const char* close = nullptr;
        bool escaped = false;
        for (;;) {
          const char* hit = scan::FindEither<'"', '\n'>(q, e);
          if (hit == e) break;
          if (*hit == '\n') {
            ++quoted_lfs;
            q = hit + 1;
            continue;
          }
          if (hit + 1 == e) {  // a quote as the last byte read: doubled or closing decides on the next byte
            if (eof) close = hit;
            break;
          }
          if (hit[1] == '"') {
            escaped = true;
            q = hit + 2;
            continue;
          }
          close = hit;
          break;
        }
        if (close == nullptr) {
          how = eof ? How::kOpenQuote : How::kNeedMore;
          break;
        }
        const char* after = close + 1;
        const FieldKind kind = escaped ? FieldKind::kEscaped : FieldKind::kQuoted;
        const char* fb = escaped ? p : p + 1;
        const char* fe = escaped ? after : close;
        if (after == e) {  // closing quote is the last byte of the stream
          PushField(fb, fe, kind);
          raw_end = next = e;
          how = How::kEof;
          break;
        }
        const char c = *after;
        if (c == ',') {
          PushField(fb, fe, kind);
          p = after + 1;
          continue;
        }
        if (c == '\n') {
          PushField(fb, fe, kind);
          raw_end = after;
          next = after + 1;
          how = How::kLf;
          break;
        }
        if (c == '\r') {
          if (after + 1 == e) {
            if (!eof) {
              how = How::kNeedMore;
              break;
            }
          } else if (after[1] == '\n') {
            PushField(fb, fe, kind);
            raw_end = after;
            next = after + 2;
            how = How::kLf;
            break;
          }
        }
        // Text after the closing quote: taken literally up to the next comma or line end.
        const char* hit = scan::FindEither<',', '\n'>(after, e);
        if (hit == e) {
          if (!eof) {
            how = How::kNeedMore;
            break;
          }
          PushField(p, e, FieldKind::kEscaped);
          raw_end = next = e;
          how = How::kEof;
          break;
        }
        if (*hit == ',') {
          PushField(p, hit, FieldKind::kEscaped);
          p = hit + 1;
          continue;
        }
        const char* le = hit[-1] == '\r' ? hit - 1 : hit;  // hit > after: *after is neither ',' nor LF
        PushField(p, le, FieldKind::kEscaped);
        raw_end = le;
        next = hit + 1;
        how = How::kLf;
        break;
      }
      // Unquoted field (a quote inside it is literal).
      const char* hit = scan::FindEither<',', '\n'>(p, e);
      if (hit == e) {
        if (!eof) {
          how = How::kNeedMore;
          break;
        }
        PushField(p, e, FieldKind::kPlain);
        raw_end = next = e;
        how = How::kEof;
        break;
      }
      if (*hit == ',') {
        PushField(p, hit, FieldKind::kPlain);
        p = hit + 1;
        continue;
      }
      const char* fe = (hit > p && hit[-1] == '\r') ? hit - 1 : hit;
      PushField(p, fe, FieldKind::kPlain);
      raw_end = fe;
      next = hit + 1;
      how = How::kLf;
      break;
    }

    const size_t max = opt.max_record_bytes;
    if (how == How::kNeedMore) {
      nfields = first_field;
      if (static_cast<size_t>(e - start) > max) return Broken();  // it will be longer than max_record_bytes
      return Step::kNeedMore;
    }
    if (how == How::kOpenQuote) {
      nfields = first_field;
      return Broken();
    }
    const size_t consumed = static_cast<size_t>(next - start);
    const size_t field_count = nfields - first_field;
    if (consumed > max || (quoted_lfs > 0 && expected_fields != 0 && field_count != expected_fields)) {
      nfields = first_field;
      return Broken();
    }
    EmitRecord(start, raw_end, consumed, first_field, quoted_lfs + (how == How::kLf ? 1 : 0));
    return Step::kRecord;
  }

  // The record at `cur` has a broken opening quote: emits its first physical line as a kUnterminatedQuote
  // record with no fields. Fails when that line alone is longer than max_record_bytes.
  Step Broken() {
    const char* const start = cur;
    const size_t avail = static_cast<size_t>(end - start);
    const size_t max = opt.max_record_bytes;
    const void* lf = std::memchr(start, '\n', std::min(avail, max));
    if (lf != nullptr) {
      const char* l = static_cast<const char*>(lf);
      const char* raw_end = (l > start && l[-1] == '\r') ? l - 1 : l;
      EmitRecord(start, raw_end, static_cast<size_t>(l - start) + 1, nfields, 1, RecordError::kUnterminatedQuote);
      return Step::kRecord;
    }
    if (eof && avail <= max) {  // the last line of the stream, without terminator
      EmitRecord(start, end, avail, nfields, 0, RecordError::kUnterminatedQuote);
      return Step::kRecord;
    }
    status = Status::Corruption("line " + std::to_string(line) + " is longer than the maximum record size (" +
                                std::to_string(max) + " bytes): not a CSV extract");
    return Step::kError;
  }

  // Refuses, before any parsing, text the dialect cannot be: UTF-16/UTF-32 (by their byte-order marks) and lines
  // that end in CR alone (no LF in the first 64 KiB, but CRs).
  Status CheckEncoding() {
    const auto* b = reinterpret_cast<const unsigned char*>(cur);
    const size_t n = static_cast<size_t>(end - cur);
    auto starts = [&](std::initializer_list<unsigned char> mark) {
      return n >= mark.size() && std::equal(mark.begin(), mark.end(), b);
    };
    const char* encoding = starts({0xFF, 0xFE, 0x00, 0x00})   ? "UTF-32 (little-endian)"
                           : starts({0x00, 0x00, 0xFE, 0xFF}) ? "UTF-32 (big-endian)"
                           : starts({0xFF, 0xFE})             ? "UTF-16 (little-endian)"
                           : starts({0xFE, 0xFF})             ? "UTF-16 (big-endian)"
                                                              : nullptr;
    if (encoding != nullptr) {
      return Fail(Status::InvalidArgument(std::string("the file is ") + encoding +
                                          " text (it starts with that byte-order mark): convert it to UTF-8"));
    }
    while (!eof && static_cast<size_t>(end - cur) < (64u << 10) &&
           std::memchr(cur, '\n', static_cast<size_t>(end - cur)) == nullptr) {
      const size_t before = static_cast<size_t>(end - cur);
      LL_RETURN_IF_ERROR(Refill());
      if (static_cast<size_t>(end - cur) == before) break;
    }
    const size_t look = std::min<size_t>(static_cast<size_t>(end - cur), 64u << 10);
    if (std::memchr(cur, '\n', look) == nullptr && std::memchr(cur, '\r', look) != nullptr) {
      return Fail(Status::InvalidArgument("the file's lines end in CR alone (classic Mac line endings): convert them "
                                          "to LF or CRLF"));
    }
    return Status::OK();
  }

  // ---- The two calls ----

  Status ReadHeader(std::vector<std::string>& names) {
    if (header_done) return Status::InvalidArgument("CSV header already read");
    if (!status.ok()) return status;
    LL_RETURN_IF_ERROR(Refill());  // cap >= 4: now at least 4 bytes are buffered, or the whole stream
    LL_RETURN_IF_ERROR(CheckEncoding());
    if (end - cur >= 3 && std::memcmp(cur, "\xEF\xBB\xBF", 3) == 0) {
      cur += 3;
      bom = 3;
      if (end - cur >= 3 && std::memcmp(cur, "\xEF\xBB\xBF", 3) == 0) {
        return Fail(Status::InvalidArgument("the file starts with two UTF-8 byte-order marks (EF BB BF twice): "
                                            "remove the second one"));
      }
    }
    StartBatch();
    for (;;) {
      Step s = ParseRecords(1);
      if (s == Step::kRecord) break;
      if (s == Step::kError) return status;
      if (s == Step::kEnd) return Fail(Status::InvalidArgument("empty CSV input: no header line"));
      LL_RETURN_IF_ERROR(Refill());  // kNeedMore
      StartBatch();
    }
    RecordBatch hb;
    FinishBatch(hb);
    const RecordInfo& r = hb.record(0);
    const std::string where = "CSV header (line " + std::to_string(r.line) + ")";
    if (r.error == RecordError::kUnterminatedQuote) {
      return Fail(Status::InvalidArgument(where + " has an unterminated quote"));
    }
    if (hb.raw(0).find('\0') != std::string_view::npos) {
      return Fail(Status::InvalidArgument(
          where + " contains NUL bytes: not CSV text (UTF-16 or UTF-32 text without a byte-order mark? convert it "
                  "to UTF-8)"));
    }
    if (!hb.raw(0).empty() && hb.raw(0).back() == '\r') {
      return Fail(Status::InvalidArgument(where + " ends in CR CR LF: the file's lines end in \\r\\r\\n; convert them "
                                                  "to LF or CRLF"));
    }
    if (r.error == RecordError::kInvalidUtf8) {
      return Fail(Status::InvalidArgument(where + " is not valid UTF-8: not CSV text"));
    }
    names.clear();
    std::string scratch;
    for (uint32_t i = 0; i < r.field_count; ++i) names.emplace_back(hb.Value(hb.field(0, i), scratch));
    expected_fields = r.field_count;
    header_done = true;
    return Status::OK();
  }

  Status NextBatch(RecordBatch& batch) {
    StartBatch();
    if (!status.ok() || !header_done) {
      FinishBatch(batch);
      return status.ok() ? Status::InvalidArgument("RecordReader: ReadHeader must succeed before NextBatch") : status;
    }
    for (;;) {
      Step s = ParseRecords(opt.batch_records);
      if (s == Step::kRecord || s == Step::kEnd) break;
      if (s == Step::kError) {
        if (nrecs == 0) {
          FinishBatch(batch);
          return status;
        }
        break;  // the records before the error are delivered; the error comes with the next call
      }
      if (nrecs > 0) break;  // kNeedMore: hand back what is whole; the rest comes with the next call
      Status st = Refill();
      StartBatch();
      if (!st.ok()) {
        FinishBatch(batch);
        return st;
      }
    }
    FinishBatch(batch);
    return Status::OK();
  }

  Status Fail(Status s) {
    status = s;
    return s;
  }

  static constexpr size_t kFieldSlack = 256;

  std::unique_ptr<ByteSource> source;
  ReaderOptions opt;
  // Input.
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
  const char* cur = nullptr;  // first unconsumed byte
  const char* end = nullptr;  // end of the bytes read so far
  bool eof = false;           // `end` is the end of the stream
  uint64_t pos = 0;           // stream offset (after the BOM) of `cur`
  uint64_t line = 1;          // physical line of `cur`
  uint64_t blank_lines = 0;
  size_t bom = 0;
  // Structural bytes of the 64 bytes at window_base, for FastRun.
  const char* window_base = nullptr;
  scan::Masks64 window{0, 0, 0};
  // The batch being built.
  const char* base = nullptr;  // its data pointer
  std::unique_ptr<RecordInfo[]> recs;
  size_t nrecs = 0;
  std::unique_ptr<FieldSpan[]> fields;
  size_t nfields = 0;
  size_t fields_cap = 0;
  // State.
  size_t expected_fields = 0;  // the header's field count; 0 while reading the header
  bool header_done = false;
  Status status;  // sticky: the first I/O, gzip or format error
};

RecordReader::RecordReader(std::unique_ptr<ByteSource> source, ReaderOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), options)) {}

RecordReader::~RecordReader() = default;

Status RecordReader::ReadHeader() {
  Status s = impl_->ReadHeader(header_);
  blank_lines_ = impl_->blank_lines;
  return s;
}

Status RecordReader::NextBatch(RecordBatch& batch) {
  Status s = impl_->NextBatch(batch);
  blank_lines_ = impl_->blank_lines;
  return s;
}

void RecordReader::StartWithoutHeader(size_t fields) {
  impl_->expected_fields = fields;
  impl_->header_done = true;
}

uint64_t RecordReader::line() const { return impl_->line; }

uint64_t RecordReader::bytes_consumed() const { return impl_->bom + impl_->pos; }

}  // namespace ledgerlake::csv
