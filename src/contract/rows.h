// What a raw row becomes: a typed row of one of the four tables, or a Reject with its reason code
// (docs/data-contract.md, "What happens to each row"). Shared by the validator (contract/) and the engine.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "contract/schema.h"
#include "util/date.h"

namespace ledgerlake::contract {

enum class RejectReason : uint8_t {
  kColumnCount,
  kUnterminatedQuote,
  kInvalidUtf8,
  kMissingRequired,
  kBadInteger,
  kBadDecimal,
  kBadDate,
  kNegativePrice,
  kDuplicateKey,
};
inline constexpr int kRejectReasonCount = 9;
std::string_view ReasonCode(RejectReason reason);

// Where a row's text is in its (decoded) source file, so its raw text can be fetched again when a later row
// demotes it to a duplicate_key reject.
struct RowLocation {
  uint64_t line;
  uint64_t offset;
  uint32_t length;
};

struct Reject {
  TableId table;
  uint32_t file;  // index into the run's list of landed files
  uint64_t line;
  RejectReason reason;
  std::string detail;
  std::string record;
};

inline constexpr DayNumber kNoDate = std::numeric_limits<DayNumber>::min();

struct AccountRow {
  int64_t account_id;
  DayNumber joining_date;
};

struct SkuRow {
  int64_t item_id;
  int64_t retail_cents;
};

// The payment outcome as the extract states it.
enum class Payment : uint8_t {
  kNoColumn,  // the extract carries no payment column: outcome unknowable (is_late NULL)
  kUnpaid,    // payment column present and empty
  kPaid,      // payment_date holds the date
};

struct InvoiceRow {
  int64_t invoice_id;
  int64_t account_id;
  DayNumber date_issued;
  DayNumber payment_date;  // kNoDate unless payment == kPaid
  Payment payment;
};

struct LineItemRow {
  int64_t invoice_id;
  int64_t item_id;
  int64_t quantity;
};

// A valid row with what the merge needs besides its values.
template <typename Row>
struct ValidRow {
  Row row;
  uint64_t content_hash;  // over every field's value, extra columns included: equal rows hash equal
  RowLocation location;
};

}  // namespace ledgerlake::contract
