// The world: a simulated LINSTOR cluster that advances through time. It owns the Cluster, applies
// operations with LINSTOR's semantics, runs the DRBD failure state machines and records every
// state transition in the ground-truth log (sim/trace.h).
//
// Pure and deterministic (docs/architecture.md): no I/O, no threads, no real clock. Time only moves
// through AdvanceTo(); randomness comes from the seed. Same spec + seed + sequence of calls =>
// the same trace, byte for byte. Not thread-safe: the mock controller serialises access.
//
// Time is world time since the start of the scenario (t = 0), in nanoseconds. time_scale is
// applied by the world itself to every duration it schedules (DRBD timings, fault windows,
// workload rates), so callers always pass unscaled wall time. Concretely: everything in the spec
// (duration, fault `at`/`duration`, ha_failover_delay, DRBD's built-in timings) is scenario time;
// world time = scenario time * time_scale, workload rates are divided by time_scale, and
// RunLength() = spec.duration * time_scale (docs/scenarios.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "common/status.h"
#include "sim/model.h"
#include "sim/scenario.h"
#include "sim/trace.h"

namespace lnsim::sim {

// LINSTOR return-code numbers (the 15-bit code, without severity/operation/object masks; see
// LINSTOR-API.md 3.2). The mock adds the masks; the world only says which failure it is.
namespace rc {
inline constexpr int kCreated = 1, kDeleted = 2, kModified = 3;
// FAIL_INVLD_*_NAME: each object kind has its own code (LINSTOR's ApiConsts).
inline constexpr int kInvalidName = 200;  // FAIL_INVLD_NODE_NAME
inline constexpr int kInvalidRscName = 202, kInvalidStorPoolName = 208, kInvalidNetAddr = 210,
                     kInvalidRscGrpName = 237;
inline constexpr int kInvalidVolumeSize = 206, kInvalidPlaceCount = 219, kInvalidVolumeSizes = 228;
inline constexpr int kNotFoundNode = 300, kNotFoundRscDfn = 301, kNotFoundRsc = 302,
                     kNotFoundVlmDfn = 303, kNotFoundVlm = 304, kNotFoundStorPool = 310,
                     kNotFoundRscGrp = 317;
inline constexpr int kExistsNode = 500, kExistsRscDfn = 501, kExistsRsc = 502, kExistsVlmDfn = 503,
                     kExistsStorPool = 510, kExistsRscGrp = 522;
inline constexpr int kNotAllUpToDate = 974, kNotEnoughFreeSpace = 980, kRscBusy = 992,
                     kNotConnected = 995, kNotEnoughNodes = 996, kInUse = 997;
inline constexpr int kWarnNotConnected = 1002, kWarnResizeSameSize = 1023, kWarnNotFound = 3000;
}  // namespace rc

// Snapshot answers (sim/snapshots.cc): FAIL_INVLD_SNAPSHOT_NAME, FAIL_NOT_FOUND_SNAPSHOT_DFN,
// FAIL_EXISTS_SNAPSHOT_DFN, FAIL_SNAPSHOTS_NOT_SUPPORTED.
namespace rc {
inline constexpr int kInvalidSnapshotName = 218, kNotFoundSnapshotDfn = 313,
                     kExistsSnapshotDfn = 514, kSnapshotsNotSupported = 994;
}  // namespace rc

enum class Severity : uint8_t { kSuccess, kInfo, kWarning, kError };

// One entry of what an operation answers; the mock turns each into an ApiCallRc.
struct OpMessage {
  Severity severity = Severity::kSuccess;
  int code = 0;  // rc:: number
  std::string message;
  std::string details;
  std::string node;  // object refs, when meaningful
  std::string rd;
};

// An operation's outcome: ok() iff no entry is an error. Warnings (e.g. WARN_NOT_CONNECTED for
// an offline node) may accompany success.
struct OpResult {
  std::vector<OpMessage> messages;
  bool ok() const;
  const OpMessage* FirstError() const;
};

struct AutoPlaceRequest {
  int place_count = 0;  // 0 = the resource group's place count (default 2)
  int additional_place_count = 0;
  std::vector<std::string> storage_pool_list;  // empty = the group's list, or any diskful pool
  std::vector<std::string> node_name_list;     // empty = any node
  std::vector<std::string> not_place_with_rsc;
  bool diskless_on_remaining = false;
};

// A fault as scheduled by the world, in world time (time_scale applied). Faults the world
// executes (node crash, partition, ...) change the cluster; the others (controller outage, API,
// NATS, bridge, consumer, network faults) only appear here, for the mock and the harness to read.
struct FaultWindow {
  FaultKind kind = FaultKind::kNodeCrash;
  Duration start{0};
  Duration end{0};                 // == start for instantaneous or permanent faults
  bool permanent = false;          // duration 0 for a fault with a window (e.g. a crash for good)
  bool fired = false;              // false when `probability` said no (or no target was found)
  bool world_executes = false;     // true for the kinds the world itself applies
  std::vector<std::string> nodes;  // targets after seeded choice
  std::string resource;
  std::string params;
  std::string note;  // what happened, e.g. "refused: 3 resources not UpToDate"
  int source_line = 0;
};

// Counters of the world's own workload (workload.via == "world").
struct WorkloadStats {
  uint64_t provisioned = 0, provision_failed = 0;
  uint64_t deleted = 0, delete_failed = 0;
  uint64_t attached = 0, attach_failed = 0;
  uint64_t detached = 0, detach_failed = 0;
  uint64_t resized = 0, resize_failed = 0;
};

class World {
 public:
  // Generates the cluster from spec.cluster with `seed` and schedules the spec's workload and
  // faults. Fails (kInvalidArgument) when the spec cannot produce a consistent cluster, e.g. more
  // replicas than nodes.
  static StatusOr<std::unique_ptr<World>> Create(const WorldSpec& spec, uint64_t seed);

