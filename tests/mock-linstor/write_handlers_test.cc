// Write endpoints against a real world: statuses (201 creates, VD create 200 per the errata),
// LINSTOR's signed ret codes, parse errors (400 sync / 500 async), nulls and missing
// Content-Type accepted, props, node events, and the offline-node rules of LINSTOR-API.md 6.6.
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using nlohmann::json;
using testing::SmallSpec;
using testing::WorldHarness;

bool HasCode(const json& list, int64_t code) {
  for (const auto& e : list) {
    if (e["ret_code"].get<int64_t>() == code) return true;
  }
  return false;
}

TEST(WriteHandlers, ResourceDefinitionCreateAndDuplicate) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"XR"}})",
                  &status);
  EXPECT_EQ(status, 201);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["ret_code"], 20447233);
  EXPECT_EQ(j[0]["message"], "New resource definition 'XR' created.");
  EXPECT_TRUE(j[0].contains("created_at"));
  EXPECT_EQ(j[0]["obj_refs"]["RscDfn"], "XR");
  const std::string uuid = h.Json("GET", "/v1/resource-definitions/XR")["uuid"];
  EXPECT_EQ(j[0]["obj_refs"]["UUID"], uuid);
  EXPECT_EQ(j[0]["details"], "Resource definition 'XR' UUID is: " + uuid);
  j = h.Json("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"xr"}})",
             &status);
  EXPECT_EQ(status, 500) << "duplicates (case-insensitive) are 500, never 409";
  EXPECT_EQ(j[0]["ret_code"], -4611686018406940171LL);
  EXPECT_EQ(h.Do("GET", "/v1/resource-definitions/xr").status, 200);
}

TEST(WriteHandlers, VolumeDefinitionCreateAnswers200PerErrata) {
  WorldHarness h(SmallSpec());
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"XR"}})");
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions/XR/volume-definitions",
                  R"({"volume_definition":{"size_kib":1048576,"flags":[]}})", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(j[0]["ret_code"], RetCode(0, rcmask::kCreate, rcmask::kVlmDfn, rccode::kCreated));
  j = h.Json("POST", "/v1/resource-definitions/nosuch/volume-definitions",
             R"({"volume_definition":{"size_kib":1048576}})", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(j[0]["ret_code"],
            RetCode(rcmask::kError, rcmask::kCreate, rcmask::kVlmDfn, rccode::kFailNotFoundRscDfn));
  j = h.Json("POST", "/v1/resource-definitions/XR/volume-definitions",
             R"({"volume_definition":{"size_kib":0}})", &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kFailInvalidVolumeSize);
}

