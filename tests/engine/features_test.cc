// Feature kernels against features.md, one edge case per test, with rows fed straight into the Ledger.
#include "engine/features.h"

#include <gtest/gtest.h>

#include "engine/ledger.h"

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
  FeatureSet Compute(const char* as_of) {
    ledger_.Finish();
    return ComputeFeatures(ledger_, D(as_of));
  }
  Ledger& ledger() { return ledger_; }

 private:
  // The validator hashes a row's values; distinct lines must hash apart.
  static uint64_t LineHash(int64_t invoice, int64_t item, int64_t qty) {
    return std::hash<std::string>{}(std::to_string(invoice) + "," + std::to_string(item) + "," + std::to_string(qty));
  }
  static uint64_t Hash(int64_t id, const char* s) { return static_cast<uint64_t>(id) * 1000003u + std::hash<std::string>{}(s); }
  contract::RowLocation Loc() { return contract::RowLocation{++line_, 0, 0}; }
  Ledger ledger_;
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

TEST(FeaturesTest, WorkedExampleOfFeaturesMd) {
  LedgerBuilder b;
  b.Account(1, "2023-02-28").Account(2, "2024-02-29").Account(3, "2024-11-01");
  b.Sku(10, 750).Sku(11, 5999);
  b.Invoice(100, 1, "2024-01-10", "2024-02-05").Invoice(101, 1, "2024-05-09", "2024-06-08");
  b.Invoice(102, 1, "2024-05-09", "2024-06-10").Invoice(103, 1, "2024-09-06").Invoice(104, 2, "2024-11-01");
  b.Invoice(105, 2, "2024-12-01", "2024-12-05");
  b.Line(100, 10, 4).Line(100, 11, 1).Line(101, 11, 3).Line(102, 10, 10).Line(103, 10, 1).Line(103, 11, 2).Line(105, 10, 1);
  const FeatureSet f = b.Compute("2024-11-24");
  const InvoiceFeatures& inv = f.invoices;
  ASSERT_EQ(inv.size(), 5u);  // 105 is after D
  struct Expect {
    int64_t id, acct, total, items;
    int32_t age, n120, cum, late;
    bool late_known;
  };
  const Expect expected[] = {{100, 1, 8999, 5, 316, 0, 1, 0, true},   {101, 1, 17997, 3, 436, 1, 2, 0, true},
                             {102, 1, 7500, 10, 436, 1, 3, 1, true},  {103, 1, 12748, 3, 556, 2, 4, 1, true},
                             {104, 2, 0, 0, 246, 0, 1, 0, false}};
  for (const Expect& e : expected) {
    const size_t i = RowOf(inv, e.id);
    EXPECT_EQ(inv.account_id[i], e.acct);
    EXPECT_EQ(inv.total_cents[i], e.total) << e.id;
    EXPECT_EQ(inv.items[i], e.items) << e.id;
    EXPECT_EQ(inv.account_age[i], e.age) << e.id;
    EXPECT_EQ(inv.num_inv_120d[i], e.n120) << e.id;
    EXPECT_EQ(inv.cum_tot_inv_acct[i], e.cum) << e.id;
    EXPECT_EQ(inv.is_late_valid[i] != 0, e.late_known) << e.id;
    if (e.late_known) {
      EXPECT_EQ(inv.is_late[i], e.late) << e.id;
    }
  }
  const AccountFeatures& a = f.accounts;
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a.account_id, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(a.age_day, (std::vector<int32_t>{635, 269, 23}));
  EXPECT_EQ(a.age_year, (std::vector<int32_t>{1, 0, 0}));
  EXPECT_EQ(a.over_one_year, (std::vector<int32_t>{1, 0, 0}));
  EXPECT_EQ(a.total_invoices, (std::vector<int32_t>{4, 1, 0}));
  EXPECT_EQ(a.avg_interval_valid, (std::vector<uint8_t>{1, 0, 0}));
  EXPECT_DOUBLE_EQ(a.avg_interval_day[0], 80.0);
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
  l.Finish();
  const FateCounts& c = l.counts(TableId::kAccounts);
  EXPECT_EQ(c.read, 4u);
  EXPECT_EQ(c.duplicate, 1u);
  EXPECT_EQ(c.rejected, 1u);
  EXPECT_EQ(c.accepted, 2u);
  const auto demoted = l.TakeDemoted();
  ASSERT_EQ(demoted.size(), 1u);
  EXPECT_EQ(demoted[0].location.offset, 0u);  // the row of line 2, at offset 0
  EXPECT_EQ(demoted[0].winner_line, 4u);
  EXPECT_EQ(l.accounts().at(1).row.joining_date, 300);
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
