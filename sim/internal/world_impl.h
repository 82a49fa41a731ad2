// The world's implementation class, shared by the files that implement it: generator.cc (the
// cluster at t = 0), operations.cc and placement.cc (the LINSTOR API), drbd.cc and nodes.cc (the
// DRBD state machines), faults.cc and workload.cc (the scenario), world.cc (scheduler, lookups,
// model edits). Internal: nothing outside sim/ includes it.
//
// Every state change goes through the Put*/Record functions below, which update the model and
// append to the ground-truth log in one place. Same threading and determinism rules as
// sim/world.h: one caller at a time, no I/O, no real clock.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/rng.h"
#include "common/status.h"
#include "sim/internal/event_queue.h"
#include "sim/model.h"
#include "sim/scenario.h"
#include "sim/trace.h"
#include "sim/world.h"

namespace lnsim::sim::internal {

// DRBD defaults (drbdsetup: ping-int, ping-timeout, timeout, connect-int), unscaled.
inline constexpr Duration kPingInterval = std::chrono::seconds(10);
inline constexpr Duration kPingTimeout = std::chrono::milliseconds(500);
inline constexpr Duration kTimeout = std::chrono::seconds(6);
inline constexpr Duration kConnectInterval = std::chrono::seconds(10);
// One step of a broken link's walk: NetworkFailure -> Unconnected -> Connecting.
inline constexpr Duration kStateStep = std::chrono::milliseconds(10);
inline constexpr Duration kReplicaRemoveDelay = std::chrono::milliseconds(500);

enum EventType : uint16_t {
  kEventLinkBreak,      // a = observer replica, b = lost peer replica
  kEventLinkStep,       // a, b as above, c = next ConnState
  kEventConnect,        // a, b = replicas to connect
  kEventSyncStart,      // a = target, b = source
  kEventSyncTick,       // a = target, b = resync generation
  kEventNodeDown,       // a = node, b = crash generation: controller marks OFFLINE
  kEventNodeUp,         // a = node, b = 1: boot after ONLINE, c = 0 CONNECTED / 1 ONLINE
  kEventNodeBoot,       // a = node: DRBD comes up on a returning host
  kEventNodeReturn,     // a = node: host back
  kEventNodeShutdown,   // a = node: clean shutdown (reboot)
  kEventReplicaUp,      // a = replica: a new replica's DRBD starts
  kEventReplicaRemove,  // a = replica
  kEventResizeStep,     // a = rd, b = volume number, c = step
  kEventToggleStep,     // a = replica, c = step
  kEventHaFailover,     // a = rd
  kEventFaultStart,     // a = fault index
  kEventFaultEnd,       // a = fault index
  kEventWorkload,       // a = workload kind
  kEventPromote,        // a = rd, b = node (workload attach follow-up)
  kEventDiskDetach,     // a = replica, c = step
  kEventSplitPromote,   // a = rd
  kEventSplitRecover,   // a = rd, b = victim replica
  kEventEvict,          // a = node: LINSTOR's auto-eviction of a node that stayed away
};

enum WorkloadKind : uint32_t {
  kWorkloadProvision,
  kWorkloadDelete,
  kWorkloadAttach,
  kWorkloadDetach,
  kWorkloadResize,
  kWorkloadKindCount
};
inline constexpr const char* kWorkloadNames[] = {"provision", "delete", "attach", "detach",
                                                 "resize"};

// What DRBD knows about a replica beyond the model: its data generations and lifecycle.
struct ReplicaData {
  uint32_t uuid[3] = {0, 0, 0};  // DRBD current UUID and two history entries
  int64_t born[2] = {0, 0};      // when uuid[0] / uuid[1] were generated
  Kib full_sync_kib = 0;         // > 0: needs a sync of this much regardless of UUIDs
  bool started = false;          // DRBD is up for this replica right now
  bool ever_started = false;     // DRBD was up for it at some time (it has metadata)
  bool initial = false;          // created with a fresh resource: skip the initial sync
};

// What the world knows about a node beyond the model.
struct NodeData {
  uint32_t partition = 0;  // 0 = with the controller
  uint32_t crash_generation = 0;
  int64_t latency_ns = 0;  // F7
};

// A running resync, by target: its source, start, generation (stale ticks carry an older one)
// and how long each volume takes.
struct Resync {
  ReplicaIndex source = kNoIndex;
  int64_t start_ns = 0;
  uint32_t gen = 0;
  std::vector<int64_t> duration_ns;  // per volume
};

// A congested link of a slow-satellite fault: the writer went Ahead, `behind` Behind.
struct SlowPair {
  ReplicaIndex writer, behind;
};

// One entry of an operation's answer.
OpMessage MakeMessage(Severity severity, int code, std::string message, std::string rd = "",
                      std::string node = "");
// An operation's answer holding the one error `code`.
OpResult Fail(int code, std::string message, std::string rd = "", std::string node = "");
// An operation's answer holding the one success `code`.
OpResult Succeed(int code, std::string message, std::string rd = "", std::string node = "");

class WorldImpl final : public World {
 public:
  WorldImpl(const WorldSpec& spec, uint64_t seed);

