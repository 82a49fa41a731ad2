// Each domain invariant (harness/invariants.h) is trusted only after a planted violation shows it
// failing: crafted world traces and crafted delivered streams, each broken in exactly one way,
// next to a near miss that must stay clean.
#include "harness/invariants.h"

#include <gtest/gtest.h>

#include "sim/world.h"

namespace lnsim::harness {
namespace {

using sim::Attribute;
using sim::EntityKind;
using sim::kAbsent;

class WorldInvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::WorldSpec spec;
    spec.cluster.nodes = 3;
    spec.cluster.resources = 2;
    auto world = sim::World::Create(spec, 1);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    cluster_ = (*world)->cluster();
  }
  void Add(int64_t t, sim::EntityRef e, Attribute attr, int64_t from, int64_t to,
           const std::string& cause = "init") {
    sim::Transition tr;
    tr.time_ns = t;
    tr.seq = ++seq_;
    tr.entity = e;
    tr.attr = attr;
    tr.old_value = from;
    tr.new_value = to;
    tr.cause = log_.InternCause(cause);
    log_.Append(tr);
  }
  std::vector<InvariantViolation> Check() { return CheckWorldTrace(cluster_, log_); }

  sim::Cluster cluster_;
  sim::TraceLog log_;
  uint64_t seq_ = 0;
};

constexpr sim::EntityRef Vr(uint32_t rd, uint32_t node) {
  return {EntityKind::kVolumeReplica, rd, node, 0};
}

TEST_F(WorldInvariantsTest, ResyncProgressGoingDownIsCaughtWithItsHistory) {
  Add(1, Vr(0, 1), Attribute::kDiskState, 9, 6);  // UpToDate -> Outdated
  Add(2, Vr(0, 1), Attribute::kDonePercentage, kAbsent, 1000);
  Add(3, Vr(0, 1), Attribute::kDonePercentage, 1000, 5000);
  Add(4, Vr(0, 1), Attribute::kDonePercentage, 5000, 3000);  // planted
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "resync-progress");
  EXPECT_EQ(v[0].where, "world");
  EXPECT_NE(v[0].event.find("done_percentage"), std::string::npos) << v[0].event;
  EXPECT_EQ(v[0].history.size(), 3u);
  EXPECT_NE(v[0].ToString().find("history:"), std::string::npos);
}

TEST_F(WorldInvariantsTest, ANewResyncMayStartLower) {
  Add(2, Vr(0, 1), Attribute::kDonePercentage, kAbsent, 8000);
  Add(3, Vr(0, 1), Attribute::kDiskState, 4, 6);  // the resync ended (Inconsistent -> Outdated)
  Add(4, Vr(0, 1), Attribute::kDonePercentage, 8000, 1000);
  EXPECT_TRUE(Check().empty());
}

TEST_F(WorldInvariantsTest, AttachOfADeletedResourceIsCaught) {
  Add(1, {EntityKind::kReplica, 0, 1}, Attribute::kInUse, 0, 1);  // fine: it exists
  Add(2, {EntityKind::kReplica, 0, 1}, Attribute::kInUse, 1, 0);
  Add(3, {EntityKind::kResourceDefinition, 0}, Attribute::kExists, 1, 0);
  Add(4, {EntityKind::kReplica, 0, 1}, Attribute::kInUse, 0, 1);  // planted
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "attach-after-delete");
  EXPECT_NE(v[0].what.find("resource"), std::string::npos);
  EXPECT_FALSE(v[0].history.empty());
}

TEST_F(WorldInvariantsTest, SizeChangesOnlyGrowAndOnlyThroughAResize) {
  const sim::EntityRef vd{EntityKind::kVolumeDefinition, 0, 0};
  Add(1, vd, Attribute::kSizeKib, 1000, 1250, "workload:resize");    // fine
  Add(2, vd, Attribute::kSizeKib, 1250, 1500, "fault:resize-wave");  // fine
  Add(3, vd, Attribute::kSizeKib, 1500, 1400, "workload:resize");    // planted: shrink
  Add(4, vd, Attribute::kSizeKib, 1400, 2000, "workload:attach");    // planted: not a resize
  auto v = Check();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].invariant, "size-by-resize");
  EXPECT_NE(v[0].what.find("shrank"), std::string::npos);
  EXPECT_NE(v[1].what.find("without a resize"), std::string::npos);
  EXPECT_NE(v[1].what.find("workload:attach"), std::string::npos);
}

TEST_F(WorldInvariantsTest, ADeadHostChangesNoLiveState) {
  Add(10, {EntityKind::kNode, 1}, Attribute::kSatelliteUp, 1, 0);
  Add(10, Vr(0, 1), Attribute::kDiskState, 9, 7);  // torn down at the crash instant: allowed
  Add(11, Vr(1, 2), Attribute::kDiskState, 9, 7);  // another node: fine
  Add(20, {EntityKind::kPeerLink, 0, 1, 2}, Attribute::kConnState, 9, 5);  // planted
  Add(30, {EntityKind::kNode, 1}, Attribute::kSatelliteUp, 0, 1);
  Add(31, Vr(0, 1), Attribute::kDiskState, 7, 6);  // back up: fine
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "offline-live-state");
  EXPECT_NE(v[0].event.find("conn_state"), std::string::npos) << v[0].event;
}

