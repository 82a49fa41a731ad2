// The simulated LINSTOR cluster: plain data in LINSTOR's vocabulary, indexed by dense integer
// handles so that a million volumes fit in a few GiB. This header is the contract between the
// world (sim/), the mock controller (mock-linstor/, which renders it as REST JSON) and the
// verifier (harness/). The world mutates it only through sim/world.h; everyone else reads it.
//
// Two views of state live here and must not be confused:
//  - truth: what the hosts and DRBD really do (Node::satellite_up, Replica live fields);
//  - the controller's view: Node::connection. While a node is not ONLINE the controller holds
//    no live state for it, so the mock hides in_use, connections and volume states of its
//    replicas (LINSTOR-API.md section 6) although the Replica still carries its last values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lnsim::sim {

using Kib = uint64_t;
using NodeIndex = uint32_t;
using PoolIndex = uint32_t;
using GroupIndex = uint32_t;
using RdIndex = uint32_t;
using ReplicaIndex = uint32_t;
inline constexpr uint32_t kNoIndex = UINT32_MAX;

// --- Enumerations, spelled as LINSTOR/DRBD spell them by Name() -------------------------------

enum class NodeType : uint8_t { kSatellite, kCombined, kController, kAuxiliary };
// Node.connection_status as the controller reports it.
enum class NodeConnection : uint8_t { kOnline, kOffline, kConnected, kUnknown };
enum NodeFlag : uint32_t { kNodeDelete = 1u << 0, kNodeEvicted = 1u << 1, kNodeEvacuate = 1u << 2 };

enum class ProviderKind : uint8_t { kDiskless, kLvm, kLvmThin, kZfs, kZfsThin };

enum class ReplicaKind : uint8_t { kDiskful, kDiskless, kTieBreaker };
// Resource.flags beyond those implied by the kind (DISKLESS, DRBD_DISKLESS, TIE_BREAKER).
enum ReplicaFlag : uint32_t {
  kReplicaDelete = 1u << 0,
  kReplicaDiskAddRequested = 1u << 1,
  kReplicaDiskAdding = 1u << 2,
  kReplicaDiskRemoveRequested = 1u << 3,
  kReplicaDiskRemoving = 1u << 4,
  kReplicaEvicted = 1u << 5,  // shown as INACTIVE,EVICTED
};

enum class DiskState : uint8_t {
  kDiskless,
  kAttaching,
  kDetaching,
  kFailed,
  kNegotiating,
  kInconsistent,
  kOutdated,
  kDUnknown,
  kConsistent,
  kUpToDate,
};
enum class ConnState : uint8_t {
  kStandAlone,
  kDisconnecting,
  kUnconnected,
  kTimeout,
  kBrokenPipe,
  kNetworkFailure,
  kProtocolError,
  kConnecting,
  kTearDown,
  kConnected,
};
enum class ReplState : uint8_t {
  kOff,
  kEstablished,
  kStartingSyncS,
  kStartingSyncT,
  kWFBitMapS,
  kWFBitMapT,
  kWFSyncUUID,
  kSyncSource,
  kSyncTarget,
  kPausedSyncS,
  kPausedSyncT,
  kVerifyS,
  kVerifyT,
  kAhead,
  kBehind,
};

// Volume definition / volume flags.
enum VolumeFlag : uint32_t {
  kVolumeResize = 1u << 0,      // VD: RESIZE; volume: RESIZE
  kVolumeDrbdResize = 1u << 1,  // volume: DRBD_RESIZE
  kVolumeDelete = 1u << 2,
};

std::string_view Name(NodeType v);        // "SATELLITE"
std::string_view Name(NodeConnection v);  // "ONLINE"
std::string_view Name(ProviderKind v);    // "LVM_THIN"
std::string_view Name(ReplicaKind v);     // "diskful" / "diskless" / "tiebreaker"
std::string_view Name(DiskState v);       // "UpToDate"
std::string_view Name(ConnState v);       // "Connected"
std::string_view Name(ReplState v);       // "SyncTarget"

// --- Entities ----------------------------------------------------------------------------------

struct Node {
  std::string name;  // as created; lookups fold case (LINSTOR names are case-insensitive)
  NodeType type = NodeType::kSatellite;
  // The controller's view. While it is not ONLINE the world keeps the truth values of the node's
  // replicas (frozen at the crash for a dead host, live for a partitioned one); the mock hides
  // them (no state, connections, volume states, may_promote) as LINSTOR does.
  NodeConnection connection = NodeConnection::kOnline;
  uint32_t flags = 0;                  // NodeFlag bits
  uint32_t ipv4 = 0;                   // address of the "default" interface
  bool satellite_up = true;            // truth: host and satellite running
  bool alive = true;                   // false once deleted (index stays valid)
  std::vector<PoolIndex> pools;        // includes DfltDisklessStorPool
  std::vector<ReplicaIndex> replicas;  // live replicas on this node
};

struct StoragePool {
  std::string name;  // "pool1", "DfltDisklessStorPool"
  NodeIndex node = kNoIndex;
  ProviderKind kind = ProviderKind::kLvmThin;
  Kib total_kib = 0;                  // physical size
  Kib allocated_kib = 0;              // physically used (thick: provisioned; thin: data written)
  Kib provisioned_kib = 0;            // sum of the sizes of volumes placed here
  double max_oversubscription = 1.0;  // thin pools: LINSTOR's MaxOversubscriptionRatio (20)
  bool failed = false;                // backing device failing (F6/F8 IO errors)

