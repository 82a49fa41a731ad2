// The mock over real HTTP on a free loopback port: gzip, requests without Content-Type, many
// concurrent clients, SSE with `Last-Event-ID: current`, a stalled SSE client that must not block
// anyone, a node crash in the scenario visible through the API, and the API faults (5xx, hang,
// stale, controller down, oversized body). The world runs on a SimulatedClock the test moves;
// waits are bounded polls of a condition.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "mock-linstor/internal/gzip.h"
#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/mock-linstor/testutil_http.h"
#include "tests/mock-linstor/testutil_sse.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;
using testing::CanConnect;
using testing::RawHttp;
using testing::SseReader;
using testing::WaitFor;

class ServerTest : public ::testing::Test {
 protected:
  void StartWith(sim::WorldSpec spec, ServerOptions options = {}) {
    auto world = sim::World::Create(spec, spec.seed);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    options.port = 0;
    options.epoch_unix_ms = 1795466932000LL;
    options.tick = std::chrono::milliseconds(2);
    server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  std::unique_ptr<httplib::Client> Client() {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_read_timeout(std::chrono::seconds(20));
    c->set_decompress(false);
    return c;
  }
  static sim::WorldSpec Spec(int nodes = 5, int resources = 20) {
    sim::WorldSpec spec;
    spec.cluster.nodes = nodes;
    spec.cluster.resources = resources;
    spec.seed = 3;
    return spec;
  }
  // Waits until `n` SSE streams are registered (a stream's HTTP thread subscribes a little after
  // the client connects).
  bool WaitSubscribers(int n) {
    return WaitFor([&] {
      const std::string status = server_->HandleForTest({"GET", "/lnsim/v1/status", {}, ""}).body;
      return status.find("\"sse_subscribers\":" + std::to_string(n)) != std::string::npos;
    });
  }
  void Advance(Duration d) {
    clock_.Advance(d);
    server_->TickNow();
  }

  SimulatedClock clock_{Duration::zero(), 1795466932000LL * 1000000};
  std::unique_ptr<MockServer> server_;
  int port_ = 0;
};

TEST_F(ServerTest, ServesJsonAndGzipWhenAsked) {
  StartWith(Spec());
  auto c = Client();
  auto plain = c->Get("/v1/view/resources");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_EQ(plain->get_header_value("Content-Type"), "application/json");
  EXPECT_FALSE(plain->has_header("Content-Encoding"));
  // python-linstor's header; a client that also offers br still gets gzip, as from Jetty.
  auto gz = c->Get("/v1/view/resources", {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  std::string inflated;
  ASSERT_TRUE(internal::GzipDecompress(gz->body, &inflated));
  EXPECT_EQ(inflated, plain->body);
  EXPECT_EQ(json::parse(plain->body).size(), json::parse(inflated).size());
  // Unknown paths: non-JSON 404.
  auto unknown = c->Get("/v1/nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(unknown->get_header_value("Content-Type"), "application/json");
}

TEST_F(ServerTest, PostWithoutContentTypeAndWithNulls) {
  StartWith(Spec());
  const std::string body = R"({"resource_definition": {"name": "nocontent", "props": null}})";
  const std::string reply = RawHttp(port_,
                                    "POST /v1/resource-definitions HTTP/1.1\r\nHost: x\r\n"
                                    "Accept-Encoding: identity\r\nConnection: close\r\n"
                                    "Content-Length: " +
                                        std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(reply.rfind("HTTP/1.1 201", 0), 0u) << reply;
  EXPECT_NE(reply.find("New resource definition 'nocontent' created."), std::string::npos);
  auto got = Client()->Get("/v1/resource-definitions/NOCONTENT");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
}

TEST_F(ServerTest, ManyConcurrentClientsGetConsistentAnswers) {
  StartWith(Spec(5, 200));
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", port_);
      c.set_read_timeout(std::chrono::seconds(30));
      for (int i = 0; i < 25; ++i) {
        if (t == 0) {
          const std::string name = "cc" + std::to_string(i);
          auto r =
              c.Post("/v1/resource-definitions",
                     "{\"resource_definition\":{\"name\":\"" + name + "\"}}", "application/json");
          if (r && r->status == 201) {
            ++ok;
          } else {
            ++bad;
          }
          continue;
        }
        auto r = c.Get(i % 2 ? "/v1/view/resources" : "/v1/nodes");
        if (!r || r->status != 200) {
          ++bad;
          continue;
        }
        const json j = json::parse(r->body, nullptr, false);
        if (j.is_discarded() || !j.is_array()) {
          ++bad;
        } else {
          ++ok;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), 8 * 25);
}

TEST_F(ServerTest, NodeCrashShowsInNodesReplicasAndPromotionStream) {
  sim::WorldSpec spec = Spec(3, 4);
  sim::FaultSpec crash;
  crash.kind = sim::FaultKind::kNodeCrash;
  crash.at = std::chrono::seconds(5);
  crash.nodes = {"node-2"};
  spec.faults.push_back(crash);
  StartWith(spec);
  auto c = Client();
  auto view0 = json::parse(c->Get("/v1/view/resources?nodes=node-2")->body);
  ASSERT_FALSE(view0.empty());
  SseReader sse(port_, "/v1/events/drbd/promotion", {{"Last-Event-ID", "current"}});
  // The replay of current values comes first: one event per DRBD resource.
  const size_t replicas = json::parse(c->Get("/v1/view/resources")->body).size();
  ASSERT_TRUE(WaitFor([&] { return sse.Count("event: may-promote-change\n") >= replicas; }));
  EXPECT_EQ(sse.Text().find("id:"), std::string::npos);
  EXPECT_EQ(sse.Text().find("retry:"), std::string::npos);
  EXPECT_EQ(sse.Text().rfind("event: may-promote-change\ndata: {\"resource_name\":", 0), 0u);
  SseReader nodes_sse(port_, "/v1/events/nodes", {});
  ASSERT_TRUE(WaitSubscribers(2));
  // Crash at 5 s; DRBD notices within ping-int + ping-timeout = 10.5 s (FAILURES.md F1), so by
  // world time 16 s the API must show it (the ticker has advanced the world to the clock).
  for (int s = 0; s < 16; ++s) Advance(std::chrono::seconds(1));
  ASSERT_TRUE(WaitFor([&] {
    auto r = c->Get("/v1/nodes/node-2");
    return r && json::parse(r->body)["connection_status"] == "OFFLINE";
  }));
  const json lost = json::parse(c->Get("/v1/view/resources?nodes=node-2")->body);
  for (const auto& r : lost) {
    EXPECT_FALSE(r.contains("state"));
    EXPECT_FALSE(r["layer_object"]["drbd"].contains("connections"));
  }
  // Survivors: their connection to node-2 is down.
  const json all = json::parse(c->Get("/v1/view/resources")->body);
  int survivors_seeing_loss = 0;
  for (const auto& r : all) {
    if (r["node_name"] == "node-2" || !r["layer_object"]["drbd"].contains("connections")) continue;
    const auto& conns = r["layer_object"]["drbd"]["connections"];
    if (conns.contains("node-2")) {
      EXPECT_EQ(conns["node-2"]["connected"], false) << r.dump();
      ++survivors_seeing_loss;
    }
  }
  EXPECT_GT(survivors_seeing_loss, 0);
  // The promotion stream announced node-2's values as unknown (no may_promote key).
  ASSERT_TRUE(WaitFor([&] { return sse.Count("\"node_name\":\"node-2\"}") >= lost.size(); }));
  // Going OFFLINE emits no node event.
  EXPECT_EQ(nodes_sse.Text().find("event:"), std::string::npos);
  // An API action does.
  auto created = c->Post(
      "/v1/nodes",
      R"({"name":"node-new","type":"SATELLITE","net_interfaces":[{"name":"default","address":"10.0.9.9"}]})",
      "application/json");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 201) << created->body;
  ASSERT_TRUE(WaitFor([&] {
    return nodes_sse.Count("event: node-create\ndata: {\"node\":{\"name\":\"node-new\"") == 1;
  }));
}

TEST_F(ServerTest, StalledSseClientDoesNotBlockOthers) {
  StartWith(Spec(5, 50));
  // A client that subscribes and never reads.
  std::thread stalled([&] {
    RawHttp(port_,
            "GET /v1/events/drbd/promotion HTTP/1.1\r\nHost: x\r\nLast-Event-ID: current\r\n\r\n",
            std::chrono::milliseconds(1500));
  });
  SseReader other(port_, "/v1/events/drbd/promotion", {{"Last-Event-ID", "current"}});
  auto c = Client();
  for (int i = 0; i < 20; ++i) {
    auto r = c->Get("/v1/view/resources");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_TRUE(WaitFor([&] { return other.Count("event: may-promote-change") > 0; }));
  stalled.join();
}

TEST_F(ServerTest, ControlApiFaults) {
  StartWith(Spec(3, 3));
  auto c = Client();
  // 5xx with a LINSTOR-shaped body.
  auto post = c->Post("/lnsim/v1/faults",
                      R"({"kind":"error","status":503,"duration":"1m","paths":["/v1/nodes"]})",
                      "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 201) << post->body;
  const uint64_t id = json::parse(post->body)["id"];
  auto err = c->Get("/v1/nodes");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->status, 503);
  const json list = json::parse(err->body);
  ASSERT_TRUE(list.is_array());
  EXPECT_TRUE(list[0]["ret_code"].is_number_integer());
  EXPECT_EQ(c->Get("/v1/resource-definitions")->status, 200) << "other paths unaffected";
  EXPECT_EQ(c->Delete("/lnsim/v1/faults/" + std::to_string(id))->status, 200);
  EXPECT_EQ(c->Get("/v1/nodes")->status, 200);
  // Stale view: a create is not visible until the window ends.
  ASSERT_EQ(c->Post("/lnsim/v1/faults", R"({"kind":"stale","duration":"30s"})", "application/json")
                ->status,
            201);
  EXPECT_EQ(c->Post("/v1/resource-definitions", R"({"resource_definition":{"name":"late"}})",
                    "application/json")
                ->status,
            201);
  EXPECT_EQ(c->Get("/v1/resource-definitions/late")->status, 404);
  Advance(std::chrono::seconds(31));
  EXPECT_EQ(c->Get("/v1/resource-definitions/late")->status, 200);
  // Hang: no answer until the client gives up.
  ASSERT_EQ(c->Post("/lnsim/v1/faults", R"({"kind":"hang","duration":"1h","paths":["/v1/view"]})",
                    "application/json")
                ->status,
            201);
  httplib::Client impatient("127.0.0.1", port_);
  impatient.set_read_timeout(std::chrono::milliseconds(300));
  auto hung = impatient.Get("/v1/view/resources");
  EXPECT_FALSE(hung) << "expected a client timeout";
  EXPECT_EQ(c->Get("/v1/nodes")->status, 200);
  // A patient client gets its answer once the fault is removed.
  std::atomic<int> late_status{0};
  std::thread patient([&] {
    httplib::Client p("127.0.0.1", port_);
    p.set_read_timeout(std::chrono::seconds(30));
    auto r = p.Get("/v1/view/resources");
    late_status = r ? r->status : -1;
  });
  EXPECT_EQ(c->Delete("/lnsim/v1/faults")->status, 200);
  patient.join();
  EXPECT_EQ(late_status.load(), 200);
  // Oversized body: LINSTOR-shaped error, not a crash.
  auto big = c->Post("/v1/resource-definitions", std::string(5 << 20, ' '), "application/json");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_TRUE(json::parse(big->body, nullptr, false).is_array()) << big->body.substr(0, 200);
  // Bad control input.
  EXPECT_EQ(c->Post("/lnsim/v1/faults", R"({"kind":"nonsense"})", "application/json")->status, 400);
  auto faults = c->Get("/lnsim/v1/faults");
  ASSERT_TRUE(faults);
  EXPECT_TRUE(json::parse(faults->body).contains("active"));
}

TEST_F(ServerTest, ControllerDownRefusesConnectionsForTheWindow) {
  StartWith(Spec(3, 3));
  auto c = Client();
  SseReader sse(port_, "/v1/events/nodes", {});
  ASSERT_TRUE(WaitFor([&] { return server_ != nullptr && CanConnect(port_); }));
  auto post = c->Post("/lnsim/v1/faults", R"({"kind":"controller_down","duration":"10s"})",
                      "application/json");
  ASSERT_TRUE(post);
  ASSERT_EQ(post->status, 201);
  server_->TickNow();
  EXPECT_FALSE(CanConnect(port_)) << "the listening socket must be closed";
  EXPECT_TRUE(WaitFor([&] { return sse.ended(); })) << "SSE streams drop with the controller";
  Advance(std::chrono::seconds(11));
  ASSERT_TRUE(WaitFor([&] { return CanConnect(port_); }));
  auto back = Client()->Get("/v1/nodes");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200);
}

TEST_F(ServerTest, ScenarioApiSectionSseDrop) {
  ServerOptions options;
  ApiFault drop;
  drop.kind = ApiFaultKind::kSseDrop;
  drop.at = std::chrono::seconds(5);
  options.api_faults = {drop};
  StartWith(Spec(3, 3), options);
  SseReader sse(port_, "/v1/events/drbd/promotion", {});
  ASSERT_TRUE(WaitFor([&] {
    return server_->HandleForTest({"GET", "/lnsim/v1/status", {}, ""})
               .body.find("\"sse_subscribers\":1") != std::string::npos;
  }));
  Advance(std::chrono::seconds(5));
  EXPECT_TRUE(WaitFor([&] { return sse.ended(); }));
}

}  // namespace
}  // namespace lnsim::mock
