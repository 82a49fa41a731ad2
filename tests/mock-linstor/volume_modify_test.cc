// PUT /v1/resource-definitions/{rsc}/resources/{node}/volumes/{vnr} (python-linstor's
// volume_modify; was 405): props as CtrlVlmApiCallHandler.modifyVolume sets them, rendered on the
// volume, one MODIFIED entry with the VLM mask; a missing volume is FAIL_NOT_FOUND_VLM.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

// The first replica of the world: {rd, node}.
std::pair<std::string, std::string> FirstReplica(testing::WorldHarness& h) {
  auto rds = h.Json("GET", "/v1/resource-definitions");
  const std::string rd = rds.at(0)["name"];
  auto rscs = h.Json("GET", "/v1/resource-definitions/" + rd + "/resources");
  return {rd, rscs.at(0)["node_name"]};
}

TEST(VolumeModifyTest, SetsAndDeletesVolumeProps) {
  testing::WorldHarness h(testing::SmallSpec(3, 2));
  const auto [rd, node] = FirstReplica(h);
  const std::string path = "/v1/resource-definitions/" + rd + "/resources/" + node + "/volumes/0";
  int status = 0;
  auto j = h.Json("PUT", path, R"({"override_props":{"Aux/vol":"x"}})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["message"], "Volume with volume number '0' on resource '" + rd + "' on node '" +
                                 node + "' modified.");
  EXPECT_EQ(j[0]["ret_code"].get<int64_t>(),
            RetCode(0, rcmask::kModify, rcmask::kVlm, rccode::kModified));
  auto vlm = h.Json("GET", path);
  EXPECT_EQ(vlm["props"]["Aux/vol"], "x") << vlm.dump();
  EXPECT_TRUE(vlm["props"].contains("Satellite/Device/Symlinks/0")) << vlm.dump();
  // Another replica's volume is untouched.
  auto view = h.Json("GET", "/v1/view/resources?resources=" + rd);
  int with_prop = 0;
  for (const auto& r : view) {
    for (const auto& v : r["volumes"]) with_prop += v["props"].contains("Aux/vol") ? 1 : 0;
  }
  EXPECT_EQ(with_prop, 1) << view.dump();
  h.Json("PUT", path, R"({"delete_props":["Aux/vol"]})", &status);
  EXPECT_EQ(status, 200);
  EXPECT_FALSE(h.Json("GET", path)["props"].contains("Aux/vol"));
}

TEST(VolumeModifyTest, MissingVolumeAndBadBody) {
  testing::WorldHarness h(testing::SmallSpec(3, 2));
  const auto [rd, node] = FirstReplica(h);
  const std::string base = "/v1/resource-definitions/" + rd + "/resources/" + node + "/volumes/";
  int status = 0;
  auto j = h.Json("PUT", base + "7", R"({"override_props":{"a":"b"}})", &status);
  EXPECT_EQ(status, 404) << j.dump();
  EXPECT_EQ(j[0]["ret_code"].get<int64_t>() & rcmask::kCode, rccode::kFailNotFoundVlm) << j.dump();
  j = h.Json("PUT", "/v1/resource-definitions/" + rd + "/resources/node-x/volumes/0",
             R"({"override_props":{"a":"b"}})", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(j[0]["ret_code"].get<int64_t>() & rcmask::kCode, rccode::kFailNotFoundNode) << j.dump();
  j = h.Json("PUT", base + "0", R"({"override_props":"x"})", &status);
  EXPECT_EQ(j[0]["ret_code"].get<int64_t>(), kApiCallParseError) << j.dump();
}

}  // namespace
}  // namespace lnsim::mock
