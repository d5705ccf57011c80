// Feature kernels against docs/features.md: the worked example from its files, then one edge case per test, with
// rows fed straight into the Ledger.
#include "engine/features.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include "contract/values.h"
#include "engine/ledger.h"
#include "engine/line_log.h"
#include "engine/loader.h"

namespace ledgerlake::engine {
namespace {

using contract::Payment;

DayNumber D(const char* s) { return *ParseIsoDate(s); }

class LedgerBuilder {
 public:
  LedgerBuilder& Account(int64_t id, const char* joined, uint32_t file = 0) {
    ledger_.Add(contract::ValidRow<contract::AccountRow>{{id, D(joined)}, Hash(id, joined), Loc()}, file);
    return *this;
  }
  LedgerBuilder& Sku(int64_t id, int64_t cents, uint32_t file = 1) {
    ledger_.Add(contract::ValidRow<contract::SkuRow>{{id, cents}, static_cast<uint64_t>(id * 31 + cents), Loc()}, file);
    return *this;
  }
  LedgerBuilder& Invoice(int64_t id, int64_t account, const char* issued, const char* paid = nullptr,
                         uint32_t file = 2, Payment payment = Payment::kUnpaid) {
    contract::InvoiceRow r{id, account, D(issued), paid ? D(paid) : contract::kNoDate, paid ? Payment::kPaid : payment};
    ledger_.Add(contract::ValidRow<contract::InvoiceRow>{r, static_cast<uint64_t>(id * 7 + account) ^ (paid ? 1u : 0u), Loc()},
                file);
    return *this;
  }
  LedgerBuilder& Line(int64_t invoice, int64_t item, int64_t qty, uint32_t file = 3) {
    if (file != last_line_file_) ledger_.BeginFile(TableId::kLineItems, file);
    last_line_file_ = file;
    ledger_.Add(contract::ValidRow<contract::LineItemRow>{{invoice, item, qty}, LineHash(invoice, item, qty), Loc()}, file);
    return *this;
  }
  void Finish(const char* as_of = "2024-11-24") {
    auto finished = FinishedLedger::Finish(std::move(ledger_), FinishOptions{D(as_of), {}});
    ASSERT_TRUE(finished.ok());
    finished_.emplace(std::move(*finished));
  }
  FeatureSet Compute(const char* as_of) {
    Finish(as_of);
    return ComputeFeatures(*finished_);
  }
  // The ledger taking rows, then (after Finish) the finished one.
  Ledger& applying() { return ledger_; }
  const Ledger& ledger() const { return finished_ ? finished_->ledger() : ledger_; }

