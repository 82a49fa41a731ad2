// SSE events from the trace: may-promote-change on replica and node-connection transitions
// (without may_promote while the node is not ONLINE), the `Last-Event-ID: current` replay, node
// events only on API actions (not on going offline), and the exact wire format.
#include "mock-linstor/events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/mock-linstor/testutil_cluster.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;

std::vector<std::string> Drain(const std::shared_ptr<Subscriber>& sub) {
  std::vector<std::string> out;
  sub->Wait(std::chrono::milliseconds(0), &out);
  return out;
}

sim::Transition T(sim::EntityKind kind, uint32_t a, uint32_t b, sim::Attribute attr, int64_t from,
                  int64_t to) {
  sim::Transition t;
  t.entity.kind = kind;
  t.entity.a = a;
  t.entity.b = b;
  t.attr = attr;
  t.old_value = from;
  t.new_value = to;
  return t;
}

TEST(SseFormat, IsEventDataBlankLineOnly) {
  EXPECT_EQ(FormatSseEvent("may-promote-change", R"({"a":1})"),
            "event: may-promote-change\ndata: {\"a\":1}\n\n");
}

TEST(EventHub, PromotionChangesAndOfflineNode) {
  sim::Cluster c = testing::SmallCluster();
  sim::TraceLog log;
  SimulatedClock clock;
  EventHub hub(clock, [](const sim::Cluster&, sim::NodeIndex) { return std::string("{}"); });
  hub.Pump(c, log, /*publish=*/false);
  auto sub = hub.Subscribe(EventStream::kPromotion, false, c);
  // demo on node-b: may_promote true -> false.
  c.replicas[1].may_promote = false;
  log.Append(T(sim::EntityKind::kReplica, 0, 1, sim::Attribute::kMayPromote, 1, 0));
  hub.Pump(c, log);
  auto events = Drain(sub);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0],
            "event: may-promote-change\ndata: "
            "{\"resource_name\":\"demo\",\"node_name\":\"node-b\",\"may_promote\":false}\n\n");
  // node-b goes OFFLINE: one event per replica there, without may_promote.
  c.nodes[1].connection = sim::NodeConnection::kOffline;
  log.Append(T(sim::EntityKind::kNode, 1, sim::kNoIndex, sim::Attribute::kConnection, 0, 1));
  hub.Pump(c, log);
  events = Drain(sub);
  ASSERT_EQ(events.size(), 2u);  // demo and Other on node-b
  for (const auto& e : events) {
    const json data = json::parse(e.substr(e.find("data: ") + 6));
    EXPECT_EQ(data["node_name"], "node-b");
    EXPECT_FALSE(data.contains("may_promote"));
  }
  // A may_promote transition while offline: the controller does not know it; nothing is sent.
  c.replicas[1].may_promote = true;
  log.Append(T(sim::EntityKind::kReplica, 0, 1, sim::Attribute::kMayPromote, 0, 1));
  hub.Pump(c, log);
  EXPECT_TRUE(Drain(sub).empty());
  // Back ONLINE: the satellite reports its values again.
  c.nodes[1].connection = sim::NodeConnection::kOnline;
  log.Append(T(sim::EntityKind::kNode, 1, sim::kNoIndex, sim::Attribute::kConnection, 1, 0));
  hub.Pump(c, log);
  events = Drain(sub);
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) EXPECT_NE(e.find("\"may_promote\":"), std::string::npos);
}

TEST(EventHub, LastEventIdCurrentReplaysEveryResourceFirst) {
  sim::Cluster c = testing::SmallCluster();
  c.nodes[2].connection = sim::NodeConnection::kOffline;  // node-c: value unknown
  sim::TraceLog log;
  SimulatedClock clock;
  EventHub hub(clock, [](const sim::Cluster&, sim::NodeIndex) { return std::string("{}"); });
  hub.Pump(c, log, false);
  auto sub = hub.Subscribe(EventStream::kPromotion, /*replay_current=*/true, c);
  const auto events = Drain(sub);
  ASSERT_EQ(events.size(), 4u);  // demo x3, Other x1, sorted
  EXPECT_NE(events[0].find("\"node_name\":\"node-a\",\"may_promote\":false"), std::string::npos);
  EXPECT_NE(events[2].find("\"node_name\":\"node-c\"}"), std::string::npos) << events[2];
  EXPECT_NE(events[3].find("\"resource_name\":\"Other\""), std::string::npos);
  // Without the header nothing is replayed.
  EXPECT_TRUE(Drain(hub.Subscribe(EventStream::kPromotion, false, c)).empty());
}