// ---- delivered streams ------------------------------------------------------------------------

class StreamInvariantsTest : public ::testing::Test {
 protected:
  bridge::Event Ev(bridge::EventType type, int64_t t, const std::string& resource,
                   const std::string& node = "") {
    bridge::Event e;
    e.cluster = "lnsim";
    e.body.type = type;
    e.body.resource = resource;
    e.body.node = node;
    e.time_unix_ns = t;
    e.partition_key = bridge::PartitionKey(e.body);
    e.sequence = ++sequences_[e.partition_key];
    return e;
  }
  bridge::Event Sync(int64_t t, double done) {
    bridge::Event e = Ev(bridge::EventType::kReplicaDiskStateChanged, t, "pvc-a", "node-2");
    e.body.volume_number = 0;
    e.body.old_state = "Outdated";
    e.body.new_state = "SyncTarget";
    e.body.done_percentage = done;
    return e;
  }
  std::vector<InvariantViolation> Check() { return CheckDeliveredStream(events_, facts_, "js-1"); }

  std::map<std::string, uint64_t> sequences_;
  std::vector<bridge::Event> events_;
  WorldFacts facts_;
};

TEST_F(StreamInvariantsTest, ResyncProgressGoingDownIsCaught) {
  events_ = {Sync(100, 10), Sync(200, 60), Sync(300, 40)};  // planted
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "resync-progress");
  EXPECT_EQ(v[0].where, "consumer js-1");
  EXPECT_EQ(v[0].history.size(), 2u);
}

TEST_F(StreamInvariantsTest, ResyncRestartedByTheWorldIsNotAViolation) {
  events_ = {Sync(100, 10), Sync(200, 60), Sync(300, 40)};
  facts_.resync_resets_ns["pvc-a/node-2/0"] = {250};  // the world restarted the resync
  EXPECT_TRUE(Check().empty());
}

TEST_F(StreamInvariantsTest, AttachAfterTheResourceWasDeletedIsCaught) {
  events_ = {Ev(bridge::EventType::kVolumeAttached, 100, "pvc-a", "node-1"),
             Ev(bridge::EventType::kResourceDeleted, 200, "pvc-a"),
             Ev(bridge::EventType::kVolumeAttached, 300, "pvc-a", "node-1")};  // planted
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "attach-after-delete");
  EXPECT_NE(v[0].history.back().find("resource.deleted"), std::string::npos);
}

TEST_F(StreamInvariantsTest, ShrinkingOrUnknownSizesAreCaught) {
  facts_.vd_sizes_kib["pvc-a/0"] = {1000, 1250, 1500};
  auto resized = [&](int64_t t, int64_t from, int64_t to) {
    bridge::Event e = Ev(bridge::EventType::kVolumeResized, t, "pvc-a");
    e.body.volume_number = 0;
    e.body.old_size_kib = from;
    e.body.new_size_kib = to;
    return e;
  };
  events_ = {resized(100, 1000, 1500),   // fine: coalesced 1000 -> 1250 -> 1500
             resized(200, 1500, 1250),   // planted: shrink
             resized(300, 1250, 1700)};  // planted: never a world size
  auto v = Check();
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NE(v[0].what.find("shrank"), std::string::npos);
  EXPECT_NE(v[1].what.find("never had"), std::string::npos);
}

TEST_F(StreamInvariantsTest, LiveStateWhileTheNodeIsOfflineIsCaught) {
  bridge::Event off = Ev(bridge::EventType::kNodeOffline, 100, "", "node-2");
  bridge::Event same_poll = Sync(100, 10);  // same poll as the offline event: counts as offline
  bridge::Event on = Ev(bridge::EventType::kNodeOnline, 300, "", "node-2");
  bridge::Event after = Sync(300, 20);  // same poll as online: fine
  events_ = {off, same_poll, on, after};
  auto v = Check();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].invariant, "offline-live-state");
  EXPECT_NE(v[0].what.find("node-2"), std::string::npos);
}

TEST_F(StreamInvariantsTest, ACleanStreamPasses) {
  facts_.vd_sizes_kib["pvc-a/0"] = {1000};
  bridge::Event created = Ev(bridge::EventType::kResourceCreated, 50, "pvc-a");
  created.body.volumes = {{0, 1000, ""}};
  events_ = {created, Ev(bridge::EventType::kVolumeAttached, 60, "pvc-a", "node-1"), Sync(100, 10),
             Sync(200, 90)};
  EXPECT_TRUE(Check().empty());
}

}  // namespace
}  // namespace lnsim::harness
