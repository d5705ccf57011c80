#include "engine/loader.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <thread>

#include "contract/validator.h"
#include "csv/record_reader.h"
#include "util/bounded_queue.h"
#include "util/sha256.h"

namespace ledgerlake::engine {

namespace {

using contract::Reject;

// Re-reads the decoded bytes of `file` at the rows' (offset, length) ranges, and their line numbers (1 + the line
// feeds before the row, as csv::RecordInfo::line counts them); offsets count from after a BOM, as
// csv::RecordInfo::offset does. Used only for rows demoted to duplicate_key, so this second pass is rare.
// A Read may return any number of bytes, so the BOM is decided on the first three bytes however they come.
Status ReadRanges(const std::string& path, std::vector<DemotedRow>& rows, std::vector<std::string>& texts,
                  std::vector<uint64_t>& lines) {
  std::sort(rows.begin(), rows.end(),
            [](const DemotedRow& a, const DemotedRow& b) { return a.location.offset < b.location.offset; });
  auto source = csv::ByteSource::Open(path);
  if (!source.ok()) return source.status();
  texts.assign(rows.size(), std::string());
  lines.assign(rows.size(), 0);
  std::string chunk;
  std::vector<char> buf(1 << 20);
  auto read_more = [&](bool* eof) -> Status {
    size_t got = 0;
    LL_RETURN_IF_ERROR((*source)->Read(buf.data(), buf.size(), &got));
    chunk.append(buf.data(), got);
    *eof = got == 0;
    return Status::OK();
  };
  bool eof = false;
  while (chunk.size() < 3 && !eof) LL_RETURN_IF_ERROR(read_more(&eof));
  const uint64_t bom = chunk.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  uint64_t chunk_begin = 0;  // absolute stream offset (BOM included) of chunk[0]
  uint64_t line_feeds = 0;   // line feeds before chunk_begin + counted
  size_t counted = 0;        // bytes of chunk whose line feeds are in line_feeds
  size_t next = 0;           // first row not yet complete
  size_t started = 0;        // first row whose line is not yet known
  while (next < rows.size() && !chunk.empty()) {
    const uint64_t chunk_end = chunk_begin + chunk.size();
    for (; started < rows.size() && rows[started].location.offset + bom < chunk_end; ++started) {
      const size_t at = rows[started].location.offset + bom - chunk_begin;
      line_feeds += static_cast<uint64_t>(std::count(chunk.begin() + static_cast<std::ptrdiff_t>(counted),
                                                     chunk.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      counted = at;
      lines[started] = 1 + line_feeds;
    }
    for (size_t r = next; r < rows.size(); ++r) {
      const uint64_t rb = rows[r].location.offset + bom, re = rb + rows[r].location.length;
      if (rb >= chunk_end) break;
      const uint64_t from = std::max(rb, chunk_begin), to = std::min(re, chunk_end);
      if (from < to) texts[r].append(chunk, from - chunk_begin, to - from);
    }
    while (next < rows.size() && rows[next].location.offset + bom + rows[next].location.length <= chunk_end) ++next;
    line_feeds += static_cast<uint64_t>(std::count(chunk.begin() + static_cast<std::ptrdiff_t>(counted), chunk.end(), '\n'));
    counted = 0;
    chunk_begin = chunk_end;
    chunk.clear();
    LL_RETURN_IF_ERROR(read_more(&eof));
  }
  return Status::OK();
}

// A ByteSource that hashes the decoded bytes it hands out (a gzip file's landed hash is of its decoded content).
class HashingSource final : public csv::ByteSource {
 public:
  HashingSource(std::unique_ptr<csv::ByteSource> inner, Sha256* sha) : inner_(std::move(inner)), sha_(sha) {}
  Status Read(char* dst, size_t n, size_t* got) override {
    LL_RETURN_IF_ERROR(inner_->Read(dst, n, got));
    sha_->Update(dst, *got);
    return Status::OK();
  }
  uint64_t file_bytes() const override { return inner_->file_bytes(); }
  uint64_t file_bytes_read() const override { return inner_->file_bytes_read(); }
  bool compressed() const override { return inner_->compressed(); }

 private:
  std::unique_ptr<csv::ByteSource> inner_;
  Sha256* sha_;
};

// Checks a landed file against the SHA-256 recorded when it was landed, while the loader reads it: a gzip file
// through the reader's own stream, a plain one by a thread of its own reading the same bytes (from the page cache)
// beside the parser.
class LandedCheck {
 public:
  LandedCheck(const SourceFile& file, std::unique_ptr<csv::ByteSource>& source) : file_(file) {
    if (file.sha256.empty()) return;
    if (source->compressed()) {
      sha_ = std::make_unique<Sha256>();
      source = std::make_unique<HashingSource>(std::move(source), sha_.get());
    } else {
      hasher_ = std::thread([this] { plain_ = Sha256OfFile(file_.path); });
    }
  }
  ~LandedCheck() {
    if (hasher_.joinable()) hasher_.join();
  }
  // After the whole file was read: Corruption when its content is not what was landed.
  Status Finish() {
    if (file_.sha256.empty()) return Status::OK();
    std::string digest;
    if (sha_) {
      digest = sha_->HexDigest();
    } else {
      hasher_.join();
      if (!plain_.ok()) return plain_.status();
      digest = *plain_;
    }
    if (digest == file_.sha256) return Status::OK();
    return Status::Corruption(file_.path + " (landed from " + file_.source_name +
                              ") was changed after it was landed: its content no longer matches its SHA-256. The raw "
                              "zone is immutable: restore the file (`ledgerlake verify` lists every changed file), "
                              "or land the corrected extract as a new file");
  }

 private:
  const SourceFile& file_;
  std::unique_ptr<Sha256> sha_;
  std::thread hasher_;
  Result<std::string> plain_ = Status::OK();
};

// The contract's map of `file`'s header, read by `reader` (a header that no longer satisfies the contract is
// Corruption: the file was landed with it).
Result<contract::HeaderMap> ReadHeaderOf(const SourceFile& file, TableId table, csv::RecordReader& reader) {
  const Status st = reader.ReadHeader();
  if (!st.ok()) return Status::Corruption(file.source_name + ": " + st.message());
  auto header = contract::MapHeader(table, reader.header());
  if (!header.ok()) return Status::Corruption(file.source_name + ": " + header.status().message());
  return header;
}

// The exact number of line items of `file` that repeat an earlier line of their invoice in the file (by content
// hash), over the rows `filter` keeps: what Ledger counts run by run when each invoice's lines are consecutive.
// For a file where they are not, so this second reading is rare. Each kept row costs 16 bytes until the count is
// done; the rows are decoded as the loader decodes them, so a row counts here exactly when it reached the Ledger.
Result<uint64_t> CountRepeatedLines(const SourceFile& file, uint32_t index, const RowFilter& filter) {
  auto source = csv::ByteSource::Open(file.path);
  if (!source.ok()) return source.status();
  csv::RecordReader reader(std::move(*source));
  auto header = ReadHeaderOf(file, TableId::kLineItems, reader);
  if (!header.ok()) return header.status();
  contract::RowValidator validator(TableId::kLineItems, index, std::move(*header));
  std::vector<std::pair<int64_t, uint64_t>> lines;  // (invoice, content hash)
  csv::RecordBatch batch;
  contract::ValidRow<contract::LineItemRow> row{};
  Reject reject{};
  for (;;) {
    LL_RETURN_IF_ERROR(reader.NextBatch(batch));
    if (batch.size() == 0) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (validator.Decode(batch, i, &row, &reject) && filter.Keep(row.row)) {
        lines.emplace_back(row.row.invoice_id, row.content_hash);
      }
    }
  }
  std::sort(lines.begin(), lines.end());
  uint64_t repeats = 0;
  for (size_t i = 1; i < lines.size(); ++i) repeats += lines[i] == lines[i - 1];
  return repeats;
}

template <typename Row>
Status LoadFile(TableId table, uint32_t index, const SourceFile& file, Ledger& ledger, std::vector<Reject>& rejects,
                const ProgressFn& progress, uint64_t done_before, uint64_t total, const RowFilter& filter,
                Spill* spill) {
  auto source = csv::ByteSource::Open(file.path);
  if (!source.ok()) return source.status();
  LandedCheck check(file, *source);
  csv::RecordReader reader(std::move(*source));
  auto header = ReadHeaderOf(file, table, reader);
  if (!header.ok()) return header.status();
  contract::RowValidator validator(table, index, std::move(*header));
  ledger.BeginFile(table, file.sequence);
  // Pass 0 of a partitioned run sends other buckets' records to the spill; a later pass reads a spilled file,
  // whose records carry their landed file's lines in its line map (engine/spill.h).
  const bool routes = spill != nullptr && filter.RoutesAway() && table != TableId::kSkus;
  if (routes) spill->BeginFile(index, reader.header());
  std::unique_ptr<LineMapReader> line_map;
  if (!file.line_map.empty()) {
    auto opened = LineMapReader::Open(file.line_map);
    if (!opened.ok()) return opened.status();
    line_map = std::move(*opened);
  }

  // Two stages on two cores: a producer thread reads and validates batches of records into typed rows, this
  // thread merges them into the Ledger in file order. Batches are recycled through a second queue.
  struct Decoded {
    // rows[0, valid) are this batch's; the vector only grows, so that rows are not value-initialized per batch.
    std::vector<contract::ValidRow<Row>> rows;
    size_t valid = 0;
    std::vector<Reject> rejects;
    uint64_t bytes_consumed = 0;
  };
  constexpr size_t kInFlight = 4;
  BoundedQueue<std::unique_ptr<Decoded>> full(kInFlight), empty(kInFlight + 1);
  for (size_t i = 0; i < kInFlight + 1; ++i) empty.Push(std::make_unique<Decoded>());
  Status produced;
  std::thread producer([&] {
    csv::RecordBatch batch;
    Reject reject{};
    std::unique_ptr<Decoded> d;
    while (empty.Pop(&d)) {
      d->rejects.clear();
      produced = reader.NextBatch(batch);
      if (!produced.ok() || batch.size() == 0) break;
      if (d->rows.size() < batch.size()) d->rows.resize(batch.size());
      size_t valid = 0;
      for (size_t i = 0; i < batch.size() && produced.ok(); ++i) {
        int64_t key;
        if (routes && validator.PeekKey(batch, i, &key)) {
          const uint32_t bucket = filter.BucketOfKey(table, key);
          if (bucket != 0) {
            produced = spill->Add(bucket, batch.raw(i), batch.record(i).line);
            continue;
          }
        }
        uint64_t landed_line = batch.record(i).line;
        if (line_map) {
          SpilledLine entry{};
          produced = line_map->Next(&entry);
          if (produced.ok() && entry.spill_line != landed_line) {
            produced = Status::Corruption(file.path + ": the line map does not match the spilled file");
          }
          landed_line = entry.landed_line;
        }
        if (validator.Decode(batch, i, &d->rows[valid], &reject)) {
          d->rows[valid].location.line = landed_line;
          valid += filter.Keep(d->rows[valid].row);
        } else if (filter.KeepRejects(table)) {
          reject.line = landed_line;
          d->rejects.push_back(std::move(reject));
          reject = Reject{};
        }
      }
      if (!produced.ok()) break;
      d->valid = valid;
      d->bytes_consumed = reader.bytes_consumed();
      if (!full.Push(std::move(d))) break;
    }
    full.Close();
  });

  const size_t first_reject = rejects.size();
  std::unique_ptr<Decoded> d;
  bool sized = false;
  std::error_code ec;
  const uint64_t file_bytes = std::filesystem::file_size(file.path, ec);
  while (full.Pop(&d)) {
    if (!sized && d->bytes_consumed > 0 && !ec) {
      // Estimate the file's rows from the first batch's bytes per row (plain files; a gzip file's size on disk
      // would underestimate, which only means less benefit).
      const uint64_t rows_seen = d->valid + d->rejects.size();
      ledger.ExpectRows(table, static_cast<size_t>(static_cast<double>(file_bytes) * static_cast<double>(rows_seen) /
                                                   static_cast<double>(d->bytes_consumed)));
      sized = true;
    }
    for (size_t i = 0; i < d->valid; ++i) ledger.Add(d->rows[i], file.sequence);
    for (Reject& r : d->rejects) {
      ledger.CountReject(table);
      rejects.push_back(std::move(r));
    }
    if (progress) progress(table, done_before + d->bytes_consumed, total);
    empty.Push(std::move(d));
  }
  empty.Close();
  producer.join();
  LL_RETURN_IF_ERROR(produced);
  LL_RETURN_IF_ERROR(check.Finish());
  if (routes) LL_RETURN_IF_ERROR(spill->EndFile());
  if (ledger.LineRepeatsNeedRecount()) {
    auto repeats = CountRepeatedLines(file, index, filter);
    if (!repeats.ok()) return repeats.status();
    ledger.SetFileLineRepeats(*repeats);
  }

  std::vector<DemotedRow> demoted = ledger.TakeDemoted();
  if (!demoted.empty() && filter.KeepRejects(table)) {
    std::vector<std::string> texts;
    std::vector<uint64_t> lines;
    LL_RETURN_IF_ERROR(ReadRanges(file.path, demoted, texts, lines));
    if (!file.line_map.empty()) {
      auto map = ReadLineMap(file.line_map);
      if (!map.ok()) return map.status();
      for (uint64_t& line : lines) line = LandedLine(*map, line);
    }
    for (size_t k = 0; k < demoted.size(); ++k) {
      rejects.push_back(Reject{table, index, lines[k], contract::RejectReason::kDuplicateKey,
                               "key " + std::to_string(demoted[k].key) + " appears again with different values on line " +
                                   std::to_string(demoted[k].winner_line) + ", which wins",
                               std::move(texts[k])});
    }
    std::sort(rejects.begin() + static_cast<std::ptrdiff_t>(first_reject), rejects.end(),
              [](const Reject& a, const Reject& b) { return a.line < b.line; });
  }
  return Status::OK();
}

}  // namespace

Status LoadTable(TableId table, const std::vector<SourceFile>& files, Ledger& ledger, std::vector<Reject>& rejects,
                 const ProgressFn& progress, const RowFilter& filter, Spill* spill) {
  // Progress is in decoded bytes against on-disk sizes: exact for plain files, an overestimate for gzip.
  uint64_t total = 0;
  std::error_code ec;
  for (const SourceFile& f : files) {
    if (f.table != table || f.path.empty()) continue;
    const uint64_t bytes = std::filesystem::file_size(f.path, ec);
    if (!ec) total += bytes;
  }
  uint64_t done = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const SourceFile& f = files[i];
    if (f.table != table || f.path.empty()) continue;
    const auto index = static_cast<uint32_t>(i);
    Status st;
    switch (table) {
      case TableId::kAccounts: st = LoadFile<contract::AccountRow>(table, index, f, ledger, rejects, progress, done, total, filter, spill); break;
      case TableId::kSkus: st = LoadFile<contract::SkuRow>(table, index, f, ledger, rejects, progress, done, total, filter, spill); break;
      case TableId::kInvoices: st = LoadFile<contract::InvoiceRow>(table, index, f, ledger, rejects, progress, done, total, filter, spill); break;
      case TableId::kLineItems: st = LoadFile<contract::LineItemRow>(table, index, f, ledger, rejects, progress, done, total, filter, spill); break;
    }
    LL_RETURN_IF_ERROR(st);
    const uint64_t bytes = std::filesystem::file_size(f.path, ec);
    if (!ec) done += bytes;
  }
  ledger.EndTable(table);
  return Status::OK();
}

}  // namespace ledgerlake::engine
