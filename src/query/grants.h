// Grants: which of the lake's views a role may read (the seed's IAM policies on Athena tables). A grant names a
// view of lake/views.h (LakeViewNames) or is "*" (every view); a dataset's grant covers its `_history` view.
// Used by query/sandbox.h, which makes only the granted views and lets DuckDB read only their files, and by the
// service (serve/), which keeps one Grants per role.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ledgerlake::query {

class Grants {
 public:
  // Every view (the `query` command, the admin role).
  static Grants All();
  // The views `names` grants. InvalidArgument naming the first name that is not a view a role can be granted
  // (and listing those that are).
  static Result<Grants> Of(const std::vector<std::string>& names);

  bool all() const { return all_; }
  // Whether `view` (a lake view's name, `_history` views included) may be read.
  bool Allows(std::string_view view) const;
  // Whether `name` is one of the lake's views (granted or not): a name a query may be refused for.
  static bool IsLakeView(std::string_view name);
  // The granted views, `_history` views left out, in LakeViewNames order.
  std::vector<std::string> Views() const;

 private:
  bool all_ = false;
  std::set<std::string, std::less<>> views_;
};

}  // namespace ledgerlake::query
