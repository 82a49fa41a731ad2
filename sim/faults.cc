// The scenario's faults as the world executes them: choosing targets (seeded), one handler per
// fault kind at the start of its window and one at its end, and the follow-ups a fault schedules
// (split-brain promotion and recovery, eviction of a node that stayed away).
#include "common/duration.h"
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- Scheduling ---------------------------------------------------------------------------------

// Resolves every fault's window (seeded `at: random` and `probability`) and schedules the start
// and end of the ones the world executes; the others are windows for the harness and the mock.
void WorldImpl::ScheduleFaults() {
  const size_t nf = spec_.faults.size();
  fault_windows_.resize(nf);
  fault_nodes_.resize(nf);
  slow_pairs_.resize(nf);
  fault_target_rd_.assign(nf, kNoIndex);
  for (size_t i = 0; i < nf; ++i)
    rng_fault_.push_back(root_rng_.Fork("fault/" + std::to_string(i)));
  for (size_t i = 0; i < nf; ++i) {
    const FaultSpec& f = spec_.faults[i];
    FaultWindow& w = fault_windows_[i];
    w.kind = f.kind;
    w.resource = f.resource;
    w.params = f.params;
    w.source_line = f.source_line;
    w.world_executes = WorldExecutes(f.kind);
    w.nodes = f.nodes;
    Rng& rng = rng_fault_[i];
    Duration at = f.at;
    if (at == kRandomTime) {
      at = Duration(
          static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(spec_.duration.count()))));
    }
    w.start = Duration(Scaled(at));
    w.end = Duration(Scaled(at + f.duration));
    w.permanent = f.duration.count() == 0;
    if (!rng.Bernoulli(f.probability)) {
      w.note = "did not fire (probability " + std::to_string(f.probability) + ")";
      continue;
    }
    const uint32_t cause = trace_.InternCause("fault:" + std::string(Name(f.kind)));
    if (!w.world_executes) {
      w.fired = true;
      w.note = "window for the harness/mock";
      continue;
    }
    ScheduleAt(w.start.count(), kEventFaultStart, static_cast<uint32_t>(i), 0, cause);
    if (!w.permanent) ScheduleAt(w.end.count(), kEventFaultEnd, static_cast<uint32_t>(i), 0, cause);
  }
}

