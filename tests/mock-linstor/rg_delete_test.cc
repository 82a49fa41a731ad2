// Fixes found by LINBIT's python-linstor (tests/peers/python-linstor): resource-group delete as
// CtrlRscGrpApiCallHandler.delete does it, spawn's select_filter overriding the group's
// (AutoSelectFilterPojo.merge in CtrlRscGrpApiCallHandler.spawn), storage-pool modify, and the
// ApiConsts codes FAIL_EXISTS_STOR_POOL (510) and FAIL_INVLD_RSC_NAME (202).
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::SmallSpec;
using testing::WorldHarness;

void CreateGroup(WorldHarness& h, const std::string& name, int place_count = 2) {
  ASSERT_EQ(h.Do("POST", "/v1/resource-groups",
                 R"({"name":")" + name + R"(","select_filter":{"place_count":)" +
                     std::to_string(place_count) + "}}")
                .status,
            201);
}

void CreateDefinition(WorldHarness& h, const std::string& name, const std::string& group) {
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions",
                 R"({"resource_definition":{"name":")" + name + R"(","resource_group_name":")" +
                     group + R"("}})")
                .status,
            201);
}

int CodeOfFirst(const nlohmann::json& answer) {
  return CodeOf(answer[0]["ret_code"].get<int64_t>());
}

TEST(RgDelete, EmptyGroupIsDeleted) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "GONE");
  int status = 0;
  auto j = h.Json("DELETE", "/v1/resource-groups/gone", "", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(CodeOfFirst(j), rccode::kDeleted) << j.dump();
  EXPECT_EQ(j[0]["message"], "Resource group 'GONE' deleted.");
  EXPECT_EQ(h.Do("GET", "/v1/resource-groups/GONE").status, 404);
  for (const auto& g : h.Json("GET", "/v1/resource-groups")) EXPECT_NE(g["name"], "GONE");
}

TEST(RgDelete, GroupWithDefinitionsIsRefused) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "BUSY");
  CreateDefinition(h, "INBUSY", "BUSY");
  int status = 0;
  auto j = h.Json("DELETE", "/v1/resource-groups/BUSY", "", &status);
  EXPECT_EQ(status, 500) << j.dump();
  EXPECT_EQ(CodeOfFirst(j), rccode::kFailExistsRscDfn);
  EXPECT_EQ(j[0]["message"],
            "Cannot delete resource group 'BUSY' because it has existing resource definitions.");
  EXPECT_EQ(h.Do("GET", "/v1/resource-groups/BUSY").status, 200);
}

TEST(RgDelete, DefinitionMovedInByModifyAlsoBlocks) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "TARGET");
  CreateDefinition(h, "MOVER", "DfltRscGrp");
  ASSERT_EQ(h.Do("PUT", "/v1/resource-definitions/MOVER", R"({"resource_group":"TARGET"})").status,
            200);
  auto j = h.Json("DELETE", "/v1/resource-groups/TARGET");
  EXPECT_EQ(CodeOfFirst(j), rccode::kFailExistsRscDfn) << j.dump();
}

TEST(RgDelete, MissingGroupOnlyWarns) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("DELETE", "/v1/resource-groups/nosuch", "", &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_TRUE(IsWarning(j[0]["ret_code"].get<int64_t>())) << j.dump();
  EXPECT_EQ(CodeOfFirst(j), rccode::kWarnNotFound);
}

TEST(RgDelete, OtherGroupsKeepTheirDefinitions) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "FIRST");
  CreateGroup(h, "SECOND", 3);
  CreateDefinition(h, "INSECOND", "SECOND");
  ASSERT_EQ(h.Do("DELETE", "/v1/resource-groups/FIRST").status, 200);
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/INSECOND")["resource_group_name"], "SECOND");
  EXPECT_EQ(h.Json("GET", "/v1/resource-groups/SECOND")["select_filter"]["place_count"], 3);
  EXPECT_EQ(h.Do("POST", "/v1/resource-groups", R"({"name":"FIRST"})").status, 201);
}

