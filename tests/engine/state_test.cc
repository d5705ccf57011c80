// The state's codec: what is saved loads back exactly (every field of every invoice, in the compact blocks, and
// each account's digest), accounts a run does not decode are carried into the next state as they were, only the
// (account, date, invoice) order is saved, and a damaged byte anywhere is refused.
#include "engine/state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <numeric>
#include <random>
#include <tuple>

#include "engine/features.h"
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
}

FinishedLedger Finished(Ledger l, DayNumber as_of) {
  auto f = FinishedLedger::Finish(std::move(l), FinishOptions{as_of, {}});
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(*f);
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
    Ledger l;
    Fill(l);
    ledger_.emplace(Finished(std::move(l), info_.as_of));
  }
  void TearDown() override { fs::remove_all(dir_); }
  const Ledger& ledger() const { return ledger_->ledger(); }
  static std::string Bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::string dir_;
  StateInfo info_ = [] {
    StateInfo info;
    info.as_of = 19500;
    info.bookmarks = {1, 2, 5, 9};
    info.line_logs = {"a.lines"};
    return info;
  }();
  std::optional<FinishedLedger> ledger_;
};

TEST_F(StateTest, WhatIsSavedLoadsBackExactlyAndInOrder) {
  const std::string path = dir_ + "/s.state";
  const std::vector<uint32_t> order = InvoiceOrder(*ledger_);
  ASSERT_TRUE(SaveState(*ledger_, order, info_, path).ok());
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  const StateInfo& info = loaded->info;
  EXPECT_EQ(info.as_of, info_.as_of);
  EXPECT_EQ(info.bookmarks, info_.bookmarks);
  EXPECT_EQ(info.line_logs, info_.line_logs);
  const Ledger& l = loaded->ledger;
  EXPECT_TRUE(l.incremental());
  EXPECT_EQ(l.accounts().size(), 3000u);
  EXPECT_EQ(l.skus().at(8).row.retail_cents, INT64_MAX / 2);
  // Nothing is decoded yet; every account's digest is as of the state's D.
  ASSERT_NE(l.base(), nullptr);
  EXPECT_EQ(l.invoices().size(), 0u);
  EXPECT_EQ(l.base()->invoices(), 40000u);
  std::map<int64_t, std::vector<const InvoiceEntry*>> runs;
  for (const uint32_t p : order) {
    runs[ledger().invoices().AtPosition(p).row.account_id].push_back(&ledger().invoices().AtPosition(p));
  }
  ASSERT_EQ(l.base()->size(), runs.size());
  size_t due = 0;
  for (uint32_t o = 0; o < l.base()->size(); ++o) {
    const BaseAccount& a = l.base()->account(o);
    const auto& run = runs.at(a.account_id);
    EXPECT_EQ(a.count, run.size());
    EXPECT_EQ(a.digest, DigestOf(run, ledger().accounts().Find(a.account_id), info_.as_of)) << a.account_id;
    due += a.digest.next_change <= info_.as_of + 10 ? 1 : 0;
  }
  // Finished as of ten days later, it decodes exactly the accounts whose rows D moving on changes.
  FinishedLedger later = Finished(std::move(loaded->ledger), info_.as_of + 10);
  EXPECT_EQ(later.ledger().decoded_runs().size(), due);
  EXPECT_GT(due, 0u);
  later.DecodeAll();
  const auto saved = Invoices(ledger());
  EXPECT_EQ(Invoices(later.ledger()), saved);
  size_t overflowed = 0;
  for (const auto& [id, f] : saved) overflowed += std::get<9>(f);
  EXPECT_GT(overflowed, 0u);
  // Decoded account by account, each in order: the order is the runs', sorted by account.
  const std::vector<uint32_t> again = InvoiceOrder(later);
  ASSERT_EQ(again.size(), later.ledger().invoices().size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(later.ledger().invoices().AtPosition(again[i]).row.invoice_id,
              ledger().invoices().AtPosition(order[i]).row.invoice_id);
  }
}

