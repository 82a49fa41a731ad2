// resource-group spawn uses the volume groups created through the API (issue 17: it answered
// "doesn't have any volume-groups, automatically assume partial mode" while volume-group list
// showed one): sizes must match them unless partial, as CtrlRscGrpApiCallHandler.spawn checks.
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::SmallSpec;
using testing::WorldHarness;

bool MentionsPartialMode(const nlohmann::json& answer) {
  for (const auto& entry : answer) {
    if (entry["message"].get<std::string>().find("partial mode") != std::string::npos) return true;
  }
  return false;
}

nlohmann::json Spawn(WorldHarness& h, const std::string& body, int* status) {
  return h.Json("POST", "/v1/resource-groups/RGV/spawn", body, status);
}

void CreateGroupWithVolumeGroups(WorldHarness& h, int volume_groups) {
  ASSERT_EQ(
      h.Do("POST", "/v1/resource-groups", R"({"name":"RGV","select_filter":{"place_count":2}})")
          .status,
      201);
  for (int i = 0; i < volume_groups; ++i) {
    ASSERT_EQ(h.Do("POST", "/v1/resource-groups/RGV/volume-groups", "{}").status, 200);
  }
  ASSERT_EQ(h.Json("GET", "/v1/resource-groups/RGV/volume-groups").size(),
            static_cast<size_t>(volume_groups));
}

TEST(SpawnVolumeGroups, ApiCreatedVolumeGroupIsUsed) {
  WorldHarness h(SmallSpec());
  CreateGroupWithVolumeGroups(h, 1);
  int status = 0;
  auto j = Spawn(h, R"({"resource_definition_name":"SPV","volume_sizes":[1048576]})", &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_FALSE(MentionsPartialMode(j)) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/SPV")["resource_group_name"], "RGV");
  const auto vds = h.Json("GET", "/v1/resource-definitions/SPV/volume-definitions");
  ASSERT_EQ(vds.size(), 1u);
  EXPECT_EQ(vds[0]["size_kib"], 1048576);
  EXPECT_GE(h.Json("GET", "/v1/resource-definitions/SPV/resources").size(), 2u);
}

TEST(SpawnVolumeGroups, SizeCountMustMatchUnlessPartial) {
  WorldHarness h(SmallSpec());
  CreateGroupWithVolumeGroups(h, 2);
  int status = 0;
  auto j = Spawn(h, R"({"resource_definition_name":"SPW","volume_sizes":[1048576]})", &status);
  EXPECT_EQ(status, 500) << j.dump();
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kFailInvalidVolumeSizes);
  EXPECT_EQ(h.Do("GET", "/v1/resource-definitions/SPW").status, 404) << "nothing was created";
  j = Spawn(h,
            R"({"resource_definition_name":"SPW","volume_sizes":[1048576],"partial":true,)"
            R"("definitions_only":true})",
            &status);
  EXPECT_EQ(status, 201) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/SPW/volume-definitions").size(), 1u);
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/SPW/resources").size(), 0u);
}

}  // namespace
}  // namespace lnsim::mock