TEST(WriteHandlers, AutoplaceResizeAndSameSizeWarning) {
  WorldHarness h(SmallSpec());
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"XR"}})");
  h.Do("POST", "/v1/resource-definitions/XR/volume-definitions",
       R"({"volume_definition":{"size_kib":1048576}})");
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions/XR/autoplace",
                  R"({"diskless_on_remaining":null,"select_filter":{"place_count":2}})", &status);
  EXPECT_EQ(status, 201);
  EXPECT_EQ(j[0]["message"], "Resource 'XR' successfully autoplaced on 2 nodes");
  int created = 0, ready = 0;
  for (const auto& e : j) {
    const std::string m = e["message"];
    created += m.rfind("Created resource 'XR' on '", 0) == 0;
    ready += m.find("' ready") != std::string::npos;
  }
  EXPECT_EQ(created, 2);
  EXPECT_EQ(ready, 2);
  h.Advance(std::chrono::minutes(5));
  j = h.Json("PUT", "/v1/resource-definitions/XR/volume-definitions/0", R"({"size_kib":2097152})",
             &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_TRUE(HasCode(j, 36700163)) << j.dump();
  h.Advance(std::chrono::minutes(5));
  j = h.Json("PUT", "/v1/resource-definitions/XR/volume-definitions/0", R"({"size_kib":2097152})",
             &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kWarnResizeSameSize);
  EXPECT_TRUE(IsWarning(j[0]["ret_code"].get<int64_t>()));
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/XR/volume-definitions/0")["size_kib"], 2097152);
  // Too many replicas asked for.
  j = h.Json("POST", "/v1/resource-definitions/XR/autoplace",
             R"({"select_filter":{"place_count":9}})", &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(CodeOf(j.back()["ret_code"].get<int64_t>()), rccode::kFailNotEnoughNodes);
}

TEST(WriteHandlers, ResourceCreateArrayAndSingleObjectDeleteAndToggle) {
  WorldHarness h(SmallSpec(5, 0));
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"RR"}})");
  h.Do("POST", "/v1/resource-definitions/RR/volume-definitions",
       R"({"volume_definition":{"size_kib":1048576}})");
  int status = 0;
  auto j = h.Json(
      "POST", "/v1/resource-definitions/RR/resources",
      R"([{"resource":{"node_name":"node-1"}},{"resource":{"node_name":"node-2","props":{"StorPoolName":"pool1"}}}])",
      &status);
  EXPECT_EQ(status, 201) << j.dump();
  j = h.Json("POST", "/v1/resource-definitions/RR/resources/node-3",
             R"({"resource":{"flags":["DRBD_DISKLESS"]}})", &status);
  EXPECT_EQ(status, 201) << j.dump();
  auto r3 = h.Json("GET", "/v1/resource-definitions/RR/resources/NODE-3");
  EXPECT_EQ(r3["flags"], json({"DISKLESS", "DRBD_DISKLESS"}));
  // Same node again: FAIL_EXISTS_RSC -> 500.
  j = h.Json("POST", "/v1/resource-definitions/RR/resources",
             R"([{"resource":{"node_name":"node-1"}}])", &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(j[0]["ret_code"],
            RetCode(rcmask::kError, rcmask::kCreate, rcmask::kRsc, rccode::kFailExistsRsc));
  h.Advance(std::chrono::minutes(2));
  // Deprecated toggle-disk paths, no body (CLI 1.27).
  j = h.Json("PUT", "/v1/resource-definitions/RR/resources/node-3/toggle-disk/diskful/pool1", "",
             &status);
  EXPECT_EQ(status, 200) << j.dump();
  h.Advance(std::chrono::minutes(10));
  j = h.Json("PUT", "/v1/resource-definitions/RR/resources/node-3/toggle-disk/diskless", "",
             &status);
  EXPECT_EQ(status, 200) << j.dump();
  h.Advance(std::chrono::minutes(2));
  // The 1.28 form.
  j = h.Json("PUT", "/v1/resource-definitions/RR/resources/node-3/toggle-disk",
             R"({"operation":"INTO_DRBD_DISKFUL","storage_pool":"pool1"})", &status);
  EXPECT_EQ(status, 200) << j.dump();
  h.Advance(std::chrono::minutes(10));
  j = h.Json("DELETE", "/v1/resource-definitions/RR/resources/node-3?keep_tiebreaker=false", "",
             &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_TRUE(HasCode(j, 53739522)) << j.dump();
  h.Advance(std::chrono::minutes(1));
  EXPECT_EQ(h.Do("GET", "/v1/resource-definitions/RR/resources/node-3").status, 404);
  // make-available creates a diskless replica when none exists, 200.
  j = h.Json("POST", "/v1/resource-definitions/RR/resources/node-4/make-available",
             R"({"diskful":false})", &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Do("GET", "/v1/resource-definitions/RR/resources/node-4").status, 200);
}

TEST(WriteHandlers, ParseErrorsAre500OnAsyncCallsAnd400OnSyncCalls) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions", "{not json", &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(j[0]["ret_code"], kApiCallParseError);
  EXPECT_EQ(j[0]["message"], "Unable to parse input json.");
  j = h.Json("POST", "/v1/resource-groups", "{not json", &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(j[0]["ret_code"], kApiCallParseError);
  // Wrong types are parse errors too (Jackson).
  j = h.Json("POST", "/v1/resource-definitions/XR/volume-definitions",
             R"({"volume_definition":{"size_kib":"big"}})", &status);
  EXPECT_EQ(status, 500);
  EXPECT_EQ(j[0]["ret_code"], kApiCallParseError);
  // Resource create wants an array.
  j = h.Json("POST", "/v1/resource-definitions/XR/resources", R"({"resource":{}})", &status);
  EXPECT_EQ(status, 500);
}

TEST(WriteHandlers, NullsAreAbsentValues) {
  WorldHarness h(SmallSpec());
  int status = 0;
  h.Json(
      "POST", "/v1/resource-definitions",
      R"({"resource_definition":{"name":"NN","props":null,"external_name":null},"drbd_port":null})",
      &status);
  EXPECT_EQ(status, 201);
  h.Do("POST", "/v1/resource-definitions/NN/volume-definitions",
       R"({"volume_definition":{"size_kib":1024,"volume_number":null}})");
  h.Json("POST", "/v1/resource-definitions/NN/autoplace",
         R"({"diskless_on_remaining":null,"select_filter":{"place_count":2,"storage_pool":null}})",
         &status);
  EXPECT_EQ(status, 201);
}

TEST(WriteHandlers, PropsModifyAndFilter) {
  WorldHarness h(SmallSpec());
  int status = 0;
  auto j = h.Json("PUT", "/v1/nodes/node-2", R"({"override_props":{"Aux/rack":"r7"}})", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(j[0]["ret_code"], RetCode(0, rcmask::kModify, rcmask::kNode, rccode::kModified));
  auto nodes = h.Json("GET", "/v1/nodes?props=Aux/rack=r7");
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0]["name"], "node-2");
  h.Do("PUT", "/v1/nodes/node-2", R"({"delete_props":["Aux/rack"]})");
  EXPECT_EQ(h.Json("GET", "/v1/nodes?props=Aux/rack").size(), 0u);
  j = h.Json("PUT", "/v1/nodes/nosuch", R"({"override_props":{}})", &status);
  EXPECT_EQ(status, 404);
}

TEST(WriteHandlers, ControllerPropertiesAreSynchronous) {
  WorldHarness h(SmallSpec(3, 0));
  int status = 0;
  auto j = h.Json("POST", "/v1/controller/properties",
                  R"({"override_props":{"DrbdOptions/AutoEvictAllowEviction":"true"}})", &status);
  EXPECT_EQ(status, 201);  // LINSTOR's Controller.setProperties: CREATED
  EXPECT_EQ(j[0]["ret_code"], RetCode(0, rcmask::kModify, rcmask::kCtrlConf, rccode::kModified));
  EXPECT_EQ(h.Json("GET", "/v1/controller/properties")["DrbdOptions/AutoEvictAllowEviction"],
            "true");
  h.Json("POST", "/v1/controller/properties", "{nope", &status);
  EXPECT_EQ(status, 400);
}

TEST(WriteHandlers, VolumeDefinitionPropsWithoutResize) {
  WorldHarness h(SmallSpec(3, 0));
  h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"vp"}})");
  h.Do("POST", "/v1/resource-definitions/vp/volume-definitions",
       R"({"volume_definition":{"size_kib":1024}})");
  int status = 0;
  auto j = h.Json("PUT", "/v1/resource-definitions/vp/volume-definitions/0",
                  R"({"override_props":{"Aux/x":"1"}})", &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_EQ(j[0]["ret_code"], 36700163);
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/vp/volume-definitions/0")["props"]["Aux/x"],
            "1");
  EXPECT_EQ(
      h.Do("PUT", "/v1/resource-definitions/vp/volume-definitions/7", R"({"size_kib":1})").status,
      404);
}

