// Every event type end to end against the mock LINSTOR controller (ISSUE 4 "Done when"): a real
// sim::World behind an in-process mock-linstor MockServer on a free port (real HTTP), a real
// nats-server started here, and the real bridge in process, in core NATS and in JetStream mode.
// The test drives the world the way a cluster changes — operations (create, autoplace,
// make-available, attach, resize, detach, delete) and the world's own faults (quorum loss,
// pool exhaustion, a node crash followed by auto-eviction) — and checks that each of the 17
// event types arrives on its documented subject with the documented CloudEvents envelope and
// validates against docs/schemas/<type>.json.
//
// World time is a SimulatedClock the test advances one second at a time; after each step it
// waits until the bridge has completed two polls, so every intermediate state (a node offline
// before it is evicted, a quorum lost before it is regained) is seen rather than coalesced.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "bridge/bridge.h"
#include "harness/nats_server.h"
#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/bridge/testutil_schema.h"

namespace lnsim::bridge {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr char kCluster[] = "mock-lab";
constexpr char kNewResource[] = "new-res";

sim::WorldSpec Spec() {
  sim::WorldSpec spec;
  spec.cluster.nodes = 6;
  spec.cluster.resources = 3;
  spec.cluster.replicas = 3;
  spec.cluster.in_use_fraction = 1.0;  // the quorum-loss fault prefers a resource in use
  spec.cluster.ha_failover_delay = Duration::zero();
  spec.duration = std::chrono::minutes(10);
  spec.seed = 11;
  // Quorum: the in-use replica keeps its node, the other two voters crash and come back.
  sim::FaultSpec quorum;
  quorum.kind = sim::FaultKind::kQuorumLoss;
  quorum.at = 20s;
  quorum.duration = 20s;
  spec.faults.push_back(quorum);
  // node-1's thin pool fills (free 0: capacity low) and is grown again (capacity ok).
  sim::FaultSpec pool;
  pool.kind = sim::FaultKind::kPoolExhaustion;
  pool.at = 60s;
  pool.duration = 10s;
  pool.nodes = {"node-1"};
  spec.faults.push_back(pool);
  // node-6 dies for good; LINSTOR evicts it after it stayed away.
  sim::FaultSpec crash;
  crash.kind = sim::FaultKind::kNodeCrash;
  crash.at = 90s;
  crash.duration = Duration::zero();
  crash.nodes = {"node-6"};
  crash.params = "evict_after=10s";
  spec.faults.push_back(crash);
  return spec;
}

struct Received {
  std::string subject;
  std::string data;
  std::string msg_id_header;  // Nats-Msg-Id ("" in core mode)
  bool has_headers = false;
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

class MockEventTypesTest : public ::testing::TestWithParam<bool /*jetstream*/> {
 protected:
  void SetUp() override {
    auto server = harness::NatsServer::Start(harness::NatsServerOptions(), clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    nats_ = std::move(server).value();
    ASSERT_EQ(natsConnection_ConnectTo(&nc_, nats_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_Subscribe(&sub_, nc_, "linstor.v1.>", OnMessage, this), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(nc_), NATS_OK);

    auto world = sim::World::Create(Spec(), Spec().seed);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    mock::ServerOptions options;
    options.port = 0;
    options.threads = 8;
    mock_ = std::make_unique<mock::MockServer>(std::move(world).value(), world_clock_, options);
    ASSERT_TRUE(mock_->Start().ok());

    BridgeConfig cfg;
    cfg.linstor_urls = {"http://127.0.0.1:" + std::to_string(mock_->port())};
    cfg.nats_urls = {nats_->url()};
    cfg.cluster = kCluster;
    cfg.jetstream = GetParam();
    cfg.poll_interval = 20ms;
    cfg.request_timeout = 2s;
    cfg.sse = false;
    logger_.set_quiet(true);
    bridge_ = std::make_unique<Bridge>(cfg, clock_, &logger_);
    const Status started = bridge_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    run_ = std::thread([this] { run_status_ = bridge_->Run(); });
    ASSERT_TRUE(WaitFor([&] { return bridge_->ready(); })) << "bridge never became ready";
  }

  void TearDown() override {
    if (bridge_) {
      bridge_->RequestStop();
      if (run_.joinable()) run_.join();
      bridge_.reset();
    }
    if (mock_) mock_->Stop();
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }

  template <typename Fn>
  bool WaitFor(Fn cond, Duration limit = 20s) {
    const Duration deadline = clock_.Now() + limit;
    while (!cond() && clock_.Now() < deadline) std::this_thread::sleep_for(2ms);
    return cond();
  }

  // Waits until the bridge has started and finished a poll after this call (two completions:
  // the first may have begun before the world changed).
  void WaitTwoPolls() {
    const uint64_t start = bridge_->metrics().polls();
    ASSERT_TRUE(WaitFor([&] { return bridge_->metrics().polls() >= start + 2; }))
        << "the bridge stopped polling";
  }

  // Advances world time by `total` in one-second steps, letting the bridge see every step.
  void Step(Duration total) {
    for (Duration done{0}; done < total; done += 1s) {
      world_clock_.Advance(1s);
      mock_->TickNow();
      WaitTwoPolls();
    }
  }

  // Applies `fn` to the world (an operation) and asserts it succeeded.
  void Op(const std::string& what, const std::function<sim::OpResult(sim::World&)>& fn) {
    sim::OpResult result;
    mock_->WithWorld([&](sim::World& w, mock::MockState&) { result = fn(w); });
    const sim::OpMessage* err = result.FirstError();
    ASSERT_TRUE(result.ok()) << what << ": " << (err ? err->message : "");
    WaitTwoPolls();
  }

  // True once an event of `label` (e.g. "volume.attached") whose subject contains `needle` has
  // arrived: linstor.v1.<cluster>.<entity>.<names...>.<event>.
  bool Arrived(const std::string& label, const std::string& needle = "") {
    const std::string prefix =
        std::string("linstor.v1.") + kCluster + "." + label.substr(0, label.find('.')) + ".";
    const std::string suffix = label.substr(label.find('.'));
    return WaitFor([&] {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& r : received_) {
        const std::string& s = r.subject;
        if (s.rfind(prefix, 0) == 0 && s.size() > suffix.size() &&
            s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            s.find(needle) != std::string::npos) {
          return true;
        }
      }
      return false;
    });
  }

  std::vector<Received> Snapshot() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

  friend void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);

