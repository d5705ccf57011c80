// Incremental runs always equal a full recompute (issue 3's invariant), over many random delivery sequences:
// full dumps and deltas, re-sends, updates (joining dates, prices, payments, dates, accounts, line groups), late
// arrivals (line items before their invoice, invoices before their account, skus after their lines), invoices
// issued after D, deliveries out of date order, re-runs of the same day, days that move on with nothing new, and
// accounts extracts with a breaking schema change (held back until a later one supersedes them).
// Lake A only ever runs incrementally; lake B lands the same files in the same order and runs --full-refresh.
// After every run A's current views must equal B's, and at the end A's views as of every earlier run day must
// equal what B showed after its run of that day.
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <stdlib.h>

#include <nlohmann/json.hpp>

#include "e2e/harness.h"
#include "e2e/reference.h"
#include "engine/state.h"
#include "util/date.h"

namespace ledgerlake::e2e {
namespace {

namespace fs = std::filesystem;

// Every dataset of a lake's views, one canonical line per row.
constexpr const char* kDump =
    "SELECT 'account_features' AS d, x::VARCHAR AS r FROM account_features x "
    "UNION ALL SELECT 'account_invoice_features', x::VARCHAR FROM account_invoice_features x "
    "UNION ALL SELECT 'invoice_features', x::VARCHAR FROM invoice_features x "
    "UNION ALL SELECT 'pending', x::VARCHAR FROM pending x "
    "UNION ALL SELECT 'rejects', x::VARCHAR FROM rejects x ORDER BY d, r";

struct Invoice {
  int64_t account;
  DayNumber date;
  std::optional<DayNumber> paid;
};
struct Line {
  int64_t item;
  int64_t quantity;
};

// The billing system: its tables, what changed since each table was last delivered, and files it delivers.
class World {
 public:
  explicit World(uint64_t seed) : rng_(seed) {}

  // Changes the world as of `today`: new and updated rows of every table.
  void Evolve(DayNumber today) {
    const int new_accounts = Uniform(0, 4);
    for (int i = 0; i < new_accounts; ++i) {
      const int64_t id = next_account_++;
      accounts_[id] = today - Uniform(0, 700);
      dirty_accounts_.insert(id);
    }
    if (Chance(0.3) && !accounts_.empty()) {  // a corrected joining date
      const int64_t id = Pick(accounts_);
      accounts_[id] += Uniform(-60, 60);
      dirty_accounts_.insert(id);
    }
    const int new_skus = next_sku_ == 1 ? 5 : Uniform(0, 1);
    for (int i = 0; i < new_skus; ++i) {
      const int64_t id = next_sku_++;
      skus_[id] = Uniform(1, 20000);
      dirty_skus_.insert(id);
    }
    if (Chance(0.4)) {  // a price change
      const int64_t id = Pick(skus_);
      skus_[id] = Uniform(1, 20000);
      dirty_skus_.insert(id);
    }
    const int new_invoices = Uniform(5, 25);
    for (int i = 0; i < new_invoices && next_account_ > 1; ++i) {
      const int64_t id = next_invoice_++;
      // Mostly recent, some late arrivals from long ago, some issued after D.
      const DayNumber date = today - (Chance(0.15) ? Uniform(100, 400) : Uniform(-20, 60));
      Invoice inv{Uniform(1, static_cast<int>(next_account_ - 1)), date, std::nullopt};
      if (Chance(0.1)) inv.account = next_account_ + Uniform(0, 2);  // an account that arrives later
      if (Chance(0.5)) inv.paid = date + Uniform(0, 60);
      invoices_[id] = inv;
      dirty_invoices_.insert(id);
      NewLines(id);
    }
    const int updates = Uniform(0, 6);
    for (int i = 0; i < updates && !invoices_.empty(); ++i) {
      const int64_t id = Pick(invoices_);
      Invoice& inv = invoices_[id];
      switch (Uniform(0, 4)) {
        case 0: inv.paid = inv.date + Uniform(0, 60); break;      // paid now
        case 1: inv.date += Uniform(-40, 40); break;              // a corrected date (maybe after D)
        case 2: inv.account = Uniform(1, static_cast<int>(next_account_ - 1)); break;  // moved account
        case 3: NewLines(id); break;                              // a new set of line items
        default: inv.paid.reset(); break;                         // payment reversed
      }
      dirty_invoices_.insert(id);
    }
  }

