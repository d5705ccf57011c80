// Dirty data through the binary: every row's fate (docs/data-contract.md) with exact counts, the rejects dataset,
// and a second delivery that upserts, replaces line-item groups and releases pending rows.
#include <nlohmann/json.hpp>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

void ExpectCounts(const json& report, const char* table, int read, int accepted, int rejected, int duplicate,
                  int pending) {
  const json& t = report["tables"][table];
  EXPECT_EQ(t["read"], read) << table;
  EXPECT_EQ(t["accepted"], accepted) << table;
  EXPECT_EQ(t["rejected"], rejected) << table;
  EXPECT_EQ(t["duplicate"], duplicate) << table;
  EXPECT_EQ(t["pending"], pending) << table;
}

class FatesTest : public ScratchTest {
 protected:
  void WriteDirtyDelivery() {
    WriteFile(dir_ + "/d1/accounts.csv",
              "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date\n"
              "1,Acme,\"1 Main St\nRichmond\",Jo,1,F,2023-02-28\n"  // lines 2-3: accepted
              "2,Beta,2 High St,Al,2,M,2024-02-29\n"                // 4 accepted
              "2,Beta,2 High St,Al,2,M,2024-02-29\n"                // 5 duplicate
              "3,Gamma,3 Low St,Kim,3,,2024-13-01\n"                // 6 bad_date
              "x4,Delta,4 St,D,4,F,2024-01-01\n"                    // 7 bad_integer
              ",Eps,5 St,E,5,F,2024-01-01\n"                        // 8 missing_required
              "5,Zeta,6 St,Z,6,F\n"                                 // 9 column_count
              "6,Eta,7 St,H,7,F,2024-01-01\n"                       // 10 duplicate_key (12 wins)
              "7,\"Theta \xff\",8 St,T,8,F,2024-01-01\n"            // 11 invalid_utf8
              "6,Eta Corp,7 St,H,7,F,2024-01-01\n"                  // 12 accepted
              "8,\"Iota,9 St,I,9,F,2024-01-01\n"                    // 13 unterminated_quote
              "9,Kappa,10 St,K,10,M,2024-01-01\n");                 // 14 accepted
    WriteFile(dir_ + "/d1/skus.csv",
              "item_id,item_name,item_description,item_cost_price,item_retail_price\n"
              "10,Pipe,\"15mm, copper\",5.00,7.50\n"           // 2 accepted
              "11,Tap,\"Chrome \"\"Deluxe\"\"\",40.00,59.999\n"  // 3 bad_decimal
              "12,Valve,v,-1.00,3.00\n"                         // 4 negative_price
              "13,Hose,h,,-2.00\n"                              // 5 negative_price
              "14,Seal,s,,0.99\n");                             // 6 accepted
    WriteFile(dir_ + "/d1/invoices.csv",
              "\xEF\xBB\xBFinvoice_id,account_id,date_issued,payment_date\r\n"
              "100,1,2024-01-10 08:30:00,2024-02-05\r\n"  // 2 accepted (a timestamp is its date)
              "101,1,2024-05-09,\r\n"                     // 3 accepted, unpaid
              "102,99,2024-05-09,\r\n"                    // 4 pending: account 99 unknown
              "103,2,not-a-date,\r\n"                     // 5 bad_date
              "104,6,2024-06-01,2024-06-01\r\n"           // 6 accepted
              "104,6,2024-06-01,2024-06-01");             // 7 duplicate, no final newline
    WriteFile(dir_ + "/d1/invoice_line_items.csv",
              "invoice_id,item_id,quantity\n"
              "100,10,4\n"    // 2 accepted
              "100,10,4\n"    // 3 accepted: the same item again, a second line (line items have no key)
              "100,14,-1\n"   // 4 accepted: a credit line
              "101,11,1\n"    // 5 pending: sku 11 was rejected
              "555,10,1\n"    // 6 pending: invoice unknown
              "101,10,1.5\n"  // 7 bad_integer
              "\n");          // a trailing blank line is not a row
  }
};

