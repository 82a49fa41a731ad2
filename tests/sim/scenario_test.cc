// The world's scenario sections parsed from YAML nodes (sim::ParseWorldSections): values, units,
// defaults, and the `line: key: what` errors the loader prefixes with the file name.
#include "sim/scenario.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "tests/testutil/status_matchers.h"

namespace lnsim::sim {
namespace {

using ::testing::StartsWith;

StatusOr<WorldSpec> Parse(const std::string& text) {
  WorldSpec spec;
  Status s = ParseWorldSections(YAML::Load(text), &spec);
  if (!s.ok()) return s;
  return spec;
}

TEST(ParseWorldSections, ValuesAndUnits) {
  auto spec = Parse(R"(
cluster:
  nodes: 6
  diskless_clients: 2
  pool_size: 512GiB
  pool_kind: zfs_thin
  volume_size_min: 1048576
  volume_size_max: 2GiB
  tiebreaker: no
  ha_failover_delay: 2m
  write_rate: 4MiB
workload:
  attach_rate: 2.5
  via: api
faults:
  - kind: slow-satellite
    at: random
    nodes: node-2
    params: {latency: 3s}
  - kind: split-brain
    params: recover=30s
time_scale: 0.01
duration: 1h30m
seed: 123456789012
)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->cluster.nodes, 6);
  EXPECT_EQ(spec->cluster.pool_size_kib, Kib{512} << 20);
  EXPECT_EQ(spec->cluster.pool_kind, ProviderKind::kZfsThin);
  EXPECT_EQ(spec->cluster.volume_size_min_kib, Kib{1} << 20);
  EXPECT_FALSE(spec->cluster.tiebreaker);
  EXPECT_EQ(spec->cluster.ha_failover_delay, std::chrono::minutes(2));
  EXPECT_EQ(spec->cluster.write_rate_kib, 4096u);
  EXPECT_EQ(spec->workload.via, "api");
  EXPECT_DOUBLE_EQ(spec->workload.attach_rate, 2.5);
  ASSERT_EQ(spec->faults.size(), 2u);
  EXPECT_EQ(spec->faults[0].kind, FaultKind::kSlowSatellite);
  EXPECT_EQ(spec->faults[0].at, kRandomTime);
  EXPECT_EQ(spec->faults[0].nodes, std::vector<std::string>{"node-2"});
  EXPECT_EQ(spec->faults[0].params, "latency=3s");
  EXPECT_EQ(spec->faults[0].source_line, 16);  // the raw string starts with a newline
  EXPECT_EQ(spec->faults[1].params, "recover=30s");
  EXPECT_DOUBLE_EQ(spec->time_scale, 0.01);
  EXPECT_EQ(spec->duration, std::chrono::minutes(90));
  EXPECT_EQ(spec->seed, 123456789012u);
}

TEST(ParseWorldSections, LeavesOtherSectionsAlone) {
  auto spec = Parse("api: {whatever: 1}\nslo: [x]\n");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->cluster.nodes, 3);
}

TEST(ParseWorldSections, ErrorsNameLineAndKey) {
  auto e = Parse("cluster:\n  volume_size_min: 10GiB\n  volume_size_max: 1GiB\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument,
                          "2: cluster.volume_size_min: must not exceed cluster.volume_size_max"));
  e = Parse("time_scale: 0\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument, StartsWith("1: time_scale: must be in [")));
  e = Parse("faults: {kind: node-crash}\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument, "1: faults: must be a list of faults"));
  e = Parse("faults:\n  - kind: node-crash\n    probability: 1.5\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument,
                          StartsWith("3: faults[0].probability: must be in [0, 1]")));
  e = Parse("cluster:\n  tiebreaker: maybe\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument,
                          "2: cluster.tiebreaker: must be true or false, got 'maybe'"));
  e = Parse("seed: -1\n");
  EXPECT_THAT(e, StatusIs(StatusCode::kInvalidArgument, StartsWith("1: seed: must be in [0,")));
}

TEST(FaultKinds, NamesRoundTripAndOwnership) {
  EXPECT_EQ(Name(FaultKind::kNodeCrash), "node-crash");
  EXPECT_EQ(Name(FaultKind::kControllerOutage), "controller-outage");
  EXPECT_TRUE(WorldExecutes(FaultKind::kPartition));
  EXPECT_FALSE(WorldExecutes(FaultKind::kNatsRestart));
  EXPECT_EQ(DidYouMean("nodez", {"nodes", "replicas"}), " (did you mean 'nodes'?)");
  EXPECT_EQ(DidYouMean("completely-different", {"nodes", "replicas"}), "");
}

}  // namespace
}  // namespace lnsim::sim
