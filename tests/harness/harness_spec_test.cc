// The harness's scenario sections: defaults, every key, and errors as `file:line: key: what`.
#include "harness/harness_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

StatusOr<HarnessSpec> Parse(const std::string& yaml) {
  auto scenario = LoadScenarioText(yaml, "t.yaml");
  if (!scenario.ok()) return scenario.status();
  return ParseHarnessSections(*scenario);
}

TEST(HarnessSpecTest, DefaultsWithoutSections) {
  auto spec = Parse("duration: 10s\n");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_TRUE(spec->nats.url.empty());
  EXPECT_TRUE(spec->nats.jetstream);
  EXPECT_EQ(spec->nats.stream, "") << "the bridge's own default, LINSTOR_<CLUSTER>";
  ASSERT_EQ(spec->consumers.size(), 1u);
  EXPECT_EQ(spec->consumers[0].name, "js-1");
  EXPECT_EQ(spec->consumers[0].mode, ConsumerMode::kJetStreamAckSync);
  EXPECT_EQ(spec->drain, std::chrono::seconds(30));
  EXPECT_TRUE(spec->slos.empty());
  EXPECT_FALSE(spec->network.bridge_proxy);
}

TEST(HarnessSpecTest, EveryKey) {
  auto spec = Parse(R"(nats:
  url: nats://127.0.0.1:4222
  server_bin: /opt/nats-server
  jetstream: true
  stream: EVENTS
consumers:
  - name: fast
    mode: jetstream-ack
    subject: linstor.v1.*.volume.>
    dedup: false
    ack_wait: 2s
  - name: plain
    mode: core
    via_proxy: true
network:
  bridge: {latency: 20ms, jitter: 5ms, bandwidth: 1MiB}
slo:
  - p99_end_to_end < 2s
  - lost == 0
drain: 45s
faults:
  - kind: network
    at: 5s
    duration: 2s
    params: target=bridge,blackhole=true
  - kind: consumer-crash
    at: 7s
    params: consumer=fast,keep_dedup=false
  - kind: nats-restart
    at: 9s
    params: mode=term
)");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->nats.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(spec->nats.server_bin, "/opt/nats-server");
  EXPECT_EQ(spec->nats.stream, "EVENTS");
  ASSERT_EQ(spec->consumers.size(), 2u);
  EXPECT_EQ(spec->consumers[0].mode, ConsumerMode::kJetStreamAck);
  EXPECT_EQ(spec->consumers[0].subject, "linstor.v1.*.volume.>");
  EXPECT_EQ(spec->consumers[0].dedup, std::optional<bool>(false));
  EXPECT_EQ(spec->consumers[0].ack_wait, std::chrono::milliseconds(2000));
  EXPECT_EQ(spec->consumers[1].mode, ConsumerMode::kCore);
  EXPECT_TRUE(spec->network.consumers_proxy);
  EXPECT_TRUE(spec->network.bridge_proxy);
  EXPECT_EQ(spec->network.bridge.latency, std::chrono::milliseconds(20));
  EXPECT_EQ(spec->network.bridge.bandwidth_bytes_per_second, 1048576u);
  ASSERT_EQ(spec->slos.size(), 2u);
  EXPECT_EQ(spec->slos[1].metric, "lost");
  EXPECT_EQ(spec->drain, std::chrono::seconds(45));
}

TEST(HarnessSpecTest, ErrorsNameFileLineAndKey) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  for (const Case& c : {
           Case{"nats:\n  jetstraem: true\n",
                "t.yaml:2: nats.jetstraem: unknown key (did you mean 'jetstream'?)"},
           Case{"consumers:\n  - mode: turbo\n",
                "t.yaml:2: consumers[0].mode: consumer mode 'turbo'"},
           Case{"consumers:\n  - name: a\n  - name: a\n",
                "t.yaml:3: consumers[1].name: duplicate consumer name 'a'"},
           Case{"slo:\n  - p99_end_to_end < 2\n", "t.yaml:2: slo[0]: slo 'p99_end_to_end < 2'"},
           Case{"drain: soon\n", "t.yaml:1: drain: bad duration 'soon'"},
           Case{"network:\n  bridge: {bandwidth: 1 parsec}\n",
                "t.yaml:2: network.bridge.bandwidth: bad size"},
           Case{"nats:\n  jetstream: false\nconsumers:\n  - mode: jetstream-ack\n",
                "t.yaml:4: consumers[0].mode: a JetStream consumer needs nats.jetstream: true"},
       }) {
    auto spec = Parse(c.yaml);
    EXPECT_THAT(spec, StatusIs(StatusCode::kInvalidArgument, ::testing::StartsWith(c.expected)))
        << c.yaml;
  }
}

TEST(HarnessSpecTest, FaultParamsAreValidated) {
  auto spec =
      Parse("faults:\n  - kind: network\n    at: 1s\n    params: target=bridge,latencyy=5ms\n");
  EXPECT_THAT(spec,
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("t.yaml:4: faults[0].params.latencyy: unknown key "
                                            "(did you mean 'latency'?)")));
  auto missing =
      Parse("faults:\n  - kind: consumer-crash\n    at: 1s\n    params: consumer=ghost\n");
  EXPECT_THAT(missing, StatusIs(StatusCode::kInvalidArgument,
                                ::testing::HasSubstr("consumer 'ghost' is not in `consumers`")));
}

TEST(HarnessSpecTest, ParseBytes) {
  EXPECT_EQ(*ParseBytes("512"), 512u);
  EXPECT_EQ(*ParseBytes("100KB"), 100000u);
  EXPECT_EQ(*ParseBytes("1.5KiB"), 1536u);
  EXPECT_EQ(*ParseBytes("2MiB"), 2097152u);
  EXPECT_EQ(ParseBytes("fast").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseBytes("1 MB").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lnsim::harness
