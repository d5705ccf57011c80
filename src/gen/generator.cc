#include "gen/generator.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <string_view>
#include <thread>

#include "gen/alias_table.h"
#include "gen/block_writer.h"
#include "gen/random.h"
#include "gen/text_buffer.h"
#include "gen/word_lists.h"

namespace ledgerlake::gen {
namespace {

constexpr int64_t kRowsPerBlock = 16384;  // accounts, skus and invoices alike: ~1 MB of text per block
constexpr int kMaxItemsPerInvoice = 6;

constexpr std::string_view kAccountsHeader =
    "account_id,company_name,company_address,contact_person,contact_phone,gender,joining_date\n";
constexpr std::string_view kSkusHeader = "item_id,item_name,item_description,item_cost_price,item_retail_price\n";
constexpr std::string_view kInvoicesHeader = "invoice_id,account_id,date_issued,payment_dates\n";
constexpr std::string_view kLineItemsHeader = "invoice_id,item_id,quantity\n";

// Shape of the data: shares of rows, except where a count of days or a spread is named.
constexpr double kDormantAccounts = 0.06;     // accounts that never get an invoice
constexpr double kActivitySigma = 1.2;        // log-normal spread of account activity
constexpr double kLeapDayJoins = 0.003;       // joining dates forced onto a 29 February
constexpr double kSameDayBatch = 0.08;        // invoice repeats the previous one's account and day
constexpr double kIssuedBeforeJoining = 0.005;
constexpr int32_t kMaxDaysBeforeJoining = 90;
constexpr double kPaid = 0.85;
constexpr int32_t kMaxPaymentDelay = 60;
constexpr double kCreditLines = 0.01;
constexpr double kRepeatedLine = 0.02;  // invoices whose last line appears twice (one item bought on two lines)

// A field value composed on the stack; silently truncates past its capacity (never reached by our words).
class ShortText {
 public:
  ShortText& operator<<(std::string_view s) {
    const size_t n = std::min(s.size(), sizeof buf_ - len_);
    s.copy(buf_ + len_, n);
    len_ += n;
    return *this;
  }
  ShortText& operator<<(int64_t v) {
    const auto r = std::to_chars(buf_ + len_, buf_ + sizeof buf_, v);
    if (r.ec == std::errc()) len_ = static_cast<size_t>(r.ptr - buf_);
    return *this;
  }
  std::string_view view() const { return std::string_view(buf_, len_); }
  static constexpr size_t capacity() { return sizeof buf_; }

