#include "e2e/reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "duck/database.h"
#include "duck/format.h"
#include "e2e/harness.h"

namespace ledgerlake::e2e {

namespace {

namespace fs = std::filesystem;

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string ReferenceSql(const std::string& name) {
  return ReadFile(std::string(LEDGERLAKE_SOURCE_DIR) + "/tests/reference/" + name);
}

// Each dataset's columns as compared; the DOUBLE is rounded so that two correct ways of dividing agree.
constexpr const char* kCompared[][2] = {
    {"account_features",
     "account_id, feature_account_age_day, feature_account_age_year, feature_customer_age_over_one_year, "
     "feature_total_invoices, round(feature_avg_invoice_interval_day, 9)"},
    {"account_invoice_features", "account_id, invoice_id, date_issued, feature_invoice_spending"},
    {"invoice_features", "inv_id, acct_id, inv_total, inv_items, acct_age, num_inv_120d, cum_tot_inv_acct, is_late"},
};

// One query listing every row of the three datasets as text, `prefix` + dataset naming each relation.
std::string DumpSql(const std::string& prefix) {
  std::string sql;
  for (const auto& c : kCompared) {
    if (!sql.empty()) sql += " UNION ALL ";
    sql += "SELECT '" + std::string(c[0]) + "' AS dataset, (" + c[1] + ")::VARCHAR AS row_text FROM " + prefix + c[0];
  }
  return sql + " ORDER BY dataset, row_text";
}

std::string RunAndDump(duck::Connection& conn, const std::string& sql) {
  const Status st = conn.Execute(sql);
  EXPECT_TRUE(st.ok()) << st.message();
  if (!st.ok()) return "";
  auto result = conn.Query(DumpSql("ref_"));
  EXPECT_TRUE(result.ok()) << result.status().message();
  if (!result.ok()) return "";
  std::ostringstream out;
  EXPECT_TRUE(duck::FormatResult(*result, duck::OutputFormat::kCsv, out).ok());
  return out.str();
}

// Whether an invoices extract's header names a payment column (payment_dates, or payment_date).
bool HasPaymentColumn(const std::string& path) {
  std::string header = ReadFile(path);
  header = header.substr(0, header.find('\n'));
  std::string lower;
  for (char c : header) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::set<std::string> names;
  std::stringstream fields(lower);
  for (std::string f; std::getline(fields, f, ',');) {
    while (!f.empty() && (f.back() == '\r' || f.back() == ' ')) f.pop_back();
    if (f.starts_with("\xef\xbb\xbf")) f = f.substr(3);
    names.insert(f);
  }
  return names.contains("payment_dates") || names.contains("payment_date");
}

// The source tables' compared columns, over relations named `prefix` + table (the reference names them ref_*).
std::string SourcesSql(const std::string& accounts, const std::string& skus, const std::string& invoices,
                       const std::string& lines) {
  return "SELECT 'accounts' AS t, (account_id, joining_date)::VARCHAR AS r FROM " + accounts +
         " UNION ALL SELECT 'skus', (item_id, item_retail_price)::VARCHAR FROM " + skus +
         " UNION ALL SELECT 'invoices', (invoice_id, account_id, date_issued, payment)::VARCHAR FROM " + invoices +
         " UNION ALL SELECT 'lines', (invoice_id, item_id, quantity)::VARCHAR FROM " + lines + " ORDER BY t, r";
}

// The reference loader's SQL over `extracts` (landed_files.sql, placeholders filled), and no features.
std::string LandedFilesSql(const std::vector<Extract>& extracts, const std::string& scratch) {
  const std::pair<const char*, const char*> tables[] = {
      {"accounts", "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date"},
      {"skus", "item_id,item_name,item_description,item_cost_price,item_retail_price"},
      {"invoices", "invoice_id,account_id,date_issued,payment_dates"},
      {"invoice_line_items", "invoice_id,item_id,quantity"}};
  std::string landed = "CREATE OR REPLACE TEMP TABLE ref_landed(seq BIGINT, path VARCHAR, has_payment_column BOOLEAN);\n";
  std::map<std::string, std::string> lists;
  std::set<std::string> contents;
  int seq = 0;
  auto add = [&](const std::string& path, const std::string& table) {
    ++seq;
    landed += "INSERT INTO ref_landed VALUES (" + std::to_string(seq) + ", " + duck::SqlStringLiteral(path) + ", " +
              (table == "invoices" && HasPaymentColumn(path) ? "true" : "false") + ");\n";
    std::string& list = lists[table];
    list += (list.empty() ? "" : ", ") + duck::SqlStringLiteral(path);
  };
  for (const auto& [table, header] : tables) {  // a header-only stub first: every list is non-empty
    const std::string stub = scratch + "/reference-stub-" + table + ".csv";
    WriteFile(stub, std::string(header) + "\n");
    add(stub, table);
  }
  for (const Extract& e : extracts) {
    if (contents.insert(ReadFile(e.path)).second) add(e.path, e.table);
  }
  std::string sql = landed + ReferenceSql("landed_files.sql");
  sql = Replace(sql, "${ACCOUNTS_FILES}", "[" + lists["accounts"] + "]");
  sql = Replace(sql, "${SKUS_FILES}", "[" + lists["skus"] + "]");
  sql = Replace(sql, "${INVOICES_FILES}", "[" + lists["invoices"] + "]");
  sql = Replace(sql, "${LINE_ITEMS_FILES}", "[" + lists["invoice_line_items"] + "]");
  return sql;
}

}  // namespace

std::string ReferenceFeatures(const std::vector<Extract>& extracts, const std::string& as_of,
                              const std::string& scratch) {
  std::string sql = LandedFilesSql(extracts, scratch) + ReferenceSql("features.sql");
  sql = Replace(sql, "${AS_OF}", as_of);
  auto db = duck::Database::Open();
  auto conn = db.ok() ? duck::Connection::Open(*db) : Result<duck::Connection>(db.status());
  EXPECT_TRUE(conn.ok()) << conn.status().message();
  return conn.ok() ? RunAndDump(*conn, sql) : "";
}

std::string ReferenceSources(const std::vector<Extract>& extracts, const std::string& scratch) {
  auto db = duck::Database::Open();
  auto conn = db.ok() ? duck::Connection::Open(*db) : Result<duck::Connection>(db.status());
  EXPECT_TRUE(conn.ok()) << conn.status().message();
  if (!conn.ok()) return "";
  const Status st = conn->Execute(LandedFilesSql(extracts, scratch));
  EXPECT_TRUE(st.ok()) << st.message();
  auto result = conn->Query(SourcesSql("ref_accounts", "ref_skus",
                                       "(SELECT *, payment_date AS payment FROM ref_invoices)", "ref_line_items"));
  EXPECT_TRUE(result.ok()) << result.status().message();
  if (!result.ok()) return "";
  std::ostringstream out;
  EXPECT_TRUE(duck::FormatResult(*result, duck::OutputFormat::kCsv, out).ok());
  return out.str();
}

std::string LakeSources(const std::string& lake) {
  const CommandResult r = RunLedgerlake(
      lake, {"query", SourcesSql("accounts", "skus", "(SELECT *, payment_dates AS payment FROM invoices)",
                                 "invoice_line_items"),
             "--format", "csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

std::string ReferenceFeaturesOfDelivery(const std::string& dir, const std::string& as_of) {
  const std::string sql = Replace(Replace(ReferenceSql("clean_delivery.sql") + ReferenceSql("features.sql"),
                                          "${DATA_DIR}", dir),
                                  "${AS_OF}", as_of);
  auto db = duck::Database::Open();
  auto conn = db.ok() ? duck::Connection::Open(*db) : Result<duck::Connection>(db.status());
  EXPECT_TRUE(conn.ok()) << conn.status().message();
  return conn.ok() ? RunAndDump(*conn, sql) : "";
}

void ExpectSameRows(const std::string& actual, const std::string& expected, const std::string& what) {
  if (actual == expected) return;
  auto lines = [](const std::string& text) {
    std::multiset<std::string> out;
    std::stringstream in(text);
    for (std::string line; std::getline(in, line);) out.insert(line);
    return out;
  };
  const std::multiset<std::string> a = lines(actual), e = lines(expected);
  std::vector<std::string> only_actual, only_expected;
  std::set_difference(a.begin(), a.end(), e.begin(), e.end(), std::back_inserter(only_actual));
  std::set_difference(e.begin(), e.end(), a.begin(), a.end(), std::back_inserter(only_expected));
  std::string shown;
  for (size_t i = 0; i < only_actual.size() && i < 8; ++i) shown += "\n  only in the lake:     " + only_actual[i];
  for (size_t i = 0; i < only_expected.size() && i < 8; ++i) shown += "\n  only in the reference: " + only_expected[i];
  ADD_FAILURE() << what << ": " << a.size() << " lines against " << e.size() << " expected; " << only_actual.size()
                << " only in the lake, " << only_expected.size() << " only in the reference" << shown;
}

std::string LakeFeatures(const std::string& lake, const std::string& as_of) {
  std::vector<std::string> args = {"query", DumpSql(""), "--format", "csv"};
  if (!as_of.empty()) args.insert(args.end(), {"--as-of", as_of});
  const CommandResult r = RunLedgerlake(lake, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

}  // namespace ledgerlake::e2e
