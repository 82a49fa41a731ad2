// The DRBD failure state machines (FAILURES.md F1-F8): each test runs a small world through a
// fault and checks the per-replica transition sequences in the trace, plus the outcomes that
// follow from topology (quorum with 3 replicas, split brain with 2 and no tiebreaker).
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/sim/testutil_world.h"

namespace lnsim::sim {
namespace {

using std::chrono::seconds;
using testing::ConnOf;
using testing::Dump;
using testing::LinkOf;
using testing::MakeWorld;
using testing::PeerVolumeOf;
using testing::ReplicaAt;
using testing::ReplicaRefOf;
using testing::Sequence;
using testing::VolumeOf;

int64_t Ns(Duration d) { return d.count(); }
int64_t V(DiskState s) { return static_cast<int64_t>(s); }
int64_t V(ConnState s) { return static_cast<int64_t>(s); }
int64_t V(ReplState s) { return static_cast<int64_t>(s); }
int64_t V(NodeConnection s) { return static_cast<int64_t>(s); }

// One resource on node-1..node-N, nobody attached; big volumes and a fast writer so that the
// resyncs take long enough to show progress ticks.
WorldSpec OneResource(int nodes, int replicas, bool tiebreaker) {
  WorldSpec spec;
  spec.cluster.nodes = nodes;
  spec.cluster.resources = 1;
  spec.cluster.replicas = replicas;
  spec.cluster.tiebreaker = tiebreaker;
  spec.cluster.in_use_fraction = 0;
  spec.cluster.volume_size_min_kib = Kib{100} << 20;  // 100 GiB
  spec.cluster.volume_size_max_kib = Kib{100} << 20;
  spec.cluster.write_rate_kib = 100 * 1024;  // 100 MiB/s: 60 s away = 6000 MiB dirty = 60 s sync
  spec.duration = std::chrono::minutes(10);
  return spec;
}

FaultSpec Fault(FaultKind kind, int at_s, int duration_s, std::vector<std::string> nodes) {
  FaultSpec f;
  f.kind = kind;
  f.at = seconds(at_s);
  f.duration = seconds(duration_s);
  f.nodes = std::move(nodes);
  return f;
}

std::string Rd(const World& w) { return w.cluster().rds[0].name; }

// Times of the transitions of one entity/attribute.
std::vector<int64_t> Times(const World& w, const EntityRef& e, Attribute attr) {
  std::vector<int64_t> out;
  for (const Transition& t : w.trace().transitions()) {
    if (t.entity == e && t.attr == attr) out.push_back(t.time_ns);
  }
  return out;
}

bool Contains(const std::vector<int64_t>& seq, std::vector<int64_t> sub) {
  return std::search(seq.begin(), seq.end(), sub.begin(), sub.end()) != seq.end();
}

TEST(F1SecondaryCrash, SurvivorsDetectAndTheReturningNodeResyncs) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 60, {"node-2"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::minutes(5));

  // Survivors: Connected -> NetworkFailure -> Unconnected -> Connecting, then Connected again.
  for (const char* survivor : {"node-1", "node-3"}) {
    EXPECT_EQ(Sequence(*w, LinkOf(*w, rd, survivor, "node-2"), Attribute::kConnState),
              (std::vector<int64_t>{V(ConnState::kConnected), V(ConnState::kNetworkFailure),
                                    V(ConnState::kUnconnected), V(ConnState::kConnecting),
                                    V(ConnState::kConnected)}))
        << survivor;
    const auto repl = Sequence(*w, PeerVolumeOf(*w, rd, survivor, "node-2"), Attribute::kReplState);
    ASSERT_GE(repl.size(), 2u);
    EXPECT_EQ(repl[0], V(ReplState::kEstablished));
    EXPECT_EQ(repl[1], V(ReplState::kOff));
    EXPECT_EQ(repl.back(), V(ReplState::kEstablished));
    // Quorum holds with 2 of 3 and never flips on the survivors.
    EXPECT_TRUE(Sequence(*w, ReplicaRefOf(*w, rd, survivor), Attribute::kQuorum).empty());
  }
  // With I/O in flight (node-1 is Primary) DRBD's timeout (6 s) detects the loss.
  const auto t = Times(*w, LinkOf(*w, rd, "node-1", "node-2"), Attribute::kConnState);
  EXPECT_GE(t[0], Ns(seconds(16)));
  EXPECT_LE(t[0], Ns(seconds(17)));

