// The SSE streams as LINSTOR's controller sends them (issue 17 item 4), over real HTTP:
// controller/.../api/rest/v1/events/Events.java + EventHandlerBridge.java build every event
// with name + data only (no `id:`, no `retry:`, no comments or keep-alives), read Last-Event-ID
// only on the promotion stream and only to test `equals("current")`, and a restarted controller
// has no subscribers: clients reconnect (golinstor's eventsource re-sends the Last-Event-ID it
// was opened with, "current", as no `id:` ever arrives) and get the current values again.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/mock-linstor/testutil_http.h"
#include "tests/mock-linstor/testutil_server.h"
#include "tests/mock-linstor/testutil_sse.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;
using testing::SseReader;
using testing::WaitFor;

constexpr char kPromotion[] = "/v1/events/drbd/promotion";

class SseFidelityTest : public ::testing::Test {
 protected:
  static ServerOptions Options() {
    ServerOptions options;
    options.port = 0;
    options.tick = std::chrono::milliseconds(2);
    return options;
  }
  void SetUp() override {
    ASSERT_TRUE(harness_.server().Start().ok());
    port_ = harness_.server().port();
  }
  void TearDown() override { harness_.server().Stop(); }
  httplib::Result Post(const std::string& path, const std::string& body) {
    httplib::Client client("127.0.0.1", port_);
    return client.Post(path, body, "application/json");
  }
  size_t DrbdResources() {
    httplib::Client client("127.0.0.1", port_);
    return json::parse(client.Get("/v1/view/resources")->body).size();
  }
  bool WaitSubscribers(int n) {
    return WaitFor([&] {
      const std::string status = harness_.Do("GET", "/lnsim/v1/status").body;
      return status.find("\"sse_subscribers\":" + std::to_string(n)) != std::string::npos;
    });
  }
  // A new resource through the API (what linstor-csi's CreateVolume does): its replicas' first
  // may_promote values are announced. True when every call succeeded (2xx).
  bool CreateVolume(const std::string& name) {
    const std::string rd = "/v1/resource-definitions/" + name;
    for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
             {"/v1/resource-definitions", R"({"resource_definition":{"name":")" + name + "\"}}"},
             {rd + "/volume-definitions", R"({"volume_definition":{"size_kib":1048576}})"},
             {rd + "/autoplace", R"({"select_filter":{"place_count":2}})"}}) {
      const httplib::Result result = Post(path, body);
      if (!result || result->status >= 300) {
        ADD_FAILURE() << path << ": " << (result ? result->body : "no answer");
        return false;
      }
    }
    return true;
  }

  testing::WorldHarness harness_{testing::SmallSpec(4, 6), Options()};
  int port_ = 0;
};

TEST_F(SseFidelityTest, FramesCarryOnlyEventAndDataAsJerseySendsThem) {
  SseReader sse(port_, kPromotion, {{"Last-Event-ID", "current"}});
  const size_t replicas = DrbdResources();
  ASSERT_GT(replicas, 0u);
  ASSERT_TRUE(WaitFor([&] { return testing::SplitSseFrames(sse.Text()).size() >= replicas; }));
  EXPECT_EQ(sse.content_type(), "text/event-stream");
  for (const testing::SseFrame& frame : testing::SplitSseFrames(sse.Text())) {
    EXPECT_EQ(frame.event, "may-promote-change");
    EXPECT_TRUE(frame.other_lines.empty()) << "not sent by LINSTOR: " << frame.other_lines[0];
    const json data = json::parse(frame.data, nullptr, /*allow_exceptions=*/false);
    ASSERT_TRUE(data.is_object()) << frame.data;
    EXPECT_TRUE(data.contains("resource_name") && data.contains("node_name")) << frame.data;
  }
  EXPECT_EQ(sse.Text().find("\n:"), std::string::npos) << "no comment (keep-alive) lines";
  EXPECT_NE(sse.Text().rfind(":", 0), 0u) << "no comment (keep-alive) lines";
}

TEST_F(SseFidelityTest, NumericLastEventIdReplaysNothing) {
  // LINSTOR tests Last-Event-ID only for "current": a number is like no header at all.
  SseReader sse(port_, kPromotion, {{"Last-Event-ID", "42"}});
  ASSERT_TRUE(WaitSubscribers(1));
  ASSERT_TRUE(CreateVolume("sse-numeric"));
  ASSERT_TRUE(WaitFor([&] { return sse.Count("event: may-promote-change\n") >= 2; }));
  for (const testing::SseFrame& frame : testing::SplitSseFrames(sse.Text()))
    EXPECT_EQ(json::parse(frame.data)["resource_name"], "sse-numeric")
        << "a replay: " << frame.data;
}

TEST_F(SseFidelityTest, NodesStreamIgnoresLastEventIdCurrent) {
  // Events.nodeEvents takes no Last-Event-ID: "current" replays nothing there.
  SseReader sse(port_, "/v1/events/nodes", {{"Last-Event-ID", "current"}});
  ASSERT_TRUE(WaitSubscribers(1));
  ASSERT_EQ(
      Post(
          "/v1/nodes",
          R"({"name":"node-new","type":"SATELLITE","net_interfaces":[{"name":"default","address":"10.0.9.9"}]})")
          ->status,
      201);
  ASSERT_TRUE(WaitFor([&] { return sse.Count("event: ") >= 1; }));
  const auto frames = testing::SplitSseFrames(sse.Text());
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].event, "node-create");
  EXPECT_EQ(json::parse(frames[0].data)["node"]["name"], "node-new");
}

TEST_F(SseFidelityTest, RestartEndsStreamsAndAReconnectWithCurrentReplaysAgain) {
  SseReader before(port_, kPromotion, {{"Last-Event-ID", "current"}});
  const size_t replicas = DrbdResources();
  ASSERT_TRUE(WaitFor([&] { return before.Count("event: may-promote-change\n") >= replicas; }));
  ASSERT_EQ(Post("/lnsim/v1/faults", R"({"kind":"controller_down","duration":"10s"})")->status,
            201);
  harness_.server().TickNow();
  ASSERT_TRUE(WaitFor([&] { return before.ended(); })) << "the restart must end open streams";
  EXPECT_FALSE(testing::CanConnect(port_));
  harness_.clock().Advance(std::chrono::seconds(11));
  harness_.server().TickNow();
  ASSERT_TRUE(WaitFor([&] { return testing::CanConnect(port_); }));
  // What golinstor's eventsource sends on its reconnect: the same Last-Event-ID, "current".
  SseReader after(port_, kPromotion, {{"Last-Event-ID", "current"}});
  ASSERT_TRUE(WaitFor([&] { return after.Count("event: may-promote-change\n") >= replicas; }));
  EXPECT_EQ(after.Count("event: may-promote-change\n"), DrbdResources());
  // The reconnected stream carries live events too.
  ASSERT_TRUE(CreateVolume("sse-after-restart"));
  EXPECT_TRUE(WaitFor([&] { return after.Count("\"resource_name\":\"sse-after-restart\"") >= 2; }));
}

}  // namespace
}  // namespace lnsim::mock
