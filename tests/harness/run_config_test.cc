// ConfigureRun (harness/run_config.h): the command line's overrides on a scenario, and the
// configuration errors that end a run with exit code 2 before anything starts.
#include "harness/run_config.h"

#include <gtest/gtest.h>

namespace lnsim::harness {
namespace {

constexpr const char* kWorld = R"(cluster:
  nodes: 3
  pools_per_node: 1
  pool_size: 1TiB
  resources: 4
  replicas: 2
time_scale: 0.1
duration: 10s
seed: 1
)";

RunOptions Options(const std::string& extra = "") {
  RunOptions o;
  o.scenario_path = "test.yaml";
  o.scenario_text = std::string(kWorld) + extra;
  return o;
}

TEST(RunConfigTest, OverridesReachTheWorldAndTheHarness) {
  RunOptions o = Options();
  o.seed = 99;
  o.duration = std::chrono::seconds(4);
  o.time_scale = 0.5;
  o.drain = std::chrono::seconds(3);
  o.bridge_command = "./my-bridge";
  o.nats_server_bin = "/opt/nats-server";
  auto config = ConfigureRun(o);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->seed, 99u);
  EXPECT_EQ(config->scenario.world.seed, 99u);
  EXPECT_EQ(config->scenario.world.duration, std::chrono::seconds(4));
  EXPECT_DOUBLE_EQ(config->scenario.world.time_scale, 0.5);
  EXPECT_EQ(config->harness.drain, std::chrono::seconds(3));
  EXPECT_EQ(config->bridge.command, "./my-bridge");
  EXPECT_EQ(config->harness.nats.server_bin, "/opt/nats-server");
  EXPECT_EQ(config->scenario_text, o.scenario_text);
  EXPECT_TRUE(config->jetstream);
  EXPECT_EQ(config->stream_replicas, 1);
}

TEST(RunConfigTest, CoreSwitchesTheDefaultConsumerToCore) {
  RunOptions o = Options();
  o.jetstream = false;
  auto config = ConfigureRun(o);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->jetstream);
  ASSERT_EQ(config->harness.consumers.size(), 1u);
  EXPECT_EQ(config->harness.consumers[0].name, "core-1");
  EXPECT_EQ(config->harness.consumers[0].mode, ConsumerMode::kCore);
}

TEST(RunConfigTest, AJetStreamConsumerOnCoreNatsIsAConfigurationError) {
  RunOptions o = Options("consumers:\n  - name: js-sync\n    mode: jetstream-acksync\n");
  o.jetstream = false;
  auto config = ConfigureRun(o);
  ASSERT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("consumer 'js-sync'"), std::string::npos);
}

TEST(RunConfigTest, TimeScaleMustBePositive) {
  RunOptions o = Options();
  o.time_scale = 0;
  EXPECT_EQ(ConfigureRun(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(RunConfigTest, HarnessFaultsAreCollectedWithTheirWindowIndex) {
  auto config = ConfigureRun(
      Options("faults:\n  - kind: node-crash\n    at: 1s\n  - kind: bridge-kill\n    at: 2s\n"));
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->harness_faults.size(), 1u);  // node-crash is the world's own
  EXPECT_EQ(config->harness_faults[0].index, 1u);
  EXPECT_EQ(config->harness_faults[0].kind, sim::FaultKind::kBridgeKill);
}

TEST(RunConfigTest, NatsRestartNeedsTheEmbeddedServer) {
  RunOptions o = Options("faults:\n  - kind: nats-restart\n    at: 1s\n    duration: 1s\n");
  o.nats_urls = "nats://127.0.0.1:4222";
  auto config = ConfigureRun(o);
  ASSERT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("needs the embedded nats-server"), std::string::npos);
}

TEST(RunConfigTest, ALiveServerStartsNoLocalCluster) {
  RunOptions o = Options("nats:\n  cluster: 3\n");
  o.nats_urls = "nats://127.0.0.1:4222";
  auto config = ConfigureRun(o);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->harness.nats.cluster, 0);
  EXPECT_EQ(config->stream_replicas, 1);
}

TEST(RunConfigTest, AClusterReplicatesTheStreamUpToFive) {
  auto three = ConfigureRun(Options("nats:\n  cluster: 3\n"));
  ASSERT_TRUE(three.ok()) << three.status().message();
  EXPECT_EQ(three->stream_replicas, 3);
  auto seven = ConfigureRun(Options("nats:\n  cluster: 7\n"));
  ASSERT_TRUE(seven.ok()) << seven.status().message();
  EXPECT_EQ(seven->stream_replicas, 5);
}

TEST(RunConfigTest, ABadBridgeSectionNamesFileLineAndKey) {
  auto config = ConfigureRun(Options("bridge:\n  poll_intervall: 1s\n"));
  ASSERT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("test.yaml:"), std::string::npos);
  EXPECT_NE(config.status().message().find("bridge.poll_intervall: unknown key"),
            std::string::npos);
}

TEST(RunConfigTest, SloFlagsAreJudgedBesideTheScenariosOwn) {
  RunOptions o = Options("slo:\n  - lost == 0\n");
  o.slo_expressions = {"delivered > 1000000", "p99_end_to_end < 5s"};
  auto config = ConfigureRun(o);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->harness.slos.size(), 3u);
  EXPECT_EQ(config->harness.slo_expressions,
            (std::vector<std::string>{"lost == 0", "delivered > 1000000", "p99_end_to_end < 5s"}));
  EXPECT_EQ(config->harness.slos[1].metric, "delivered");
}

TEST(RunConfigTest, ABadSloFlagIsAConfigurationErrorNamingTheFlag) {
  RunOptions o = Options();
  o.slo_expressions = {"p99_end_to_end < 5"};
  auto config = ConfigureRun(o);
  ASSERT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find("--slo: slo 'p99_end_to_end < 5'"), std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace lnsim::harness
