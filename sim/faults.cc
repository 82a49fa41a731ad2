// The scenario's faults as the world executes them: choosing targets (seeded), one handler per
// fault kind at the start of its window and one at its end, and the follow-ups a fault schedules
// (split-brain promotion and recovery, eviction of a node that stayed away).
#include "common/duration.h"
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

// The value of `key` in a fault's "k=v,k=v" params; "" when absent.
std::string ParamValue(const std::string& params, const std::string& key) {
  size_t pos = 0;
  while (pos <= params.size()) {
    size_t end = params.find(',', pos);
    if (end == std::string::npos) end = params.size();
    const std::string item = params.substr(pos, end - pos);
    const size_t eq = item.find('=');
    if (eq != std::string::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

}  // namespace

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

void WorldImpl::OnFaultStart(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  FaultWindow& w = fault_windows_[i];
  Rng& rng = rng_fault_[i];
  std::string label = "fault:" + std::string(Name(f.kind));
  auto nodes_label = [&](const std::vector<NodeIndex>& nodes) {
    std::string s;
    for (NodeIndex n : nodes) s += " " + cluster_.nodes[n].name;
    return s;
  };
  auto set_nodes = [&](const std::vector<NodeIndex>& nodes) {
    fault_nodes_[i] = nodes;
    w.nodes.clear();
    for (NodeIndex n : nodes) w.nodes.push_back(cluster_.nodes[n].name);
  };
  auto find_target_rd = [&](auto&& accept) -> RdIndex {
    if (!f.resource.empty()) {
      const RdIndex rd = FindResourceDefinition(f.resource);
      return rd != kNoIndex && accept(rd) ? rd : kNoIndex;
    }
    // Prefer resources in use; seeded start position, then scan in order.
    for (const auto* list : {&in_use_rds_, &live_rds_}) {
      if (list->empty()) continue;
      const size_t start = rng.Uniform(list->size());
      for (size_t k = 0; k < list->size(); ++k) {
        const RdIndex rd = (*list)[(start + k) % list->size()];
        if (cluster_.rds[rd].alive && accept(rd)) return rd;
      }
    }
    return kNoIndex;
  };
  switch (f.kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
    case FaultKind::kPartition:
    case FaultKind::kSlowSatellite: {
      const std::vector<NodeIndex> nodes = FaultNodes(i, f.count);
      if (nodes.empty()) {
        w.note = "no target node";
        return;
      }
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + nodes_label(nodes));
      w.fired = true;
      if (f.kind == FaultKind::kNodeCrash) {
        for (NodeIndex n : nodes) CrashNode(n);
        w.note = "crashed" + nodes_label(nodes);
        if (std::string v = ParamValue(f.params, "evict_after"); !v.empty()) {
          if (auto d = ParseDuration(v); d.ok()) {
            for (NodeIndex n : nodes) Schedule(Scaled(*d), kEventEvict, n);
            w.note += ", evicted after " + v + " if still away";
          }
        }
      } else if (f.kind == FaultKind::kNodeReboot) {
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
        w.note = "rebooting" + nodes_label(nodes);
      } else if (f.kind == FaultKind::kPartition) {
        SetPartition(nodes, i + 1);
        w.note = "isolated" + nodes_label(nodes);
      } else {
        Duration latency = seconds(5);
        if (std::string v = ParamValue(f.params, "latency"); !v.empty()) {
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
        w.note = "slow" + nodes_label(nodes) + " (" + FormatDuration(latency) + "), " +
                 std::to_string(slow_pairs_[i].size()) + " links congested";
      }
      break;
    }
    case FaultKind::kQuorumLoss: {
      const RdIndex rd = find_target_rd([&](RdIndex r) { return QuorumEnabled(r); });
      if (rd == kNoIndex) {
        w.note = "no resource with quorum enabled";
        return;
      }
      fault_target_rd_[i] = rd;
      w.resource = cluster_.rds[rd].name;
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
      const bool partition = ParamValue(f.params, "mode") == "partition";
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
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + " " + cluster_.rds[rd].name);
      w.fired = true;
      if (partition) {
        SetPartition(nodes, i + 1);
        w.note =
            "partitioned" + nodes_label(nodes) + " away from " + cluster_.rds[rd].name + "'s peers";
      } else {
        for (NodeIndex n : nodes) CrashNode(n);
        w.note = "crashed" + nodes_label(nodes) + " (" + cluster_.rds[rd].name + " keeps 1 voter)";
      }
      break;
    }
    case FaultKind::kSplitBrain: {
      auto two_diskful_no_tb = [&](RdIndex rd) {
        int diskful = 0, other = 0;
        for (ReplicaIndex r : cluster_.rds[rd].replicas) {
          (cluster_.replicas[r].kind == ReplicaKind::kDiskful ? diskful : other)++;
        }
        return diskful == 2 && other == 0;
      };
      const RdIndex rd = find_target_rd(two_diskful_no_tb);
      if (rd == kNoIndex) {
        w.note = "no resource with 2 diskful replicas and no tiebreaker";
        return;
      }
      fault_target_rd_[i] = rd;
      w.resource = cluster_.rds[rd].name;
      // Isolate the replica that is not Primary (or the second one).
      ReplicaIndex victim = cluster_.rds[rd].replicas[1];
      if (cluster_.replicas[victim].in_use) victim = cluster_.rds[rd].replicas[0];
      const std::vector<NodeIndex> nodes = {cluster_.replicas[victim].node};
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + " " + cluster_.rds[rd].name);
      w.fired = true;
      SetPartition(nodes, i + 1);
      Schedule(Scaled(seconds(12)), kEventSplitPromote, rd);
      w.note =
          "isolated" + nodes_label(nodes) + "; both sides of " + cluster_.rds[rd].name + " promote";
      break;
    }
    case FaultKind::kPoolExhaustion: {
      std::vector<NodeIndex> nodes = FaultNodes(i, 1);
      if (nodes.empty()) {
        w.note = "no target node";
        return;
      }
      const std::string want = ParamValue(f.params, "pool");
      PoolIndex pool = kNoIndex;
      for (PoolIndex p : cluster_.nodes[nodes[0]].pools) {
        if (cluster_.pools[p].diskless()) continue;
        if (want.empty() || FoldName(want) == FoldName(cluster_.pools[p].name)) {
          pool = p;
          break;
        }
      }
      if (pool == kNoIndex) {
        w.note = "no diskful pool on " + cluster_.nodes[nodes[0]].name;
        return;
      }
      set_nodes({nodes[0]});
      cause_ = trace_.InternCause(label + " " + cluster_.nodes[nodes[0]].name + "/" +
                                  cluster_.pools[pool].name);
      w.fired = true;
      StoragePool& sp = cluster_.pools[pool];
      ChangePool(pool, static_cast<int64_t>(sp.total_kib) - static_cast<int64_t>(sp.allocated_kib),
                 0);
      int failing = 0;
      for (ReplicaIndex r : cluster_.nodes[nodes[0]].replicas) {
        const Replica& x = cluster_.replicas[r];
        if (x.pool != pool || !Running(r) || !UpToDate(r)) continue;
        if (Writer(x.rd) == kNoIndex) continue;  // only written volumes hit the full pool
        Schedule(ScaledUniform(rng, milliseconds(1), seconds(1)), kEventDiskDetach, r, 0, 0);
        ++failing;
      }
      w.note = cluster_.nodes[nodes[0]].name + "/" + sp.name + " full; " + std::to_string(failing) +
               " written volumes get IO errors";
      break;
    }
    case FaultKind::kDiskFailure: {
      std::vector<NodeIndex> nodes = FaultNodes(i, 1);
      ReplicaIndex target = kNoIndex;
      RdIndex rd = kNoIndex;
      if (!f.resource.empty()) rd = FindResourceDefinition(f.resource);
      if (rd == kNoIndex && !nodes.empty()) {
        // Some diskful replica on the node.
        const auto& reps = cluster_.nodes[nodes[0]].replicas;
        if (!reps.empty()) {
          const size_t start = rng.Uniform(reps.size());
          for (size_t k = 0; k < reps.size() && target == kNoIndex; ++k) {
            const ReplicaIndex r = reps[(start + k) % reps.size()];
            if (cluster_.replicas[r].kind == ReplicaKind::kDiskful && UpToDate(r)) target = r;
          }
        }
      } else if (rd != kNoIndex) {
        for (ReplicaIndex r : cluster_.rds[rd].replicas) {
          const Replica& x = cluster_.replicas[r];
          if (x.kind != ReplicaKind::kDiskful) continue;
          if (!f.nodes.empty() && (nodes.empty() || x.node != nodes[0])) continue;
          target = r;
          break;
        }
      }
      if (target == kNoIndex) {
        w.note = "no diskful replica to fail";
        return;
      }
      set_nodes({cluster_.replicas[target].node});
      w.resource = cluster_.rds[cluster_.replicas[target].rd].name;
      cause_ = trace_.InternCause(label + " " + w.resource + " on " +
                                  cluster_.nodes[cluster_.replicas[target].node].name);
      w.fired = true;
      DetachDisk(target, 0);
      w.note =
          "IO error on " + w.resource + "/" + cluster_.nodes[cluster_.replicas[target].node].name;
      break;
    }
    case FaultKind::kResizeWave: {
      cause_ = trace_.InternCause(label);
      w.fired = true;
      int count = f.count;
      if (std::string v = ParamValue(f.params, "count"); !v.empty()) count = std::atoi(v.c_str());
      int ok = 0, refused = 0;
      ++op_depth_;
      for (int k = 0; k < count; ++k) {
        const RdIndex rd = PickResourceDefinition(rng, false, true);
        if (rd == kNoIndex || cluster_.rds[rd].volumes.empty()) continue;
        const Kib size = cluster_.rds[rd].volumes[0].size_kib;
        const Kib grown =
            static_cast<Kib>(static_cast<double>(size) * spec_.workload.resize_factor);
        const OpResult res =
            ResizeIndex(rd, cluster_.rds[rd].volumes[0].number, (grown + 1023) / 1024 * 1024);
        res.ok() ? ++ok : ++refused;
      }
      --op_depth_;
      w.note = "resized " + std::to_string(ok) + ", refused " + std::to_string(refused);
      break;
    }
    default:
      break;
  }
}

