// Against `lnsim mock-linstor` running a node crash (F1/F2, compressed tenfold): the bridge (in
// process, core NATS) reports node.offline and node.online for the crashed node, its peers'
// connection_lost/restored, and — the trap — no volume.detached or disk-state change *of the
// crashed node* while it is offline, because its live state is unknown then, not gone. Every
// message validates against its documented schema.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "bridge/bridge.h"
#include "harness/nats_server.h"
#include "tests/bridge/testutil_bridge.h"
#include "tests/bridge/testutil_schema.h"

namespace lnsim::bridge {
namespace {

using namespace std::chrono_literals;

constexpr char kScenario[] = R"(cluster:
  nodes: 4
  pools_per_node: 1
  pool_size: 1TiB
  pool_kind: LVM_THIN
  resources: 12
  replicas: 3
  in_use_fraction: 0.5
  write_rate: 4MiB
faults:
  - kind: node-crash
    at: 20s
    duration: 40s
time_scale: 0.1
duration: 2m
seed: 5
)";

TEST(MockNodeCrashTest, OfflineIsReportedAndNotMistakenForDetach) {
  RealClock clock;
  const std::string dir = testing::MakeTempDir("lnsim-bridge-crash-");
  auto mock = testing::StartMock(testing::WriteFile(dir, "crash.yaml", kScenario), clock);
  ASSERT_TRUE(mock.ok()) << mock.status().ToString();
  auto nats = harness::NatsServer::Start(harness::NatsServerOptions(), clock);
  ASSERT_TRUE(nats.ok()) << nats.status().ToString();
  natsConnection* nc = nullptr;
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&nc, (*nats)->url().c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "linstor.v1.>"), NATS_OK);
  natsConnection_Flush(nc);

  BridgeConfig cfg;
  cfg.linstor_urls = {mock->url};
  cfg.nats_urls = {(*nats)->url()};
  cfg.cluster = "crash";
  cfg.poll_interval = 100ms;
  cfg.timing_file = dir + "/timing.jsonl";
  Logger logger(clock);
  logger.set_quiet(true);
  Bridge bridge(cfg, clock, &logger);
  ASSERT_TRUE(bridge.Start().ok());
  Status run_status;
  std::thread run([&] { run_status = bridge.Run(); });

  std::vector<Event> events;
  std::string crashed;
  bool back_online = false;
  const Duration deadline = clock.Now() + 40s;
  while (!back_online && clock.Now() < deadline) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 200) != NATS_OK) continue;
    const std::string data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    auto ev = DecodeEvent(data);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    const std::string label(EventLabel(ev->body.type));
    EXPECT_EQ(testing::ValidateSchema(testing::LoadEventSchema(label), nlohmann::json::parse(data)),
              "")
        << data;
    if (ev->body.type == EventType::kNodeOffline && crashed.empty()) crashed = ev->body.node;
    if (ev->body.type == EventType::kNodeOnline && ev->body.node == crashed) back_online = true;
    events.push_back(std::move(ev).value());
  }
  // After the return: the peers reconnect (and the returning replicas resync).
  int restored = 0;
  const Duration after_deadline = clock.Now() + 20s;
  while (back_online && restored == 0 && clock.Now() < after_deadline) {
    natsMsg* msg = nullptr;
    if (natsSubscription_NextMsg(&msg, sub, 200) != NATS_OK) continue;
    const std::string data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    auto ev = DecodeEvent(data);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    if (ev->body.type == EventType::kReplicaConnectionRestored) ++restored;
    events.push_back(std::move(ev).value());
  }
  bridge.RequestStop();
  run.join();
  EXPECT_TRUE(run_status.ok()) << run_status.ToString();
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);

  // The timing side channel: one JSON line per published event, acked >= observed.
  {
    std::ifstream in(cfg.timing_file);
    std::string line;
    size_t lines = 0;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line);
      EXPECT_GE(j["acked_unix_ns"].get<int64_t>(), j["observed_unix_ns"].get<int64_t>());
      EXPECT_FALSE(j["id"].get<std::string>().empty());
      ++lines;
    }
    EXPECT_GE(lines, events.size());
  }
  ASSERT_FALSE(crashed.empty()) << "no node.offline in " << events.size() << " events";
  EXPECT_TRUE(back_online);
  bool offline = false;
  std::map<std::string, int> counts;
  for (const auto& e : events) {
    ++counts[std::string(EventLabel(e.body.type))];
    if (e.body.type == EventType::kNodeOffline && e.body.node == crashed) offline = true;
    if (e.body.type == EventType::kNodeOnline && e.body.node == crashed) offline = false;
    if (offline && e.body.node == crashed) {
      EXPECT_NE(e.body.type, EventType::kVolumeDetached) << "detach of an offline node";
      EXPECT_NE(e.body.type, EventType::kReplicaDiskStateChanged) << "disk change while offline";
      EXPECT_NE(e.body.type, EventType::kReplicaConnectionLost) << "offline node reporting";
    }
  }
  EXPECT_GE(counts["replica.connection_lost"], 1);
  EXPECT_GE(counts["replica.connection_restored"], 1);
  std::string summary;
  for (const auto& [label, n] : counts) summary += label + "=" + std::to_string(n) + " ";
  std::cout << "crashed " << crashed << ": " << summary << "\n";
}

}  // namespace
}  // namespace lnsim::bridge
