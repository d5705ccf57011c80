#include "util/cron.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "util/date.h"

namespace ledgerlake {

namespace {

constexpr int64_t kMinute = 60;
// How far Next and Previous search: 8 years, which holds a 29 February, every month, day and weekday. An
// expression that only matches a date that never comes (30 February) matches nothing in it.
constexpr int64_t kSearchDays = 8 * 366;

struct FieldSpec {
  const char* name;
  int low;
  int high;
  const char* const* names;  // three-letter names for low..high, or nullptr
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

Result<int> Value(std::string_view text, const FieldSpec& spec) {
  if (spec.names != nullptr && text.size() == 3 && std::isalpha(static_cast<unsigned char>(text[0]))) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (int v = spec.low; v <= spec.high; ++v) {
      if (lower == spec.names[v - spec.low]) return v;
    }
  }
  int v = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(spec.name) + ": '" + std::string(text) + "' is not a number" +
                                   (spec.names != nullptr ? " or a name" : ""));
  }
  if (v < spec.low || v > spec.high) {
    return Status::InvalidArgument(std::string(spec.name) + ": " + std::to_string(v) + " is out of range " +
                                   std::to_string(spec.low) + "-" + std::to_string(spec.high));
  }
  return v;
}

// Sets in `bits` every value `field` selects.
template <size_t N>
Status ParseField(std::string_view field, const FieldSpec& spec, std::bitset<N>& bits) {
  if (field.empty()) return Status::InvalidArgument(std::string(spec.name) + ": empty");
  size_t pos = 0;
  while (pos <= field.size()) {
    size_t comma = field.find(',', pos);
    if (comma == std::string_view::npos) comma = field.size();
    std::string_view item = field.substr(pos, comma - pos);
    if (item.empty()) return Status::InvalidArgument(std::string(spec.name) + ": an empty item in '" + std::string(field) + "'");
    int step = 1;
    if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const auto parsed = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || parsed.ec != std::errc() || parsed.ptr != step_text.data() + step_text.size() ||
          step < 1 || step > spec.high - spec.low + 1) {
        return Status::InvalidArgument(std::string(spec.name) + ": '" + std::string(step_text) + "' is not a step (1-" +
                                       std::to_string(spec.high - spec.low + 1) + ")");
      }
      item = item.substr(0, slash);
    }
    int from = spec.low;
    int to = spec.high;
    if (item != "*") {
      const size_t dash = item.find('-');
      auto a = Value(item.substr(0, dash), spec);
      if (!a.ok()) return a.status();
      from = *a;
      if (dash != std::string_view::npos) {
        auto b = Value(item.substr(dash + 1), spec);
        if (!b.ok()) return b.status();
        to = *b;
        if (to < from) {
          return Status::InvalidArgument(std::string(spec.name) + ": the range '" + std::string(item) + "' runs backwards");
        }
      } else if (step == 1) {
        to = from;  // a single value; "a/n" runs from a to the field's end
      }
    }
    for (int v = from; v <= to; v += step) bits.set(static_cast<size_t>(v));
    pos = comma + 1;
  }
  return Status::OK();
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  std::string text(expression);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(text.begin());
  std::string expanded = text;
  if (text == "@yearly" || text == "@annually") expanded = "0 0 1 1 *";
  if (text == "@monthly") expanded = "0 0 1 * *";
  if (text == "@weekly") expanded = "0 0 * * 0";
  if (text == "@daily" || text == "@midnight") expanded = "0 0 * * *";
  if (text == "@hourly") expanded = "0 * * * *";
  if (!expanded.empty() && expanded[0] == '@') {
    return Status::InvalidArgument("'" + text + "': unknown shorthand (@yearly, @monthly, @weekly, @daily, @hourly)");
  }
  std::vector<std::string_view> fields;
  std::string_view rest = expanded;
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = std::min(rest.find_first_of(" \t"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  if (fields.size() != 5) {
    return Status::InvalidArgument("'" + text + "': a cron expression has five fields (minute hour day-of-month month "
                                   "day-of-week), not " + std::to_string(fields.size()));
  }
  CronSchedule s;
  s.text_ = text;
  const FieldSpec minute{"minute", 0, 59, nullptr};
  const FieldSpec hour{"hour", 0, 23, nullptr};
  const FieldSpec dom{"day-of-month", 1, 31, nullptr};
  const FieldSpec month{"month", 1, 12, kMonthNames};
  const FieldSpec dow{"day-of-week", 0, 7, kDayNames};
  auto in = [&](const Status& st) {
    return st.ok() ? st : Status::InvalidArgument("'" + text + "': " + st.message());
  };
  LL_RETURN_IF_ERROR(in(ParseField(fields[0], minute, s.minutes_)));
  LL_RETURN_IF_ERROR(in(ParseField(fields[1], hour, s.hours_)));
  LL_RETURN_IF_ERROR(in(ParseField(fields[2], dom, s.days_)));
  LL_RETURN_IF_ERROR(in(ParseField(fields[3], month, s.months_)));
  std::bitset<8> weekdays;
  LL_RETURN_IF_ERROR(in(ParseField(fields[4], dow, weekdays)));
  for (size_t d = 0; d < 7; ++d) s.weekdays_[d] = weekdays[d];
  if (weekdays[7]) s.weekdays_.set(0);  // 7 is Sunday too
  s.days_restricted_ = fields[2][0] != '*';
  s.weekdays_restricted_ = fields[4][0] != '*';
  return s;
}

bool CronSchedule::DayMatches(int32_t year, int32_t month, int32_t day) const {
  if (!months_[static_cast<size_t>(month)]) return false;
  const DayNumber n = DaysFromCivil({year, month, day});
  const int weekday = static_cast<int>(((n % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const bool dom = days_[static_cast<size_t>(day)];
  const bool dow = weekdays_[static_cast<size_t>(weekday)];
  if (days_restricted_ && weekdays_restricted_) return dom || dow;
  return dom && dow;
}

bool CronSchedule::Matches(int64_t unix_seconds) const {
  const int64_t minute = (unix_seconds >= 0 ? unix_seconds : unix_seconds - (kMinute - 1)) / kMinute;
  const int64_t day = (minute >= 0 ? minute : minute - 1439) / 1440;
  const int64_t in_day = minute - day * 1440;
  const CivilDate d = CivilFromDays(static_cast<DayNumber>(day));
  return DayMatches(d.year, d.month, d.day) && hours_[static_cast<size_t>(in_day / 60)] &&
         minutes_[static_cast<size_t>(in_day % 60)];
}

std::optional<int64_t> CronSchedule::Next(int64_t unix_seconds) const {
  // Day by day, then the first matching hour and minute of the first matching day.
  int64_t minute = (unix_seconds >= 0 ? unix_seconds : unix_seconds - (kMinute - 1)) / kMinute + 1;
  int64_t day = (minute >= 0 ? minute : minute - 1439) / 1440;
  int64_t first = minute - day * 1440;  // the first minute of `day` that may match
  for (int64_t i = 0; i <= kSearchDays; ++i, ++day, first = 0) {
    const CivilDate d = CivilFromDays(static_cast<DayNumber>(day));
    if (!DayMatches(d.year, d.month, d.day)) continue;
    for (int64_t m = first; m < 1440; ++m) {
      if (hours_[static_cast<size_t>(m / 60)] && minutes_[static_cast<size_t>(m % 60)]) return (day * 1440 + m) * kMinute;
    }
  }
  return std::nullopt;
}

std::optional<int64_t> CronSchedule::Previous(int64_t unix_seconds) const {
  int64_t minute = (unix_seconds >= 0 ? unix_seconds : unix_seconds - (kMinute - 1)) / kMinute;
  int64_t day = (minute >= 0 ? minute : minute - 1439) / 1440;
  int64_t last = minute - day * 1440;  // the last minute of `day` that may match
  for (int64_t i = 0; i <= kSearchDays; ++i, --day, last = 1439) {
    const CivilDate d = CivilFromDays(static_cast<DayNumber>(day));
    if (!DayMatches(d.year, d.month, d.day)) continue;
    for (int64_t m = last; m >= 0; --m) {
      if (hours_[static_cast<size_t>(m / 60)] && minutes_[static_cast<size_t>(m % 60)]) return (day * 1440 + m) * kMinute;
    }
  }
  return std::nullopt;
}

}  // namespace ledgerlake