 private:
  // The validator hashes a row's values; distinct lines must hash apart.
  static uint64_t LineHash(int64_t invoice, int64_t item, int64_t qty) {
    return std::hash<std::string>{}(std::to_string(invoice) + "," + std::to_string(item) + "," + std::to_string(qty));
  }
  static uint64_t Hash(int64_t id, const char* s) { return static_cast<uint64_t>(id) * 1000003u + std::hash<std::string>{}(s); }
  contract::RowLocation Loc() { return contract::RowLocation{++line_, 0, 0}; }
  Ledger ledger_;
  std::optional<FinishedLedger> finished_;
  uint64_t line_ = 1;
  uint32_t last_line_file_ = UINT32_MAX;
};

size_t RowOf(const InvoiceFeatures& f, int64_t invoice) {
  for (size_t i = 0; i < f.size(); ++i) {
    if (f.invoice_id[i] == invoice) return i;
  }
  ADD_FAILURE() << "invoice " << invoice << " missing";
  return 0;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A value as DuckDB's CSV output writes it (the form of the expected files): NULL empty, money with two places,
// a double in its shortest form with at least one decimal.
std::string Cents(int64_t cents, bool valid) {
  if (!valid) return "";
  char buf[32];
  contract::FormatCents(cents, buf, sizeof buf);
  return buf;
}
std::string Double(double v, bool valid) {
  if (!valid) return "";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  return s.find_first_of(".e") == std::string::npos ? s + ".0" : s;
}
std::string Opt(int64_t v, bool valid) { return valid ? std::to_string(v) : ""; }

// The worked example of docs/features.md, from its files (tests/data/cases/worked_example) through the loader
// into the kernels, against the expected datasets stored beside them.
TEST(FeaturesTest, WorkedExampleOfTheFeatureContract) {
  const std::string dir = std::string(LEDGERLAKE_TESTDATA) + "/cases/worked_example/";
  std::vector<SourceFile> files;
  uint32_t seq = 0;
  for (TableId t : contract::kAllTables) {
    const std::string name = std::string(contract::TableName(t)) + ".csv";
    files.push_back(SourceFile{dir + name, name, t, ++seq});
  }
  Ledger ledger;
  std::vector<contract::Reject> rejects;
  for (TableId t : contract::kAllTables) ASSERT_TRUE(LoadTable(t, files, ledger, rejects).ok());
  EXPECT_TRUE(rejects.empty());
  auto finished = FinishedLedger::Finish(std::move(ledger), FinishOptions{D("2024-11-24"), {}});
  ASSERT_TRUE(finished.ok());
  const FeatureSet f = ComputeFeatures(*finished);

  std::string invoices = "inv_id,acct_id,inv_total,inv_items,acct_age,num_inv_120d,cum_tot_inv_acct,is_late\n";
  std::string account_invoices = "account_id,invoice_id,date_issued,feature_invoice_spending\n";
  const InvoiceFeatures& inv = f.invoices;
  std::vector<size_t> by_id(inv.size());
  for (size_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  std::sort(by_id.begin(), by_id.end(), [&](size_t a, size_t b) { return inv.invoice_id[a] < inv.invoice_id[b]; });
  for (const size_t i : by_id) {
    const std::string total = Cents(inv.total_cents[i], inv.total_valid[i] != 0);
    invoices += fmt::format("{},{},{},{},{},{},{},{}\n", inv.invoice_id[i], inv.account_id[i], total, inv.items[i],
                            inv.account_age[i], inv.num_inv_120d[i], inv.cum_tot_inv_acct[i],
                            Opt(inv.is_late[i], inv.is_late_valid[i] != 0));
    account_invoices += fmt::format("{},{},{},{}\n", inv.account_id[i], inv.invoice_id[i],
                                    FormatIsoDate(inv.date_issued[i]), total);
  }
  std::string accounts =
      "account_id,feature_account_age_day,feature_account_age_year,feature_customer_age_over_one_year,"
      "feature_total_invoices,feature_avg_invoice_interval_day\n";
  const AccountFeatures& a = f.accounts;
  for (size_t i = 0; i < a.size(); ++i) {
    accounts += fmt::format("{},{},{},{},{},{}\n", a.account_id[i], a.age_day[i], a.age_year[i], a.over_one_year[i],
                            a.total_invoices[i], Double(a.avg_interval_day[i], a.avg_interval_valid[i] != 0));
  }
  EXPECT_EQ(invoices, ReadText(dir + "expected_invoice_features.csv"));
  EXPECT_EQ(account_invoices, ReadText(dir + "expected_account_invoice_features.csv"));
  EXPECT_EQ(accounts, ReadText(dir + "expected_account_features.csv"));
}

TEST(FeaturesTest, WindowBoundaryIsInclusiveAt120DaysAndExcludesSameDay) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01");
  // 2024-05-09 minus 120 days is 2024-01-10; 2024-01-09 is 121 days before.
  b.Invoice(1, 1, "2024-01-09").Invoice(2, 1, "2024-01-10").Invoice(3, 1, "2024-05-09").Invoice(4, 1, "2024-05-09");
  b.Invoice(5, 1, "2024-05-10");
  const FeatureSet f = b.Compute("2024-12-31");
  const auto& inv = f.invoices;
  EXPECT_EQ(inv.num_inv_120d[RowOf(inv, 3)], 1);  // only invoice 2; not 1 (121 days), not 4 (same day)
  EXPECT_EQ(inv.num_inv_120d[RowOf(inv, 4)], 1);
  EXPECT_EQ(inv.num_inv_120d[RowOf(inv, 5)], 2);  // 3 and 4; invoice 2 is now 121 days back
  EXPECT_EQ(inv.cum_tot_inv_acct[RowOf(inv, 3)], 3);
  EXPECT_EQ(inv.cum_tot_inv_acct[RowOf(inv, 4)], 4);  // same day: ties broken by invoice_id
}

TEST(FeaturesTest, ThirtyDaysIsOnTimeThirtyOneIsLateUnpaidDependsOnD) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01");
  b.Invoice(1, 1, "2024-01-01", "2024-01-31").Invoice(2, 1, "2024-01-01", "2024-02-01");
  b.Invoice(3, 1, "2024-10-25").Invoice(4, 1, "2024-10-24");  // unpaid: 30 and 31 days old at D
  b.Invoice(5, 1, "2024-01-01", "2023-12-30");  // paid before issue: not late
  const FeatureSet f = b.Compute("2024-11-24");
  const auto& inv = f.invoices;
  EXPECT_EQ(inv.is_late[RowOf(inv, 1)], 0);
  EXPECT_EQ(inv.is_late[RowOf(inv, 2)], 1);
  EXPECT_EQ(inv.is_late_valid[RowOf(inv, 3)], 0);  // not known yet
  EXPECT_EQ(inv.is_late_valid[RowOf(inv, 4)], 1);
  EXPECT_EQ(inv.is_late[RowOf(inv, 4)], 1);
  EXPECT_EQ(inv.is_late[RowOf(inv, 5)], 0);
}

// Labels are point in time: a payment dated after D is not known as of D, so the invoice is unpaid at D.
TEST(FeaturesTest, APaymentDatedAfterDIsNotKnownAsOfD) {
  auto late = [](const char* as_of, const char* issued, const char* paid) -> std::optional<int32_t> {
    LedgerBuilder b;
    b.Account(1, "2020-01-01").Invoice(1, 1, issued, paid);
    const FeatureSet f = b.Compute(as_of);
    if (f.invoices.is_late_valid[0] == 0) return std::nullopt;
    return f.invoices.is_late[0];
  };
  // Issued 2024-11-01, paid 2024-12-20 (49 days: late).
  EXPECT_EQ(late("2024-11-24", "2024-11-01", "2024-12-20"), std::nullopt);  // unpaid at D, 23 days old
  EXPECT_EQ(late("2024-12-01", "2024-11-01", "2024-12-20"), std::nullopt);  // 30 days: not due yet
  EXPECT_EQ(late("2024-12-02", "2024-11-01", "2024-12-20"), 1);             // unpaid at D and overdue
  EXPECT_EQ(late("2024-12-20", "2024-11-01", "2024-12-20"), 1);             // paid on D, late
  // Issued 2024-11-20, paid 2024-11-30 (10 days: on time): unknown until the payment is.
  EXPECT_EQ(late("2024-11-24", "2024-11-20", "2024-11-30"), std::nullopt);
  EXPECT_EQ(late("2024-11-29", "2024-11-20", "2024-11-30"), std::nullopt);
  EXPECT_EQ(late("2024-11-30", "2024-11-20", "2024-11-30"), 0);
  // Paid after exactly 30 days: not late on the day it is paid, not known the day before.
  EXPECT_EQ(late("2024-10-30", "2024-10-01", "2024-10-31"), std::nullopt);
  EXPECT_EQ(late("2024-10-31", "2024-10-01", "2024-10-31"), 0);
}

// The digest a state keeps of an account says when D moving on next changes its rows: for an invoice paid after
// D, both the day it turns overdue and the day its payment becomes known.
TEST(FeaturesTest, ADigestNamesTheDayAPaymentBecomesKnown) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01");
  b.Invoice(1, 1, "2024-11-20", "2024-11-30");  // overdue on 2024-12-21, paid 2024-11-30
  b.Invoice(2, 1, "2024-10-01", "2024-12-20");  // overdue since 2024-11-01, paid 2024-12-20
  b.Finish();
  const InvoiceEntry* e1 = &b.ledger().invoices().at(2);
  const InvoiceEntry* e2 = &b.ledger().invoices().at(1);
  const InvoiceEntry* run[] = {e1, e2};  // (date, id) order
  const AccountDigest d = DigestOf(run, b.ledger().accounts().Find(1), D("2024-11-24"));
  EXPECT_EQ(d.next_change, D("2024-11-30"));
  EXPECT_EQ(d.issued, 2);
  EXPECT_EQ(DigestOf(run, b.ledger().accounts().Find(1), D("2024-11-30")).next_change, D("2024-12-20"));
  EXPECT_EQ(DigestOf(run, b.ledger().accounts().Find(1), D("2024-12-20")).next_change, kNever);
}

TEST(FeaturesTest, NoPaymentColumnMeansNullEvenWhenOld) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01");
  b.Invoice(1, 1, "2021-01-01", nullptr, 2, Payment::kNoColumn);
  const FeatureSet f = b.Compute("2024-11-24");
  EXPECT_EQ(f.invoices.is_late_valid[0], 0);
}

