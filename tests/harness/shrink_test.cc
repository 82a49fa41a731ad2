// The fault-schedule shrinker (harness/shrink.h) with fake predicates: cheap and deterministic.
#include "harness/shrink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

// Ten faults of assorted kinds; only the bridge kill (#3) and the nats restart (#7) matter to
// the fake judge below.
constexpr char kTenFaults[] = R"(# ten faults
cluster:
  nodes: 4
  resources: 20
workload:
  attach_rate: 1
faults:
  - {kind: node-crash, at: 5s, duration: 10s, nodes: [node-1]}
  - {kind: partition, at: 8s, duration: 5s, nodes: [node-2]}
  - {kind: slow-satellite, at: 10s, duration: 5s, nodes: [node-3], params: latency=1s}
  - {kind: bridge-kill, at: 12s, duration: 2s}
  - {kind: resize-wave, at: 14s, duration: 2s, count: 3}
  - {kind: node-reboot, at: 16s, duration: 5s, nodes: [node-4]}
  - {kind: controller-outage, at: 20s, duration: 3s}
  - {kind: nats-restart, at: 24s, duration: 2s}
  - {kind: network, at: 27s, duration: 3s, params: "target=consumers,latency=100ms"}
  - {kind: consumer-crash, at: 31s, duration: 2s}
duration: 40s
seed: 9
slo:
  - lost == 0
)";

bool HasKind(const Scenario& s, sim::FaultKind kind) {
  return std::any_of(s.world.faults.begin(), s.world.faults.end(),
                     [&](const sim::FaultSpec& f) { return f.kind == kind; });
}

TEST(ShrinkTest, TenFaultScheduleShrinksToTheTwoThatMatter) {
  int calls = 0;
  auto fails = [&](const Scenario& s, const std::string&) {
    ++calls;
    return HasKind(s, sim::FaultKind::kBridgeKill) && HasKind(s, sim::FaultKind::kNatsRestart);
  };
  auto result = ShrinkFaultSchedule(kTenFaults, "ten.yaml", fails);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->original_faults, 10u);
  EXPECT_EQ(result->kept, (std::vector<size_t>{3, 7}));
  EXPECT_EQ(result->runs, calls);
  // The minimal schedule is a scenario file that loads, still fails, and keeps everything else.
  auto minimal = LoadScenarioText(result->text, "minimal.yaml");
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString() << "\n" << result->text;
  ASSERT_EQ(minimal->world.faults.size(), 2u);
  EXPECT_TRUE(fails(*minimal, result->text));
  EXPECT_EQ(minimal->world.faults[0].at, std::chrono::seconds(12));
  EXPECT_EQ(minimal->world.seed, 9u);
  EXPECT_EQ(minimal->world.cluster.resources, 20);
  EXPECT_TRUE(minimal->slo.IsDefined());
  EXPECT_EQ(result->text.rfind("# Shrunk from ten.yaml: 2 of 10 faults", 0), 0u) << result->text;
}

TEST(ShrinkTest, AFailureNeedingOneFaultShrinksToIt) {
  auto fails = [](const Scenario& s, const std::string&) {
    return HasKind(s, sim::FaultKind::kConsumerCrash);
  };
  auto result = ShrinkFaultSchedule(kTenFaults, "ten.yaml", fails);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->kept, (std::vector<size_t>{9}));
}

TEST(ShrinkTest, AFailureNeedingEveryFaultKeepsThemAll) {
  auto fails = [](const Scenario& s, const std::string&) { return s.world.faults.size() == 10; };
  auto result = ShrinkFaultSchedule(kTenFaults, "ten.yaml", fails);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->kept.size(), 10u);
  EXPECT_EQ(result->runs, 10);  // one try per fault, none removable
}

TEST(ShrinkTest, NoFaultsIsAnInvalidArgument) {
  auto result = ShrinkFaultSchedule("cluster: {nodes: 3}\n", "none.yaml",
                                    [](const Scenario&, const std::string&) { return true; });
  ASSERT_THAT(result, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("no faults")));
}

}  // namespace
}  // namespace lnsim::harness