void WorldImpl::OnFaultEnd(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  FaultWindow& w = fault_windows_[i];
  if (!w.fired) return;
  const std::vector<NodeIndex>& nodes = fault_nodes_[i];
  switch (f.kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
      for (NodeIndex n : nodes) ReturnNode(n, 0);
      break;
    case FaultKind::kQuorumLoss:
      if (ParamValue(f.params, "mode") == "partition") {
        HealPartition(nodes);
      } else {
        for (NodeIndex n : nodes) ReturnNode(n, 0);
      }
      break;
    case FaultKind::kPartition:
      HealPartition(nodes);
      break;
    case FaultKind::kSplitBrain: {
      HealPartition(nodes);
      const std::string recover = ParamValue(f.params, "recover");
      if (!recover.empty()) {
        auto d = ParseDuration(recover);
        const RdIndex rd = fault_target_rd_[i];
        if (d.ok() && rd != kNoIndex) {
          ReplicaIndex victim = FindReplica(rd, nodes[0]);
          if (victim != kNoIndex) {
            Schedule(Scaled(kConnectInt) + Scaled(*d), kEventSplitRecover, rd, victim);
          }
        }
      }
      break;
    }
    case FaultKind::kSlowSatellite:
      for (NodeIndex n : nodes) node_data_[n].latency_ns = 0;
      // Congestion clears: the Behind side resyncs what it missed.
      for (const SlowPair& sp : slow_pairs_[i]) {
        if (!Running(sp.writer) || !Running(sp.behind)) continue;
        const int kw = PeerSlot(sp.writer, sp.behind), kb = PeerSlot(sp.behind, sp.writer);
        if (kw < 0 || kb < 0 ||
            cluster_.replicas[sp.writer].peers[kw].conn != ConnState::kConnected)
          continue;
        const double dirty = static_cast<double>(spec_.cluster.write_rate_kib) *
                             static_cast<double>(f.duration.count()) / 1e9;
        replica_data_[sp.behind].full_sync_kib = std::max<Kib>(64, static_cast<Kib>(dirty));
        RequestResync(sp.writer, kw, sp.behind, kb);
      }
      break;
    case FaultKind::kPoolExhaustion:
      // The admin grows the pool; detached disks stay detached until re-attached by hand.
      for (PoolIndex p : cluster_.nodes[nodes[0]].pools) {
        if (cluster_.pools[p].diskless()) continue;
        const std::string want = ParamValue(f.params, "pool");
        if (!want.empty() && FoldName(want) != FoldName(cluster_.pools[p].name)) continue;
        ChangePool(p, 0, 0, static_cast<int64_t>(cluster_.pools[p].total_kib));
        break;
      }
      break;
    default:
      break;
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