TEST(EventHub, NodeEventsOnEvictionNotOnOffline) {
  sim::Cluster c = testing::SmallCluster();
  sim::TraceLog log;
  SimulatedClock clock;
  EventHub hub(clock, [](const sim::Cluster& cl, sim::NodeIndex n) {
    return "{\"name\":\"" + cl.nodes[n].name + "\"}";
  });
  hub.Pump(c, log, false);
  auto nodes = hub.Subscribe(EventStream::kNodes, false, c);
  c.nodes[0].connection = sim::NodeConnection::kOffline;
  log.Append(T(sim::EntityKind::kNode, 0, sim::kNoIndex, sim::Attribute::kConnection, 0, 1));
  hub.Pump(c, log);
  EXPECT_TRUE(Drain(nodes).empty()) << "going OFFLINE emits no node event";
  c.nodes[0].flags = sim::kNodeEvicted;
  log.Append(T(sim::EntityKind::kNode, 0, sim::kNoIndex, sim::Attribute::kNodeFlags, 0,
               sim::kNodeEvicted));
  hub.Pump(c, log);
  auto events = Drain(nodes);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0], "event: node-evicted\ndata: {\"node\":{\"name\":\"node-a\"}}\n\n");
  c.nodes[0].flags = 0;
  log.Append(T(sim::EntityKind::kNode, 0, sim::kNoIndex, sim::Attribute::kNodeFlags,
               sim::kNodeEvicted, 0));
  hub.Pump(c, log);
  events = Drain(nodes);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].rfind("event: node-restored\n", 0), 0u);
}

TEST(EventHub, StalledSubscriberIsClosedNotGrown) {
  sim::Cluster c = testing::SmallCluster();
  SimulatedClock clock;
  EventHub hub(
      clock, [](const sim::Cluster&, sim::NodeIndex) { return std::string("{}"); },
      /*max_queued=*/3);
  auto sub = hub.Subscribe(EventStream::kNodes, false, c);
  for (int i = 0; i < 10; ++i) hub.PublishNodeEvent("node-modified", "{}");
  EXPECT_TRUE(sub->closed());
  std::vector<std::string> out;
  EXPECT_FALSE(sub->Wait(std::chrono::milliseconds(0), &out));
}

// The timed pop waits on the injected clock, not on real time: with a SimulatedClock it returns
// empty only once the test advances past the timeout, and a Push ends the wait at once.
TEST(Subscriber, TimedWaitEndsWhenTheSimulatedClockPassesTheTimeout) {
  SimulatedClock clock;
  Subscriber sub(clock, EventStream::kNodes, 10);
  std::vector<std::string> out;
  bool open = false;
  std::thread reader([&] { open = sub.Wait(std::chrono::milliseconds(100), &out); });
  ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10)));
  clock.Advance(std::chrono::milliseconds(99));
  ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10))) << "woke before the timeout";
  clock.Advance(std::chrono::milliseconds(1));
  reader.join();
  EXPECT_TRUE(open);
  EXPECT_TRUE(out.empty());
}

TEST(Subscriber, TimedWaitEndsOnPushWithoutTheClockMoving) {
  SimulatedClock clock;
  Subscriber sub(clock, EventStream::kNodes, 10);
  std::vector<std::string> out;
  std::thread reader([&] { EXPECT_TRUE(sub.Wait(std::chrono::hours(1), &out)); });
  ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10)));
  sub.Push("event: node-create\ndata: {}\n\n");
  reader.join();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "event: node-create\ndata: {}\n\n");
  EXPECT_EQ(clock.Now(), Duration::zero());
}

TEST(Subscriber, TimedWaitEndsOnCloseAndReportsIt) {
  SimulatedClock clock;
  Subscriber sub(clock, EventStream::kPromotion, 10);
  std::vector<std::string> out;
  bool open = true;
  std::thread reader([&] { open = sub.Wait(std::chrono::hours(1), &out); });
  ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10)));
  sub.Close();
  reader.join();
  EXPECT_FALSE(open);
}

}  // namespace
}  // namespace lnsim::mock
