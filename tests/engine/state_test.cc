// The state's codec: what is saved loads back exactly (every field of every invoice, in the compact blocks),
// a state whose invoices are not in (account, date, invoice) order still loads and is ordered correctly, and a
// damaged byte anywhere is refused.
#include "engine/state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <tuple>

#include "engine/invoice_order.h"
#include "engine/ledger.h"

namespace ledgerlake::engine {
namespace {

namespace fs = std::filesystem;
using contract::Payment;

// 40,000 invoices (more than two blocks) over 3,000 accounts, with every payment kind, line-item sums of both
// signs, overflowed sums, invoices without line items and sparse ids.
void Fill(Ledger& l) {
  std::mt19937_64 rng(3);
  const contract::RowLocation loc{1, 0, 0};
  for (int64_t a = 1; a <= 3000; ++a) {
    l.Add(contract::ValidRow<contract::AccountRow>{{a, static_cast<DayNumber>(19000 + a % 500)}, static_cast<uint64_t>(a), loc}, 1);
  }
  l.Add(contract::ValidRow<contract::SkuRow>{{7, 1999}, 7, loc}, 2);
  l.Add(contract::ValidRow<contract::SkuRow>{{8, INT64_MAX / 2}, 8, loc}, 2);
  for (int64_t i = 0; i < 40000; ++i) {
    const int64_t id = i % 97 == 0 ? (int64_t{1} << 40) + i : i * 3 + 1;
    const auto date = static_cast<DayNumber>(19000 + rng() % 900);
    const auto payment = static_cast<Payment>(rng() % 3);
    const DayNumber paid = payment == Payment::kPaid ? date + static_cast<DayNumber>(rng() % 90) : contract::kNoDate;
    l.Add(contract::ValidRow<contract::InvoiceRow>{{id, static_cast<int64_t>(1 + rng() % 3000), date, paid, payment},
                                                   static_cast<uint64_t>(id), loc},
          3 + static_cast<uint32_t>(rng() % 3));
  }
  l.BeginFile(TableId::kLineItems, 9);
  for (int64_t i = 0; i < 40000; i += 2) {
    const int64_t id = i % 97 == 0 ? (int64_t{1} << 40) + i : i * 3 + 1;
    const int64_t item = i % 1000 == 0 ? 8 : 7;
    l.Add(contract::ValidRow<contract::LineItemRow>{{id, item, i % 5 == 0 ? -3 : 4}, static_cast<uint64_t>(i), loc}, 9);
    if (item == 8) l.Add(contract::ValidRow<contract::LineItemRow>{{id, 8, 5}, static_cast<uint64_t>(i + 1), loc}, 9);
  }
  l.Finish();
}

using Fields = std::tuple<int64_t, int64_t, DayNumber, DayNumber, Payment, uint32_t, int64_t, int64_t, uint32_t, uint32_t>;
std::map<int64_t, Fields> Invoices(const Ledger& l) {
  std::map<int64_t, Fields> out;
  l.invoices().ForEach([&](const InvoiceEntry& e) {
    out[e.row.invoice_id] = {e.row.account_id, e.row.invoice_id, e.row.date_issued, e.row.payment_date, e.row.payment,
                             e.file, e.extra.cents, e.extra.quantity, e.extra.file, e.extra.overflow};
  });
  return out;
}

class StateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll_state_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    Fill(ledger_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
  Ledger ledger_;
  StateInfo info_{19500, {1, 2, 5, 9}, {"a.lines"}};
};

TEST_F(StateTest, WhatIsSavedLoadsBackExactlyAndInOrder) {
  const std::string path = dir_ + "/s.state";
  const std::vector<uint32_t> order = InvoiceOrder(ledger_);
  ASSERT_TRUE(SaveState(ledger_, order, info_, path).ok());
  Ledger loaded;
  auto info = LoadState(path, loaded);
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->as_of, info_.as_of);
  EXPECT_EQ(info->bookmarks, info_.bookmarks);
  EXPECT_EQ(info->line_logs, info_.line_logs);
  const auto saved = Invoices(ledger_);
  EXPECT_EQ(Invoices(loaded), saved);
  size_t overflowed = 0;
  for (const auto& [id, f] : saved) overflowed += std::get<9>(f);
  EXPECT_GT(overflowed, 0u);
  EXPECT_EQ(loaded.accounts().size(), 3000u);
  EXPECT_EQ(loaded.skus().at(8).row.retail_cents, INT64_MAX / 2);
  // Loaded in order: an incremental run finds every invoice in place.
  loaded.StartIncremental(info->bookmarks);
  EXPECT_EQ(loaded.sorted_base_invoices(), loaded.invoices().size());
  std::vector<uint32_t> identity(loaded.invoices().size());
  std::iota(identity.begin(), identity.end(), 0u);
  EXPECT_EQ(InvoiceOrder(loaded), identity);
}

TEST_F(StateTest, AStateInAnotherOrderStillLoadsAndIsOrderedAfresh) {
  const std::string path = dir_ + "/s.state";
  std::vector<uint32_t> order = InvoiceOrder(ledger_);
  std::swap(order[30000], order[30001]);  // out of order from the 30,001st invoice on
  ASSERT_TRUE(SaveState(ledger_, order, info_, path).ok());
  Ledger loaded;
  ASSERT_TRUE(LoadState(path, loaded).ok());
  loaded.StartIncremental(info_.bookmarks);
  EXPECT_EQ(loaded.sorted_base_invoices(), 30001u);
  const std::vector<uint32_t> sorted = InvoiceOrder(loaded);
  ASSERT_EQ(sorted.size(), loaded.invoices().size());
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto& a = loaded.invoices().AtPosition(sorted[i - 1]).row;
    const auto& b = loaded.invoices().AtPosition(sorted[i]).row;
    ASSERT_LT(std::tie(a.account_id, a.date_issued, a.invoice_id), std::tie(b.account_id, b.date_issued, b.invoice_id));
  }
  std::vector<uint32_t> wrong(order.size() - 1);
  EXPECT_FALSE(SaveState(ledger_, wrong, info_, path).ok());
}

TEST_F(StateTest, ADamagedByteAnywhereIsRefused) {
  const std::string path = dir_ + "/s.state";
  ASSERT_TRUE(SaveState(ledger_, InvoiceOrder(ledger_), info_, path).ok());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  for (const size_t at : {size_t{3}, size_t{60}, bytes.size() / 2, bytes.size() - 200, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
    Ledger loaded;
    EXPECT_FALSE(LoadState(path, loaded).ok()) << "byte " << at;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 9);
  Ledger loaded;
  EXPECT_FALSE(LoadState(path, loaded).ok());
}

}  // namespace
}  // namespace ledgerlake::engine