TEST(WriteHandlers, NodeCreateAndDelete) {
  WorldHarness h(SmallSpec(3, 0));
  int status = 0;
  auto j = h.Json(
      "POST", "/v1/nodes",
      R"({"name":"node-x","type":"SATELLITE","net_interfaces":[{"name":"default","address":"10.0.0.99","satellite_port":3366,"satellite_encryption_type":"PLAIN"}]})",
      &status);
  EXPECT_EQ(status, 201) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/nodes/NODE-X")["net_interfaces"][0]["address"], "10.0.0.99");
  j = h.Json(
      "POST", "/v1/nodes/node-x/storage-pools",
      R"({"storage_pool_name":"pool1","provider_kind":"LVM_THIN","props":{"StorDriver/LvmVg":"vg1"}})",
      &status);
  EXPECT_EQ(status, 201) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/nodes/node-x/storage-pools/pool1")["props"]["StorDriver/LvmVg"],
            "vg1");
  j = h.Json("DELETE", "/v1/nodes/node-x", "", &status);
  EXPECT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Do("GET", "/v1/nodes/node-x").status, 404);
}

TEST(WriteHandlers, ResourceGroupsCreateModifyVolumeGroupsSpawn) {
  WorldHarness h(SmallSpec(5, 0));
  int status = 0;
  h.Json("POST", "/v1/resource-groups",
         R"({"name":"gold","description":"fast","select_filter":{"place_count":3}})", &status);
  EXPECT_EQ(status, 201);
  auto rg = h.Json("GET", "/v1/resource-groups/GOLD");
  EXPECT_EQ(rg["description"], "fast");
  EXPECT_EQ(rg["select_filter"]["place_count"], 3);
  h.Json("PUT", "/v1/resource-groups/gold",
         R"({"select_filter":{"place_count":2},"override_props":{"a":"b"}})", &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(h.Json("GET", "/v1/resource-groups/gold")["select_filter"]["place_count"], 2);
  auto j = h.Json(
      "POST", "/v1/resource-groups/DfltRscGrp/spawn",
      R"({"resource_definition_name":"YY","volume_sizes":[1048576],"partial":false,"definitions_only":false,"select_filter":{}})",
      &status);
  EXPECT_EQ(status, 201) << j.dump();
  bool info = false;
  for (const auto& e : j) {
    info = info ||
           e["message"] ==
               "Resource-group doesn't have any volume-groups, automatically assume partial mode.";
  }
  EXPECT_TRUE(info);
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/YY/resources").size() >= 2, true);
  j = h.Json("POST", "/v1/resource-groups/nosuch/spawn",
             R"({"resource_definition_name":"ZZ","volume_sizes":[1]})", &status);
  EXPECT_EQ(status, 404);
}

// LINSTOR-API.md 6: a crashed node shows OFFLINE, its pools lose capacities, a resize of a
// volume with a diskful replica there is refused with 974 -> 500.
TEST(WriteHandlers, OfflineNodeRulesAfterACrash) {
  sim::WorldSpec spec = SmallSpec(3, 4);
  sim::FaultSpec crash;
  crash.kind = sim::FaultKind::kNodeCrash;
  crash.at = std::chrono::seconds(1);
  crash.nodes = {"node-2"};
  spec.faults.push_back(crash);
  WorldHarness h(spec);
  h.Advance(std::chrono::seconds(60));
  auto node = h.Json("GET", "/v1/nodes/node-2");
  EXPECT_EQ(node["connection_status"], "OFFLINE");
  for (const auto& p : h.Json("GET", "/v1/view/storage-pools?nodes=node-2")) {
    EXPECT_FALSE(p.contains("free_capacity"));
    EXPECT_TRUE(p.contains("reports"));
  }
  const auto view = h.Json("GET", "/v1/view/resources?nodes=node-2");
  ASSERT_FALSE(view.empty());
  for (const auto& r : view) {
    EXPECT_FALSE(r.contains("state"));
    EXPECT_FALSE(r["layer_object"]["drbd"].contains("may_promote"));
  }
  // Find a resource with a diskful replica on node-2 and try to grow it.
  for (const auto& r : view) {
    const bool diskless =
        r.contains("flags") && r["flags"].dump().find("DISKLESS") != std::string::npos;
    if (diskless) continue;
    const std::string rd = r["name"];
    int status = 0;
    auto vd = h.Json("GET", "/v1/resource-definitions/" + rd + "/volume-definitions/0");
    auto j =
        h.Json("PUT", "/v1/resource-definitions/" + rd + "/volume-definitions/0",
               "{\"size_kib\":" + std::to_string(vd["size_kib"].get<int64_t>() * 2) + "}", &status);
    EXPECT_EQ(status, 500) << j.dump();
    EXPECT_EQ(CodeOf(j[0]["ret_code"].get<int64_t>()), rccode::kFailNotAllUpToDate);
    break;
  }
}

}  // namespace
}  // namespace lnsim::mock
