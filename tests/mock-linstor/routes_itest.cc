// The route table over real HTTP on a loopback port: every route answers its method (its handler
// runs: neither 405 nor the plain 404 of an unknown path), every other method on a known path
// answers 405 with LINSTOR's error body (an ApiCallRc list) and an Allow header naming the
// methods the path serves, and unknown paths answer the non-JSON 404, whatever the method.
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mock-linstor/rest.h"
#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;

const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "PATCH"};

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::WorldSpec spec;
    spec.cluster.nodes = 3;
    spec.cluster.resources = 4;
    spec.seed = 3;
    auto world = sim::World::Create(spec, spec.seed);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    // A resource with a replica, its node and a pool there: the placeholders' values.
    const sim::Cluster& cluster = (*world)->cluster();
    for (const sim::ResourceDefinition& rd : cluster.rds) {
      if (!rd.alive || rd.replicas.empty() || rd.volumes.empty()) continue;
      const sim::Replica& replica = cluster.replicas[rd.replicas.front()];
      values_ = {{"rsc", rd.name},
                 {"node", cluster.nodes[replica.node].name},
                 {"pool", cluster.pools[replica.pool].name},
                 {"vnr", std::to_string(rd.volumes.front().number)},
                 {"rg", "DfltRscGrp"},
                 {"snapshot", "snap1"},
                 {"reportid", "report1"},
                 {"instance", "inst1"}};
      break;
    }
    ASSERT_FALSE(values_.empty()) << "the world has no resource with a replica";
    ServerOptions options;
    options.port = 0;
    options.epoch_unix_ms = 1795466932000LL;
    server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(std::chrono::seconds(20));
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  // The pattern with every placeholder replaced by a name that exists.
  std::string Fill(const std::string& pattern) const {
    std::string out;
    for (size_t i = 0; i < pattern.size();) {
      if (pattern[i] != '{') {
        out.push_back(pattern[i++]);
        continue;
      }
      const size_t end = pattern.find('}', i);
      const std::string name = pattern.substr(i + 1, end - i - 1);
      EXPECT_TRUE(values_.count(name)) << pattern << ": no value for {" << name << "}";
      out += values_.count(name) ? values_.at(name) : name;
      i = end + 1;
    }
    return out;
  }

  // Writes the controller answers after its satellites (RD/resource delete, toggle-disk) wait
  // for the world, which moves only with this test's simulated clock: advance it until answered.
  httplib::Result Send(const std::string& method, const std::string& path) {
    if (method == "GET") return client_->Get(path);
    auto pending = std::async(std::launch::async, [&] { return SendNow(method, path); });
    while (pending.wait_for(std::chrono::milliseconds(2)) != std::future_status::ready) {
      clock_.Advance(std::chrono::milliseconds(100));
    }
    return pending.get();
  }
  httplib::Result SendNow(const std::string& method, const std::string& path) {
    if (method == "POST") return client_->Post(path, "{}", "application/json");
    if (method == "PUT") return client_->Put(path, "{}", "application/json");
    if (method == "DELETE") return client_->Delete(path);
    return client_->Patch(path, "{}", "application/json");
  }

  // Opens an SSE stream and gives up after the headers (the stream itself never ends).
  int StreamStatus(const std::string& path, std::string* content_type) {
    int status = 0;
    client_->Get(
        path,
        [&](const httplib::Response& response) {
          status = response.status;
          *content_type = response.get_header_value("Content-Type");
          return false;
        },
        [](const char*, size_t) { return false; });
    return status;
  }

  SimulatedClock clock_{Duration::zero(), 1795466932000LL * 1000000};
  std::unique_ptr<MockServer> server_;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, std::string> values_;
};

bool IsUnknownPath(const httplib::Result& result) {
  return result->status == 404 && result->get_header_value("Content-Type") == "text/plain";
}

TEST_F(RoutesTest, TableHasNoDuplicateRoutes) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& route : RestApi::Routes()) {
    EXPECT_TRUE(seen.insert(route).second) << route.first << " " << route.second;
    EXPECT_EQ(route.second.rfind("/v1/", 0), 0u) << route.second;
  }
  EXPECT_GT(seen.size(), 40u);
}

TEST_F(RoutesTest, EveryRouteAnswersItsMethod) {
  for (const auto& [method, pattern] : RestApi::Routes()) {
    const std::string path = Fill(pattern);
    SCOPED_TRACE(method + " " + path);
    if (pattern.rfind("/v1/events/", 0) == 0) {
      std::string content_type;
      EXPECT_EQ(StreamStatus(path, &content_type), 200);
      EXPECT_EQ(content_type, "text/event-stream");
      continue;
    }
    auto result = Send(method, path);
    ASSERT_TRUE(result);
    EXPECT_NE(result->status, 405) << result->body;
    EXPECT_FALSE(IsUnknownPath(result)) << "answered as an unknown path";
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json") << result->body;
  }
}

TEST_F(RoutesTest, WrongMethodIs405WithLinstorErrorBodyAndAllow) {
  std::map<std::string, std::set<std::string>> methods_of;
  for (const auto& [method, pattern] : RestApi::Routes()) methods_of[pattern].insert(method);
  for (const auto& [pattern, served] : methods_of) {
    std::string allowed;
    for (const auto& route : RestApi::Routes()) {
      if (route.second != pattern) continue;
      if (!allowed.empty()) allowed += ", ";
      allowed += route.first;
    }
    for (const std::string& method : kMethods) {
      if (served.count(method)) continue;
      const std::string path = Fill(pattern);
      SCOPED_TRACE(method + " " + path);
      auto result = Send(method, path);
      ASSERT_TRUE(result);
      EXPECT_EQ(result->status, 405);
      EXPECT_EQ(result->get_header_value("Allow"), allowed);
      EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
      const json body = json::parse(result->body, nullptr, false);
      ASSERT_TRUE(body.is_array() && body.size() == 1) << result->body;
      EXPECT_TRUE(body[0]["ret_code"].is_number_integer());
      EXPECT_LT(body[0]["ret_code"].get<int64_t>(), 0) << "an error entry";
      EXPECT_TRUE(body[0]["message"].is_string());
      EXPECT_TRUE(body[0]["created_at"].is_string());
    }
  }
}

TEST_F(RoutesTest, UnknownPathIsPlain404ForEveryMethod) {
  const std::vector<std::string> unknown = {
      "/",
      "/v1",
      "/v2/nodes",
      "/v1/nosuch",
      "/v1/controller",
      "/v1/controller/nosuch",
      "/v1/nodes/" + values_["node"] + "/nosuch",
      "/v1/nodes/" + values_["node"] + "/storage-pools/a/b",
      "/v1/resource-definitions/" + values_["rsc"] + "/nosuch",
      "/v1/resource-definitions/" + values_["rsc"] + "/resources/a/toggle-disk/sideways",
      "/v1/view",
      "/v1/events/resources",
      "/v1/query-max-volume-size",
  };
  for (const std::string& path : unknown) {
    for (const std::string& method : kMethods) {
      SCOPED_TRACE(method + " " + path);
      auto result = Send(method, path);
      ASSERT_TRUE(result);
      EXPECT_TRUE(IsUnknownPath(result)) << result->status << " " << result->body;
      EXPECT_EQ(result->body, "Not Found");
    }
  }
}

TEST_F(RoutesTest, HeadIsAnsweredAsGet) {
  auto result = client_->Head("/v1/nodes");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

}  // namespace
}  // namespace lnsim::mock
