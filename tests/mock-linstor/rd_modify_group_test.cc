// `resource-definition modify RD --resource-group RG` moves the RD to RG (issue 17: it answered
// SUCCESS and changed nothing): the RD renders RG, an auto-place without a place count uses RG's,
// and an unknown RG is refused with FAIL_NOT_FOUND_RSC_GRP as CtrlRscDfnApiCallHandler.modify
// does (loadResourceGroup with failIfNull).
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::CreateDefinition;
using testing::SmallSpec;
using testing::WorldHarness;

TEST(RdModifyGroup, ModifyMovesTheDefinitionAndAutoplaceUsesTheNewGroup) {
  WorldHarness h(SmallSpec());
  ASSERT_EQ(
      h.Do("POST", "/v1/resource-groups", R"({"name":"RG3","select_filter":{"place_count":3}})")
          .status,
      201);
  CreateDefinition(h, "MOV");
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/MOV")["resource_group_name"], "DfltRscGrp");
  int status = 0;
  auto j = h.Json("PUT", "/v1/resource-definitions/MOV", R"({"resource_group":"rg3"})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/MOV")["resource_group_name"], "RG3");
  j = h.Json("POST", "/v1/resource-definitions/MOV/autoplace", "{}", &status);
  ASSERT_EQ(status, 201) << j.dump();
  size_t diskful = 0;
  for (const auto& r : h.Json("GET", "/v1/resource-definitions/MOV/resources")) {
    bool diskless = false;
    for (const auto& flag : r.value("flags", nlohmann::json::array())) {
      diskless = diskless || flag == "DRBD_DISKLESS";
    }
    diskful += !diskless;
  }
  EXPECT_EQ(diskful, 3u) << "RG3's place count, not DfltRscGrp's 2";
}

TEST(RdModifyGroup, UnknownGroupIsRefusedAndNothingChanges) {
  WorldHarness h(SmallSpec());
  CreateDefinition(h, "MOV");
  int status = 0;
  auto j = h.Json("PUT", "/v1/resource-definitions/MOV", R"({"resource_group":"nosuch"})", &status);
  EXPECT_EQ(status, 404) << j.dump();
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kFailNotFoundRscGrp);
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/MOV")["resource_group_name"], "DfltRscGrp");
}

}  // namespace
}  // namespace lnsim::mock
