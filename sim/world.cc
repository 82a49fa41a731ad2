// The world's core: the scheduler loop and event dispatch, the name lookups, and the model edits
// (adding and removing resource definitions, volumes and replicas) that operations, the
// generator and DRBD share. World::Create wires the pieces together.
//
// DRBD model in short (see docs/scenarios.md and sim/world.h):
//  - connectivity: two nodes talk iff both hosts are up and they are in the same partition group;
//  - each side of a link notices a loss on its own (ping-int/ping-timeout/timeout) and walks
//    Connected -> NetworkFailure -> Unconnected -> Connecting, then retries every connect-int;
//  - data generations are DRBD-like current UUIDs: the writer (the Primary with quorum) and its
//    connected UpToDate peers get a new UUID when some diskful replica misses writes; the
//    handshake compares UUIDs: equal = Established, one ahead = resync, diverged = split brain;
//  - quorum (on with >= 3 diskful, or 2 diskful + a diskless peer) is a majority of diskful
//    voters, a diskless peer breaking ties; Outdated/detached replicas do not vote.
#include "sim/world.h"

#include <algorithm>
#include <memory>

#include "sim/internal/world_impl.h"

namespace lnsim::sim {

bool OpResult::ok() const { return FirstError() == nullptr; }

const OpMessage* OpResult::FirstError() const {
  for (const auto& m : messages) {
    if (m.severity == Severity::kError) return &m;
  }
  return nullptr;
}

namespace internal {

using std::chrono::milliseconds;

WorldImpl::WorldImpl(const WorldSpec& spec, uint64_t seed)
    : spec_(spec),
      root_rng_(seed),
      rng_generator_(root_rng_.Fork("generator")),
      rng_names_(root_rng_.Fork("names")),
      rng_drbd_(root_rng_.Fork("drbd")),
      rng_ha_(root_rng_.Fork("ha")) {
  spec_.seed = seed;
  for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
    rng_workload_.push_back(root_rng_.Fork(std::string("workload/") + kWorkloadNames[k]));
  }
}

uint64_t WorldImpl::AdvanceTo(Duration t) {
  const uint64_t before = recorded_;
  while (!queue_.empty() && queue_.top().time_ns <= t.count()) {
    const Event e = queue_.Pop();
    now_ = e.time_ns;
    cause_ = e.cause;
    Dispatch(e);
  }
  if (t.count() > now_) now_ = t.count();
  return recorded_ - before;
}

bool WorldImpl::InFaultWindow(FaultKind kind, Duration t) const {
  for (const auto& w : fault_windows_) {
    if (w.kind != kind || !w.fired || t < w.start) continue;
    if (w.permanent || t < w.end) return true;
  }
  return false;
}

std::vector<std::pair<NodeIndex, Duration>> WorldImpl::SlowNodes() const {
  std::vector<std::pair<NodeIndex, Duration>> out;
  for (NodeIndex n = 0; n < node_data_.size(); ++n) {
    if (node_data_[n].latency_ns > 0) out.emplace_back(n, Duration(node_data_[n].latency_ns));
  }
  return out;
}

NodeIndex WorldImpl::FindNode(std::string_view name) const {
  auto it = node_by_name_.find(FoldName(name));
  return it == node_by_name_.end() ? kNoIndex : it->second;
}
RdIndex WorldImpl::FindResourceDefinition(std::string_view name) const {
  auto it = rd_by_name_.find(FoldName(name));
  return it == rd_by_name_.end() ? kNoIndex : it->second;
}
GroupIndex WorldImpl::FindResourceGroup(std::string_view name) const {
  auto it = group_by_name_.find(FoldName(name));
  return it == group_by_name_.end() ? kNoIndex : it->second;
}
PoolIndex WorldImpl::FindPool(NodeIndex node, std::string_view pool_name) const {
  if (node >= cluster_.nodes.size() || !cluster_.nodes[node].alive) return kNoIndex;
  const std::string folded = FoldName(pool_name);
  for (PoolIndex p : cluster_.nodes[node].pools) {
    if (FoldName(cluster_.pools[p].name) == folded) return p;
  }
  return kNoIndex;
}
ReplicaIndex WorldImpl::FindReplica(RdIndex rd, NodeIndex node) const {
  if (rd >= cluster_.rds.size()) return kNoIndex;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].node == node) return r;
  }
  return kNoIndex;
}

