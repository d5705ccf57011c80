#include "duck/query_result.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "duck/handles.h"

namespace ledgerlake::duck {

namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// How a column's vectors are laid out in memory, i.e. how to turn one cell into text.
enum class Layout {
  kNull, kBool, kInt8, kInt16, kInt32, kInt64, kUInt8, kUInt16, kUInt32, kUInt64, kInt128, kUInt128,
  kFloat, kDouble, kDecimal16, kDecimal32, kDecimal64, kDecimal128, kDate, kVarchar,
  kUnsupported,  // a type we do not render ourselves (see QueryRunner::Run)
};

struct ColumnInfo {
  std::string name;
  ValueKind kind = ValueKind::kOther;
  Layout layout = Layout::kUnsupported;
  uint8_t width = 0;  // DECIMAL only
  uint8_t scale = 0;  // DECIMAL only
  std::string type;   // DuckDB's SQL name of the column's type
};

// DuckDB's SQL name of a type id (DECIMAL without its width and scale).
const char* TypeName(duckdb_type type) {
  switch (type) {
    case DUCKDB_TYPE_SQLNULL: return "NULL";
    case DUCKDB_TYPE_BOOLEAN: return "BOOLEAN";
    case DUCKDB_TYPE_TINYINT: return "TINYINT";
    case DUCKDB_TYPE_SMALLINT: return "SMALLINT";
    case DUCKDB_TYPE_INTEGER: return "INTEGER";
    case DUCKDB_TYPE_BIGINT: return "BIGINT";
    case DUCKDB_TYPE_UTINYINT: return "UTINYINT";
    case DUCKDB_TYPE_USMALLINT: return "USMALLINT";
    case DUCKDB_TYPE_UINTEGER: return "UINTEGER";
    case DUCKDB_TYPE_UBIGINT: return "UBIGINT";
    case DUCKDB_TYPE_HUGEINT: return "HUGEINT";
    case DUCKDB_TYPE_UHUGEINT: return "UHUGEINT";
    case DUCKDB_TYPE_FLOAT: return "FLOAT";
    case DUCKDB_TYPE_DOUBLE: return "DOUBLE";
    case DUCKDB_TYPE_DATE: return "DATE";
    case DUCKDB_TYPE_VARCHAR: return "VARCHAR";
    case DUCKDB_TYPE_DECIMAL: return "DECIMAL";
    case DUCKDB_TYPE_TIMESTAMP: return "TIMESTAMP";
    case DUCKDB_TYPE_TIMESTAMP_S: return "TIMESTAMP_S";
    case DUCKDB_TYPE_TIMESTAMP_MS: return "TIMESTAMP_MS";
    case DUCKDB_TYPE_TIMESTAMP_NS: return "TIMESTAMP_NS";
    case DUCKDB_TYPE_TIMESTAMP_TZ: return "TIMESTAMP WITH TIME ZONE";
    case DUCKDB_TYPE_TIME: return "TIME";
    case DUCKDB_TYPE_TIME_TZ: return "TIME WITH TIME ZONE";
    case DUCKDB_TYPE_INTERVAL: return "INTERVAL";
    case DUCKDB_TYPE_BLOB: return "BLOB";
    case DUCKDB_TYPE_ENUM: return "ENUM";
    case DUCKDB_TYPE_LIST: return "LIST";
    case DUCKDB_TYPE_STRUCT: return "STRUCT";
    case DUCKDB_TYPE_MAP: return "MAP";
    case DUCKDB_TYPE_ARRAY: return "ARRAY";
    case DUCKDB_TYPE_UUID: return "UUID";
    case DUCKDB_TYPE_UNION: return "UNION";
    case DUCKDB_TYPE_BIT: return "BIT";
    default: return "this type";
  }
}

// Classifies a DuckDB type. Types we do not render natively come back as {kOther, kUnsupported}.
ColumnInfo Classify(duckdb_logical_type type) {
  ColumnInfo info;
  info.type = TypeName(duckdb_get_type_id(type));
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_SQLNULL: info.kind = ValueKind::kNull; info.layout = Layout::kNull; break;
    case DUCKDB_TYPE_BOOLEAN: info.kind = ValueKind::kBool; info.layout = Layout::kBool; break;
    case DUCKDB_TYPE_TINYINT: info.kind = ValueKind::kInteger; info.layout = Layout::kInt8; break;
    case DUCKDB_TYPE_SMALLINT: info.kind = ValueKind::kInteger; info.layout = Layout::kInt16; break;
    case DUCKDB_TYPE_INTEGER: info.kind = ValueKind::kInteger; info.layout = Layout::kInt32; break;
    case DUCKDB_TYPE_BIGINT: info.kind = ValueKind::kInteger; info.layout = Layout::kInt64; break;
    case DUCKDB_TYPE_UTINYINT: info.kind = ValueKind::kInteger; info.layout = Layout::kUInt8; break;
    case DUCKDB_TYPE_USMALLINT: info.kind = ValueKind::kInteger; info.layout = Layout::kUInt16; break;
    case DUCKDB_TYPE_UINTEGER: info.kind = ValueKind::kInteger; info.layout = Layout::kUInt32; break;
    case DUCKDB_TYPE_UBIGINT: info.kind = ValueKind::kInteger; info.layout = Layout::kUInt64; break;
    case DUCKDB_TYPE_HUGEINT: info.kind = ValueKind::kInteger; info.layout = Layout::kInt128; break;
    case DUCKDB_TYPE_UHUGEINT: info.kind = ValueKind::kInteger; info.layout = Layout::kUInt128; break;
    case DUCKDB_TYPE_FLOAT: info.kind = ValueKind::kFloat; info.layout = Layout::kFloat; break;
    case DUCKDB_TYPE_DOUBLE: info.kind = ValueKind::kFloat; info.layout = Layout::kDouble; break;
    case DUCKDB_TYPE_DATE: info.kind = ValueKind::kDate; info.layout = Layout::kDate; break;
    case DUCKDB_TYPE_VARCHAR: info.kind = ValueKind::kString; info.layout = Layout::kVarchar; break;
    case DUCKDB_TYPE_DECIMAL:
      info.kind = ValueKind::kDecimal;
      info.width = duckdb_decimal_width(type);
      info.scale = duckdb_decimal_scale(type);
      info.type = "DECIMAL(" + std::to_string(info.width) + "," + std::to_string(info.scale) + ")";
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT: info.layout = Layout::kDecimal16; break;
        case DUCKDB_TYPE_INTEGER: info.layout = Layout::kDecimal32; break;
        case DUCKDB_TYPE_BIGINT: info.layout = Layout::kDecimal64; break;
        case DUCKDB_TYPE_HUGEINT: info.layout = Layout::kDecimal128; break;
        default: info.kind = ValueKind::kOther; break;
      }
      break;
    default: break;
  }
  return info;
}

