#include "duck/format.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ledgerlake::duck {

namespace {

bool IsNumeric(ValueKind kind) {
  return kind == ValueKind::kInteger || kind == ValueKind::kFloat || kind == ValueKind::kDecimal;
}

Status StreamStatus(const std::ostream& out) {
  return out.good() ? Status::OK() : Status::IOError("cannot write query output");
}

// ---- kTable ----

// Terminal columns taken by `s`: one per UTF-8 code point (continuation bytes do not count).
size_t DisplayWidth(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string TableCell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += c; break;
    }
  }
  return out;
}

// EXPLAIN's result: plan texts drawn for a terminal.
bool IsPlan(const QueryResult& result) {
  return result.column_count() == 2 && result.column_name(0) == "explain_key" &&
         result.column_name(1) == "explain_value";
}

Status FormatPlan(QueryResult& result, std::ostream& out) {
  for (;;) {
    Result<bool> next = result.Next();
    if (!next.ok()) return next.status();
    if (!*next) break;
    out << result.Text(1);
    if (!result.Text(1).ends_with('\n')) out << '\n';
  }
  return StreamStatus(out);
}

Status FormatTable(QueryResult& result, std::ostream& out, size_t max_rows) {
  if (IsPlan(result)) return FormatPlan(result, out);
  const size_t columns = result.column_count();
  std::vector<std::string> header(columns);
  std::vector<size_t> widths(columns);
  std::vector<bool> right(columns);
  for (size_t c = 0; c < columns; ++c) {
    header[c] = TableCell(result.column_name(c));
    widths[c] = DisplayWidth(header[c]);
    right[c] = IsNumeric(result.column_kind(c));
  }
  std::vector<std::vector<std::string>> rows;
  uint64_t total = 0;
  for (;;) {
    Result<bool> next = result.Next();
    if (!next.ok()) return next.status();
    if (!*next) break;
    if (max_rows > 0 && total++ >= max_rows) continue;  // counted, not kept
    std::vector<std::string>& row = rows.emplace_back(columns);
    for (size_t c = 0; c < columns; ++c) {
      row[c] = result.IsNull(c) ? std::string("NULL") : TableCell(result.Text(c));
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }

  std::string rule = "+";
  for (size_t c = 0; c < columns; ++c) rule += std::string(widths[c] + 2, '-') + "+";
  rule += '\n';
  auto write_row = [&](const std::vector<std::string>& cells, bool align_numbers) {
    std::string line = "|";
    for (size_t c = 0; c < columns; ++c) {
      const std::string pad(widths[c] - DisplayWidth(cells[c]), ' ');
      line += ' ';
      line += align_numbers && right[c] ? pad + cells[c] : cells[c] + pad;
      line += " |";
    }
    line += '\n';
    out << line;
  };
  if (columns > 0) {
    out << rule;
    write_row(header, true);
    out << rule;
    for (const auto& row : rows) write_row(row, true);
    out << rule;
  }
  if (max_rows > 0 && total > rows.size()) {
    out << rows.size() << " of " << total << " rows shown (--max-rows 0 shows all; --format csv or json streams them)\n";
  } else {
    out << rows.size() << (rows.size() == 1 ? " row\n" : " rows\n");
  }
  return StreamStatus(out);
}

// ---- kCsv ----

void AppendCsvField(std::string_view text, std::string& line) {
  const bool quote = text.empty() || text.find_first_of(",\"\r\n") != std::string_view::npos;
  if (!quote) {
    line += text;
    return;
  }
  line += '"';
  for (const char c : text) {
    if (c == '"') line += '"';
    line += c;
  }
  line += '"';
}

Status FormatCsv(QueryResult& result, std::ostream& out) {
  const size_t columns = result.column_count();
  std::string line;
  for (size_t c = 0; c < columns; ++c) {
    if (c > 0) line += ',';
    AppendCsvField(result.column_name(c), line);
  }
  line += '\n';
  out << line;
  for (size_t n = 1;; ++n) {
    Result<bool> next = result.Next();
    if (!next.ok()) return next.status();
    if (!*next) break;
    line.clear();
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) line += ',';
      if (!result.IsNull(c)) AppendCsvField(result.Text(c), line);
    }
    line += '\n';
    out << line;
    if (n % 4096 == 0) LL_RETURN_IF_ERROR(StreamStatus(out));
  }
  return StreamStatus(out);
}

// ---- kJson ----

// A JSON string literal; invalid UTF-8 is replaced by U+FFFD rather than failing the whole output.
std::string JsonString(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void AppendJsonCell(QueryResult& result, size_t col, std::string& line) {
  if (result.IsNull(col)) {
    line += "null";
    return;
  }
  const std::string_view text = result.Text(col);
  switch (result.column_kind(col)) {
    case ValueKind::kNull: line += "null"; break;
    case ValueKind::kBool:
    case ValueKind::kInteger:
    case ValueKind::kDecimal: line += text; break;  // DuckDB's digits are valid JSON numbers as they are
    case ValueKind::kFloat:
      line += (text == "nan" || text == "-nan" || text == "inf" || text == "-inf") ? std::string_view("null") : text;
      break;
    case ValueKind::kString:
    case ValueKind::kDate:
    case ValueKind::kOther: line += JsonString(text); break;
  }
}

namespace {

Status FormatJson(QueryResult& result, std::ostream& out) {
  const size_t columns = result.column_count();
  std::vector<std::string> keys(columns);
  for (size_t c = 0; c < columns; ++c) keys[c] = JsonString(result.column_name(c)) + ":";
  std::string line;
  size_t n = 0;
  for (;; ++n) {
    Result<bool> next = result.Next();
    if (!next.ok()) return next.status();
    if (!*next) break;
    line = n == 0 ? "[\n{" : ",\n{";
    for (size_t c = 0; c < columns; ++c) {
      if (c > 0) line += ',';
      line += keys[c];
      AppendJsonCell(result, c, line);
    }
    line += '}';
    out << line;
    if ((n + 1) % 4096 == 0) LL_RETURN_IF_ERROR(StreamStatus(out));
  }
  out << (n == 0 ? "[]\n" : "\n]\n");
  return StreamStatus(out);
}

}  // namespace

Status FormatResult(QueryResult& result, OutputFormat format, std::ostream& out, const FormatOptions& options) {
  switch (format) {
    case OutputFormat::kTable: return FormatTable(result, out, options.max_table_rows);
    case OutputFormat::kCsv: return FormatCsv(result, out);
    case OutputFormat::kJson: return FormatJson(result, out);
  }
  return Status::InvalidArgument("unknown output format");
}

}  // namespace ledgerlake::duck
