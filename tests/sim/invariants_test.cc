// Every fault kind and the whole workload together, over many seeds: the world must keep its
// model consistent (aligned peer/replication arrays, pool accounting, one Primary per connected
// group, resync progress in range, transitions that change something) whatever the interleaving.
#include <gtest/gtest.h>

#include "tests/sim/testutil_world.h"

namespace lnsim::sim {
namespace {

using std::chrono::seconds;

WorldSpec Chaos(int replicas, bool tiebreaker) {
  WorldSpec spec;
  spec.cluster.nodes = 6;
  spec.cluster.diskless_clients = 2;
  spec.cluster.resources = 60;
  spec.cluster.replicas = replicas;
  spec.cluster.tiebreaker = tiebreaker;
  spec.cluster.pool_size_kib = Kib{2} << 30;
  spec.cluster.write_rate_kib = 20 * 1024;
  spec.workload.provision_rate = 0.5;
  spec.workload.delete_rate = 0.2;
  spec.workload.attach_rate = 1;
  spec.workload.detach_rate = 1;
  spec.workload.resize_rate = 0.3;
  const FaultKind kinds[] = {FaultKind::kNodeCrash,   FaultKind::kNodeReboot,
                             FaultKind::kPartition,   FaultKind::kQuorumLoss,
                             FaultKind::kSplitBrain,  FaultKind::kPoolExhaustion,
                             FaultKind::kDiskFailure, FaultKind::kSlowSatellite,
                             FaultKind::kResizeWave,  FaultKind::kControllerOutage};
  int i = 0;
  for (FaultKind k : kinds) {
    FaultSpec f;
    f.kind = k;
    f.at = kRandomTime;
    f.duration = seconds(20 + 10 * (i++ % 4));
    f.count = k == FaultKind::kResizeWave ? 10 : 1;
    f.probability = 0.8;
    if (k == FaultKind::kSplitBrain) f.params = "recover=10s";
    spec.faults.push_back(f);
  }
  spec.duration = std::chrono::minutes(4);
  return spec;
}

void CheckInvariants(const World& w) {
  const Cluster& c = w.cluster();
  std::vector<Kib> provisioned(c.pools.size());
  for (ReplicaIndex r = 0; r < c.replicas.size(); ++r) {
    const Replica& x = c.replicas[r];
    if (!x.alive) continue;
    const ResourceDefinition& rd = c.rds[x.rd];
    ASSERT_TRUE(rd.alive);
    ASSERT_EQ(x.volumes.size(), rd.volumes.size());
    ASSERT_EQ(x.peers.size(), rd.replicas.size() - 1);
    for (const auto& v : x.volumes) {
      ASSERT_EQ(v.repl.size(), x.peers.size());
      ASSERT_TRUE(v.done_percentage < 0 || v.done_percentage <= 100.0f);
    }
    if (x.kind == ReplicaKind::kDiskful) {
      for (size_t vi = 0; vi < x.volumes.size(); ++vi)
        provisioned[x.pool] += rd.volumes[vi].size_kib;
    }
    // Two connected Primaries never coexist.
    if (x.in_use && c.nodes[x.node].satellite_up) {
      for (const auto& l : x.peers) {
        if (l.conn != ConnState::kConnected) continue;
        const ReplicaIndex q = w.FindReplica(x.rd, l.peer);
        ASSERT_NE(q, kNoIndex);
        EXPECT_FALSE(c.replicas[q].in_use && c.nodes[c.replicas[q].node].satellite_up)
            << rd.name << " Primary on two connected nodes";
      }
    }
  }
  for (PoolIndex p = 0; p < c.pools.size(); ++p) {
    EXPECT_EQ(c.pools[p].provisioned_kib, provisioned[p]) << c.pools[p].name;
  }
  uint64_t last_seq = 0;
  int64_t last_time = 0;
  for (const Transition& t : w.trace().transitions()) {
    ASSERT_EQ(t.seq, last_seq + 1);
    ASSERT_GE(t.time_ns, last_time);
    ASSERT_NE(t.old_value, t.new_value);
    ASSERT_LT(t.cause, w.trace().causes().size());
    last_seq = t.seq;
    last_time = t.time_ns;
  }
}

class ChaosTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(ChaosTest, ThreeReplicas) {
  auto w = testing::MakeWorld(Chaos(3, true), GetParam());
  for (int s = 0; s <= 400; s += 7) {
    w->AdvanceTo(seconds(s));
    CheckInvariants(*w);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(w->trace().transitions().size(), 500u);
}

TEST_P(ChaosTest, TwoReplicasWithAndWithoutTiebreaker) {
  for (bool tb : {true, false}) {
    auto w = testing::MakeWorld(Chaos(2, tb), GetParam());
    w->AdvanceTo(seconds(400));
    CheckInvariants(*w);
  }
}

// Once every fault window is over, the cluster settles: links between running replicas are
// Connected and Established (or StandAlone after a split brain), nothing is stuck mid-resync.
void CheckConverged(int replicas, bool tiebreaker, uint64_t seed) {
  SCOPED_TRACE(std::to_string(replicas) + " replicas, tiebreaker " + (tiebreaker ? "on" : "off"));
  auto w = testing::MakeWorld(Chaos(replicas, tiebreaker), seed);
  w->AdvanceTo(std::chrono::hours(3));
  const Cluster& c = w->cluster();
  for (ReplicaIndex r = 0; r < c.replicas.size(); ++r) {
    const Replica& x = c.replicas[r];
    if (!x.alive || !c.nodes[x.node].satellite_up) continue;
    for (size_t k = 0; k < x.peers.size(); ++k) {
      const ReplicaIndex q = w->FindReplica(x.rd, x.peers[k].peer);
      if (!c.nodes[c.replicas[q].node].satellite_up) continue;
      const ConnState conn = x.peers[k].conn;
      // A StandAlone side (split brain) does not listen: its peer keeps Connecting, as in DRBD,
      // until an administrator reconnects them.
      ConnState back = ConnState::kConnected;
      for (const auto& l : c.replicas[q].peers) {
        if (l.peer == x.node) back = l.conn;
      }
      EXPECT_TRUE(conn == ConnState::kConnected || conn == ConnState::kStandAlone ||
                  (conn == ConnState::kConnecting && back == ConnState::kStandAlone))
          << RenderEntity(c, {EntityKind::kPeerLink, x.rd, x.node, x.peers[k].peer}) << " "
          << Name(conn);
      if (conn != ConnState::kConnected) continue;
      for (const auto& v : x.volumes) {
        EXPECT_EQ(v.repl[k], ReplState::kEstablished)
            << RenderEntity(c, {EntityKind::kPeerLink, x.rd, x.node, x.peers[k].peer}) << " "
            << Name(v.repl[k]);
        EXPECT_LT(v.done_percentage, 0.0f);
      }
    }
  }
  EXPECT_EQ(w->PendingEvents(), 0u);
}

TEST_P(ChaosTest, ConvergesAfterTheFaults) {
  CheckConverged(3, true, GetParam());
  CheckConverged(2, true, GetParam());
  CheckConverged(2, false, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ChaosTest, ::testing::Range<uint64_t>(1, 21));

}  // namespace
}  // namespace lnsim::sim
