// Writes the controller answers only when the satellites are done (docs/mock-linstor.md
// "Answers after the satellites"), over real HTTP with the ticker running on the real clock:
// resource-definition delete (CtrlRscDfnDeleteApiCallHandler: "marked for deletion." first,
// "deleted." last, and a GET right after is 404), resource delete, toggle-disk (no DISK_* flag
// left when answered). Before this change each answered at once with the object still listed /
// still toggling, which these assertions reject.
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

class SatelliteWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const sim::WorldSpec spec = testing::SmallSpec(3, 4);
    auto world = sim::World::Create(spec, spec.seed);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    ServerOptions options;
    options.port = 0;
    server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
    ASSERT_TRUE(server_->Start().ok());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(60, 0);
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  nlohmann::json Call(const std::string& method, const std::string& path, int* status,
                      const std::string& body = "") {
    httplib::Result r = method == "GET"      ? client_->Get(path)
                        : method == "DELETE" ? client_->Delete(path)
                                             : client_->Put(path, body, "application/json");
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return nullptr;
    *status = r->status;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // The first resource definition with at least two replicas, and its replicas' nodes.
  std::string DefinitionWithReplicas(std::vector<std::string>* nodes) {
    int status = 0;
    auto rds = Call("GET", "/v1/resource-definitions", &status);
    for (const auto& rd : rds) {
      const std::string name = rd["name"];
      auto rscs = Call("GET", "/v1/resource-definitions/" + name + "/resources", &status);
      if (rscs.size() < 2) continue;
      for (const auto& r : rscs) nodes->push_back(r["node_name"]);
      return name;
    }
    return "";
  }

  // DELETE `path`: 200 and at least two entries; their messages.
  std::vector<std::string> DeleteMessages(const std::string& path) {
    int status = 0;
    auto replies = Call("DELETE", path, &status);
    EXPECT_EQ(status, 200) << replies.dump();
    std::vector<std::string> out;
    for (const auto& r : replies) out.push_back(r.value("message", ""));
    EXPECT_GE(out.size(), 2u) << replies.dump();
    return out;
  }

  RealClock clock_;
  std::unique_ptr<MockServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(SatelliteWaitTest, DefinitionDeleteAnswersWhenGoneWithBothEntries) {
  std::vector<std::string> nodes;
  const std::string rd = DefinitionWithReplicas(&nodes);
  ASSERT_FALSE(rd.empty());
  const auto texts = DeleteMessages("/v1/resource-definitions/" + rd);
  ASSERT_GE(texts.size(), 2u);
  EXPECT_EQ(texts.front(), "Resource definition '" + rd + "' marked for deletion.");
  EXPECT_EQ(texts.back(), "Resource definition '" + rd + "' deleted.");
  for (const std::string& node : nodes) {
    EXPECT_NE(
        std::find(texts.begin(), texts.end(), "Resource '" + rd + "' on '" + node + "' deleted"),
        texts.end())
        << node;
  }
  int status = 0;
  Call("GET", "/v1/resource-definitions/" + rd, &status);
  EXPECT_EQ(status, 404) << "the RD is still listed after its DELETE answered";
}

TEST_F(SatelliteWaitTest, ResourceDeleteAnswersWhenTheReplicaIsGone) {
  std::vector<std::string> nodes;
  const std::string rd = DefinitionWithReplicas(&nodes);
  ASSERT_FALSE(rd.empty());
  const std::string path = "/v1/resource-definitions/" + rd + "/resources/" + nodes.back();
  const std::string what = "Resource '" + rd + "' on '" + nodes.back() + "'";
  const auto texts = DeleteMessages(path);
  ASSERT_GE(texts.size(), 2u);
  EXPECT_EQ(texts.front(), what + " marked for deletion");
  EXPECT_EQ(texts.back(), what + " deleted");
  int status = 0;
  Call("GET", path, &status);
  EXPECT_EQ(status, 404) << "the resource is still listed after its DELETE answered";
}

TEST_F(SatelliteWaitTest, ToggleDiskAnswersWhenTheDiskIsGone) {
  std::vector<std::string> nodes;
  const std::string rd = DefinitionWithReplicas(&nodes);
  ASSERT_FALSE(rd.empty());
  const std::string path = "/v1/resource-definitions/" + rd + "/resources/" + nodes.front();
  int status = 0;
  auto before = Call("GET", path, &status);
  ASSERT_EQ(status, 200);
  auto flags = before.value("flags", nlohmann::json::array());
  ASSERT_EQ(std::find(flags.begin(), flags.end(), "DISKLESS"), flags.end()) << before.dump();
  auto replies =
      Call("PUT", path + "/toggle-disk", &status, R"({"operation":"INTO_DRBD_DISKLESS"})");
  ASSERT_EQ(status, 200) << replies.dump();
  auto after = Call("GET", path, &status);
  flags = after.value("flags", nlohmann::json::array());
  EXPECT_NE(std::find(flags.begin(), flags.end(), "DISKLESS"), flags.end()) << after.dump();
  for (const auto& f : flags) {
    EXPECT_NE(f.get<std::string>().rfind("DISK_", 0), 0u) << "still toggling: " << after.dump();
  }
}

}  // namespace
}  // namespace lnsim::mock
