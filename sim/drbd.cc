// The DRBD state machine of one resource: quorum, promotion scores and data generations
// (current UUIDs), the per-link connection walk (break, steps, handshake) and resyncs with their
// progress, and a failing disk's detach. Node-level events that drive it live in nodes.cc.
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

// --- Quorum, promotion, data generations ------------------------------------------------------

bool WorldImpl::HasQuorum(ReplicaIndex r) const {
  const Replica& self = cluster_.replicas[r];
  const ResourceDefinition& rd = cluster_.rds[self.rd];
  int voters = 0, present = 0;
  bool diskless_peer = false;
  for (ReplicaIndex q : rd.replicas) {
    const Replica& x = cluster_.replicas[q];
    const bool connected = q == r || Connected(r, q);
    if (x.kind != ReplicaKind::kDiskful || (q == r ? !Attached(q) : false)) {
      if (q != r && connected) diskless_peer = true;
      continue;
    }
    if (q != r && connected) {
      // A connected peer whose disk is known not to hold good data does not vote.
      const DiskState d = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (d == DiskState::kOutdated || d == DiskState::kInconsistent || d == DiskState::kDiskless ||
          d == DiskState::kFailed) {
        diskless_peer = diskless_peer || d == DiskState::kDiskless || d == DiskState::kFailed;
        continue;
      }
    }
    if (q == r) {
      const DiskState d = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (d == DiskState::kOutdated) continue;  // an Outdated replica does not vote
    }
    ++voters;
    if (connected) ++present;
  }
  if (voters == 0) return false;
  if (2 * present > voters) return true;
  return 2 * present == voters && diskless_peer;
}

ReplicaIndex WorldImpl::ReachablePrimary(ReplicaIndex r) const {
  const ResourceDefinition& def = cluster_.rds[cluster_.replicas[r].rd];
  ReplicaIndex seen[64];
  size_t n = 0, head = 0;
  seen[n++] = r;
  while (head < n) {
    const ReplicaIndex x = seen[head++];
    for (ReplicaIndex q : def.replicas) {
      if (std::find(seen, seen + n, q) != seen + n || n >= 64) continue;
      if (!Running(q) || !Connected(x, q)) continue;
      if (cluster_.replicas[q].in_use) return q;
      seen[n++] = q;
    }
  }
  return kNoIndex;
}

void WorldImpl::Recompute(RdIndex rd) {
  const ResourceDefinition& def = cluster_.rds[rd];
  const bool quorum_on = QuorumEnabled(rd);
  for (ReplicaIndex r : def.replicas) {
    if (!Running(r)) continue;  // a dead host's truth stays frozen
    const Replica& x = cluster_.replicas[r];
    const bool quorum = !quorum_on || HasQuorum(r);
    const bool peer_primary = ReachablePrimary(r) != kNoIndex;
    int uptodate_peers = 0;
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].conn != ConnState::kConnected) continue;
      const ReplicaIndex q = PeerReplica(r, k);
      if (q != kNoIndex && UpToDate(q)) ++uptodate_peers;
    }
    const bool own_data = UpToDate(r);
    const bool has_data = own_data || uptodate_peers > 0;
    int32_t score = 0;
    if (has_data) score = (own_data ? 10000 : 1000) + (quorum ? 100 : 0) + uptodate_peers;
    PutQuorum(r, quorum);
    PutMayPromote(r, !x.in_use && !peer_primary && quorum && has_data);
    PutPromotionScore(r, score);
  }
}

// The writer (the Primary with quorum) writes to itself and its connected UpToDate peers. When
// some diskful replica shares their data generation but is not among them, DRBD starts a new
// current UUID on the writer's side: that replica is now behind (and needs a resync later).
void WorldImpl::MaybeNewUuid(RdIndex rd) {
  // Normally one writer; two in a split brain (each side writes its own history).
  const ResourceDefinition& def = cluster_.rds[rd];
  for (size_t i = 0; i < def.replicas.size(); ++i) {
    const ReplicaIndex w = def.replicas[i];
    if (cluster_.replicas[w].in_use && Running(w) && cluster_.replicas[w].quorum)
      MaybeNewUuidFor(rd, w);
  }
}