TEST(FeaturesTest, LeapDayJoiningAndAccountsWithoutInvoicesOrNotYetJoined) {
  LedgerBuilder b;
  b.Account(1, "2024-02-29").Account(2, "2025-06-01");
  b.Invoice(1, 2, "2024-12-01");  // account joined after D: invoice kept with negative age, account not listed
  const FeatureSet f = b.Compute("2025-02-28");
  ASSERT_EQ(f.accounts.size(), 1u);
  EXPECT_EQ(f.accounts.age_year[0], 1);  // 29 Feb reaches its anniversary on 28 Feb
  EXPECT_EQ(f.accounts.total_invoices[0], 0);
  EXPECT_EQ(f.accounts.avg_interval_valid[0], 0);
  const FeatureSet g = LedgerBuilder().Account(1, "2024-02-29").Compute("2025-02-27");
  EXPECT_EQ(g.accounts.age_year[0], 0);

  LedgerBuilder c;
  c.Account(2, "2025-01-01").Invoice(1, 2, "2024-12-01");
  const FeatureSet h = c.Compute("2024-12-15");
  ASSERT_EQ(h.invoices.size(), 1u);
  EXPECT_EQ(h.invoices.account_age[0], -31);
  EXPECT_EQ(h.warnings.invoices_before_joining, 1u);
  EXPECT_EQ(h.accounts.size(), 0u);
}