// ---- Text rendering, matching DuckDB's CAST(x AS VARCHAR) (checked against it in tests/duck/). ----

void AppendUnsigned(UInt128 v, std::string& out) {
  char buf[40];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

void AppendSigned(Int128 v, std::string& out) {
  if (v < 0) {
    out += '-';
    AppendUnsigned(static_cast<UInt128>(0) - static_cast<UInt128>(v), out);
  } else {
    AppendUnsigned(static_cast<UInt128>(v), out);
  }
}

template <typename T>
void AppendInteger(T v, std::string& out) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

// An unscaled DECIMAL(width, scale) value: exactly `scale` digits after the point and at least one before it
// ("-0.50"), except that like DuckDB a type with no integer digits (width == scale) prints none (".5000").
void AppendDecimal(Int128 v, uint8_t width, uint8_t scale, std::string& out) {
  std::string digits;
  AppendUnsigned(v < 0 ? static_cast<UInt128>(0) - static_cast<UInt128>(v) : static_cast<UInt128>(v), digits);
  if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
  if (v < 0) out += '-';
  if (width > scale) {
    out.append(digits, 0, digits.size() - scale);
  }
  if (scale > 0) {
    out += '.';
    out.append(digits, digits.size() - scale, scale);
  }
}

// For DOUBLE (and FLOAT when the query could not be wrapped, see QueryRunner::Run), DuckDB's text: the
// shortest round-trip digits laid out the way DuckDB (and Python's repr) does: positional notation when the
// decimal exponent is in [-4, 16) with at least one fractional digit ("80.0", "0.0001"), otherwise
// scientific with a signed, at least two-digit exponent ("1e+16", "1e-05", "1.5e+300").
template <typename F>
void AppendFloating(F v, std::string& out) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));  // [-]d[.ddd]e(+|-)dd[d]
  bool negative = false;
  if (sci.front() == '-') {
    negative = true;
    sci.remove_prefix(1);
  }
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (const char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + 1 + (sci[e_pos + 1] == '+' ? 1 : 0), sci.data() + sci.size(), exponent);
  if (negative) out += '-';
  if (exponent >= -4 && exponent < 16) {
    if (exponent < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exponent - 1), '0');
      out += digits;
    } else {
      const size_t int_digits = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_digits) {
        out += digits;
        out.append(int_digits - digits.size(), '0');
        out += ".0";
      } else {
        out.append(digits, 0, int_digits);
        out += '.';
        out.append(digits, int_digits, std::string::npos);
      }
    }
    return;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  out += exponent < 0 ? "e-" : "e+";
  const int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  AppendInteger(magnitude, out);
}

