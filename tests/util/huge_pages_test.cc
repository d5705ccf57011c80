#include "util/huge_pages.h"

#include <gtest/gtest.h>

namespace ledgerlake {
namespace {

TEST(HugePageTunablesTest, AddsTheTunableWhenAskedAndTheKernelOffersHugePages) {
  EXPECT_EQ(HugePageTunables(nullptr, "always madvise [never]\n", "1"), std::nullopt);
  EXPECT_EQ(HugePageTunables(nullptr, "", "1"), std::nullopt);  // no THP support at all
  EXPECT_EQ(HugePageTunables(nullptr, "always [madvise] never\n", "1"), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(HugePageTunables(nullptr, "[always] madvise never\n", "1"), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(HugePageTunables("", "[always] madvise never\n", "1"), "glibc.malloc.hugetlb=1");
}

TEST(HugePageTunablesTest, KeepsOtherTunablesAndNeverRestartsTwice) {
  EXPECT_EQ(HugePageTunables("glibc.malloc.arena_max=2", "always [madvise] never", "1"),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
  // Set already: by the restart itself (so the restarted process goes on), or by the user, whose value wins.
  EXPECT_EQ(HugePageTunables("glibc.malloc.hugetlb=1", "always [madvise] never", "1"), std::nullopt);
  EXPECT_EQ(HugePageTunables("glibc.malloc.hugetlb=0:glibc.malloc.arena_max=2", "always [madvise] never", "1"),
            std::nullopt);
}

TEST(HugePageTunablesTest, OffUnlessLedgerlakeHugePagesIsOne) {
  EXPECT_EQ(HugePageTunables(nullptr, "always [madvise] never", nullptr), std::nullopt);
  EXPECT_EQ(HugePageTunables(nullptr, "always [madvise] never", "0"), std::nullopt);
  EXPECT_EQ(HugePageTunables(nullptr, "always [madvise] never", "yes"), std::nullopt);
  EXPECT_EQ(HugePageTunables(nullptr, "always [madvise] never", "1"), "glibc.malloc.hugetlb=1");
}

}  // namespace
}  // namespace ledgerlake
