// Bridge configuration: the YAML file takes every flag's long name, rejects unknown keys with
// FILE:LINE, and validation names the missing or bad field.
#include <gtest/gtest.h>

#include "bridge/bridge.h"
#include "tests/bridge/testutil_bridge.h"

namespace lnsim::bridge {
namespace {

TEST(BridgeConfigTest, YamlHoldsEveryFlag) {
  const std::string dir = testing::MakeTempDir("lnsim-bridge-cfg-");
  const std::string path =
      testing::WriteFile(dir, "bridge.yaml", R"(linstor: [ctrl-1, "http://ctrl-2:3371"]
nats: nats://a:4222,nats://b:4222
cluster: prod
jetstream: true
stream: S
bucket: b
replicas: 3
dedup-window: 5m
poll-interval: 250ms
request-timeout: 3s
ack-timeout: 2s
drain-timeout: 20s
creds: /etc/nats.creds
metrics-addr: 127.0.0.1:9310
timing-file: /tmp/t.jsonl
pool-low-threshold: 15
resync-step: 5
page-size: 200
max-in-flight: 100
sse: false
)");
  BridgeConfig c;
  ASSERT_TRUE(LoadBridgeConfigFile(path, &c).ok());
  EXPECT_EQ(c.linstor_urls, (std::vector<std::string>{"ctrl-1", "http://ctrl-2:3371"}));
  EXPECT_EQ(c.nats_urls, (std::vector<std::string>{"nats://a:4222", "nats://b:4222"}));
  EXPECT_TRUE(c.jetstream);
  EXPECT_EQ(c.replicas, 3);
  EXPECT_EQ(c.dedup_window, std::chrono::minutes(5));
  EXPECT_EQ(c.poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(c.page_size, 200u);
  EXPECT_FALSE(c.sse);
  ASSERT_TRUE(ValidateBridgeConfig(&c).ok());
  EXPECT_EQ(c.linstor_urls[0], "http://ctrl-1:3370");
  EXPECT_EQ(c.linstor_urls[1], "http://ctrl-2:3371");
}

TEST(BridgeConfigTest, UnknownKeyNamesFileAndLine) {
  const std::string dir = testing::MakeTempDir("lnsim-bridge-cfg-");
  const std::string path =
      testing::WriteFile(dir, "bridge.yaml", "cluster: prod\npoll-intervall: 1s\n");
  BridgeConfig c;
  Status st = LoadBridgeConfigFile(path, &c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(path + ":2: poll-intervall: unknown key"), std::string::npos)
      << st.message();
  const std::string bad = testing::WriteFile(dir, "bad.yaml", "poll-interval: 10\n");
  st = LoadBridgeConfigFile(bad, &c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find(":1: poll-interval"), std::string::npos) << st.message();
  EXPECT_EQ(LoadBridgeConfigFile(dir + "/missing.yaml", &c).code(), StatusCode::kNotFound);
}

TEST(BridgeConfigTest, ValidationNamesTheField) {
  BridgeConfig c;
  EXPECT_NE(ValidateBridgeConfig(&c).message().find("LS_CONTROLLERS"), std::string::npos);
  c.linstor_urls = {"ftp://secure:3371"};
  c.nats_urls = {"nats://x"};
  c.cluster = "c";
  EXPECT_NE(ValidateBridgeConfig(&c).message().find("scheme must be http or https"),
            std::string::npos);
  c.linstor_urls = {"ctrl"};
  c.cluster.clear();
  EXPECT_NE(ValidateBridgeConfig(&c).message().find("--cluster"), std::string::npos);
  c.cluster = "Prod.EU";
  ASSERT_TRUE(ValidateBridgeConfig(&c).ok());
  EXPECT_EQ(c.stream, "LINSTOR_PROD_2EEU");
  EXPECT_EQ(c.bucket, "linstor_prod_2eeu_state");
  EXPECT_EQ(SplitList(" a, b ,,c "), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace lnsim::bridge
