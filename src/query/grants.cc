#include "query/grants.h"

#include <algorithm>

#include "lake/views.h"

namespace ledgerlake::query {

namespace {

// `view` without a `_history` suffix (the dataset whose history it is).
std::string_view BaseView(std::string_view view) {
  constexpr std::string_view kHistory = "_history";
  if (view.ends_with(kHistory)) view.remove_suffix(kHistory.size());
  return view;
}

const std::vector<std::string>& AllViews() {
  static const std::vector<std::string> names = lake::LakeViewNames();
  return names;
}

}  // namespace

Grants Grants::All() {
  Grants g;
  g.all_ = true;
  return g;
}

Result<Grants> Grants::Of(const std::vector<std::string>& names) {
  Grants g;
  for (const std::string& name : names) {
    if (name == "*") {
      g.all_ = true;
      continue;
    }
    if (std::find(AllViews().begin(), AllViews().end(), name) == AllViews().end()) {
      std::string known;
      for (const std::string& v : AllViews()) known += (known.empty() ? "" : ", ") + v;
      return Status::InvalidArgument("'" + name + "' is not a view that can be granted (one of: " + known + ", or \"*\")");
    }
    g.views_.insert(name);
  }
  return g;
}

bool Grants::IsLakeView(std::string_view name) {
  const std::string_view base = BaseView(name);
  return std::find(AllViews().begin(), AllViews().end(), base) != AllViews().end() ||
         std::find(AllViews().begin(), AllViews().end(), name) != AllViews().end();
}

bool Grants::Allows(std::string_view view) const {
  return all_ || views_.count(view) > 0 || views_.count(BaseView(view)) > 0;
}

std::vector<std::string> Grants::Views() const {
  std::vector<std::string> out;
  for (const std::string& v : AllViews()) {
    if (Allows(v)) out.push_back(v);
  }
  return out;
}

}  // namespace ledgerlake::query
