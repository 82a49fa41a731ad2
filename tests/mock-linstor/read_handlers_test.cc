// The read endpoints over a hand-built cluster: shapes, NON_EMPTY omission, filters (repeated
// keys, case-insensitive, props), paging, single-object 404s and what an offline node hides
// (LINSTOR-API.md 1, 2 and 6).
#include <gtest/gtest.h>

#include "mock-linstor/rest.h"
#include "tests/mock-linstor/testutil_cluster.h"

namespace lnsim::mock {
namespace {

using testing::Get;
using testing::ParseBody;
using testing::SmallCluster;

TEST(ReadHandlers, ControllerVersionReports1_28_0) {
  const auto r = Get(SmallCluster(), "/v1/controller/version");
  ASSERT_EQ(r.status, 200);
  const auto j = ParseBody(r);
  EXPECT_EQ(j["rest_api_version"], "1.28.0");
  EXPECT_EQ(j["git_hash"].get<std::string>().size(), 40u);
  EXPECT_TRUE(j.contains("version"));
  EXPECT_TRUE(j.contains("build_time"));
}

TEST(ReadHandlers, ControllerPropertiesIsAFlatMap) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/controller/properties"));
  ASSERT_TRUE(j.is_object());
  for (const auto& [k, v] : j.items()) EXPECT_TRUE(v.is_string()) << k;
}

TEST(ReadHandlers, NodeListShapeAndOrder) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/nodes"));
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["name"], "node-a");
  EXPECT_EQ(j[0]["type"], "SATELLITE");
  EXPECT_EQ(j[0]["connection_status"], "ONLINE");
  EXPECT_EQ(j[0]["net_interfaces"][0]["address"], "10.0.0.11");
  EXPECT_EQ(j[0]["net_interfaces"][0]["satellite_port"], 3366);
  EXPECT_FALSE(j[0].contains("flags")) << "NON_EMPTY: no flags key without flags";
  EXPECT_FALSE(j[0].contains("eviction_timestamp"));
  EXPECT_EQ(j[0]["uuid"].get<std::string>().size(), 36u);
}

TEST(ReadHandlers, UuidsAreDeterministic) {
  EXPECT_EQ(Get(SmallCluster(), "/v1/nodes").body, Get(SmallCluster(), "/v1/nodes").body);
  const auto j = ParseBody(Get(SmallCluster(), "/v1/nodes"));
  EXPECT_NE(j[0]["uuid"], j[1]["uuid"]);
  EXPECT_EQ(j[0]["uuid"].get<std::string>()[8], '-');
}

TEST(ReadHandlers, RepeatedKeyFiltersAndCaseInsensitiveNames) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/nodes?nodes=NODE-A&nodes=node-c"));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["name"], "node-a");
  EXPECT_EQ(j[1]["name"], "node-c");
  // A comma list is not split by the server.
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/nodes?nodes=node-a,node-b")).size(), 0u);
  // Single objects by any case.
  const auto one = Get(SmallCluster(), "/v1/nodes/Node-B");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(ParseBody(one)["name"], "node-b");
  EXPECT_TRUE(ParseBody(one).is_object());
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/resource-definitions/OTHER"))["name"], "Other");
}

TEST(ReadHandlers, UnknownQueryParametersAreIgnored) {
  EXPECT_EQ(Get(SmallCluster(), "/v1/nodes?cached=true&limit=0&offset=0").body,
            Get(SmallCluster(), "/v1/nodes").body);
  EXPECT_EQ(Get(SmallCluster(), "/v1/view/resources?cached=true&bogus=1").body,
            Get(SmallCluster(), "/v1/view/resources").body);
}

TEST(ReadHandlers, PropsFilters) {
  MockState state;
  state.props["node:node-b"]["Aux/zone"] = "east";
  state.props["node:node-c"]["Aux/zone"] = "west";
  auto names = [&](const std::string& target) {
    std::vector<std::string> out;
    for (const auto& n : ParseBody(Get(SmallCluster(), target, state))) out.push_back(n["name"]);
    return out;
  };
  EXPECT_EQ(names("/v1/nodes?props=Aux/zone"), (std::vector<std::string>{"node-b", "node-c"}));
  EXPECT_EQ(names("/v1/nodes?props=Aux/zone=west"), (std::vector<std::string>{"node-c"}));
  EXPECT_EQ(names("/v1/nodes?props=Aux/zone&props=NodeUname=node-b"),
            (std::vector<std::string>{"node-b"}));
  EXPECT_TRUE(names("/v1/nodes?props=Aux/nothing").empty());
}