void WorldImpl::MaybeNewUuidFor(RdIndex rd, ReplicaIndex w) {
  const ResourceDefinition& def = cluster_.rds[rd];
  ReplicaIndex group[32];
  size_t n = 0;
  if (UpToDate(w)) group[n++] = w;
  for (ReplicaIndex q : def.replicas) {
    if (q != w && n < 32 && UpToDate(q) && Running(q) && Connected(w, q)) group[n++] = q;
  }
  if (n == 0) return;
  const uint32_t current = replica_data_[group[0]].uuid[0];
  bool behind = false;
  for (ReplicaIndex q : def.replicas) {
    if (cluster_.replicas[q].kind != ReplicaKind::kDiskful) continue;
    if (std::find(group, group + n, q) != group + n) continue;
    // q holds the writer's data generation, or has it as an ancestor of its own: writing on
    // without a new UUID would make the two indistinguishable (or q look newer) later.
    const ReplicaData& dq = replica_data_[q];
    if (dq.uuid[0] == current || dq.uuid[1] == current || dq.uuid[2] == current) behind = true;
  }
  if (!behind) return;
  const uint32_t next = ++uuid_counter_;
  for (size_t i = 0; i < n; ++i) {
    ReplicaData& d = replica_data_[group[i]];
    d.uuid[2] = d.uuid[1];
    d.uuid[1] = d.uuid[0];
    d.uuid[0] = next;
    d.born[1] = d.born[0];
    d.born[0] = now_;
  }
}

// --- DRBD connection state machine ------------------------------------------------------------

int64_t WorldImpl::DetectDelay(RdIndex rd) {
  // With I/O in flight the request timeout (6 s) fires; idle, the next ping (every 10 s) is
  // missed and ping-timeout (0.5 s) later the peer is declared lost.
  if (AnyInUse(rd)) return ScaledUniform(rng_drbd_, kTimeout, kTimeout + milliseconds(500));
  return ScaledUniform(rng_drbd_, kPingTimeout, kPingInterval + kPingTimeout);
}

// Ends a running resync of `target` early. The target keeps its Inconsistent disk and must
// sync in full later; done% disappears on both sides; with `settle_pair` a still connected pair
// goes back to Established (the connection itself is fine, e.g. the source lost its disk).
void WorldImpl::StopResync(ReplicaIndex target, bool settle_pair) {
  auto it = resyncs_.find(target);
  if (it == resyncs_.end()) return;
  const ReplicaIndex source = it->second.source;
  resyncs_.erase(it);
  replica_data_[target].full_sync_kib = FullSyncKib(cluster_.replicas[target].rd);
  if (Running(target)) PutDonePercentageAll(target, kAbsent);
  if (Running(source)) PutDonePercentageAll(source, kAbsent);
  if (!settle_pair) return;
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  if (ks >= 0 && Running(source) &&
      cluster_.replicas[source].peers[ks].conn == ConnState::kConnected) {
    PutReplicationAll(source, ks, ReplState::kEstablished);
  }
  if (kt >= 0 && Running(target) &&
      cluster_.replicas[target].peers[kt].conn == ConnState::kConnected) {
    PutReplicationAll(target, kt, ReplState::kEstablished);
  }
}

// Stops every resync that `r` takes part in, as target or as source.
void WorldImpl::StopResyncsOf(ReplicaIndex r, bool settle_pair) {
  StopResync(r, settle_pair);
  for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
    auto it = resyncs_.find(p);
    if (p != r && it != resyncs_.end() && it->second.source == r) StopResync(p, settle_pair);
  }
}

