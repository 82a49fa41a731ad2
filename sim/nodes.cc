// Nodes come and go: a crash, a clean shutdown, a return and the boot that brings DRBD back, the
// controller's view of a satellite (OFFLINE / CONNECTED / ONLINE), network partitions and the HA
// controller's failover. Each turns into per-replica work for drbd.cc.
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- Nodes: crash, return, boot -----------------------------------------------------------------

void WorldImpl::CrashNode(NodeIndex n) {
  if (!Up(n)) return;
  PutSatelliteUp(n, false);
  ++node_data_[n].crash_generation;
  for (ReplicaIndex r : cluster_.nodes[n].replicas)
    replica_data_[r].started = false;  // DRBD is gone
  // The controller notices a dead satellite quickly (TCP reset / keepalive).
  Schedule(ScaledUniform(rng_drbd_, milliseconds(1), kPingTimeout), kEventNodeDown, n,
           node_data_[n].crash_generation);
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    const Replica& x = cluster_.replicas[r];
    const RdIndex rd = x.rd;
    for (ReplicaIndex p : cluster_.rds[rd].replicas) {
      if (p == r || !Running(p)) continue;
      ScheduleBreak(p, r, DetectDelay(rd));
    }
    if (x.in_use && spec_.cluster.ha_failover_delay.count() > 0) {
      Schedule(Scaled(spec_.cluster.ha_failover_delay), kEventHaFailover, rd);
    }
  }
}

void WorldImpl::ReturnNode(NodeIndex n, int64_t delay) { Schedule(delay, kEventNodeReturn, n); }

void WorldImpl::BootNode(NodeIndex n) {
  if (!Up(n)) return;
  // Copy: removing replicas edits the node's list.
  const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
  for (ReplicaIndex r : replicas) {
    if (cluster_.replicas[r].flags & kReplicaDelete) {
      RemoveReplica(r);
      continue;
    }
    if (!replica_data_[r].started) StartReplica(r);
  }
}

// DRBD comes up for a replica: as a Secondary, its data Outdated until a peer tells otherwise
// (or UpToDate for the replicas of a brand-new resource), every connection Connecting.
void WorldImpl::StartReplica(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  ReplicaData& d = replica_data_[r];
  const RdIndex rd = x.rd;
  const bool was_started = d.ever_started;
  d.started = d.ever_started = true;
  if (x.in_use) PutInUse(r, false);
  StopResyncsOf(r, /*settle_pair=*/false);
  PutDonePercentageAll(r, kAbsent);
  if (x.kind == ReplicaKind::kDiskful) {
    if (d.initial && !was_started) {
      rd_has_data_[rd] = 1;
      // Fresh resource: LINSTOR skips the initial sync (new-current-uuid --clear-bitmap).
      PutDiskStateAll(r, DiskState::kUpToDate);
      d.initial = false;
    } else if (!was_started) {
      PutDiskStateAll(r, DiskState::kInconsistent);
      if (d.full_sync_kib == 0) d.full_sync_kib = FullSyncKib(rd);
    } else {
      const DiskState cur = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (cur == DiskState::kUpToDate || cur == DiskState::kConsistent ||
          cur == DiskState::kDiskless || cur == DiskState::kFailed) {
        if (x.pool == kNoIndex || !cluster_.pools[x.pool].failed)
          PutDiskStateAll(r, DiskState::kOutdated);
      }
    }
  } else {
    PutDiskStateAll(r, DiskState::kDiskless);
  }
  for (size_t k = 0; k < x.peers.size(); ++k) {
    PutConnectionState(r, k, ConnState::kConnecting);
    PutReplicationAll(r, k, ReplState::kOff);
  }
  ConnectReachablePeers(r, milliseconds(100), seconds(1));
  Settle(rd);
}

void WorldImpl::ConnectReachablePeers(ReplicaIndex r, Duration lo, Duration hi) {
  const Replica& x = cluster_.replicas[r];
  for (ReplicaIndex p : cluster_.rds[x.rd].replicas) {
    if (p == r || !Running(p) || !CanTalk(x.node, cluster_.replicas[p].node)) continue;
    Schedule(ScaledUniform(rng_drbd_, lo, hi), kEventConnect, r, p);
  }
}

void WorldImpl::OnHaFailover(RdIndex rd) {
  if (rd >= cluster_.rds.size() || !cluster_.rds[rd].alive) return;
  // The HA controller acts only when no Primary is on a node the cluster can see.
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use && Online(cluster_.replicas[r].node) && Running(r)) return;
  }
  ReplicaIndex best = kNoIndex;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    const Replica& x = cluster_.replicas[r];
    if (!Running(r) || !Online(x.node) || !x.may_promote) continue;
    if (x.kind == ReplicaKind::kTieBreaker) continue;
    if (best == kNoIndex || x.promotion_score > cluster_.replicas[best].promotion_score ||
        (x.promotion_score == cluster_.replicas[best].promotion_score &&
         x.node < cluster_.replicas[best].node)) {
      best = r;
    }
  }
  if (best != kNoIndex) Promote(best);
}