 private:
  char buf_[192];
  size_t len_ = 0;
};

// What every block generator shares, computed once from the options.
struct Plan {
  GenerateOptions opt;
  std::vector<DayNumber> joining;  // by account_id - 1
  AliasTable account_picker;       // account index for an invoice, by activity weight
};

Status Validate(const GenerateOptions& o) {
  if (o.out_dir.empty()) return Status::InvalidArgument("generate: an output directory is required");
  if (o.accounts < 0 || o.invoices < 0 || o.skus < 0) {
    return Status::InvalidArgument("generate: row counts must not be negative");
  }
  if (o.accounts > int64_t{UINT32_MAX}) return Status::InvalidArgument("generate: at most 2^32-1 accounts");
  if (o.invoices > 0 && (o.accounts == 0 || o.skus == 0)) {
    return Status::InvalidArgument("generate: invoices need at least one account and one sku");
  }
  if (o.first_day > o.last_day) return Status::InvalidArgument("generate: first day is after last day");
  if (o.first_day - kMaxDaysBeforeJoining < DaysFromCivil({1, 1, 1}) ||
      o.last_day > DaysFromCivil({9999, 12, 31})) {
    return Status::InvalidArgument("generate: dates must stay within years 1..9999");
  }
  return Status::OK();
}

// Joining dates spread evenly over the range (a few forced onto 29 February) and a skewed activity weight per
// account: log-normal, some accounts dormant, scaled by how long the account has existed. One sequential
// stream: cheap, and identical whatever the thread count.
void PlanAccounts(Plan& plan) {
  const GenerateOptions& o = plan.opt;
  std::vector<DayNumber> leap_days;
  for (int32_t y = CivilFromDays(o.first_day).year; y <= CivilFromDays(o.last_day).year; ++y) {
    if (!IsLeapYear(y)) continue;
    const DayNumber d = DaysFromCivil({y, 2, 29});
    if (d >= o.first_day && d <= o.last_day) leap_days.push_back(d);
  }
  Rng rng(o.seed, Stream::kAccountTraits, 0);
  const auto n = static_cast<size_t>(o.accounts);
  const double span = o.last_day - o.first_day + 1;
  plan.joining.resize(n);
  std::vector<double> weights(n);
  for (size_t i = 0; i < n; ++i) {
    DayNumber join;
    if (!leap_days.empty() && rng.Chance(kLeapDayJoins)) {
      join = leap_days[rng.Below(leap_days.size())];
    } else {
      join = static_cast<DayNumber>(rng.Between(o.first_day, o.last_day));
    }
    plan.joining[i] = join;
    const double activity = std::exp(kActivitySigma * rng.Normal());
    weights[i] = rng.Chance(kDormantAccounts) ? 0.0 : activity * (o.last_day - join + 1) / span;
  }
  plan.account_picker = AliasTable(weights);
  if (plan.account_picker.empty() && n > 0) {  // every account dormant (tiny runs): fall back to uniform
    plan.account_picker = AliasTable(std::vector<double>(n, 1.0));
  }
}

void CompanyName(Rng& rng, ShortText& t) {
  using namespace words;
  const double r = rng.Uniform();
  if (r < 0.04) {
    t << Pick(rng, kSurnames) << ", " << Pick(rng, kSurnames) << " & Co";
  } else if (r < 0.07) {
    t << Pick(rng, kBrands) << " \"" << Pick(rng, kTrades) << "\" Co";
  } else if (r < 0.10) {
    t << Pick(rng, kSurnames) << "'s " << Pick(rng, kTrades);
  } else {
    t << Pick(rng, kBrands) << " " << Pick(rng, kTrades);
    const std::string_view suffix = Pick(rng, kCompanySuffixes);
    if (!suffix.empty()) t << " " << suffix;
  }
}

void Address(Rng& rng, ShortText& t) {
  using namespace words;
  if (rng.Chance(0.1)) t << "Unit " << rng.Between(1, 20) << "/";
  t << rng.Between(1, 400) << " " << Pick(rng, kStreets) << " " << Pick(rng, kStreetTypes);
  const Locality& l = Pick(rng, kLocalities);
  const double r = rng.Uniform();
  if (r < 0.65) {
    t << "\n" << l.suburb << ", " << l.state << " " << l.postcode;
  } else if (r < 0.90) {
    t << ", " << l.suburb << " " << l.state << " " << l.postcode;
  }
}

void Phone(Rng& rng, ShortText& t) {
  const double r = rng.Uniform();
  if (r < 0.04) return;  // not recorded
  if (r < 0.09) {
    t << "+61 4" << rng.Between(10, 99) << " " << rng.Between(100, 999) << " " << rng.Between(100, 999);
    return;
  }
  char digits[10] = {'0', '4'};
  for (size_t i = 2; i < sizeof digits; ++i) digits[i] = static_cast<char>('0' + rng.Below(10));
  t << std::string_view(digits, sizeof digits);
}

void AccountsBlock(const Plan& plan, int64_t block, std::vector<BlockPart>& parts) {
  const int64_t first = block * kRowsPerBlock + 1;
  const int64_t last = std::min(first + kRowsPerBlock - 1, plan.opt.accounts);
  Rng rng(plan.opt.seed, Stream::kAccountText, static_cast<uint64_t>(block));
  TextBuffer out(static_cast<size_t>(kRowsPerBlock) * 128);
  if (block == 0) {
    out.Reserve(kAccountsHeader.size());
    out.Text(kAccountsHeader);
  }
  for (int64_t id = first; id <= last; ++id) {
    ShortText name, address, person, phone;
    CompanyName(rng, name);
    Address(rng, address);
    if (!rng.Chance(0.03)) {
      person << words::Pick(rng, words::kFirstNames) << " " << words::Pick(rng, words::kSurnames);
    }
    Phone(rng, phone);
    const double g = rng.Uniform();
    const std::string_view gender = g < 0.46 ? "M" : g < 0.92 ? "F" : "";

    out.Reserve(TextBuffer::kMaxInt + 4 * TextBuffer::CsvFieldBound(ShortText::capacity()) + 1 +
                TextBuffer::kDate + 8);
    out.Uint(static_cast<uint64_t>(id));
    out.Char(',');
    out.CsvField(name.view());
    out.Char(',');
    out.CsvField(address.view());
    out.Char(',');
    out.CsvField(person.view());
    out.Char(',');
    out.CsvField(phone.view());
    out.Char(',');
    out.Text(gender);
    out.Char(',');
    out.Date(plan.joining[static_cast<size_t>(id - 1)]);
    out.Char('\n');
  }
  parts[0].rows = static_cast<uint64_t>(std::max<int64_t>(0, last - first + 1));
  parts[0].text = out.Take();
}

void SkuText(Rng& rng, ShortText& name, ShortText& description) {
  using namespace words;
  const std::string_view material = Pick(rng, kMaterials);
  const std::string_view product = Pick(rng, kProducts);
  const std::string_view size = Pick(rng, kSizes);
  name << material << " " << product;
  if (rng.Chance(0.6)) name << " " << size;
  const double r = rng.Uniform();
  if (r < 0.05) return;  // no description
  if (r < 0.35) {
    description << size << ", " << material;
  } else if (r < 0.55) {
    description << material << " \"" << Pick(rng, kRanges) << "\" finish";
  } else if (r < 0.75) {
    description << "Pack of " << rng.Between(2, 50) << ", " << material << " " << product;
  } else if (r < 0.80) {
    description << Pick(rng, kRanges) << " " << product << "\nSupplier: " << Pick(rng, kBrands) << " "
                << Pick(rng, kTrades);
  } else {
    description << Pick(rng, kRanges) << " range " << product << ", " << material << ", " << size;
  }
}

void SkusBlock(const Plan& plan, int64_t block, std::vector<BlockPart>& parts) {
  const int64_t first = block * kRowsPerBlock + 1;
  const int64_t last = std::min(first + kRowsPerBlock - 1, plan.opt.skus);
  Rng rng(plan.opt.seed, Stream::kSkus, static_cast<uint64_t>(block));
  TextBuffer out(static_cast<size_t>(kRowsPerBlock) * 96);
  if (block == 0) {
    out.Reserve(kSkusHeader.size());
    out.Text(kSkusHeader);
  }
  for (int64_t id = first; id <= last; ++id) {
    ShortText name, description;
    SkuText(rng, name, description);
    // Cost log-uniform between 0.50 and 2000.00 (a few free items); retail strictly above cost.
    int64_t cost = 0;
    if (!rng.Chance(0.01)) cost = std::llround(std::exp(std::log(50.0) + rng.Uniform() * std::log(4000.0)));
    const int64_t markup = std::max<int64_t>(
        1, cost == 0 ? rng.Between(50, 5000) : std::llround(static_cast<double>(cost) * (0.15 + rng.Uniform())));

    out.Reserve(TextBuffer::kMaxInt + 2 * TextBuffer::CsvFieldBound(ShortText::capacity()) +
                2 * TextBuffer::kMaxCents + 8);
    out.Uint(static_cast<uint64_t>(id));
    out.Char(',');
    out.CsvField(name.view());
    out.Char(',');
    out.CsvField(description.view());
    out.Char(',');
    out.Cents(cost);
    out.Char(',');
    out.Cents(cost + markup);
    out.Char('\n');
  }
  parts[0].rows = static_cast<uint64_t>(std::max<int64_t>(0, last - first + 1));
  parts[0].text = out.Take();
}

// A sku for a line item: half uniformly, half skewed towards low ids (popular products).
int64_t PickSku(Rng& rng, int64_t skus) {
  if (rng.Chance(0.5)) return 1 + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(skus)));
  const double u = rng.Uniform();
  return 1 + static_cast<int64_t>(static_cast<double>(skus) * u * u * u);
}