// An Inconsistent replica whose sync source went away syncs from another connected UpToDate peer.
void WorldImpl::ResyncFromAnyPeer(ReplicaIndex target) {
  if (!Running(target) || resyncs_.count(target) || !Attached(target) || UpToDate(target)) return;
  for (ReplicaIndex q : cluster_.rds[cluster_.replicas[target].rd].replicas) {
    if (q == target || !Running(q) || !UpToDate(q) || !Connected(target, q) ||
        !Connected(q, target)) {
      continue;
    }
    RequestResync(q, PeerSlot(q, target), target, PeerSlot(target, q));
    return;
  }
}

void WorldImpl::RequestResync(ReplicaIndex source, int source_slot, ReplicaIndex target,
                              int target_slot) {
  PutReplicationAll(source, source_slot, ReplState::kWFBitMapS);
  PutReplicationAll(target, target_slot, ReplState::kWFBitMapT);
  Schedule(Scaled(milliseconds(20)), kEventSyncStart, target, source);
}

void WorldImpl::AbortResyncs(ReplicaIndex r, ReplicaIndex peer) {
  for (ReplicaIndex target : {r, peer}) {
    auto it = resyncs_.find(target);
    if (it == resyncs_.end()) continue;
    const ReplicaIndex source = it->second.source;
    if (source == r || source == peer) StopResync(target, /*settle_pair=*/false);
  }
}

void WorldImpl::BreakSide(ReplicaIndex r, ReplicaIndex peer, ConnState first, bool instant) {
  const int k = PeerSlot(r, peer);
  if (k < 0) return;
  AbortResyncs(r, peer);
  PutConnectionState(r, k, first);
  PutReplicationAll(r, k, ReplState::kOff);
  if (instant) {
    PutConnectionState(r, k, ConnState::kUnconnected);
    PutConnectionState(r, k, ConnState::kConnecting);
  } else {
    Schedule(Scaled(kStateStep), kEventLinkStep, r, peer,
             static_cast<uint16_t>(ConnState::kUnconnected));
  }
}

void WorldImpl::OnLinkBreak(ReplicaIndex r, ReplicaIndex peer) {
  if (!Running(r) || !cluster_.replicas[peer].alive) return;
  if (Running(peer) && CanTalk(cluster_.replicas[r].node, cluster_.replicas[peer].node)) return;
  const int k = PeerSlot(r, peer);
  if (k < 0 || cluster_.replicas[r].peers[k].conn != ConnState::kConnected) return;
  BreakSide(r, peer, ConnState::kNetworkFailure, /*instant=*/false);
  Settle(cluster_.replicas[r].rd);
}

void WorldImpl::OnLinkStep(ReplicaIndex r, ReplicaIndex peer, ConnState next) {
  if (!Running(r) || !cluster_.replicas[peer].alive) return;
  const int k = PeerSlot(r, peer);
  if (k < 0) return;
  const ConnState cur = cluster_.replicas[r].peers[k].conn;
  if (next == ConnState::kUnconnected &&
      (cur == ConnState::kNetworkFailure || cur == ConnState::kBrokenPipe ||
       cur == ConnState::kTimeout || cur == ConnState::kDisconnecting)) {
    PutConnectionState(r, k, ConnState::kUnconnected);
    Schedule(Scaled(kStateStep), kEventLinkStep, r, peer,
             static_cast<uint16_t>(ConnState::kConnecting));
  } else if (next == ConnState::kConnecting && cur == ConnState::kUnconnected) {
    PutConnectionState(r, k, ConnState::kConnecting);
    if (Running(peer) && CanTalk(cluster_.replicas[r].node, cluster_.replicas[peer].node)) {
      Schedule(ScaledUniform(rng_drbd_, milliseconds(100), kConnectInterval), kEventConnect, r,
               peer);
    }
  }
}