TEST(ReadHandlers, PagingLimitZeroIsEverythingAndNoCapAt50) {
  sim::Cluster c = SmallCluster();
  for (int i = 0; i < 120; ++i) {
    sim::ResourceDefinition rd;
    char name[16];
    std::snprintf(name, sizeof(name), "r%03d", i);
    rd.name = name;
    c.rds.push_back(rd);
  }
  EXPECT_EQ(ParseBody(Get(c, "/v1/resource-definitions")).size(), 122u);
  EXPECT_EQ(ParseBody(Get(c, "/v1/resource-definitions?limit=0&offset=7")).size(), 122u);
  EXPECT_EQ(ParseBody(Get(c, "/v1/resource-definitions?limit=100")).size(), 100u);
  const auto page = ParseBody(Get(c, "/v1/resource-definitions?limit=2&offset=3"));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]["name"], "r001");  // sorted: demo, Other, r000, r001, ...
  EXPECT_EQ(ParseBody(Get(c, "/v1/resource-definitions?limit=5&offset=500")).size(), 0u);
}

TEST(ReadHandlers, NotFoundIs404WithApiCallRcListWithoutMasks) {
  const auto r = Get(SmallCluster(), "/v1/nodes/nosuch");
  EXPECT_EQ(r.status, 404);
  const auto j = ParseBody(r);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j[0]["ret_code"], -4611686018427387604LL);
  EXPECT_EQ(j[0]["message"], "Node 'nosuch' not found.");
  const auto rd = ParseBody(Get(SmallCluster(), "/v1/resource-definitions/nosuch"));
  EXPECT_EQ(rd[0]["ret_code"], -4611686018427387603LL);
  EXPECT_EQ(rd[0]["message"], "Resource definition 'nosuch' not found.");
  EXPECT_EQ(Get(SmallCluster(), "/v1/resource-definitions/nosuch/resources").status, 404);
  EXPECT_EQ(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/nosuch").status, 404);
  EXPECT_EQ(ParseBody(Get(SmallCluster(),
                          "/v1/resource-definitions/demo/resources/nosuch"))[0]["message"],
            "Resource 'demo' on 'nosuch' not found.");
  EXPECT_EQ(Get(SmallCluster(), "/v1/resource-definitions/demo/volume-definitions/9").status, 404);
  EXPECT_EQ(Get(SmallCluster(), "/v1/resource-groups/nosuch").status, 404);
  EXPECT_EQ(Get(SmallCluster(), "/v1/nodes/node-a/storage-pools/nosuch").status, 404);
  EXPECT_EQ(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-a/volumes/7").status,
            404);
}

TEST(ReadHandlers, UnknownPathIsNonJson404) {
  const auto r = Get(SmallCluster(), "/v1/no-such-thing");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.content_type, "application/json");
  EXPECT_EQ(Get(SmallCluster(), "/v2/nodes").status, 404);
}

TEST(ReadHandlers, StoragePoolsOnlineAndViewFilters) {
  const auto all = ParseBody(Get(SmallCluster(), "/v1/view/storage-pools"));
  ASSERT_EQ(all.size(), 6u);
  const auto p =
      ParseBody(Get(SmallCluster(), "/v1/view/storage-pools?storage_pools=POOL1&nodes=node-b"));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["node_name"], "node-b");
  EXPECT_EQ(p[0]["provider_kind"], "LVM_THIN");
  EXPECT_EQ(p[0]["free_space_mgr_name"], "node-b;pool1");
  EXPECT_EQ(p[0]["total_capacity"], 104857600);
  EXPECT_EQ(p[0]["free_capacity"], 104857600 - 1048576);
  EXPECT_FALSE(p[0].contains("reports"));
  const auto diskless =
      ParseBody(Get(SmallCluster(), "/v1/nodes/node-a/storage-pools/DfltDisklessStorPool"));
  EXPECT_EQ(diskless["provider_kind"], "DISKLESS");
  EXPECT_EQ(diskless["free_capacity"], 9223372036854775807LL);
  // The per-node list ignores the view filters.
  EXPECT_EQ(
      ParseBody(Get(SmallCluster(), "/v1/nodes/node-a/storage-pools?storage_pools=pool1")).size(),
      2u);
}

