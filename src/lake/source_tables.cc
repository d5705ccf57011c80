#include "lake/source_tables.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <numeric>

#include "contract/schema.h"
#include "contract/validator.h"
#include "csv/record_reader.h"
#include "csv/utf8.h"
#include "duck/table_function.h"
#include "lake/landing.h"

namespace ledgerlake::lake {

namespace {

using contract::TableId;
using duck::ColumnType;

Result<TableId> TableArgument(const std::string& name) {
  const auto t = contract::TableFromName(name);
  if (!t) return Status::InvalidArgument("no table '" + name + "': accounts, skus, invoices or invoice_line_items");
  return *t;
}

std::string Relative(const Lake& lake, const std::string& path) {
  const std::string prefix = lake.root() + "/";
  return path.starts_with(prefix) ? path.substr(prefix.size()) : path;
}

// A landed file opened for reading, its header read.
Result<std::unique_ptr<csv::RecordReader>> OpenReader(const LandedFile& f) {
  auto source = csv::ByteSource::Open(f.path);
  if (!source.ok()) return source.status();
  auto reader = std::make_unique<csv::RecordReader>(std::move(*source));
  const Status st = reader->ReadHeader();
  if (!st.ok()) return Status::IOError(f.path + ": " + st.message());
  return reader;
}

// --- ledgerlake_raw ------------------------------------------------------------------------------------------

struct RawFile {
  LandedFile landed;
  std::vector<int> column_of_field;  // per header field: the output column it goes to
};

struct RawLayout {
  std::vector<duck::OutputColumn> columns;  // _file, _line, contract columns, extra columns, _problem, _record
  std::vector<RawFile> files;
  size_t problem_column = 0;
};

Result<RawLayout> RawLayoutOf(const Lake& lake, TableId table) {
  auto landed = ListLanded(lake);
  if (!landed.ok()) return landed.status();
  RawLayout layout;
  layout.columns.push_back({"_file", ColumnType::kVarchar});
  layout.columns.push_back({"_line", ColumnType::kBigInt});
  const auto& contract_columns = contract::TableColumns(table);
  for (const contract::ColumnSpec& c : contract_columns) layout.columns.push_back({std::string(c.name), ColumnType::kVarchar});
  absl::flat_hash_map<std::string, int> extra;  // normalized extra column name -> output column
  for (const LandedFile& f : *landed) {
    if (f.table != table) continue;
    auto reader = OpenReader(f);
    if (!reader.ok()) return reader.status();
    RawFile file{f, {}};
    for (const std::string& name : (*reader)->header()) {
      if (const auto c = contract::ContractColumnIndex(table, name)) {
        file.column_of_field.push_back(static_cast<int>(2 + *c));
        continue;
      }
      const std::string normalized = csv::EscapeInvalidUtf8(contract::NormalizeColumnName(name));
      auto [it, added] = extra.try_emplace(normalized, static_cast<int>(layout.columns.size()));
      if (added) layout.columns.push_back({normalized, ColumnType::kVarchar});
      file.column_of_field.push_back(it->second);
    }
    layout.files.push_back(std::move(file));
  }
  layout.problem_column = layout.columns.size();
  layout.columns.push_back({"_problem", ColumnType::kVarchar});
  layout.columns.push_back({"_record", ColumnType::kVarchar});
  return layout;
}

class RawProducer final : public duck::RowProducer {
 public:
  RawProducer(const Lake& lake, std::shared_ptr<const RawLayout> layout) : lake_(lake), layout_(std::move(layout)) {}

  Result<size_t> Fill(duck::ChunkWriter& chunk) override {
    size_t rows = 0;
    while (rows < chunk.capacity()) {
      if (next_ >= batch_.size()) {
        LL_RETURN_IF_ERROR(NextBatch());
        if (file_ >= layout_->files.size()) break;
        continue;
      }
      Emit(chunk, rows++, next_++);
    }
    return rows;
  }