void WorldImpl::SetPartition(const std::vector<NodeIndex>& nodes, uint32_t group) {
  for (NodeIndex n : nodes) node_data_[n].partition = group;
  for (NodeIndex n : nodes) {
    if (!Up(n)) continue;
    Schedule(ScaledUniform(rng_drbd_, milliseconds(1), kPingInterval + kPingTimeout),
             kEventNodeDown, n, node_data_[n].crash_generation);
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      const RdIndex rd = cluster_.replicas[r].rd;
      for (ReplicaIndex p : cluster_.rds[rd].replicas) {
        if (p == r || !Running(p) || CanTalk(n, cluster_.replicas[p].node)) continue;
        ScheduleBreak(p, r, DetectDelay(rd));
        ScheduleBreak(r, p, DetectDelay(rd));
      }
      if (cluster_.replicas[r].in_use && spec_.cluster.ha_failover_delay.count() > 0) {
        Schedule(Scaled(spec_.cluster.ha_failover_delay), kEventHaFailover, rd);
      }
    }
  }
}

void WorldImpl::HealPartition(const std::vector<NodeIndex>& nodes) {
  for (NodeIndex n : nodes) node_data_[n].partition = 0;
  for (NodeIndex n : nodes) {
    if (!Up(n)) continue;
    if (cluster_.nodes[n].connection != NodeConnection::kOnline) {
      Schedule(ScaledUniform(rng_drbd_, milliseconds(500), seconds(5)), kEventNodeUp, n, 0, 0);
    }
    // Both sides retry every connect-int: the link comes back within one interval.
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      if (!Running(r)) continue;
      ConnectReachablePeers(r, milliseconds(1), kConnectInterval);
    }
  }
}

// --- Controller and satellite events ------------------------------------------------------------

// The controller lost the satellite (crash or partition): OFFLINE, unless it came back meanwhile.
void WorldImpl::OnNodeDown(NodeIndex n) {
  if (cluster_.nodes[n].alive && !ControllerReaches(n)) {
    PutNodeConnection(n, NodeConnection::kOffline);
  }
}

// The controller reconnects: CONNECTED (step 0), then ONLINE after the full sync (step 1).
void WorldImpl::OnNodeUp(NodeIndex n, uint32_t boot_after_online, uint16_t step) {
  if (!ControllerReaches(n)) return;
  if (step == 0) {
    if (cluster_.nodes[n].connection == NodeConnection::kOnline) return;
    PutNodeConnection(n, NodeConnection::kConnected);
    Schedule(Scaled(milliseconds(200)), kEventNodeUp, n, boot_after_online, 1);
  } else {
    PutNodeConnection(n, NodeConnection::kOnline);
    // After the full sync the satellite brings up what is not running yet (all of it after
    // a crash; nothing after a partition that left DRBD running).
    Schedule(Scaled(milliseconds(500)), kEventNodeBoot, n);
  }
}

void WorldImpl::OnNodeReturn(NodeIndex n) {
  if (!cluster_.nodes[n].alive || cluster_.nodes[n].satellite_up) return;
  PutSatelliteUp(n, true);
  // An evicted node is not reconnected until restored by hand.
  if (cluster_.nodes[n].flags & kNodeEvicted) return;
  // The satellite starts, the controller's reconnector finds it, sends the full sync,
  // and the satellite brings its DRBD resources up.
  const int64_t reconnect = ScaledUniform(rng_drbd_, seconds(1), seconds(5));
  if (node_data_[n].partition == 0) {
    Schedule(reconnect, kEventNodeUp, n, /*boot after ONLINE*/ 1);
  } else {
    Schedule(ScaledUniform(rng_drbd_, seconds(1), seconds(5)), kEventNodeBoot, n);
  }
}

// Clean shutdown (reboot): DRBD disconnects gracefully, the peers see it at once.
void WorldImpl::OnNodeShutdown(NodeIndex n) {
  if (!Up(n)) return;
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    if (!Running(r)) continue;
    for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
      if (p == r || !Running(p)) continue;
      const int k = PeerSlot(p, r);
      if (k >= 0 && cluster_.replicas[p].peers[k].conn == ConnState::kConnected) {
        BreakSide(p, r, ConnState::kTearDown, /*instant=*/true);
      }
      const int kr = PeerSlot(r, p);
      if (kr >= 0) {
        PutConnectionState(r, kr, ConnState::kDisconnecting);
        PutConnectionState(r, kr, ConnState::kStandAlone);
        PutReplicationAll(r, kr, ReplState::kOff);
      }
    }
  }
  PutSatelliteUp(n, false);
  ++node_data_[n].crash_generation;
  for (ReplicaIndex r : cluster_.nodes[n].replicas) replica_data_[r].started = false;
  PutNodeConnection(n, NodeConnection::kOffline);
  for (ReplicaIndex r : cluster_.nodes[n].replicas) Settle(cluster_.replicas[r].rd);
}

void WorldImpl::OnReplicaUp(ReplicaIndex r) {
  if (cluster_.replicas[r].alive && Up(cluster_.replicas[r].node) && !replica_data_[r].started) {
    StartReplica(r);
  }
}

}  // namespace lnsim::sim::internal