TEST_F(FatesTest, EveryRowHasExactlyOneFate) {
  WriteDirtyDelivery();
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/d1"});
  const json report = json::parse(LlOk({"run", "--as-of", "2024-11-24", "--json"}));
  ExpectCounts(report, "accounts", 12, 4, 7, 1, 0);
  ExpectCounts(report, "skus", 5, 2, 3, 0, 0);
  ExpectCounts(report, "invoices", 6, 3, 1, 1, 1);
  ExpectCounts(report, "invoice_line_items", 6, 3, 1, 0, 2);
  EXPECT_EQ(report["warnings"]["repeated_line_items"], 1);

  EXPECT_EQ(LlOk({"query", "SELECT table_name, line_number, reason FROM rejects ORDER BY table_name, line_number",
                  "--format", "csv"}),
            "table_name,line_number,reason\n"
            "accounts,6,bad_date\n"
            "accounts,7,bad_integer\n"
            "accounts,8,missing_required\n"
            "accounts,9,column_count\n"
            "accounts,10,duplicate_key\n"
            "accounts,11,invalid_utf8\n"
            "accounts,13,unterminated_quote\n"
            "invoice_line_items,7,bad_integer\n"
            "invoices,5,bad_date\n"
            "skus,3,bad_decimal\n"
            "skus,4,negative_price\n"
            "skus,5,negative_price\n");
  // Raw text is kept exactly, including the demoted duplicate_key row and the broken-quote line.
  EXPECT_EQ(LlOk({"query", "SELECT record FROM rejects WHERE reason IN ('duplicate_key', 'unterminated_quote') ORDER BY line_number",
                  "--format", "csv"}),
            "record\n\"6,Eta,7 St,H,7,F,2024-01-01\"\n\"8,\"\"Iota,9 St,I,9,F,2024-01-01\"\n");
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM rejects WHERE source_file LIKE '%/d1/accounts.csv' AND detail <> ''",
                  "--format", "csv"}),
            "n\n7\n");

  // Pending rows are listed with the key each waits for.
  EXPECT_EQ(LlOk({"query", "SELECT table_name, invoice_id, item_id, missing_table, missing_key FROM pending "
                           "ORDER BY table_name, invoice_id", "--format", "csv"}),
            "table_name,invoice_id,item_id,missing_table,missing_key\n"
            "invoice_line_items,101,11,skus,11\n"
            "invoice_line_items,555,10,invoices,555\n"
            "invoices,102,,accounts,99\n");
  const json pending = json::parse(LlOk({"catalog", "pending", "--json"}));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0]["missing_table"], "accounts");
  EXPECT_EQ(pending[0]["missing_key"], 99);
  EXPECT_NE(pending[0]["source_file"].get<std::string>().find("/d1/invoices.csv"), std::string::npos);

  // Features: 100 = 2 x 4 x 7.50 - 1 x 0.99; 101's only line is pending; 102 is pending itself.
  EXPECT_EQ(LlOk({"query", "SELECT inv_id, acct_id, inv_total, inv_items, is_late FROM invoice_features ORDER BY inv_id",
                  "--format", "csv"}),
            "inv_id,acct_id,inv_total,inv_items,is_late\n"
            "100,1,59.01,7,0\n"
            "101,1,0.00,0,1\n"
            "104,6,0.00,0,0\n");
}

TEST_F(FatesTest, LaterDeliveriesUpsertReplaceGroupsAndReleasePending) {
  WriteDirtyDelivery();
  LlOk({"init"});
  LlOk({"ingest", dir_ + "/d1"});
  LlOk({"run", "--as-of", "2024-11-24"});

  WriteFile(dir_ + "/d2/accounts_delta.csv", "account_id,joining_date\n99,2024-01-01\n");
  WriteFile(dir_ + "/d2/invoices_delta.csv",
            "invoice_id,account_id,date_issued,payment_dates\n101,1,2024-05-09,2024-06-08\n");  // now paid, on time
  WriteGzip(dir_ + "/d2/invoice_line_items_delta.csv.gz", "invoice_id,item_id,quantity\n100,10,1\n102,14,2\n");
  LlOk({"ingest", dir_ + "/d2"});
  const json report = json::parse(LlOk({"run", "--as-of", "2024-11-24", "--json"}));
  ExpectCounts(report, "accounts", 13, 5, 7, 1, 0);
  ExpectCounts(report, "invoices", 7, 5, 1, 1, 0);  // 102 released: account 99 arrived
  // 100's group is replaced by the delta (its first-delivery lines are superseded, still accepted); 555 waits.
  ExpectCounts(report, "invoice_line_items", 8, 5, 1, 0, 2);  // 101 still waits for sku 11
  EXPECT_EQ(LlOk({"query", "SELECT table_name, invoice_id, missing_table, missing_key FROM pending ORDER BY 1, 2",
                  "--format", "csv"}),
            "table_name,invoice_id,missing_table,missing_key\n"
            "invoice_line_items,101,skus,11\n"
            "invoice_line_items,555,invoices,555\n");
  EXPECT_EQ(LlOk({"query", "SELECT inv_id, acct_id, inv_total, inv_items, is_late FROM invoice_features ORDER BY inv_id",
                  "--format", "csv"}),
            "inv_id,acct_id,inv_total,inv_items,is_late\n"
            "100,1,7.50,1,0\n"
            "101,1,0.00,0,0\n"
            "102,99,1.98,2,1\n"
            "104,6,0.00,0,0\n");
}

