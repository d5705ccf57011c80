#include "util/huge_pages.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace ledgerlake {

namespace {
constexpr std::string_view kTunable = "glibc.malloc.hugetlb";
}  // namespace

std::optional<std::string> HugePageTunables(const char* tunables, std::string_view thp_enabled, const char* choice) {
  if (choice == nullptr || std::string_view(choice) != "1") return std::nullopt;
  // The kernel marks its mode in brackets: "always [madvise] never".
  if (thp_enabled.find("[always]") == std::string_view::npos &&
      thp_enabled.find("[madvise]") == std::string_view::npos) {
    return std::nullopt;
  }
  std::string value = tunables != nullptr ? tunables : "";
  if (value.find(kTunable) != std::string::npos) return std::nullopt;  // set already, by us or by the user
  if (!value.empty()) value += ':';
  value += std::string(kTunable) + "=1";
  return value;
}

void UseHugePages(char** argv) {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  const std::string thp((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::optional<std::string> tunables =
      HugePageTunables(std::getenv("GLIBC_TUNABLES"), thp, std::getenv("LEDGERLAKE_HUGE_PAGES"));
  if (!tunables) return;
  if (::setenv("GLIBC_TUNABLES", tunables->c_str(), 1) != 0) return;
  ::execv("/proc/self/exe", argv);
  // The exec failed (no /proc, say): carry on with ordinary pages. The variable stays set, so a child process
  // started later gets huge pages and does not try again.
}

}  // namespace ledgerlake