TEST(ReadHandlers, ResourceDefinitionsWithAndWithoutVolumeDefinitions) {
  const auto plain = ParseBody(Get(SmallCluster(), "/v1/resource-definitions"));
  for (const auto& rd : plain) EXPECT_FALSE(rd.contains("volume_definitions"));
  const auto with =
      ParseBody(Get(SmallCluster(), "/v1/resource-definitions?with_volume_definitions=true"));
  ASSERT_EQ(with.size(), 2u);
  EXPECT_EQ(with[0]["name"], "demo");
  EXPECT_EQ(with[0]["volume_definitions"][0]["size_kib"], 1048576);
  EXPECT_EQ(with[0]["volume_definitions"][0]["volume_number"], 0);
  EXPECT_EQ(with[1]["volume_definitions"].size(), 2u);
  EXPECT_EQ(with[0]["layer_data"][0]["type"], "DRBD");
  EXPECT_EQ(with[0]["layer_data"][0]["data"]["port"], 7000);
  EXPECT_EQ(with[1]["resource_group_name"], "rg1");
  EXPECT_FALSE(with[0].contains("flags"));
  const auto vd =
      ParseBody(Get(SmallCluster(), "/v1/resource-definitions/other/volume-definitions/1"));
  EXPECT_EQ(vd["size_kib"], 4194304);
  EXPECT_EQ(vd["layer_data"][0]["data"]["minor_number"], 1002);
}

TEST(ReadHandlers, ResourceViewShape) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/view/resources?resources=demo"));
  ASSERT_EQ(j.size(), 3u);
  const auto& a = j[0];
  EXPECT_EQ(a["name"], "demo");
  EXPECT_EQ(a["node_name"], "node-a");
  EXPECT_EQ(a["props"]["StorPoolName"], "pool1");
  EXPECT_FALSE(a.contains("flags"));
  EXPECT_EQ(a["layer_object"]["type"], "DRBD");
  EXPECT_EQ(a["layer_object"]["children"][0]["type"], "STORAGE");
  EXPECT_EQ(a["layer_object"]["drbd"]["connections"]["node-b"]["connected"], true);
  EXPECT_EQ(a["layer_object"]["drbd"]["connections"]["node-b"]["message"], "Connected");
  EXPECT_EQ(a["layer_object"]["drbd"]["may_promote"], false);
  EXPECT_EQ(a["layer_object"]["drbd"]["promotion_score"], 10102);
  EXPECT_EQ(a["state"]["in_use"], true);
  EXPECT_EQ(a["volumes"][0]["state"]["disk_state"], "UpToDate");
  EXPECT_EQ(a["volumes"][0]["state"]["replication_states"]["node-b"]["replication_state"],
            "SyncSource");
  EXPECT_NEAR(
      a["volumes"][0]["state"]["replication_states"]["node-b"]["done_percentage"].get<double>(),
      42.17, 0.01);
  EXPECT_FALSE(a["volumes"][0].contains("usable_size_kib"));
  EXPECT_EQ(a["layer_object"]["children"][0]["storage"]["storage_volumes"][0]["disk_state"], "[]");
  // The SyncTarget's disk state is the satellite's formatted string.
  EXPECT_EQ(j[1]["volumes"][0]["state"]["disk_state"], "SyncTarget(42.17%)");
  // The diskless replica.
  const auto& c = j[2];
  EXPECT_EQ(c["flags"], nlohmann::json({"DISKLESS", "DRBD_DISKLESS"}));
  EXPECT_FALSE(c["layer_object"].contains("children"));
  EXPECT_EQ(c["volumes"][0]["storage_pool_name"], "DfltDisklessStorPool");
  EXPECT_EQ(c["volumes"][0]["provider_kind"], "DISKLESS");
  EXPECT_EQ(c["volumes"][0]["state"]["disk_state"], "Diskless");
}

TEST(ReadHandlers, ResourceViewFilters) {
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/view/resources")).size(), 4u);
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/view/resources?nodes=NODE-B")).size(), 2u);
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/view/resources?nodes=node-a&resources=DEMO")).size(),
            1u);
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/view/resources?storage_pools=pool1")).size(), 3u);
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/view/resources?limit=1&offset=3"))[0]["name"],
            "Other");
  EXPECT_EQ(
      ParseBody(Get(SmallCluster(), "/v1/view/resources?props=StorPoolName=DfltDisklessStorPool"))
          .size(),
      1u);
}