// Invoices and their line items come from one stream per block: the line items of invoice i are drawn right
// after invoice i. Line items are written in invoice id order; the invoice rows of a block are shuffled.
void InvoicesBlock(const Plan& plan, int64_t block, std::vector<BlockPart>& parts) {
  const GenerateOptions& o = plan.opt;
  const int64_t first = block * kRowsPerBlock + 1;
  const int64_t count = std::max<int64_t>(0, std::min(first + kRowsPerBlock - 1, o.invoices) - first + 1);
  Rng rng(o.seed, Stream::kInvoices, static_cast<uint64_t>(block));

  struct Invoice {
    int64_t account;
    DayNumber issued;
    DayNumber paid;  // kUnpaid when not paid
  };
  constexpr DayNumber kUnpaid = INT32_MIN;
  std::vector<Invoice> invoices(static_cast<size_t>(count));
  constexpr size_t kLineBound = 3 * TextBuffer::kMaxInt + 3;
  TextBuffer lines(static_cast<size_t>(count) * 4 * 20 + 64);
  if (block == 0) {
    lines.Reserve(kLineItemsHeader.size());
    lines.Text(kLineItemsHeader);
  }
  uint64_t line_rows = 0;
  const int items_cap = static_cast<int>(std::min<int64_t>(kMaxItemsPerInvoice, o.skus));
  for (int64_t k = 0; k < count; ++k) {
    Invoice& inv = invoices[static_cast<size_t>(k)];
    if (k > 0 && rng.Chance(kSameDayBatch)) {
      inv.account = invoices[static_cast<size_t>(k - 1)].account;
      inv.issued = invoices[static_cast<size_t>(k - 1)].issued;
    } else {
      inv.account = int64_t{plan.account_picker.Sample(rng)} + 1;
      const DayNumber join = plan.joining[static_cast<size_t>(inv.account - 1)];
      if (rng.Chance(kIssuedBeforeJoining)) {
        inv.issued = join - static_cast<DayNumber>(rng.Between(1, kMaxDaysBeforeJoining));
      } else {
        inv.issued = static_cast<DayNumber>(rng.Between(join, o.last_day));
      }
    }
    inv.paid = kUnpaid;
    if (rng.Chance(kPaid)) {
      // Terms are 30 days: many pay on the due day or the day after, most others early, some weeks late.
      const double r = rng.Uniform();
      const auto delay = static_cast<DayNumber>(r < 0.25   ? 30
                                                : r < 0.40 ? 31
                                                : r < 0.80 ? rng.Between(0, 29)
                                                           : rng.Between(32, kMaxPaymentDelay));
      if (inv.issued + delay <= o.last_day) inv.paid = inv.issued + delay;  // later payments are not in the extract
    }

    const int n_items = 1 + static_cast<int>(rng.Below(static_cast<uint64_t>(items_cap)));
    int64_t chosen[kMaxItemsPerInvoice];
    lines.Reserve((kMaxItemsPerInvoice + 1) * kLineBound);
    auto put_line = [&](int64_t sku, int64_t quantity) {
      lines.Uint(static_cast<uint64_t>(first + k));
      lines.Char(',');
      lines.Uint(static_cast<uint64_t>(sku));
      lines.Char(',');
      lines.Int(quantity);
      lines.Char('\n');
    };
    int64_t quantity = 0;
    for (int i = 0; i < n_items; ++i) {
      int64_t sku = PickSku(rng, o.skus);
      while (std::find(chosen, chosen + i, sku) != chosen + i) sku = sku % o.skus + 1;  // distinct per invoice
      chosen[i] = sku;
      // Mostly small quantities, up to 20; a few credit lines.
      quantity = rng.Chance(kCreditLines) ? -rng.Between(1, 5)
                                          : 1 + static_cast<int64_t>(20.0 * rng.Uniform() * rng.Uniform());
      put_line(sku, quantity);
    }
    line_rows += static_cast<uint64_t>(n_items);
    if (rng.Chance(kRepeatedLine)) {  // the same item again, on a line of its own: a line, not a duplicate
      put_line(chosen[n_items - 1], quantity);
      ++line_rows;
    }
  }

  // Exports are rarely sorted: write the block's invoices in a random order.
  std::vector<uint32_t> order(static_cast<size_t>(count));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.Below(i)]);
  TextBuffer out(static_cast<size_t>(count) * 40 + 64);
  if (block == 0) {
    out.Reserve(kInvoicesHeader.size());
    out.Text(kInvoicesHeader);
  }
  for (const uint32_t i : order) {
    const Invoice& inv = invoices[i];
    out.Reserve(2 * TextBuffer::kMaxInt + 2 * TextBuffer::kDate + 4);
    out.Uint(static_cast<uint64_t>(first + i));
    out.Char(',');
    out.Uint(static_cast<uint64_t>(inv.account));
    out.Char(',');
    out.Date(inv.issued);
    out.Char(',');
    if (inv.paid != kUnpaid) out.Date(inv.paid);
    out.Char('\n');
  }
  parts[0].rows = static_cast<uint64_t>(count);
  parts[0].text = out.Take();
  parts[1].rows = line_rows;
  parts[1].text = lines.Take();
}

