// `lnsim tail` lines: readable, one per event, with the fields that matter for the type.
#include "harness/tail.h"

#include <gtest/gtest.h>

namespace lnsim::harness {
namespace {

bridge::Event Sample(bridge::EventType type) {
  bridge::Event e;
  e.cluster = "prod";
  e.body.type = type;
  e.body.resource = "pvc-1";
  e.body.node = "node-2";
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = 4;
  e.time_unix_ns = 1'700'000'000'123'456'789;
  return e;
}

TEST(TailTest, AttachedLineHasTimeTypeResourceNodeAndIdentity) {
  const std::string line = FormatEventLine(Sample(bridge::EventType::kVolumeAttached));
  EXPECT_EQ(line.rfind("2023-11-14T22:13:20.123456789Z volume.attached", 0), 0u) << line;
  EXPECT_NE(line.find(" pvc-1 @node-2"), std::string::npos) << line;
  EXPECT_NE(line.find("seq=4 [prod/resource.pvc-1/4]"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(TailTest, TypeSpecificFields) {
  auto disk = Sample(bridge::EventType::kReplicaDiskStateChanged);
  disk.body.volume_number = 0;
  disk.body.old_state = "UpToDate";
  disk.body.new_state = "SyncTarget";
  disk.body.done_percentage = 42.17;
  EXPECT_NE(FormatEventLine(disk).find("vol 0  UpToDate -> SyncTarget (42.17%)"), std::string::npos)
      << FormatEventLine(disk);
  auto peer = Sample(bridge::EventType::kReplicaConnectionLost);
  peer.body.peer = "node-3";
  EXPECT_NE(FormatEventLine(peer).find("peer node-3"), std::string::npos);
  auto resized = Sample(bridge::EventType::kVolumeResized);
  resized.body.node.clear();
  resized.body.volume_number = 1;
  resized.body.old_size_kib = 1024;
  resized.body.new_size_kib = 2048;
  EXPECT_NE(FormatEventLine(resized).find("vol 1  1024 -> 2048 KiB"), std::string::npos)
      << FormatEventLine(resized);
  auto offline = Sample(bridge::EventType::kNodeOffline);
  offline.body.resource.clear();
  offline.body.old_state = "ONLINE";
  offline.body.new_state = "OFFLINE";
  offline.partition_key = bridge::PartitionKey(offline.body);
  const std::string line = FormatEventLine(offline);
  EXPECT_NE(line.find("node.offline"), std::string::npos) << line;
  EXPECT_NE(line.find(" node-2  ONLINE -> OFFLINE"), std::string::npos) << line;
}

TEST(TailTest, UndecodableLineNamesSubjectAndReason) {
  const std::string line =
      FormatUndecodableLine("linstor.v1.x", "{oops\n}", InvalidArgumentError("not JSON"));
  EXPECT_EQ(line, "linstor.v1.x undecodable: not JSON: {oops }");
}

}  // namespace
}  // namespace lnsim::harness
