#include "catalog/column_type.h"

#include <algorithm>

namespace ledgerlake::catalog {

namespace {
bool IsNumber(ColumnType t) { return t == ColumnType::kInteger || t == ColumnType::kDecimal; }
bool IsTime(ColumnType t) { return t == ColumnType::kDate || t == ColumnType::kTimestamp; }
}  // namespace

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger: return "integer";
    case ColumnType::kDecimal: return "decimal";
    case ColumnType::kDate: return "date";
    case ColumnType::kTimestamp: return "timestamp";
    case ColumnType::kText: return "text";
  }
  return "text";
}

std::optional<ColumnType> ColumnTypeFromName(std::string_view name) {
  for (ColumnType t :
       {ColumnType::kInteger, ColumnType::kDecimal, ColumnType::kDate, ColumnType::kTimestamp, ColumnType::kText}) {
    if (ColumnTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string ColumnSchema::TypeText() const {
  if (type == ColumnType::kDecimal) return "decimal(" + std::to_string(scale) + ")";
  return std::string(ColumnTypeName(type));
}

bool TypeHolds(const ColumnSchema& wide, const ColumnSchema& narrow) {
  switch (wide.type) {
    case ColumnType::kText: return true;
    case ColumnType::kDecimal: return IsNumber(narrow.type) && narrow.scale <= wide.scale;
    case ColumnType::kTimestamp: return IsTime(narrow.type);
    case ColumnType::kInteger:
    case ColumnType::kDate: return narrow.type == wide.type;
  }
  return false;
}

ColumnSchema JoinTypes(const ColumnSchema& a, const ColumnSchema& b) {
  ColumnSchema out = a;
  out.nullable = a.nullable || b.nullable;
  if (TypeHolds(a, b)) return out;
  if (TypeHolds(b, a)) {
    out.type = b.type;
    out.scale = b.scale;
    out.format = b.format;
    return out;
  }
  if (IsNumber(a.type) && IsNumber(b.type)) {
    out.type = ColumnType::kDecimal;
    out.scale = std::max(a.scale, b.scale);
    out.format.clear();
  } else {
    out.type = ColumnType::kText;
    out.scale = 0;
    out.format = a.format == b.format ? a.format : "";
  }
  return out;
}

}  // namespace ledgerlake::catalog