std::vector<NodeIndex> WorldImpl::FaultNodes(uint32_t i, int count) {
  std::vector<NodeIndex> out;
  const FaultSpec& f = spec_.faults[i];
  if (!f.nodes.empty()) {
    for (const auto& name : f.nodes) {
      const NodeIndex n = FindNode(name);
      if (n != kNoIndex && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    return out;
  }
  // Seeded choice among live storage nodes (nodes with a diskful pool).
  std::vector<NodeIndex> pool;
  for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
    if (!cluster_.nodes[n].alive) continue;
    bool storage = false;
    for (PoolIndex p : cluster_.nodes[n].pools) storage = storage || !cluster_.pools[p].diskless();
    if (storage) pool.push_back(n);
  }
  for (int k = 0; k < count && !pool.empty(); ++k) {
    const size_t j = rng_fault_[i].Uniform(pool.size());
    out.push_back(pool[j]);
    pool.erase(pool.begin() + j);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string WorldImpl::FaultLabel(uint32_t i) const {
  return "fault:" + std::string(Name(spec_.faults[i].kind));
}

std::string WorldImpl::NodeNames(const std::vector<NodeIndex>& nodes) const {
  std::string s;
  for (NodeIndex n : nodes) s += " " + cluster_.nodes[n].name;
  return s;
}

void WorldImpl::SetFaultNodes(uint32_t i, const std::vector<NodeIndex>& nodes) {
  fault_nodes_[i] = nodes;
  fault_windows_[i].nodes.clear();
  for (NodeIndex n : nodes) fault_windows_[i].nodes.push_back(cluster_.nodes[n].name);
}

template <typename Accept>
RdIndex WorldImpl::FindFaultTargetRd(uint32_t i, Accept accept) {
  const FaultSpec& f = spec_.faults[i];
  if (!f.resource.empty()) {
    const RdIndex rd = FindResourceDefinition(f.resource);
    return rd != kNoIndex && accept(rd) ? rd : kNoIndex;
  }
  // Prefer resources in use; seeded start position, then scan in order.
  for (const auto* list : {&in_use_rds_, &live_rds_}) {
    if (list->empty()) continue;
    const size_t start = rng_fault_[i].Uniform(list->size());
    for (size_t k = 0; k < list->size(); ++k) {
      const RdIndex rd = (*list)[(start + k) % list->size()];
      if (cluster_.rds[rd].alive && accept(rd)) return rd;
    }
  }
  return kNoIndex;
}

void WorldImpl::FireOnResource(uint32_t i, RdIndex rd, const std::vector<NodeIndex>& nodes) {
  fault_target_rd_[i] = rd;
  fault_windows_[i].resource = cluster_.rds[rd].name;
  SetFaultNodes(i, nodes);
  cause_ = trace_.InternCause(FaultLabel(i) + " " + cluster_.rds[rd].name);
  fault_windows_[i].fired = true;
}

// --- Start of a fault window --------------------------------------------------------------------

void WorldImpl::OnFaultStart(uint32_t i) {
  std::vector<NodeIndex> nodes;
  switch (spec_.faults[i].kind) {
    case FaultKind::kNodeCrash:
      if (StartNodeFault(i, &nodes)) StartNodeCrash(i, nodes);
      break;
    case FaultKind::kNodeReboot:
      if (StartNodeFault(i, &nodes)) StartNodeReboot(i, nodes);
      break;
    case FaultKind::kPartition:
      if (StartNodeFault(i, &nodes)) {
        SetPartition(nodes, i + 1);
        fault_windows_[i].note = "isolated" + NodeNames(nodes);
      }
      break;
    case FaultKind::kSlowSatellite:
      if (StartNodeFault(i, &nodes)) StartSlowSatellite(i, nodes);
      break;
    case FaultKind::kQuorumLoss:
      return StartQuorumLoss(i);
    case FaultKind::kSplitBrain:
      return StartSplitBrain(i);
    case FaultKind::kPoolExhaustion:
      return StartPoolExhaustion(i);
    case FaultKind::kDiskFailure:
      return StartDiskFailure(i);
    case FaultKind::kResizeWave:
      return StartResizeWave(i);
    default:
      break;
  }
}

bool WorldImpl::StartNodeFault(uint32_t i, std::vector<NodeIndex>* nodes) {
  FaultWindow& w = fault_windows_[i];
  *nodes = FaultNodes(i, spec_.faults[i].count);
  if (nodes->empty()) {
    w.note = "no target node";
    return false;
  }
  SetFaultNodes(i, *nodes);
  cause_ = trace_.InternCause(FaultLabel(i) + NodeNames(*nodes));
  w.fired = true;
  return true;
}

void WorldImpl::StartNodeCrash(uint32_t i, const std::vector<NodeIndex>& nodes) {
  FaultWindow& w = fault_windows_[i];
  for (NodeIndex n : nodes) CrashNode(n);
  w.note = "crashed" + NodeNames(nodes);
  if (std::string v = FaultParam(spec_.faults[i].params, "evict_after"); !v.empty()) {
    if (auto d = ParseDuration(v); d.ok()) {
      for (NodeIndex n : nodes) Schedule(Scaled(*d), kEventEvict, n);
      w.note += ", evicted after " + v + " if still away";
    }
  }
}

void WorldImpl::StartNodeReboot(uint32_t i, const std::vector<NodeIndex>& nodes) {
  for (NodeIndex n : nodes) {
    // kubectl drain: the workload moves away first, then DRBD shuts down cleanly.
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      if (cluster_.replicas[r].in_use && Running(r)) {
        PutInUse(r, false);
        Settle(cluster_.replicas[r].rd);
        Schedule(Scaled(seconds(2)), kEventHaFailover, cluster_.replicas[r].rd);
      }
    }
    Schedule(Scaled(seconds(1)), kEventNodeShutdown, n);
  }
  fault_windows_[i].note = "rebooting" + NodeNames(nodes);
}

void WorldImpl::StartSlowSatellite(uint32_t i, const std::vector<NodeIndex>& nodes) {
  Duration latency = seconds(5);
  if (std::string v = FaultParam(spec_.faults[i].params, "latency"); !v.empty()) {
    if (auto d = ParseDuration(v); d.ok()) latency = *d;
  }
  for (NodeIndex n : nodes) {
    node_data_[n].latency_ns = Scaled(latency);
    // Replication towards the slow node congests: the writer goes Ahead, it Behind.
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      const RdIndex rd = cluster_.replicas[r].rd;
      const ReplicaIndex wr = Writer(rd);
      if (wr == kNoIndex || wr == r || !UpToDate(r) || !Running(r)) continue;
      if (cluster_.replicas[wr].node == n || !Connected(wr, r)) continue;
      PutReplicationAll(wr, PeerSlot(wr, r), ReplState::kAhead);
      PutReplicationAll(r, PeerSlot(r, wr), ReplState::kBehind);
      PutDiskStateAll(r, DiskState::kOutdated);
      slow_pairs_[i].push_back({wr, r});
      Recompute(rd);
    }
  }
  fault_windows_[i].note = "slow" + NodeNames(nodes) + " (" + FormatDuration(latency) + "), " +
                           std::to_string(slow_pairs_[i].size()) + " links congested";
}

void WorldImpl::StartQuorumLoss(uint32_t i) {
  FaultWindow& w = fault_windows_[i];
  const RdIndex rd = FindFaultTargetRd(i, [&](RdIndex r) { return QuorumEnabled(r); });
  if (rd == kNoIndex) {
    w.note = "no resource with quorum enabled";
    return;
  }
  // Keep the Primary's node (or the first diskful one); take every other voter away.
  NodeIndex keep = kNoIndex;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use && cluster_.replicas[r].kind == ReplicaKind::kDiskful)
      keep = cluster_.replicas[r].node;
  }
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (keep == kNoIndex && cluster_.replicas[r].kind == ReplicaKind::kDiskful)
      keep = cluster_.replicas[r].node;
  }
  const bool partition = FaultParam(spec_.faults[i].params, "mode") == "partition";
  std::vector<NodeIndex> nodes;
  if (partition) {
    nodes.push_back(keep);
  } else {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      const Replica& x = cluster_.replicas[r];
      if (x.node != keep && x.kind != ReplicaKind::kDiskless) nodes.push_back(x.node);
    }
  }
  std::sort(nodes.begin(), nodes.end());
  FireOnResource(i, rd, nodes);
  const std::string& name = cluster_.rds[rd].name;
  if (partition) {
    SetPartition(nodes, i + 1);
    w.note = "partitioned" + NodeNames(nodes) + " away from " + name + "'s peers";
  } else {
    for (NodeIndex n : nodes) CrashNode(n);
    w.note = "crashed" + NodeNames(nodes) + " (" + name + " keeps 1 voter)";
  }
}

