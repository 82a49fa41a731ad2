// The scenario's `bridge` section reads the bridge's own option table (bridge/options.h): its
// keys are the table's names in snake_case with the table's defaults, the options the rig sets
// itself are refused, and errors name file, line and key.
#include "harness/bridge_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "bridge/options.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

StatusOr<BridgeSpec> Parse(const std::string& yaml) {
  return ParseBridgeSection(YAML::Load(yaml)["bridge"], "s.yaml");
}

TEST(BridgeSpecTest, AbsentSectionHasTheBridgesOwnDefaults) {
  auto spec = Parse("cluster: {}\n");
  ASSERT_THAT(spec, IsOk());
  const bridge::BridgeConfig defaults;
  EXPECT_EQ(spec->options.poll_interval, defaults.poll_interval);
  EXPECT_EQ(spec->options.request_timeout, defaults.request_timeout);
  EXPECT_EQ(spec->options.dedup_window, defaults.dedup_window);
  EXPECT_TRUE(spec->options.sse);
  EXPECT_EQ(spec->cluster, "lnsim");
  EXPECT_TRUE(spec->command.empty());
  // Nothing differs from the bridge's defaults, so lnsim's own bridge gets no option flags.
  EXPECT_TRUE(bridge::BridgeArgv(spec->options).empty());
}

TEST(BridgeSpecTest, SnakeCaseKeysSetTheTableOptions) {
  auto spec = Parse(
      "bridge:\n  poll_interval: 1s\n  request_timeout: 750ms\n  resync_step: 5\n"
      "  pool_low_threshold: 20\n  sse: false\n  send_asap: true\n  page_size: 50\n"
      "  command: ./my-bridge\n  extra_args: [--quiet]\n  https: true\n  cluster: prod\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->options.poll_interval, std::chrono::seconds(1));
  EXPECT_EQ(spec->options.request_timeout, std::chrono::milliseconds(750));
  EXPECT_EQ(spec->options.resync_step_percent, 5.0);
  EXPECT_EQ(spec->options.pool_low_threshold_percent, 20.0);
  EXPECT_FALSE(spec->options.sse);
  EXPECT_TRUE(spec->options.send_asap);
  EXPECT_EQ(spec->options.page_size, 50u);
  EXPECT_EQ(spec->command, "./my-bridge");
  EXPECT_EQ(spec->extra_args, std::vector<std::string>{"--quiet"});
  EXPECT_TRUE(spec->https);
  EXPECT_EQ(spec->cluster, "prod");
  const auto argv = bridge::BridgeArgv(spec->options);
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--no-sse"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--poll-interval"), argv.end());
}

TEST(BridgeSpecTest, TheNewerSpellingOfSseIsAcceptedToo) {
  auto spec = Parse("bridge:\n  no_sse: true\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_FALSE(spec->options.sse);
}

TEST(BridgeSpecTest, OptionsTheRigSetsAreUnknownKeys) {
  for (const char* key : {"nats", "linstor", "stream", "creds", "timing_file", "metrics_addr"}) {
    EXPECT_THAT(Parse(std::string("bridge:\n  ") + key + ": x\n"),
                StatusIs(StatusCode::kInvalidArgument,
                         HasSubstr(std::string("s.yaml:2: bridge.") + key + ": unknown key")))
        << key;
  }
  const auto& names = ScenarioBridgeOptionNames();
  EXPECT_EQ(std::find(names.begin(), names.end(), "nats"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "poll-interval"), names.end());
}

TEST(BridgeSpecTest, BadValuesNameFileLineAndKey) {
  EXPECT_THAT(Parse("bridge:\n  poll_interval: 0s\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("s.yaml:2: bridge.poll_interval: must be > 0")));
  EXPECT_THAT(Parse("bridge:\n  poll_interval: soon\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("s.yaml:2: bridge.poll_interval")));
  EXPECT_THAT(Parse("bridge:\n  resync_step: -1\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("s.yaml:2: bridge.resync_step: must be >= 0")));
  EXPECT_THAT(Parse("bridge:\n  page_size: many\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("s.yaml:2: bridge.page_size")));
  EXPECT_THAT(Parse("bridge:\n  sse: [1]\n"),
              StatusIs(StatusCode::kInvalidArgument,
                       HasSubstr("s.yaml:2: bridge.sse: has the wrong type")));
  EXPECT_THAT(Parse("bridge:\n  poll_intervall: 1s\n"),
              StatusIs(StatusCode::kInvalidArgument, HasSubstr("did you mean 'poll_interval'")));
  EXPECT_THAT(Parse("bridge: 3\n"), StatusIs(StatusCode::kInvalidArgument,
                                             HasSubstr("s.yaml:1: bridge.: must be a mapping")));
}

}  // namespace
}  // namespace lnsim::harness
