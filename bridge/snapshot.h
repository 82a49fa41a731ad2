// Snapshot: the compact view of a LINSTOR cluster the bridge keeps between polls. Only what the
// differ needs survives parsing; live satellite data (state, connections, disk states) carries
// an explicit "unknown" so a node going OFFLINE is never mistaken for a detach or a disk change.
// Also the per-entity JSON form stored in the state mirror (JetStream KV).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bridge/event.h"
#include "common/status.h"

namespace lnsim::bridge {

struct NodeState {
  std::string name;               // display name
  std::string connection_status;  // "ONLINE", "OFFLINE", ...; "" when absent
  bool evicted = false;           // flags contain EVICTED
  bool operator==(const NodeState&) const = default;
};

struct PoolState {
  std::string node;
  std::string name;
  std::string provider_kind;
  std::optional<int64_t> free_capacity_kib;  // absent while the satellite is offline
  std::optional<int64_t> total_capacity_kib;
  Tri low = Tri::kUnknown;  // derived by the differ's options (FinalizeSnapshot)
  bool operator==(const PoolState&) const = default;
};

struct VolumeDefinitionState {
  int32_t volume_number = 0;
  int64_t size_kib = 0;
  bool operator==(const VolumeDefinitionState&) const = default;
};

struct ResourceDefinitionState {
  std::string name;
  std::string resource_group;
  std::vector<VolumeDefinitionState> volumes;  // sorted by volume_number
  bool operator==(const ResourceDefinitionState&) const = default;
};

struct ReplicaVolume {
  int32_t volume_number = 0;
  std::string storage_pool;
  std::string disk_state;                 // DRBD label ("UpToDate", "SyncTarget"); "" = unknown
  std::optional<double> done_percentage;  // from "SyncTarget(42.17%)"
  bool operator==(const ReplicaVolume&) const = default;
};

struct PeerConnection {
  std::string peer;     // folded peer node name (map key in LINSTOR)
  std::string display;  // as LINSTOR spelled it
  bool connected = false;
  std::string message;  // "Connected", "Connecting", ...
  bool operator==(const PeerConnection&) const = default;
};

struct Replica {
  std::string resource;      // display
  std::string node;          // display
  bool diskless = false;     // flags contain DISKLESS
  bool tie_breaker = false;  // flags contain TIE_BREAKER
  // Live satellite data is known: the object had `state`. False while the node is OFFLINE.
  bool live = false;
  Tri in_use = Tri::kUnknown;
  std::vector<ReplicaVolume> volumes;       // sorted by volume_number
  std::vector<PeerConnection> connections;  // sorted by peer; meaningful only when live
  Tri quorum = Tri::kUnknown;               // derived (FinalizeSnapshot)
  int32_t quorum_votes = 0;
  int32_t quorum_voters = 0;
  bool operator==(const Replica&) const = default;
};

// Every map is keyed by folded (lower-case) names, so iteration order is deterministic and
// case-insensitive LINSTOR names compare as LINSTOR compares them.
struct Snapshot {
  std::map<std::string, NodeState> nodes;
  std::map<std::pair<std::string, std::string>, PoolState> pools;  // (node, pool)
  std::map<std::string, ResourceDefinitionState> resource_definitions;
  std::map<std::string, std::map<std::string, Replica>> replicas;  // resource -> node -> replica
  bool operator==(const Snapshot&) const = default;
};

struct DiffOptions {
  // pool.capacity_low when free * 100 / total < this; capacity_ok when back at or above.
  double pool_low_threshold_percent = 10.0;
  // Resync progress (done_percentage) is reported again only after moving this many points.
  double resync_step_percent = 10.0;
};

// Derives the fields the API does not carry (quorum per replica, pool low flags) and marks live
// data unknown on replicas whose node is known and not ONLINE. Call once per parsed snapshot.
void FinalizeSnapshot(Snapshot* snapshot, const DiffOptions& options);

// The four lists of a poll are read one after another, not as one snapshot: a resource created
// between the read of /v1/resource-definitions and of /v1/view/resources shows its replicas
// without its definition. Reported as they stand, its replica.created events would come a poll
// before its resource.created, breaking the documented order within a resource (docs/events.md).
// Drops such replicas from this reading (the next poll sees both, in order) and returns how many.
// A definition deleted between the reads also drops its replicas, so their replica.deleted
// events come in the same poll as, and before, its resource.deleted.
size_t DropReplicasWithoutDefinition(Snapshot* snapshot);

// ---- State mirror form ------------------------------------------------------------------
// One entry per partition key (PartitionKey in event.h): node.<n>, pool.<n>.<p>,
// resource.<r> (the definition plus every replica). `sequence` is the last sequence used for
// that key. `pending` holds the encoded events written ahead of their publication (a
// write-ahead log: see bridge/mirror.h). `deleted` is a tombstone: the entity is gone but its
// sequence must continue if the name comes back.
struct MirrorEntry {
  std::string key;
  uint64_t sequence = 0;
  bool deleted = false;
  std::optional<NodeState> node;
  std::optional<PoolState> pool;
  std::optional<ResourceDefinitionState> resource_definition;  // absent: replicas without RD
  std::map<std::string, Replica> replicas;
  std::vector<std::string> pending;  // encoded CloudEvents, in sequence order
  int64_t updated_unix_ns = 0;
  bool operator==(const MirrorEntry&) const = default;
};

std::string EncodeMirrorEntry(const MirrorEntry& entry);
StatusOr<MirrorEntry> DecodeMirrorEntry(std::string_view key, std::string_view json);

// Extracts the entity state of `key` from a snapshot into `entry` (leaves sequence/pending).
// Returns false when the snapshot has nothing under that key.
bool FillMirrorEntry(const Snapshot& snapshot, const std::string& key, MirrorEntry* entry);
// Puts a mirror entry's state back into a snapshot (recovery). Tombstones add nothing.
void ApplyMirrorEntry(const MirrorEntry& entry, Snapshot* snapshot);
// Every partition key that has state in the snapshot, sorted.
std::vector<std::string> SnapshotKeys(const Snapshot& snapshot);

}  // namespace lnsim::bridge