  bool thin() const { return kind == ProviderKind::kLvmThin || kind == ProviderKind::kZfsThin; }
  bool diskless() const { return kind == ProviderKind::kDiskless; }
  // LINSTOR's DeviceProviderKind.isSnapshotSupported: LVM_THIN, ZFS, ZFS_THIN; not thick LVM.
  bool SupportsSnapshots() const { return kind != ProviderKind::kLvm && !diskless(); }
  // free_capacity as LINSTOR reports it: physical space left.
  Kib FreeKib() const { return allocated_kib >= total_kib ? 0 : total_kib - allocated_kib; }
  // Whether the autoplacer may put `size_kib` more here (thin: within the oversubscription).
  bool CanFit(Kib size_kib) const;
};

struct ResourceGroup {
  std::string name;  // "DfltRscGrp" always exists
  std::string description;
  int place_count = 2;                  // select_filter.place_count
  std::vector<std::string> pool_names;  // select_filter.storage_pool_list; empty = any
  bool diskless_on_remaining = false;
  std::vector<Kib> volume_group_sizes;  // volume groups (numbers 0..n-1); sizes unused by LINSTOR
};

struct VolumeDefinition {
  uint32_t number = 0;
  Kib size_kib = 0;
  uint32_t minor = 0;  // DRBD minor, 1000 upwards
  uint32_t flags = 0;  // VolumeFlag bits (RESIZE while growing)
};

struct ResourceDefinition {
  std::string name;
  GroupIndex group = 0;
  uint32_t port = 7000;  // DRBD TCP port
  uint32_t flags = 0;    // DELETE while being deleted
  bool alive = true;
  int64_t create_time_ms = 0;  // world time of creation
  std::vector<VolumeDefinition> volumes;
  std::vector<ReplicaIndex> replicas;  // live replicas, in creation order
};

// One DRBD connection from a replica to a peer replica of the same resource.
struct PeerLink {
  NodeIndex peer = kNoIndex;
  ConnState conn = ConnState::kConnected;
};

// One volume of one replica: its DRBD disk and per-peer replication state.
struct VolumeReplica {
  DiskState disk = DiskState::kUpToDate;
  float done_percentage = -1.0f;  // resync progress 0..100 while SyncTarget/SyncSource, else < 0
  uint32_t flags = 0;             // VolumeFlag bits
  Kib allocated_kib = 0;
  std::vector<ReplState> repl;  // aligned with Replica::peers
};

struct Replica {
  RdIndex rd = kNoIndex;
  NodeIndex node = kNoIndex;
  PoolIndex pool = kNoIndex;  // DfltDisklessStorPool for diskless and tiebreaker
  ReplicaKind kind = ReplicaKind::kDiskful;
  uint8_t drbd_node_id = 0;
  uint32_t flags = 0;  // ReplicaFlag bits
  bool alive = true;
  int64_t create_time_ms = 0;
  // Live DRBD state as the replica's own node sees it.
  bool in_use = false;  // Primary
  bool may_promote = false;
  int32_t promotion_score = 0;
  bool quorum = true;
  std::vector<PeerLink> peers;         // every other replica of the resource
  std::vector<VolumeReplica> volumes;  // aligned with ResourceDefinition::volumes
};

// A snapshot definition with its per-node snapshots (sim/snapshots.cc; docs/mock-linstor.md
// "Snapshots"). Taken only through the API, so scenarios without snapshot calls never create one.
struct SnapshotVolume {
  uint32_t number = 0;
  Kib size_kib = 0;  // the volume definition's size when the snapshot was taken
};
struct Snapshot {
  std::string name;
  RdIndex rd = kNoIndex;
  bool alive = true;  // false once deleted (index stays valid)
  int64_t create_time_ms = 0;
  std::vector<NodeIndex> nodes;         // diskful replicas snapshotted, in the RD's replica order
  std::vector<PoolIndex> pools;         // aligned with nodes: the replica's pool
  std::vector<SnapshotVolume> volumes;  // the RD's volume definitions at creation
};

// The whole cluster. Indices are stable for the life of the world: deleted objects keep their
// slot with alive == false, so a trace entry can always name what it refers to.
struct Cluster {
  std::vector<Node> nodes;
  std::vector<StoragePool> pools;
  std::vector<ResourceGroup> groups;
  std::vector<ResourceDefinition> rds;
  std::vector<Replica> replicas;
  std::vector<Snapshot> snapshots;
};

// Folds a LINSTOR name for case-insensitive comparison (ASCII lower case).
std::string FoldName(std::string_view name);
// Whether two LINSTOR names are equal ignoring ASCII case (FoldName(a) == FoldName(b)).
bool NamesEqual(std::string_view a, std::string_view b);

// --- Lookups over a Cluster (case-insensitive names; kNoIndex when absent or deleted) ----------
// For readers that hold only a Cluster, possibly a copy (the mock's GET handlers serve stale
// snapshots): scans of the snapshot itself. The World answers the same questions from its name
// indexes (World::FindNode and friends) for the live cluster.
NodeIndex FindNode(const Cluster& cluster, std::string_view name);
RdIndex FindResourceDefinition(const Cluster& cluster, std::string_view name);
GroupIndex FindResourceGroup(const Cluster& cluster, std::string_view name);
// A pool of a live node by name; kNoIndex when the node is kNoIndex or deleted.
PoolIndex FindPool(const Cluster& cluster, NodeIndex node, std::string_view pool_name);
// The live replica of `rd` on `node`; kNoIndex when either is kNoIndex or there is none.
ReplicaIndex FindReplica(const Cluster& cluster, RdIndex rd, NodeIndex node);
// The live snapshot `name` of `rd` (case-insensitive), or kNoIndex.
uint32_t FindSnapshot(const Cluster& cluster, RdIndex rd, std::string_view name);
// The slot in rd.volumes of volume definition `number`, or kNoIndex.
uint32_t FindVolumeSlot(const ResourceDefinition& rd, uint32_t number);

}  // namespace lnsim::sim
