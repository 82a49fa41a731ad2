// A checker is trusted only after it fails on a planted fault: a bridge whose differ swaps
// attach and detach (the test-only lnsim-test-bridge with --plant swap-attach-detach, started
// through `lnsim run`'s --bridge-binary/--bridge-arg) must fail `lnsim run`, with phantom events
// counted, while the same scenario with the correct bridge passes (run_itest.cc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/run.h"

namespace lnsim::harness {
namespace {

TEST(PlantedBugTest, SwappedAttachAndDetachFailTheRun) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lnsim-planted-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "churn.yaml").string();
  std::ofstream(path) << R"(
cluster:
  nodes: 3
  resources: 20
  replicas: 3
workload:
  attach_rate: 4
  detach_rate: 4
time_scale: 0.2
duration: 20s
seed: 3
)";
  RunOptions options;
  options.scenario_path = path;
  options.lnsim_binary = LNSIM_BINARY_PATH;
  options.work_dir = (dir / "work").string();
  options.bridge_binary = LNSIM_TEST_BRIDGE_PATH;
  options.bridge_args = {"--plant", "swap-attach-detach"};
  RealClock clock;
  std::ostringstream log;
  RunOutcome out = RunScenario(options, clock, log);
  EXPECT_EQ(out.exit_code, 1) << out.error << "\n" << log.str();
  EXPECT_FALSE(out.report.passed);
  // A swapped event carries the value its replica just left: the change it should have reported
  // never arrives (lost) and the consumer's picture ends up wrong.
  EXPECT_GT(out.report.totals.lost + out.report.totals.phantom, 0u);
  ASSERT_EQ(out.report.per_consumer.size(), 1u);
  EXPECT_FALSE(out.report.per_consumer[0].converged);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace lnsim::harness