 private:
  // The next batch of records, opening the next file when one ends; file_ past the end when all are read.
  Status NextBatch() {
    next_ = 0;
    for (;;) {
      if (reader_) {
        LL_RETURN_IF_ERROR(reader_->NextBatch(batch_));
        if (batch_.size() > 0) return Status::OK();
        reader_.reset();
        ++file_;
      }
      if (file_ >= layout_->files.size()) {
        batch_ = csv::RecordBatch();
        return Status::OK();
      }
      auto reader = OpenReader(layout_->files[file_].landed);
      if (!reader.ok()) return reader.status();
      reader_ = std::move(*reader);
    }
  }

  void Emit(duck::ChunkWriter& chunk, size_t row, size_t i) {
    const RawFile& f = layout_->files[file_];
    const csv::RecordInfo& rec = batch_.record(i);
    chunk.SetText(row, 0, Relative(lake_, f.landed.path));
    chunk.SetInt(row, 1, static_cast<int64_t>(rec.line));
    const size_t fields = std::min<size_t>(rec.field_count, f.column_of_field.size());
    const bool utf8 = rec.error != csv::RecordError::kInvalidUtf8;
    for (size_t k = 0; k < fields; ++k) {
      const csv::FieldSpan& span = batch_.field(i, k);
      if (csv::RecordBatch::IsNull(span)) continue;
      const std::string_view value = batch_.Value(span, scratch_);
      const auto column = static_cast<size_t>(f.column_of_field[k]);
      if (utf8) {
        chunk.SetText(row, column, value);
      } else {
        chunk.SetText(row, column, csv::EscapeInvalidUtf8(value));
      }
    }
    std::string problem;
    if (rec.error == csv::RecordError::kUnterminatedQuote) {
      problem = "unterminated_quote: a quoted field is never closed";
    } else if (rec.error == csv::RecordError::kInvalidUtf8) {
      problem = "invalid_utf8: the record is not valid UTF-8 (invalid bytes shown as \\xHH)";
    } else if (rec.field_count != f.column_of_field.size()) {
      problem = "column_count: " + std::to_string(rec.field_count) + " fields where the header has " +
                std::to_string(f.column_of_field.size());
    }
    if (!problem.empty()) {
      chunk.SetText(row, layout_->problem_column, problem);
      chunk.SetText(row, layout_->problem_column + 1, csv::EscapeInvalidUtf8(batch_.raw(i)));
    }
  }