TEST(FeaturesTest, NegativeQuantitiesAreCreditLinesAndInvoicesWithoutLinesAreZero) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01").Sku(10, 1999);
  b.Invoice(1, 1, "2024-01-01").Invoice(2, 1, "2024-01-02");
  b.Line(1, 10, 3).Line(1, 10, -1);
  const FeatureSet f = b.Compute("2024-11-24");
  const auto& inv = f.invoices;
  EXPECT_EQ(inv.total_cents[RowOf(inv, 1)], 3998);
  EXPECT_EQ(inv.items[RowOf(inv, 1)], 2);
  EXPECT_EQ(inv.total_cents[RowOf(inv, 2)], 0);
  EXPECT_EQ(inv.items[RowOf(inv, 2)], 0);
}

TEST(LedgerTest, PendingRowsAndTheirCounts) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01").Sku(10, 100);
  b.Invoice(1, 1, "2024-01-01").Invoice(2, 99, "2024-01-01");  // 2: unknown account
  b.Line(1, 10, 1).Line(1, 77, 1).Line(55, 10, 1);  // unknown sku, unknown invoice
  const FeatureSet f = b.Compute("2024-11-24");
  EXPECT_EQ(f.invoices.size(), 1u);
  EXPECT_EQ(f.invoices.total_cents[0], 100);  // the pending line is not in the total
  const FateCounts& inv = b.ledger().counts(TableId::kInvoices);
  EXPECT_EQ(inv.read, 2u);
  EXPECT_EQ(inv.accepted, 1u);
  EXPECT_EQ(inv.pending, 1u);
  const FateCounts& li = b.ledger().counts(TableId::kLineItems);
  EXPECT_EQ(li.read, 3u);
  EXPECT_EQ(li.accepted, 1u);
  EXPECT_EQ(li.pending, 2u);
}

