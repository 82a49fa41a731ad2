// The `api` scenario section parser (line: key: what is wrong) and the fault plan's decisions
// (windows scaled by time_scale, path/method matching, live faults, world F5/F7 windows).
#include "mock-linstor/api_faults.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/testutil/status_matchers.h"

namespace lnsim::mock {
namespace {

using ::testing::HasSubstr;

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ParseApiSection, AllKinds) {
  const YAML::Node api = YAML::Load(R"(
faults:
  - {kind: latency, at: 10s, duration: 30s, latency: 50ms, max_latency: 2s, distribution: uniform,
     paths: [/v1/view/resources], methods: [GET], probability: 0.5}
  - {kind: error, at: 1m, duration: 10s, status: 503}
  - {kind: hang, at: 2m, duration: 20s}
  - {kind: sse_drop, at: 3m}
  - {kind: stale, at: 4m, duration: 30s}
  - {kind: controller_down, at: 5m, duration: 15s}
  - {kind: slow_nodes, at: 6m, duration: 1m, nodes: [node-2], latency: 5s}
)");
  auto faults = ParseApiSection(api);
  ASSERT_TRUE(faults.ok()) << faults.status().ToString();
  ASSERT_EQ(faults->size(), 7u);
  EXPECT_EQ((*faults)[0].kind, ApiFaultKind::kLatency);
  EXPECT_EQ((*faults)[0].distribution, LatencyDistribution::kUniform);
  EXPECT_EQ((*faults)[0].max_latency, seconds(2));
  EXPECT_EQ((*faults)[1].status, 503);
  EXPECT_EQ((*faults)[5].kind, ApiFaultKind::kControllerDown);
  EXPECT_EQ((*faults)[6].nodes, std::vector<std::string>{"node-2"});
}

TEST(ParseApiSection, ErrorsNameLineAndKey) {
  auto bad = ParseApiSection(YAML::Load("faults:\n  - {kind: latency, at: 10s, latncy: 5ms}\n"));
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, "2: api.faults[0].latncy: unknown key"));
  bad = ParseApiSection(YAML::Load("faults:\n  - kind: error\n    status: 404\n"));
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument,
                            "3: api.faults[0].status: must be an HTTP status between 500 and 599"));
  bad = ParseApiSection(YAML::Load("faults:\n  - {kind: latency, latency: 5}\n"));
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument,
                            HasSubstr("api.faults[0].latency: not a duration")));
  bad = ParseApiSection(YAML::Load("faults:\n  - {kind: teleport}\n"));
  EXPECT_THAT(
      bad, StatusIs(StatusCode::kInvalidArgument, HasSubstr("api.faults[0].kind: must be one of")));
  bad = ParseApiSection(YAML::Load("fautls: []\n"));
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, "1: api.fautls: unknown key"));
  EXPECT_THAT(ParseApiSection(YAML::Node()), IsOk());
}

TEST(FaultPlan, WindowsScaleWithTimeScaleAndMatchPaths) {
  ApiFault err;
  err.kind = ApiFaultKind::kError;
  err.at = seconds(10);
  err.duration = seconds(10);
  err.status = 503;
  err.paths = {"/v1/view"};
  FaultPlan plan({err}, /*time_scale=*/0.1, 1);
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(plan.Decide("GET", "/v1/view/resources", milliseconds(999), none).error_status, 0);
  EXPECT_EQ(plan.Decide("GET", "/v1/view/resources", milliseconds(1000), none).error_status, 503);
  EXPECT_EQ(plan.Decide("GET", "/v1/nodes", milliseconds(1500), none).error_status, 0);
  EXPECT_EQ(plan.Decide("GET", "/v1/view/resources", milliseconds(2000), none).error_status, 0);
}

TEST(FaultPlan, LatencyDistributionsAndLiveFaults) {
  FaultPlan plan({}, 1.0, 7);
  ApiFault lat;
  lat.kind = ApiFaultKind::kLatency;
  lat.latency = milliseconds(100);
  lat.max_latency = milliseconds(200);
  lat.distribution = LatencyDistribution::kUniform;
  lat.duration = seconds(5);
  const uint64_t id = plan.AddLive(lat, seconds(100));
  auto none = [](const std::string&) { return false; };
  EXPECT_EQ(plan.Decide("GET", "/v1/nodes", seconds(99), none).delay, Duration::zero());
  for (int i = 0; i < 50; ++i) {
    const Duration d = plan.Decide("GET", "/v1/nodes", seconds(101), none).delay;
    EXPECT_GE(d, milliseconds(100));
    EXPECT_LE(d, milliseconds(200));
  }
  EXPECT_EQ(plan.Decide("GET", "/v1/nodes", seconds(106), none).delay, Duration::zero());
  EXPECT_TRUE(plan.Remove(id));
  EXPECT_FALSE(plan.Remove(id));
}

TEST(FaultPlan, WorldControllerOutageAndSlowSatellite) {
  FaultPlan plan({}, 1.0, 1);
  sim::FaultSpec outage;
  outage.kind = sim::FaultKind::kControllerOutage;
  outage.at = seconds(5);
  outage.duration = seconds(5);
  sim::FaultSpec slow;
  slow.kind = sim::FaultKind::kSlowSatellite;
  slow.at = seconds(0);
  slow.duration = seconds(60);
  slow.nodes = {"node-2"};
  slow.params = "latency=3s";
  plan.AddWorldFaults({outage, slow});
  EXPECT_FALSE(plan.ControllerDown(seconds(4)));
  EXPECT_TRUE(plan.ControllerDown(seconds(6)));
  EXPECT_FALSE(plan.ControllerDown(seconds(10)));
  auto involves2 = [](const std::string& n) { return n == "node-2"; };
  auto involves1 = [](const std::string& n) { return n == "node-1"; };
  EXPECT_EQ(plan.Decide("GET", "/v1/view/resources", seconds(1), involves2).delay, seconds(3));
  EXPECT_EQ(plan.Decide("GET", "/v1/nodes/node-1", seconds(1), involves1).delay, Duration::zero());
}

TEST(FaultPlan, HangStaleAndSseDropWindows) {
  ApiFault hang;
  hang.kind = ApiFaultKind::kHang;
  hang.at = seconds(1);
  hang.duration = seconds(2);
  ApiFault stale;
  stale.kind = ApiFaultKind::kStale;
  stale.at = seconds(10);
  stale.duration = seconds(5);
  ApiFault drop;
  drop.kind = ApiFaultKind::kSseDrop;
  drop.at = seconds(20);
  FaultPlan plan({hang, stale, drop}, 1.0, 1);
  auto none = [](const std::string&) { return false; };
  const FaultDecision d = plan.Decide("POST", "/v1/resource-definitions", seconds(2), none);
  EXPECT_TRUE(d.hang);
  EXPECT_EQ(d.hang_until, seconds(3));
  EXPECT_TRUE(plan.Decide("GET", "/v1/nodes", seconds(11), none).stale);
  EXPECT_FALSE(plan.Decide("PUT", "/v1/nodes/x", seconds(11), none).stale)
      << "writes are never stale";
  EXPECT_NE(plan.SseDropWindow(seconds(20), nullptr), 0u);
  EXPECT_EQ(plan.SseDropWindow(seconds(21), nullptr), 0u);
}

}  // namespace
}  // namespace lnsim::mock
