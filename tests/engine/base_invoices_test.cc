// BaseInvoices and InvoiceCoder: an account's invoices encode and decode on their own, exactly, and refuse damaged
// bytes; a loaded state finds the account of any invoice and the ordinal of any account, with a direct index for
// dense ids and a sorted one for sparse ids, and knows nothing of ids it does not hold.
#include "engine/base_invoices.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <vector>

#include "engine/invoice_order.h"
#include "engine/state.h"

namespace ledgerlake::engine {
namespace {

namespace fs = std::filesystem;
using contract::Payment;

InvoiceEntry Entry(int64_t id, int64_t account, DayNumber date, Payment payment, DayNumber paid, int64_t cents,
                   int64_t quantity, uint32_t file, uint32_t group_file, bool overflow = false) {
  InvoiceEntry e{};
  e.row = contract::InvoiceRow{id, account, date, paid, payment};
  e.file = file;
  e.extra.cents = cents;
  e.extra.quantity = quantity;
  e.extra.file = group_file & LineGroup::kNoFile;
  e.extra.overflow = overflow ? 1 : 0;
  return e;
}

TEST(InvoiceCoderTest, AnAccountsInvoicesRoundTripExactly) {
  const std::vector<InvoiceEntry> in = {
      Entry(900, 5, 19000, Payment::kPaid, 19031, 12345, 7, 3, 4),
      Entry(12, 5, 19000, Payment::kUnpaid, contract::kNoDate, -500, -2, 3, UINT32_MAX),  // ids go down too
      Entry(int64_t{1} << 50, 5, 19400, Payment::kNoColumn, contract::kNoDate, INT64_MIN / 2, 0, 70000, 0, true),
      Entry(13, 5, 18000, Payment::kPaid, 17990, 0, 0, 0, 1),  // dates go down, paid before issued
  };
  std::vector<char> bytes(in.size() * InvoiceCoder::kMaxBytes);
  InvoiceCoder writer;
  char* out = bytes.data();
  for (const InvoiceEntry& e : in) out = writer.Put(e, out);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = reinterpret_cast<const unsigned char*>(out);
  InvoiceCoder reader;
  for (const InvoiceEntry& want : in) {
    InvoiceEntry got{};
    ASSERT_TRUE(reader.Get(p, end, 5, got));
    EXPECT_EQ(got.row.invoice_id, want.row.invoice_id);
    EXPECT_EQ(got.row.account_id, 5);
    EXPECT_EQ(got.row.date_issued, want.row.date_issued);
    EXPECT_EQ(got.row.payment, want.row.payment);
    EXPECT_EQ(got.row.payment_date, want.row.payment_date);
    EXPECT_EQ(got.file, want.file);
    EXPECT_EQ(got.extra.cents, want.extra.cents);
    EXPECT_EQ(got.extra.quantity, want.extra.quantity);
    EXPECT_EQ(got.extra.file, want.extra.file);
    EXPECT_EQ(got.extra.overflow, want.extra.overflow);
  }
  EXPECT_EQ(p, end);
  // Cut short anywhere, the last invoice does not decode.
  for (const auto* cut = reinterpret_cast<const unsigned char*>(bytes.data()); cut < end; ++cut) {
    InvoiceCoder again;
    const auto* q = reinterpret_cast<const unsigned char*>(bytes.data());
    InvoiceEntry e{};
    size_t decoded = 0;
    while (decoded < in.size() && again.Get(q, cut, 5, e)) ++decoded;
    EXPECT_LT(decoded, in.size());
  }
  // A payment kind that does not exist is refused.
  const unsigned char bad[] = {0, 0, 3, 0, 0, 0, 0};
  const unsigned char* b = bad;
  InvoiceEntry e{};
  EXPECT_FALSE(InvoiceCoder().Get(b, bad + sizeof bad, 1, e));
}

class BaseInvoicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ll_base_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Saves a ledger of `invoices` (id -> account) as a state and loads it back into `loaded`.
  void SaveAndLoad(const std::map<int64_t, int64_t>& invoices, Ledger& loaded) {
    Ledger l;
    const contract::RowLocation loc{1, 0, 0};
    for (const auto& [id, account] : invoices) {
      l.Add(contract::ValidRow<contract::AccountRow>{{account, 19000}, static_cast<uint64_t>(account), loc}, 1);
    }
    for (const auto& [id, account] : invoices) {
      const auto date = static_cast<DayNumber>(19000 + id % 300);
      l.Add(contract::ValidRow<contract::InvoiceRow>{{id, account, date, contract::kNoDate, Payment::kUnpaid},
                                                     static_cast<uint64_t>(id), loc},
            2);
    }
    auto finished = FinishedLedger::Finish(std::move(l), FinishOptions{19500, {}});
    ASSERT_TRUE(finished.ok());
    const std::string path = dir_ + "/s.state";
    StateInfo info;
    info.bookmarks = {1, 0, 2, 0};
    ASSERT_TRUE(SaveState(*finished, InvoiceOrder(*finished), info, path).ok());
    auto state = LoadState(path);
    ASSERT_TRUE(state.ok()) << state.status().message();
    EXPECT_EQ(state->info.as_of, 19500);
    loaded = std::move(state->ledger);
    ASSERT_NE(loaded.base(), nullptr);
  }

