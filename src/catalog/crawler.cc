#include "catalog/crawler.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "contract/values.h"
#include "csv/parts.h"
#include "csv/record_reader.h"

namespace ledgerlake::catalog {

using contract::ValueType;

namespace {

using contract::TrimBlanks;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits after the decimal point of a value ParseCents accepted (or refused only for having too many).
int Scale(std::string_view trimmed) {
  const size_t dot = trimmed.find('.');
  return dot == std::string_view::npos ? 0 : static_cast<int>(trimmed.size() - dot - 1);
}

std::string Example(std::string_view v) {
  size_t cut = 40;
  if (v.size() <= cut) return std::string(v);
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
  return std::string(v.substr(0, cut)) + "...";
}

const char* kIsoDate = "YYYY-MM-DD";

std::string TimestampFormat(char separator) {
  return std::string("YYYY-MM-DD") + (separator == 'T' ? "T" : " ") + "hh:mm:ss";
}

// Recognises dates written in a non-ISO way, so a message can say what the values look like: N{1,2} S N{1,2} S
// NNNN ("24/11/2024", "11.24.2024") and NNNN S N{1,2} S N{1,2} ("2024/11/24"), S one of / . -
class DateShapes {
 public:
  void Add(std::string_view v) {
    if (mixed_) return;
    int a = 0, b = 0;
    size_t i = 0;
    char sep = 0;
    const size_t la = Digits(v, &i, &a);
    if (i < v.size()) sep = v[i];
    if (sep != '/' && sep != '.' && sep != '-') return Mix();
    ++i;
    const size_t lb = Digits(v, &i, &b);
    if (i >= v.size() || v[i] != sep) return Mix();
    ++i;
    int c = 0;
    const size_t lc = Digits(v, &i, &c);
    if (i != v.size()) return Mix();
    Kind kind;
    if (la >= 1 && la <= 2 && lb >= 1 && lb <= 2 && lc == 4) {
      if (a < 1 || b < 1 || a > 31 || b > 31 || (a > 12 && b > 12)) return Mix();
      kind = Kind::kNumNumYear;
      day_first_ |= a > 12;
      month_first_ |= b > 12;
    } else if (la == 4 && lb >= 1 && lb <= 2 && lc >= 1 && lc <= 2 && sep != '-') {
      if (b < 1 || b > 12 || c < 1 || c > 31) return Mix();
      kind = Kind::kYearNumNum;
    } else {
      return Mix();
    }
    if (seen_ && (kind != kind_ || sep != sep_)) return Mix();
    seen_ = true;
    kind_ = kind;
    sep_ = sep;
  }

  // As if `later`'s values had been added after this one's.
  void Merge(const DateShapes& later) {
    if (later.mixed_) mixed_ = true;
    if (mixed_ || !later.seen_) return;
    if (seen_ && (later.kind_ != kind_ || later.sep_ != sep_)) return Mix();
    seen_ = true;
    kind_ = later.kind_;
    sep_ = later.sep_;
    day_first_ |= later.day_first_;
    month_first_ |= later.month_first_;
  }

  // The format every value added shares, or "".
  std::string Format() const {
    if (!seen_ || mixed_) return "";
    const std::string s(1, sep_);
    if (kind_ == Kind::kYearNumNum) return "YYYY" + s + "MM" + s + "DD";
    if (day_first_ && month_first_) return "";
    if (day_first_) return "DD" + s + "MM" + s + "YYYY";
    if (month_first_) return "MM" + s + "DD" + s + "YYYY";
    return "NN" + s + "NN" + s + "YYYY";
  }