  // Controller view vs truth, recorded separately; OFFLINE within the ping timeout.
  const EntityRef node2{EntityKind::kNode, w->FindNode("node-2")};
  EXPECT_EQ(Sequence(*w, node2, Attribute::kSatelliteUp), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(Sequence(*w, node2, Attribute::kConnection),
            (std::vector<int64_t>{V(NodeConnection::kOnline), V(NodeConnection::kOffline),
                                  V(NodeConnection::kConnected), V(NodeConnection::kOnline)}));
  EXPECT_LE(Times(*w, node2, Attribute::kConnection)[0], Ns(seconds(10)) + 500000000);

  // The returning disk: Outdated -> SyncTarget (Inconsistent with progress) -> UpToDate.
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDiskState),
            (std::vector<int64_t>{V(DiskState::kUpToDate), V(DiskState::kOutdated),
                                  V(DiskState::kInconsistent), V(DiskState::kUpToDate)}));
  const auto done = Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDonePercentage);
  ASSERT_GE(done.size(), 5u) << "resync progress must tick";
  EXPECT_EQ(done.front(), kAbsent);
  EXPECT_EQ(done[1], 0);
  EXPECT_EQ(done.back(), kAbsent);
  for (size_t i = 2; i + 1 < done.size(); ++i) EXPECT_GT(done[i], done[i - 1]);
  EXPECT_LT(done[done.size() - 2], 10000);
  // The returning node's view of its sync source: Off -> WFBitMapT -> SyncTarget -> Established.
  bool saw_target = false;
  for (const char* peer : {"node-1", "node-3"}) {
    const auto repl = Sequence(*w, PeerVolumeOf(*w, rd, "node-2", peer), Attribute::kReplState);
    if (Contains(repl, {V(ReplState::kOff), V(ReplState::kWFBitMapT), V(ReplState::kSyncTarget),
                        V(ReplState::kEstablished)})) {
      saw_target = true;
      EXPECT_TRUE(Contains(
          Sequence(*w, PeerVolumeOf(*w, rd, peer, "node-2"), Attribute::kReplState),
          {V(ReplState::kWFBitMapS), V(ReplState::kSyncSource), V(ReplState::kEstablished)}));
    }
  }
  EXPECT_TRUE(saw_target);
  // Everything converges.
  for (const char* n : {"node-1", "node-2", "node-3"}) {
    EXPECT_EQ(ReplicaAt(*w, rd, n).volumes[0].disk, DiskState::kUpToDate) << n;
  }
}

TEST(F1SecondaryCrash, IdleResourceReturnsWithoutResync) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 60, {"node-2"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  w->AdvanceTo(std::chrono::minutes(5));
  // Nobody wrote: same data generation, so the returning disk goes straight back to UpToDate.
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDiskState),
            (std::vector<int64_t>{V(DiskState::kUpToDate), V(DiskState::kOutdated),
                                  V(DiskState::kUpToDate)}));
  EXPECT_TRUE(Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDonePercentage).empty());
}

TEST(F2PrimaryCrash, HaControllerPromotesElsewhereAndOldPrimaryRejoinsAsSyncTarget) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 120, {"node-2"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-2", true).ok());
  w->AdvanceTo(std::chrono::minutes(6));

  // After the HA delay (45 s) exactly one survivor is promoted.
  int promoted = 0;
  for (const char* n : {"node-1", "node-3"}) {
    const auto in_use = Sequence(*w, ReplicaRefOf(*w, rd, n), Attribute::kInUse);
    if (!in_use.empty()) {
      ++promoted;
      EXPECT_EQ(in_use, (std::vector<int64_t>{0, 1}));
      EXPECT_EQ(Times(*w, ReplicaRefOf(*w, rd, n), Attribute::kInUse)[0], Ns(seconds(55)));
    }
    // Survivors may promote once the Primary is gone.
    EXPECT_TRUE(Contains(Sequence(*w, ReplicaRefOf(*w, rd, n), Attribute::kMayPromote), {0, 1}));
  }
  EXPECT_EQ(promoted, 1);
  // The old Primary comes back as Secondary and syncs what the new Primary wrote.
  EXPECT_EQ(Sequence(*w, ReplicaRefOf(*w, rd, "node-2"), Attribute::kInUse),
            (std::vector<int64_t>{0, 1, 0}));
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDiskState),
            (std::vector<int64_t>{V(DiskState::kUpToDate), V(DiskState::kOutdated),
                                  V(DiskState::kInconsistent), V(DiskState::kUpToDate)}));
}

