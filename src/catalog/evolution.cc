#include "catalog/evolution.h"

#include <algorithm>

namespace ledgerlake::catalog {

namespace {

// Where `name` is in `schema`, compared as the contract compares header names; -1 when absent.
int Find(const TableSchema& schema, std::string_view name) {
  const std::string key = contract::NormalizeColumnName(name);
  for (size_t i = 0; i < schema.size(); ++i) {
    if (contract::NormalizeColumnName(schema[i].name) == key) return static_cast<int>(i);
  }
  return -1;
}

std::string ContractTypeWords(contract::ValueType type) {
  switch (type) {
    case contract::ValueType::kInteger: return "integers";
    case contract::ValueType::kDecimal: return "decimals with at most 2 places";
    case contract::ValueType::kDate: return "ISO dates";
    case contract::ValueType::kText: return "text";
  }
  return "?";
}

}  // namespace

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kInitial: return "initial";
    case ChangeKind::kCompatible: return "compatible";
    case ChangeKind::kBreaking: return "breaking";
  }
  return "?";
}

std::optional<ChangeKind> ChangeKindFromName(std::string_view name) {
  for (ChangeKind k : {ChangeKind::kInitial, ChangeKind::kCompatible, ChangeKind::kBreaking}) {
    if (ChangeKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::vector<SchemaProblem> BreakingProblems(const FileProfile& file) {
  std::vector<SchemaProblem> problems;
  for (const std::string& name : file.missing_required) {
    problems.push_back({name, "required column " + name + " is missing"});
  }
  const auto& specs = contract::TableColumns(file.table);
  for (const ColumnProfile& c : file.columns) {
    if (c.contract_column < 0 || c.contract_failures * 2 <= c.values) continue;
    const contract::ColumnSpec& spec = specs[static_cast<size_t>(c.contract_column)];
    std::string detail = std::to_string(c.contract_failures) + " of " + std::to_string(c.values) + " values are not " +
                         ContractTypeWords(spec.type) + " (first: '" + c.failure_example + "' on line " +
                         std::to_string(c.failure_line);
    if (!c.failure_format.empty()) detail += "; they look like " + c.failure_format;
    problems.push_back({c.schema.name, detail + ")"});
  }
  return problems;
}

bool Fits(const FileProfile& file, const TableSchema& schema) {
  for (const ColumnProfile& c : file.columns) {
    const int at = Find(schema, c.schema.name);
    if (at < 0) return false;
    if (c.values == 0) continue;
    if (!TypeHolds(schema[static_cast<size_t>(at)], c.schema)) return false;
  }
  return true;
}

TableSchema Widen(const TableSchema& schema, const FileProfile& file) {
  TableSchema out = schema;
  std::vector<bool> seen(out.size(), false);
  for (const ColumnProfile& c : file.columns) {
    const int at = Find(out, c.schema.name);
    if (at < 0) {
      out.push_back(c.schema);
      continue;
    }
    const auto i = static_cast<size_t>(at);
    if (i < seen.size()) seen[i] = true;
    if (c.values == 0) {
      out[i].nullable = true;
    } else {
      out[i] = JoinTypes(out[i], c.schema);
    }
  }
  for (size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) out[i].nullable = true;
  }
  return out;
}

std::string DescribeChange(const TableSchema& before, const TableSchema& after) {
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  for (const ColumnSchema& a : after) {
    const int at = Find(before, a.name);
    if (at < 0) {
      add("added column " + a.name + " (" + a.TypeText() + ")");
      continue;
    }
    const ColumnSchema& b = before[static_cast<size_t>(at)];
    if (b.type != a.type || b.scale != a.scale) add(a.name + " widened " + b.TypeText() + " -> " + a.TypeText());
  }
  return out;
}

Placement Place(const std::vector<VersionInfo>& versions, const FileProfile& file) {
  Placement p;
  p.problems = BreakingProblems(file);
  const VersionInfo* current = nullptr;
  for (const VersionInfo& v : versions) {
    if (v.change != ChangeKind::kBreaking) current = &v;
  }
  const int next = versions.empty() ? 1 : versions.back().version + 1;
  const TableSchema base = current ? current->columns : TableSchema{};

  if (p.problems.empty()) {
    if (current && Fits(file, current->columns)) {
      p.version = current->version;
      p.change = current->change;
      p.columns = Widen(current->columns, file);
      return p;
    }
    p.new_version = true;
    p.version = next;
    p.columns = Widen(base, file);
    p.change = current ? ChangeKind::kCompatible : ChangeKind::kInitial;
    p.detail = current ? DescribeChange(base, p.columns) : "first schema";
    return p;
  }

  const VersionInfo* latest = versions.empty() ? nullptr : &versions.back();
  if (latest && latest->change == ChangeKind::kBreaking && Fits(file, latest->columns)) {
    p.version = latest->version;
    p.change = ChangeKind::kBreaking;
    p.columns = Widen(latest->columns, file);
    return p;
  }
  p.new_version = true;
  p.version = next;
  p.change = ChangeKind::kBreaking;
  p.columns = Widen(base, file);
  for (const SchemaProblem& problem : p.problems) {
    p.detail += (p.detail.empty() ? "" : "; ") + problem.column + ": " + problem.detail;
  }
  return p;
}

}  // namespace ledgerlake::catalog
