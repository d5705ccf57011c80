#include "duck/format.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "duck/test_support.h"

namespace ledgerlake::duck {
namespace {

using testing::DuckTest;

class FormatTest : public DuckTest {
 protected:
  std::string Format(const std::string& sql, OutputFormat format) {
    Result<QueryResult> q = con().Query(sql);
    if (!q.ok()) {
      ADD_FAILURE() << q.status().ToString();
      return "";
    }
    std::ostringstream out;
    Status st = FormatResult(*q, format, out);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out.str();
  }
};

// The docs/features.md worked example's shape: integers, a decimal, a date, a double, a string, and NULLs.
constexpr const char* kInvoices =
    "SELECT * FROM (VALUES (100, 'Acme', 89.99::DECIMAL(18,2), DATE '2024-11-24', 80.0::DOUBLE),"
    " (104, NULL, 0.00::DECIMAL(18,2), NULL, NULL), (1000, 'Zürich', -12.34, DATE '1969-12-31', -0.5))"
    " t(inv_id, name, total, day, avg) ORDER BY inv_id";

TEST_F(FormatTest, TableAlignsNumbersRightAndCountsRows) {
  EXPECT_EQ(Format(kInvoices, OutputFormat::kTable),
            "+--------+--------+--------+------------+------+\n"
            "| inv_id | name   |  total | day        |  avg |\n"
            "+--------+--------+--------+------------+------+\n"
            "|    100 | Acme   |  89.99 | 2024-11-24 | 80.0 |\n"
            "|    104 | NULL   |   0.00 | NULL       | NULL |\n"
            "|   1000 | Zürich | -12.34 | 1969-12-31 | -0.5 |\n"
            "+--------+--------+--------+------------+------+\n"
            "3 rows\n");
}

TEST_F(FormatTest, TableShowsControlCharactersAndSingularFooter) {
  EXPECT_EQ(Format("SELECT 'a\nb' AS s, true AS flag", OutputFormat::kTable),
            "+------+------+\n"
            "| s    | flag |\n"
            "+------+------+\n"
            "| a\\nb | true |\n"
            "+------+------+\n"
            "1 row\n");
  EXPECT_EQ(Format("SELECT 1 AS long_name WHERE false", OutputFormat::kTable),
            "+-----------+\n"
            "| long_name |\n"
            "+-----------+\n"
            "+-----------+\n"
            "0 rows\n");
}

TEST_F(FormatTest, CsvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(Format(kInvoices, OutputFormat::kCsv),
            "inv_id,name,total,day,avg\n"
            "100,Acme,89.99,2024-11-24,80.0\n"
            "104,,0.00,,\n"
            "1000,Zürich,-12.34,1969-12-31,-0.5\n");
  EXPECT_EQ(Format("SELECT 'a,b' AS \"x,y\", 'say \"hi\"' AS q, 'line1\nline2' AS lf, 'cr\rhere' AS cr, '' AS empty,"
                   " NULL::VARCHAR AS missing, ' padded ' AS spaces",
                   OutputFormat::kCsv),
            "\"x,y\",q,lf,cr,empty,missing,spaces\n"
            "\"a,b\",\"say \"\"hi\"\"\",\"line1\nline2\",\"cr\rhere\",\"\",, padded \n");
  EXPECT_EQ(Format("SELECT 1 AS a WHERE false", OutputFormat::kCsv), "a\n");
}

TEST_F(FormatTest, JsonNumbersStayNumbers) {
  EXPECT_EQ(Format(kInvoices, OutputFormat::kJson),
            "[\n"
            "{\"inv_id\":100,\"name\":\"Acme\",\"total\":89.99,\"day\":\"2024-11-24\",\"avg\":80.0},\n"
            "{\"inv_id\":104,\"name\":null,\"total\":0.00,\"day\":null,\"avg\":null},\n"
            "{\"inv_id\":1000,\"name\":\"Zürich\",\"total\":-12.34,\"day\":\"1969-12-31\",\"avg\":-0.5}\n"
            "]\n");
}

TEST_F(FormatTest, JsonSpecialValuesAndEscaping) {
  EXPECT_EQ(Format("SELECT 'nan'::DOUBLE AS n, 'inf'::DOUBLE AS i, '-inf'::DOUBLE AS ni, 1e20::DOUBLE AS big,"
                   " true AS t, 170141183460469231731687303715884105727::HUGEINT AS h,"
                   " 9999999999999999.99::DECIMAL(18,2) AS d, 'q\"b\\s\nt\tc' || chr(1) AS s, [1, 2] AS l,"
                   " NULL::INTEGER AS z, 1.5::FLOAT AS f",
                   OutputFormat::kJson),
            "[\n"
            "{\"n\":null,\"i\":null,\"ni\":null,\"big\":1e+20,\"t\":true,"
            "\"h\":170141183460469231731687303715884105727,\"d\":9999999999999999.99,"
            "\"s\":\"q\\\"b\\\\s\\nt\\tc\\u0001\",\"l\":\"[1, 2]\",\"z\":null,\"f\":1.5}\n"
            "]\n");
  EXPECT_EQ(Format("SELECT 1 AS \"we\"\"ird\" WHERE false", OutputFormat::kJson), "[]\n");
  EXPECT_EQ(Format("SELECT 1 AS \"we\"\"ird\"", OutputFormat::kJson), "[\n{\"we\\\"ird\":1}\n]\n");
}

TEST_F(FormatTest, ErrorsWhileStreamingAreReturned) {
  for (OutputFormat format : {OutputFormat::kTable, OutputFormat::kCsv, OutputFormat::kJson}) {
    Result<QueryResult> q = con().Query(
        "SELECT CASE WHEN x = 2500000 THEN error('mid-stream') ELSE x END AS v FROM range(3000000) t(x)");
    if (!q.ok()) {  // DuckDB may also fail before handing out the first chunk
      EXPECT_NE(q.status().message().find("mid-stream"), std::string::npos);
      continue;
    }
    std::ostringstream out;
    Status st = FormatResult(*q, format, out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("mid-stream"), std::string::npos) << st.message();
  }
}

TEST_F(FormatTest, FailingStreamIsAnIOError) {
  Result<QueryResult> q = con().Query("SELECT 1 AS a");
  ASSERT_TRUE(q.ok());
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  Status st = FormatResult(*q, OutputFormat::kCsv, out);
  EXPECT_EQ(st.code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace ledgerlake::duck