  virtual ~World() = default;

  // Processes every scheduled event with time <= t, in (time, sequence) order. t never goes
  // backwards (a smaller t is a no-op). Returns how many transitions were recorded.
  virtual uint64_t AdvanceTo(Duration t) = 0;
  virtual Duration now() const = 0;
  // Time of the next scheduled event, or nullopt when nothing is scheduled.
  virtual std::optional<Duration> NextEventTime() const = 0;

  virtual const Cluster& cluster() const = 0;
  virtual const TraceLog& trace() const = 0;
  virtual const WorldSpec& spec() const = 0;

  // World time at which the scenario ends: spec.duration * time_scale. The world's own workload
  // stops generating operations there; DRBD follow-ups (resyncs, reconnects) continue.
  virtual Duration RunLength() const = 0;
  // Every fault of the scenario, in the order of the spec (time_scale applied).
  virtual const std::vector<FaultWindow>& fault_windows() const = 0;
  // True when a fault of `kind` covers world time t (start <= t < end, or permanent after start).
  virtual bool InFaultWindow(FaultKind kind, Duration t) const = 0;
  // F7: the extra answer latency of a slow satellite (zero when not slow), and every slow node
  // with its latency, in node order. The mock reads these to slow its answers.
  virtual Duration NodeLatency(NodeIndex node) const = 0;
  virtual std::vector<std::pair<NodeIndex, Duration>> SlowNodes() const = 0;
  virtual const WorkloadStats& workload_stats() const = 0;
  // Events still scheduled (for summaries and tests).
  virtual size_t PendingEvents() const = 0;

  // --- Lookups (case-insensitive names; kNoIndex when absent or deleted) -----------------------
  virtual NodeIndex FindNode(std::string_view name) const = 0;
  virtual RdIndex FindResourceDefinition(std::string_view name) const = 0;
  virtual GroupIndex FindResourceGroup(std::string_view name) const = 0;
  virtual PoolIndex FindPool(NodeIndex node, std::string_view pool_name) const = 0;
  virtual ReplicaIndex FindReplica(RdIndex rd, NodeIndex node) const = 0;

