#include "contract/validator.h"

#include <absl/hash/hash.h>

#include <cstring>
#include <utility>

#include "contract/values.h"
#include "csv/utf8.h"

namespace ledgerlake::contract {

std::string_view ReasonCode(RejectReason reason) {
  switch (reason) {
    case RejectReason::kColumnCount: return "column_count";
    case RejectReason::kUnterminatedQuote: return "unterminated_quote";
    case RejectReason::kInvalidUtf8: return "invalid_utf8";
    case RejectReason::kMissingRequired: return "missing_required";
    case RejectReason::kBadInteger: return "bad_integer";
    case RejectReason::kBadDecimal: return "bad_decimal";
    case RejectReason::kBadDate: return "bad_date";
    case RejectReason::kNegativePrice: return "negative_price";
    case RejectReason::kDuplicateKey: return "duplicate_key";
  }
  return "?";
}

namespace {

// A field value for a reject's detail, shortened on a UTF-8 character boundary.
std::string Quote(std::string_view v) {
  size_t cut = 40;
  if (v.size() <= cut) return "'" + std::string(v) + "'";
  while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
  return "'" + std::string(v.substr(0, cut)) + "...'";
}

}  // namespace

RowValidator::RowValidator(TableId table, uint32_t file, HeaderMap header)
    : table_(table), file_(file), header_(std::move(header)), columns_(&TableColumns(table)) {
  values_.assign(columns_->size(), 0);
  nulls_.assign(columns_->size(), 1);
  std::vector<uint8_t> typed_field(static_cast<size_t>(header_.field_count), 0);
  uint32_t typed = 0;
  for (size_t c = 0; c < columns_->size(); ++c) {
    const ColumnSpec& spec = (*columns_)[c];
    const int f = header_.field_of_column[c];
    if (spec.type != ValueType::kText) {
      if (f >= 0) {
        hashed_columns_.emplace_back(static_cast<uint32_t>(c), typed);
      } else {
        absent_mask_ |= uint64_t{1} << typed;
      }
      ++typed;
    }
    if (f < 0) continue;
    present_.push_back(Field{static_cast<uint32_t>(f), static_cast<uint32_t>(c), spec.type, spec.required});
    if (spec.type != ValueType::kText) typed_field[static_cast<size_t>(f)] = 1;
  }
  for (size_t f = 0; f < typed_field.size(); ++f) {
    if (!typed_field[f]) text_fields_.push_back(static_cast<uint32_t>(f));
  }
}

void RowValidator::FillReject(const csv::RecordBatch& batch, size_t i, RejectReason reason, std::string detail,
                              Reject* reject) const {
  reject->table = table_;
  reject->file = file_;
  reject->line = batch.record(i).line;
  reject->reason = reason;
  reject->detail = std::move(detail);
  if (reason == RejectReason::kInvalidUtf8) {
    reject->record = csv::EscapeInvalidUtf8(batch.raw(i));
  } else {
    reject->record.assign(batch.raw(i));
  }
}

bool RowValidator::DecodeCommon(const csv::RecordBatch& batch, size_t i, Reject* reject, uint64_t* hash,
                                RowLocation* loc) {
  const csv::RecordInfo& rec = batch.record(i);
  if (!DecodeFast(batch, i) && !DecodeChecked(batch, i, reject)) return false;
  *hash = ContentHash(batch, i);
  *loc = RowLocation{rec.line, rec.offset, rec.raw_end - rec.raw_begin};
  return true;
}

bool RowValidator::DecodeFast(const csv::RecordBatch& batch, size_t i) {
  const csv::RecordInfo& rec = batch.record(i);
  if (rec.error != csv::RecordError::kNone || static_cast<int>(rec.field_count) != header_.field_count) return false;
  const csv::FieldSpan* fields = &batch.field(i, 0);
  for (const Field& f : present_) {
    const csv::FieldSpan& span = fields[f.field];
    if (span.kind == csv::FieldKind::kEscaped) return false;
    const std::string_view v = batch.span(span);
    if (v.empty()) {
      if (f.required) return false;
      nulls_[f.column] = 1;
      continue;
    }
    // Blanks around a value: ParseInteger, ParseCents and a 10-byte date read them as the checked path does
    // (trimmed, or not a value); a text value made of blanks is empty, which the checked path decides.
    switch (f.type) {
      case ValueType::kText:
        if (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t') return false;
        break;
      case ValueType::kInteger:
        if (v.size() <= 8 && batch.CanReadWord(span)) {
          uint64_t word;
          std::memcpy(&word, v.data(), sizeof word);
          if (!ParseDigitWord(word, v.size(), &values_[f.column])) return false;
        } else if (!ParseInteger(v, &values_[f.column])) {
          return false;
        }
        break;
      case ValueType::kDecimal:
        if (ParseCents(v, &values_[f.column]) != DecimalError::kNone || values_[f.column] < 0) return false;
        break;
      case ValueType::kDate: {
        const std::optional<DayNumber> d = v.size() == 10 ? ParseIsoDate(v) : std::nullopt;
        if (!d) return false;  // timestamps too: the checked path reads them
        values_[f.column] = *d;
        break;
      }
    }
    nulls_[f.column] = 0;
  }
  return true;
}

bool RowValidator::DecodeChecked(const csv::RecordBatch& batch, size_t i, Reject* reject) {
  const csv::RecordInfo& rec = batch.record(i);
  if (rec.error == csv::RecordError::kUnterminatedQuote) {
    FillReject(batch, i, RejectReason::kUnterminatedQuote, "a quoted field is never closed", reject);
    return false;
  }
  if (rec.error == csv::RecordError::kInvalidUtf8) {
    FillReject(batch, i, RejectReason::kInvalidUtf8,
               "the record is not valid UTF-8 (invalid bytes are shown as \\xHH in record)", reject);
    return false;
  }
  if (static_cast<int>(rec.field_count) != header_.field_count) {
    FillReject(batch, i, RejectReason::kColumnCount,
               "expected " + std::to_string(header_.field_count) + " fields, found " + std::to_string(rec.field_count),
               reject);
    return false;
  }
  for (size_t c = 0; c < columns_->size(); ++c) {
    const ColumnSpec& spec = (*columns_)[c];
    const int f = header_.field_of_column[c];
    nulls_[c] = 1;
    if (f < 0) continue;
    const csv::FieldSpan& span = batch.field(i, static_cast<size_t>(f));
    const std::string_view v = batch.Value(span, scratch_);
    if (TrimBlanks(v).empty()) {
      if (spec.required) {
        FillReject(batch, i, RejectReason::kMissingRequired, "required " + std::string(spec.name) + " is empty",
                   reject);
        return false;
      }
      continue;
    }
    switch (spec.type) {
      case ValueType::kText:
        nulls_[c] = 0;
        break;
      case ValueType::kInteger:
        if (!ParseInteger(v, &values_[c])) {
          FillReject(batch, i, RejectReason::kBadInteger, std::string(spec.name) + ": " + Quote(v) + " is not an integer",
                     reject);
          return false;
        }
        nulls_[c] = 0;
        break;
      case ValueType::kDecimal: {
        const DecimalError e = ParseCents(v, &values_[c]);
        if (e != DecimalError::kNone) {
          const char* why = e == DecimalError::kTooManyPlaces ? " has more than 2 decimal places"
                            : e == DecimalError::kOutOfRange  ? " is out of range for DECIMAL(18,2)"
                                                              : " is not a decimal";
          FillReject(batch, i, RejectReason::kBadDecimal, std::string(spec.name) + ": " + Quote(v) + why, reject);
          return false;
        }
        if (values_[c] < 0) {
          FillReject(batch, i, RejectReason::kNegativePrice, std::string(spec.name) + ": " + Quote(v) + " is negative",
                     reject);
          return false;
        }
        nulls_[c] = 0;
        break;
      }
      case ValueType::kDate: {
        DayNumber d = 0;
        if (!ParseDateOrTimestamp(v, &d)) {
          FillReject(batch, i, RejectReason::kBadDate,
                     std::string(spec.name) + ": " + Quote(v) + " is not a YYYY-MM-DD date", reject);
          return false;
        }
        values_[c] = d;
        nulls_[c] = 0;
        break;
      }
    }
  }
  return true;
}

uint64_t RowValidator::ContentHash(const csv::RecordBatch& batch, size_t i) {
  // The row as a sequence of words: the typed values that are not NULL (by value, so "7" and "007" are the same
  // row), which of them are NULL, then a word per text field; each mixed in by a multiply and a shift, finished by
  // splitmix64's finalizer. A chain of absl::HashOf calls cost a fifth of the line-item parser's time; mixing the
  // words in pairs by 128-bit multiplies (wyhash's step) was tried and was slower. The hash is never stored: only
  // rows of one run are compared by it.
  uint64_t h = 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(table_) + 1);
  auto mix = [&h](uint64_t v) {
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  };
  uint64_t null_mask = absent_mask_;
  for (const auto& [c, bit] : hashed_columns_) {
    if (nulls_[c] != 0) {
      null_mask |= uint64_t{1} << bit;
    } else {
      mix(static_cast<uint64_t>(values_[c]));
    }
  }
  mix(null_mask);
  for (const uint32_t f : text_fields_) {
    const csv::FieldSpan& span = batch.field(i, f);
    mix(csv::RecordBatch::IsNull(span) ? 0x5bd1e9955bd1e995ULL : absl::HashOf(batch.Value(span, scratch_)));
  }
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

std::optional<int64_t> RowValidator::TypedValue(size_t column) const {
  if (column >= values_.size() || nulls_[column] != 0 || (*columns_)[column].type == ValueType::kText) {
    return std::nullopt;
  }
  return values_[column];
}

std::optional<std::string> RowValidator::TextValue(const csv::RecordBatch& batch, size_t i, size_t column) {
  if (column >= columns_->size()) return std::nullopt;
  const int f = header_.field_of_column[column];
  if (f < 0 || static_cast<uint32_t>(f) >= batch.record(i).field_count) return std::nullopt;
  const csv::FieldSpan& span = batch.field(i, static_cast<size_t>(f));
  if (csv::RecordBatch::IsNull(span)) return std::nullopt;
  return std::string(batch.Value(span, scratch_));
}

bool RowValidator::PeekKey(const csv::RecordBatch& batch, size_t i, int64_t* key) {
  const csv::RecordInfo& rec = batch.record(i);
  const int f = header_.field_of_column[0];
  if (rec.error != csv::RecordError::kNone || static_cast<int>(rec.field_count) != header_.field_count || f < 0) {
    return false;
  }
  return ParseInteger(batch.Value(batch.field(i, static_cast<size_t>(f)), scratch_), key);
}

bool RowValidator::Decode(const csv::RecordBatch& batch, size_t i, ValidRow<AccountRow>* row, Reject* reject) {
  if (!DecodeCommon(batch, i, reject, &row->content_hash, &row->location)) return false;
  row->row = AccountRow{values_[0], static_cast<DayNumber>(values_[6])};
  return true;
}

bool RowValidator::Decode(const csv::RecordBatch& batch, size_t i, ValidRow<SkuRow>* row, Reject* reject) {
  if (!DecodeCommon(batch, i, reject, &row->content_hash, &row->location)) return false;
  row->row = SkuRow{values_[0], values_[4]};
  return true;
}

bool RowValidator::Decode(const csv::RecordBatch& batch, size_t i, ValidRow<InvoiceRow>* row, Reject* reject) {
  if (!DecodeCommon(batch, i, reject, &row->content_hash, &row->location)) return false;
  InvoiceRow& r = row->row;
  r.invoice_id = values_[0];
  r.account_id = values_[1];
  r.date_issued = static_cast<DayNumber>(values_[2]);
  if (!header_.has(3)) {
    r.payment = Payment::kNoColumn;
    r.payment_date = kNoDate;
  } else if (nulls_[3]) {
    r.payment = Payment::kUnpaid;
    r.payment_date = kNoDate;
  } else {
    r.payment = Payment::kPaid;
    r.payment_date = static_cast<DayNumber>(values_[3]);
  }
  return true;
}

bool RowValidator::Decode(const csv::RecordBatch& batch, size_t i, ValidRow<LineItemRow>* row, Reject* reject) {
  if (!DecodeCommon(batch, i, reject, &row->content_hash, &row->location)) return false;
  row->row = LineItemRow{values_[0], values_[1], values_[2]};
  return true;
}

}  // namespace ledgerlake::contract
