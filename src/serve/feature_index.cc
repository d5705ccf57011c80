#include "serve/feature_index.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "duck/format.h"

namespace ledgerlake::serve {

Result<FeatureIndex::Table> FeatureIndex::Load(duck::Connection& conn, const std::string& sql) {
  auto result = conn.Query(sql);
  if (!result.ok()) return result.status();
  Table t;
  const size_t columns = result->column_count();
  for (size_t c = 1; c < columns; ++c) {  // column 0 is the key the rows are found by
    t.keys.push_back(nlohmann::json(result->column_name(c)).dump() + ":");
  }
  for (;;) {
    auto next = result->Next();
    if (!next.ok()) return next.status();
    if (!*next) break;
    int64_t id = 0;
    const std::string_view key = result->Text(0);
    std::from_chars(key.data(), key.data() + key.size(), id);
    t.ids.push_back(id);
    t.starts.push_back(t.text.size());
    const size_t start = t.text.size();
    for (size_t c = 1; c < columns; ++c) {
      duck::AppendJsonCell(*result, c, t.text);
      t.ends.push_back(static_cast<uint32_t>(t.text.size() - start));
    }
  }
  return t;
}

void FeatureIndex::Table::AppendObject(size_t row, std::string& out) const {
  const size_t n = keys.size();
  const char* base = text.data() + starts[row];
  uint32_t from = 0;
  out += '{';
  for (size_t c = 0; c < n; ++c) {
    const uint32_t to = ends[row * n + c];
    if (c > 0) out += ',';
    out += keys[c];
    out.append(base + from, to - from);
    from = to;
  }
  out += '}';
}

Result<FeatureIndex> FeatureIndex::Build(duck::Connection& conn) {
  FeatureIndex index;
  auto accounts = Load(conn, "SELECT account_id AS _key, * FROM account_features ORDER BY account_id");
  if (!accounts.ok()) return accounts.status();
  auto invoices = Load(conn, "SELECT acct_id AS _key, * FROM invoice_features ORDER BY acct_id, inv_id");
  if (!invoices.ok()) return invoices.status();
  index.accounts_ = std::move(*accounts);
  index.invoices_ = std::move(*invoices);
  return index;
}

std::optional<std::string> FeatureIndex::Render(int64_t account_id) const {
  const auto a = std::lower_bound(accounts_.ids.begin(), accounts_.ids.end(), account_id);
  if (a == accounts_.ids.end() || *a != account_id) return std::nullopt;
  std::string out = "{\"account\":";
  accounts_.AppendObject(static_cast<size_t>(a - accounts_.ids.begin()), out);
  out += ",\"invoices\":[";
  const auto [first, last] = std::equal_range(invoices_.ids.begin(), invoices_.ids.end(), account_id);
  for (auto it = first; it != last; ++it) {
    if (it != first) out += ',';
    invoices_.AppendObject(static_cast<size_t>(it - invoices_.ids.begin()), out);
  }
  out += "]}";
  return out;
}

}  // namespace ledgerlake::serve
