// RowValidator against docs/data-contract.md: each record of a file becomes exactly one typed row or one reject
// with the contract's reason code, its line, a readable detail and its raw text; the content hash tells exact
// repeats by value; optional columns may be absent; the payment column decides Payment.
#include "contract/validator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "csv/record_reader.h"

namespace ledgerlake::contract {
namespace {

// The records of `csv` (header first) decoded for `table` as Decode would; one entry per record.
template <typename Row>
struct Decoded {
  bool valid;
  ValidRow<Row> row;
  Reject reject;
};

template <typename Row>
std::vector<Decoded<Row>> DecodeAll(TableId table, const std::string& csv, HeaderMap* header_out = nullptr) {
  csv::RecordReader reader(csv::ByteSource::FromString(csv));
  EXPECT_TRUE(reader.ReadHeader().ok());
  auto header = MapHeader(table, reader.header());
  EXPECT_TRUE(header.ok()) << header.status().message();
  if (header_out != nullptr) *header_out = *header;
  RowValidator v(table, 7, *header);
  std::vector<Decoded<Row>> out;
  csv::RecordBatch batch;
  for (;;) {
    EXPECT_TRUE(reader.NextBatch(batch).ok());
    if (batch.size() == 0) break;
    for (size_t i = 0; i < batch.size(); ++i) {
      Decoded<Row> d{};
      d.valid = v.Decode(batch, i, &d.row, &d.reject);
      out.push_back(std::move(d));
    }
  }
  return out;
}

TEST(ValidatorTest, EveryReasonCodeOfTheContract) {
  const auto rows = DecodeAll<SkuRow>(TableId::kSkus,
                                      "item_id,item_name,item_description,item_cost_price,item_retail_price\n"
                                      "10,Pipe,\"15mm, copper\",5.00,7.50\n"  // line 2: valid
                                      "x11,Tap,t,1.00,2.00\n"                 // 3: bad_integer
                                      "12,Valve,v,1.00,2.005\n"               // 4: bad_decimal (3 places)
                                      "13,Hose,h,1.00,abc\n"                  // 5: bad_decimal
                                      "14,Seal,s,-1.00,2.00\n"                // 6: negative_price (cost)
                                      "15,Seal,s,,-2.00\n"                    // 7: negative_price (retail)
                                      ",Ring,r,1.00,2.00\n"                   // 8: missing_required
                                      "16,Ring,r,1.00,  \n"                   // 9: missing_required (blank)
                                      "17,Ring,r,1.00\n"                      // 10: column_count
                                      "18,\"Bad \xff\",r,1.00,2.00\n"         // 11: invalid_utf8
                                      "19,\"open,r,1.00,2.00\n");             // 12: unterminated_quote
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_TRUE(rows[0].valid);
  EXPECT_EQ(rows[0].row.row.item_id, 10);
  EXPECT_EQ(rows[0].row.row.retail_cents, 750);
  const std::pair<const char*, uint64_t> expected[] = {
      {"bad_integer", 3},      {"bad_decimal", 4},     {"bad_decimal", 5},  {"negative_price", 6},
      {"negative_price", 7},   {"missing_required", 8}, {"missing_required", 9}, {"column_count", 10},
      {"invalid_utf8", 11},    {"unterminated_quote", 12}};
  for (size_t i = 0; i < std::size(expected); ++i) {
    const auto& d = rows[i + 1];
    ASSERT_FALSE(d.valid) << "record " << i + 1;
    EXPECT_EQ(ReasonCode(d.reject.reason), expected[i].first) << d.reject.record;
    EXPECT_EQ(d.reject.line, expected[i].second) << d.reject.record;
    EXPECT_EQ(d.reject.table, TableId::kSkus);
    EXPECT_EQ(d.reject.file, 7u);
    EXPECT_FALSE(d.reject.detail.empty());
  }
  // Details name the column and the value; raw text is kept exactly, invalid bytes escaped.
  EXPECT_EQ(rows[1].reject.detail, "item_id: 'x11' is not an integer");
  EXPECT_EQ(rows[2].reject.detail, "item_retail_price: '2.005' has more than 2 decimal places");
  EXPECT_EQ(rows[4].reject.detail, "item_cost_price: '-1.00' is negative");
  EXPECT_EQ(rows[6].reject.detail, "required item_id is empty");
  EXPECT_EQ(rows[8].reject.detail, "expected 5 fields, found 4");
  EXPECT_EQ(rows[1].reject.record, "x11,Tap,t,1.00,2.00");
  EXPECT_EQ(rows[9].reject.record, "18,\"Bad \\xFF\",r,1.00,2.00");
}

TEST(ValidatorTest, DatesTimestampsAndThePaymentColumn) {
  const auto rows = DecodeAll<InvoiceRow>(TableId::kInvoices,
                                          "invoice_id,account_id,date_issued,payment_date\n"
                                          "1,5,2024-01-10,2024-02-05\n"
                                          "2,5,2024-01-10 08:30:00,\n"         // a timestamp is its date; unpaid
                                          "3,5,2024-01-10T23:59:59.5+10:00,2024-01-11\n"
                                          "4,5,2024-02-30,\n"                  // bad_date
                                          "5,5,10/01/2024,\n"                  // bad_date
                                          "6,5,2024-01-10,soon\n");            // bad_date (payment)
  ASSERT_EQ(rows.size(), 6u);
  const DayNumber jan10 = *ParseIsoDate("2024-01-10");
  for (int i : {0, 1, 2}) {
    ASSERT_TRUE(rows[i].valid) << i << ": " << rows[i].reject.detail;
    EXPECT_EQ(rows[i].row.row.date_issued, jan10);
    EXPECT_EQ(rows[i].row.row.account_id, 5);
  }
  EXPECT_EQ(rows[0].row.row.payment, Payment::kPaid);
  EXPECT_EQ(rows[0].row.row.payment_date, *ParseIsoDate("2024-02-05"));
  EXPECT_EQ(rows[1].row.row.payment, Payment::kUnpaid);
  EXPECT_EQ(rows[1].row.row.payment_date, kNoDate);
  for (int i : {3, 4, 5}) {
    ASSERT_FALSE(rows[i].valid);
    EXPECT_EQ(ReasonCode(rows[i].reject.reason), "bad_date");
  }
  // Without a payment column the outcome is unknowable.
  const auto none = DecodeAll<InvoiceRow>(TableId::kInvoices, "invoice_id,account_id,date_issued\n1,5,2024-01-10\n");
  ASSERT_TRUE(none[0].valid);
  EXPECT_EQ(none[0].row.row.payment, Payment::kNoColumn);
}

TEST(ValidatorTest, ColumnsByNameInAnyOrderWithExtrasAndOptionalsAbsent) {
  HeaderMap header;
  const auto rows = DecodeAll<AccountRow>(TableId::kAccounts,
                                          "Joining_Date ,region,ACCOUNT_ID\n"
                                          "2024-02-29,North, 42 \n",
                                          &header);
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0].valid) << rows[0].reject.detail;
  EXPECT_EQ(rows[0].row.row.account_id, 42);
  EXPECT_EQ(rows[0].row.row.joining_date, *ParseIsoDate("2024-02-29"));
  EXPECT_EQ(header.unknown_columns, std::vector<std::string>{"region"});
  EXPECT_FALSE(MapHeader(TableId::kAccounts, {"account_id"}).ok()) << "joining_date is required";
}

