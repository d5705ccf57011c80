// Column types as the catalog records them, and their lattice: integer < decimal(scale) < text and
// date < timestamp < text. The crawler (catalog/crawler.h) infers them; schema evolution (catalog/evolution.h)
// compares and widens them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ledgerlake::catalog {

enum class ColumnType { kInteger, kDecimal, kDate, kTimestamp, kText };

std::string_view ColumnTypeName(ColumnType type);  // "integer", "decimal", "date", "timestamp", "text"
std::optional<ColumnType> ColumnTypeFromName(std::string_view name);

struct ColumnSchema {
  std::string name;  // the contract's name for a contract column (payment_dates for a payment_date header),
                     // else the header name as written
  ColumnType type = ColumnType::kText;
  int scale = 0;          // decimal: the most digits seen after the point
  bool nullable = false;  // an empty value was seen, or a file of the version lacks the column
  std::string format;     // date: "YYYY-MM-DD"; timestamp: "YYYY-MM-DD hh:mm:ss" (or with 'T'); a text column
                          // whose values all look like non-ISO dates: "DD/MM/YYYY", "MM/DD/YYYY", "NN/NN/YYYY"
                          // (day and month cannot be told apart), "YYYY/MM/DD" (with the separator seen); else ""

  std::string TypeText() const;  // "integer", "decimal(2)", ...
  bool operator==(const ColumnSchema&) const = default;
};

// True when every value of `narrow`'s type is a value of `wide`'s type (names and nullability aside).
bool TypeHolds(const ColumnSchema& wide, const ColumnSchema& narrow);

// `a` with the narrowest type holding both types (and nullable if either is); a's name.
ColumnSchema JoinTypes(const ColumnSchema& a, const ColumnSchema& b);

}  // namespace ledgerlake::catalog
