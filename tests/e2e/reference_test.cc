// Generated extracts end to end against an independent computation of the same features in DuckDB SQL
// (tests/reference/, written from docs/ alone). Any row that differs fails the test.
#include <string>

#include "e2e/harness.h"
#include "e2e/reference.h"

namespace ledgerlake::e2e {
namespace {

class ReferenceTest : public ScratchTest {
 protected:
  void CompareWithReference(const std::string& extracts, const std::string& as_of) {
    LlOk({"init"});
    LlOk({"ingest", extracts});
    const std::string run = LlOk({"run", "--as-of", as_of});
    const std::string expected = ReferenceFeaturesOfDelivery(extracts, as_of);
    for (const char* dataset : {"account_features,", "account_invoice_features,", "invoice_features,"}) {
      EXPECT_NE(expected.find(dataset), std::string::npos) << "no rows of " << dataset;
    }
    ExpectSameRows(LakeFeatures(lake_), expected, "features as of " + as_of);
    // The generated data is clean: every row accepted; some invoices repeat a line, and both lines count.
    EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM rejects", "--format", "csv"}), "n\n0\n");
    EXPECT_NE(run.find("line items repeat an earlier line of their invoice"), std::string::npos) << run;
  }
};

TEST_F(ReferenceTest, GeneratedDeliveryMatchesDuckDbSql) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "3000", "--invoices", "40000", "--seed", "11"});
  // Mid-range D: some accounts join later, some invoices are issued later, unpaid ones are on both sides of 30
  // days, and some invoices issued by D are paid after it (unpaid as of D).
  CompareWithReference(dir_ + "/x", "2022-06-30");
}

TEST_F(ReferenceTest, GzipDeliveryAtTheEndOfTheRangeMatchesDuckDbSql) {
  LlOk({"generate", "--out", dir_ + "/x", "--accounts", "500", "--invoices", "20000", "--seed", "5", "--gzip"});
  CompareWithReference(dir_ + "/x", "2024-12-31");
}

}  // namespace
}  // namespace ledgerlake::e2e
