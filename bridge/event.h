// The bridge's public contract with every consumer, the verifier included: domain event types,
// the CloudEvents 1.0 envelope (encode and decode/validate), the NATS subject scheme (build and
// parse, with token escaping), partition keys and event ids. Nothing else in lnsim duplicates
// these rules; docs/subjects.md and docs/events.md describe the same thing for humans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lnsim::bridge {

// ---------------------------------------------------------------------------------------------
// Event types. The CloudEvents `type` is "io.linstor.<entity>.<name>.v<kEventFormatVersion>";
// the last subject token is <name>. The type version is the event FORMAT version (docs/events.md
// "Versioning"); the subject layout has its own version (kSubjectPrefix) and did not change. Values
// are stable (they index metrics arrays); append only.
enum class EventType : uint8_t {
  kNodeOnline = 0,             // node.online: connection_status became ONLINE
  kNodeOffline,                // node.offline: ONLINE -> anything else (carries the status)
  kNodeEvicted,                // node.evicted: flag EVICTED appeared
  kPoolCapacityLow,            // pool.capacity_low: free/total fell below the threshold
  kPoolCapacityOk,             // pool.capacity_ok: back at or above the threshold
  kResourceCreated,            // resource.created: resource definition appeared
  kResourceDeleted,            // resource.deleted: resource definition disappeared
  kReplicaCreated,             // replica.created: resource appeared on a node (incl. diskless)
  kReplicaDeleted,             // replica.deleted: resource disappeared from a node
  kVolumeAttached,             // volume.attached: replica state.in_use false -> true
  kVolumeDetached,             // volume.detached: replica state.in_use true -> false
  kVolumeResized,              // volume.resized: volume definition size_kib changed
  kReplicaDiskStateChanged,    // replica.disk_state_changed: a volume's disk state changed
  kReplicaConnectionLost,      // replica.connection_lost: connections[peer] true -> false
  kReplicaConnectionRestored,  // replica.connection_restored: connections[peer] false -> true
  kReplicaQuorumLost,          // replica.quorum_lost: derived, see docs/events.md
  kReplicaQuorumRegained,      // replica.quorum_regained
};
inline constexpr int kEventTypeCount = 17;

// Which entity an event is about; decides the subject layout and the partition key.
enum class Entity : uint8_t { kNode, kPool, kResource, kReplica, kVolume };

std::string_view EntityName(Entity entity);  // "node", "pool", ...
Entity EntityOf(EventType type);
std::string_view EventName(EventType type);  // "online", "disk_state_changed", ...
inline constexpr int kEventFormatVersion = 2;
std::string_view CloudEventType(EventType type);  // "io.linstor.volume.attached.v2"
std::optional<EventType> EventTypeFromCloudEventType(std::string_view ce_type);
// Short label "volume.attached" (metrics, logs, docs/schemas/<label>.json).
std::string_view EventLabel(EventType type);

// Tri-state for live satellite data: the API omits it while the node is offline.
enum class Tri : uint8_t { kUnknown = 0, kFalse, kTrue };

// One volume as carried inside resource.created / replica.created.
struct VolumeInfo {
  int32_t volume_number = 0;
  int64_t size_kib = -1;   // resource.created: volume definition size
  std::string disk_state;  // replica.created: disk state label ("" = unknown)
  bool operator==(const VolumeInfo&) const = default;
};

// A change in the cluster, as the differ reports it. Names are LINSTOR display names (original
// case). Which fields are meaningful depends on `type` (see docs/events.md); the rest stay at
// their defaults and are neither encoded nor compared by consumers.
struct DomainEvent {
  EventType type = EventType::kNodeOnline;
  std::string node;            // node, pool, replica, volume.attached/detached events
  std::string resource;        // resource, replica, volume events (resource-definition name)
  std::string pool;            // pool events; replica.created: storage pool of volume 0
  std::string peer;            // connection events: the peer node
  int32_t volume_number = -1;  // volume.resized, replica.disk_state_changed
  std::string old_state;       // node status / disk state / connection message before ("" unknown)
  std::string new_state;       // ... after
  std::optional<double> done_percentage;  // disk_state_changed during resync
  int64_t old_size_kib = 0;               // volume.resized
  int64_t new_size_kib = 0;
  int64_t free_capacity_kib = 0;  // pool events
  int64_t total_capacity_kib = 0;
  double threshold_percent = 0;
  bool diskless = false;            // replica.created
  Tri in_use = Tri::kUnknown;       // replica.created
  std::string resource_group;       // resource.created
  std::vector<VolumeInfo> volumes;  // resource.created (sizes), replica.created (disk states)
  int32_t quorum_votes = 0;         // quorum events: diskful replicas this replica can count
  int32_t quorum_voters = 0;        // quorum events: diskful replicas of the resource

