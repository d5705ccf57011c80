// The incremental path of the engine against brute force, over many random ledgers. A base is built and saved
// (as a run's state); two runs in turn load the state before them, apply random changes on top as a run would
// (decoding only the base accounts they need), and save their own. Each run's delta (ComputeDelta) must hold
// exactly the invoice rows that differ between a full computation as of the previous run's D and one as of the
// new D (flagged by the dataset they differ in), list exactly the invoices that left, and carry the full
// account_features and warnings. The same ledger built from scratch must give the same full result, so the
// states' round trips (accounts copied undecoded included) lose nothing.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/features.h"
#include "engine/invoice_order.h"
#include "engine/ledger.h"
#include "engine/line_log.h"
#include "engine/state.h"

namespace ledgerlake::engine {
namespace {

namespace fs = std::filesystem;
using contract::Payment;

// One row as fed to a Ledger, so that a ledger can be rebuilt from scratch with the same calls.
struct Feed {
  TableId table;
  uint32_t file;
  int64_t a, b, c;  // account: id, joined; sku: id, cents; invoice: id, account; line: invoice, item, quantity
  DayNumber date = 0, paid = contract::kNoDate;
  Payment payment = Payment::kUnpaid;
};

void Apply(Ledger& l, const Feed& f, uint32_t& line_file) {
  const contract::RowLocation loc{1, 0, 0};
  const auto hash = static_cast<uint64_t>(std::hash<std::string>{}(
      std::to_string(f.a) + "," + std::to_string(f.b) + "," + std::to_string(f.c) + "," + std::to_string(f.date) +
      "," + std::to_string(f.paid) + "," + std::to_string(static_cast<int>(f.payment))));
  switch (f.table) {
    case TableId::kAccounts:
      l.Add(contract::ValidRow<contract::AccountRow>{{f.a, static_cast<DayNumber>(f.b)}, hash, loc}, f.file);
      break;
    case TableId::kSkus:
      l.Add(contract::ValidRow<contract::SkuRow>{{f.a, f.b}, hash, loc}, f.file);
      break;
    case TableId::kInvoices:
      l.Add(contract::ValidRow<contract::InvoiceRow>{{f.a, f.b, f.date, f.paid, f.payment}, hash, loc}, f.file);
      break;
    case TableId::kLineItems:
      if (f.file != line_file) l.BeginFile(TableId::kLineItems, f.file);
      line_file = f.file;
      l.Add(contract::ValidRow<contract::LineItemRow>{{f.a, f.b, f.c}, hash, loc}, f.file);
      break;
  }
}

// A random delivery: accounts, skus, invoices and line items, as files `first`..`first + 3`. Keys overlap the
// ones before (updates, moves, re-dated invoices, replaced line groups) and some parents come later (pending).
// `share` scales how many rows it holds (a small delta touches a few accounts of many).
std::vector<Feed> Delivery(std::mt19937_64& rng, uint32_t first, DayNumber today, int scale, double share = 1) {
  auto uniform = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };
  std::vector<Feed> out;
  const int64_t accounts = 3 * scale, skus = 6, invoices = 20 * scale;
  auto count = [&](int64_t most) { return static_cast<int>(uniform(0, static_cast<int64_t>(static_cast<double>(most) * share))); };
  for (int i = 0, n = count(accounts); i < n; ++i) {
    out.push_back({TableId::kAccounts, first, uniform(1, accounts + 2), today - uniform(-30, 700), 0});
  }
  for (int i = 0, n = count(skus); i < n; ++i) {
    out.push_back({TableId::kSkus, first + 1, uniform(1, skus + 1), uniform(-5, 20000), 0});
  }
  for (int i = 0, n = count(invoices); i < n; ++i) {
    Feed f{TableId::kInvoices, first + 2, uniform(1, invoices * 2), uniform(1, accounts + 3), 0};
    // Mostly recent, some long ago, some issued after D; a few on the same day as each other.
    f.date = today - static_cast<DayNumber>(chance(0.2) ? uniform(100, 400) : uniform(-20, 60));
    if (chance(0.1)) f.date = today - 31;
    if (chance(0.05)) f.date = today;
    const int p = static_cast<int>(uniform(0, 9));
    if (p < 5) {
      f.payment = Payment::kPaid;
      f.paid = f.date + static_cast<DayNumber>(uniform(0, 60));
    } else if (p == 9) {
      f.payment = Payment::kNoColumn;
    }
    out.push_back(f);
  }
  for (int i = 0, n = count(invoices); i < n; ++i) {
    const int64_t invoice = uniform(1, invoices * 2);
    for (int j = 0, m = static_cast<int>(uniform(1, 3)); j < m; ++j) {
      out.push_back({TableId::kLineItems, first + 3, invoice, uniform(1, skus + 1), uniform(-2, 9)});
    }
    if (chance(0.2)) out.push_back(out.back());  // the same line again: a second line of the same item
  }
  return out;
}

// Parents first, each table's files in landing order (as a run loads them).
void ByTable(std::vector<Feed>& feeds) {
  std::stable_sort(feeds.begin(), feeds.end(), [](const Feed& x, const Feed& y) {
    return std::tie(x.table, x.file) < std::tie(y.table, y.file);
  });
}

// One invoice row of either dataset, by invoice id.
using RowValues = std::tuple<int64_t, int32_t, int64_t, uint8_t, int64_t, int32_t, int32_t, int32_t, int32_t, uint8_t>;
std::map<int64_t, RowValues> Rows(const InvoiceFeatures& f) {
  std::map<int64_t, RowValues> rows;
  for (size_t i = 0; i < f.size(); ++i) {
    rows[f.invoice_id[i]] = {f.account_id[i], f.date_issued[i], f.total_cents[i], f.total_valid[i], f.items[i],
                             f.account_age[i], f.num_inv_120d[i], f.cum_tot_inv_acct[i],
                             f.is_late_valid[i] != 0 ? f.is_late[i] : 0, f.is_late_valid[i]};
  }
  return rows;
}

// Which datasets a row differs in (docs/features.md's columns of each).
uint8_t Differs(const RowValues& x, const RowValues& y) {
  uint8_t d = 0;
  const auto [acct_x, date_x, cents_x, valid_x, items_x, age_x, n120_x, cum_x, late_x, lv_x] = x;
  const auto [acct_y, date_y, cents_y, valid_y, items_y, age_y, n120_y, cum_y, late_y, lv_y] = y;
  const bool totals = cents_x != cents_y || valid_x != valid_y;
  if (acct_x != acct_y || date_x != date_y || totals) d |= kAccountInvoiceChanged;
  if (acct_x != acct_y || totals || items_x != items_y || age_x != age_y || n120_x != n120_y || cum_x != cum_y ||
      late_x != late_y || lv_x != lv_y) {
    d |= kInvoiceChanged;
  }
  return d;
}

void ExpectSameAccounts(const AccountFeatures& x, const AccountFeatures& y) {
  EXPECT_EQ(x.account_id, y.account_id);
  EXPECT_EQ(x.age_day, y.age_day);
  EXPECT_EQ(x.age_year, y.age_year);
  EXPECT_EQ(x.total_invoices, y.total_invoices);
  EXPECT_EQ(x.avg_interval_valid, y.avg_interval_valid);
  EXPECT_EQ(x.avg_interval_day, y.avg_interval_day);
}

class DeltaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll_delta_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

// Applies `feeds` as a run does, logging its line items to `log`; moves the bookmarks past their files.
void ApplyLogged(Ledger& l, const std::vector<Feed>& feeds, const std::string& log,
                 std::array<uint32_t, contract::kTableCount>& bookmarks) {
  auto writer = LineLogWriter::Create(log);
  ASSERT_TRUE(writer.ok());
  l.LogLinesTo(writer->get());
  uint32_t line_file = UINT32_MAX;
  for (const Feed& f : feeds) {
    Apply(l, f, line_file);
    bookmarks[static_cast<size_t>(f.table)] = std::max(bookmarks[static_cast<size_t>(f.table)], f.file);
  }
  ASSERT_TRUE((*writer)->Close().ok());
  l.LogLinesTo(nullptr);
}

// Every row as of `day` of the ledger `feeds` make, built from scratch as a full refresh loads them: table by
// table, in landing order.
FeatureSet FromScratch(std::vector<Feed> feeds, DayNumber day) {
  ByTable(feeds);
  Ledger scratch;
  uint32_t line_file = UINT32_MAX;
  for (const Feed& f : feeds) Apply(scratch, f, line_file);
  auto finished = FinishedLedger::Finish(std::move(scratch), FinishOptions{day, {}});
  EXPECT_TRUE(finished.ok());
  return ComputeFeatures(*finished);
}

TEST_F(DeltaTest, TheDeltaIsExactlyTheRowsThatDifferFromTheBase) {
  size_t changed_rows = 0, deleted_rows = 0, late_only = 0, copied_accounts = 0;
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const int scale = 1 + static_cast<int>(seed % 4) * 3;
    const DayNumber base_day = *ParseIsoDate("2024-06-01") + static_cast<DayNumber>(rng() % 200);

    // The base: one or two deliveries, as a complete run applied them, with their line log.
    std::vector<Feed> feeds = Delivery(rng, 0, base_day - 30, scale);
    if (seed % 2 == 0) {
      const std::vector<Feed> more = Delivery(rng, 4, base_day, scale);
      feeds.insert(feeds.end(), more.begin(), more.end());
    }
    ByTable(feeds);
    std::string state = dir_ + "/s0.state";
    std::vector<std::string> logs = {dir_ + "/s0.lines"};
    std::array<uint32_t, contract::kTableCount> bookmarks{};
    {
      Ledger base;
      ApplyLogged(base, feeds, logs.back(), bookmarks);
      auto finished = FinishedLedger::Finish(std::move(base), FinishOptions{base_day, {}});
      ASSERT_TRUE(finished.ok());
      StateInfo info;
      info.bookmarks = bookmarks;
      ASSERT_TRUE(SaveState(*finished, InvoiceOrder(*finished), info, state).ok());
    }
    FeatureSet previous = FromScratch(feeds, base_day);
    DayNumber previous_day = base_day;

    // Two runs in turn, each continuing from the state the one before saved, with a delivery on top.
    for (uint32_t step = 1; step <= 2; ++step) {
      SCOPED_TRACE("run " + std::to_string(step));
      const DayNumber day = previous_day + static_cast<DayNumber>(rng() % 3 == 0 ? 0 : rng() % 50);
      const std::vector<Feed> delta_feeds = Delivery(rng, 4 + 4 * step, day, scale, seed % 3 == 0 ? 1.0 : 0.1);
      auto loaded = LoadState(state);
      ASSERT_TRUE(loaded.ok()) << loaded.status().message();
      EXPECT_EQ(loaded->info.bookmarks, bookmarks);
      EXPECT_EQ(loaded->info.as_of, previous_day);
      Ledger now = std::move(loaded->ledger);
      const std::vector<std::string> base_logs = logs;
      logs.push_back(dir_ + "/s" + std::to_string(step) + ".lines");
      ApplyLogged(now, delta_feeds, logs.back(), bookmarks);
      auto finished = FinishedLedger::Finish(std::move(now), FinishOptions{day, base_logs});
      ASSERT_TRUE(finished.ok()) << finished.status().message();
      const std::vector<uint32_t> order = InvoiceOrder(*finished);
      auto computed = ComputeDelta(*finished, order);
      ASSERT_TRUE(computed.ok()) << computed.status().message();
      const FeatureSet& delta = *computed;
      const Ledger& l = finished->ledger();
      for (uint32_t o = 0; o < l.base()->size(); ++o) copied_accounts += l.decoded(o) ? 0 : 1;
      state = dir_ + "/s" + std::to_string(step) + ".state";
      StateInfo info;
      info.bookmarks = bookmarks;
      ASSERT_TRUE(SaveState(*finished, order, info, state).ok());

      // The same ledger from scratch; and this one, every base account decoded, gives the same full result.
      feeds.insert(feeds.end(), delta_feeds.begin(), delta_feeds.end());
      const FeatureSet expected = FromScratch(feeds, day);
      const FeatureSet full = ComputeFeatures(*finished);
      EXPECT_EQ(Rows(full.invoices), Rows(expected.invoices));
      EXPECT_EQ(full.invoices.invoice_id, expected.invoices.invoice_id);  // the same order too
      ExpectSameAccounts(full.accounts, expected.accounts);

      // The delta against brute force.
      const auto before = Rows(previous.invoices);
      const auto after = Rows(expected.invoices);
      std::vector<int64_t> expected_ids;
      std::vector<uint8_t> expected_flags;
      for (size_t i = 0; i < expected.invoices.size(); ++i) {
        const int64_t id = expected.invoices.invoice_id[i];
        const auto b = before.find(id);
        const uint8_t d = b == before.end() ? kAccountInvoiceChanged | kInvoiceChanged : Differs(b->second, after.at(id));
        if (d == 0) continue;
        expected_ids.push_back(id);
        expected_flags.push_back(d);
        if (d == kInvoiceChanged) ++late_only;
      }
      EXPECT_EQ(delta.invoices.invoice_id, expected_ids);
      EXPECT_EQ(delta.changed, expected_flags);
      const auto delta_rows = Rows(delta.invoices);
      for (const auto& [id, row] : delta_rows) {
        ASSERT_TRUE(after.contains(id));
        EXPECT_EQ(row, after.at(id)) << "invoice " << id;
      }
      std::vector<int64_t> expected_deleted;
      for (const auto& [id, row] : before) {
        if (!after.contains(id)) expected_deleted.push_back(id);
      }
      EXPECT_EQ(delta.deleted, expected_deleted);
      ExpectSameAccounts(delta.accounts, expected.accounts);
      EXPECT_EQ(delta.warnings.invoices_before_joining, expected.warnings.invoices_before_joining);
      EXPECT_EQ(delta.warnings.totals_out_of_range, expected.warnings.totals_out_of_range);
      changed_rows += expected_ids.size();
      deleted_rows += expected_deleted.size();
      previous = expected;
      previous_day = day;
    }
  }
  // The random ledgers reach every kind of change, and runs leave many accounts undecoded.
  EXPECT_GT(changed_rows, 1000u);
  EXPECT_GT(deleted_rows, 50u);
  EXPECT_GT(late_only, 50u);
  EXPECT_GT(copied_accounts, 500u);
}

}  // namespace
}  // namespace ledgerlake::engine