void WorldImpl::StartSplitBrain(uint32_t i) {
  FaultWindow& w = fault_windows_[i];
  auto two_diskful_no_tiebreaker = [&](RdIndex rd) {
    int diskful = 0, other = 0;
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      (cluster_.replicas[r].kind == ReplicaKind::kDiskful ? diskful : other)++;
    }
    return diskful == 2 && other == 0;
  };
  const RdIndex rd = FindFaultTargetRd(i, two_diskful_no_tiebreaker);
  if (rd == kNoIndex) {
    w.note = "no resource with 2 diskful replicas and no tiebreaker";
    return;
  }
  // Isolate the replica that is not Primary (or the second one).
  ReplicaIndex victim = cluster_.rds[rd].replicas[1];
  if (cluster_.replicas[victim].in_use) victim = cluster_.rds[rd].replicas[0];
  const std::vector<NodeIndex> nodes = {cluster_.replicas[victim].node};
  FireOnResource(i, rd, nodes);
  SetPartition(nodes, i + 1);
  Schedule(Scaled(seconds(12)), kEventSplitPromote, rd);
  w.note = "isolated" + NodeNames(nodes) + "; both sides of " + cluster_.rds[rd].name + " promote";
}

PoolIndex WorldImpl::FaultPool(uint32_t i, NodeIndex n) const {
  const std::string want = FaultParam(spec_.faults[i].params, "pool");
  for (PoolIndex p : cluster_.nodes[n].pools) {
    if (cluster_.pools[p].diskless()) continue;
    if (want.empty() || FoldName(want) == FoldName(cluster_.pools[p].name)) return p;
  }
  return kNoIndex;
}

