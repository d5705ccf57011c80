// What ingest refuses, and says: files the dialect cannot read correctly are refused whole with a message that
// says what is wrong (line endings, encodings, a header that does not match the rows, things that are not files),
// never read as something else; and a header of thousands of extra columns gives a short note.
#include <sys/stat.h>

#include "e2e/harness.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

class IngestTest : public ScratchTest {};

TEST_F(IngestTest, FilesThatWouldBeMisreadAreRefusedWholeSayingWhy) {
  LlOk({"init"});
  const std::string header = "invoice_id,account_id,date_issued,payment_dates";
  const struct {
    const char* name;
    std::string bytes;
    const char* message;
  } cases[] = {
      {"cr_only", header + "\r1,1,2024-01-01,\r2,1,2024-01-02,2024-01-03\r", "lines end in CR alone"},
      {"cr_cr_lf", header + "\r\r\n1,1,2024-01-01,2024-01-05\r\r\n", "ends in CR CR LF"},
      {"double_bom", "\xEF\xBB\xBF\xEF\xBB\xBF" + header + "\n1,1,2024-01-01,\n", "two UTF-8 byte-order marks"},
      {"utf16le", std::string("\xFF\xFE", 2) + std::string("i\0n\0v\0", 6), "UTF-16 (little-endian)"},
      {"utf16be", std::string("\xFE\xFF", 2) + std::string("\0i\0n\0v", 6), "UTF-16 (big-endian)"},
      {"utf32le", std::string("\xFF\xFE\0\0", 4) + std::string("i\0\0\0", 4), "UTF-32 (little-endian)"},
      {"utf16_no_bom", std::string("i\0n\0v\0o\0i\0c\0e\0_\0i\0d\0\n\0", 22), "UTF-16 or UTF-32 text without a byte-order mark"},
      // A header with one column more than the rows: the multi-line addresses would break into fragments.
      {"header_wider", "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date,x\n"
                       "1,A,\"1 St\nTown\",P,1,F,2024-01-01\n2,B,\"2 St\nTown\",P,1,F,2024-01-01\n",
       "do not have the header's shape"},
      {"header_narrower", "account_id,company_name,joining_date\n1,A,x,2024-01-01\n2,B,y,2024-01-01\n3,C,z,2024-01-01\n",
       "3 have 4 fields where the header has 3"},
  };
  for (const auto& c : cases) {
    const std::string table = std::string(c.name).starts_with("header") ? "accounts" : "invoices";
    const std::string path = dir_ + "/in/" + table + "_" + c.name + ".csv";
    WriteFile(path, c.bytes);
    const CommandResult r = Ll({"ingest", path, "--table", table});
    EXPECT_EQ(r.exit_code, 1) << c.name << ": " << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.name << ": " << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << c.name << ": one line: " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '/'), std::count(path.begin(), path.end(), '/'))
        << c.name << ": the path once: " << r.err;
  }
  EXPECT_EQ(LlOk({"catalog", "tables"}).find("invoices"), std::string::npos) << "nothing was landed";
}

TEST_F(IngestTest, ThingsThatAreNotFilesAreNamedAsSuch) {
  LlOk({"init"});
  ASSERT_EQ(::mkfifo((dir_ + "/pipe.csv").c_str(), 0600), 0);
  for (const std::string& path : {dir_ + "/pipe.csv", std::string("/dev/zero")}) {
    const CommandResult r = Ll({"ingest", path, "--table", "invoices"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  }
  CommandResult r = Ll({"ingest", dir_ + "/missing.csv"});
  EXPECT_NE(r.err.find("no such file or directory"), std::string::npos) << r.err;
  // A truncated gzip file: named once.
  WriteGzip(dir_ + "/t/invoices.csv.gz", "invoice_id,account_id,date_issued\n1,1,2024-01-01\n");
  const std::string gz = ReadFile(dir_ + "/t/invoices.csv.gz");
  WriteFile(dir_ + "/t/invoices.csv.gz", gz.substr(0, gz.size() / 2));
  r = Ll({"ingest", dir_ + "/t/invoices.csv.gz"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("truncated gzip"), std::string::npos) << r.err;
  const std::string name = dir_ + "/t/invoices.csv.gz";
  EXPECT_EQ(r.err.find(name), r.err.rfind(name)) << "named once: " << r.err;
}

TEST_F(IngestTest, ThousandsOfExtraColumnsMakeAShortNote) {
  LlOk({"init"});
  std::string header = "account_id,joining_date", row = "1,2024-01-01";
  for (int i = 0; i < 10000; ++i) {
    header += ",extra" + std::to_string(i);
    row += ",v";
  }
  WriteFile(dir_ + "/accounts.csv", header + "\n" + row + "\n");
  const std::string out = LlOk({"ingest", dir_ + "/accounts.csv"});
  EXPECT_NE(out.find("note: 10000 extra columns kept in the raw zone, not used: extra0, extra1,"), std::string::npos)
      << out.substr(0, 300);
  EXPECT_NE(out.find("and 9990 more"), std::string::npos);
  EXPECT_LT(out.size(), 1000u);
}

}  // namespace
}  // namespace ledgerlake::e2e
