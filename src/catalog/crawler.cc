#include "catalog/crawler.h"

#include <algorithm>

#include "contract/values.h"
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
        return;
      }
      const contract::DecimalError e = may_dec_ ? contract::ParseCents(v, &n) : contract::DecimalError::kSyntax;
      if (e == contract::DecimalError::kNone || e == contract::DecimalError::kTooManyPlaces) {
        may_int_ = false;
        may_date_ = false;
        scale_ = std::max(scale_, Scale(v));
        return;
      }
      may_int_ = may_dec_ = false;
    }
    if (may_date_) {
      DayNumber d = 0;
      if (contract::ParseDateOrTimestamp(v, &d)) {
        if (v.size() > 10 && !time_sep_) time_sep_ = v[10];
        return;
      }
      may_date_ = false;
    }
    shapes_.Add(v);
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
    } else {
      s.format = shapes_.Format();
    }
    return s;
  }

 private:
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
      case ValueType::kDate: {
        DayNumber d = 0;
        ok = contract::ParseDateOrTimestamp(v, &d);
        if (ok && v.size() > 10 && !time_sep_) time_sep_ = v[10];
        break;
      }
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

 private:
  ValueType type_;
  bool all_integer_ = true;
  int scale_ = 0;
  char time_sep_ = 0;
  DateShapes failing_shapes_;
};

struct ColumnState {
  ColumnProfile profile;
  bool typed_by_contract = false;  // an integer, decimal or date column of the contract
  bool text_by_contract = false;   // a text column of the contract: never inferred
  TypeInference inference;
  ContractTally tally{ValueType::kText};
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
  const std::vector<std::string>& header = reader.header();
  const auto& specs = contract::TableColumns(table);

  FileProfile file;
  file.table = table;
  std::vector<ColumnState> cols(header.size());
  std::vector<bool> present(specs.size(), false);
  for (size_t f = 0; f < header.size(); ++f) {
    ColumnState& c = cols[f];
    const std::optional<size_t> spec = contract::ContractColumnIndex(table, header[f]);
    if (spec && !present[*spec]) {  // a repeated contract column is an extra column (ingest refuses those)
      present[*spec] = true;
      c.profile.contract_column = static_cast<int>(*spec);
      c.profile.schema.name = std::string(specs[*spec].name);
      c.text_by_contract = specs[*spec].type == ValueType::kText;
      c.typed_by_contract = !c.text_by_contract;
      c.tally = ContractTally(specs[*spec].type);
    } else {
      c.profile.schema.name = std::string(TrimBlanks(header[f]));
    }
  }
  for (size_t s = 0; s < specs.size(); ++s) {
    if (specs[s].required && !present[s]) file.missing_required.push_back(std::string(specs[s].name));
  }

  csv::RecordBatch batch;
  std::string scratch;
  for (;;) {
    st = reader.NextBatch(batch);
    if (!st.ok()) return Status::InvalidArgument(std::string(name) + ": " + st.message());
    if (batch.size() == 0) break;
    file.records += batch.size();
    for (size_t i = 0; i < batch.size(); ++i) {
      const csv::RecordInfo& rec = batch.record(i);
      if (rec.error != csv::RecordError::kNone || rec.field_count != header.size()) {
        ++file.skipped;
        continue;
      }
      for (size_t f = 0; f < cols.size(); ++f) {
        ColumnState& c = cols[f];
        const csv::FieldSpan& span = batch.field(i, f);
        const std::string_view v =
            csv::RecordBatch::IsNull(span) ? std::string_view() : TrimBlanks(batch.Value(span, scratch));
        if (v.empty()) {
          c.profile.schema.nullable = true;
          continue;
        }
        ++c.profile.values;
        if (c.text_by_contract) continue;
        if (!c.typed_by_contract) {
          c.inference.Add(v);
        } else if (!c.tally.Add(v, rec.line, &c.profile)) {
          c.inference.Add(v);  // typed with the other failures if they turn out to be the majority
        }
      }
    }
  }

  for (ColumnState& c : cols) {
    ColumnProfile& p = c.profile;
    ColumnSchema s;
    if (c.text_by_contract) {
      s.type = ColumnType::kText;
    } else if (!c.typed_by_contract) {
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
    if (c.typed_by_contract) p.failure_format = c.tally.FailureFormat();
    file.columns.push_back(std::move(p));
  }
  return file;
}

}  // namespace ledgerlake::catalog