  // --- Operations with LINSTOR's semantics, applied at now() ----------------------------------
  // Names are validated with LINSTOR's rules (rc::kInvalidName on violation).
  virtual OpResult CreateNode(std::string_view name, NodeType type, std::string_view ipv4) = 0;
  virtual OpResult DeleteNode(std::string_view name) = 0;
  virtual OpResult CreateStoragePool(std::string_view node, std::string_view pool,
                                     ProviderKind kind, Kib total_kib) = 0;
  virtual OpResult CreateResourceGroup(std::string_view name, int place_count,
                                       std::vector<std::string> pool_names) = 0;
  virtual OpResult ModifyResourceGroup(std::string_view name, std::optional<int> place_count,
                                       std::optional<std::vector<std::string>> pool_names) = 0;
  // Refused while a live resource definition is in the group (FAIL_EXISTS_RSC_DFN); a missing
  // group only warns (WARN_NOT_FOUND), as CtrlRscGrpApiCallHandler.delete does.
  virtual OpResult DeleteResourceGroup(std::string_view name) = 0;
  virtual OpResult CreateResourceDefinition(std::string_view name,
                                            std::string_view group /* "" = DfltRscGrp */) = 0;
  virtual OpResult DeleteResourceDefinition(std::string_view name) = 0;
  // *number_out receives the volume number chosen (next free when `number` is nullopt).
  virtual OpResult CreateVolumeDefinition(std::string_view rd, Kib size_kib,
                                          std::optional<uint32_t> number, uint32_t* number_out) = 0;
  virtual OpResult DeleteVolumeDefinition(std::string_view rd, uint32_t number) = 0;
  // Grow (or same-size warning). Refused with kNotAllUpToDate when a diskful replica is not
  // UpToDate (including one whose node is offline), kNotEnoughFreeSpace when a pool cannot grow.
  virtual OpResult ResizeVolumeDefinition(std::string_view rd, uint32_t number, Kib size_kib) = 0;
  // Creates a replica on `node`. kind kDiskful uses `pool` (or the group's / first diskful pool).
  // On an OFFLINE node the replica is stored and a WARN_NOT_CONNECTED accompanies success; DRBD
  // brings it up when the node returns. A replica of a resource that has data starts
  // Inconsistent and fully syncs from an UpToDate peer; the replicas of a fresh resource skip
  // the initial sync (UpToDate about a second after creation).
  virtual OpResult CreateReplica(std::string_view rd, std::string_view node, ReplicaKind kind,
                                 std::string_view pool) = 0;
  // kInUse when the replica is Primary on an ONLINE node. On an OFFLINE node: success with
  // WARN_NOT_CONNECTED, and the replica stays with flag DELETE until the node returns.
  virtual OpResult DeleteReplica(std::string_view rd, std::string_view node) = 0;
  virtual OpResult AutoPlace(std::string_view rd, const AutoPlaceRequest& request) = 0;
  // CSI attach: creates a diskless replica on `node` when none exists (diskful when asked and
  // possible); a no-op success when one exists.
  virtual OpResult MakeAvailable(std::string_view rd, std::string_view node, bool diskful) = 0;
  virtual OpResult ToggleDisk(std::string_view rd, std::string_view node, bool to_diskful,
                              std::string_view pool) = 0;
  // Promote (attach: the workload opens the device on `node`) or demote (detach). Promotion is
  // refused with kInUse when a connected peer is Primary, kNotConnected when the node does not
  // run the resource (down) or the replica has no quorum, kNotAllUpToDate when it has no access
  // to UpToDate data (own disk or a connected peer's). DRBD never refuses a demotion.
  virtual OpResult SetInUse(std::string_view rd, std::string_view node, bool in_use) = 0;
  // Resource-group spawn: RD + VDs, then autoplace unless definitions_only.
  virtual OpResult Spawn(std::string_view group, std::string_view rd, const std::vector<Kib>& sizes,
                         bool definitions_only) = 0;

  // --- Snapshots (sim/snapshots.cc; LINSTOR's CtrlSnapshot*ApiCallHandler) -------------------
  // Snapshots every diskful replica on an ONLINE node (or only `nodes`). Refused with
  // kSnapshotsNotSupported when a diskful replica's pool cannot snapshot (thick LVM), or a named
  // node's replica is diskless; kNotConnected when no diskful replica is online.
  virtual OpResult CreateSnapshot(std::string_view rd, std::string_view name,
                                  const std::vector<std::string>& nodes) = 0;
  // Removes the snapshot from `nodes` (all when empty); the definition goes with its last node.
  virtual OpResult DeleteSnapshot(std::string_view rd, std::string_view name,
                                  const std::vector<std::string>& nodes) = 0;
  // Restore into the new, empty RD `to_rd`: its volume definitions from the snapshot, and (unless
  // definitions_only) a diskful replica on each node of the snapshot (or `nodes`) in the same pool.
  virtual OpResult RestoreSnapshot(std::string_view rd, std::string_view name,
                                   std::string_view to_rd, const std::vector<std::string>& nodes,
                                   bool definitions_only) = 0;
  // The live snapshot `name` of `rd`, or kNoIndex.
  virtual uint32_t FindSnapshot(RdIndex rd, std::string_view name) const = 0;
};

}  // namespace lnsim::sim