  // Every invoice is found under its account, in order, and ids the state lacks are not.
  static void ExpectIndexed(const BaseInvoices& b, const std::map<int64_t, int64_t>& invoices) {
    EXPECT_EQ(b.invoices(), invoices.size());
    EXPECT_EQ(b.min_invoice_id(), invoices.begin()->first);
    EXPECT_EQ(b.max_invoice_id(), invoices.rbegin()->first);
    std::map<int64_t, std::vector<int64_t>> by_account;
    for (const auto& [id, account] : invoices) {
      const uint32_t ordinal = b.OrdinalOfInvoice(id);
      ASSERT_NE(ordinal, BaseInvoices::kNone) << id;
      EXPECT_EQ(b.account(ordinal).account_id, account) << id;
      EXPECT_EQ(b.OrdinalOfAccount(account), ordinal);
      by_account[account].push_back(id);
    }
    EXPECT_EQ(b.size(), by_account.size());
    for (uint32_t o = 0; o < b.size(); ++o) {
      std::vector<int64_t> ids;
      InvoiceEntry previous{};
      bool first = true;
      ASSERT_TRUE(b.Decode(o, [&](const InvoiceEntry& e) {
        EXPECT_TRUE(first || InvoiceOrderLess(previous.row, e.row));
        previous = e;
        first = false;
        ids.push_back(e.row.invoice_id);
      }));
      std::sort(ids.begin(), ids.end());
      EXPECT_EQ(ids, by_account[b.account(o).account_id]);
      EXPECT_EQ(b.account(o).count, ids.size());
    }
    std::vector<int64_t> seen;
    b.ForEachInvoice([&](int64_t id, uint32_t ordinal) {
      seen.push_back(id);
      EXPECT_EQ(b.account(ordinal).account_id, invoices.at(id));
    });
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(seen.size(), invoices.size());
    for (int64_t missing : {int64_t{-1}, invoices.rbegin()->first + 1, int64_t{0} - (int64_t{1} << 40), INT64_MAX}) {
      if (!invoices.contains(missing)) {
        EXPECT_EQ(b.OrdinalOfInvoice(missing), BaseInvoices::kNone) << missing;
      }
    }
    EXPECT_EQ(b.OrdinalOfAccount(-5), BaseInvoices::kNone);
    EXPECT_EQ(b.OrdinalOfAccount(INT64_MAX), BaseInvoices::kNone);
  }

  std::string dir_;
};

TEST_F(BaseInvoicesTest, DenseIdsAreIndexedDirectly) {
  std::map<int64_t, int64_t> invoices;
  for (int64_t id = 1; id <= 5000; ++id) {
    if (id % 7 != 0) invoices[id] = 1 + id % 40;  // gaps: ids the state lacks inside its range
  }
  Ledger loaded;
  SaveAndLoad(invoices, loaded);
  ExpectIndexed(*loaded.base(), invoices);
  EXPECT_EQ(loaded.base()->OrdinalOfInvoice(7), BaseInvoices::kNone);
  EXPECT_EQ(loaded.base()->OrdinalOfAccount(41), BaseInvoices::kNone);
}

TEST_F(BaseInvoicesTest, SparseIdsAreFoundBySearch) {
  std::map<int64_t, int64_t> invoices;
  for (int64_t i = 0; i < 3000; ++i) {
    invoices[(int64_t{1} << 45) + i * 1000003] = (int64_t{1} << 40) + i % 25;  // huge invoice and account ids
  }
  invoices[-77] = -3;  // negative ids are ids too
  Ledger loaded;
  SaveAndLoad(invoices, loaded);
  ExpectIndexed(*loaded.base(), invoices);
  EXPECT_EQ(loaded.base()->OrdinalOfInvoice((int64_t{1} << 45) + 1), BaseInvoices::kNone);
}

}  // namespace
}  // namespace ledgerlake::engine
