// Validates the rows of one landed file against its table's contract: dialect errors, field count, required
// values, types, prices. Each record becomes exactly one valid typed row or one Reject. Used by the engine's
// loader; the merge rules across rows and files (duplicates, upserts, pending) live in engine/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "contract/rows.h"
#include "contract/schema.h"
#include "csv/record_reader.h"

namespace ledgerlake::contract {

// Per file: the header map, the file's index in the run, and the scratch space reused across rows.
class RowValidator {
 public:
  RowValidator(TableId table, uint32_t file, HeaderMap header);

  TableId table() const { return table_; }
  const HeaderMap& header() const { return header_; }

  // Decodes record `i` of `batch`. On success fills `*row` (one of the four row types, matching table()) and
  // returns true; otherwise fills `*reject` and returns false.
  bool Decode(const csv::RecordBatch& batch, size_t i, ValidRow<AccountRow>* row, Reject* reject);
  bool Decode(const csv::RecordBatch& batch, size_t i, ValidRow<SkuRow>* row, Reject* reject);
  bool Decode(const csv::RecordBatch& batch, size_t i, ValidRow<InvoiceRow>* row, Reject* reject);
  bool Decode(const csv::RecordBatch& batch, size_t i, ValidRow<LineItemRow>* row, Reject* reject);

  // After Decode succeeded for record `i`: the value of contract column `column` (an index into TableColumns()),
  // typed (an integer, cents, or a day number; text columns have none) or as text (unescaped, as the file has
  // it); nullopt when it is NULL or the file lacks the column.
  std::optional<int64_t> TypedValue(size_t column) const;
  std::optional<std::string> TextValue(const csv::RecordBatch& batch, size_t i, size_t column);

  // The record's first contract column (the table's key; a line item's invoice) as Decode would read it, when
  // the record is well-formed and that value is an integer; nothing else is checked. Lets a reader skip rows
  // it does not want without decoding them (engine/partitioning.h).
  bool PeekKey(const csv::RecordBatch& batch, size_t i, int64_t* key);

 private:
  // Checks the record as a whole and decodes the contract's typed columns into values_/nulls_ and the content
  // hash; false with `reject` filled on the first problem.
  bool DecodeCommon(const csv::RecordBatch& batch, size_t i, Reject* reject, uint64_t* hash, RowLocation* loc);
  // The path nearly every row takes: decodes a record that has no problem at all into values_/nulls_, or returns
  // false at the first thing out of the ordinary (anything a reject could come from, a blank to trim, an escaped
  // field) without saying what; DecodeChecked then decodes the record again, checking everything.
  bool DecodeFast(const csv::RecordBatch& batch, size_t i);
  bool DecodeChecked(const csv::RecordBatch& batch, size_t i, Reject* reject);
  // Over the decoded values: typed columns by value (so "7" and "007" are the same row), other fields by text.
  uint64_t ContentHash(const csv::RecordBatch& batch, size_t i);
  void FillReject(const csv::RecordBatch& batch, size_t i, RejectReason reason, std::string detail,
                  Reject* reject) const;

  TableId table_;
  uint32_t file_;
  HeaderMap header_;
  const std::vector<ColumnSpec>* columns_;
  std::vector<int64_t> values_;  // per contract column: integer, cents, or day number
  std::vector<uint8_t> nulls_;     // per contract column
  // The file's fields in the order DecodeFast reads them: each contract column the file has, with its type.
  struct Field {
    uint32_t field;
    uint32_t column;
    ValueType type;
    bool required;
  };
  std::vector<Field> present_;
  // What the content hash reads: the typed contract columns the file has (column, and its bit in the mask of
  // NULL values), the mask bits of those it lacks (always NULL), and the fields hashed by their text (text
  // columns and unknown ones).
  std::vector<std::pair<uint32_t, uint32_t>> hashed_columns_;
  uint64_t absent_mask_ = 0;
  std::vector<uint32_t> text_fields_;
  std::string scratch_;
};

}  // namespace ledgerlake::contract