  const Lake& lake_;
  std::shared_ptr<const RawLayout> layout_;
  size_t file_ = 0;
  std::unique_ptr<csv::RecordReader> reader_;
  csv::RecordBatch batch_;
  size_t next_ = 0;
  std::string scratch_;
};

// --- ledgerlake_source ---------------------------------------------------------------------------------------

ColumnType TypeOf(contract::ValueType t) {
  switch (t) {
    case contract::ValueType::kInteger: return ColumnType::kBigInt;
    case contract::ValueType::kDecimal: return ColumnType::kDecimal18_2;
    case contract::ValueType::kDate: return ColumnType::kDate;
    case contract::ValueType::kText: return ColumnType::kVarchar;
  }
  return ColumnType::kVarchar;
}

// One current row: per contract column a typed value or a text, or NULL.
struct SourceRow {
  std::vector<std::optional<int64_t>> typed;
  std::vector<std::optional<std::string>> text;
};

// Reads every valid row of `files` (of `table`, in landing order), calling f(file index, key, validator, batch,
// record index) for each; the validator has decoded the record.
template <typename F>
Status ForEachValidRow(TableId table, const std::vector<LandedFile>& files, F&& f) {
  for (size_t fi = 0; fi < files.size(); ++fi) {
    auto reader = OpenReader(files[fi]);
    if (!reader.ok()) return reader.status();
    auto header = contract::MapHeader(table, (*reader)->header());
    if (!header.ok()) return Status::IOError(files[fi].path + ": " + header.status().message());
    contract::RowValidator validator(table, static_cast<uint32_t>(fi), std::move(*header));
    csv::RecordBatch batch;
    contract::Reject reject;
    for (;;) {
      LL_RETURN_IF_ERROR((*reader)->NextBatch(batch));
      if (batch.size() == 0) break;
      for (size_t i = 0; i < batch.size(); ++i) {
        bool ok = false;
        int64_t key = 0;
        switch (table) {
          case TableId::kAccounts: {
            contract::ValidRow<contract::AccountRow> r;
            ok = validator.Decode(batch, i, &r, &reject);
            key = r.row.account_id;
            break;
          }
          case TableId::kSkus: {
            contract::ValidRow<contract::SkuRow> r;
            ok = validator.Decode(batch, i, &r, &reject);
            key = r.row.item_id;
            break;
          }
          case TableId::kInvoices: {
            contract::ValidRow<contract::InvoiceRow> r;
            ok = validator.Decode(batch, i, &r, &reject);
            key = r.row.invoice_id;
            break;
          }
          case TableId::kLineItems: {
            contract::ValidRow<contract::LineItemRow> r;
            ok = validator.Decode(batch, i, &r, &reject);
            key = r.row.invoice_id;
            break;
          }
        }
        if (ok) f(fi, key, validator, batch, i);
      }
    }
  }
  return Status::OK();
}

SourceRow RowOf(TableId table, contract::RowValidator& v, const csv::RecordBatch& batch, size_t i) {
  const auto& columns = contract::TableColumns(table);
  SourceRow row;
  row.typed.resize(columns.size());
  row.text.resize(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].type == contract::ValueType::kText) {
      row.text[c] = v.TextValue(batch, i, c);
    } else {
      row.typed[c] = v.TypedValue(c);
    }
  }
  return row;
}

// Every current row of the table, computed when the scan starts, then handed out in chunks.
class SourceProducer final : public duck::RowProducer {
 public:
  static Result<std::unique_ptr<duck::RowProducer>> Make(TableId table, std::vector<LandedFile> files) {
    auto p = std::unique_ptr<SourceProducer>(new SourceProducer(table));
    if (table == TableId::kLineItems) {
      // An invoice's lines are those of the newest file with any valid line of it: find that file per invoice,
      // then keep that file's lines of it.
      absl::flat_hash_map<int64_t, size_t> owner;
      LL_RETURN_IF_ERROR(ForEachValidRow(table, files, [&](size_t fi, int64_t invoice, auto&, auto&, size_t) {
        owner[invoice] = fi;
      }));
      LL_RETURN_IF_ERROR(ForEachValidRow(table, files, [&](size_t fi, int64_t invoice, auto& v, auto& batch, size_t i) {
        if (owner[invoice] == fi) p->rows_.push_back(RowOf(table, v, batch, i));
      }));
      std::stable_sort(p->rows_.begin(), p->rows_.end(),
                       [](const SourceRow& a, const SourceRow& b) { return *a.typed[0] < *b.typed[0]; });
      return std::unique_ptr<duck::RowProducer>(std::move(p));
    }
    // Keyed tables: the later valid row of a key wins, whatever file it is in (files come in landing order).
    absl::flat_hash_map<int64_t, size_t> at;
    LL_RETURN_IF_ERROR(ForEachValidRow(table, files, [&](size_t, int64_t key, auto& v, auto& batch, size_t i) {
      auto [it, added] = at.try_emplace(key, p->rows_.size());
      if (added) {
        p->rows_.push_back(RowOf(table, v, batch, i));
      } else {
        p->rows_[it->second] = RowOf(table, v, batch, i);
      }
    }));
    std::sort(p->rows_.begin(), p->rows_.end(),
              [](const SourceRow& a, const SourceRow& b) { return *a.typed[0] < *b.typed[0]; });
    return std::unique_ptr<duck::RowProducer>(std::move(p));
  }