// --- Event dispatch -----------------------------------------------------------------------------

// One handler per event type; the comments at EventType say what a, b and c carry.
void WorldImpl::Dispatch(const Event& e) {
  switch (e.type) {
    case kEventLinkBreak:
      return OnLinkBreak(e.a, e.b);
    case kEventLinkStep:
      return OnLinkStep(e.a, e.b, static_cast<ConnState>(e.c));
    case kEventConnect:
      return OnConnect(e.a, e.b);
    case kEventSyncStart:
      return OnSyncStart(e.a, e.b);
    case kEventSyncTick:
      return OnSyncTick(e.a, e.b);
    case kEventNodeDown:
      return OnNodeDown(e.a);
    case kEventNodeUp:
      return OnNodeUp(e.a, e.b, e.c);
    case kEventNodeBoot:
      return BootNode(e.a);
    case kEventNodeReturn:
      return OnNodeReturn(e.a);
    case kEventNodeShutdown:
      return OnNodeShutdown(e.a);
    case kEventReplicaUp:
      return OnReplicaUp(e.a);
    case kEventReplicaRemove:
      if (cluster_.replicas[e.a].alive) RemoveReplica(e.a);
      return;
    case kEventResizeStep:
      return OnResizeStep(e.a, e.b, e.c);
    case kEventToggleStep:
      return OnToggleStep(e.a, e.c);
    case kEventHaFailover:
      return OnHaFailover(e.a);
    case kEventFaultStart:
      return OnFaultStart(e.a);
    case kEventFaultEnd:
      return OnFaultEnd(e.a);
    case kEventWorkload:
      return OnWorkload(e.a);
    case kEventPromote:
      return OnWorkloadPromote(e.a, e.b);
    case kEventDiskDetach:
      return DetachDisk(e.a, e.c);
    case kEventSplitPromote:
      return OnSplitPromote(e.a);
    case kEventSplitRecover:
      return OnSplitRecover(e.a, e.b);
    case kEventEvict:
      return OnEvict(e.a);
    default:
      LNSIM_CHECK(false) << "unknown event type " << e.type;
  }
}

// --- Model edits --------------------------------------------------------------------------------

void WorldImpl::UpdateInUseSet(RdIndex rd) {
  if (rd_in_use_.size() <= rd) rd_in_use_.resize(rd + 1, 0);
  if (in_use_pos_.size() <= rd) in_use_pos_.resize(rd + 1, kNoIndex);
  const bool now_in_use = cluster_.rds[rd].alive && AnyInUse(rd);
  if (now_in_use == static_cast<bool>(rd_in_use_[rd])) return;
  rd_in_use_[rd] = now_in_use;
  if (now_in_use) {
    in_use_pos_[rd] = static_cast<uint32_t>(in_use_rds_.size());
    in_use_rds_.push_back(rd);
  } else {
    const uint32_t pos = in_use_pos_[rd];
    in_use_rds_[pos] = in_use_rds_.back();
    in_use_pos_[in_use_rds_[pos]] = pos;
    in_use_rds_.pop_back();
    in_use_pos_[rd] = kNoIndex;
  }
}

RdIndex WorldImpl::AddResourceDefinition(const std::string& name, GroupIndex group) {
  const RdIndex rd = static_cast<RdIndex>(cluster_.rds.size());
  ResourceDefinition def;
  def.name = name;
  def.group = group;
  def.port = next_port_++;
  def.create_time_ms = now_ / 1000000;
  cluster_.rds.push_back(std::move(def));
  rd_by_name_.emplace(FoldName(name), rd);
  rd_has_data_.push_back(0);
  AddLive(rd);
  UpdateInUseSet(rd);
  Record({EntityKind::kResourceDefinition, rd}, Attribute::kExists, kAbsent, 1);
  return rd;
}

