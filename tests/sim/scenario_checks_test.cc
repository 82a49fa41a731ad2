// The scenario rules that span keys (sim::CheckWorldSpec) and each fault kind's params (checked
// by sim::ParseWorldSections): every rule's error names the line and the dotted key; scenarios
// that test nothing and faults that never fire are warnings of the same form; valid scenarios,
// the library's included, give neither.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "sim/scenario.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct Checked {
  Status status;
  std::vector<std::string> warnings;
};

Checked Check(const std::string& text) {
  const YAML::Node root = YAML::Load(text);
  WorldSpec spec;
  Checked out;
  out.status = ParseWorldSections(root, &spec);
  if (out.status.ok()) out.status = CheckWorldSpec(spec, root, &out.warnings);
  return out;
}

// The error message of `text`, which must be an error.
std::string ErrorOf(const std::string& text) {
  const Checked c = Check(text);
  EXPECT_THAT(c.status, StatusIs(StatusCode::kInvalidArgument)) << text;
  return c.status.message();
}

// A workload that changes the world, so the "tests nothing" warning stays out of the way.
constexpr char kChurn[] = "workload:\n  attach_rate: 1\n";

TEST(ScenarioChecks, ValidScenarioHasNoErrorAndNoWarning) {
  const Checked c = Check(std::string(kChurn) + R"(cluster:
  nodes: 4
  diskless_clients: 1
  pools_per_node: 2
  replicas: 2
  tiebreaker: false
faults:
  - {kind: node-crash, at: 10s, duration: 20s, nodes: [node-4], params: {evict_after: 1h}}
  - {kind: split-brain, at: 20s, params: recover=30s}
  - {kind: pool-exhaustion, at: 30s, nodes: node-2, params: pool=pool2}
  - {kind: slow-satellite, at: random, nodes: client-1, params: latency=2s}
  - {kind: api-fault, at: 5s, duration: 1s, params: 'kind=error,status=503'}
  - {kind: network, at: 5s, duration: 1s, params: 'target=consumers,latency=20ms'}
duration: 60s
)");
  EXPECT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_THAT(c.warnings, IsEmpty());
}

TEST(ScenarioChecks, EveryLibraryScenarioPassesWithoutWarnings) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LNSIM_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    const YAML::Node root = YAML::LoadFile(entry.path().string());
    WorldSpec spec;
    ASSERT_THAT(ParseWorldSections(root, &spec), IsOk()) << entry.path();
    std::vector<std::string> warnings;
    EXPECT_THAT(CheckWorldSpec(spec, root, &warnings), IsOk()) << entry.path();
    EXPECT_THAT(warnings, IsEmpty()) << entry.path();
  }
  EXPECT_GE(files, 19);
}

TEST(ScenarioChecks, ReplicasNeedAsManyNodes) {
  EXPECT_EQ(ErrorOf("cluster:\n  nodes: 3\n  replicas: 5\n"),
            "3: cluster.replicas: 5 replicas per resource need at least 5 storage nodes, "
            "cluster.nodes is 3");
  // The default of 3 replicas: the line of `nodes`.
  EXPECT_THAT(ErrorOf("cluster:\n  nodes: 2\n"),
              StartsWith("2: cluster.nodes: 2 storage nodes cannot hold 3 replicas per resource"));
  EXPECT_THAT(ErrorOf("cluster: {nodes: 1, replicas: 2}\n"), StartsWith("1: cluster.replicas: "));
}

TEST(ScenarioChecks, VolumesBeyondDrbdMinors) {
  EXPECT_THAT(ErrorOf("cluster:\n  resources: 600000\n  volumes_per_resource: 2\n"),
              StartsWith("2: cluster.resources: 1200000 volumes (resources × "
                         "volumes_per_resource) exceed DRBD's minor numbers"));
}

TEST(ScenarioChecks, PoolSpaceThatCannotHoldTheResources) {
  EXPECT_THAT(ErrorOf("cluster:\n  pool_kind: LVM\n  pool_size: 10GiB\n  resources: 20\n"),
              StartsWith("4: cluster.resources: 20 resources × 3 replicas need at least 60GiB "
                         "but the pools take at most 30GiB"));
  EXPECT_THAT(ErrorOf("cluster:\n  pool_kind: LVM\n  pool_size: 1GiB\n  volume_size_min: 2GiB\n"
                      "  volume_size_max: 2GiB\n"),
              StartsWith("4: cluster.volume_size_min: a replica needs at least 2GiB"));
  // Thin pools place up to size × max_oversubscription.
  EXPECT_TRUE(Check("cluster:\n  pool_size: 10GiB\n  resources: 20\n").status.ok());
}