  bool operator==(const DomainEvent&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Names in subjects, partition keys and KV keys.
//
// EscapeToken maps one LINSTOR name to one NATS subject token that is also a valid JetStream KV
// key fragment: ASCII letters fold to lower case (LINSTOR names are case-insensitive: "Node-A"
// and "node-a" are one object), [a-z0-9_-] pass through, every other byte (".", "*", ">",
// whitespace, "=", non-ASCII UTF-8 bytes, ...) becomes "=" + two lower-case hex digits.
// The empty string becomes "=" alone. UnescapeToken inverts it up to case (returns the folded
// name); it fails on "." / wildcards / malformed escapes.
std::string EscapeToken(std::string_view name);
StatusOr<std::string> UnescapeToken(std::string_view token);
// Lower-case ASCII fold: the identity LINSTOR uses when comparing names.
std::string FoldName(std::string_view name);

// Partition key: the unit of ordering and of `sequence`. Kind-prefixed so that a node and a
// resource with the same name never share a sequence:
//   node events                     "node.<node>"
//   pool events                     "pool.<node>.<pool>"
//   resource/replica/volume events  "resource.<resource>"
// (each name escaped with EscapeToken). The same string is the state-mirror KV key.
std::string PartitionKey(const DomainEvent& event);
std::string NodePartitionKey(std::string_view node);
std::string PoolPartitionKey(std::string_view node, std::string_view pool);
std::string ResourcePartitionKey(std::string_view resource);

// Subject: "linstor.v1.<cluster>.<entity>.<tokens...>.<event name>":
//   node.<node>.{online,offline,evicted}
//   pool.<node>.<pool>.{capacity_low,capacity_ok}
//   resource.<resource>.{created,deleted}
//   replica.<resource>.<node>.{created,deleted,disk_state_changed,connection_lost,
//                              connection_restored,quorum_lost,quorum_regained}
//   volume.<resource>.<node>.{attached,detached}
//   volume.<resource>.<volume number>.resized
inline constexpr std::string_view kSubjectPrefix = "linstor.v1";
std::string Subject(std::string_view cluster, const DomainEvent& event);
// "linstor.v1.<cluster>.>": what the JetStream stream captures.
std::string StreamSubjects(std::string_view cluster);

struct ParsedSubject {
  std::string cluster;  // folded, unescaped
  EventType type = EventType::kNodeOnline;
  std::string node;  // folded, unescaped ("" when the layout has none)
  std::string resource;
  std::string pool;
  int32_t volume_number = -1;
};
// Fails with kInvalidArgument on anything Subject() cannot have produced.
StatusOr<ParsedSubject> ParseSubject(std::string_view subject);

// ---------------------------------------------------------------------------------------------
// Identity: id = "<escaped cluster>/<partition key>/<sequence>", e.g. "prod/resource.pvc-1/17".
// Deterministic, so a republished event carries the same id (and Nats-Msg-Id).
std::string EventId(std::string_view cluster, std::string_view partition_key, uint64_t sequence);

// The envelope: a DomainEvent plus identity, order and observation time.
struct Event {
  std::string cluster;        // as configured (display); escaped in id/subject/source
  std::string partition_key;  // PartitionKey(body)
  uint64_t sequence = 0;      // per partition key, 1, 2, 3, ... never reused
  int64_t time_unix_ns = 0;   // when the bridge observed the change (CloudEvents `time`)
  DomainEvent body;

  std::string Id() const { return EventId(cluster, partition_key, sequence); }
  std::string NatsSubject() const { return Subject(cluster, body); }
};

// CloudEvents 1.0 structured JSON (one line, no trailing newline):
// {"specversion":"1.0","id":..,"source":"/linstor/<cluster>","type":..,"subject":<NATS subject>,
//  "time":<RFC 3339, ns>,"datacontenttype":"application/json","partitionkey":..,
//  "sequence":"<N as 20 decimal digits, zero-padded>","data":{...type-specific...}}
// The sequence is a String as the CloudEvents Sequence extension defines it; the padding makes
// string order equal numeric order (the extension asks for lexicographic comparability).
std::string EncodeEvent(const Event& event);
// "00000000000000000017" for 17: the `sequence` attribute's text.
std::string FormatSequence(uint64_t sequence);
// Inverse of FormatSequence: exactly 20 decimal digits, value >= 1.
StatusOr<uint64_t> ParseSequence(std::string_view text);
// Parses and validates: required attributes present with the right JSON types, specversion 1.0,
// a known type, id == EventId(cluster, partitionkey, sequence), partitionkey and subject
// consistent with the data. Unknown extra attributes and data fields are accepted (forward
// compatibility). The cluster comes back folded (as the subject carries it).
// Errors: kInvalidArgument (not JSON / missing / wrong type / inconsistent). An event of the
// previous format (integer `sequence`, or a ".v1" type) fails with a message that starts with
// kEventFormatV1Rule, so a consumer sees the version change rather than a reinterpretation.
inline constexpr std::string_view kEventFormatV1Rule =
    "event format v1: lnsim expects v2, docs/events.md";
StatusOr<Event> DecodeEvent(std::string_view json);

// The content that a (key, sequence) identifies: type + subject + data, without `time`.
// Two publications of one id must have equal ContentDigest; the verifier checks exactly that.
std::string ContentDigest(const Event& event);

// NATS header names the bridge sets (timing breadcrumbs travel here, not in the envelope).
inline constexpr const char* kHeaderMsgId = "Nats-Msg-Id";
// Every event message carries Content-Type: application/cloudevents+json (structured content
// mode of the CloudEvents NATS protocol binding, docs/events.md "Wire format").
inline constexpr const char* kHeaderContentType = "Content-Type";
inline constexpr const char* kCloudEventsJson = "application/cloudevents+json";
inline constexpr const char* kHeaderObservedNs = "Lnsim-Observed-Unix-Ns";
inline constexpr const char* kHeaderSequence = "Lnsim-Sequence";
inline constexpr const char* kHeaderPartitionKey = "Lnsim-Partition-Key";

// RFC 3339 with nanoseconds, UTC: "2026-06-02T10:45:56.123456789Z".
std::string FormatRfc3339Nanos(int64_t unix_ns);
StatusOr<int64_t> ParseRfc3339Nanos(std::string_view text);

}  // namespace lnsim::bridge