TEST(LedgerTest, SameFileDuplicatesAndDuplicateKeys) {
  Ledger l;
  using R = contract::ValidRow<contract::AccountRow>;
  l.Add(R{{1, 100}, 11, {2, 0, 5}}, 0);
  l.Add(R{{1, 100}, 11, {3, 6, 5}}, 0);  // exact repeat
  l.Add(R{{1, 200}, 12, {4, 12, 5}}, 0);  // same key, different values: line 2 demoted
  l.Add(R{{1, 300}, 13, {2, 0, 5}}, 1);  // a later file: upsert, not a duplicate_key
  const auto demoted = l.TakeDemoted();
  ASSERT_EQ(demoted.size(), 1u);
  EXPECT_EQ(demoted[0].location.offset, 0u);  // the row of line 2, at offset 0
  EXPECT_EQ(demoted[0].winner_line, 4u);
  auto finished = FinishedLedger::Finish(std::move(l), FinishOptions{0, {}});
  ASSERT_TRUE(finished.ok());
  const FateCounts& c = finished->ledger().counts(TableId::kAccounts);
  EXPECT_EQ(c.read, 4u);
  EXPECT_EQ(c.duplicate, 1u);
  EXPECT_EQ(c.rejected, 1u);
  EXPECT_EQ(c.accepted, 2u);
  EXPECT_EQ(finished->ledger().accounts().at(1).row.joining_date, 300);
}

// Line items have no key: a row repeating an earlier line of its invoice exactly is a second line of the same
// item. It is accepted, counts in the totals, goes to the line log, and is counted as a repeat (a warning).
TEST(LedgerTest, RepeatedLineItemsAreLinesAndAreCounted) {
  const std::string log_path = ::testing::TempDir() + "/repeated.lines";
  auto log = LineLogWriter::Create(log_path);
  ASSERT_TRUE(log.ok());
  LedgerBuilder b;
  b.applying().LogLinesTo(log->get());
  b.Account(1, "2020-01-01").Sku(10, 750).Sku(11, 5999);
  b.Invoice(1, 1, "2024-01-01").Invoice(2, 1, "2024-01-02");
  b.Line(1, 10, 2).Line(1, 10, 2).Line(1, 11, 1);  // 2 x 2 x 7.50 + 59.99
  b.Line(2, 11, 1).Line(2, 11, 1).Line(2, 11, 1);  // 3 x 59.99
  b.Line(2, 10, 1, 4).Line(2, 10, 1, 4);           // a later file replaces 2's group, its repeat counts too
  b.applying().LogLinesTo(nullptr);
  ASSERT_TRUE((*log)->Close().ok());
  const FeatureSet f = b.Compute("2024-11-24");
  EXPECT_EQ(f.invoices.total_cents[RowOf(f.invoices, 1)], 8999);
  EXPECT_EQ(f.invoices.items[RowOf(f.invoices, 1)], 5);
  EXPECT_EQ(f.invoices.total_cents[RowOf(f.invoices, 2)], 1500);
  EXPECT_EQ(f.invoices.items[RowOf(f.invoices, 2)], 2);
  const FateCounts& c = b.ledger().counts(TableId::kLineItems);
  EXPECT_EQ(c.read, 8u);
  EXPECT_EQ(c.accepted, 8u);
  EXPECT_EQ(c.duplicate, 0u);
  EXPECT_EQ(b.ledger().repeated_line_items(), 4u);
  int logged = 0;
  ASSERT_TRUE(ReadLineLog(log_path, [&](const LoggedLine&) { ++logged; }).ok());
  EXPECT_EQ(logged, 8);  // every line, repeats included: a later price change reprices them all
}

TEST(LedgerTest, LineItemGroupsAreReplacedByTheLatestExtract) {
  LedgerBuilder b;
  b.Account(1, "2020-01-01").Sku(10, 100).Sku(11, 1000);
  b.Invoice(1, 1, "2024-01-01");
  b.Line(1, 10, 5, 3).Line(1, 11, 1, 3);  // first extract: 5.00 + 10.00
  b.Line(1, 10, 2, 4);                    // later extract replaces the group: 2.00
  const FeatureSet f = b.Compute("2024-11-24");
  EXPECT_EQ(f.invoices.total_cents[0], 200);
  EXPECT_EQ(f.invoices.items[0], 2);
}

}  // namespace
}  // namespace ledgerlake::engine