TEST(ScenarioChecks, FaultNodesMustExist) {
  EXPECT_EQ(ErrorOf("faults:\n  - kind: node-crash\n    nodes: [node-1, node-4]\n"),
            "3: faults[0].nodes: no node 'node-4' in the cluster (node-1..node-3)");
  EXPECT_THAT(ErrorOf("cluster: {diskless_clients: 1}\nfaults:\n  - {kind: partition, nodes: "
                      "client-2}\n"),
              HasSubstr("faults[0].nodes: no node 'client-2' in the cluster (node-1..node-3, "
                        "client-1..client-1)"));
  EXPECT_THAT(ErrorOf("cluster: {diskless_clients: 1}\nfaults:\n  - kind: disk-failure\n    "
                      "nodes: client-1\n"),
              StartsWith("4: faults[0].nodes: disk-failure needs a storage node; 'client-1' is a "
                         "diskless client"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: node-reboot\n    count: 4\n"),
              StartsWith("3: faults[0].count: node-reboot picks 4 nodes but the cluster has 3"));
  EXPECT_TRUE(
      Check(std::string(kChurn) + "faults:\n  - {kind: node-crash, nodes: NODE-3}\n").status.ok());
}

TEST(ScenarioChecks, FaultKindsNeedTheirTargets) {
  EXPECT_THAT(ErrorOf("faults:\n  - kind: split-brain\n"),
              StartsWith("2: faults[0].kind: split-brain needs resources with 2 diskful "
                         "replicas and no tiebreaker"));
  EXPECT_THAT(ErrorOf("cluster: {replicas: 1}\nfaults:\n  - kind: quorum-loss\n"),
              StartsWith("3: faults[0].kind: quorum-loss needs resources with quorum"));
  EXPECT_EQ(ErrorOf("cluster: {pools_per_node: 2}\nfaults:\n  - kind: pool-exhaustion\n"
                    "    params: pool=pool3\n"),
            "4: faults[0].params.pool: no pool 'pool3' on the storage nodes (pool1..pool2, "
            "cluster.pools_per_node)");
  EXPECT_THAT(ErrorOf("faults:\n  - kind: node-crash\n    resource: pvc-1\n"),
              StartsWith("3: faults[0].resource: node-crash has no resource target"));
}

TEST(ScenarioChecks, UnknownParamsOfEachKindWithSuggestion) {
  EXPECT_EQ(ErrorOf("faults:\n  - kind: node-crash\n    params: {evict_aftr: 1h}\n"),
            "3: faults[0].params.evict_aftr: unknown key (did you mean "
            "'evict_after'?); node-crash params: evict_after");
  EXPECT_EQ(ErrorOf("faults:\n  - kind: slow-satellite\n    params: latncy=1s\n"),
            "3: faults[0].params.latncy: unknown key (did you mean "
            "'latency'?); slow-satellite params: latency");
  EXPECT_THAT(ErrorOf("faults:\n  - kind: disk-failure\n    params: pool=pool1\n"),
              HasSubstr("faults[0].params.pool: unknown key; disk-failure "
                        "params: none"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: network\n    params: targt=bridge\n"),
              HasSubstr("faults[0].params.targt: unknown key (did you mean "
                        "'target'?)"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: nats-restart\n    params: mode=term,mode=kill\n"),
              HasSubstr("faults[0].params.mode: given twice"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: bridge-kill\n    params: now\n"),
              HasSubstr("3: faults[0].params: 'now' is not key=value"));
}

TEST(ScenarioChecks, WorldParamValues) {
  EXPECT_THAT(ErrorOf("faults:\n  - kind: node-crash\n    params:\n      evict_after: soon\n"),
              StartsWith("4: faults[0].params.evict_after: must be a duration > 0"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: quorum-loss\n    params: mode=partitoin\n"),
              HasSubstr("faults[0].params.mode: must be crash (default) or partition"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: resize-wave\n    params: count=many\n"),
              HasSubstr("faults[0].params.count: must be a count >= 1"));
  EXPECT_THAT(ErrorOf("faults:\n  - kind: api-fault\n    params: kind=error,status=404\n"),
              HasSubstr("faults[0].params.status: must be a 5xx status"));
}

TEST(ScenarioChecks, ParamsAreNormalised) {
  WorldSpec spec;
  ASSERT_THAT(
      ParseWorldSections(
          YAML::Load("faults:\n  - {kind: split-brain, params: ' recover = 30s , '}\n"), &spec),
      IsOk());
  EXPECT_EQ(spec.faults[0].params, "recover=30s");
  EXPECT_EQ(FaultParam(spec.faults[0].params, "recover"), "30s");
  EXPECT_EQ(FaultParam(spec.faults[0].params, "pool"), "");
}

TEST(ScenarioChecks, WorldClockOverflow) {
  EXPECT_THAT(ErrorOf("duration: 100000h\ntime_scale: 1000000\n"),
              StartsWith("1: duration: 100000h × time_scale"));
}

TEST(ScenarioChecks, FaultAfterTheEndIsAWarning) {
  const Checked c = Check(std::string(kChurn) +
                          "duration: 60s\nfaults:\n  - kind: node-crash\n    at: 60s\n"
                          "  - kind: bridge-kill\n    at: 10s\n    probability: 0\n");
  EXPECT_TRUE(c.status.ok()) << c.status.ToString();
  EXPECT_THAT(c.warnings,
              ElementsAre("6: faults[0].at: node-crash at 1m is at or after the end of the run "
                          "(duration 1m): it never fires",
                          "9: faults[1].probability: 0: bridge-kill never fires"));
}

TEST(ScenarioChecks, ScenariosThatTestNothingAreWarnings) {
  Checked c = Check("cluster:\n  nodes: 3\n  resources: 0\n");
  EXPECT_TRUE(c.status.ok()) << c.status.ToString();
  ASSERT_EQ(c.warnings.size(), 2u);
  EXPECT_THAT(c.warnings[0],
              StartsWith("3: cluster.resources: 0 and no provisioning (workload.provision_rate: "
                         "0): no resource ever exists"));
  EXPECT_THAT(c.warnings[1], StartsWith("workload: every rate is 0 and no fault changes the "
                                        "world"));
  c = Check("workload:\n  attach_rate: 0\n  detach_rate: 0\n");
  EXPECT_THAT(c.warnings, ElementsAre(StartsWith("1: workload: every rate is 0")));
  // A fault that changes the world is something to test, rates or not.
  c = Check("faults:\n  - {kind: node-crash, at: 10s}\n");
  EXPECT_THAT(c.warnings, IsEmpty());
}

}  // namespace
}  // namespace lnsim::sim