TEST(F3QuorumLoss, TwoOfThreeDownFreezesTheSurvivor) {
  WorldSpec spec = OneResource(3, 3, false);
  FaultSpec f = Fault(FaultKind::kQuorumLoss, 10, 60, {});
  spec.faults.push_back(f);
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::seconds(40));

  ASSERT_EQ(w->fault_windows()[0].nodes, (std::vector<std::string>{"node-2", "node-3"}));
  const Replica& primary = ReplicaAt(*w, rd, "node-1");
  EXPECT_FALSE(primary.quorum);
  EXPECT_TRUE(primary.in_use);  // IO frozen, still Primary
  EXPECT_FALSE(primary.may_promote);
  EXPECT_EQ(primary.volumes[0].disk, DiskState::kUpToDate);
  w->AdvanceTo(std::chrono::minutes(3));
  EXPECT_EQ(Sequence(*w, ReplicaRefOf(*w, rd, "node-1"), Attribute::kQuorum),
            (std::vector<int64_t>{1, 0, 1}));
  // The returning nodes converge (the one lost first may resync what was written before the
  // second loss took quorum away).
  for (const char* n : {"node-1", "node-2", "node-3"}) {
    EXPECT_EQ(ReplicaAt(*w, rd, n).volumes[0].disk, DiskState::kUpToDate) << n;
    EXPECT_TRUE(ReplicaAt(*w, rd, n).quorum) << n;
  }
}

TEST(Topology, ThreeDiskfulKeepQuorumWhenOneNodeIsLost) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 0, {"node-3"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::minutes(2));
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-1").quorum);
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-2").quorum);
  EXPECT_EQ(ConnOf(*w, rd, "node-1", "node-3"), ConnState::kConnecting);
}

