// The snapshot endpoints (mock-linstor/handlers/snapshots.cc) as the spec's Snapshot schema and
// LINSTOR's controller define them: create (201, MASK_CRT|MASK_SNAPSHOT), list per RD and
// /v1/view/snapshots, get one (404 FAIL_NOT_FOUND_SNAPSHOT_DFN), delete, restore into a new RD,
// the RD delete refusal while snapshots exist, and the thick-LVM refusal.
#include <gtest/gtest.h>

#include "mock-linstor/api_rc.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock {
namespace {

using testing::CreateDefinition;
using testing::SmallSpec;
using testing::WorldHarness;

void Deploy(WorldHarness& h, const std::string& name) {
  CreateDefinition(h, name);
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions/" + name + "/autoplace",
                 R"({"select_filter":{"place_count":2}})")
                .status,
            201);
}

int64_t FirstCode(const nlohmann::json& answer) { return answer.at(0).at("ret_code"); }

TEST(SnapshotHandlers, CreateListGetDeleteWithTheSpecsShape) {
  WorldHarness h(SmallSpec());
  Deploy(h, "SNAPRD");
  int status = 0;
  auto j =
      h.Json("POST", "/v1/resource-definitions/SNAPRD/snapshots", R"({"name":"snap1"})", &status);
  ASSERT_EQ(status, 201) << j.dump();
  EXPECT_EQ(FirstCode(j), RetCode(0, rcmask::kCreate, rcmask::kSnapshot, rccode::kCreated));
  auto list = h.Json("GET", "/v1/resource-definitions/snaprd/snapshots", "", &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(list.size(), 1u) << list.dump();
  const auto& snap = list[0];
  EXPECT_EQ(snap["name"], "snap1");
  EXPECT_EQ(snap["resource_name"], "SNAPRD");
  EXPECT_EQ(snap["nodes"].size(), 2u) << "both diskful replicas, not the tiebreaker";
  EXPECT_EQ(snap["volume_definitions"][0]["size_kib"], 1048576);
  ASSERT_EQ(snap["snapshots"].size(), 2u);
  EXPECT_EQ(snap["snapshots"][0]["snapshot_name"], "snap1");
  EXPECT_EQ(snap["snapshots"][0]["snapshot_volumes"][0]["vlm_nr"], 0);
  EXPECT_TRUE(snap["snapshots"][0]["create_timestamp"].is_number_integer());
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/SNAPRD/snapshots/SNAP1")["name"], "snap1");
  auto view = h.Json("GET", "/v1/view/snapshots?resources=snaprd");
  ASSERT_EQ(view.size(), 1u);
  EXPECT_EQ(h.Json("GET", "/v1/view/snapshots?resources=other").size(), 0u);
  j = h.Json("DELETE", "/v1/resource-definitions/SNAPRD/snapshots/snap1", "", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(FirstCode(j), RetCode(0, rcmask::kDelete, rcmask::kSnapshot, rccode::kDeleted));
  j = h.Json("GET", "/v1/resource-definitions/SNAPRD/snapshots/snap1", "", &status);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(CodeOf(FirstCode(j)), rccode::kFailNotFoundSnapshotDfn);
  EXPECT_TRUE(h.Json("GET", "/v1/view/snapshots").empty());
}

TEST(SnapshotHandlers, DefinitionWithSnapshotsIsNotDeleted) {
  WorldHarness h(SmallSpec());
  Deploy(h, "KEEP");
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions/KEEP/snapshots", R"({"name":"s1"})").status,
            201);
  int status = 0;
  auto j = h.Json("DELETE", "/v1/resource-definitions/KEEP", "", &status);
  EXPECT_EQ(status, 500) << j.dump();
  EXPECT_EQ(FirstCode(j), RetCode(rcmask::kError, rcmask::kDelete, rcmask::kRscDfn, 514));
  EXPECT_EQ(j[0]["message"], "Cannot delete resource definition 'KEEP' because it has snapshots.");
  EXPECT_EQ(h.Do("GET", "/v1/resource-definitions/KEEP").status, 200);
}

TEST(SnapshotHandlers, RestoreIntoANewDefinition) {
  WorldHarness h(SmallSpec());
  Deploy(h, "ORIG");
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions/ORIG/snapshots", R"({"name":"s1"})").status,
            201);
  ASSERT_EQ(
      h.Do("POST", "/v1/resource-definitions", R"({"resource_definition":{"name":"COPY"}})").status,
      201);
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions/ORIG/snapshot-restore-volume-definition/s1",
                  R"({"to_resource":"COPY"})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/COPY/volume-definitions")[0]["size_kib"],
            1048576);
  j = h.Json("POST", "/v1/resource-definitions/ORIG/snapshot-restore-resource/s1",
             R"({"to_resource":"COPY"})", &status);
  ASSERT_EQ(status, 200) << j.dump();
  EXPECT_EQ(h.Json("GET", "/v1/resource-definitions/COPY/resources").size(), 2u);
  // An object is no string even for Jackson (a number would be coerced): API_CALL_PARSE_ERROR,
  // 500 as on every asynchronous call.
  j = h.Json("POST", "/v1/resource-definitions/ORIG/snapshot-restore-resource/s1",
             R"({"to_resource":{}})", &status);
  EXPECT_EQ(status, 500) << j.dump();
  EXPECT_EQ(FirstCode(j), kApiCallParseError);
}

TEST(SnapshotHandlers, ThickLvmAnswersFailSnapshotsNotSupported) {
  sim::WorldSpec spec = SmallSpec();
  spec.cluster.pool_kind = sim::ProviderKind::kLvm;
  WorldHarness h(spec);
  Deploy(h, "THICK");
  int status = 0;
  auto j = h.Json("POST", "/v1/resource-definitions/THICK/snapshots", R"({"name":"s1"})", &status);
  EXPECT_EQ(status, 500) << j.dump();
  EXPECT_EQ(FirstCode(j), RetCode(rcmask::kError, rcmask::kCreate, rcmask::kSnapshot, 994));
  EXPECT_EQ(j[0]["message"], "Storage driver 'LVM' does not support snapshots.");
  EXPECT_TRUE(h.Json("GET", "/v1/view/snapshots").empty());
  auto pools = h.Json("GET", "/v1/view/storage-pools");
  for (const auto& pool : pools) {
    if (pool["provider_kind"] == "LVM") {
      EXPECT_EQ(pool["supports_snapshots"], false);
    }
  }
}

}  // namespace
}  // namespace lnsim::mock
