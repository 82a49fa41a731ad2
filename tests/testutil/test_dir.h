// A directory of the running test's own: $TMPDIR/lnsim-<prefix>-<pid>-<test name>, made empty
// when the fixture is built and removed with it unless the test failed (then its logs stay for
// a look). Tests that run real binaries keep scenarios, reports and work dirs in it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace lnsim::testutil {

class TestDir {
 public:
  explicit TestDir(std::string_view prefix)
      : path_(std::filesystem::temp_directory_path() /
              ("lnsim-" + std::string(prefix) + "-" + std::to_string(getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TestDir() {
    if (::testing::Test::HasFailure()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace lnsim::testutil