 private:
  enum class Kind { kNumNumYear, kYearNumNum };
  static size_t Digits(std::string_view v, size_t* i, int* value) {
    const size_t start = *i;
    while (*i < v.size() && IsDigit(v[*i]) && *i - start < 4) *value = *value * 10 + (v[(*i)++] - '0');
    return *i - start;
  }
  void Mix() { mixed_ = true; }
  bool seen_ = false;
  bool mixed_ = false;
  bool day_first_ = false;
  bool month_first_ = false;
  Kind kind_ = Kind::kNumNumYear;
  char sep_ = 0;
};

// The narrowest lattice type holding every value added (each value trimmed and non-empty).
class TypeInference {
 public:
  void Add(std::string_view v) {
    if (may_int_ || may_dec_) {
      int64_t n = 0;
      if (may_int_ && contract::ParseInteger(v, &n)) {
        may_date_ = false;
        typed_seen_ = true;
        return;
      }
      const contract::DecimalError e = may_dec_ ? contract::ParseCents(v, &n) : contract::DecimalError::kSyntax;
      if (e == contract::DecimalError::kNone || e == contract::DecimalError::kTooManyPlaces) {
        may_int_ = false;
        may_date_ = false;
        typed_seen_ = true;
        scale_ = std::max(scale_, Scale(v));
        return;
      }
      may_int_ = may_dec_ = false;
    }
    if (may_date_) {
      if (contract::IsDateOrTimestamp(v)) {
        if (v.size() > 10 && !time_sep_) time_sep_ = v[10];
        typed_seen_ = true;
        return;
      }
      may_date_ = false;
    }
    shapes_.Add(v);
  }

  // As if `later`'s values had been added after this one's. Every flag is a conjunction over the values, and
  // the shapes are over all values (a number or an ISO date matches no date shape), so the order of the values
  // does not matter: a file read in parts is typed as when read whole.
  void Merge(const TypeInference& later) {
    may_int_ &= later.may_int_;
    may_dec_ &= later.may_dec_;
    may_date_ &= later.may_date_;
    scale_ = std::max(scale_, later.scale_);
    if (!time_sep_) time_sep_ = later.time_sep_;
    typed_seen_ |= later.typed_seen_;
    shapes_.Merge(later.shapes_);
  }

  ColumnSchema Schema(uint64_t values) const {
    ColumnSchema s;
    if (values == 0) return s;  // text: nothing says otherwise
    if (may_int_) {
      s.type = ColumnType::kInteger;
    } else if (may_dec_) {
      s.type = ColumnType::kDecimal;
      s.scale = scale_;
    } else if (may_date_) {
      s.type = time_sep_ ? ColumnType::kTimestamp : ColumnType::kDate;
      s.format = time_sep_ ? TimestampFormat(time_sep_) : kIsoDate;
    } else if (!typed_seen_) {  // a number or an ISO date among the values: they share no date shape
      s.format = shapes_.Format();
    }
    return s;
  }

 private:
  bool typed_seen_ = false;  // a value was taken as an integer, decimal or ISO date
  bool may_int_ = true;
  bool may_dec_ = true;
  bool may_date_ = true;
  int scale_ = 0;
  char time_sep_ = 0;
  DateShapes shapes_;
};

// A typed contract column: which values parse as the contract type, and the type of those that do.
class ContractTally {
 public:
  explicit ContractTally(ValueType type) : type_(type) {}

  // True when `v` parses as the contract type; otherwise counts it as a failure.
  bool Add(std::string_view v, uint64_t line, ColumnProfile* p) {
    int64_t n = 0;
    bool ok = false;
    switch (type_) {
      case ValueType::kInteger: ok = contract::ParseInteger(v, &n); break;
      case ValueType::kDecimal:
        ok = contract::ParseCents(v, &n) == contract::DecimalError::kNone;
        if (ok && all_integer_ && !contract::ParseInteger(v, &n)) {
          all_integer_ = false;
        }
        if (ok) scale_ = std::max(scale_, Scale(v));
        break;
      case ValueType::kDate:
        ok = contract::IsDateOrTimestamp(v);
        if (ok && v.size() > 10 && !time_sep_) time_sep_ = v[10];
        break;
      case ValueType::kText: ok = true; break;
    }
    if (ok) return true;
    if (p->contract_failures++ == 0) {
      p->failure_example = Example(v);
      p->failure_line = line;
    }
    failing_shapes_.Add(v);
    return false;
  }