TEST(Topology, TwoDiskfulWithoutTiebreakerLoseQuorumNeverButSplitBrainOnPartition) {
  // Quorum is off for 2 diskful replicas: the HA controller promotes the isolated side's peer,
  // both write, and the reconnect finds diverged data: StandAlone on both, disks UpToDate.
  WorldSpec spec = OneResource(2, 2, /*tiebreaker=*/false);
  spec.faults.push_back(Fault(FaultKind::kPartition, 10, 120, {"node-1"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_EQ(w->cluster().rds[0].replicas.size(), 2u);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::minutes(5));

  EXPECT_TRUE(ReplicaAt(*w, rd, "node-1").in_use);
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-2").in_use);
  EXPECT_EQ(ConnOf(*w, rd, "node-1", "node-2"), ConnState::kStandAlone);
  EXPECT_EQ(ConnOf(*w, rd, "node-2", "node-1"), ConnState::kStandAlone);
  EXPECT_EQ(ReplicaAt(*w, rd, "node-1").volumes[0].disk, DiskState::kUpToDate);
  EXPECT_EQ(ReplicaAt(*w, rd, "node-2").volumes[0].disk, DiskState::kUpToDate);
}

TEST(Topology, DisklessTiebreakerPreventsTheSplitBrain) {
  // Same partition, but LINSTOR's tiebreaker on node-3 gives quorum to the side with two votes:
  // the isolated Primary freezes, the other side takes over, and the reconnect resyncs.
  WorldSpec spec = OneResource(3, 2, /*tiebreaker=*/true);
  spec.faults.push_back(Fault(FaultKind::kPartition, 10, 120, {"node-1"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_EQ(w->cluster().rds[0].replicas.size(), 3u);
  ASSERT_EQ(ReplicaAt(*w, rd, "node-3").kind, ReplicaKind::kTieBreaker);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::seconds(90));

  EXPECT_FALSE(ReplicaAt(*w, rd, "node-1").quorum);
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-2").quorum);
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-2").in_use);
  w->AdvanceTo(std::chrono::minutes(6));
  for (const Transition& t : w->trace().transitions()) {
    if (t.attr == Attribute::kConnState) {
      EXPECT_NE(t.new_value, V(ConnState::kStandAlone))
          << RenderTransition(w->cluster(), w->trace(), t);
    }
  }
  EXPECT_FALSE(ReplicaAt(*w, rd, "node-1").in_use);
  EXPECT_TRUE(Contains(Sequence(*w, VolumeOf(*w, rd, "node-1"), Attribute::kDiskState),
                       {V(DiskState::kInconsistent), V(DiskState::kUpToDate)}));
  EXPECT_EQ(ConnOf(*w, rd, "node-1", "node-2"), ConnState::kConnected);
}

TEST(F4SplitBrain, FaultPromotesBothSidesAndRecoveryDiscardsOne) {
  WorldSpec spec = OneResource(2, 2, false);
  FaultSpec f = Fault(FaultKind::kSplitBrain, 10, 60, {});
  f.params = "recover=30s";
  spec.faults.push_back(f);
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  w->AdvanceTo(std::chrono::seconds(85));

  ASSERT_TRUE(w->fault_windows()[0].fired) << w->fault_windows()[0].note;
  const std::string victim = w->fault_windows()[0].nodes[0];
  const std::string other = victim == "node-1" ? "node-2" : "node-1";
  EXPECT_EQ(ConnOf(*w, rd, victim, other), ConnState::kStandAlone);
  EXPECT_EQ(ConnOf(*w, rd, other, victim), ConnState::kStandAlone);
  EXPECT_TRUE(ReplicaAt(*w, rd, victim).in_use);
  EXPECT_TRUE(ReplicaAt(*w, rd, other).in_use);
  // Recovery 30 s after the heal; the discarded side resyncs its written data (thin volume).
  w->AdvanceTo(std::chrono::hours(1));
  EXPECT_FALSE(ReplicaAt(*w, rd, victim).in_use);
  EXPECT_TRUE(
      Contains(Sequence(*w, PeerVolumeOf(*w, rd, victim, other), Attribute::kReplState),
               {V(ReplState::kWFBitMapT), V(ReplState::kSyncTarget), V(ReplState::kEstablished)}));
  EXPECT_EQ(ConnOf(*w, rd, victim, other), ConnState::kConnected);
  EXPECT_EQ(ReplicaAt(*w, rd, victim).volumes[0].disk, DiskState::kUpToDate);
}

TEST(F6PoolExhaustion, WrittenVolumesDetachAndPlacementFails) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.cluster.pool_size_kib = Kib{1} << 30;
  spec.faults.push_back(Fault(FaultKind::kPoolExhaustion, 10, 0, {"node-2"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::seconds(30));

  const PoolIndex pool = w->FindPool(w->FindNode("node-2"), "pool1");
  EXPECT_EQ(w->cluster().pools[pool].FreeKib(), 0u);
  EXPECT_EQ(Sequence(*w, {EntityKind::kPool, pool}, Attribute::kFreeKib).back(), 0);
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-2"), Attribute::kDiskState),
            (std::vector<int64_t>{V(DiskState::kUpToDate), V(DiskState::kFailed),
                                  V(DiskState::kDiskless)}));
  // Still diskful in LINSTOR's eyes; reads are served by the peers.
  EXPECT_EQ(ReplicaAt(*w, rd, "node-2").kind, ReplicaKind::kDiskful);
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-1").quorum);
  // A new 3-replica resource cannot be placed: node-2's pool is full.
  ASSERT_TRUE(w->CreateResourceDefinition("fresh", "").ok());
  ASSERT_TRUE(w->CreateVolumeDefinition("fresh", 1 << 20, std::nullopt, nullptr).ok());
  AutoPlaceRequest req;
  req.place_count = 3;
  const OpResult placed = w->AutoPlace("fresh", req);
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.FirstError()->code, rc::kNotEnoughNodes);
}

TEST(F8DiskFailure, UpToDateFailedDiskless) {
  WorldSpec spec = OneResource(3, 3, false);
  FaultSpec f = Fault(FaultKind::kDiskFailure, 10, 0, {"node-3"});
  spec.faults.push_back(f);
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  w->AdvanceTo(std::chrono::seconds(20));
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-3"), Attribute::kDiskState),
            (std::vector<int64_t>{V(DiskState::kUpToDate), V(DiskState::kFailed),
                                  V(DiskState::kDiskless)}));
  // A resize is refused while a diskful replica is not UpToDate.
  const OpResult res = w->ResizeVolumeDefinition(rd, 0, (Kib{100} << 20) * 2);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.FirstError()->code, rc::kNotAllUpToDate);
}

TEST(F8ResizeWave, FlagsPassThroughResizeAndDrbdResize) {
  WorldSpec spec = OneResource(3, 3, false);
  FaultSpec f = Fault(FaultKind::kResizeWave, 10, 0, {});
  f.count = 1;
  spec.faults.push_back(f);
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  w->AdvanceTo(std::chrono::seconds(30));

  const RdIndex idx = w->FindResourceDefinition(rd);
  EXPECT_EQ(Sequence(*w, {EntityKind::kVolumeDefinition, idx, 0}, Attribute::kVolumeFlags),
            (std::vector<int64_t>{0, kVolumeResize, 0}));
  EXPECT_EQ(Sequence(*w, VolumeOf(*w, rd, "node-1"), Attribute::kVolumeFlags),
            (std::vector<int64_t>{0, kVolumeResize, kVolumeDrbdResize, 0}));
  EXPECT_GT(w->cluster().rds[idx].volumes[0].size_kib, Kib{100} << 20);
}

TEST(F7SlowSatellite, ReplicationCongestsAndCatchesUp) {
  WorldSpec spec = OneResource(3, 3, false);
  FaultSpec f = Fault(FaultKind::kSlowSatellite, 10, 30, {"node-3"});
  f.params = "latency=2s";
  spec.faults.push_back(f);
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::seconds(20));
  EXPECT_EQ(w->NodeLatency(w->FindNode("node-3")), seconds(2));
  ASSERT_EQ(w->SlowNodes().size(), 1u);
  EXPECT_EQ(ReplicaAt(*w, rd, "node-1").volumes[0].repl[1], ReplState::kAhead);
  w->AdvanceTo(std::chrono::minutes(3));

  EXPECT_EQ(w->NodeLatency(w->FindNode("node-3")), Duration(0));
  EXPECT_EQ(Sequence(*w, PeerVolumeOf(*w, rd, "node-1", "node-3"), Attribute::kReplState),
            (std::vector<int64_t>{V(ReplState::kEstablished), V(ReplState::kAhead),
                                  V(ReplState::kWFBitMapS), V(ReplState::kSyncSource),
                                  V(ReplState::kEstablished)}));
  EXPECT_EQ(Sequence(*w, PeerVolumeOf(*w, rd, "node-3", "node-1"), Attribute::kReplState),
            (std::vector<int64_t>{V(ReplState::kEstablished), V(ReplState::kBehind),
                                  V(ReplState::kWFBitMapT), V(ReplState::kSyncTarget),
                                  V(ReplState::kEstablished)}));
  EXPECT_EQ(ReplicaAt(*w, rd, "node-3").volumes[0].disk, DiskState::kUpToDate);
}