  Result<size_t> Fill(duck::ChunkWriter& chunk) override {
    size_t n = 0;
    for (; n < chunk.capacity() && next_ < rows_.size(); ++n, ++next_) {
      const SourceRow& r = rows_[next_];
      for (size_t c = 0; c < r.typed.size(); ++c) {
        if (r.typed[c]) chunk.SetInt(n, c, *r.typed[c]);
        if (r.text[c]) chunk.SetText(n, c, csv::EscapeInvalidUtf8(*r.text[c]));
      }
    }
    return n;
  }

 private:
  explicit SourceProducer(TableId table) : table_(table) {}
  TableId table_;
  std::vector<SourceRow> rows_;
  size_t next_ = 0;
};

Result<std::vector<uint64_t>> ParseSequences(const std::string& text) {
  std::vector<uint64_t> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    uint64_t v = 0;
    const auto r = std::from_chars(text.data() + pos, text.data() + end, v);
    if (r.ec != std::errc() || r.ptr != text.data() + end) {
      return Status::InvalidArgument("ledgerlake_source: '" + text + "' is not a list of landing sequences");
    }
    out.push_back(v);
    pos = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Status RegisterSourceTables(duck::Database& db, const Lake& lake, const SourceAccess& access) {
  duck::TableFunctionSpec raw;
  raw.name = "ledgerlake_raw";
  raw.arguments = 1;
  raw.bind = [lake, may = access.raw](const std::vector<std::string>& args) -> Result<duck::BoundTable> {
    auto table = TableArgument(args[0]);
    if (!table.ok()) return table.status();
    if (may && !may(contract::TableName(*table))) {
      return Status::PermissionDenied("not granted: raw_" + std::string(contract::TableName(*table)));
    }
    auto layout = RawLayoutOf(lake, *table);
    if (!layout.ok()) return layout.status();
    auto shared = std::make_shared<const RawLayout>(std::move(*layout));
    duck::BoundTable bound;
    bound.columns = shared->columns;
    bound.open = [lake, shared]() -> Result<std::unique_ptr<duck::RowProducer>> {
      return std::unique_ptr<duck::RowProducer>(new RawProducer(lake, shared));
    };
    return bound;
  };
  LL_RETURN_IF_ERROR(duck::RegisterTableFunction(db, std::move(raw)));

  duck::TableFunctionSpec source;
  source.name = "ledgerlake_source";
  source.arguments = 2;
  source.bind = [lake, may = access.source](const std::vector<std::string>& args) -> Result<duck::BoundTable> {
    auto table = TableArgument(args[0]);
    if (!table.ok()) return table.status();
    if (may && !may(contract::TableName(*table))) {
      return Status::PermissionDenied("not granted: " + std::string(contract::TableName(*table)));
    }
    auto sequences = ParseSequences(args[1]);
    if (!sequences.ok()) return sequences.status();
    duck::BoundTable bound;
    for (const contract::ColumnSpec& c : contract::TableColumns(*table)) {
      bound.columns.push_back({std::string(c.name), TypeOf(c.type)});
    }
    const TableId t = *table;
    const std::vector<uint64_t> wanted = std::move(*sequences);
    bound.open = [lake, t, wanted]() -> Result<std::unique_ptr<duck::RowProducer>> {
      auto landed = ListLanded(lake);
      if (!landed.ok()) return landed.status();
      std::vector<LandedFile> files;
      for (LandedFile& f : *landed) {
        if (f.table == t && std::binary_search(wanted.begin(), wanted.end(), f.sequence)) files.push_back(std::move(f));
      }
      return SourceProducer::Make(t, std::move(files));
    };
    return bound;
  };
  return duck::RegisterTableFunction(db, std::move(source));
}

}  // namespace ledgerlake::lake