// A run that decodes a few accounts saves the others as they were: a state saved without decoding anything is
// the same file, and one saved after changes loads back as the changed ledger.
// A run that continues a state decodes few accounts; its state is an overlay over the complete state the others
// stay in. What loads back is what a save from scratch loads, and decoded whole and saved, it is that file.
TEST_F(StateTest, AccountsNotDecodedAreCarriedAsTheyAre) {
  const std::string path = dir_ + "/s.state", copy = dir_ + "/copy.state", changed = dir_ + "/changed.state",
                    whole = dir_ + "/whole.state", scratch_path = dir_ + "/scratch.state";
  ASSERT_TRUE(SaveState(*ledger_, InvoiceOrder(*ledger_), info_, path).ok());
  EXPECT_EQ(ReadStateInfo(path)->base, "");
  {
    auto loaded = LoadState(path);
    ASSERT_TRUE(loaded.ok());
    const FinishedLedger same = Finished(std::move(loaded->ledger), info_.as_of);
    ASSERT_TRUE(SaveState(same, InvoiceOrder(same), info_, copy).ok());
    EXPECT_EQ(ReadStateInfo(copy)->base, "s.state");  // nothing decoded: an overlay of no invoice
    EXPECT_LT(fs::file_size(copy) * 4, fs::file_size(path));
    auto again = LoadState(copy);
    ASSERT_TRUE(again.ok()) << again.status().message();
    FinishedLedger decoded = Finished(std::move(again->ledger), info_.as_of);
    decoded.DecodeAll();
    EXPECT_EQ(Invoices(decoded.ledger()), Invoices(ledger_->ledger()));
    ASSERT_TRUE(SaveState(decoded, InvoiceOrder(decoded), info_, whole).ok());
    EXPECT_EQ(ReadStateInfo(whole)->base, "");  // every account decoded: complete again
    EXPECT_TRUE(Bytes(whole) == Bytes(path));
  }
  // The same changes, to the loaded state and to a ledger built like the one it was saved from: a new invoice,
  // an invoice moved to another account, a new line-item group, a new joining date.
  const contract::RowLocation loc{1, 0, 0};
  auto change = [&](Ledger& l) {
    l.Add(contract::ValidRow<contract::AccountRow>{{12, 18000}, 1, loc}, 20);
    l.Add(contract::ValidRow<contract::InvoiceRow>{{999999, 40, 19400, contract::kNoDate, Payment::kUnpaid}, 2, loc}, 21);
    l.Add(contract::ValidRow<contract::InvoiceRow>{{4, 41, 19100, 19120, Payment::kPaid}, 3, loc}, 21);
    l.BeginFile(TableId::kLineItems, 22);
    l.Add(contract::ValidRow<contract::LineItemRow>{{7, 7, 2}, 4, loc}, 22);
  };
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok());
  change(loaded->ledger);
  const FinishedLedger continued = Finished(std::move(loaded->ledger), info_.as_of);
  EXPECT_LT(continued.ledger().decoded_runs().size(), 10u);
  EXPECT_LT(continued.ledger().invoices().size(), 200u);
  ASSERT_TRUE(SaveState(continued, InvoiceOrder(continued), info_, changed).ok());
  EXPECT_EQ(ReadStateInfo(changed)->base, "s.state");
  Ledger scratch;
  Fill(scratch);
  change(scratch);
  const FinishedLedger from_scratch = Finished(std::move(scratch), info_.as_of);
  auto reloaded = LoadState(changed);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  FinishedLedger decoded = Finished(std::move(reloaded->ledger), info_.as_of);
  decoded.DecodeAll();
  EXPECT_EQ(Invoices(decoded.ledger()), Invoices(from_scratch.ledger()));
  ASSERT_TRUE(SaveState(from_scratch, InvoiceOrder(from_scratch), info_, scratch_path).ok());
  ASSERT_TRUE(SaveState(decoded, InvoiceOrder(decoded), info_, whole).ok());
  EXPECT_TRUE(Bytes(whole) == Bytes(scratch_path));  // as if saved from scratch
}