TEST(NodeReboot, CleanShutdownMovesTheWorkloadAndReturns) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kNodeReboot, 10, 60, {"node-1"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  w->AdvanceTo(std::chrono::minutes(4));

  EXPECT_EQ(Sequence(*w, ReplicaRefOf(*w, rd, "node-1"), Attribute::kInUse),
            (std::vector<int64_t>{0, 1, 0}));
  EXPECT_TRUE(ReplicaAt(*w, rd, "node-2").in_use || ReplicaAt(*w, rd, "node-3").in_use);
  // The peers see a graceful disconnect at once, not a network failure.
  const auto conn = Sequence(*w, LinkOf(*w, rd, "node-2", "node-1"), Attribute::kConnState);
  ASSERT_GE(conn.size(), 2u);
  EXPECT_EQ(conn[1], V(ConnState::kTearDown));
  EXPECT_EQ(ReplicaAt(*w, rd, "node-1").volumes[0].disk, DiskState::kUpToDate);
}

TEST(Storm, OneNodeCrashTouchesEveryReplicaOnItAndItsPeers) {
  WorldSpec spec;
  spec.cluster.nodes = 4;
  spec.cluster.resources = 300;
  spec.cluster.replicas = 3;
  spec.cluster.in_use_fraction = 0;
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 0, {"node-2"}));
  auto w = MakeWorld(spec);
  const NodeIndex n2 = w->FindNode("node-2");
  w->AdvanceTo(std::chrono::seconds(40));
  size_t touched_links = 0, expected_links = 0;
  for (ReplicaIndex r : w->cluster().nodes[n2].replicas) {
    const RdIndex rd = w->cluster().replicas[r].rd;
    for (ReplicaIndex p : w->cluster().rds[rd].replicas) {
      if (p == r) continue;
      ++expected_links;
      const Replica& peer = w->cluster().replicas[p];
      for (const auto& l : peer.peers) {
        if (l.peer == n2 && l.conn == ConnState::kConnecting) ++touched_links;
      }
    }
  }
  EXPECT_GT(expected_links, 300u);
  EXPECT_EQ(touched_links, expected_links);
  // All detected within one idle detection window (ping-int + ping-timeout).
  for (const Transition& t : w->trace().transitions()) {
    if (t.attr == Attribute::kConnState) {
      EXPECT_LE(t.time_ns, Ns(seconds(10)) + Ns(std::chrono::milliseconds(10520)));
    }
  }
}

