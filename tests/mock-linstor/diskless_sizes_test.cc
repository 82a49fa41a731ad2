// Diskless DRBD volumes (diskless clients, TieBreakers) carry allocated_size_kib and
// usable_size_kib in their DRBD layer data, in the resource lists and in the volume lists:
// python-linstor's DrbdVolumeData reads both by subscript (`-m --output-version v0 resource
// list` raised KeyError 'allocated_size_kib', issue 17).
#include <gtest/gtest.h>

#include "tests/mock-linstor/testutil_cluster.h"

namespace lnsim::mock {
namespace {

using testing::Get;
using testing::ParseBody;
using testing::SmallCluster;

void ExpectDrbdSizes(const nlohmann::json& drbd_volume, int64_t allocated, int64_t usable,
                     const std::string& where) {
  ASSERT_TRUE(drbd_volume.contains("allocated_size_kib")) << where << ": " << drbd_volume.dump();
  ASSERT_TRUE(drbd_volume.contains("usable_size_kib")) << where << ": " << drbd_volume.dump();
  EXPECT_EQ(drbd_volume["allocated_size_kib"], allocated) << where;
  EXPECT_EQ(drbd_volume["usable_size_kib"], usable) << where;
}

TEST(DisklessSizes, ResourceLayerDataOfADisklessReplicaHasBothSizes) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-c"));
  ASSERT_EQ(j["flags"], nlohmann::json({"DISKLESS", "DRBD_DISKLESS"}));
  ExpectDrbdSizes(j["layer_object"]["drbd"]["drbd_volumes"][0], -1, 1048576, "resource");
}

TEST(DisklessSizes, ViewAndVolumeListOfADisklessReplicaHaveBothSizes) {
  const auto view = ParseBody(Get(SmallCluster(), "/v1/view/resources?nodes=node-c"));
  ASSERT_EQ(view.size(), 1u);
  ExpectDrbdSizes(view[0]["layer_object"]["drbd"]["drbd_volumes"][0], -1, 1048576, "view");
  const auto volumes =
      ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-c/volumes"));
  ASSERT_EQ(volumes.size(), 1u);
  const auto& layers = volumes[0]["layer_data_list"];
  ASSERT_EQ(layers.size(), 1u) << "a diskless volume has only its DRBD layer";
  ExpectDrbdSizes(layers[0]["data"], -1, 1048576, "volume list");
}

TEST(DisklessSizes, DiskfulReplicaKeepsItsSizes) {
  const auto j = ParseBody(Get(SmallCluster(), "/v1/resource-definitions/demo/resources/node-b"));
  ExpectDrbdSizes(j["layer_object"]["drbd"]["drbd_volumes"][0], 1048576, 1048576, "diskful");
}

}  // namespace
}  // namespace lnsim::mock