// Run after run, each overlay lies over the same complete state and holds every account changed since; once it
// would hold more than half of the invoices, the state is saved complete again. Each loads as the ledger
// that took the same rows from scratch.
TEST_F(StateTest, OverlaysLieOverOneCompleteStateUntilHalfIsOverlaid) {
  ASSERT_TRUE(SaveState(*ledger_, InvoiceOrder(*ledger_), info_, dir_ + "/s0.state").ok());
  Ledger scratch;
  Fill(scratch);
  const contract::RowLocation loc{1, 0, 0};
  std::vector<std::string> bases;
  uint32_t file = 20;
  int64_t next_id = 5000000;
  const int64_t touched[] = {40, 160, 360, 2000, 40, 160};  // accounts each run adds an invoice to
  for (int run = 1; run <= 6; ++run) {
    const int64_t n = touched[run - 1];
    auto change = [&](Ledger& l, uint32_t f) {
      for (int64_t k = 0; k < n; ++k) {
        const int64_t account = 1 + (k * 7 + run) % 3000;
        l.Add(contract::ValidRow<contract::InvoiceRow>{{next_id + k, account, static_cast<DayNumber>(19200 + k % 200),
                                                        contract::kNoDate, Payment::kUnpaid},
                                                       static_cast<uint64_t>(k), loc},
              f);
      }
    };
    auto loaded = LoadState(dir_ + "/s" + std::to_string(run - 1) + ".state");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    change(loaded->ledger, file);
    change(scratch, file);
    ++file;
    next_id += n;
    const FinishedLedger continued = Finished(std::move(loaded->ledger), info_.as_of);
    const std::string path = dir_ + "/s" + std::to_string(run) + ".state";
    ASSERT_TRUE(SaveState(continued, InvoiceOrder(continued), info_, path).ok());
    bases.push_back(ReadStateInfo(path)->base);
    auto reloaded = LoadState(path);
    ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
    FinishedLedger decoded = Finished(std::move(reloaded->ledger), info_.as_of);
    decoded.DecodeAll();
    ASSERT_EQ(Invoices(decoded.ledger()).size(), 40000u + static_cast<size_t>(next_id - 5000000)) << "run " << run;
  }
  // The overlays grow with the accounts touched since s0 (40, then 200, then 560 of 3,000); the fourth run's would
  // hold past half of the invoices.
  EXPECT_EQ(bases, (std::vector<std::string>{"s0.state", "s0.state", "s0.state", "", "s4.state", "s4.state"}));
  const FinishedLedger expected = Finished(std::move(scratch), info_.as_of);
  auto last = LoadState(dir_ + "/s6.state");
  ASSERT_TRUE(last.ok());
  FinishedLedger decoded = Finished(std::move(last->ledger), info_.as_of);
  decoded.DecodeAll();
  EXPECT_EQ(Invoices(decoded.ledger()), Invoices(expected.ledger()));
}

// An overlay is read only over the very file it was saved over: missing, replaced or damaged, the state is an
// unusable cache (the run rebuilds it).
TEST_F(StateTest, AnOverlayWithoutItsCompleteStateIsAnUnusableCache) {
  const std::string path = dir_ + "/s.state", overlay = dir_ + "/o.state";
  ASSERT_TRUE(SaveState(*ledger_, InvoiceOrder(*ledger_), info_, path).ok());
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok());
  const contract::RowLocation loc{1, 0, 0};
  loaded->ledger.Add(contract::ValidRow<contract::InvoiceRow>{{999999, 40, 19400, contract::kNoDate, Payment::kUnpaid}, 2, loc}, 21);
  const FinishedLedger continued = Finished(std::move(loaded->ledger), info_.as_of);
  ASSERT_TRUE(SaveState(continued, InvoiceOrder(continued), info_, overlay).ok());
  ASSERT_EQ(ReadStateInfo(overlay)->base, "s.state");
  ASSERT_TRUE(LoadState(overlay).ok());
  const std::string bytes = Bytes(path);
  std::string damaged = bytes;
  damaged[bytes.size() / 2] = static_cast<char>(damaged[bytes.size() / 2] ^ 0x10);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
  EXPECT_EQ(LoadState(overlay).status().code(), Status::Code::kUnusableCache);
  // Another complete state under the same name (its seal differs).
  StateInfo other = info_;
  other.bookmarks[0] = 2;
  ASSERT_TRUE(SaveState(*ledger_, InvoiceOrder(*ledger_), other, path).ok());
  EXPECT_EQ(LoadState(overlay).status().code(), Status::Code::kUnusableCache);
  fs::remove(path);
  const auto missing = LoadState(overlay);
  EXPECT_EQ(missing.status().code(), Status::Code::kUnusableCache);
  EXPECT_NE(missing.status().message().find("s.state"), std::string::npos) << missing.status().message();
}