  Status Generate();
  void ScheduleScenario();

  // --- World interface ---
  uint64_t AdvanceTo(Duration t) override;
  Duration now() const override { return Duration(now_); }
  std::optional<Duration> NextEventTime() const override {
    if (queue_.empty()) return std::nullopt;
    return Duration(queue_.top().time_ns);
  }
  const Cluster& cluster() const override { return cluster_; }
  const TraceLog& trace() const override { return trace_; }
  const WorldSpec& spec() const override { return spec_; }
  Duration RunLength() const override { return Duration(run_length_ns_); }
  const std::vector<FaultWindow>& fault_windows() const override { return fault_windows_; }
  bool InFaultWindow(FaultKind kind, Duration t) const override;
  Duration NodeLatency(NodeIndex node) const override {
    return node < node_data_.size() ? Duration(node_data_[node].latency_ns) : Duration(0);
  }
  std::vector<std::pair<NodeIndex, Duration>> SlowNodes() const override;
  const WorkloadStats& workload_stats() const override { return workload_stats_; }
  size_t PendingEvents() const override { return queue_.size(); }

  // The one place for name lookups (world.cc); see sim/world.h.
  NodeIndex FindNode(std::string_view name) const override;
  RdIndex FindResourceDefinition(std::string_view name) const override;
  GroupIndex FindResourceGroup(std::string_view name) const override;
  PoolIndex FindPool(NodeIndex node, std::string_view pool_name) const override;
  ReplicaIndex FindReplica(RdIndex rd, NodeIndex node) const override;

  OpResult CreateNode(std::string_view name, NodeType type, std::string_view ipv4) override;
  OpResult DeleteNode(std::string_view name) override;
  OpResult CreateStoragePool(std::string_view node, std::string_view pool, ProviderKind kind,
                             Kib total_kib) override;
  OpResult CreateResourceGroup(std::string_view name, int place_count,
                               std::vector<std::string> pool_names) override;
  OpResult ModifyResourceGroup(std::string_view name, std::optional<int> place_count,
                               std::optional<std::vector<std::string>> pool_names) override;
  OpResult DeleteResourceGroup(std::string_view name) override;
  OpResult CreateResourceDefinition(std::string_view name, std::string_view group) override;
  OpResult DeleteResourceDefinition(std::string_view name) override;
  OpResult CreateVolumeDefinition(std::string_view rd, Kib size_kib, std::optional<uint32_t> number,
                                  uint32_t* number_out) override;
  OpResult DeleteVolumeDefinition(std::string_view rd, uint32_t number) override;
  OpResult ResizeVolumeDefinition(std::string_view rd, uint32_t number, Kib size_kib) override;
  OpResult CreateReplica(std::string_view rd, std::string_view node, ReplicaKind kind,
                         std::string_view pool) override;
  OpResult DeleteReplica(std::string_view rd, std::string_view node) override;
  OpResult AutoPlace(std::string_view rd, const AutoPlaceRequest& request) override;
  OpResult MakeAvailable(std::string_view rd, std::string_view node, bool diskful) override;
  OpResult ToggleDisk(std::string_view rd, std::string_view node, bool to_diskful,
                      std::string_view pool) override;
  OpResult SetInUse(std::string_view rd, std::string_view node, bool in_use) override;
  OpResult Spawn(std::string_view group, std::string_view rd, const std::vector<Kib>& sizes,
                 bool definitions_only) override;
  OpResult CreateSnapshot(std::string_view rd, std::string_view name,
                          const std::vector<std::string>& nodes) override;
  OpResult DeleteSnapshot(std::string_view rd, std::string_view name,
                          const std::vector<std::string>& nodes) override;
  OpResult RestoreSnapshot(std::string_view rd, std::string_view name, std::string_view to_rd,
                           const std::vector<std::string>& nodes, bool definitions_only) override;
  uint32_t FindSnapshot(RdIndex rd, std::string_view name) const override;