void WorldImpl::OnConnect(ReplicaIndex a, ReplicaIndex b) {
  if (!Running(a) || !Running(b)) return;
  if (!CanTalk(cluster_.replicas[a].node, cluster_.replicas[b].node)) return;
  const int ka = PeerSlot(a, b), kb = PeerSlot(b, a);
  if (ka < 0 || kb < 0) return;
  const ConnState ca = cluster_.replicas[a].peers[ka].conn;
  const ConnState cb = cluster_.replicas[b].peers[kb].conn;
  if (ca == ConnState::kConnected && cb == ConnState::kConnected) return;
  if (ca == ConnState::kStandAlone || cb == ConnState::kStandAlone) return;
  // A side that still believes in a connection learns that it broke (the peer restarted).
  if (ca == ConnState::kConnected) BreakSide(a, b, ConnState::kNetworkFailure, true);
  if (cb == ConnState::kConnected) BreakSide(b, a, ConnState::kNetworkFailure, true);
  DemotePrimaryWithoutQuorum(a, b);
  LearnOutdatedThroughDiskless(a, b);
  const RdIndex rd = cluster_.replicas[a].rd;
  Handshake handshake;
  if (Attached(a) && Attached(b)) handshake = CompareGenerations(a, b);
  if (handshake.split_brain) {
    // DRBD detects the split brain in the handshake and drops the connection on both sides;
    // both disks stay UpToDate (LINSTOR shows StandAlone, not "split brain").
    PutConnectionState(a, ka, ConnState::kStandAlone);
    PutConnectionState(b, kb, ConnState::kStandAlone);
    Settle(rd);
    return;
  }
  PutConnectionState(a, ka, ConnState::kConnected);
  PutConnectionState(b, kb, ConnState::kConnected);
  const ReplicaIndex source = handshake.source, target = handshake.target;
  if (source == kNoIndex || resyncs_.count(target) > 0) {
    // In sync, or already syncing from another peer (DRBD merges the bitmaps): this pair just
    // replicates.
    PutReplicationAll(a, ka, ReplState::kEstablished);
    PutReplicationAll(b, kb, ReplState::kEstablished);
  } else {
    RequestResync(source, PeerSlot(source, target), target, PeerSlot(target, source));
  }
  Settle(rd);
}

// Two Primaries meet: one without quorum had its workload moved away; it is demoted.
void WorldImpl::DemotePrimaryWithoutQuorum(ReplicaIndex a, ReplicaIndex b) {
  const Replica& ra = cluster_.replicas[a];
  const Replica& rb = cluster_.replicas[b];
  if (!ra.in_use || !rb.in_use) return;
  if (!ra.quorum) {
    PutInUse(a, false);
  } else if (!rb.quorum) {
    PutInUse(b, false);
  }
}

// A diskless peer (tiebreaker, client) passes on what it knows: if a diskful replica it is
// connected to holds newer data than the diskful side of this handshake, that side learns
// that it is Outdated (and so cannot regain quorum through the tiebreaker alone).
void WorldImpl::LearnOutdatedThroughDiskless(ReplicaIndex a, ReplicaIndex b) {
  const RdIndex rd = cluster_.replicas[a].rd;
  for (auto [diskful, diskless] : {std::pair{a, b}, std::pair{b, a}}) {
    if (!Attached(diskful) || cluster_.replicas[diskless].kind == ReplicaKind::kDiskful) continue;
    if (!UpToDate(diskful)) continue;
    const uint32_t mine = replica_data_[diskful].uuid[0];
    for (ReplicaIndex q : cluster_.rds[rd].replicas) {
      if (q == diskful || !UpToDate(q) || !Running(q) || !Connected(diskless, q)) continue;
      if (replica_data_[q].uuid[1] == mine || replica_data_[q].uuid[2] == mine) {
        PutDiskStateAll(diskful, DiskState::kOutdated);
        break;
      }
    }
  }
}