TEST(TimeScale, CompressesFaultTimesAndDrbdTimings) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.time_scale = 0.1;
  spec.faults.push_back(Fault(FaultKind::kNodeCrash, 10, 60, {"node-2"}));
  auto w = MakeWorld(spec);
  const std::string rd = Rd(*w);
  ASSERT_TRUE(w->SetInUse(rd, "node-1", true).ok());
  EXPECT_EQ(w->RunLength(), std::chrono::minutes(1));  // 10 min x 0.1
  EXPECT_EQ(w->fault_windows()[0].start, seconds(1));
  EXPECT_EQ(w->fault_windows()[0].end, seconds(7));
  w->AdvanceTo(seconds(30));
  const auto t = Times(*w, LinkOf(*w, rd, "node-1", "node-2"), Attribute::kConnState);
  ASSERT_FALSE(t.empty());
  // 1 s + 6..6.5 s scaled by 0.1.
  EXPECT_GE(t[0], Ns(std::chrono::milliseconds(1600)));
  EXPECT_LE(t[0], Ns(std::chrono::milliseconds(1650)));
}

TEST(FaultWindows, HarnessFaultsAreRecordedButChangeNothing) {
  WorldSpec spec = OneResource(3, 3, false);
  spec.faults.push_back(Fault(FaultKind::kControllerOutage, 5, 10, {}));
  FaultSpec never = Fault(FaultKind::kNodeCrash, 5, 10, {"node-1"});
  never.probability = 0;
  spec.faults.push_back(never);
  auto w = MakeWorld(spec);
  w->AdvanceTo(std::chrono::minutes(1));
  EXPECT_TRUE(w->trace().transitions().empty()) << Dump(*w);
  ASSERT_EQ(w->fault_windows().size(), 2u);
  EXPECT_TRUE(w->fault_windows()[0].fired);
  EXPECT_FALSE(w->fault_windows()[0].world_executes);
  EXPECT_FALSE(w->fault_windows()[1].fired);
  EXPECT_TRUE(w->InFaultWindow(FaultKind::kControllerOutage, seconds(7)));
  EXPECT_FALSE(w->InFaultWindow(FaultKind::kControllerOutage, seconds(15)));
  EXPECT_FALSE(w->InFaultWindow(FaultKind::kNodeCrash, seconds(7)));
}

}  // namespace
}  // namespace lnsim::sim

namespace lnsim::sim {
namespace {

TEST(F1Eviction, NodeAwayPastEvictTimeIsEvictedAndReplaced) {
  WorldSpec spec;
  spec.cluster.nodes = 4;
  spec.cluster.resources = 5;
  spec.cluster.replicas = 3;
  spec.cluster.in_use_fraction = 0;
  FaultSpec f;
  f.kind = FaultKind::kNodeCrash;
  f.at = std::chrono::seconds(10);
  f.nodes = {"node-2"};
  f.params = "evict_after=60m";
  spec.faults.push_back(f);
  auto w = testing::MakeWorld(spec);
  w->AdvanceTo(std::chrono::hours(3));
  const NodeIndex n2 = w->FindNode("node-2");
  EXPECT_EQ(w->cluster().nodes[n2].flags, kNodeDelete | kNodeEvicted);
  for (const ResourceDefinition& rd : w->cluster().rds) {
    const ReplicaIndex lost = w->FindReplica(static_cast<RdIndex>(&rd - &w->cluster().rds[0]), n2);
    if (lost == kNoIndex) continue;
    EXPECT_TRUE(w->cluster().replicas[lost].flags & kReplicaEvicted);
    // A replacement on another node, synced: 3 UpToDate diskful replicas besides the lost one.
    int uptodate = 0;
    for (ReplicaIndex r : rd.replicas) {
      const Replica& x = w->cluster().replicas[r];
      if (x.node != n2 && x.kind == ReplicaKind::kDiskful &&
          x.volumes[0].disk == DiskState::kUpToDate) {
        ++uptodate;
      }
    }
    EXPECT_EQ(uptodate, 3) << rd.name;
  }
}

}  // namespace
}  // namespace lnsim::sim