 private:
  // Sets the cause of an API operation unless the world itself (workload, fault) is calling.
  class OpScope {
   public:
    OpScope(WorldImpl* w, const char* label) : w_(w) {
      if (w_->op_depth_++ == 0) w_->cause_ = w_->trace_.InternCause(label);
    }
    ~OpScope() { --w_->op_depth_; }

   private:
    WorldImpl* w_;
  };

  // --- time ---
  int64_t Scaled(Duration unscaled) const {
    return static_cast<int64_t>(std::llround(static_cast<double>(unscaled.count()) * scale_));
  }
  int64_t ScaledUniform(Rng& rng, Duration lo, Duration hi) {
    const int64_t l = Scaled(lo), h = Scaled(hi);
    return h <= l ? l : rng.UniformInt(l, h);
  }
  void Schedule(int64_t delay_ns, uint16_t type, uint32_t a = 0, uint32_t b = 0, uint16_t c = 0) {
    Event e;
    e.time_ns = now_ + std::max<int64_t>(delay_ns, 0);
    e.a = a;
    e.b = b;
    e.type = type;
    e.c = c;
    e.cause = cause_;
    queue_.Push(e);
  }
  void ScheduleAt(int64_t time_ns, uint16_t type, uint32_t a, uint32_t b, uint32_t cause) {
    Event e;
    e.time_ns = time_ns;
    e.a = a;
    e.b = b;
    e.type = type;
    e.cause = cause;
    queue_.Push(e);
  }