TEST(ReadHandlers, PerRdResourcesHaveNoVolumesButVolumesEndpointHasState) {
  const auto list = ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources"));
  ASSERT_EQ(list.size(), 3u);
  for (const auto& r : list) {
    EXPECT_FALSE(r.contains("volumes"));
    EXPECT_TRUE(r.contains("state"));
  }
  const auto vols =
      ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-b/volumes"));
  ASSERT_EQ(vols.size(), 1u);
  EXPECT_TRUE(vols[0].contains("state"));
  const auto vol =
      ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-b/volumes/0"));
  EXPECT_EQ(vol["volume_number"], 0);
}

TEST(ReadHandlers, OfflineNodeHidesLiveStateAndPoolCapacity) {
  sim::Cluster c = SmallCluster();
  c.nodes[1].connection = sim::NodeConnection::kOffline;  // node-b
  const auto nodes = ParseBody(Get(c, "/v1/nodes/node-b"));
  EXPECT_EQ(nodes["connection_status"], "OFFLINE");
  EXPECT_FALSE(nodes.contains("flags"));
  const auto view = ParseBody(Get(c, "/v1/view/resources?nodes=node-b&resources=demo"));
  ASSERT_EQ(view.size(), 1u);
  const auto& b = view[0];
  EXPECT_FALSE(b.contains("state"));
  EXPECT_FALSE(b["layer_object"]["drbd"].contains("connections"));
  EXPECT_FALSE(b["layer_object"]["drbd"].contains("promotion_score"));
  EXPECT_FALSE(b["layer_object"]["drbd"].contains("may_promote"));
  EXPECT_FALSE(b["volumes"][0].contains("state"));
  EXPECT_FALSE(b["volumes"][0].contains("allocated_size_kib"));
  // Stored data is unchanged.
  EXPECT_EQ(b["props"]["StorPoolName"], "pool1");
  EXPECT_EQ(b["volumes"][0]["device_path"], "/dev/drbd1000");
  EXPECT_TRUE(b["layer_object"]["drbd"].contains("drbd_volumes"));
  // The other nodes still show their own live state.
  const auto a = ParseBody(Get(c, "/v1/view/resources?nodes=node-a&resources=demo"))[0];
  EXPECT_TRUE(a.contains("state"));
  // Pools of the lost node: no capacities, a WARN_NOT_CONNECTED report.
  const auto pools = ParseBody(Get(c, "/v1/view/storage-pools?nodes=node-b"));
  ASSERT_EQ(pools.size(), 2u);
  for (const auto& p : pools) {
    EXPECT_FALSE(p.contains("free_capacity"));
    EXPECT_FALSE(p.contains("total_capacity"));
    ASSERT_TRUE(p.contains("reports"));
    EXPECT_EQ(p["reports"][0]["ret_code"], -9223372036854774806LL);
    EXPECT_EQ(p["reports"][0]["message"], "No active connection to satellite 'node-b'");
    EXPECT_TRUE(p.contains("free_space_mgr_name"));
  }
}

TEST(ReadHandlers, EvictedNodeFlagsListDeleteToo) {
  sim::Cluster c = SmallCluster();
  c.nodes[2].flags = sim::kNodeEvicted;
  EXPECT_EQ(ParseBody(Get(c, "/v1/nodes/node-c"))["flags"], nlohmann::json({"DELETE", "EVICTED"}));
}

TEST(ReadHandlers, ResourceGroupsAndVolumeGroups) {
  const auto rgs = ParseBody(Get(SmallCluster(), "/v1/resource-groups"));
  ASSERT_EQ(rgs.size(), 2u);
  EXPECT_EQ(rgs[0]["name"], "DfltRscGrp");
  EXPECT_EQ(rgs[0]["select_filter"], nlohmann::json({{"place_count", 2}}));
  EXPECT_FALSE(rgs[0].contains("description"));
  EXPECT_FALSE(rgs[0].contains("props"));
  EXPECT_EQ(rgs[1]["select_filter"]["storage_pool_list"], nlohmann::json({"pool1"}));
  EXPECT_EQ(ParseBody(Get(SmallCluster(), "/v1/resource-groups?resource_groups=RG1")).size(), 1u);
  const auto vgs = ParseBody(Get(SmallCluster(), "/v1/resource-groups/DfltRscGrp/volume-groups"));
  EXPECT_TRUE(vgs.is_array());
  EXPECT_EQ(vgs.size(), 0u);
}

}  // namespace
}  // namespace lnsim::mock