  // The column's type over the `parsed` values that parsed. With none, the contract type itself (no value says
  // otherwise) except for a decimal, which is then integer-or-wider: decimal(0).
  ColumnSchema Schema(uint64_t parsed) const {
    ColumnSchema s;
    switch (type_) {
      case ValueType::kInteger: s.type = ColumnType::kInteger; break;
      case ValueType::kDecimal:
        s.type = all_integer_ && parsed > 0 ? ColumnType::kInteger : ColumnType::kDecimal;
        s.scale = s.type == ColumnType::kDecimal ? scale_ : 0;
        break;
      case ValueType::kDate:
        s.type = time_sep_ ? ColumnType::kTimestamp : ColumnType::kDate;
        s.format = time_sep_ ? TimestampFormat(time_sep_) : kIsoDate;
        break;
      case ValueType::kText: break;
    }
    return s;
  }
  std::string FailureFormat() const { return failing_shapes_.Format(); }

  void Merge(const ContractTally& later) {
    all_integer_ &= later.all_integer_;
    scale_ = std::max(scale_, later.scale_);
    if (!time_sep_) time_sep_ = later.time_sep_;
    failing_shapes_.Merge(later.failing_shapes_);
  }

 private:
  ValueType type_;
  bool all_integer_ = true;
  int scale_ = 0;
  char time_sep_ = 0;
  DateShapes failing_shapes_;
};

// Digits only, 1 to 18 of them: an integer for ParseInteger, in the form nearly every id and quantity takes.
// The 8 bytes at v.data() may be read when `readable` says so: up to 8 digits are then checked at once.
bool IsShortDigits(std::string_view v, bool readable) {
  const size_t n = v.size();
  if (n - 1 >= 18) return false;
  if (n <= 8 && readable) {
    uint64_t x;
    std::memcpy(&x, v.data(), 8);  // little-endian: byte i of the field is byte i of x
    const uint64_t keep = n == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
    x = (x & keep) | (0x3030303030303030ULL & ~keep);  // the bytes past the field read as '0'
    // Each byte is a digit iff its high nibble is 3 and adding 6 keeps it 3. A carry out of a byte only comes
    // from a byte that already fails.
    constexpr uint64_t kHigh = 0xF0F0F0F0F0F0F0F0ULL;
    return ((x & kHigh) | (((x + 0x0606060606060606ULL) & kHigh) >> 4)) == 0x3333333333333333ULL;
  }
  for (const char c : v) {
    if (static_cast<unsigned>(static_cast<unsigned char>(c)) - '0' > 9) return false;
  }
  return true;
}

struct ColumnState {
  ColumnProfile profile;
  ValueType contract_type = ValueType::kText;  // the contract's type; kText for an extra column too

  // An integer, decimal or date column of the contract.
  bool typed_by_contract() const { return contract_type != ValueType::kText; }
  // A text column of the contract: never inferred.
  bool text_by_contract() const { return profile.contract_column >= 0 && contract_type == ValueType::kText; }
  TypeInference inference;
  ContractTally tally{ValueType::kText};

  // As if `later`'s values had come after this column's; `line_shift` turns later's lines into file lines.
  void Merge(const ColumnState& later, uint64_t line_shift) {
    profile.schema.nullable |= later.profile.schema.nullable;
    profile.values += later.profile.values;
    if (profile.contract_failures == 0 && later.profile.contract_failures > 0) {
      profile.failure_example = later.profile.failure_example;
      profile.failure_line = later.profile.failure_line + line_shift;
    }
    profile.contract_failures += later.profile.contract_failures;
    inference.Merge(later.inference);
    tally.Merge(later.tally);
  }
};

// The profile of a run of a file's records: the whole file, or one part of it (whose line numbers count from
// the part's start until it is merged).
class FileCrawl {
 public:
  FileCrawl(contract::TableId table, const std::vector<std::string>& header) : cols_(header.size()) {
    file_.table = table;
    const auto& specs = contract::TableColumns(table);
    std::vector<bool> present(specs.size(), false);
    for (size_t f = 0; f < header.size(); ++f) {
      ColumnState& c = cols_[f];
      const std::optional<size_t> spec = contract::ContractColumnIndex(table, header[f]);
      if (spec && !present[*spec]) {  // a repeated contract column is an extra column (ingest refuses those)
        present[*spec] = true;
        c.profile.contract_column = static_cast<int>(*spec);
        c.profile.schema.name = std::string(specs[*spec].name);
        c.contract_type = specs[*spec].type;
        c.tally = ContractTally(specs[*spec].type);
      } else {
        c.profile.schema.name = std::string(TrimBlanks(header[f]));
      }
    }
    for (size_t s = 0; s < specs.size(); ++s) {
      if (specs[s].required && !present[s]) file_.missing_required.push_back(std::string(specs[s].name));
    }
  }

