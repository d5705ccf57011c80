#include "engine/invoice_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

namespace ledgerlake::engine {
namespace {

// SortInvoiceKeys against std::sort with InvoiceOrderLess, on key shapes that take the radix path (dense ids,
// negative ones, a single account, a single day) and ones that cannot (ranges too wide for 64 bits together).
TEST(SortInvoiceKeysTest, SortsLikeTheComparisonOnEveryShape) {
  struct Shape {
    const char* name;
    int64_t account_lo, account_hi;
    int64_t invoice_lo, invoice_hi;
    DayNumber day_lo, day_hi;
  };
  const std::vector<Shape> shapes = {
      {"dense", 1, 500000, 1, 5000000, 18000, 20000},
      {"negative ids", -1000, 1000, -3000000, 3000000, -400, 400},
      {"one account", 7, 7, 1, 1000000, 19000, 19500},
      {"one day", 1, 50, 1, 1000000, 19000, 19000},
      {"ids near the ends of int64", INT64_MIN, INT64_MIN + 100, INT64_MAX - 200000, INT64_MAX, 0, 10},
      {"too wide for 64 bits", INT64_MIN / 2, INT64_MAX / 2, INT64_MIN / 2, INT64_MAX / 2, INT32_MIN, INT32_MAX},
  };
  for (const Shape& shape : shapes) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{5000}, size_t{200000}}) {
      SCOPED_TRACE(std::string(shape.name) + ", " + std::to_string(n) + " keys");
      std::mt19937_64 rng(n + 17);
      auto in = [&](int64_t lo, int64_t hi) {
        const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
        const uint64_t r = span == UINT64_MAX ? rng() : rng() % (span + 1);
        return static_cast<int64_t>(static_cast<uint64_t>(lo) + r);
      };
      std::vector<InvoiceSortKey> keys;
      std::set<int64_t> ids;  // invoice ids are unique
      while (keys.size() < n) {
        const int64_t id = in(shape.invoice_lo, shape.invoice_hi);
        if (!ids.insert(id).second) continue;
        keys.push_back(InvoiceSortKey{in(shape.account_lo, shape.account_hi), id,
                                      static_cast<DayNumber>(in(shape.day_lo, shape.day_hi)),
                                      static_cast<uint32_t>(keys.size())});
      }
      std::vector<InvoiceSortKey> expected = keys;
      std::sort(expected.begin(), expected.end(),
                [](const InvoiceSortKey& a, const InvoiceSortKey& b) { return InvoiceOrderLess(a, b); });
      SortInvoiceKeys(keys);
      ASSERT_EQ(keys.size(), expected.size());
      for (size_t i = 0; i < keys.size(); ++i) ASSERT_EQ(keys[i].position, expected[i].position) << i;
    }
  }
}

// Invoices as billing systems issue them: ids rising with the date, each account's invoices in order already, a
// few accounts out of order (re-dated or late-numbered invoices), over few accounts (the counting sort by account)
// and many (the radix sort).
TEST(SortInvoiceKeysTest, SortsInvoicesIssuedMostlyInOrder) {
  for (const int64_t accounts : {int64_t{1}, int64_t{300}, int64_t{20000}, int64_t{1000000}}) {
    for (const size_t n : {size_t{5000}, size_t{200000}}) {
      SCOPED_TRACE(std::to_string(accounts) + " accounts, " + std::to_string(n) + " keys");
      std::mt19937_64 rng(static_cast<uint64_t>(accounts) * 31 + n);
      std::vector<InvoiceSortKey> keys;
      DayNumber day = 19000;
      for (size_t i = 0; i < n; ++i) {
        day += static_cast<DayNumber>(rng() % 3 == 0);
        keys.push_back(InvoiceSortKey{100 + static_cast<int64_t>(rng() % static_cast<uint64_t>(accounts)),
                                      static_cast<int64_t>(i) + 1, day, static_cast<uint32_t>(i)});
      }
      for (size_t s = 0; s < n / 100; ++s) {  // re-dated invoices: out of their account's order
        keys[rng() % n].date_issued = static_cast<DayNumber>(19000 + rng() % 400);
      }
      std::vector<InvoiceSortKey> expected = keys;
      std::sort(expected.begin(), expected.end(),
                [](const InvoiceSortKey& a, const InvoiceSortKey& b) { return InvoiceOrderLess(a, b); });
      SortInvoiceKeys(keys);
      ASSERT_EQ(keys.size(), expected.size());
      for (size_t i = 0; i < keys.size(); ++i) {
        ASSERT_EQ(keys[i].position, expected[i].position) << i;
        ASSERT_EQ(keys[i].account_id, expected[i].account_id) << i;
        ASSERT_EQ(keys[i].date_issued, expected[i].date_issued) << i;
        ASSERT_EQ(keys[i].invoice_id, expected[i].invoice_id) << i;
      }
    }
  }
}

// The order sorted on a thread of its own while line items are added (InvoiceOrderAhead) is the order of the
// finished Ledger, and is by (account_id, date_issued, invoice_id): invoices in random order over many accounts
// (some of them unknown), line items added meanwhile (they change groups, never an invoice's order key).
TEST(InvoiceOrderAheadTest, EqualsTheFinishedLedgersOrder) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 4; ++round) {
    Ledger ledger;
    const int accounts = round == 0 ? 3 : 2000;
    for (int a = 1; a <= accounts; ++a) {
      ledger.Add(contract::ValidRow<contract::AccountRow>{{a, 18000}, static_cast<uint64_t>(a), {}}, 1);
    }
    ledger.Add(contract::ValidRow<contract::SkuRow>{{10, 750}, 10, {}}, 2);
    std::vector<int64_t> ids(50000);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i) * (round == 3 ? 7919 : 1) + 1;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (const int64_t id : ids) {
      const contract::InvoiceRow row{id, 1 + static_cast<int64_t>(rng() % (accounts + 5)),
                                     static_cast<DayNumber>(19000 + rng() % 400), contract::kNoDate,
                                     contract::Payment::kUnpaid};
      ledger.Add(contract::ValidRow<contract::InvoiceRow>{row, static_cast<uint64_t>(id), {}}, 3);
    }
    ledger.EndTable(TableId::kInvoices);
    InvoiceOrderAhead ahead(ledger);
    ledger.BeginFile(TableId::kLineItems, 4);
    for (const int64_t id : ids) {
      ledger.Add(contract::ValidRow<contract::LineItemRow>{{id, 10, 2}, static_cast<uint64_t>(id), {}}, 4);
    }
    ledger.EndTable(TableId::kLineItems);
    const std::vector<uint32_t> early = ahead.Take();
    auto finished = FinishedLedger::Finish(std::move(ledger), FinishOptions{19500, {}});
    ASSERT_TRUE(finished.ok());
    const std::vector<uint32_t> order = InvoiceOrder(*finished);
    ASSERT_EQ(early, order) << "round " << round;
    const auto& invoices = finished->ledger().invoices();
    ASSERT_EQ(order.size(), invoices.size());
    for (size_t i = 1; i < order.size(); ++i) {
      ASSERT_TRUE(InvoiceOrderLess(invoices.AtPosition(order[i - 1]).row, invoices.AtPosition(order[i]).row)) << i;
    }
  }
}

}  // namespace
}  // namespace ledgerlake::engine
