// Tests of the synthetic extract generator: determinism, the exact headers, and that the data is the clean,
// consistent and realistic delivery docs/data-contract.md describes. The files are parsed with a tiny RFC 4180
// splitter local to this file (not csv/, so the generator is checked independently of the reader).
#include "gen/generator.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace ledgerlake::gen {
namespace {

namespace fs = std::filesystem;
using Record = std::vector<std::string>;

// RFC 4180 records of `text` (LF line ends, quoted fields with doubled quotes and line breaks). Fails the test
// on a malformed record.
std::vector<Record> ParseCsv(const std::string& text) {
  std::vector<Record> records;
  Record record;
  std::string field;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    if (text[i] == '"') {
      ++i;
      for (;;) {
        if (i >= n) {
          ADD_FAILURE() << "unterminated quote";
          return records;
        }
        if (text[i] == '"') {
          if (i + 1 < n && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < n && text[i] != ',' && text[i] != '\n') {
        if (text[i] == '"' || text[i] == '\r') ADD_FAILURE() << "stray quote or CR outside quotes at " << i;
        field += text[i++];
      }
    }
    record.push_back(std::move(field));
    field.clear();
    if (i < n && text[i] == ',') {
      ++i;
      continue;
    }
    if (i < n && text[i] != '\n') {
      ADD_FAILURE() << "garbage after closing quote at " << i;
      return records;
    }
    ++i;  // the line feed (or the end)
    records.push_back(std::move(record));
    record.clear();
  }
  return records;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Gunzip(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr);
  if (f == nullptr) return "";
  std::string out;
  char buf[1 << 16];
  int got;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  EXPECT_EQ(got, 0) << "gzip read error";
  gzclose(f);
  return out;
}

// Where two large texts first differ, for failure messages that do not print megabytes.
std::string Difference(const std::string& a, const std::string& b) {
  if (a == b) return "";
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size()) + ", first difference at byte " +
         std::to_string(at) + ": '" + a.substr(at, 40) + "' vs '" + b.substr(at, 40) + "'";
}

int64_t ToInt(const std::string& s) { return std::stoll(s); }
DayNumber ToDate(const std::string& s) {
  const std::optional<DayNumber> d = ParseIsoDate(s);
  EXPECT_TRUE(d.has_value()) << "bad date '" << s << "'";
  return d.value_or(0);
}

// A scratch directory removed at the end of the test.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::path(testing::TempDir()) / ("ll_gen_" + std::to_string(getpid()) + "_" + name)) {
    fs::remove_all(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const char* const kTables[] = {"accounts", "skus", "invoices", "invoice_line_items"};

GenerateOptions Options(const fs::path& dir) {
  GenerateOptions o;
  o.out_dir = dir.string();
  o.accounts = 3000;
  o.invoices = 40000;  // three blocks: exercises the block ordering
  o.skus = 200;
  return o;
}

// The four tables of one generated delivery, parsed.
struct Delivery {
  std::map<std::string, std::string> text;
  std::map<std::string, std::vector<Record>> rows;  // header removed
  std::map<std::string, Record> header;
};

Delivery Load(const fs::path& dir) {
  Delivery d;
  for (const char* table : kTables) {
    d.text[table] = ReadFile(dir / (std::string(table) + ".csv"));
    std::vector<Record> records = ParseCsv(d.text[table]);
    EXPECT_FALSE(records.empty()) << table;
    if (records.empty()) continue;
    d.header[table] = records.front();
    records.erase(records.begin());
    d.rows[table] = std::move(records);
  }
  return d;
}

class GeneratorTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new ScratchDir("shared");
    Result<std::vector<GeneratedFile>> files = Generate(Options(dir_->path()));
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    files_ = new std::vector<GeneratedFile>(files.value());
    delivery_ = new Delivery(Load(dir_->path()));
  }
  static void TearDownTestSuite() {
    delete delivery_;
    delete files_;
    delete dir_;
  }
  static const std::vector<Record>& Rows(const char* table) { return delivery_->rows.at(table); }

  static ScratchDir* dir_;
  static std::vector<GeneratedFile>* files_;
  static Delivery* delivery_;
};
ScratchDir* GeneratorTest::dir_ = nullptr;
std::vector<GeneratedFile>* GeneratorTest::files_ = nullptr;
Delivery* GeneratorTest::delivery_ = nullptr;