int64_t BlocksFor(int64_t rows) { return std::max<int64_t>(1, (rows + kRowsPerBlock - 1) / kRowsPerBlock); }

}  // namespace

Result<std::vector<GeneratedFile>> Generate(const GenerateOptions& options) {
  LL_RETURN_IF_ERROR(Validate(options));
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status::IOError("cannot create " + options.out_dir + ": " + ec.message());

  Plan plan{options, {}, AliasTable({})};
  PlanAccounts(plan);
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string ext = options.gzip ? ".csv.gz" : ".csv";
  auto file = [&](const char* table) {
    return OutputFile{(std::filesystem::path(options.out_dir) / (table + ext)).string(), table};
  };

  if (!options.overwrite) {
    for (const char* table : {"accounts", "skus", "invoices", "invoice_line_items"}) {
      const std::string path = file(table).path;
      if (std::filesystem::exists(path, ec)) {
        return Status::InvalidArgument(path + " already exists: generate into an empty directory, or pass --force "
                                              "to replace the extracts there");
      }
    }
  }

  std::vector<GeneratedFile> all;
  struct Step {
    std::vector<OutputFile> files;
    int64_t rows;
    void (*make)(const Plan&, int64_t, std::vector<BlockPart>&);
  };
  const Step steps[] = {
      {{file("accounts")}, options.accounts, AccountsBlock},
      {{file("skus")}, options.skus, SkusBlock},
      {{file("invoices"), file("invoice_line_items")}, options.invoices, InvoicesBlock},
  };
  for (const Step& step : steps) {
    Result<std::vector<GeneratedFile>> written =
        WriteBlocks(step.files, BlocksFor(step.rows), threads, options.gzip,
                    [&](int64_t block, std::vector<BlockPart>& parts) { step.make(plan, block, parts); });
    if (!written.ok()) return written.status();
    all.insert(all.end(), written->begin(), written->end());
  }
  return all;
}

}  // namespace ledgerlake::gen
