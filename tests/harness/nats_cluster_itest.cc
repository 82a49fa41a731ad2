// A 3-member nats-server cluster: messages route between members, a replicated JetStream
// stream keeps accepting writes with one member killed, and the member rejoins after a restart.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <thread>

#include "common/clock.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_cluster.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(NatsClusterTest, RoutesAndSurvivesTheLossOfOneMember) {
  RealClock clock;
  auto cluster = NatsCluster::Start(NatsClusterOptions{}, clock);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  NatsCluster& c = **cluster;
  ASSERT_EQ(c.size(), 3);

  // Core NATS: subscribe on member 3, publish on member 1.
  auto sub_conn = internal::ConnectNats(c.server(2).url(), "sub");
  auto pub_conn = internal::ConnectNats(c.server(0).url(), "pub");
  ASSERT_TRUE(sub_conn.ok() && pub_conn.ok());
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, *sub_conn, "routed"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(*sub_conn), NATS_OK);
  bool routed = false;
  const Duration deadline = clock.Now() + seconds(15);
  while (!routed && clock.Now() < deadline) {  // the route's interest propagates asynchronously
    natsConnection_PublishString(*pub_conn, "routed", "x");
    natsConnection_FlushTimeout(*pub_conn, 200);
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 100) == NATS_OK) {
      routed = true;
      natsMsg_Destroy(msg);
    }
  }
  EXPECT_TRUE(routed);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(*sub_conn);

  // JetStream, 3 replicas: writes go on with member 2 killed.
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, *pub_conn, nullptr), NATS_OK);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = "R3";
  const char* subjects[] = {"r3.>"};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Replicas = 3;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = NATS_ERR;
  const Duration js_deadline = clock.Now() + seconds(20);
  while (clock.Now() < js_deadline) {  // the meta leader may still be settling
    s = js_AddStream(nullptr, js, &config, nullptr, &jerr);
    if (s == NATS_OK) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " jerr " << jerr;
  c.server(1).Kill9();
  int acked = 0;
  const Duration write_deadline = clock.Now() + seconds(20);
  while (acked < 5 && clock.Now() < write_deadline) {
    if (js_Publish(nullptr, js, "r3.x", "m", 1, nullptr, &jerr) == NATS_OK) ++acked;
  }
  EXPECT_EQ(acked, 5) << "a 3-replica stream must accept writes with 2 of 3 members";
  ASSERT_TRUE(c.server(1).Restart().ok()) << c.server(1).LogTail();
  EXPECT_TRUE(c.server(1).Running());
  jsCtx_Destroy(js);
  natsConnection_Destroy(*pub_conn);
}

}  // namespace
}  // namespace lnsim::harness
