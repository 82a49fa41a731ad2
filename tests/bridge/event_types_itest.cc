// Every event type end to end: a scripted LINSTOR controller (a small httplib server serving
// JSON the test writes, paged with limit/offset like the real one) and a real nats-server; the
// bridge runs in-process in core NATS mode and a subscriber checks that each of the 17 types
// arrives on its documented subject with a valid envelope that validates against
// docs/schemas/<type>.json. Also: bad controller answers (5xx, garbage, wrong types, a hang) are
// counted and survived with the last good state kept, and a dead first URL fails over.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bridge/bridge.h"
#include "harness/nats_server.h"
#include "tests/bridge/testutil_schema.h"

namespace lnsim::bridge {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// What the scripted controller serves. Guarded by mu.
struct FakeCluster {
  struct Rep {
    bool diskless = false;
    bool live = true;
    std::optional<bool> in_use = false;
    std::string disk = "UpToDate";
    std::map<std::string, bool> conns;  // peer -> connected
  };
  std::map<std::string, std::string> nodes;  // name -> connection_status
  std::set<std::string> evicted;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> pools;  // free,total
  std::map<std::string, int64_t> rds;  // name -> vd0 size
  std::map<std::string, std::map<std::string, Rep>> reps;

  json Nodes() const {
    json a = json::array();
    for (const auto& [n, st] : nodes) {
      json o{{"name", n}, {"type", "SATELLITE"}, {"connection_status", st}, {"unknown", {1, 2}}};
      if (evicted.count(n)) o["flags"] = {"DELETE", "EVICTED"};
      a.push_back(o);
    }
    return a;
  }
  json Pools() const {
    json a = json::array();
    for (const auto& [k, cap] : pools) {
      json o{{"storage_pool_name", k.second},
             {"node_name", k.first},
             {"provider_kind", "LVM_THIN"},
             {"free_space_mgr_name", k.first + ";" + k.second}};
      if (nodes.at(k.first) == "ONLINE") {
        o["free_capacity"] = cap.first;
        o["total_capacity"] = cap.second;
      }
      a.push_back(o);
    }
    return a;
  }
  json Rds() const {
    json a = json::array();
    for (const auto& [n, size] : rds) {
      a.push_back({{"name", n},
                   {"resource_group_name", "DfltRscGrp"},
                   {"volume_definitions", {{{"volume_number", 0}, {"size_kib", size}}}}});
    }
    return a;
  }
  json View() const {
    json a = json::array();
    for (const auto& [rd, m] : reps) {
      for (const auto& [node, r] : m) {
        json o{{"name", rd}, {"node_name", node}};
        if (r.diskless) o["flags"] = {"DISKLESS", "DRBD_DISKLESS"};
        json drbd{{"node_id", 0}};
        const bool live = r.live && nodes.at(node) == "ONLINE";
        if (live) {
          json conns = json::object();
          for (const auto& [p, up] : r.conns) {
            conns[p] = {{"connected", up}, {"message", up ? "Connected" : "Connecting"}};
          }
          if (!conns.empty()) drbd["connections"] = conns;
          o["state"] = json::object();
          if (r.in_use) o["state"]["in_use"] = *r.in_use;
        }
        o["layer_object"] = {{"type", "DRBD"}, {"drbd", drbd}};
        json vol{{"volume_number", 0},
                 {"storage_pool_name", r.diskless ? "DfltDisklessStorPool" : "pool1"}};
        if (live) vol["state"] = {{"disk_state", r.disk}};
        o["volumes"] = {vol};
        a.push_back(o);
      }
    }
    return a;
  }
};

class ScriptedController {
 public:
  ScriptedController() {
    auto serve = [this](const char* path, json (FakeCluster::*fn)() const) {
      server_.Get(path, [this, fn](const httplib::Request& req, httplib::Response& res) {
        requests_.fetch_add(1);
        std::string mode;
        json all;
        {
          std::lock_guard<std::mutex> lock(mu_);
          mode = fault_;
          all = (cluster_.*fn)();
        }
        if (mode == "500") {
          res.status = 500;
          res.set_content(R"([{"ret_code":-4611686018427387902,"message":"boom"}])",
                          "application/json");
          return;
        }
        if (mode == "garbage") {
          res.set_content("[{\"name\":\"x\",", "application/json");
          return;
        }
        if (mode == "wrongtype") {
          res.set_content(R"([{"name":42,"node_name":[]}])", "application/json");
          return;
        }
        if (mode == "hang") {
          std::unique_lock<std::mutex> lock(hang_mu_);
          hang_cv_.wait_for(lock, 3s, [&] { return !hanging_; });
          res.status = 503;
          return;
        }
        size_t limit = req.has_param("limit") ? std::stoul(req.get_param_value("limit")) : 0;
        size_t offset = req.has_param("offset") ? std::stoul(req.get_param_value("offset")) : 0;
        json page = json::array();
        if (limit == 0) {
          page = all;
        } else {
          for (size_t i = offset; i < all.size() && i < offset + limit; ++i) page.push_back(all[i]);
        }
        res.set_content(page.dump(), "application/json");
      });
    };
    serve("/v1/nodes", &FakeCluster::Nodes);
    serve("/v1/view/storage-pools", &FakeCluster::Pools);
    serve("/v1/resource-definitions", &FakeCluster::Rds);
    serve("/v1/view/resources", &FakeCluster::View);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ScriptedController() {
    {
      std::lock_guard<std::mutex> lock(hang_mu_);
      hanging_ = false;
    }
    hang_cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  template <typename Fn>
  void Edit(Fn fn) {
    std::lock_guard<std::mutex> lock(mu_);
    fn(cluster_);
  }
  void SetFault(const std::string& mode) {
    {
      std::lock_guard<std::mutex> lock(hang_mu_);
      hanging_ = mode == "hang";
    }
    hang_cv_.notify_all();
    std::lock_guard<std::mutex> lock(mu_);
    fault_ = mode;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  FakeCluster cluster_;
  std::string fault_;
  std::mutex hang_mu_;
  std::condition_variable hang_cv_;
  bool hanging_ = false;
  std::atomic<int> requests_{0};
};

class EventTypesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = harness::NatsServer::Start(harness::NatsServerOptions(), clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    nats_ = std::move(server).value();
    ASSERT_EQ(natsConnection_ConnectTo(&nc_, nats_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_SubscribeSync(&sub_, nc_, "linstor.v1.>"), NATS_OK);
    natsConnection_Flush(nc_);
    controller_.Edit([](FakeCluster& c) {
      for (const char* n : {"a", "b", "c", "d", "e"}) c.nodes[n] = "ONLINE";
      c.nodes["e"] = "OFFLINE";
      for (const char* n : {"a", "b", "c"}) c.pools[{n, "pool1"}] = {500, 1000};
      c.rds["demo.1"] = 1024;
      for (const char* n : {"a", "b", "c"}) {
        FakeCluster::Rep r;
        for (const char* p : {"a", "b", "c"}) {
          if (std::string(p) != n) r.conns[p] = true;
        }
        c.reps["demo.1"][n] = r;
      }
    });
  }
  void TearDown() override {
    if (bridge_) {
      bridge_->RequestStop();
      run_.join();
    }
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }

  void StartBridge(std::vector<std::string> urls) {
    BridgeConfig cfg;
    cfg.linstor_urls = std::move(urls);
    cfg.nats_urls = {nats_->url()};
    cfg.cluster = "Lab";
    cfg.poll_interval = 50ms;
    cfg.request_timeout = 1s;
    cfg.page_size = 2;  // several pages per list
    cfg.sse = false;
    logger_.set_quiet(true);
    bridge_ = std::make_unique<Bridge>(cfg, clock_, &logger_);
    ASSERT_TRUE(bridge_->Start().ok());
    run_ = std::thread([this] { run_status_ = bridge_->Run(); });
    const Duration deadline = clock_.Now() + 10s;
    while (!bridge_->ready() && clock_.Now() < deadline) std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(bridge_->ready());
  }

  // Receives events until every label in `want` arrived (bounded). Validates each message.
  void Expect(const std::multiset<std::string>& want) {
    std::multiset<std::string> missing = want;
    const Duration deadline = clock_.Now() + 10s;
    while (!missing.empty() && clock_.Now() < deadline) {
      natsMsg* msg = nullptr;
      if (natsSubscription_NextMsg(&msg, sub_, 200) != NATS_OK) continue;
      const std::string subject = natsMsg_GetSubject(msg);
      const std::string data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
      natsMsg_Destroy(msg);
      auto ev = DecodeEvent(data);
      ASSERT_TRUE(ev.ok()) << ev.status().ToString() << "\n" << data;
      EXPECT_EQ(ev->NatsSubject(), subject);
      EXPECT_EQ(ev->cluster, "lab");
      const std::string label(EventLabel(ev->body.type));
      const json schema = testing::LoadEventSchema(label);
      ASSERT_FALSE(schema.is_null()) << "no schema for " << label;
      EXPECT_EQ(testing::ValidateSchema(schema, json::parse(data)), "") << data;
      // Sequences rise by one per key (core mode starts each run at its own base).
      uint64_t& last = last_seq_[ev->partition_key];
      if (last != 0) {
        EXPECT_EQ(ev->sequence, last + 1) << ev->Id();
      }
      last = ev->sequence;
      seen_.insert(label);
      subjects_.push_back(subject);
      auto it = missing.find(label);
      if (it != missing.end()) missing.erase(it);
    }
    std::string left;
    for (const auto& m : missing) left += m + " ";
    EXPECT_TRUE(missing.empty()) << "never arrived: " << left;
  }

  RealClock clock_;
  Logger logger_{clock_};
  std::unique_ptr<harness::NatsServer> nats_;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  ScriptedController controller_;
  std::unique_ptr<Bridge> bridge_;
  std::thread run_;
  Status run_status_;
  std::map<std::string, uint64_t> last_seq_;
  std::set<std::string> seen_;
  std::vector<std::string> subjects_;
};

TEST_F(EventTypesTest, EveryTypeArrivesWithDocumentedSubjectEnvelopeAndSchema) {
  StartBridge({controller_.url()});
  // 1: a new resource with a replica, a diskless attach on d, a resize, a pool running low.
  controller_.Edit([](FakeCluster& c) {
    c.rds["new*res"] = 4096;
    c.reps["new*res"]["a"].conns = {};
    FakeCluster::Rep d;
    d.diskless = true;
    d.in_use = true;
    d.disk = "Diskless";
    d.conns = {{"a", true}, {"b", true}, {"c", true}};
    c.reps["demo.1"]["d"] = d;
    for (auto& [n, r] : c.reps["demo.1"]) {
      if (n != "d") r.conns["d"] = true;
    }
    c.rds["demo.1"] = 2048;
    c.pools[{"b", "pool1"}] = {50, 1000};
  });
  Expect({"resource.created", "replica.created", "replica.created", "volume.attached",
          "volume.resized", "pool.capacity_low"});
  // 2: c goes OFFLINE, a is cut off from b (quorum lost on a), d detaches, the pool recovers.
  controller_.Edit([](FakeCluster& c) {
    c.nodes["c"] = "OFFLINE";
    for (auto& [n, r] : c.reps["demo.1"]) {
      if (r.conns.count("c")) r.conns["c"] = false;
    }
    c.reps["demo.1"]["a"].conns["b"] = false;
    c.reps["demo.1"]["b"].conns["a"] = false;
    c.reps["demo.1"]["d"].in_use = false;
    c.pools[{"b", "pool1"}] = {500, 1000};
  });
  Expect({"node.offline", "replica.connection_lost", "replica.quorum_lost", "volume.detached",
          "pool.capacity_ok"});
  // 3: c returns resyncing, a and b reconnect, e is evicted, new*res and d's replica go away.
  controller_.Edit([](FakeCluster& c) {
    c.nodes["c"] = "ONLINE";
    c.reps["demo.1"]["c"].disk = "SyncTarget(20.5%)";
    for (auto& [n, r] : c.reps["demo.1"]) {
      for (auto& [p, up] : r.conns) up = true;
    }
    c.evicted.insert("e");
    c.rds.erase("new*res");
    c.reps.erase("new*res");
    c.reps["demo.1"].erase("d");
    for (auto& [n, r] : c.reps["demo.1"]) r.conns.erase("d");
  });
  Expect({"node.online", "replica.disk_state_changed", "replica.connection_restored",
          "replica.quorum_regained", "node.evicted", "replica.deleted", "replica.deleted",
          "resource.deleted"});
  EXPECT_EQ(seen_.size(), static_cast<size_t>(kEventTypeCount));
  // Names with dots and wildcards are escaped in their tokens.
  bool escaped = false;
  for (const auto& s : subjects_) {
    if (s == "linstor.v1.lab.resource.new=2ares.created") escaped = true;
    EXPECT_EQ(s.find('*'), std::string::npos) << s;
  }
  EXPECT_TRUE(escaped);
  EXPECT_EQ(bridge_->metrics().errors("parse"), 0u);
}

TEST_F(EventTypesTest, BadControllerAnswersAreCountedAndLastGoodStateKept) {
  StartBridge({controller_.url()});
  const auto& m = bridge_->metrics();
  auto wait_for = [&](auto cond) {
    const Duration deadline = clock_.Now() + 15s;
    while (!cond() && clock_.Now() < deadline) std::this_thread::sleep_for(10ms);
    return cond();
  };
  controller_.SetFault("500");
  EXPECT_TRUE(wait_for([&] { return m.errors("http_status") >= 2; }));
  controller_.SetFault("garbage");
  EXPECT_TRUE(wait_for([&] { return m.errors("parse") >= 2; }));
  controller_.SetFault("wrongtype");
  EXPECT_TRUE(wait_for([&] { return m.errors("parse") >= 4; }));
  controller_.SetFault("hang");
  EXPECT_TRUE(wait_for([&] { return m.errors("http_timeout") >= 1; }));
  controller_.SetFault("");
  // Nothing was published for the bad polls (the last good state was kept), and a real change
  // afterwards produces exactly its event.
  controller_.Edit([](FakeCluster& c) { c.reps["demo.1"]["b"].in_use = true; });
  Expect({"volume.attached"});
  EXPECT_EQ(seen_, (std::set<std::string>{"volume.attached"}));
  EXPECT_EQ(bridge_->metrics().total_published(), 1u);
}

TEST_F(EventTypesTest, FailsOverToTheNextControllerUrl) {
  // A port nobody listens on, then the real controller.
  httplib::Server dummy;
  const int dead_port = dummy.bind_to_any_port("127.0.0.1");
  dummy.stop();
  StartBridge({"http://127.0.0.1:" + std::to_string(dead_port), controller_.url()});
  controller_.Edit([](FakeCluster& c) { c.reps["demo.1"]["c"].in_use = true; });
  Expect({"volume.attached"});
  // httplib reports a refused connect as a connect error or a connect timeout.
  EXPECT_GE(bridge_->metrics().errors("http_connect") + bridge_->metrics().errors("http_timeout"),
            1u)
      << bridge_->metrics().Render();
}

}  // namespace
}  // namespace lnsim::bridge