TEST_F(GeneratorTest, HeadersAreExactlyTheContractOnes) {
  EXPECT_EQ(delivery_->text["accounts"].substr(0, delivery_->text["accounts"].find('\n')),
            "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date");
  EXPECT_EQ(delivery_->text["skus"].substr(0, delivery_->text["skus"].find('\n')),
            "item_id,item_name,item_description,item_cost_price,item_retail_price");
  EXPECT_EQ(delivery_->text["invoices"].substr(0, delivery_->text["invoices"].find('\n')),
            "invoice_id,account_id,date_issued,payment_dates");
  EXPECT_EQ(delivery_->text["invoice_line_items"].substr(0, delivery_->text["invoice_line_items"].find('\n')),
            "invoice_id,item_id,quantity");
}

TEST_F(GeneratorTest, ReportsFilesWithTheirRowCountsAndSizes) {
  ASSERT_EQ(files_->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const GeneratedFile& f = (*files_)[i];
    EXPECT_EQ(f.table, kTables[i]);
    EXPECT_EQ(fs::path(f.path), dir_->path() / (f.table + ".csv"));
    EXPECT_EQ(f.bytes, fs::file_size(f.path)) << f.table;
    EXPECT_EQ(f.rows, Rows(kTables[i]).size()) << f.table;
    EXPECT_FALSE(fs::exists(f.path + ".tmp"));
  }
  EXPECT_EQ(Rows("accounts").size(), 3000u);
  EXPECT_EQ(Rows("skus").size(), 200u);
  EXPECT_EQ(Rows("invoices").size(), 40000u);
  const size_t lines = Rows("invoice_line_items").size();
  EXPECT_GT(lines, 40000u * 3);  // 1..6 per invoice: 3.5 on average
  EXPECT_LT(lines, 40000u * 4);
}

TEST_F(GeneratorTest, EveryRowHasTheHeaderWidth) {
  for (const char* table : kTables) {
    for (const Record& r : Rows(table)) ASSERT_EQ(r.size(), delivery_->header.at(table).size()) << table;
  }
}

TEST_F(GeneratorTest, IdsAreDenseAndUnique) {
  const std::pair<const char*, size_t> keyed[] = {{"accounts", 3000}, {"skus", 200}, {"invoices", 40000}};
  for (const auto& [table, n] : keyed) {
    std::vector<int64_t> ids;
    for (const Record& r : Rows(table)) ids.push_back(ToInt(r[0]));
    std::vector<int64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(sorted[i], static_cast<int64_t>(i + 1)) << table;
    if (std::string(table) == "invoices") {
      EXPECT_NE(ids, sorted) << "invoice rows should not come sorted";
    }
  }
}