  // Profiles the first `n` records of `batch`.
  void Add(const csv::RecordBatch& batch, size_t n) {
    file_.records += n;
    if (n == 0) return;
    const size_t ncols = cols_.size();
    ColumnState* const cols = cols_.data();
    // The batch's records lie one after another in its data: a field may be read up to the last one's end.
    const csv::RecordInfo& last = batch.record(batch.size() - 1);
    const char* const readable_end = batch.raw(batch.size() - 1).data() + last.consumed;
    for (size_t i = 0; i < n; ++i) {
      const csv::RecordInfo& rec = batch.record(i);
      if (rec.error != csv::RecordError::kNone || rec.field_count != ncols) {
        ++file_.skipped;
        if (rec.error == csv::RecordError::kUnterminatedQuote) {
          ++file_.broken_quotes;
        } else if (rec.error == csv::RecordError::kNone) {
          ++file_.other_field_counts[rec.field_count];
        }
        continue;
      }
      const csv::FieldSpan* spans = &batch.field(i, 0);
      for (size_t f = 0; f < ncols; ++f) {
        ColumnState& c = cols[f];
        const csv::FieldSpan& span = spans[f];
        if (span.kind == csv::FieldKind::kPlain) {
          // Fast paths for the usual contract values, which need no trimming: the general path below gives the
          // same result for them.
          const std::string_view raw = batch.span(span);
          if ((c.contract_type == ValueType::kInteger && IsShortDigits(raw, readable_end - raw.data() >= 8)) ||
              (c.contract_type == ValueType::kDate && raw.size() == 10 && IsIsoDate(raw))) {
            ++c.profile.values;
            continue;
          }
        }
        const std::string_view v =
            csv::RecordBatch::IsNull(span) ? std::string_view() : TrimBlanks(batch.Value(span, scratch_));
        if (v.empty()) {
          c.profile.schema.nullable = true;
          continue;
        }
        ++c.profile.values;
        if (c.text_by_contract()) continue;
        if (!c.typed_by_contract()) {
          c.inference.Add(v);
        } else if (!c.tally.Add(v, rec.line, &c.profile)) {
          c.inference.Add(v);  // typed with the other failures if they turn out to be the majority
        }
      }
    }
  }

  // Takes in the profile of the records that follow this one's; its lines are `line_shift` short of file lines.
  void Merge(const FileCrawl& later, uint64_t line_shift) {
    file_.records += later.file_.records;
    file_.skipped += later.file_.skipped;
    file_.broken_quotes += later.file_.broken_quotes;
    for (const auto& [fields, n] : later.file_.other_field_counts) file_.other_field_counts[fields] += n;
    for (size_t f = 0; f < cols_.size(); ++f) cols_[f].Merge(later.cols_[f], line_shift);
  }

  FileProfile Finish() && {
    for (ColumnState& c : cols_) {
      ColumnProfile& p = c.profile;
      ColumnSchema s;
      if (c.text_by_contract()) {
        s.type = ColumnType::kText;
      } else if (!c.typed_by_contract()) {
        s = c.inference.Schema(p.values);
      } else if (p.contract_failures * 2 <= p.values) {
        s = c.tally.Schema(p.values - p.contract_failures);
      } else {  // mostly of another type: the type of all values
        const uint64_t parsed = p.values - p.contract_failures;
        s = c.inference.Schema(p.contract_failures);
        if (parsed > 0) s = JoinTypes(s, c.tally.Schema(parsed));
      }
      s.name = std::move(p.schema.name);
      s.nullable = p.schema.nullable;
      p.schema = std::move(s);
      if (c.typed_by_contract()) p.failure_format = c.tally.FailureFormat();
      file_.columns.push_back(std::move(p));
    }
    return std::move(file_);
  }