void WorldImpl::StartPoolExhaustion(uint32_t i) {
  FaultWindow& w = fault_windows_[i];
  const std::vector<NodeIndex> nodes = FaultNodes(i, 1);
  if (nodes.empty()) {
    w.note = "no target node";
    return;
  }
  const NodeIndex n = nodes[0];
  const PoolIndex pool = FaultPool(i, n);
  if (pool == kNoIndex) {
    w.note = "no diskful pool on " + cluster_.nodes[n].name;
    return;
  }
  SetFaultNodes(i, {n});
  cause_ = trace_.InternCause(FaultLabel(i) + " " + cluster_.nodes[n].name + "/" +
                              cluster_.pools[pool].name);
  w.fired = true;
  StoragePool& sp = cluster_.pools[pool];
  ChangePool(pool, static_cast<int64_t>(sp.total_kib) - static_cast<int64_t>(sp.allocated_kib), 0);
  int failing = 0;
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.pool != pool || !Running(r) || !UpToDate(r)) continue;
    if (Writer(x.rd) == kNoIndex) continue;  // only written volumes hit the full pool
    Schedule(ScaledUniform(rng_fault_[i], milliseconds(1), seconds(1)), kEventDiskDetach, r, 0, 0);
    ++failing;
  }
  w.note = cluster_.nodes[n].name + "/" + sp.name + " full; " + std::to_string(failing) +
           " written volumes get IO errors";
}

void WorldImpl::StartDiskFailure(uint32_t i) {
  FaultWindow& w = fault_windows_[i];
  const ReplicaIndex target = DiskFailureTarget(i, FaultNodes(i, 1));
  if (target == kNoIndex) {
    w.note = "no diskful replica to fail";
    return;
  }
  const std::string& node_name = cluster_.nodes[cluster_.replicas[target].node].name;
  SetFaultNodes(i, {cluster_.replicas[target].node});
  w.resource = cluster_.rds[cluster_.replicas[target].rd].name;
  cause_ = trace_.InternCause(FaultLabel(i) + " " + w.resource + " on " + node_name);
  w.fired = true;
  DetachDisk(target, 0);
  w.note = "IO error on " + w.resource + "/" + node_name;
}

// The fault's resource on its node, or a seeded UpToDate diskful replica on its node.
ReplicaIndex WorldImpl::DiskFailureTarget(uint32_t i, const std::vector<NodeIndex>& nodes) {
  const FaultSpec& f = spec_.faults[i];
  RdIndex rd = kNoIndex;
  if (!f.resource.empty()) rd = FindResourceDefinition(f.resource);
  if (rd == kNoIndex && !nodes.empty()) {
    const auto& replicas = cluster_.nodes[nodes[0]].replicas;
    if (replicas.empty()) return kNoIndex;
    const size_t start = rng_fault_[i].Uniform(replicas.size());
    for (size_t k = 0; k < replicas.size(); ++k) {
      const ReplicaIndex r = replicas[(start + k) % replicas.size()];
      if (cluster_.replicas[r].kind == ReplicaKind::kDiskful && UpToDate(r)) return r;
    }
  } else if (rd != kNoIndex) {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      const Replica& x = cluster_.replicas[r];
      if (x.kind != ReplicaKind::kDiskful) continue;
      if (!f.nodes.empty() && (nodes.empty() || x.node != nodes[0])) continue;
      return r;
    }
  }
  return kNoIndex;
}

void WorldImpl::StartResizeWave(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  FaultWindow& w = fault_windows_[i];
  cause_ = trace_.InternCause(FaultLabel(i));
  w.fired = true;
  int count = f.count;
  if (std::string v = FaultParam(f.params, "count"); !v.empty()) count = std::atoi(v.c_str());
  int ok = 0, refused = 0;
  ++op_depth_;
  for (int k = 0; k < count; ++k) {
    const RdIndex rd = PickResourceDefinition(rng_fault_[i], false, true);
    if (rd == kNoIndex || cluster_.rds[rd].volumes.empty()) continue;
    GrowFirstVolume(rd).ok() ? ++ok : ++refused;
  }
  --op_depth_;
  w.note = "resized " + std::to_string(ok) + ", refused " + std::to_string(refused);
}

// --- End of a fault window ----------------------------------------------------------------------

void WorldImpl::OnFaultEnd(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  if (!fault_windows_[i].fired) return;
  const std::vector<NodeIndex>& nodes = fault_nodes_[i];
  switch (f.kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
      for (NodeIndex n : nodes) ReturnNode(n, 0);
      break;
    case FaultKind::kQuorumLoss:
      if (FaultParam(f.params, "mode") == "partition") {
        HealPartition(nodes);
      } else {
        for (NodeIndex n : nodes) ReturnNode(n, 0);
      }
      break;
    case FaultKind::kPartition:
      HealPartition(nodes);
      break;
    case FaultKind::kSplitBrain:
      return EndSplitBrain(i);
    case FaultKind::kSlowSatellite:
      return EndSlowSatellite(i);
    case FaultKind::kPoolExhaustion:
      // The admin grows the pool; detached disks stay detached until re-attached by hand.
      if (const PoolIndex p = FaultPool(i, nodes[0]); p != kNoIndex) {
        ChangePool(p, 0, 0, static_cast<int64_t>(cluster_.pools[p].total_kib));
      }
      break;
    default:
      break;
  }
}