  RealClock clock_;
  SimulatedClock world_clock_{Duration::zero(), 1795466932000LL * 1000000};
  Logger logger_{clock_};
  std::unique_ptr<harness::NatsServer> nats_;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::unique_ptr<mock::MockServer> mock_;
  std::unique_ptr<Bridge> bridge_;
  std::thread run_;
  Status run_status_;
  std::mutex mu_;
  std::vector<Received> received_;
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<MockEventTypesTest*>(closure);
  Received r;
  r.subject = natsMsg_GetSubject(msg);
  r.data.assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kHeaderMsgId, &id) == NATS_OK && id != nullptr) r.msg_id_header = id;
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) == NATS_OK) {
    r.has_headers = count > 0;
    free(keys);
  }
  natsMsg_Destroy(msg);
  std::lock_guard<std::mutex> lock(self->mu_);
  self->received_.push_back(std::move(r));
}

TEST_P(MockEventTypesTest, EveryTypeArrivesFromTheMockWithDocumentedSubjectEnvelopeAndSchema) {
  const bool jetstream = GetParam();
  // --- operations, as CSI and an operator issue them ------------------------------------------
  Step(2s);
  Op("create rd", [](sim::World& w) { return w.CreateResourceDefinition(kNewResource, ""); });
  Op("create vd", [](sim::World& w) {
    uint32_t number = 0;
    return w.CreateVolumeDefinition(kNewResource, sim::Kib{1} << 20, 0u, &number);
  });
  Op("autoplace", [](sim::World& w) {
    sim::AutoPlaceRequest req;
    req.place_count = 2;
    return w.AutoPlace(kNewResource, req);
  });
  Step(3s);  // the fresh replicas come up (UpToDate about a second after creation)
  EXPECT_TRUE(Arrived("resource.created", ".resource.new-res."));
  EXPECT_TRUE(Arrived("replica.created", ".replica.new-res."));
  // A node without a replica of new-res: make-available there creates a diskless replica.
  std::string client;
  mock_->WithWorld([&](sim::World& w, mock::MockState&) {
    const sim::RdIndex rd = w.FindResourceDefinition(kNewResource);
    for (int i = 1; i <= 5 && client.empty(); ++i) {
      const std::string n = "node-" + std::to_string(i);
      if (w.FindReplica(rd, w.FindNode(n)) == sim::kNoIndex) client = n;
    }
  });
  ASSERT_FALSE(client.empty());
  Op("make-available", [&](sim::World& w) { return w.MakeAvailable(kNewResource, client, false); });
  Step(2s);
  EXPECT_TRUE(Arrived("replica.created", ".replica.new-res." + client + "."));
  Op("attach", [&](sim::World& w) { return w.SetInUse(kNewResource, client, true); });
  EXPECT_TRUE(Arrived("volume.attached", ".new-res." + client + "."));
  Op("resize",
     [](sim::World& w) { return w.ResizeVolumeDefinition(kNewResource, 0, sim::Kib{2} << 20); });
  EXPECT_TRUE(Arrived("volume.resized", ".new-res."));
  Op("detach", [&](sim::World& w) { return w.SetInUse(kNewResource, client, false); });
  EXPECT_TRUE(Arrived("volume.detached", ".new-res." + client + "."));
  Op("delete replica", [&](sim::World& w) { return w.DeleteReplica(kNewResource, client); });
  Step(2s);  // DRBD takes the replica down, then LINSTOR drops it
  EXPECT_TRUE(Arrived("replica.deleted", ".new-res." + client + "."));
  Op("delete rd", [](sim::World& w) { return w.DeleteResourceDefinition(kNewResource); });
  Step(2s);
  EXPECT_TRUE(Arrived("resource.deleted", ".resource.new-res."));

  // --- the world's faults -----------------------------------------------------------------
  Step(30s);  // to t ~ 40s: quorum lost at 20s, voters back at 40s
  EXPECT_TRUE(Arrived("node.offline"));
  EXPECT_TRUE(Arrived("replica.connection_lost"));
  EXPECT_TRUE(Arrived("replica.quorum_lost"));
  Step(20s);  // to ~ 60s: resync and reconnection
  EXPECT_TRUE(Arrived("node.online"));
  EXPECT_TRUE(Arrived("replica.connection_restored"));
  EXPECT_TRUE(Arrived("replica.quorum_regained"));
  EXPECT_TRUE(Arrived("replica.disk_state_changed"));
  Step(5s);  // pool exhaustion at 60s
  EXPECT_TRUE(Arrived("pool.capacity_low", ".pool.node-1."));
  Step(10s);  // the pool is grown at 70s
  EXPECT_TRUE(Arrived("pool.capacity_ok", ".pool.node-1."));
  Step(30s);  // node-6 crashes at 90s, evicted at 100s
  EXPECT_TRUE(Arrived("node.offline", ".node.node-6."));
  EXPECT_TRUE(Arrived("node.evicted", ".node.node-6."));

  // --- every message: subject, envelope, schema, identity ---------------------------------
  const std::vector<Received> all = Snapshot();
  std::set<std::string> seen;
  std::map<std::string, uint64_t> last_seq;
  std::set<std::string> ids;
  for (const auto& r : all) {
    SCOPED_TRACE(r.subject + " " + r.data);
    json j = json::parse(r.data, nullptr, false);
    ASSERT_FALSE(j.is_discarded());
    auto ev = DecodeEvent(r.data);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    const std::string label(EventLabel(ev->body.type));
    seen.insert(label);
    // Envelope (docs/events.md "Envelope").
    EXPECT_EQ(j.value("specversion", ""), "1.0");
    EXPECT_EQ(j.value("type", ""), "io.linstor." + label + ".v2");
    EXPECT_EQ(j.value("subject", ""), r.subject);
    EXPECT_EQ(j.value("source", ""), std::string("/linstor/") + kCluster);
    EXPECT_EQ(j.value("datacontenttype", ""), "application/json");
    EXPECT_EQ(j.value("sequence", ""), FormatSequence(ev->sequence));  // a String (v2)
    EXPECT_EQ(j.value("id", ""), std::string(kCluster) + "/" + j.value("partitionkey", "") + "/" +
                                     std::to_string(ev->sequence));
    EXPECT_TRUE(j.contains("time") && j["time"].is_string());
    EXPECT_TRUE(j.contains("data") && j["data"].is_object());
    // Subject (docs/subjects.md): linstor.v1.<cluster>.<entity>.<names...>.<event>.
    EXPECT_EQ(r.subject, ev->NatsSubject());
    EXPECT_EQ(r.subject.rfind(std::string("linstor.v1.") + kCluster + "." +
                                  std::string(EntityName(EntityOf(ev->body.type))) + ".",
                              0),
              0u);
    // Schema.
    const json schema = testing::LoadEventSchema(label);
    ASSERT_FALSE(schema.is_null()) << "no schema for " << label;
    EXPECT_EQ(testing::ValidateSchema(schema, j), "");
    // Identity: sequences +1 per partition key, ids unique; Msg-Id header in JetStream mode,
    // on a core message only Content-Type (the timing side channel is off; ContentTypeTest in
    // publisher_itest.cc checks the header's value).
    uint64_t& last = last_seq[ev->partition_key];
    if (last != 0 || jetstream) {
      EXPECT_EQ(ev->sequence, last + 1) << ev->Id();
    }
    last = ev->sequence;
    EXPECT_TRUE(ids.insert(ev->Id()).second) << "id published twice: " << ev->Id();
    if (jetstream) {
      EXPECT_EQ(r.msg_id_header, ev->Id());
    } else {
      EXPECT_TRUE(r.has_headers);
    }
  }
  std::string missing;
  for (int t = 0; t < kEventTypeCount; ++t) {
    const std::string label(EventLabel(static_cast<EventType>(t)));
    if (!seen.count(label)) missing += label + " ";
  }
  EXPECT_EQ(missing, "") << "types never produced through the mock";
  EXPECT_EQ(bridge_->metrics().errors("parse"), 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, MockEventTypesTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("JetStream") : std::string("Core");
                         });

}  // namespace
}  // namespace lnsim::bridge