// An account whose only invoice moves to another account is left without invoices: an overlay cannot say so (the
// complete state under it would show through), so that state is saved complete.
TEST_F(StateTest, AnAccountLeftWithoutInvoicesIsSavedComplete) {
  const std::string path = dir_ + "/s.state", next = dir_ + "/n.state";
  const contract::RowLocation loc{1, 0, 0};
  Ledger l;
  Fill(l);
  l.Add(contract::ValidRow<contract::AccountRow>{{5000, 19000}, 1, loc}, 10);
  l.Add(contract::ValidRow<contract::InvoiceRow>{{777777, 5000, 19300, contract::kNoDate, Payment::kUnpaid}, 1, loc}, 11);
  const FinishedLedger first = Finished(std::move(l), info_.as_of);
  ASSERT_TRUE(SaveState(first, InvoiceOrder(first), info_, path).ok());
  auto loaded = LoadState(path);
  ASSERT_TRUE(loaded.ok());
  loaded->ledger.Add(contract::ValidRow<contract::InvoiceRow>{{777777, 17, 19300, contract::kNoDate, Payment::kUnpaid}, 1, loc}, 21);
  const FinishedLedger moved = Finished(std::move(loaded->ledger), info_.as_of);
  ASSERT_TRUE(SaveState(moved, InvoiceOrder(moved), info_, next).ok());
  EXPECT_EQ(ReadStateInfo(next)->base, "");
  auto reloaded = LoadState(next);
  ASSERT_TRUE(reloaded.ok());
  FinishedLedger decoded = Finished(std::move(reloaded->ledger), info_.as_of);
  decoded.DecodeAll();
  const auto invoices = Invoices(decoded.ledger());
  EXPECT_EQ(std::get<0>(invoices.at(777777)), 17);
  EXPECT_EQ(std::count_if(invoices.begin(), invoices.end(), [](const auto& kv) { return std::get<0>(kv.second) == 5000; }), 0);
}

TEST_F(StateTest, OnlyTheInvoiceOrderIsSaved) {
  const std::string path = dir_ + "/s.state";
  std::vector<uint32_t> order = InvoiceOrder(*ledger_);
  std::swap(order[30000], order[30001]);
  EXPECT_FALSE(SaveState(*ledger_, order, info_, path).ok());
  std::vector<uint32_t> wrong(order.size() - 1);
  EXPECT_FALSE(SaveState(*ledger_, wrong, info_, path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(StateTest, ADamagedByteAnywhereIsRefusedAsAnUnusableCache) {
  const std::string path = dir_ + "/s.state";
  ASSERT_TRUE(SaveState(*ledger_, InvoiceOrder(*ledger_), info_, path).ok());
  const std::string bytes = Bytes(path);
  for (const size_t at : {size_t{3}, size_t{60}, bytes.size() / 2, bytes.size() - 200, bytes.size() - 1}) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x10);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
    const auto loaded = LoadState(path);
    ASSERT_FALSE(loaded.ok()) << "byte " << at;
    EXPECT_EQ(loaded.status().code(), Status::Code::kUnusableCache) << "byte " << at;
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 9);
  EXPECT_EQ(LoadState(path).status().code(), Status::Code::kUnusableCache);
  EXPECT_EQ(LoadState(dir_ + "/missing.state").status().code(), Status::Code::kUnusableCache);
}

}  // namespace
}  // namespace ledgerlake::engine
