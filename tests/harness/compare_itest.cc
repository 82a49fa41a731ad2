// `lnsim compare` as a CI job sees it: the real binary's exit codes (0 no regression, 1 a
// regression, 2 bad input with a message naming the file) on reports written to disk.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/report.h"
#include "tests/testutil/shell.h"

namespace lnsim::harness {
namespace {

using Result = testutil::ShellResult;

Result Lnsim(const std::string& args) {
  return testutil::RunShell(std::string(LNSIM_BINARY_PATH) + " " + args);
}

class CompareCliItest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-compare-itest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const Report& r) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << ReportToJson(r);
    return path;
  }
  static Report Clean(double p99_ms) {
    Report r;
    r.passed = true;
    r.scenario = "scenarios/smoke.yaml";
    r.throughput = 100;
    r.totals.delivered = 300;
    StageSummary& s = r.stage(Stage::kEndToEnd);
    s.count = 300;
    s.p50_ns = 40'000'000;
    s.p90_ns = 60'000'000;
    s.p99_ns = static_cast<uint64_t>(p99_ms * 1e6);
    s.p999_ns = s.max_ns = s.p99_ns;
    return r;
  }
  std::filesystem::path dir_;
};

TEST_F(CompareCliItest, SameReportExitsZero) {
  const std::string a = Write("a.json", Clean(200));
  const Result r = Lnsim("compare " + a + " " + a);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no regression"), std::string::npos) << r.output;
}

TEST_F(CompareCliItest, RegressionAndLostExitOne) {
  const std::string a = Write("a.json", Clean(200));
  const std::string slow = Write("slow.json", Clean(400));
  Report lossy = Clean(200);
  lossy.totals.lost = 2;
  const std::string lost = Write("lost.json", lossy);
  Result r = Lnsim("compare " + a + " " + slow);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("p99_end_to_end"), std::string::npos) << r.output;
  r = Lnsim("compare " + a + " " + lost);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("gated at zero"), std::string::npos) << r.output;
  // A looser threshold lets the slowdown through; the counter still gates.
  r = Lnsim("compare " + a + " " + slow + " --latency-threshold 150%");
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(CompareCliItest, BadInputExitsTwoNamingTheFile) {
  const std::string a = Write("a.json", Clean(200));
  Result r = Lnsim("compare " + a + " " + (dir_ / "missing.json").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("missing.json"), std::string::npos) << r.output;
  std::ofstream(dir_ / "junk.json") << "{\"schema\": \"something/else\"}";
  r = Lnsim("compare " + a + " " + (dir_ / "junk.json").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("junk.json"), std::string::npos) << r.output;
  r = Lnsim("compare " + a);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  r = Lnsim("compare " + a + " " + a + " --latency-threshold lots");
  EXPECT_EQ(r.exit_code, 2) << r.output;
}

TEST_F(CompareCliItest, DirectoriesOfRepeats) {
  std::filesystem::create_directories(dir_ / "base");
  std::filesystem::create_directories(dir_ / "cur");
  for (int i = 0; i < 3; ++i) {
    Write("base/run-" + std::to_string(i) + ".json", Clean(200 + i));
    Write("cur/run-" + std::to_string(i) + ".json", Clean(400 + i));
  }
  const Result r = Lnsim("compare " + (dir_ / "base").string() + " " + (dir_ / "cur").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("Mann-Whitney"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace lnsim::harness
