// The ground truth: every state transition the world makes, as (time, sequence, entity,
// attribute, old value, new value). The verifier judges the bridge's events against this log
// only. Same seed and scenario => the same log, byte for byte (TraceLog::Digest()).
//
// Values are int64 so a record is fixed-size and cheap (the world makes millions a second):
// enums are their integer value (sim/model.h), bools 0/1, sizes KiB, done_percentage in
// hundredths of a percent (4217 = 42.17%), kAbsent when a value does not exist (e.g. before an
// entity is created, or may_promote while unknown).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/model.h"

namespace lnsim::sim {

inline constexpr int64_t kAbsent = INT64_MIN;

enum class EntityKind : uint8_t {
  kNode,                // a = node
  kPool,                // a = pool
  kResourceDefinition,  // a = rd
  kVolumeDefinition,    // a = rd, b = volume number
  kReplica,             // a = rd, b = node
  kVolumeReplica,       // a = rd, b = node, c = volume number
  kPeerLink,            // a = rd, b = node, c = peer node
  kPeerVolume,          // a = rd, b = node, c = peer node, d = volume number
};

enum class Attribute : uint8_t {
  kExists,          // 0/1 (creation: kAbsent/0 -> 1, deletion: 1 -> 0)
  kConnection,      // node: NodeConnection (the controller's view)
  kSatelliteUp,     // node: truth, 0/1
  kNodeFlags,       // node: NodeFlag bits
  kFreeKib,         // pool
  kTotalKib,        // pool
  kSizeKib,         // volume definition
  kVolumeFlags,     // volume definition / volume replica: VolumeFlag bits
  kKind,            // replica: ReplicaKind
  kReplicaFlags,    // replica: ReplicaFlag bits
  kInUse,           // replica: 0/1
  kMayPromote,      // replica: 0/1 or kAbsent
  kPromotionScore,  // replica
  kQuorum,          // replica: 0/1
  kDiskState,       // volume replica: DiskState
  kDonePercentage,  // volume replica: hundredths of a percent or kAbsent
  kConnState,       // peer link: ConnState
  kReplState,       // peer volume: ReplState
};

std::string_view Name(EntityKind kind);  // "node", "replica-volume", ...
std::string_view Name(Attribute attr);   // "disk_state", ...

struct EntityRef {
  EntityKind kind = EntityKind::kNode;
  uint32_t a = kNoIndex, b = kNoIndex, c = kNoIndex, d = kNoIndex;
  bool operator==(const EntityRef&) const = default;
};

struct Transition {
  int64_t time_ns = 0;  // world time
  uint64_t seq = 0;     // global, strictly increasing from 1
  EntityRef entity;
  Attribute attr = Attribute::kExists;
  int64_t old_value = kAbsent;
  int64_t new_value = kAbsent;
  uint32_t cause = 0;  // index into TraceLog::causes(): the fault/workload/op that caused it
};

class TraceLog {
 public:
  void Append(const Transition& t);
  const std::vector<Transition>& transitions() const { return transitions_; }
  // Cause labels ("fault:node-crash node-3", "workload:attach", "api:autoplace"); index 0 = "init".
  uint32_t InternCause(const std::string& label);
  const std::vector<std::string>& causes() const { return causes_; }
  // Running 64-bit digest (FNV-1a) over every transition's fields in canonical little-endian
  // form (time, seq, entity kind and indices, attribute, old, new, cause), over each new cause
  // label's text, and over whatever MixIntoDigest() added (the world adds a hash of the
  // generated initial cluster, which is not itself recorded as transitions).
  uint64_t Digest() const { return digest_; }
  void MixIntoDigest(uint64_t value);
  std::string DigestHex() const;

 private:
  std::vector<Transition> transitions_;
  std::vector<std::string> causes_{"init"};
  uint64_t digest_ = 0xcbf29ce484222325ULL;
};

// "12.500000000 #17 volume-replica demo/node-a/0 disk_state UpToDate -> Outdated (fault:...)"
// Values rendered by attribute (enum names, booleans, KiB). Used for the trace file and debugging.
std::string RenderTransition(const Cluster& cluster, const TraceLog& log, const Transition& t);
// Names of the entity: {"demo", "node-a", "0"} etc.
std::string RenderEntity(const Cluster& cluster, const EntityRef& e);
std::string RenderValue(Attribute attr, int64_t value);

}  // namespace lnsim::sim