WorldImpl::Handshake WorldImpl::CompareGenerations(ReplicaIndex a, ReplicaIndex b) {
  const ReplicaData& da = replica_data_[a];
  const ReplicaData& db = replica_data_[b];
  Handshake h;
  if (da.full_sync_kib > 0 && !UpToDate(a) && UpToDate(b)) {
    h.source = b, h.target = a;
  } else if (db.full_sync_kib > 0 && !UpToDate(b) && UpToDate(a)) {
    h.source = a, h.target = b;
  } else if (da.uuid[0] == db.uuid[0]) {
    // Same data: the one that thought itself outdated is UpToDate again.
    const bool a_good = UpToDate(a), b_good = UpToDate(b);
    if (!a_good && cluster_.replicas[a].volumes[0].disk != DiskState::kInconsistent)
      PutDiskStateAll(a, DiskState::kUpToDate);
    if (!b_good && cluster_.replicas[b].volumes[0].disk != DiskState::kInconsistent)
      PutDiskStateAll(b, DiskState::kUpToDate);
  } else if (da.uuid[1] == db.uuid[0] || da.uuid[2] == db.uuid[0]) {
    h.source = a, h.target = b;
  } else if (db.uuid[1] == da.uuid[0] || db.uuid[2] == da.uuid[0]) {
    h.source = b, h.target = a;
  } else if (UpToDate(a) && UpToDate(b)) {
    h.split_brain = true;
  } else {
    h.source = UpToDate(a) ? a : b;
    h.target = h.source == a ? b : a;
    replica_data_[h.target].full_sync_kib = TotalSize(cluster_.replicas[a].rd);
  }
  return h;
}

void WorldImpl::OnSyncStart(ReplicaIndex target, ReplicaIndex source) {
  if (!Running(target) || !Running(source)) return;
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  if (ks < 0 || kt < 0) return;
  Replica& t = cluster_.replicas[target];
  Replica& s = cluster_.replicas[source];
  if (s.peers[ks].conn != ConnState::kConnected || t.peers[kt].conn != ConnState::kConnected)
    return;
  if (s.volumes.empty() || s.volumes[0].repl[ks] != ReplState::kWFBitMapS) return;
  const RdIndex rd = t.rd;
  if (resyncs_.count(target) > 0 || UpToDate(target)) {
    // Another source got there first (DRBD merges the bitmaps): this pair just replicates.
    PutReplicationAll(source, ks, ReplState::kEstablished);
    PutReplicationAll(target, kt, ReplState::kEstablished);
    return;
  }
  Resync rs = PlanResync(target, source);
  int64_t longest = 0;
  for (int64_t d : rs.duration_ns) longest = std::max(longest, d);
  PutDiskStateAll(target, DiskState::kInconsistent);
  PutReplicationAll(source, ks, ReplState::kSyncSource);
  PutReplicationAll(target, kt, ReplState::kSyncTarget);
  PutDonePercentageAll(target, 0);
  PutDonePercentageAll(source, 0);
  const uint32_t gen = rs.gen;
  resyncs_[target] = std::move(rs);
  // Progress ticks: one per second of scaled time, at most 100 per resync.
  const int64_t tick = std::max<int64_t>(Scaled(seconds(1)), longest / 100);
  Schedule(std::min(tick, longest), kEventSyncTick, target, gen);
  Settle(rd);
}

Resync WorldImpl::PlanResync(ReplicaIndex target, ReplicaIndex source) {
  const Replica& source_replica = cluster_.replicas[source];
  const auto& vols = cluster_.rds[cluster_.replicas[target].rd].volumes;
  // Dirty data: a full sync (new disk, discarded data) or what the writer wrote since the
  // target's data generation was left behind.
  int64_t behind_since = now_;
  const ReplicaData& ds = replica_data_[source];
  const ReplicaData& dt = replica_data_[target];
  if (ds.uuid[1] == dt.uuid[0])
    behind_since = ds.born[0];
  else if (ds.uuid[2] == dt.uuid[0])
    behind_since = ds.born[1];
  const double elapsed_unscaled_s =
      static_cast<double>(std::max<int64_t>(now_ - behind_since, 0)) / 1e9 / scale_;
  Resync rs;
  rs.source = source;
  rs.start_ns = now_;
  rs.gen = ++resync_gen_;
  for (size_t vi = 0; vi < vols.size(); ++vi) {
    double dirty_kib;
    if (dt.full_sync_kib > 0) {
      const bool thin =
          source_replica.pool != kNoIndex && cluster_.pools[source_replica.pool].thin();
      dirty_kib = static_cast<double>(
          thin ? std::max<Kib>(source_replica.volumes[vi].allocated_kib, 64) : vols[vi].size_kib);
      dirty_kib = std::min(dirty_kib, static_cast<double>(dt.full_sync_kib));
    } else {
      dirty_kib = std::min(
          static_cast<double>(vols[vi].size_kib),
          std::max(64.0, elapsed_unscaled_s * static_cast<double>(spec_.cluster.write_rate_kib)));
    }
    const double seconds_unscaled =
        dirty_kib / static_cast<double>(std::max<Kib>(spec_.cluster.resync_rate_kib, 1));
    const int64_t d = std::max<int64_t>(1, std::llround(seconds_unscaled * 1e9 * scale_));
    rs.duration_ns.push_back(d);
  }
  return rs;
}