  // Writes one delivery (a file per table, maybe a full dump) into `dir`; returns the files in landing order.
  std::vector<std::string> Deliver(const std::string& dir, int number) {
    std::vector<std::string> files;
    const std::string tag = std::to_string(number);
    auto emit = [&](const std::string& name, const std::string& text) {
      if (text.find('\n') == text.rfind('\n')) return;  // the header only: no file
      const std::string path = dir + "/" + name + "_" + tag + ".csv";
      WriteFile(path, text);
      files.push_back(path);
    };
    const bool full = Chance(0.2);
    // Now and then an export with DD/MM/YYYY joining dates: a breaking change that holds accounts back until a
    // later accounts extract supersedes it (its rows then become rejects).
    const bool broken = Chance(0.1);
    // Dates are sometimes ISO timestamps (taken as their date).
    auto date_text = [&](DayNumber d) { return FormatIsoDate(d) + (Chance(0.05) ? " 08:30:00" : ""); };
    std::string a = "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date\n";
    for (const auto& [id, joined] : accounts_) {
      if (!full && !Take(dirty_accounts_, id)) continue;
      dirty_accounts_.erase(id);
      std::string date = FormatIsoDate(joined);
      if (broken) date = date.substr(8, 2) + "/" + date.substr(5, 2) + "/" + date.substr(0, 4);
      const std::string row = std::to_string(id) + ",Co " + std::to_string(id) + ",\"1 St\nTown\",P,1,F,";
      // A wrong row of the same key before the right one: a duplicate_key reject, the later row wins.
      if (!broken && Chance(0.05)) a += row + FormatIsoDate(joined + 1) + "\n";
      a += row + date + "\n";
      if (Chance(0.05)) a += "x" + std::to_string(id) + ",Co,x,P,1,F," + FormatIsoDate(joined) + "\n";  // bad_integer
    }
    std::string s = "item_id,item_name,item_description,item_cost_price,item_retail_price\n";
    for (const auto& [id, cents] : skus_) {
      if (!full && !Take(dirty_skus_, id)) continue;
      dirty_skus_.erase(id);
      s += std::to_string(id) + ",Item,\"a, b\",0.01," + Money(cents) + "\n";
      if (Chance(0.05)) s += std::to_string(id) + ",Item,x,0.01,-1.00\n";  // negative_price: rejected
      if (Chance(0.05)) s += std::to_string(id) + ",Item,x,0.01,1.999\n";  // bad_decimal: rejected
    }
    // The payment column under either of its names, and now and then an export without it (is_late unknowable).
    const bool no_payment = Chance(0.05);
    std::string inv = std::string("invoice_id,account_id,date_issued") +
                      (no_payment ? "" : Chance(0.3) ? ",payment_date" : ",payment_dates") + "\n";
    std::string lines = "invoice_id,item_id,quantity\n";
    for (const auto& [id, v] : invoices_) {
      if (!full && !Take(dirty_invoices_, id)) continue;
      dirty_invoices_.erase(id);
      std::string row = std::to_string(id) + "," + std::to_string(v.account) + "," + date_text(v.date);
      if (!no_payment) row += "," + (v.paid ? date_text(*v.paid) : "");
      inv += row + "\n";
      if (Chance(0.05)) inv += row + "\n";  // an exact repeat: a duplicate
      if (Chance(0.05)) inv += std::to_string(id) + ",1,2024-02-30" + (no_payment ? "" : ",") + "\n";  // bad_date
    }
    for (const auto& [id, group] : lines_) {
      if (!full && !Take(dirty_lines_, id)) continue;
      dirty_lines_.erase(id);
      for (const Line& l : group) {
        lines += std::to_string(id) + "," + std::to_string(l.item) + "," + std::to_string(l.quantity) + "\n";
      }
      // The first line again, exactly: a second line of the same item, which counts.
      if (Chance(0.1)) lines += std::to_string(id) + "," + std::to_string(group[0].item) + "," +
                                std::to_string(group[0].quantity) + "\n";
      if (Chance(0.05)) lines += std::to_string(id) + "," + std::to_string(group[0].item) + ",1.5\n";  // bad_integer
    }
    // Tables in a random landing order: runs load parents first whatever the order.
    std::vector<std::pair<std::string, std::string>> tables = {
        {"accounts", a}, {"skus", s}, {"invoices", inv}, {"invoice_line_items", lines}};
    std::shuffle(tables.begin(), tables.end(), rng_);
    for (const auto& [name, text] : tables) emit(name, text);
    return files;
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename Map>
  int64_t Pick(const Map& m) {
    auto it = m.begin();
    std::advance(it, Uniform(0, static_cast<int>(m.size()) - 1));
    return it->first;
  }
  // Whether a changed row goes out now: most do, some arrive late.
  bool Take(const std::set<int64_t>& dirty, int64_t id) { return dirty.contains(id) && Chance(0.8); }
  static std::string Money(int64_t cents) {
    return std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100);
  }
  void NewLines(int64_t invoice) {
    std::vector<Line> group;
    const int n = Uniform(1, 4);
    for (int i = 0; i < n; ++i) {
      // Sometimes a sku the system has not delivered yet (it is created now and delivered later).
      int64_t item = Uniform(1, static_cast<int>(next_sku_ - 1));
      if (Chance(0.05)) {
        item = next_sku_++;
        skus_[item] = Uniform(1, 20000);
        dirty_skus_.insert(item);
      }
      group.push_back(Line{item, Uniform(-1, 9)});
    }
    lines_[invoice] = group;
    dirty_lines_.insert(invoice);
  }

