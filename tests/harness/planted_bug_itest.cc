// A checker is trusted only after it fails on a planted fault: a bridge whose differ swaps
// attach and detach (the test-only lnsim-test-bridge with --plant swap-attach-detach, started
// through `lnsim run`'s --bridge-binary/--bridge-arg) must fail `lnsim run`, with lost or phantom
// changes and a consumer that never converges, while the same scenario and the same test binary
// without the plant pass.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "common/clock.h"
#include "harness/run.h"
#include "tests/harness/planted_churn.h"

namespace lnsim::harness {
namespace {

RunOutcome RunChurn(std::vector<std::string> bridge_args, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("lnsim-planted-" + name + "-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  RunOptions options;
  options.scenario_path = (dir / "churn.yaml").string();
  options.scenario_text = testing::kPlantedChurnScenario;
  options.lnsim_binary = LNSIM_BINARY_PATH;
  options.bridge_binary = LNSIM_TEST_BRIDGE_PATH;
  options.bridge_args = std::move(bridge_args);
  options.work_dir = (dir / "work").string();
  options.record_on_failure = false;
  RealClock clock;
  std::ostringstream log;
  RunOutcome out = RunScenario(options, clock, log);
  if (out.exit_code >= 2) ADD_FAILURE() << out.error << "\n" << log.str();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return out;
}

TEST(PlantedBugTest, SwappedAttachAndDetachFailTheRun) {
  RunOutcome out = RunChurn({"--plant", "swap-attach-detach"}, "swap");
  EXPECT_EQ(out.exit_code, 1) << out.error;
  EXPECT_FALSE(out.report.passed);
  // A swapped event carries the value its replica just left: the change it should have reported
  // never arrives (lost) and the consumer's picture ends up wrong.
  EXPECT_GT(out.report.totals.lost + out.report.totals.phantom, 0u);
  ASSERT_EQ(out.report.per_consumer.size(), 1u);
  EXPECT_FALSE(out.report.per_consumer[0].converged);
}

TEST(PlantedBugTest, TheSameTestBridgeWithoutAPlantPasses) {
  RunOutcome out = RunChurn({}, "control");
  EXPECT_EQ(out.exit_code, 0) << out.error;
  EXPECT_TRUE(out.report.passed);
  EXPECT_EQ(out.report.totals.lost + out.report.totals.phantom, 0u);
}

}  // namespace
}  // namespace lnsim::harness