  // --- recording ---
  void Record(const EntityRef& e, Attribute a, int64_t old_value, int64_t new_value) {
    if (!recording_ || old_value == new_value) return;
    Transition t;
    t.time_ns = now_;
    t.seq = ++seq_;
    t.entity = e;
    t.attr = a;
    t.old_value = old_value;
    t.new_value = new_value;
    t.cause = cause_;
    trace_.Append(t);
    ++recorded_;
  }
  EntityRef NodeRef(NodeIndex n) const { return {EntityKind::kNode, n}; }
  EntityRef ReplicaRef(ReplicaIndex r) const {
    return {EntityKind::kReplica, cluster_.replicas[r].rd, cluster_.replicas[r].node};
  }
  EntityRef VolumeReplicaRef(ReplicaIndex r, size_t vi) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kVolumeReplica, x.rd, x.node, cluster_.rds[x.rd].volumes[vi].number};
  }
  EntityRef PeerLinkRef(ReplicaIndex r, size_t k) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kPeerLink, x.rd, x.node, x.peers[k].peer};
  }
  EntityRef PeerVolumeRef(ReplicaIndex r, size_t k, size_t vi) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kPeerVolume, x.rd, x.node, x.peers[k].peer,
            cluster_.rds[x.rd].volumes[vi].number};
  }

  void PutNodeConnection(NodeIndex n, NodeConnection v) {
    Node& x = cluster_.nodes[n];
    Record(NodeRef(n), Attribute::kConnection, static_cast<int64_t>(x.connection),
           static_cast<int64_t>(v));
    x.connection = v;
  }
  void PutSatelliteUp(NodeIndex n, bool v) {
    Node& x = cluster_.nodes[n];
    Record(NodeRef(n), Attribute::kSatelliteUp, x.satellite_up, v);
    x.satellite_up = v;
  }
  void PutNodeFlags(NodeIndex n, uint32_t v) {
    Record(NodeRef(n), Attribute::kNodeFlags, cluster_.nodes[n].flags, v);
    cluster_.nodes[n].flags = v;
  }
  // Changes a pool's physical allocation and/or provisioned size; records free/total changes.
  void ChangePool(PoolIndex p, int64_t allocated_delta_kib, int64_t provisioned_delta_kib,
                  int64_t total_delta_kib = 0) {
    if (p == kNoIndex) return;
    StoragePool& x = cluster_.pools[p];
    if (x.diskless()) return;
    const Kib free_before = x.FreeKib();
    const Kib total_before = x.total_kib;
    auto add = [](Kib v, int64_t d) -> Kib {
      return d < 0 && static_cast<Kib>(-d) > v ? 0 : static_cast<Kib>(static_cast<int64_t>(v) + d);
    };
    x.allocated_kib = add(x.allocated_kib, allocated_delta_kib);
    x.provisioned_kib = add(x.provisioned_kib, provisioned_delta_kib);
    x.total_kib = add(x.total_kib, total_delta_kib);
    Record({EntityKind::kPool, p}, Attribute::kTotalKib, static_cast<int64_t>(total_before),
           static_cast<int64_t>(x.total_kib));
    Record({EntityKind::kPool, p}, Attribute::kFreeKib, static_cast<int64_t>(free_before),
           static_cast<int64_t>(x.FreeKib()));
  }
  void PutInUse(ReplicaIndex r, bool v) {
    Replica& x = cluster_.replicas[r];
    Record(ReplicaRef(r), Attribute::kInUse, x.in_use, v);
    x.in_use = v;
    UpdateInUseSet(x.rd);
  }
  void PutMayPromote(ReplicaIndex r, bool v) {
    Record(ReplicaRef(r), Attribute::kMayPromote, cluster_.replicas[r].may_promote, v);
    cluster_.replicas[r].may_promote = v;
  }
  void PutPromotionScore(ReplicaIndex r, int32_t v) {
    Record(ReplicaRef(r), Attribute::kPromotionScore, cluster_.replicas[r].promotion_score, v);
    cluster_.replicas[r].promotion_score = v;
  }
  void PutQuorum(ReplicaIndex r, bool v) {
    Record(ReplicaRef(r), Attribute::kQuorum, cluster_.replicas[r].quorum, v);
    cluster_.replicas[r].quorum = v;
  }
  void PutReplicaFlags(ReplicaIndex r, uint32_t v) {
    Record(ReplicaRef(r), Attribute::kReplicaFlags, cluster_.replicas[r].flags, v);
    cluster_.replicas[r].flags = v;
  }
  void PutKind(ReplicaIndex r, ReplicaKind v) {
    Record(ReplicaRef(r), Attribute::kKind, static_cast<int64_t>(cluster_.replicas[r].kind),
           static_cast<int64_t>(v));
    cluster_.replicas[r].kind = v;
  }
  void PutDiskState(ReplicaIndex r, size_t vi, DiskState v) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, static_cast<int64_t>(x.disk),
           static_cast<int64_t>(v));
    x.disk = v;
  }
  void PutDiskStateAll(ReplicaIndex r, DiskState v) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) PutDiskState(r, vi, v);
  }
  static int64_t DoneValue(float done) {
    return done < 0 ? kAbsent : static_cast<int64_t>(std::llround(done * 100.0));
  }
  void PutDonePercentage(ReplicaIndex r, size_t vi, int64_t hundredths) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kDonePercentage, DoneValue(x.done_percentage),
           hundredths);
    x.done_percentage = hundredths == kAbsent ? -1.0f : static_cast<float>(hundredths) / 100.0f;
  }
  void PutDonePercentageAll(ReplicaIndex r, int64_t hundredths) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi)
      PutDonePercentage(r, vi, hundredths);
  }
  void PutConnectionState(ReplicaIndex r, size_t k, ConnState v) {
    PeerLink& x = cluster_.replicas[r].peers[k];
    Record(PeerLinkRef(r, k), Attribute::kConnState, static_cast<int64_t>(x.conn),
           static_cast<int64_t>(v));
    x.conn = v;
  }
  void PutReplication(ReplicaIndex r, size_t k, size_t vi, ReplState v) {
    ReplState& x = cluster_.replicas[r].volumes[vi].repl[k];
    Record(PeerVolumeRef(r, k, vi), Attribute::kReplState, static_cast<int64_t>(x),
           static_cast<int64_t>(v));
    x = v;
  }
  void PutReplicationAll(ReplicaIndex r, size_t k, ReplState v) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) PutReplication(r, k, vi, v);
  }
  void PutVolumeFlags(ReplicaIndex r, size_t vi, uint32_t v) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kVolumeFlags, x.flags, v);
    x.flags = v;
  }
  void PutVolumeDefinitionFlags(RdIndex rd, size_t vi, uint32_t v) {
    VolumeDefinition& x = cluster_.rds[rd].volumes[vi];
    Record({EntityKind::kVolumeDefinition, rd, x.number}, Attribute::kVolumeFlags, x.flags, v);
    x.flags = v;
  }

  // --- topology helpers ---
  bool Up(NodeIndex n) const { return cluster_.nodes[n].alive && cluster_.nodes[n].satellite_up; }
  bool CanTalk(NodeIndex a, NodeIndex b) const {
    return Up(a) && Up(b) && node_data_[a].partition == node_data_[b].partition;
  }
  bool ControllerReaches(NodeIndex n) const { return Up(n) && node_data_[n].partition == 0; }
  bool Online(NodeIndex n) const {
    return cluster_.nodes[n].alive && cluster_.nodes[n].connection == NodeConnection::kOnline;
  }
  // DRBD runs for this replica (its node is up and the replica was brought up).
  bool Running(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    return x.alive && Up(x.node) && replica_data_[r].started;
  }
  int PeerSlot(ReplicaIndex r, ReplicaIndex peer) const {
    const Replica& x = cluster_.replicas[r];
    const NodeIndex pn = cluster_.replicas[peer].node;
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].peer == pn) return static_cast<int>(k);
    }
    return -1;
  }
  ReplicaIndex PeerReplica(ReplicaIndex r, size_t k) const {
    return FindReplica(cluster_.replicas[r].rd, cluster_.replicas[r].peers[k].peer);
  }
  bool Connected(ReplicaIndex r, ReplicaIndex peer) const {
    const int k = PeerSlot(r, peer);
    return k >= 0 && cluster_.replicas[r].peers[k].conn == ConnState::kConnected;
  }
  bool Attached(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful || x.volumes.empty())
      return x.kind == ReplicaKind::kDiskful;
    const DiskState d = x.volumes[0].disk;
    return d != DiskState::kDiskless && d != DiskState::kFailed && d != DiskState::kDetaching;
  }
  bool UpToDate(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful) return false;
    for (const auto& v : x.volumes) {
      if (v.disk != DiskState::kUpToDate) return false;
    }
    return true;
  }
  bool QuorumEnabled(RdIndex rd) const {
    int diskful = 0, diskless = 0;
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      (cluster_.replicas[r].kind == ReplicaKind::kDiskful ? diskful : diskless)++;
    }
    return diskful >= 3 || (diskful == 2 && diskless >= 1);
  }
  bool AnyInUse(RdIndex rd) const {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      if (cluster_.replicas[r].in_use) return true;
    }
    return false;
  }
  ReplicaIndex Writer(RdIndex rd) const {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      if (cluster_.replicas[r].in_use && Running(r) && cluster_.replicas[r].quorum) return r;
    }
    return kNoIndex;
  }

  Kib TotalSize(RdIndex rd) const {
    Kib s = 0;
    for (const auto& v : cluster_.rds[rd].volumes) s += v.size_kib;
    return s;
  }
  // What a full sync of a replica of `rd` copies (at least 64 KiB of metadata).
  Kib FullSyncKib(RdIndex rd) const { return std::max<Kib>(TotalSize(rd), 64); }
  // Position of volume `number` in rd's volumes; volumes.size() when there is none.
  size_t VolumeSlot(RdIndex rd, uint32_t number) const {
    const auto& volumes = cluster_.rds[rd].volumes;
    size_t slot = volumes.size();
    for (size_t i = 0; i < volumes.size(); ++i) {
      if (volumes[i].number == number) slot = i;
    }
    return slot;
  }

  // --- event loop (world.cc) ---
  void Dispatch(const Event& e);

  // --- quorum, data generations, connections, resync (drbd.cc) ---
  bool HasQuorum(ReplicaIndex r) const;
  // A Primary r can reach through Connected links (DRBD 9 promotes by a cluster-wide state
  // change: any reachable node that knows another Primary refuses). kNoIndex when none.
  ReplicaIndex ReachablePrimary(ReplicaIndex r) const;
  void Recompute(RdIndex rd);
  void MaybeNewUuid(RdIndex rd);
  void MaybeNewUuidFor(RdIndex rd, ReplicaIndex writer);
  void Settle(RdIndex rd) {
    Recompute(rd);
    MaybeNewUuid(rd);
  }
  void Promote(ReplicaIndex r) {
    PutInUse(r, true);
    Settle(cluster_.replicas[r].rd);
  }
  int64_t DetectDelay(RdIndex rd);
  void ScheduleBreak(ReplicaIndex observer, ReplicaIndex lost, int64_t delay) {
    Schedule(delay, kEventLinkBreak, observer, lost);
  }
  void BreakSide(ReplicaIndex r, ReplicaIndex peer, ConnState first, bool instant);
  void OnLinkBreak(ReplicaIndex r, ReplicaIndex peer);
  void OnLinkStep(ReplicaIndex r, ReplicaIndex peer, ConnState next);
  void OnConnect(ReplicaIndex a, ReplicaIndex b);
  // The handshake's verdict on two attached replicas: who syncs from whom, or a split brain.
  struct Handshake {
    ReplicaIndex source = kNoIndex, target = kNoIndex;
    bool split_brain = false;
  };
  Handshake CompareGenerations(ReplicaIndex a, ReplicaIndex b);
  void DemotePrimaryWithoutQuorum(ReplicaIndex a, ReplicaIndex b);
  void LearnOutdatedThroughDiskless(ReplicaIndex a, ReplicaIndex b);
  // Both sides of source -> target wait for the bitmap exchange; the resync starts soon after.
  void RequestResync(ReplicaIndex source, int source_slot, ReplicaIndex target, int target_slot);
  void AbortResyncs(ReplicaIndex r, ReplicaIndex peer);
  void StopResync(ReplicaIndex target, bool settle_pair);
  void StopResyncsOf(ReplicaIndex r, bool settle_pair);
  void ResyncFromAnyPeer(ReplicaIndex target);
  void OnSyncStart(ReplicaIndex target, ReplicaIndex source);
  // How long each volume of `target` takes to sync from `source`, starting now.
  Resync PlanResync(ReplicaIndex target, ReplicaIndex source);
  void OnSyncTick(ReplicaIndex target, uint32_t gen);
  void CopyUuid(ReplicaIndex to, ReplicaIndex from) {
    for (int i = 0; i < 3; ++i) replica_data_[to].uuid[i] = replica_data_[from].uuid[i];
    for (int i = 0; i < 2; ++i) replica_data_[to].born[i] = replica_data_[from].born[i];
  }
  void DetachDisk(ReplicaIndex r, uint16_t step);

  // --- nodes: crash, shutdown, return, boot, partitions, HA (nodes.cc) ---
  void CrashNode(NodeIndex n);
  void ReturnNode(NodeIndex n, int64_t delay);
  void BootNode(NodeIndex n);
  void StartReplica(ReplicaIndex r);
  void ConnectReachablePeers(ReplicaIndex r, Duration lo, Duration hi);
  void OnHaFailover(RdIndex rd);
  void SetPartition(const std::vector<NodeIndex>& nodes, uint32_t group);
  void HealPartition(const std::vector<NodeIndex>& nodes);
  void OnNodeDown(NodeIndex n);
  void OnNodeUp(NodeIndex n, uint32_t boot_after_online, uint16_t step);
  void OnNodeReturn(NodeIndex n);
  void OnNodeShutdown(NodeIndex n);
  void OnReplicaUp(ReplicaIndex r);

  // --- model edits (world.cc) ---
  ReplicaIndex AddReplica(RdIndex rd, NodeIndex node, PoolIndex pool, ReplicaKind kind,
                          bool initial);
  // The new replica r (not yet in its resource's list) and every existing replica of the
  // resource get a link to each other.
  void LinkNewReplica(ReplicaIndex r);
  // DRBD data of a new replica: the replicas of a fresh resource share its first generation.
  ReplicaData NewReplicaData(RdIndex rd, ReplicaKind kind, bool initial);
  void RequestReplicaDelete(ReplicaIndex r);
  void RemoveReplica(ReplicaIndex r);
  void RemoveResourceDefinitionIfDone(RdIndex rd);
  // CtrlRscDfnDeleteApiCallHandler: FAIL_EXISTS_SNAPSHOT_DFN while `rd` has snapshots
  // (sim/snapshots.cc); an empty (ok) result otherwise.
  OpResult RefuseDeleteWithSnapshots(RdIndex rd, const std::string& rd_name) const;
  // The nodes a snapshot is taken on, or the refusal (sim/snapshots.cc).
  OpResult SnapshotTargets(RdIndex rd, const std::vector<std::string>& nodes,
                           std::vector<ReplicaIndex>* targets) const;
  RdIndex AddResourceDefinition(const std::string& name, GroupIndex group);
  void AddVolume(RdIndex rd, uint32_t number, Kib size_kib, bool generating);
  void UpdateInUseSet(RdIndex rd);
  void AddLive(RdIndex rd) {
    live_pos_.resize(std::max<size_t>(live_pos_.size(), rd + 1), kNoIndex);
    live_pos_[rd] = static_cast<uint32_t>(live_rds_.size());
    live_rds_.push_back(rd);
  }
  void RemoveLive(RdIndex rd) {
    if (rd >= live_pos_.size() || live_pos_[rd] == kNoIndex) return;
    const uint32_t pos = live_pos_[rd];
    live_rds_[pos] = live_rds_.back();
    live_pos_[live_rds_[pos]] = pos;
    live_rds_.pop_back();
    live_pos_[rd] = kNoIndex;
  }

  // --- placement (placement.cc) ---
  double PlacementScore(PoolIndex p) const {
    const StoragePool& x = cluster_.pools[p];
    const double cap = x.thin() ? static_cast<double>(x.total_kib) * x.max_oversubscription
                                : static_cast<double>(x.total_kib);
    return cap - static_cast<double>(x.provisioned_kib);
  }
  PoolIndex DisklessPool(NodeIndex n) const {
    for (PoolIndex p : cluster_.nodes[n].pools) {
      if (cluster_.pools[p].diskless()) return p;
    }
    return kNoIndex;
  }
  PoolIndex BestPool(NodeIndex n, const std::vector<std::string>& names, Kib size) const;
  // The pool a new diskful replica of `rd` on node `n` goes to: `pool_name` when given (it must
  // exist, hold disks and fit `size`), else the best of the group's pools. Sets *pool or fails
  // with LINSTOR's codes (storage pool not found, not enough free space).
  OpResult ChooseDiskfulPool(RdIndex rd, NodeIndex n, std::string_view pool_name, Kib size,
                             const std::string& rd_name, const std::string& node_name,
                             PoolIndex* pool) const;
  OpResult AutoPlaceIndex(RdIndex rd, const AutoPlaceRequest& request);
  // (score, pool) of the best pool on every node that may take a new replica of `rd`.
  std::vector<std::pair<double, PoolIndex>> AutoPlaceCandidates(
      RdIndex rd, const AutoPlaceRequest& request, const std::vector<std::string>& pools,
      Kib size) const;
  // After placing: a tiebreaker for two diskful replicas, diskless replicas when asked.
  void AddDisklessAfterAutoPlace(RdIndex rd, const AutoPlaceRequest& request, int now_diskful,
                                 bool fresh, OpResult* res);

  // --- operations (operations.cc) ---
  // Which names an operation needs resolved; each includes the lookups before it in this order:
  // resource definition, node, replica (kNode alone skips the resource definition).
  enum class Require : uint8_t { kResourceDefinition, kNode, kResourceDefinitionAndNode, kReplica };
  // What an operation names, resolved. `failure` holds LINSTOR's answer when a name does not
  // resolve (not found: resource definition, node or resource); the indices after it are unset.
  struct Resolved {
    RdIndex rd = kNoIndex;
    NodeIndex node = kNoIndex;
    ReplicaIndex replica = kNoIndex;  // also looked up, but not required, before kReplica
    std::string rd_name, node_name;   // as the caller spelled them: the answers echo them
    std::optional<OpResult> failure;
  };
  Resolved Resolve(std::string_view rd_name, std::string_view node_name, Require require) const;
  // WARN_NOT_CONNECTED for every replica of `rd` whose node is not ONLINE, appended to *res.
  void WarnOfflineReplicas(RdIndex rd, const std::string& rd_name, OpResult* res) const;
  OpResult ResizeIndex(RdIndex rd, uint32_t number, Kib size_kib);
  // Fails unless every diskful replica of `rd` is UpToDate and can grow by `delta_kib`.
  OpResult CheckCanGrow(RdIndex rd, size_t vi, Kib delta) const;
  // kNotEnoughFreeSpace unless the pool of every diskful replica of `rd` can take `size_kib`
  // more; `purpose` (e.g. " to grow the volume") ends the message.
  OpResult CheckPoolsFit(RdIndex rd, Kib size_kib, const std::string& rd_name,
                         const std::string& purpose) const;
  OpResult StartToggleDisk(const Resolved& target, bool to_diskful, std::string_view pool_name);
  void OnResizeStep(RdIndex rd, uint32_t number, uint16_t step);
  void OnToggleStep(ReplicaIndex r, uint16_t step);
  void FinishDiskAdd(ReplicaIndex r);
  void FinishDiskRemove(ReplicaIndex r);

  // --- generator (generator.cc) ---
  // A max-heap of diskful pools by placement score; ties go to the lower pool index.
  using PoolHeap = std::priority_queue<std::pair<double, int64_t>>;
  Status CheckClusterSpec() const;
  void GenerateNodes();
  void GenerateResourceGroups();
  Status GenerateResource(int i, PoolHeap* heap, uint32_t* tiebreaker_cursor);
  Status PlaceGeneratedReplicas(RdIndex rd, int i, PoolHeap* heap);
  void AddGeneratedTiebreakerAndPrimary(RdIndex rd, uint32_t* tiebreaker_cursor);
  void MixClusterIntoDigest();
  Status CheckFaultNodes() const;
  // A volume size for a new resource: log-uniform in the spec's range, whole MiB.
  Kib RandomVolumeSize(Rng& rng) const;
  // A fresh "<name_prefix>-<uuid>" no resource definition has.
  std::string NewResourceDefinitionName(Rng& rng);

  // --- faults (faults.cc) ---
  void ScheduleFaults();
  void OnFaultStart(uint32_t i);
  void OnFaultEnd(uint32_t i);
  std::vector<NodeIndex> FaultNodes(uint32_t i, int count);
  // Resolves a node fault's targets into *nodes and marks the window fired; false (with a note
  // in the window) when there is none.
  bool StartNodeFault(uint32_t i, std::vector<NodeIndex>* nodes);
  void SetFaultNodes(uint32_t i, const std::vector<NodeIndex>& nodes);
  std::string NodeNames(const std::vector<NodeIndex>& nodes) const;
  std::string FaultLabel(uint32_t i) const;
  // The fault's `resource`, or a seeded choice (in-use resources first) that `accept`s.
  template <typename Accept>
  RdIndex FindFaultTargetRd(uint32_t i, Accept accept);
  // Names the fault's target resource in its window and cause, and marks it fired.
  void FireOnResource(uint32_t i, RdIndex rd, const std::vector<NodeIndex>& nodes);
  void StartNodeCrash(uint32_t i, const std::vector<NodeIndex>& nodes);
  void StartNodeReboot(uint32_t i, const std::vector<NodeIndex>& nodes);
  void StartSlowSatellite(uint32_t i, const std::vector<NodeIndex>& nodes);
  void StartQuorumLoss(uint32_t i);
  void StartSplitBrain(uint32_t i);
  void StartPoolExhaustion(uint32_t i);
  // The fault's `pool` param on node n (or its first diskful pool); kNoIndex when none.
  PoolIndex FaultPool(uint32_t i, NodeIndex n) const;
  void StartDiskFailure(uint32_t i);
  ReplicaIndex DiskFailureTarget(uint32_t i, const std::vector<NodeIndex>& nodes);
  void StartResizeWave(uint32_t i);
  void EndSplitBrain(uint32_t i);
  void EndSlowSatellite(uint32_t i);
  void OnSplitPromote(RdIndex rd);
  void OnSplitRecover(RdIndex rd, ReplicaIndex victim);
  void OnEvict(NodeIndex n);

  // --- workload (workload.cc) ---
  void ScheduleWorkload();
  void ScheduleNextWorkload(uint32_t kind);
  void OnWorkload(uint32_t kind);
  void WorkloadProvision(Rng& rng);
  void WorkloadDelete(Rng& rng);
  void WorkloadAttach(Rng& rng);
  void WorkloadDetach(Rng& rng);
  // Grows rd's first volume by the workload's resize_factor (whole MiB); the resize's answer.
  OpResult GrowFirstVolume(RdIndex rd);
  void OnWorkloadPromote(RdIndex rd, NodeIndex n);
  RdIndex PickResourceDefinition(Rng& rng, bool want_in_use, bool any_state);

  WorldSpec spec_;
  double scale_ = 1.0;
  int64_t run_length_ns_ = 0;
  Rng root_rng_, rng_generator_, rng_names_, rng_drbd_, rng_ha_;
  std::vector<Rng> rng_workload_;
  std::vector<Rng> rng_fault_;

  Cluster cluster_;
  TraceLog trace_;
  EventQueue queue_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t recorded_ = 0;
  uint32_t cause_ = 0;
  int op_depth_ = 0;
  bool recording_ = true;

  std::vector<ReplicaData> replica_data_;
  std::vector<NodeData> node_data_;
  std::vector<uint8_t> rd_has_data_;
  std::vector<uint8_t> rd_in_use_;
  std::unordered_map<ReplicaIndex, Resync> resyncs_;  // by target; lookups only, never iterated
  uint32_t uuid_counter_ = 0;
  uint32_t resync_gen_ = 0;
  uint32_t next_port_ = 7000;
  uint32_t next_minor_ = 1000;

  std::unordered_map<std::string, NodeIndex> node_by_name_;
  std::unordered_map<std::string, RdIndex> rd_by_name_;
  std::unordered_map<std::string, GroupIndex> group_by_name_;
  std::vector<RdIndex> live_rds_;
  std::vector<uint32_t> live_pos_;
  std::vector<RdIndex> in_use_rds_;
  std::vector<uint32_t> in_use_pos_;

  std::vector<FaultWindow> fault_windows_;
  std::vector<std::vector<NodeIndex>> fault_nodes_;  // resolved targets per fault
  std::vector<std::vector<SlowPair>> slow_pairs_;
  std::vector<RdIndex> fault_target_rd_;
  WorkloadStats workload_stats_;
  std::vector<uint32_t> workload_cause_;
};

}  // namespace lnsim::sim::internal