void WorldImpl::OnSyncTick(ReplicaIndex target, uint32_t gen) {
  auto it = resyncs_.find(target);
  if (it == resyncs_.end() || it->second.gen != gen) return;
  const Resync& rs = it->second;
  const ReplicaIndex source = rs.source;
  if (!Running(target) || !Running(source)) return;
  const int64_t elapsed = now_ - rs.start_ns;
  bool done = true;
  int64_t longest = 0;
  for (size_t vi = 0; vi < rs.duration_ns.size() && vi < cluster_.replicas[target].volumes.size();
       ++vi) {
    const int64_t d = rs.duration_ns[vi];
    longest = std::max(longest, d);
    const int64_t pct = elapsed >= d ? 10000 : (elapsed * 10000) / d;
    if (pct < 10000) {
      done = false;
      PutDonePercentage(target, vi, pct);
      PutDonePercentage(source, vi, pct);
    }
  }
  if (!done) {
    const int64_t tick = std::max<int64_t>(Scaled(seconds(1)), longest / 100);
    Schedule(std::min(tick, std::max<int64_t>(longest - elapsed, 1)), kEventSyncTick, target, gen);
    return;
  }
  resyncs_.erase(it);
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  PutDonePercentageAll(target, kAbsent);
  PutDonePercentageAll(source, kAbsent);
  PutDiskStateAll(target, DiskState::kUpToDate);
  if (ks >= 0) PutReplicationAll(source, ks, ReplState::kEstablished);
  if (kt >= 0) PutReplicationAll(target, kt, ReplState::kEstablished);
  CopyUuid(target, source);
  replica_data_[target].full_sync_kib = 0;
  Settle(cluster_.replicas[target].rd);
}

void WorldImpl::DetachDisk(ReplicaIndex r, uint16_t step) {
  if (!Running(r) || cluster_.replicas[r].kind != ReplicaKind::kDiskful) return;
  if (step == 0) {
    // on-io-error detach: the failing disk goes Failed, then DRBD detaches it.
    bool any = false;
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) {
      if (cluster_.replicas[r].volumes[vi].disk == DiskState::kDiskless) continue;
      PutDiskState(r, vi, DiskState::kFailed);
      any = true;
    }
    if (!any) return;
    // Targets that were syncing from this disk look for another source.
    std::vector<ReplicaIndex> orphans;
    for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
      auto it = resyncs_.find(p);
      if (p != r && it != resyncs_.end() && it->second.source == r) orphans.push_back(p);
    }
    StopResyncsOf(r, /*settle_pair=*/true);
    PutDonePercentageAll(r, kAbsent);
    for (ReplicaIndex p : orphans) ResyncFromAnyPeer(p);
    Schedule(Scaled(milliseconds(100)), kEventDiskDetach, r, 0, 1);
  } else {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) {
      if (cluster_.replicas[r].volumes[vi].disk == DiskState::kFailed) {
        PutDiskState(r, vi, DiskState::kDiskless);
      }
    }
    replica_data_[r].full_sync_kib = FullSyncKib(cluster_.replicas[r].rd);
  }
  Settle(cluster_.replicas[r].rd);
}

}  // namespace lnsim::sim::internal