  std::mt19937_64 rng_;
  int64_t next_account_ = 1, next_sku_ = 1, next_invoice_ = 1000;
  std::map<int64_t, DayNumber> accounts_;
  std::map<int64_t, int64_t> skus_;
  std::map<int64_t, Invoice> invoices_;
  std::map<int64_t, std::vector<Line>> lines_;
  std::set<int64_t> dirty_accounts_, dirty_skus_, dirty_invoices_, dirty_lines_;
};

class IncrementalTest : public ScratchTest {
 protected:
  std::string Dump(const std::string& lake, const std::string& as_of = "") {
    std::vector<std::string> args = {"query", kDump, "--format", "csv"};
    if (!as_of.empty()) args.insert(args.end(), {"--as-of", as_of});
    const CommandResult r = RunLedgerlake(lake, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }
  void Ingest(const std::string& lake, const std::vector<std::string>& files) {
    for (const std::string& f : files) {
      const CommandResult r = RunLedgerlake(lake, {"ingest", f});
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }
  // Runs and returns what it printed on stderr.
  std::string Run(const std::string& lake, const std::string& day, bool full_refresh, int partitions = 1) {
    std::vector<std::string> args = {"run", "--as-of", day};
    if (full_refresh) args.push_back("--full-refresh");
    if (partitions > 1) args.insert(args.end(), {"--partitions", std::to_string(partitions)});
    const CommandResult r = RunLedgerlake(lake, args);
    // 3: done, but a table was held back by a breaking schema change (and the run says so).
    EXPECT_EQ(r.exit_code, r.err.find("held back") == std::string::npos ? 0 : 3) << r.err;
    return r.err;
  }
};

// The fates of every row the lake's newest run read, per table (from `catalog runs --json`).
std::string NewestRunFates(const std::string& lake) {
  const CommandResult r = RunLedgerlake(lake, {"catalog", "runs", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto runs = nlohmann::json::parse(r.out);
  return runs.empty() ? "" : runs.back().at("tables").dump();
}

// The lake's newest run record without its tables and partitions, to tell how it ran.
std::string NewestRun(const std::string& lake) {
  const CommandResult r = RunLedgerlake(lake, {"catalog", "runs", "--json"});
  auto runs = nlohmann::json::parse(r.out);
  if (runs.empty()) return "";
  for (const char* key : {"tables", "partitions", "consumed_files", "stages_seconds"}) runs.back().erase(key);
  return runs.back().dump();
}

// How many of the newest run's bucket states are overlays over a complete state of an earlier run (their header
// names it: docs/formats.md).
int OverlaidStates(const std::string& lake) {
  const CommandResult r = RunLedgerlake(lake, {"catalog", "runs", "--json"});
  const auto runs = nlohmann::json::parse(r.out);
  if (runs.empty() || !runs.back().contains("state")) return 0;
  const fs::path manifest = fs::path(lake) / runs.back().at("state").get<std::string>();
  std::ifstream in(manifest);
  const auto m = nlohmann::json::parse(in, nullptr, false);
  if (m.is_discarded()) return 0;
  int overlays = 0;
  for (const auto& name : m.at("bucket_states")) {
    auto info = engine::ReadStateInfo((manifest.parent_path() / name.get<std::string>()).string());
    overlays += info.ok() && !info->base.empty() ? 1 : 0;
  }
  return overlays;
}

// The complete state under the newest run's first overlaid bucket state ("" when none is an overlay).
std::string CompleteStateUnder(const std::string& lake) {
  const CommandResult r = RunLedgerlake(lake, {"catalog", "runs", "--json"});
  const auto runs = nlohmann::json::parse(r.out);
  if (runs.empty() || !runs.back().contains("state")) return "";
  const fs::path manifest = fs::path(lake) / runs.back().at("state").get<std::string>();
  std::ifstream in(manifest);
  const auto m = nlohmann::json::parse(in, nullptr, false);
  if (m.is_discarded()) return "";
  for (const auto& name : m.at("bucket_states")) {
    auto info = engine::ReadStateInfo((manifest.parent_path() / name.get<std::string>()).string());
    if (info.ok() && !info->base.empty()) return (manifest.parent_path() / info->base).string();
  }
  return "";
}

// Every table's rows read are the sum of their fates (docs/data-contract.md).
void ExpectFatesAddUp(const std::string& fates) {
  const nlohmann::json tables = nlohmann::json::parse(fates);
  for (const auto& [table, c] : tables.items()) {
    EXPECT_EQ(c.at("read").get<int64_t>(), c.at("accepted").get<int64_t>() + c.at("rejected").get<int64_t>() +
                                               c.at("duplicate").get<int64_t>() + c.at("pending").get<int64_t>())
        << table << ": " << fates;
  }
}

// The table of a delivered file, from its name (<table>_<number>.csv).
std::string TableOf(const std::string& path) {
  const std::string name = fs::path(path).filename().string();
  return name.substr(0, name.rfind('_'));
}

// Lake A runs incrementally, lake B runs --full-refresh and lake C runs incrementally in 2-4 passes
// (--partitions), a number that changes every few steps: after every run all three show the same rows, C counted
// the fates A did when it continued its state and B's when the number changed (a complete run), and the features
// and the typed source views equal the reference SQL's over every file landed so far
// (tests/reference/landed_files.sql).
TEST_F(IncrementalTest, EveryRunEqualsAFullRecomputeAndEveryEarlierDayStaysAsItWas) {
  const std::string full = dir_ + "/full";
  const std::string parted = dir_ + "/parted";
  ASSERT_EQ(RunLedgerlake(full, {"init"}).exit_code, 0);
  LlOk({"init"});
  int runs = 0, deltas_with_rows = 0, runs_holding_back = 0, parted_incremental = 0, overlays = 0, parted_overlays = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // Each sequence starts from empty lakes.
    fs::remove_all(lake_);
    fs::remove_all(full);
    fs::remove_all(parted);
    LlOk({"init"});
    ASSERT_EQ(RunLedgerlake(full, {"init"}).exit_code, 0);
    ASSERT_EQ(RunLedgerlake(parted, {"init"}).exit_code, 0);
    World world(seed);
    std::mt19937_64 rng(seed * 7919);
    DayNumber today = *ParseIsoDate("2024-03-01");
    std::map<std::string, std::string> expected_as_of;  // run day -> B's views after its last run of that day
    std::vector<std::string> landed;
    std::vector<Extract> extracts;
    for (int step = 0; step < 9; ++step) {
      SCOPED_TRACE("step " + std::to_string(step));
      world.Evolve(today);
      const std::string out = dir_ + "/deliveries/" + std::to_string(seed) + "/" + std::to_string(step);
      fs::create_directories(out);
      std::vector<std::string> files = world.Deliver(out, step);
      if (!landed.empty() && std::bernoulli_distribution(0.2)(rng)) {
        files.push_back(landed[rng() % landed.size()]);  // a re-send of an earlier file: landing it is a no-op
      }
      Ingest(lake_, files);
      Ingest(full, files);
      Ingest(parted, files);
      landed.insert(landed.end(), files.begin(), files.end());
      for (const std::string& f : files) extracts.push_back(Extract{f, TableOf(f)});
      if (std::bernoulli_distribution(0.25)(rng)) continue;  // no run today: deliveries pile up
      const std::string day = FormatIsoDate(today);
      // States saved as overlays up to all, half or a quarter of the invoices, or always complete.
      const char* shares[] = {"1", "2", "4", "0"};
      ::setenv("LEDGERLAKE_OVERLAY_SHARE", shares[rng() % 4], 1);
      const std::string said = Run(lake_, day, false);
      EXPECT_EQ(Run(full, day, true).find("held back") == std::string::npos,
                said.find("held back") == std::string::npos);
      runs_holding_back += said.find("held back") != std::string::npos ? 1 : 0;
      ++runs;
      const int passes = 2 + (step / 4 + static_cast<int>(seed)) % 3;
      Run(parted, day, false, passes);
      const std::string b = Dump(full);
      EXPECT_EQ(Dump(lake_), b) << "as of " << day;
      ExpectSameRows(LakeFeatures(lake_), ReferenceFeatures(extracts, day, dir_), "features as of " + day);
      ExpectSameRows(LakeSources(lake_), ReferenceSources(extracts, dir_), "source tables as of " + day);
      EXPECT_EQ(Dump(parted), b) << "as of " << day << " in " << passes << " passes";
      // C continues its state in the same number of passes and rebuilds from the raw zone when it changes: its
      // fates are then A's (the rows of the files after the bookmarks) or B's (every row).
      const bool parted_continued = nlohmann::json::parse(NewestRun(parted)).at("kind") == "delta";
      parted_incremental += parted_continued ? 1 : 0;
      overlays += OverlaidStates(lake_);
      parted_overlays += OverlaidStates(parted);
      EXPECT_EQ(NewestRunFates(parted), NewestRunFates(parted_continued ? lake_ : full))
          << "as of " << day << "; " << NewestRun(parted);
      for (const std::string& lake : {lake_, full, parted}) ExpectFatesAddUp(NewestRunFates(lake));
      expected_as_of[day] = b;
      const CommandResult delta = RunLedgerlake(
          lake_, {"query", "SELECT count(*) AS n FROM invoice_features_history WHERE ingest_day = " +
                               std::to_string(std::stoi(day.substr(8))) + " AND ingest_month = " +
                               std::to_string(std::stoi(day.substr(5, 2))), "--format", "csv"});
      if (delta.out != "n\n0\n") ++deltas_with_rows;
      // Days move on by 0 (the same day again, with new deliveries) to 45 days.
      const int advance = std::uniform_int_distribution<int>(0, 4)(rng) == 0 ? 0 : std::uniform_int_distribution<int>(1, 45)(rng);
      today += advance;
    }
    for (const auto& [day, b] : expected_as_of) EXPECT_EQ(Dump(lake_, day), b) << "as of " << day;
  }
  EXPECT_GT(runs, 20);
  EXPECT_GT(deltas_with_rows, 10);
  EXPECT_GT(runs_holding_back, 0);
  // C rebuilds when the number of passes changes and when an invoice moves to an account of another bucket (this
  // world moves invoices far more often than billing systems do); it continues its state otherwise.
  EXPECT_GT(parted_incremental, 4);
  EXPECT_LT(parted_incremental, runs);
  ::unsetenv("LEDGERLAKE_OVERLAY_SHARE");
  // Some of the states A and C continued were overlays, and some were complete.
  std::cout << "overlaid states: " << overlays << " in one pass, " << parted_overlays << " in passes\n";
  EXPECT_GT(overlays, 0);
  EXPECT_GT(parted_overlays, 0);
}

// A lake whose daily deliveries touch a few of its accounts keeps its state as overlays over one complete state
// (docs/formats.md), in one pass and in passes, and every run still equals a full recompute: new invoices with
// line items for a few accounts, and re-sent invoices now paid.
TEST_F(IncrementalTest, SmallDeliveriesAreSavedAsOverlaysAndStillEqualAFullRecompute) {
  const std::string gen = dir_ + "/gen", full = dir_ + "/full", parted = dir_ + "/parted";
  ASSERT_EQ(RunLedgerlake(lake_, {"generate", "--out", gen, "--invoices", "20000", "--accounts", "1000", "--seed", "5"})
                .exit_code,
            0);
  for (const std::string& lake : {lake_, full, parted}) ASSERT_EQ(RunLedgerlake(lake, {"init"}).exit_code, 0);
  std::vector<std::string> invoices;  // the generated invoice rows
  {
    std::ifstream in(gen + "/invoices.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) invoices.push_back(line);
  }
  std::vector<std::string> base;
  for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) base.push_back(gen + "/" + t + ".csv");
  for (const std::string& lake : {lake_, full, parted}) Ingest(lake, base);
  Run(lake_, "2024-12-31", false);
  Run(parted, "2024-12-31", false, 3);
  int overlays = 0, parted_overlays = 0;
  for (int step = 1; step <= 5; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    const std::string out = dir_ + "/small/" + std::to_string(step);
    fs::create_directories(out);
    std::string inv = "invoice_id,account_id,date_issued,payment_dates\n";
    std::string lines = "invoice_id,item_id,quantity\n";
    for (int k = 0; k < 30; ++k) {
      const int64_t id = 1000000 + step * 100 + k;
      inv += std::to_string(id) + "," + std::to_string(1 + (step * 37 + k * 13) % 1000) + ",2024-12-" +
             (k % 28 < 9 ? "0" : "") + std::to_string(1 + k % 28) + "," + (k % 2 == 0 ? "2025-01-0" + std::to_string(step) : "") + "\n";
      lines += std::to_string(id) + "," + std::to_string(1 + k * 7 % 400) + "," + std::to_string(1 + k % 5) + "\n";
    }
    for (int k = 0; k < 20; ++k) {  // re-sent: the same account and date, now paid on 2024-12-30
      const std::string& row = invoices[(step * 997 + k * 131) % invoices.size()];
      inv += row.substr(0, row.rfind(',')) + ",2024-12-30\n";
    }
    WriteFile(out + "/invoices.csv", inv);
    WriteFile(out + "/invoice_line_items.csv", lines);
    for (const std::string& lake : {lake_, full, parted}) Ingest(lake, {out + "/invoices.csv", out + "/invoice_line_items.csv"});
    const std::string day = "2025-01-0" + std::to_string(step);
    Run(lake_, day, false);
    Run(parted, day, false, 3);
    Run(full, day, true);
    const std::string b = Dump(full);
    EXPECT_EQ(Dump(lake_), b) << "as of " << day;
    EXPECT_EQ(Dump(parted), b) << "as of " << day << " in 3 passes";
    EXPECT_EQ(nlohmann::json::parse(NewestRun(lake_)).at("kind"), "delta");
    EXPECT_EQ(nlohmann::json::parse(NewestRun(parted)).at("kind"), "delta");
    overlays += OverlaidStates(lake_);
    parted_overlays += OverlaidStates(parted);
  }
  EXPECT_GE(overlays, 3);         // of 5 states
  EXPECT_GE(parted_overlays, 9);  // of 15
  // The complete state under an overlay is damaged, then gone: the next run rebuilds from the raw zone, and says so.
  for (const bool gone : {false, true}) {
    SCOPED_TRACE(gone ? "gone" : "damaged");
    auto deliver = [&](int step) {
      const std::string out = dir_ + "/small/" + std::to_string(step);
      fs::create_directories(out);
      WriteFile(out + "/invoices.csv", "invoice_id,account_id,date_issued,payment_dates\n" +
                                           std::to_string(2000000 + step) + ",7,2024-12-20,\n");
      for (const std::string& lake : {lake_, full}) Ingest(lake, {out + "/invoices.csv"});
      return "2025-01-0" + std::to_string(step);
    };
    const std::string day = deliver(gone ? 8 : 6);
    Run(lake_, day, false);
    const std::string under = CompleteStateUnder(lake_);
    ASSERT_FALSE(under.empty());
    if (gone) {
      fs::remove(under);
    } else {
      std::string bytes = ReadFile(under);
      bytes[bytes.size() / 2] ^= 0x5A;
      WriteFile(under, bytes);
    }
    const std::string next = deliver(gone ? 9 : 7);
    const CommandResult r = Ll({"run", "--as-of", next, "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("rebuilding from the raw zone"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fs::path(under).filename().string()), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("\"kind\": \"complete\""), std::string::npos) << r.out;
    Run(full, next, true);
    EXPECT_EQ(Dump(lake_), Dump(full));
  }
}

// Delta partitions hold only what changed: a day with nothing new but D moving on writes only the rows whose
// is_late D changed, and the same day again with nothing new writes nothing at all.
TEST_F(IncrementalTest, DeltasHoldOnlyChangedRows) {
  const std::string w = TestData("cases/worked_example");
  LlOk({"init"});
  for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) {
    LlOk({"ingest", w + "/" + t + ".csv"});
  }
  LlOk({"run", "--as-of", "2024-11-24"});
  const std::string before = LlOk({"catalog", "runs", "--json"});
  const CommandResult again = Ll({"run", "--as-of", "2024-11-24"});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.err.find("nothing to apply since the run as of 2024-11-24"), std::string::npos) << again.err;
  EXPECT_EQ(LlOk({"catalog", "runs", "--json"}), before);

  // 2024-12-02: invoice 104 (unpaid, issued 2024-11-01) is 31 days old: late now; invoice 105 is issued (its
  // payment of 2024-12-05 is not known yet: is_late NULL).
  LlOk({"run", "--as-of", "2024-12-02"});
  EXPECT_EQ(LlOk({"query",
                  "SELECT inv_id, is_late FROM invoice_features_history WHERE ingest_day = 2 ORDER BY inv_id",
                  "--format", "csv"}),
            "inv_id,is_late\n104,1\n105,\n");
  EXPECT_EQ(LlOk({"query", "SELECT invoice_id FROM account_invoice_features_history WHERE ingest_day = 2",
                  "--format", "csv"}),
            "invoice_id\n105\n");
  // A corrected invoice: 101 re-sent paid late and moved to 2024-12-10 (after D: it leaves both datasets).
  WriteFile(dir_ + "/fix/invoices.csv", "invoice_id,account_id,date_issued,payment_dates\n101,1,2024-12-10,\n");
  LlOk({"ingest", dir_ + "/fix/invoices.csv"});
  LlOk({"run", "--as-of", "2024-12-03"});
  EXPECT_EQ(LlOk({"query", "SELECT invoice_id FROM deleted_invoices", "--format", "csv"}), "invoice_id\n101\n");
  // Its neighbours moved: 102 and 103 are one position earlier, and 103's window lost 101.
  EXPECT_EQ(LlOk({"query",
                  "SELECT inv_id, num_inv_120d, cum_tot_inv_acct FROM invoice_features_history "
                  "WHERE ingest_day = 3 ORDER BY inv_id",
                  "--format", "csv"}),
            "inv_id,num_inv_120d,cum_tot_inv_acct\n102,1,2\n103,1,3\n");
  EXPECT_EQ(LlOk({"query", "SELECT count(*) AS n FROM invoice_features WHERE inv_id = 101", "--format", "csv"}),
            "n\n0\n");
  // As of 2024-12-02 it is still there, as it was.
  EXPECT_EQ(LlOk({"query", "SELECT cum_tot_inv_acct FROM invoice_features WHERE inv_id = 101", "--format", "csv",
                  "--as-of", "2024-12-02"}),
            "cum_tot_inv_acct\n2\n");
  // An earlier day than the newest run's is refused: it would rewrite history.
  const CommandResult back = Ll({"run", "--as-of", "2024-12-01"});
  EXPECT_EQ(back.exit_code, 1);
  EXPECT_NE(back.err.find("partitions up to 2024-12-03"), std::string::npos) << back.err;
}

}  // namespace
}  // namespace ledgerlake::e2e

namespace ledgerlake::e2e {
namespace {

// The state and line logs are not fsynced but checksummed: a damaged one (a crash tore it), or one of another
// format version, makes the next run rebuild from the raw zone, with the same result.
TEST_F(IncrementalTest, ADamagedStateOrLineLogIsRebuiltFromTheRawZone) {
  const std::string w = TestData("cases/worked_example");
  LlOk({"init"});
  for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) LlOk({"ingest", w + "/" + t + ".csv"});
  LlOk({"run", "--as-of", "2024-11-24"});
  auto damage = [&](const std::string& extension) {
    for (const auto& e : fs::directory_iterator(lake_ + "/state")) {
      if (e.path().extension() != extension) continue;
      std::string bytes = ReadFile(e.path().string());
      bytes[bytes.size() / 2] ^= 0x5A;
      WriteFile(e.path().string(), bytes);
    }
  };
  const std::string kTotals = "SELECT inv_id, inv_total FROM invoice_features ORDER BY inv_id";
  // A price change makes the run read the line log; the log is damaged.
  WriteFile(dir_ + "/d2/skus.csv", "item_id,item_retail_price\n10,8.00\n");
  LlOk({"ingest", dir_ + "/d2/skus.csv"});
  damage(".lines");
  CommandResult r = Ll({"run", "--as-of", "2024-11-25"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("damaged line log"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rebuilding from the raw zone"), std::string::npos) << r.err;
  EXPECT_EQ(LlOk({"query", kTotals, "--format", "csv"}),
            "inv_id,inv_total\n100,91.99\n101,179.97\n102,80.00\n103,127.98\n104,0.00\n");
  // The state is damaged: the same.
  WriteFile(dir_ + "/d3/skus.csv", "item_id,item_retail_price\n10,7.50\n");
  LlOk({"ingest", dir_ + "/d3/skus.csv"});
  damage(".state");
  r = Ll({"run", "--as-of", "2024-11-26", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("damaged state"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"kind\": \"complete\""), std::string::npos) << r.out;
  EXPECT_EQ(LlOk({"query", kTotals, "--format", "csv"}),
            "inv_id,inv_total\n100,89.99\n101,179.97\n102,75.00\n103,127.48\n104,0.00\n");
  // A state of another format version (written by an older ledgerlake) is not read but rebuilt.
  for (const auto& e : fs::directory_iterator(lake_ + "/state")) {
    if (e.path().extension() != ".state") continue;
    std::string bytes = ReadFile(e.path().string());
    ASSERT_EQ(bytes.substr(0, 7), "LLSTATE");
    bytes[7] = '5';
    WriteFile(e.path().string(), bytes);
  }
  WriteFile(dir_ + "/d4/skus.csv", "item_id,item_retail_price\n10,8.25\n");
  LlOk({"ingest", dir_ + "/d4/skus.csv"});
  r = Ll({"run", "--as-of", "2024-11-27", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("format version 5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rebuilding from the raw zone"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("\"kind\": \"complete\""), std::string::npos) << r.out;
  EXPECT_EQ(LlOk({"query", kTotals, "--format", "csv"}),
            "inv_id,inv_total\n100,92.99\n101,179.97\n102,82.50\n103,128.23\n104,0.00\n");
}

}  // namespace
}  // namespace ledgerlake::e2e

namespace ledgerlake::e2e {
namespace {

// Every run adds a line log; a state refers to at most a few (they are compacted into one, keeping only live
// lines), and a price change after many runs still reprices exactly.
TEST_F(IncrementalTest, LineLogsAreCompactedAndStillRepriceExactly) {
  const std::string w = TestData("cases/worked_example");
  const std::string full = dir_ + "/full";
  LlOk({"init"});
  ASSERT_EQ(RunLedgerlake(full, {"init"}).exit_code, 0);
  auto both = [&](const std::vector<std::string>& files, const std::string& day) {
    for (const std::string& f : files) {
      LlOk({"ingest", f});
      ASSERT_EQ(RunLedgerlake(full, {"ingest", f}).exit_code, 0);
    }
    LlOk({"run", "--as-of", day});
    ASSERT_EQ(RunLedgerlake(full, {"run", "--as-of", day, "--full-refresh"}).exit_code, 0);
  };
  std::vector<std::string> first;
  for (const char* t : {"accounts", "skus", "invoices", "invoice_line_items"}) first.push_back(w + "/" + t + ".csv");
  both(first, "2024-11-24");
  // Twelve days, each replacing the line items of one invoice (a new group, the old lines dead).
  for (int day = 1; day <= 12; ++day) {
    const std::string f = dir_ + "/d" + std::to_string(day) + "/invoice_line_items.csv";
    WriteFile(f, "invoice_id,item_id,quantity\n" + std::to_string(100 + day % 4) + ",10," + std::to_string(day) +
                     "\n" + std::to_string(100 + day % 4) + ",11,1\n");
    both({f}, "2024-12-" + std::string(day < 10 ? "0" : "") + std::to_string(day));
    size_t logs = 0;
    for (const auto& e : fs::directory_iterator(lake_ + "/state")) logs += e.path().extension() == ".lines" ? 1 : 0;
    EXPECT_LE(logs, 2 * 9u) << "day " << day;  // the two kept states' logs, at most 9 each
  }
  WriteFile(dir_ + "/price/skus.csv", "item_id,item_retail_price\n10,8.25\n11,60.00\n");
  both({dir_ + "/price/skus.csv"}, "2024-12-20");
  const std::string q = "SELECT x::VARCHAR AS r FROM invoice_features x ORDER BY r";
  EXPECT_EQ(LlOk({"query", q, "--format", "csv"}), RunLedgerlake(full, {"query", q, "--format", "csv"}).out);
  const std::string runs = LlOk({"catalog", "runs", "--json"});
  EXPECT_NE(runs.find("compact line logs"), std::string::npos);
}

}  // namespace
}  // namespace ledgerlake::e2e
