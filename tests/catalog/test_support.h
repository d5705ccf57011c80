// Shared helpers of the catalog tests: profiles from CSV text, scratch lakes with landed extracts.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "catalog/crawler.h"
#include "lake/lake.h"
#include "lake/landing.h"

namespace ledgerlake::catalog {

inline FileProfile Crawl(contract::TableId table, const std::string& csv) {
  auto p = CrawlStream(csv::ByteSource::FromString(csv), table, "test.csv");
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : FileProfile{};
}

// A fresh directory with an empty lake per test, removed afterwards unless the test failed.
class ScratchLakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path().string() + "/ll-catalog-" + info->test_suite_name() + "-" +
           info->name() + "-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/in");
    auto lake = lake::Lake::Init(dir_ + "/lake");
    ASSERT_TRUE(lake.ok()) << lake.status().message();
    lake_.emplace(std::move(*lake));
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  // Writes `csv` as in/<name> and lands it; returns its landing sequence.
  uint64_t Land(const std::string& name, const std::string& csv) {
    const std::string path = dir_ + "/in/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << csv;
    auto landed = lake::Land(*lake_, {path}, std::nullopt);
    EXPECT_TRUE(landed.ok()) << landed.status().message();
    return landed.ok() ? landed->front().sequence : 0;
  }

  std::string dir_;
  std::optional<lake::Lake> lake_;
};

}  // namespace ledgerlake::catalog