void WorldImpl::AddVolume(RdIndex rd, uint32_t number, Kib size_kib, bool generating) {
  ResourceDefinition& def = cluster_.rds[rd];
  VolumeDefinition vd;
  vd.number = number;
  vd.size_kib = size_kib;
  vd.minor = next_minor_++;
  def.volumes.push_back(vd);
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kExists, kAbsent, 1);
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kSizeKib, kAbsent,
         static_cast<int64_t>(size_kib));
  const size_t vi = def.volumes.size() - 1;
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    VolumeReplica v;
    v.disk = x.kind == ReplicaKind::kDiskful ? DiskState::kUpToDate : DiskState::kDiskless;
    if (x.kind == ReplicaKind::kDiskful && !UpToDate(r) && !x.volumes.empty()) {
      v.disk = x.volumes[0].disk;
    }
    v.repl.assign(x.peers.size(), ReplState::kEstablished);
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].conn != ConnState::kConnected) v.repl[k] = ReplState::kOff;
    }
    x.volumes.push_back(std::move(v));
    (void)generating;
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, kAbsent, 1);
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, kAbsent,
           static_cast<int64_t>(x.volumes[vi].disk));
    if (x.kind == ReplicaKind::kDiskful) {
      const bool thin = cluster_.pools[x.pool].thin();
      const Kib alloc = thin ? 0 : size_kib;
      x.volumes[vi].allocated_kib = alloc;
      ChangePool(x.pool, static_cast<int64_t>(alloc), static_cast<int64_t>(size_kib));
    }
  }
}

ReplicaIndex WorldImpl::AddReplica(RdIndex rd, NodeIndex node, PoolIndex pool, ReplicaKind kind,
                                   bool initial) {
  const ReplicaIndex r = static_cast<ReplicaIndex>(cluster_.replicas.size());
  ResourceDefinition& def = cluster_.rds[rd];
  Replica x;
  x.rd = rd;
  x.node = node;
  x.kind = kind;
  x.pool = kind == ReplicaKind::kDiskful ? pool : DisklessPool(node);
  x.create_time_ms = now_ / 1000000;
  // Lowest free DRBD node id.
  uint32_t used = 0;
  for (ReplicaIndex q : def.replicas) used |= 1u << (cluster_.replicas[q].drbd_node_id & 31);
  uint8_t id = 0;
  while (used & (1u << id)) ++id;
  x.drbd_node_id = id;
  x.peers.reserve(def.replicas.size());
  for (ReplicaIndex q : def.replicas)
    x.peers.push_back({cluster_.replicas[q].node, ConnState::kConnecting});
  x.volumes.resize(def.volumes.size());
  for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
    VolumeReplica& v = x.volumes[vi];
    v.disk = kind == ReplicaKind::kDiskful ? DiskState::kInconsistent : DiskState::kDiskless;
    v.repl.assign(x.peers.size(), ReplState::kOff);
  }
  x.quorum = true;
  cluster_.replicas.push_back(std::move(x));
  replica_data_.push_back(NewReplicaData(rd, kind, initial));
  Record(ReplicaRef(r), Attribute::kExists, kAbsent, 1);
  Record(ReplicaRef(r), Attribute::kKind, kAbsent, static_cast<int64_t>(kind));
  for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, kAbsent, 1);
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, kAbsent,
           static_cast<int64_t>(cluster_.replicas[r].volumes[vi].disk));
  }
  LinkNewReplica(r);
  def.replicas.push_back(r);
  cluster_.nodes[node].replicas.push_back(r);
  if (kind == ReplicaKind::kDiskful) {
    for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
      const Kib size = def.volumes[vi].size_kib;
      const Kib alloc = cluster_.pools[pool].thin() ? 0 : size;
      cluster_.replicas[r].volumes[vi].allocated_kib = alloc;
      ChangePool(pool, static_cast<int64_t>(alloc), static_cast<int64_t>(size));
    }
  }
  if (Up(node) && recording_) {
    Schedule(ScaledUniform(rng_drbd_, milliseconds(500), milliseconds(1500)), kEventReplicaUp, r);
  }
  return r;
}

ReplicaData WorldImpl::NewReplicaData(RdIndex rd, ReplicaKind kind, bool initial) {
  ReplicaData d;
  d.initial = initial;
  if (initial && kind == ReplicaKind::kDiskful) {
    // All replicas of a fresh resource share its first data generation.
    uint32_t base = 0;
    for (ReplicaIndex q : cluster_.rds[rd].replicas) {
      if (replica_data_[q].initial && replica_data_[q].uuid[0] != 0)
        base = replica_data_[q].uuid[0];
    }
    d.uuid[0] = base != 0 ? base : ++uuid_counter_;
    d.born[0] = now_;
  }
  return d;
}