TEST(ValidatorTest, ContentHashComparesTypedValuesByValueAndOtherFieldsByText) {
  const auto rows = DecodeAll<LineItemRow>(TableId::kLineItems,
                                           "invoice_id,item_id,quantity,note\n"
                                           "100,10,4,a\n"
                                           "100,010, 4 ,a\n"  // the same values written differently
                                           "100,10,4,b\n"     // an extra column differs
                                           "100,10,5,a\n"     // the quantity differs
                                           "100,10,4,\n");    // the extra column is NULL
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& d : rows) ASSERT_TRUE(d.valid) << d.reject.detail;
  EXPECT_EQ(rows[0].row.content_hash, rows[1].row.content_hash);
  EXPECT_NE(rows[0].row.content_hash, rows[2].row.content_hash);
  EXPECT_NE(rows[0].row.content_hash, rows[3].row.content_hash);
  EXPECT_NE(rows[0].row.content_hash, rows[4].row.content_hash);
  EXPECT_EQ(rows[1].row.row.item_id, 10);
  EXPECT_EQ(rows[1].row.row.quantity, 4);
  EXPECT_EQ(rows[0].row.location.line, 2u);
  EXPECT_EQ(rows[4].row.location.line, 6u);
}

// A record is decoded on one of two paths: one for records with nothing unusual, one that checks everything
// (blanks, signs, quoting, timestamps). Equal values give equal rows and hashes whichever path each took.
TEST(ValidatorTest, BothDecodingPathsGiveTheSameRowsAndHashes) {
  const auto rows = DecodeAll<InvoiceRow>(TableId::kInvoices,
                                          "invoice_id,account_id,date_issued,payment_dates\n"
                                          "7,12345678,2024-01-05,\n"
                                          "\"7\",+12345678,2024-01-05T10:00:00, \n"
                                          "007,\"1234\"\"5678\",2024-01-05 ,\n"  // escaped: not an integer
                                          "7,12345678,2024-01-05,2024-02-01\n"
                                          "7,123456789012,2024-01-05,2024-02-01 08:00:00\n");
  ASSERT_EQ(rows.size(), 5u);
  ASSERT_TRUE(rows[0].valid && rows[1].valid && rows[3].valid && rows[4].valid);
  EXPECT_FALSE(rows[2].valid);
  EXPECT_EQ(rows[2].reject.reason, RejectReason::kBadInteger);
  EXPECT_EQ(rows[0].row.content_hash, rows[1].row.content_hash);
  EXPECT_EQ(rows[1].row.row.account_id, 12345678);
  EXPECT_EQ(rows[1].row.row.payment, Payment::kUnpaid);
  EXPECT_NE(rows[0].row.content_hash, rows[3].row.content_hash);
  EXPECT_EQ(rows[3].row.row.payment_date, rows[0].row.row.date_issued + 27);
  EXPECT_EQ(rows[4].row.row.account_id, 123456789012);
  EXPECT_EQ(rows[4].row.row.payment_date, rows[3].row.row.payment_date);
}

TEST(ValidatorTest, PeekKeyReadsTheFirstContractColumnOfWellFormedRecordsOnly) {
  csv::RecordReader reader(csv::ByteSource::FromString("account_id,invoice_id,date_issued\n5,77,2024-01-01\n5,x,2024-01-01\n5,78\n"));
  ASSERT_TRUE(reader.ReadHeader().ok());
  auto header = MapHeader(TableId::kInvoices, reader.header());
  ASSERT_TRUE(header.ok());
  RowValidator v(TableId::kInvoices, 1, *header);
  csv::RecordBatch batch;
  ASSERT_TRUE(reader.NextBatch(batch).ok());
  ASSERT_EQ(batch.size(), 3u);
  int64_t key = 0;
  EXPECT_TRUE(v.PeekKey(batch, 0, &key));
  EXPECT_EQ(key, 77);  // invoice_id, wherever it stands
  EXPECT_FALSE(v.PeekKey(batch, 1, &key));
  EXPECT_FALSE(v.PeekKey(batch, 2, &key));  // a short record
}

}  // namespace
}  // namespace ledgerlake::contract