TEST(RgDelete, DefaultGroupIsRefused) {
  WorldHarness h(SmallSpec());
  auto j = h.Json("DELETE", "/v1/resource-groups/DfltRscGrp");
  EXPECT_EQ(CodeOfFirst(j), rccode::kFailInUse) << j.dump();
  EXPECT_EQ(h.Do("GET", "/v1/resource-groups/DfltRscGrp").status, 200);
}

size_t Diskful(WorldHarness& h, const std::string& rd) {
  size_t diskful = 0;
  for (const auto& r : h.Json("GET", "/v1/resource-definitions/" + rd + "/resources")) {
    bool diskless = false;
    for (const auto& flag : r.value("flags", nlohmann::json::array())) {
      diskless = diskless || flag == "DRBD_DISKLESS";
    }
    diskful += !diskless;
  }
  return diskful;
}

TEST(SpawnFilter, SpawnPlaceCountOverridesTheGroups) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "THREE", 3);
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-groups/THREE/spawn",
                  R"({"resource_definition_name":"SPTWO","volume_sizes":[10240],)"
                  R"("select_filter":{"place_count":"2"}})",
                  &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_EQ(Diskful(h, "SPTWO"), 2u);
  j = h.Json("POST", "/v1/resource-groups/THREE/spawn",
             R"({"resource_definition_name":"SPTHREE","volume_sizes":[10240]})", &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_EQ(Diskful(h, "SPTHREE"), 3u) << "without a filter the group's place count";
}

TEST(PoolModify, PropsAreSetAndMissingPoolRefused) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("PUT", "/v1/nodes/node-1/storage-pools/pool1",
                  R"({"override_props":{"Aux/tier":"fast"}})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/nodes/node-1/storage-pools/pool1")["props"]["Aux/tier"], "fast");
  j = h.Json("PUT", "/v1/nodes/node-1/storage-pools/nopool", R"({"override_props":{}})", &status);
  EXPECT_EQ(status, 404) << j.dump();
  EXPECT_EQ(CodeOfFirst(j), rccode::kFailNotFoundStorPool);
}

TEST(VolumeGroupModify, PropsAreSetAndGoWithTheGroup) {
  WorldHarness h(SmallSpec());
  CreateGroup(h, "VGS");
  ASSERT_EQ(h.Do("POST", "/v1/resource-groups/VGS/volume-groups", "{}").status, 200);
  int status = 0;
  auto j = h.Json("PUT", "/v1/resource-groups/VGS/volume-groups/0",
                  R"({"override_props":{"Aux/vg":"1"}})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-groups/VGS/volume-groups/0")["props"]["Aux/vg"], "1");
  j = h.Json("PUT", "/v1/resource-groups/VGS/volume-groups/4", R"({"override_props":{}})", &status);
  EXPECT_EQ(CodeOfFirst(j), rccode::kFailNotFoundVlmGrp) << j.dump();
  EXPECT_EQ(h.Do("PUT", "/v1/resource-groups/VGS/volume-groups/0", "{x").status, 400);
  ASSERT_EQ(h.Do("DELETE", "/v1/resource-groups/VGS").status, 200);
  CreateGroup(h, "VGS");
  ASSERT_EQ(h.Do("POST", "/v1/resource-groups/VGS/volume-groups", "{}").status, 200);
  EXPECT_FALSE(h.Json("GET", "/v1/resource-groups/VGS/volume-groups/0").contains("props"))
      << "a new group of the same name starts without the old one's props";
}

TEST(ApiConstsCodes, ExistingPoolAndInvalidDefinitionName) {
  WorldHarness h(SmallSpec());
  auto j = h.Json("POST", "/v1/nodes/node-1/storage-pools",
                  R"({"storage_pool_name":"pool1","provider_kind":"LVM_THIN"})");
  EXPECT_EQ(CodeOfFirst(j), 510) << "FAIL_EXISTS_STOR_POOL; 507 is FAIL_EXISTS_RSC_CONN";
  j = h.Json("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"X"}})");
  EXPECT_EQ(CodeOfFirst(j), 202) << "FAIL_INVLD_RSC_NAME; 200 is FAIL_INVLD_NODE_NAME";
}

}  // namespace
}  // namespace lnsim::mock