 private:
  FileProfile file_;
  std::vector<ColumnState> cols_;
  std::string scratch_;
};

// A file's parts, each profiled on its own, for csv::ReadInParts.
class PartsCrawl final : public csv::PartVisitor {
 public:
  PartsCrawl(contract::TableId table, const std::vector<std::string>& header, size_t parts)
      : table_(table), header_(header) {
    for (size_t k = 0; k < parts; ++k) parts_.emplace_back(table, header);
  }
  void Records(size_t part, const csv::RecordBatch& batch, size_t n) override { parts_[part].Add(batch, n); }
  void Restart(size_t part) override { parts_[part] = FileCrawl(table_, header_); }

  FileProfile Finish(const std::vector<csv::PartStart>& starts) && {
    FileCrawl all(table_, header_);
    for (size_t k = 0; k < parts_.size(); ++k) all.Merge(parts_[k], starts[k].line - 1);
    return std::move(all).Finish();
  }

 private:
  contract::TableId table_;
  const std::vector<std::string>& header_;
  std::vector<FileCrawl> parts_;
};

}  // namespace

Result<FileProfile> CrawlFile(const std::string& path, contract::TableId table) {
  auto source = csv::ByteSource::Open(path);
  if (!source.ok()) return source.status();
  return CrawlStream(std::move(*source), table, path);
}

Result<FileProfile> CrawlStream(std::unique_ptr<csv::ByteSource> source, contract::TableId table,
                                std::string_view name) {
  csv::RecordReader reader(std::move(source));
  Status st = reader.ReadHeader();
  if (!st.ok()) return Status::InvalidArgument(std::string(name) + ": " + st.message());
  FileCrawl crawl(table, reader.header());
  csv::RecordBatch batch;
  for (;;) {
    st = reader.NextBatch(batch);
    if (!st.ok()) return Status::InvalidArgument(std::string(name) + ": " + st.message());
    if (batch.size() == 0) break;
    crawl.Add(batch, batch.size());
  }
  return std::move(crawl).Finish();
}

Result<FileProfile> CrawlPlainFile(const std::string& path, contract::TableId table, std::string_view name,
                                   TaskPool& pool, size_t parts) {
  std::vector<std::string> header;
  auto layout = csv::ReadLayout(path, &header);
  if (!layout.ok()) {
    parts = 1;
  } else if (parts == 0) {
    parts = csv::PartsFor(layout->file_bytes - layout->data_begin, pool.threads());
  }
  if (parts > 1) {
    PartsCrawl crawl(table, header, parts);
    auto starts = csv::ReadInParts(path, *layout, parts, pool, crawl);
    if (starts.ok()) return std::move(crawl).Finish(*starts);
  }
  // Small, or a reader error: read it whole, for the whole-file reader's message.
  auto source = csv::ByteSource::Open(path);
  if (!source.ok()) return source.status();
  return CrawlStream(std::move(*source), table, name);
}

Status CheckShape(const FileProfile& profile, size_t header_fields, std::string_view name) {
  if (profile.records == 0) return Status::OK();
  const uint64_t misshapen = profile.broken_quotes +
                             std::accumulate(profile.other_field_counts.begin(), profile.other_field_counts.end(),
                                             uint64_t{0}, [](uint64_t a, const auto& e) { return a + e.second; });
  if (misshapen * 2 <= profile.records) return Status::OK();
  std::string why;
  if (!profile.other_field_counts.empty()) {
    const auto common = std::max_element(profile.other_field_counts.begin(), profile.other_field_counts.end(),
                                         [](const auto& a, const auto& b) { return a.second < b.second; });
    why = std::to_string(common->second) + " have " + std::to_string(common->first) + " fields where the header has " +
          std::to_string(header_fields);
  }
  if (profile.broken_quotes > 0) {
    why += (why.empty() ? "" : ", ") + std::to_string(profile.broken_quotes) +
           " have quoting that breaks (a quoted field whose record then has the wrong number of fields)";
  }
  return Status::InvalidArgument(std::string(name) + ": " + std::to_string(misshapen) + " of " +
                                 std::to_string(profile.records) + " records do not have the header's shape (" + why +
                                 "): the header does not match the rows (a column missing from it or extra in it?); "
                                 "fix the extract and ingest it again");
}

}  // namespace ledgerlake::catalog