// DuckDB's DATE text: YYYY-MM-DD with at least four year digits; year 0 and before as "0001-01-01 (BC)" etc.
void AppendDate(int32_t days, std::string& out) {
  if (days == std::numeric_limits<int32_t>::max()) {
    out += "infinity";
    return;
  }
  if (days == -std::numeric_limits<int32_t>::max()) {
    out += "-infinity";
    return;
  }
  const duckdb_date_struct d = duckdb_from_date(duckdb_date{days});
  const bool bc = d.year <= 0;
  const int32_t year = bc ? 1 - d.year : d.year;
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02d%s", static_cast<int>(year), static_cast<int>(d.month),
                              static_cast<int>(d.day), bc ? " (BC)" : "");
  out.append(buf, static_cast<size_t>(n));
}

Int128 ToInt128(const duckdb_hugeint& h) {
  return static_cast<Int128>((static_cast<UInt128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
}

UInt128 ToUInt128(const duckdb_uhugeint& h) { return (static_cast<UInt128>(h.upper) << 64) | h.lower; }

// A prepared statement that is destroyed on scope exit (or handed over with release()).
class PreparedHandle {
 public:
  PreparedHandle() = default;
  PreparedHandle(const PreparedHandle&) = delete;
  PreparedHandle& operator=(const PreparedHandle&) = delete;
  ~PreparedHandle() {
    if (ps_ != nullptr) duckdb_destroy_prepare(&ps_);
  }
  duckdb_prepared_statement* out() { return &ps_; }
  duckdb_prepared_statement get() const { return ps_; }
  Status ErrorStatus() const {
    const char* msg = duckdb_prepare_error(ps_);
    return internal::MessageStatus(msg != nullptr && *msg != '\0' ? msg : "cannot prepare statement");
  }
  void swap(PreparedHandle& other) noexcept { std::swap(ps_, other.ps_); }

 private:
  duckdb_prepared_statement ps_ = nullptr;
};

class ExtractedHandle {
 public:
  ExtractedHandle() = default;
  ExtractedHandle(const ExtractedHandle&) = delete;
  ExtractedHandle& operator=(const ExtractedHandle&) = delete;
  ~ExtractedHandle() { duckdb_destroy_extracted(&ex_); }
  duckdb_extracted_statements* out() { return &ex_; }
  duckdb_extracted_statements get() const { return ex_; }

 private:
  duckdb_extracted_statements ex_ = nullptr;
};

class LogicalTypeHandle {
 public:
  explicit LogicalTypeHandle(duckdb_logical_type type) : type_(type) {}
  LogicalTypeHandle(const LogicalTypeHandle&) = delete;
  LogicalTypeHandle& operator=(const LogicalTypeHandle&) = delete;
  ~LogicalTypeHandle() {
    if (type_ != nullptr) duckdb_destroy_logical_type(&type_);
  }
  duckdb_logical_type get() const { return type_; }

 private:
  duckdb_logical_type type_;
};

}  // namespace

struct QueryResult::State {
  PreparedHandle prepared;  // kept alive as long as its result, to be safe
  internal::ResultHandle result;
  std::vector<ColumnInfo> columns;

  duckdb_data_chunk chunk = nullptr;
  idx_t chunk_rows = 0;
  idx_t row = 0;  // within chunk
  bool done = false;
  std::vector<const void*> data;      // per column, for the current chunk
  std::vector<const uint64_t*> validity;  // per column; nullptr = all valid
  std::vector<std::string> scratch;   // per column text buffer
  std::shared_ptr<const uint64_t> connection_generation;  // see ConnectionState::generation
  uint64_t generation = 0;

  ~State() {
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
  }
};

QueryResult::QueryResult(std::unique_ptr<State> state) : state_(std::move(state)) {}
QueryResult::QueryResult(QueryResult&& other) noexcept = default;
QueryResult& QueryResult::operator=(QueryResult&& other) noexcept = default;
QueryResult::~QueryResult() = default;

size_t QueryResult::column_count() const { return state_->columns.size(); }
const std::string& QueryResult::column_name(size_t col) const { return state_->columns[col].name; }
ValueKind QueryResult::column_kind(size_t col) const { return state_->columns[col].kind; }
const std::string& QueryResult::column_type(size_t col) const { return state_->columns[col].type; }

Result<bool> QueryResult::Next() {
  State& s = *state_;
  if (s.done) return false;
  if (*s.connection_generation != s.generation) {
    s.done = true;
    return Status::InvalidArgument("query result abandoned: its Connection ran another statement before the "
                                   "result was read to the end");
  }
  if (s.chunk != nullptr && s.row + 1 < s.chunk_rows) {
    ++s.row;
    return true;
  }
  if (s.chunk != nullptr) duckdb_destroy_data_chunk(&s.chunk);
  s.chunk = duckdb_fetch_chunk(*s.result.get());
  if (s.chunk == nullptr || duckdb_data_chunk_get_size(s.chunk) == 0) {
    s.done = true;
    if (s.chunk != nullptr) duckdb_destroy_data_chunk(&s.chunk);
    const char* error = duckdb_result_error(s.result.get());
    if (error != nullptr && *error != '\0') return s.result.ErrorStatus("query failed");
    return false;
  }
  s.chunk_rows = duckdb_data_chunk_get_size(s.chunk);
  s.row = 0;
  for (size_t c = 0; c < s.columns.size(); ++c) {
    duckdb_vector vector = duckdb_data_chunk_get_vector(s.chunk, c);
    s.data[c] = duckdb_vector_get_data(vector);
    s.validity[c] = duckdb_vector_get_validity(vector);
  }
  return true;
}

bool QueryResult::IsNull(size_t col) const {
  const State& s = *state_;
  if (s.columns[col].layout == Layout::kNull) return true;
  const uint64_t* validity = s.validity[col];
  return validity != nullptr && (validity[s.row / 64] & (uint64_t{1} << (s.row % 64))) == 0;
}

std::string_view QueryResult::Text(size_t col) {
  if (IsNull(col)) return {};
  State& s = *state_;
  const ColumnInfo& info = s.columns[col];
  const void* data = s.data[col];
  const idx_t row = s.row;
  if (info.layout == Layout::kVarchar) {
    duckdb_string_t* str = const_cast<duckdb_string_t*>(static_cast<const duckdb_string_t*>(data)) + row;
    return std::string_view(duckdb_string_t_data(str), duckdb_string_t_length(*str));
  }
  std::string& out = s.scratch[col];
  out.clear();
  switch (info.layout) {
    case Layout::kBool: out += static_cast<const bool*>(data)[row] ? "true" : "false"; break;
    case Layout::kInt8: AppendInteger(static_cast<const int8_t*>(data)[row], out); break;
    case Layout::kInt16: AppendInteger(static_cast<const int16_t*>(data)[row], out); break;
    case Layout::kInt32: AppendInteger(static_cast<const int32_t*>(data)[row], out); break;
    case Layout::kInt64: AppendInteger(static_cast<const int64_t*>(data)[row], out); break;
    case Layout::kUInt8: AppendInteger(static_cast<const uint8_t*>(data)[row], out); break;
    case Layout::kUInt16: AppendInteger(static_cast<const uint16_t*>(data)[row], out); break;
    case Layout::kUInt32: AppendInteger(static_cast<const uint32_t*>(data)[row], out); break;
    case Layout::kUInt64: AppendInteger(static_cast<const uint64_t*>(data)[row], out); break;
    case Layout::kInt128: AppendSigned(ToInt128(static_cast<const duckdb_hugeint*>(data)[row]), out); break;
    case Layout::kUInt128: AppendUnsigned(ToUInt128(static_cast<const duckdb_uhugeint*>(data)[row]), out); break;
    case Layout::kFloat: AppendFloating(static_cast<const float*>(data)[row], out); break;
    case Layout::kDouble: AppendFloating(static_cast<const double*>(data)[row], out); break;
    case Layout::kDecimal16: AppendDecimal(static_cast<const int16_t*>(data)[row], info.width, info.scale, out); break;
    case Layout::kDecimal32: AppendDecimal(static_cast<const int32_t*>(data)[row], info.width, info.scale, out); break;
    case Layout::kDecimal64: AppendDecimal(static_cast<const int64_t*>(data)[row], info.width, info.scale, out); break;
    case Layout::kDecimal128:
      AppendDecimal(ToInt128(static_cast<const duckdb_hugeint*>(data)[row]), info.width, info.scale, out);
      break;
    case Layout::kDate: AppendDate(static_cast<const duckdb_date*>(data)[row].days, out); break;
    case Layout::kNull:
    case Layout::kVarchar:
    case Layout::kUnsupported: break;  // unreachable: NULL handled above, unsupported rejected by Run()
  }
  return out;
}

Result<std::vector<TextRow>> QueryResult::ReadAll() {
  std::vector<TextRow> rows;
  for (;;) {
    Result<bool> next = Next();
    if (!next.ok()) return next.status();
    if (!*next) return rows;
    TextRow row(column_count());
    for (size_t c = 0; c < row.size(); ++c) {
      if (!IsNull(c)) row[c] = std::string(Text(c));
    }
    rows.push_back(std::move(row));
  }
}

namespace internal {

namespace {

// `SELECT #1, CAST(#2 AS VARCHAR), ... FROM (<sql>)`: the same rows with the columns we cannot render
// ourselves turned into DuckDB's own text.
std::string WrapForText(std::string_view sql, const std::vector<bool>& as_text) {
  while (!sql.empty() && (sql.back() == ';' || std::isspace(static_cast<unsigned char>(sql.back())))) {
    sql.remove_suffix(1);
  }
  std::string out = "SELECT ";
  for (size_t c = 0; c < as_text.size(); ++c) {
    if (c > 0) out += ", ";
    const std::string ref = "#" + std::to_string(c + 1);
    out += as_text[c] ? "CAST(" + ref + " AS VARCHAR)" : ref;
  }
  out += " FROM (\n";
  out += sql;
  out += "\n) AS ledgerlake_query";
  return out;
}

}  // namespace

namespace {

// The statements of `text`, split by DuckDB's parser; InvalidArgument (the parser's message) when it cannot.
Result<idx_t> Extract(duckdb_connection con, const std::string& text, ExtractedHandle& extracted) {
  const idx_t count = duckdb_extract_statements(con, text.c_str(), extracted.out());
  if (count == 0) {
    const char* msg = duckdb_extract_statements_error(extracted.get());
    return Status::InvalidArgument(msg != nullptr && *msg != '\0' ? msg : "no SQL statement to run");
  }
  return count;
}

}  // namespace

Result<size_t> QueryRunner::Count(ConnectionState& connection, std::string_view sql) {
  ExtractedHandle extracted;
  auto count = Extract(connection.con, std::string(sql), extracted);
  if (!count.ok()) return count.status();
  return static_cast<size_t>(*count);
}

Result<QueryResult> QueryRunner::Run(ConnectionState& connection, std::string_view sql) {
  duckdb_connection con = connection.BeginStatement();
  const std::string text(sql);
  ExtractedHandle extracted;
  auto count = Extract(con, text, extracted);
  if (!count.ok()) return count.status();
  for (idx_t i = 0; i + 1 < *count; ++i) {
    PreparedHandle prepared;
    if (duckdb_prepare_extracted_statement(con, extracted.get(), i, prepared.out()) == DuckDBError) {
      return prepared.ErrorStatus();
    }
    ResultHandle result;
    if (duckdb_execute_prepared(prepared.get(), result.get()) == DuckDBError) {
      return result.ErrorStatus("query failed");
    }
  }
  return Stream(connection, extracted.get(), *count, *count - 1, sql);
}

Result<StatementInfo> QueryRunner::Describe(ConnectionState& connection, std::string_view sql, size_t index) {
  duckdb_connection con = connection.BeginStatement();
  ExtractedHandle extracted;
  auto count = Extract(con, std::string(sql), extracted);
  if (!count.ok()) return count.status();
  if (index >= *count) return Status::InvalidArgument("no statement " + std::to_string(index + 1) + " in the SQL");
  PreparedHandle prepared;
  if (duckdb_prepare_extracted_statement(con, extracted.get(), index, prepared.out()) == DuckDBError) {
    return prepared.ErrorStatus();
  }
  static constexpr const char* kNames[] = {
      "INVALID", "SELECT", "INSERT", "UPDATE", "EXPLAIN", "DELETE", "PREPARE", "CREATE", "EXECUTE", "ALTER",
      "TRANSACTION", "COPY", "ANALYZE", "VARIABLE_SET", "CREATE_FUNC", "DROP", "EXPORT", "PRAGMA", "VACUUM", "CALL",
      "SET", "LOAD", "RELATION", "EXTENSION", "LOGICAL_PLAN", "ATTACH", "DETACH", "MULTI"};
  const duckdb_statement_type type = duckdb_prepared_statement_type(prepared.get());
  StatementInfo info;
  info.read_only = type == DUCKDB_STATEMENT_TYPE_SELECT || type == DUCKDB_STATEMENT_TYPE_EXPLAIN;
  const auto t = static_cast<size_t>(type);
  info.type = t < std::size(kNames) ? kNames[t] : "UNKNOWN";
  return info;
}

Result<QueryResult> QueryRunner::RunOne(ConnectionState& connection, std::string_view sql, size_t index) {
  connection.BeginStatement();
  ExtractedHandle extracted;
  auto count = Extract(connection.con, std::string(sql), extracted);
  if (!count.ok()) return count.status();
  if (index >= *count) return Status::InvalidArgument("no statement " + std::to_string(index + 1) + " in the SQL");
  return Stream(connection, extracted.get(), *count, index, sql);
}

Result<QueryResult> QueryRunner::Stream(ConnectionState& connection, duckdb_extracted_statements extracted,
                                        idx_t count, idx_t index, std::string_view sql) {
  duckdb_connection con = connection.con;
  auto state = std::make_unique<QueryResult::State>();
  if (duckdb_prepare_extracted_statement(con, extracted, index, state->prepared.out()) == DuckDBError) {
    return state->prepared.ErrorStatus();
  }

  // Columns we do not render ourselves (TIMESTAMP, LIST, ...) and FLOAT (whose digits DuckDB picks in a way
  // that is not the plain shortest round-trip) are cast to VARCHAR by DuckDB itself, by wrapping the query;
  // they keep the kind of their real type. This needs the query's text, so only single-statement queries.
  std::vector<ColumnInfo> wrapped_columns;  // non-empty when the query was wrapped
  const idx_t prepared_columns = duckdb_prepared_statement_column_count(state->prepared.get());
  if (count == 1) {
    std::vector<ColumnInfo> infos(prepared_columns);
    std::vector<bool> as_text(prepared_columns, false);
    bool any_as_text = false;
    for (idx_t c = 0; c < prepared_columns; ++c) {
      LogicalTypeHandle type(duckdb_prepared_statement_column_logical_type(state->prepared.get(), c));
      if (duckdb_get_type_id(type.get()) == DUCKDB_TYPE_INVALID) {  // types only known once it runs
        any_as_text = false;
        break;
      }
      infos[c] = Classify(type.get());
      as_text[c] = infos[c].layout == Layout::kUnsupported || infos[c].layout == Layout::kFloat;
      any_as_text = any_as_text || as_text[c];
      const char* name = duckdb_prepared_statement_column_name(state->prepared.get(), c);
      infos[c].name = name != nullptr ? name : "";
      duckdb_free(const_cast<char*>(name));
    }
    PreparedHandle wrapped;
    if (any_as_text &&
        duckdb_prepare(con, WrapForText(sql, as_text).c_str(), wrapped.out()) == DuckDBSuccess &&
        duckdb_prepared_statement_column_count(wrapped.get()) == prepared_columns) {
      state->prepared.swap(wrapped);
      for (idx_t c = 0; c < prepared_columns; ++c) {
        if (as_text[c]) infos[c].layout = Layout::kVarchar;
      }
      wrapped_columns = std::move(infos);
    }
  }

  // Streaming execution: rows are produced as Next() asks for them. (The streaming entry point is marked
  // deprecated in DuckDB 1.4 but is the only way to avoid materializing the whole result.)
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(state->prepared.get(), &pending) == DuckDBError) {
    const char* msg = duckdb_pending_error(pending);
    Status status = Status::InvalidArgument(msg != nullptr && *msg != '\0' ? msg : "query failed");
    duckdb_destroy_pending(&pending);
    return status;
  }
  const duckdb_state executed = duckdb_execute_pending(pending, state->result.get());
  duckdb_destroy_pending(&pending);
  if (executed == DuckDBError) return state->result.ErrorStatus("query failed");

  duckdb_result* result = state->result.get();
  const idx_t columns = duckdb_column_count(result);
  state->columns.resize(columns);
  for (idx_t c = 0; c < columns; ++c) {
    LogicalTypeHandle type(duckdb_column_logical_type(result, c));
    ColumnInfo info;
    if (c < wrapped_columns.size()) {
      info = wrapped_columns[c];
    } else {
      info = Classify(type.get());
      const char* name = duckdb_column_name(result, c);
      info.name = name != nullptr ? name : "";
    }
    if (info.layout == Layout::kUnsupported) {
      return Status::InvalidArgument("cannot display column \"" + info.name + "\" of type " +
                                     TypeName(duckdb_get_type_id(type.get())) +
                                     " (only single-statement queries convert it): CAST it to VARCHAR");
    }
    state->columns[c] = std::move(info);
  }
  state->data.assign(columns, nullptr);
  state->validity.assign(columns, nullptr);
  state->scratch.assign(columns, std::string());
  state->connection_generation = connection.generation;
  state->generation = *connection.generation;
  return QueryResult(std::move(state));
}

}  // namespace internal

}  // namespace ledgerlake::duck
