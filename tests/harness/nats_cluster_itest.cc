// A 3-member nats-server cluster: messages route between members, a replicated JetStream
// stream keeps accepting writes with one member killed, and the member rejoins after a restart.
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <cstdlib>
#include <thread>

#include "common/clock.h"
#include "harness/internal/http_get.h"
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

// Adds a 3-replica stream "R3" on subjects r3.> through `js`, retrying while the meta group
// settles (bounded).
natsStatus AddR3Stream(jsCtx* js, const Clock& clock) {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = "R3";
  const char* subjects[] = {"r3.>"};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Replicas = 3;
  natsStatus s = NATS_ERR;
  const Duration deadline = clock.Now() + seconds(20);
  while (clock.Now() < deadline) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(nullptr, js, &config, nullptr, &jerr);
    if (s == NATS_OK) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return s;
}

StatusOr<std::string> WaitForLeader(StreamLeaderProbe& probe, const Clock& clock) {
  const Duration deadline = clock.Now() + seconds(20);
  StatusOr<std::string> leader = UnavailableError("no answer yet");
  while (clock.Now() < deadline) {
    leader = probe.Leader(milliseconds(500));
    if (leader.ok()) return leader;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return leader;
}

// Number of routes member `i` reports on /routez, -1 when it does not answer.
int RouteCount(NatsCluster& c, int i, const Clock& clock) {
  auto res =
      internal::HttpGet("127.0.0.1", c.server(i).monitor_port(), "/routez", seconds(2), clock);
  if (!res.ok() || res->status != 200) return -1;
  const size_t at = res->body.find("\"num_routes\":");
  if (at == std::string::npos) return -1;
  return std::atoi(res->body.c_str() + at + 13);
}

TEST(NatsClusterTest, KillingTheStreamLeaderElectsAnotherMember) {
  RealClock clock;
  auto cluster = NatsCluster::Start(NatsClusterOptions{}, clock);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  NatsCluster& c = **cluster;
  auto conn = internal::ConnectNats(c.urls(), "setup");
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, *conn, nullptr), NATS_OK);
  ASSERT_EQ(AddR3Stream(js, clock), NATS_OK);
  auto probe = StreamLeaderProbe::Connect(c.urls(), "R3");
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  auto leader = WaitForLeader(**probe, clock);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int old = c.IndexOf(*leader);
  ASSERT_GE(old, 0) << *leader << " is not a member's name";
  EXPECT_EQ(c.member_name(old), *leader);

  ElectionTimer timer(c.urls(), "R3", *leader, clock, seconds(30));
  c.server(old).Kill9();
  timer.Wait();
  ASSERT_TRUE(timer.window().has_value()) << "no new leader within 30s";
  EXPECT_GT(timer.window()->count(), 0);
  EXPECT_NE(timer.new_leader(), *leader);
  EXPECT_GE(c.IndexOf(timer.new_leader()), 0);
  // The new leader accepts writes.
  jsErrCode jerr = static_cast<jsErrCode>(0);
  EXPECT_EQ(js_Publish(nullptr, js, "r3.after", "m", 1, nullptr, &jerr), NATS_OK) << jerr;
  ASSERT_TRUE(c.server(old).Restart().ok()) << c.server(old).LogTail();
  jsCtx_Destroy(js);
  natsConnection_Destroy(*conn);
}

TEST(NatsClusterTest, MemberServingFindsTheServerANamedClientIsConnectedTo) {
  RealClock clock;
  NatsClusterOptions o;
  o.jetstream = false;
  auto cluster = NatsCluster::Start(o, clock);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  NatsCluster& c = **cluster;
  auto conn = internal::ConnectNats(c.server(1).url(), "who-am-i");
  ASSERT_TRUE(conn.ok());
  ASSERT_EQ(natsConnection_Flush(*conn), NATS_OK);
  // /connz is a snapshot the server builds on request: the client is listed once connected.
  StatusOr<int> member = -1;
  const Duration deadline = clock.Now() + seconds(10);
  while (clock.Now() < deadline) {
    member = c.MemberServing("who-am-i", clock);
    if (!member.ok() || *member >= 0) break;
  }
  ASSERT_TRUE(member.ok()) << member.status().ToString();
  EXPECT_EQ(*member, 1);
  auto nobody = c.MemberServing("no-such-client", clock);
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(*nobody, -1);
  natsConnection_Destroy(*conn);
}

TEST(NatsClusterTest, CuttingTheLeadersRoutesMovesLeadershipAndHealingRejoins) {
  RealClock clock;
  NatsClusterOptions o;
  o.route_proxies = true;
  auto cluster = NatsCluster::Start(o, clock);
  ASSERT_TRUE(cluster.ok()) << cluster.status().ToString();
  NatsCluster& c = **cluster;
  auto conn = internal::ConnectNats(c.urls(), "setup");
  ASSERT_TRUE(conn.ok());
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, *conn, nullptr), NATS_OK);
  ASSERT_EQ(AddR3Stream(js, clock), NATS_OK);
  auto probe = StreamLeaderProbe::Connect(c.urls(), "R3");
  ASSERT_TRUE(probe.ok());
  auto leader = WaitForLeader(**probe, clock);
  ASSERT_TRUE(leader.ok()) << leader.status().ToString();
  const int old = c.IndexOf(*leader);
  ASSERT_GE(old, 0);
  // Routes go through the proxies: every member sees its two peers.
  auto wait_routes = [&](int i) {
    const Duration deadline = clock.Now() + seconds(30);
    while (clock.Now() < deadline && RouteCount(c, i, clock) < 2) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    return RouteCount(c, i, clock);
  };
  for (int i = 0; i < c.size(); ++i) EXPECT_GE(wait_routes(i), 2) << "member " << i + 1;

  // The others elect a new leader while the old one is cut off (asked through their URLs only:
  // the isolated member may still believe it leads until it notices it lost its quorum).
  std::string majority;
  for (int i = 0; i < c.size(); ++i) {
    if (i == old) continue;
    majority += (majority.empty() ? "" : ",") + c.server(i).url();
  }
  ElectionTimer timer(majority, "R3", *leader, clock, seconds(30));
  ASSERT_TRUE(c.CutRoutes(old).ok());
  timer.Wait();
  ASSERT_TRUE(timer.window().has_value()) << "no new leader within 30s of the cut";
  EXPECT_NE(timer.new_leader(), *leader);
  EXPECT_TRUE(c.server(old).Running()) << "a cut is not a kill";

  ASSERT_TRUE(c.HealRoutes(old).ok());
  EXPECT_GE(wait_routes(old), 2) << "the healed member did not rejoin its peers";
  jsErrCode jerr = static_cast<jsErrCode>(0);
  EXPECT_EQ(js_Publish(nullptr, js, "r3.healed", "m", 1, nullptr, &jerr), NATS_OK) << jerr;
  jsCtx_Destroy(js);
  natsConnection_Destroy(*conn);
}

}  // namespace
}  // namespace lnsim::harness
