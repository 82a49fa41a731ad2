// The scenario keys of the readiness protocol (docs/scenarios.md "Readiness"):
// `bridge.ready_timeout` and `bridge.readiness`, with their defaults and clear errors; the ready
// file is the rig's to set, not the scenario's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "bridge/options.h"
#include "harness/bridge_spec.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

StatusOr<BridgeSpec> Parse(const std::string& yaml) {
  return ParseBridgeSection(YAML::Load(yaml)["bridge"], "s.yaml");
}

TEST(ReadinessSpecTest, DefaultsWaitThirtySecondsForTheSignal) {
  auto spec = Parse("cluster: {}\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->ready_timeout, std::chrono::seconds(30));
  EXPECT_FALSE(spec->assume_ready);
}

TEST(ReadinessSpecTest, KeysSetTheDeadlineAndTheMode) {
  auto spec = Parse("bridge:\n  ready_timeout: 5s\n  readiness: assumed\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->ready_timeout, std::chrono::seconds(5));
  EXPECT_TRUE(spec->assume_ready);
  spec = Parse("bridge:\n  readiness: file\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_FALSE(spec->assume_ready);
}

TEST(ReadinessSpecTest, BadValuesAreClearErrors) {
  auto spec = Parse("bridge:\n  readiness: healthz\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(),
              HasSubstr("s.yaml:2: bridge.readiness: must be `file` or `assumed`, not 'healthz'"));
  spec = Parse("bridge:\n  ready_timeout: 0s\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("bridge.ready_timeout: must be > 0"));
  spec = Parse("bridge:\n  ready_timeout: soon\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("bridge.ready_timeout:"));
}

TEST(ReadinessSpecTest, TheReadyFileIsTheRigsNotTheScenarios) {
  auto spec = Parse("bridge:\n  ready_file: /tmp/x\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("bridge.ready_file: unknown key"));
}

TEST(ReadinessSpecTest, TheBridgeOptionTableHasTheReadyFileFlag) {
  bridge::BridgeConfig config;
  config.ready_file = "/run/bridge.ready";
  const std::vector<std::string> argv = bridge::BridgeArgv(config);
  ASSERT_EQ(argv.size(), 2u);
  EXPECT_EQ(argv[0], "--ready-file");
  EXPECT_EQ(argv[1], "/run/bridge.ready");
}

}  // namespace
}  // namespace lnsim::harness