// A partitioned run (run --partitions N) decodes each row in one pass, from the landed file or from a spill of
// it: every row keeps its fate, and rejects keep their landed file's line numbers and raw text, also for records
// that span lines, for rows demoted to duplicate_key in a spill, and for BOM, CRLF and gzip extracts.
TEST_F(FatesTest, PartitionedRunsGiveEveryRowTheSameFateAndLine) {
  WriteDirtyDelivery();
  // More accounts and invoices, so that every bucket gets multi-line records and duplicate keys.
  std::string accounts = "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date\n";
  std::string invoices = "invoice_id,account_id,date_issued,payment_date\r\n";
  std::string lines = "invoice_id,item_id,quantity\n";
  for (int a = 20; a < 60; ++a) {
    const std::string id = std::to_string(a);
    accounts += id + ",Co " + id + ",\"" + id + " Long Rd\nUnit " + id + "\",P,1,F,2020-01-0" + std::to_string(1 + a % 9) + "\n";
    if (a % 3 == 0) accounts += id + ",Co " + id + " Renamed,x,P,1,F,2020-02-01\n";  // demotes the row above
    if (a % 7 == 0) accounts += id + ",bad,\"multi\nline\",P,1,F,2020-13-01\n";     // bad_date over two lines
  }
  for (int i = 1000; i < 1200; ++i) {
    const std::string id = std::to_string(i);
    invoices += id + "," + std::to_string(20 + i % 40) + ",2024-0" + std::to_string(1 + i % 9) + "-15,\r\n";
    if (i % 5 == 0) invoices += id + "," + std::to_string(20 + (i + 1) % 40) + ",2024-03-01,2024-03-02\r\n";
    if (i % 11 == 0) invoices += id + ",x,2024-03-01,\r\n";  // bad_integer after a good key
    lines += id + ",10," + std::to_string(1 + i % 4) + "\n" + id + ",14,2\n";
    if (i % 13 == 0) lines += id + ",14,2\n";  // an exact repeat
  }
  WriteFile(dir_ + "/d3/accounts_more.csv", accounts);
  WriteGzip(dir_ + "/d3/invoices_more.csv.gz", invoices);
  WriteFile(dir_ + "/d3/invoice_line_items_more.csv", lines);
  const std::string dump =
      "SELECT 'r' AS d, x::VARCHAR AS r FROM rejects x UNION ALL SELECT 'p', x::VARCHAR FROM pending x "
      "UNION ALL SELECT 'i', x::VARCHAR FROM invoice_features x UNION ALL SELECT 'a', x::VARCHAR FROM account_features x "
      "UNION ALL SELECT 'ai', x::VARCHAR FROM account_invoice_features x ORDER BY d, r";
  std::string expected_fates, expected_rows;
  for (int partitions : {1, 2, 3, 5, 8}) {
    SCOPED_TRACE(std::to_string(partitions) + " passes");
    const std::string lake = dir_ + "/lake" + std::to_string(partitions);
    ASSERT_EQ(RunLedgerlake(lake, {"init"}).exit_code, 0);
    for (const char* d : {"/d1", "/d3"}) ASSERT_EQ(RunLedgerlake(lake, {"ingest", dir_ + d}).exit_code, 0);
    const CommandResult run = RunLedgerlake(
        lake, {"run", "--as-of", "2024-11-24", "--json", "--partitions", std::to_string(partitions)});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const json report = json::parse(run.out);
    EXPECT_EQ(report["partitions"], partitions);
    const CommandResult rows = RunLedgerlake(lake, {"query", dump, "--format", "csv"});
    ASSERT_EQ(rows.exit_code, 0) << rows.err;
    if (partitions == 1) {
      expected_fates = report["tables"].dump();
      expected_rows = rows.out;
      const CommandResult demoted = RunLedgerlake(
          lake, {"query", "SELECT count(*) > 20 AS many FROM rejects WHERE reason = 'duplicate_key'", "--format", "csv"});
      EXPECT_EQ(demoted.out, "many\ntrue\n");
      continue;
    }
    EXPECT_EQ(report["tables"].dump(), expected_fates);
    EXPECT_EQ(rows.out, expected_rows);
    // The spill is gone.
    EXPECT_TRUE(fs::is_empty(lake + "/tmp")) << "tmp/ holds what the run spilled";
    // Such a run keeps no state, yet the same day again with nothing new writes nothing.
    const std::string runs = RunLedgerlake(lake, {"catalog", "runs", "--json"}).out;
    const CommandResult again = RunLedgerlake(lake, {"run", "--as-of", "2024-11-24", "--memory-limit", "330MB"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("nothing to apply"), std::string::npos) << again.err;
    EXPECT_EQ(RunLedgerlake(lake, {"catalog", "runs", "--json"}).out, runs);
  }
}

}  // namespace
}  // namespace ledgerlake::e2e