TEST_F(GeneratorTest, LineItemsReferenceExistingRowsWithOneToSixDistinctSkusAndSomeRepeatedLines) {
  std::map<int64_t, std::set<int64_t>> items;
  std::map<int64_t, std::vector<std::string>> lines;  // per invoice, "item,quantity" in file order
  int64_t negative = 0;
  for (const Record& r : Rows("invoice_line_items")) {
    const int64_t invoice = ToInt(r[0]), sku = ToInt(r[1]), quantity = ToInt(r[2]);
    ASSERT_TRUE(invoice >= 1 && invoice <= 40000) << invoice;
    ASSERT_TRUE(sku >= 1 && sku <= 200) << sku;
    items[invoice].insert(sku);
    lines[invoice].push_back(r[1] + "," + r[2]);
    ASSERT_NE(quantity, 0);
    ASSERT_LE(quantity, 20);
    ASSERT_GE(quantity, -5);
    if (quantity < 0) ++negative;
  }
  EXPECT_EQ(items.size(), 40000u) << "every invoice has line items";
  std::set<size_t> sizes;
  int64_t repeated = 0;
  for (const auto& [invoice, skus] : items) {
    sizes.insert(skus.size());
    const std::vector<std::string>& l = lines[invoice];
    // Distinct skus, except that the last line may appear twice, exactly (one item bought on two lines).
    if (l.size() == skus.size()) continue;
    ASSERT_EQ(l.size(), skus.size() + 1) << "invoice " << invoice;
    ASSERT_EQ(l[l.size() - 1], l[l.size() - 2]) << "invoice " << invoice;
    ++repeated;
  }
  EXPECT_EQ(sizes, (std::set<size_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_GT(repeated, 40000 * 0.01);  // ~2% of invoices
  EXPECT_LT(repeated, 40000 * 0.03);
  const double share = static_cast<double>(negative) / static_cast<double>(Rows("invoice_line_items").size());
  EXPECT_GT(share, 0.005);  // ~1% credit lines
  EXPECT_LT(share, 0.02);
}

TEST_F(GeneratorTest, AccountsLookLikeARealExport) {
  const std::string& text = delivery_->text["accounts"];
  EXPECT_NE(text.find("\"\""), std::string::npos) << "some doubled quotes";
  int multiline = 0, comma_in_name = 0, leap_day = 0, genders_empty = 0;
  std::set<std::string> genders;
  const DayNumber first = DaysFromCivil({2019, 1, 1}), last = DaysFromCivil({2024, 12, 31});
  for (const Record& r : Rows("accounts")) {
    if (r[2].find('\n') != std::string::npos) ++multiline;
    if (r[1].find(',') != std::string::npos) ++comma_in_name;
    genders.insert(r[5]);
    if (r[5].empty()) ++genders_empty;
    const DayNumber join = ToDate(r[6]);
    EXPECT_GE(join, first);
    EXPECT_LE(join, last);
    const CivilDate c = CivilFromDays(join);
    if (c.month == 2 && c.day == 29) ++leap_day;
  }
  EXPECT_GT(multiline, 1000);
  EXPECT_GT(comma_in_name, 10);
  EXPECT_GT(leap_day, 2);
  EXPECT_GT(genders_empty, 10);
  EXPECT_EQ(genders, (std::set<std::string>{"", "F", "M"}));
}

TEST_F(GeneratorTest, SkuPricesHaveTwoDecimalsAndRetailAboveCost) {
  int quoted_descriptions = 0;
  for (const Record& r : Rows("skus")) {
    for (const std::string* price : {&r[3], &r[4]}) {
      ASSERT_GE(price->size(), 4u);
      ASSERT_EQ((*price)[price->size() - 3], '.') << *price;
      ASSERT_EQ(price->find('-'), std::string::npos) << *price;
    }
    const auto cents = [](const std::string& p) {
      return std::stoll(p.substr(0, p.size() - 3)) * 100 + std::stoll(p.substr(p.size() - 2));
    };
    EXPECT_GT(cents(r[4]), cents(r[3]));
    if (r[2].find_first_of(",\"") != std::string::npos) ++quoted_descriptions;
  }
  EXPECT_GT(quoted_descriptions, 50);
}

TEST_F(GeneratorTest, InvoicesHaveSkewedActivityAndRealisticPayments) {
  std::map<int64_t, DayNumber> joining;
  for (const Record& r : Rows("accounts")) joining[ToInt(r[0])] = ToDate(r[6]);
  std::map<int64_t, int> per_account;
  std::set<std::pair<int64_t, DayNumber>> account_days;
  int unpaid = 0, on_30 = 0, on_31 = 0, before_joining = 0, same_day = 0;
  for (const Record& r : Rows("invoices")) {
    const int64_t account = ToInt(r[1]);
    ASSERT_TRUE(joining.count(account)) << "invoice of unknown account " << account;
    const DayNumber issued = ToDate(r[2]);
    ++per_account[account];
    if (!account_days.insert({account, issued}).second) ++same_day;
    if (issued < joining[account]) ++before_joining;
    if (r[3].empty()) {
      ++unpaid;
      continue;
    }
    const DayNumber delay = ToDate(r[3]) - issued;
    ASSERT_GE(delay, 0);
    ASSERT_LE(delay, 60);
    on_30 += delay == 30;
    on_31 += delay == 31;
  }
  const double n = 40000;
  EXPECT_GT(unpaid / n, 0.10);
  EXPECT_LT(unpaid / n, 0.25);
  EXPECT_GT(on_30 / n, 0.15);
  EXPECT_GT(on_31 / n, 0.08);
  EXPECT_GT(before_joining, 50);  // ~0.5%
  EXPECT_LT(before_joining, 400);
  EXPECT_GT(same_day, 1000);
  int max_invoices = 0;
  for (const auto& [account, count] : per_account) max_invoices = std::max(max_invoices, count);
  EXPECT_LT(per_account.size(), 3000u * 95 / 100) << "some accounts have no invoices";
  EXPECT_GT(max_invoices, 20 * 40000 / 3000) << "some accounts are much busier than average";
}

TEST(GeneratorDeterminism, SameSeedSameBytesWhateverTheThreads) {
  ScratchDir a("det_a"), b("det_b"), c("det_c");
  GenerateOptions o = Options(a.path());
  o.threads = 1;
  ASSERT_TRUE(Generate(o).ok());
  o.out_dir = b.path().string();
  o.threads = 5;
  ASSERT_TRUE(Generate(o).ok());
  o.out_dir = c.path().string();
  o.seed = 43;
  ASSERT_TRUE(Generate(o).ok());
  for (const char* table : kTables) {
    const std::string name = std::string(table) + ".csv";
    const std::string first = ReadFile(a.path() / name);
    EXPECT_EQ(Difference(first, ReadFile(b.path() / name)), "") << table;
    EXPECT_NE(Difference(first, ReadFile(c.path() / name)), "") << table;
  }
}

TEST(GeneratorGzip, DecompressesToThePlainBytes) {
  ScratchDir plain("plain"), packed("packed");
  GenerateOptions o = Options(plain.path());
  ASSERT_TRUE(Generate(o).ok());
  o.out_dir = packed.path().string();
  o.gzip = true;
  Result<std::vector<GeneratedFile>> files = Generate(o);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const GeneratedFile& f : files.value()) {
    EXPECT_EQ(fs::path(f.path).filename(), f.table + ".csv.gz");
    EXPECT_EQ(f.bytes, fs::file_size(f.path));
    const std::string original = ReadFile(plain.path() / (f.table + ".csv"));
    EXPECT_LT(f.bytes, original.size() / 2) << f.table;
    EXPECT_EQ(Difference(Gunzip(f.path), original), "") << f.table;
  }
}

TEST(GeneratorEdgeCases, EmptyTablesStillHaveHeaders) {
  ScratchDir dir("empty");
  GenerateOptions o;
  o.out_dir = (dir.path() / "nested" / "out").string();  // created when missing
  o.accounts = 0;
  o.invoices = 0;
  o.skus = 0;
  Result<std::vector<GeneratedFile>> files = Generate(o);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const GeneratedFile& f : files.value()) {
    EXPECT_EQ(f.rows, 0u);
    const std::string text = ReadFile(f.path);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << f.table;
  }
}