void WorldImpl::EndSplitBrain(uint32_t i) {
  const std::vector<NodeIndex>& nodes = fault_nodes_[i];
  HealPartition(nodes);
  const std::string recover = FaultParam(spec_.faults[i].params, "recover");
  if (recover.empty()) return;
  auto d = ParseDuration(recover);
  const RdIndex rd = fault_target_rd_[i];
  if (!d.ok() || rd == kNoIndex) return;
  const ReplicaIndex victim = FindReplica(rd, nodes[0]);
  if (victim != kNoIndex)
    Schedule(Scaled(kConnectInterval) + Scaled(*d), kEventSplitRecover, rd, victim);
}

void WorldImpl::EndSlowSatellite(uint32_t i) {
  for (NodeIndex n : fault_nodes_[i]) node_data_[n].latency_ns = 0;
  // Congestion clears: the Behind side resyncs what it missed.
  for (const SlowPair& sp : slow_pairs_[i]) {
    if (!Running(sp.writer) || !Running(sp.behind)) continue;
    const int kw = PeerSlot(sp.writer, sp.behind), kb = PeerSlot(sp.behind, sp.writer);
    if (kw < 0 || kb < 0 || cluster_.replicas[sp.writer].peers[kw].conn != ConnState::kConnected)
      continue;
    const double dirty = static_cast<double>(spec_.cluster.write_rate_kib) *
                         static_cast<double>(spec_.faults[i].duration.count()) / 1e9;
    replica_data_[sp.behind].full_sync_kib = std::max<Kib>(64, static_cast<Kib>(dirty));
    RequestResync(sp.writer, kw, sp.behind, kb);
  }
}

// --- Follow-ups of faults -----------------------------------------------------------------------

// Split brain: the workload runs on both sides of the partition (quorum off: nothing stops it).
void WorldImpl::OnSplitPromote(RdIndex rd) {
  if (!cluster_.rds[rd].alive) return;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (Running(r) && !cluster_.replicas[r].in_use && cluster_.replicas[r].may_promote) {
      Promote(r);
    }
  }
}

// Manual split-brain recovery: the victim discards its data (`drbdadm connect --discard-my-data`).
void WorldImpl::OnSplitRecover(RdIndex rd, ReplicaIndex victim) {
  if (!cluster_.rds[rd].alive || !Running(victim)) return;
  if (cluster_.replicas[victim].in_use) PutInUse(victim, false);
  PutDiskStateAll(victim, DiskState::kOutdated);
  replica_data_[victim].full_sync_kib = FullSyncKib(rd);
  for (ReplicaIndex p : cluster_.rds[rd].replicas) {
    if (p == victim || !Running(p)) continue;
    const int kv = PeerSlot(victim, p), kp = PeerSlot(p, victim);
    if (kv >= 0 && cluster_.replicas[victim].peers[kv].conn == ConnState::kStandAlone) {
      PutConnectionState(victim, kv, ConnState::kConnecting);
    }
    if (kp >= 0 && cluster_.replicas[p].peers[kp].conn == ConnState::kStandAlone) {
      PutConnectionState(p, kp, ConnState::kConnecting);
    }
  }
  ConnectReachablePeers(victim, milliseconds(100), seconds(1));
  Settle(rd);
}

// LINSTOR-API.md 6.7: a node that stayed away becomes DELETE|EVICTED, its resources EVICTED
// (INACTIVE), and the autoplacer replaces each lost diskful replica elsewhere (full resync).
void WorldImpl::OnEvict(NodeIndex n) {
  if (!cluster_.nodes[n].alive || Up(n) || (cluster_.nodes[n].flags & kNodeEvicted)) return;
  PutNodeFlags(n, cluster_.nodes[n].flags | kNodeDelete | kNodeEvicted);
  const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
  for (ReplicaIndex r : replicas) {
    PutReplicaFlags(r, cluster_.replicas[r].flags | kReplicaEvicted);
    if (cluster_.replicas[r].kind != ReplicaKind::kDiskful) continue;
    AutoPlaceRequest more;
    more.additional_place_count = 1;
    ++op_depth_;
    (void)AutoPlaceIndex(cluster_.replicas[r].rd, more);
    --op_depth_;
  }
}

}  // namespace lnsim::sim::internal
