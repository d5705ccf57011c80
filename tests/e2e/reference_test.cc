// Generated extracts end to end against an independent computation of the same features in DuckDB SQL
// (tests/reference/features.sql, written from features.md alone). Any row that differs fails the test.
#include <string>

#include "duck/database.h"
#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

// Each dataset's columns as compared; the DOUBLE is rounded so that two correct ways of dividing agree.
const struct {
  const char* dataset;
  const char* columns;
} kCompared[] = {
    {"account_features",
     "account_id, feature_account_age_day, feature_account_age_year, feature_customer_age_over_one_year, "
     "feature_total_invoices, round(feature_avg_invoice_interval_day, 9)"},
    {"account_invoice_features", "account_id, invoice_id, date_issued, feature_invoice_spending"},
    {"invoice_features", "inv_id, acct_id, inv_total, inv_items, acct_age, num_inv_120d, cum_tot_inv_acct, is_late"},
};

int64_t Count(duck::Connection& conn, const std::string& sql) {
  auto r = conn.Query(sql);
  EXPECT_TRUE(r.ok()) << r.status().message() << "\n" << sql;
  if (!r.ok()) return -1;
  auto rows = r->ReadAll();
  EXPECT_TRUE(rows.ok());
  return std::stoll(*(*rows)[0][0]);
}

class ReferenceTest : public ScratchTest {
 protected:
  void CompareWithReference(const std::string& extracts, const std::string& as_of) {
    LlOk({"init"});
    LlOk({"ingest", extracts});
    LlOk({"run", "--as-of", as_of});

    auto db = duck::Database::Open();
    ASSERT_TRUE(db.ok());
    auto conn = duck::Connection::Open(*db);
    ASSERT_TRUE(conn.ok());
    std::string sql = ReadFile(std::string(LEDGERLAKE_SOURCE_DIR) + "/tests/reference/features.sql");
    ASSERT_FALSE(sql.empty());
    sql = Replace(Replace(sql, "${DATA_DIR}", extracts), "${AS_OF}", as_of);
    const Status st = conn->Execute(sql);
    ASSERT_TRUE(st.ok()) << st.message();

    const std::string day = "ingest_year=" + as_of.substr(0, 4) + "/ingest_month=" + as_of.substr(5, 2) +
                            "/ingest_day=" + as_of.substr(8, 2);
    for (const auto& c : kCompared) {
      const std::string ours = "(SELECT " + std::string(c.columns) + " FROM read_parquet('" + lake_ + "/processed/" +
                               c.dataset + "/" + day + "/*.parquet'))";
      const std::string ref = "(SELECT " + std::string(c.columns) + " FROM ref_" + c.dataset + ")";
      const int64_t n = Count(*conn, "SELECT count(*) FROM " + ref);
      EXPECT_GT(n, 0) << c.dataset;
      EXPECT_EQ(Count(*conn, "SELECT count(*) FROM " + ours), n) << c.dataset;
      EXPECT_EQ(Count(*conn, "SELECT count(*) FROM (" + ours + " EXCEPT ALL " + ref + ")"), 0) << c.dataset;
      EXPECT_EQ(Count(*conn, "SELECT count(*) FROM (" + ref + " EXCEPT ALL " + ours + ")"), 0) << c.dataset;
    }
    // The generated data is clean: every row accepted.
    EXPECT_EQ(Count(*conn, "SELECT count(*) FROM read_parquet('" + lake_ + "/processed/rejects/" + day + "/*.parquet')"), 0);
  }
};

TEST_F(ReferenceTest, GeneratedDeliveryMatchesDuckDbSql) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "3000", "--invoices", "40000", "--seed", "11"});
  // Mid-range D: some accounts join later, some invoices are issued later, unpaid ones are on both sides of 30 days.
  CompareWithReference(dir_ + "/x", "2022-06-30");
}

TEST_F(ReferenceTest, GzipDeliveryAtTheEndOfTheRangeMatchesDuckDbSql) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "500", "--invoices", "20000", "--seed", "5", "--gzip"});
  CompareWithReference(dir_ + "/x", "2024-12-31");
}

}  // namespace
}  // namespace ledgerlake::e2e