TEST(GeneratorEdgeCases, FewSkusStillGiveDistinctItems) {
  ScratchDir dir("few_skus");
  GenerateOptions o;
  o.out_dir = dir.path().string();
  o.accounts = 1;
  o.skus = 2;
  o.invoices = 500;
  ASSERT_TRUE(Generate(o).ok());
  std::vector<Record> lines = ParseCsv(ReadFile(dir.path() / "invoice_line_items.csv"));
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 1; i < lines.size(); ++i) {
    const bool repeat = i > 1 && lines[i] == lines[i - 1];  // the last line again, exactly
    ASSERT_TRUE(seen.insert({lines[i][0], lines[i][1]}).second || repeat) << "line " << i;
    ASSERT_TRUE(lines[i][1] == "1" || lines[i][1] == "2");
  }
}

TEST(GeneratorEdgeCases, RefusesImpossibleOptions) {
  GenerateOptions o;
  o.out_dir = "";
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kInvalidArgument);
  o.out_dir = "/tmp/never-written";
  o.accounts = 0;
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kInvalidArgument);
  o.accounts = 10;
  o.skus = 0;
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kInvalidArgument);
  o.skus = 10;
  o.first_day = o.last_day + 1;
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kInvalidArgument);
  o.first_day = o.last_day;
  o.invoices = -1;
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(fs::exists("/tmp/never-written"));
}

TEST(GeneratorEdgeCases, UnwritableDirectoryIsAnIoError) {
  GenerateOptions o;
  o.out_dir = "/proc/ledgerlake-cannot-write-here";
  EXPECT_EQ(Generate(o).status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace ledgerlake::gen