void WorldImpl::LinkNewReplica(ReplicaIndex r) {
  const ResourceDefinition& def = cluster_.rds[cluster_.replicas[r].rd];
  const NodeIndex node = cluster_.replicas[r].node;
  for (size_t k = 0; k < def.replicas.size(); ++k) {
    const ReplicaIndex q = def.replicas[k];
    Record(PeerLinkRef(r, k), Attribute::kExists, kAbsent, 1);
    Record(PeerLinkRef(r, k), Attribute::kConnState, kAbsent,
           static_cast<int64_t>(ConnState::kConnecting));
    Replica& y = cluster_.replicas[q];
    y.peers.push_back({node, ConnState::kConnecting});
    for (auto& v : y.volumes) v.repl.push_back(ReplState::kOff);
    const size_t kq = y.peers.size() - 1;
    Record(PeerLinkRef(q, kq), Attribute::kExists, kAbsent, 1);
    Record(PeerLinkRef(q, kq), Attribute::kConnState, kAbsent,
           static_cast<int64_t>(ConnState::kConnecting));
  }
}

void WorldImpl::RequestReplicaDelete(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  if (x.flags & kReplicaDelete) return;
  PutReplicaFlags(r, x.flags | kReplicaDelete);
  // On an offline node the replica keeps its DELETE flag until the satellite confirms.
  if (Online(x.node) && Up(x.node)) {
    Schedule(Scaled(kReplicaRemoveDelay), kEventReplicaRemove, r);
  }
}

void WorldImpl::RemoveReplica(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  if (!x.alive) return;
  const RdIndex rd = x.rd;
  ResourceDefinition& def = cluster_.rds[rd];
  for (ReplicaIndex p : def.replicas) {
    if (p == r) continue;
    AbortResyncs(p, r);
    const int k = PeerSlot(p, r);
    if (k < 0) continue;
    Record(PeerLinkRef(p, k), Attribute::kExists, 1, 0);
    Replica& y = cluster_.replicas[p];
    y.peers.erase(y.peers.begin() + k);
    for (auto& v : y.volumes) v.repl.erase(v.repl.begin() + k);
  }
  StopResync(r, /*settle_pair=*/false);
  for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
    if (x.kind == ReplicaKind::kDiskful) {
      ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
                 -static_cast<int64_t>(def.volumes[vi].size_kib));
    }
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, 1, 0);
  }
  // The replica's own links go with it (its peers' links toward it were removed above).
  for (size_t k = 0; k < x.peers.size(); ++k) Record(PeerLinkRef(r, k), Attribute::kExists, 1, 0);
  Record(ReplicaRef(r), Attribute::kExists, 1, 0);
  const bool was_in_use = x.in_use;
  x.alive = false;
  x.in_use = false;
  def.replicas.erase(std::find(def.replicas.begin(), def.replicas.end(), r));
  auto& on_node = cluster_.nodes[x.node].replicas;
  on_node.erase(std::find(on_node.begin(), on_node.end(), r));
  std::vector<PeerLink>().swap(x.peers);
  std::vector<VolumeReplica>().swap(x.volumes);
  if (was_in_use) UpdateInUseSet(rd);
  Settle(rd);
  RemoveResourceDefinitionIfDone(rd);
}

void WorldImpl::RemoveResourceDefinitionIfDone(RdIndex rd) {
  ResourceDefinition& def = cluster_.rds[rd];
  if (!def.alive || !(def.flags & 1u) || !def.replicas.empty()) return;
  for (const auto& v : def.volumes) {
    Record({EntityKind::kVolumeDefinition, rd, v.number}, Attribute::kExists, 1, 0);
  }
  Record({EntityKind::kResourceDefinition, rd}, Attribute::kExists, 1, 0);
  def.alive = false;
  rd_by_name_.erase(FoldName(def.name));
  RemoveLive(rd);
  UpdateInUseSet(rd);
}

}  // namespace internal

StatusOr<std::unique_ptr<World>> World::Create(const WorldSpec& spec, uint64_t seed) {
  if (!(spec.time_scale > 0)) return InvalidArgumentError("time_scale: must be positive");
  auto world = std::make_unique<internal::WorldImpl>(spec, seed);
  LNSIM_RETURN_IF_ERROR(world->Generate());
  world->ScheduleScenario();
  return std::unique_ptr<World>(std::move(world));
}

}  // namespace lnsim::sim
