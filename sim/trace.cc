// The ground-truth log: appending, the canonical digest, and human rendering of transitions.
// The digest is FNV-1a over a fixed little-endian encoding of every field, so it is the same on
// every machine and compiler; the rendering is for trace files and debugging only.
#include "sim/trace.h"

#include <cstdio>

namespace lnsim::sim {
namespace {

inline uint64_t MixBytes(uint64_t h, const unsigned char* bytes, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

inline void PutLe(unsigned char* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}

std::string FlagNames(uint64_t bits, const char* const* names, int count) {
  if (bits == 0) return "[]";
  std::string out;
  for (int i = 0; i < count; ++i) {
    if (bits & (uint64_t{1} << i)) {
      if (!out.empty()) out += '|';
      out += names[i];
    }
  }
  return out.empty() ? std::to_string(bits) : out;
}

}  // namespace

std::string_view Name(EntityKind kind) {
  switch (kind) {
    case EntityKind::kNode:
      return "node";
    case EntityKind::kPool:
      return "pool";
    case EntityKind::kResourceDefinition:
      return "resource-definition";
    case EntityKind::kVolumeDefinition:
      return "volume-definition";
    case EntityKind::kReplica:
      return "replica";
    case EntityKind::kVolumeReplica:
      return "volume-replica";
    case EntityKind::kPeerLink:
      return "peer-link";
    case EntityKind::kPeerVolume:
      return "peer-volume";
  }
  return "unknown";
}

std::string_view Name(Attribute attr) {
  switch (attr) {
    case Attribute::kExists:
      return "exists";
    case Attribute::kConnection:
      return "connection_status";
    case Attribute::kSatelliteUp:
      return "satellite_up";
    case Attribute::kNodeFlags:
      return "node_flags";
    case Attribute::kFreeKib:
      return "free_kib";
    case Attribute::kTotalKib:
      return "total_kib";
    case Attribute::kSizeKib:
      return "size_kib";
    case Attribute::kVolumeFlags:
      return "volume_flags";
    case Attribute::kKind:
      return "kind";
    case Attribute::kReplicaFlags:
      return "replica_flags";
    case Attribute::kInUse:
      return "in_use";
    case Attribute::kMayPromote:
      return "may_promote";
    case Attribute::kPromotionScore:
      return "promotion_score";
    case Attribute::kQuorum:
      return "quorum";
    case Attribute::kDiskState:
      return "disk_state";
    case Attribute::kDonePercentage:
      return "done_percentage";
    case Attribute::kConnState:
      return "conn_state";
    case Attribute::kReplState:
      return "repl_state";
  }
  return "unknown";
}

void TraceLog::Append(const Transition& t) {
  unsigned char buf[62];
  PutLe(buf + 0, static_cast<uint64_t>(t.time_ns), 8);
  PutLe(buf + 8, t.seq, 8);
  buf[16] = static_cast<unsigned char>(t.entity.kind);
  PutLe(buf + 17, t.entity.a, 4);
  PutLe(buf + 21, t.entity.b, 4);
  PutLe(buf + 25, t.entity.c, 4);
  PutLe(buf + 29, t.entity.d, 4);
  buf[33] = static_cast<unsigned char>(t.attr);
  PutLe(buf + 34, static_cast<uint64_t>(t.old_value), 8);
  PutLe(buf + 42, static_cast<uint64_t>(t.new_value), 8);
  PutLe(buf + 50, t.cause, 4);
  digest_ = MixBytes(digest_, buf, 54);
  transitions_.push_back(t);
}

uint32_t TraceLog::InternCause(const std::string& label) {
  // Causes are few (one per fault, workload kind, operation kind); a linear scan from the back
  // finds the common repeats quickly and keeps the order deterministic.
  for (size_t i = causes_.size(); i-- > 0;) {
    if (causes_[i] == label) return static_cast<uint32_t>(i);
  }
  causes_.push_back(label);
  // The label text enters the digest too, so two runs that differ only in cause names differ.
  digest_ = MixBytes(digest_, reinterpret_cast<const unsigned char*>(label.data()), label.size());
  return static_cast<uint32_t>(causes_.size() - 1);
}

void TraceLog::MixIntoDigest(uint64_t value) {
  unsigned char buf[8];
  PutLe(buf, value, 8);
  digest_ = MixBytes(digest_, buf, 8);
}

std::string TraceLog::DigestHex() const {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(digest_));
  return buf;
}

std::string RenderValue(Attribute attr, int64_t value) {
  if (value == kAbsent) return "-";
  static const char* const kNodeFlagNames[] = {"DELETE", "EVICTED", "EVACUATE"};
  static const char* const kReplicaFlagNames[] = {"DELETE",        "DISK_ADD_REQUESTED",
                                                  "DISK_ADDING",   "DISK_REMOVE_REQUESTED",
                                                  "DISK_REMOVING", "EVICTED"};
  static const char* const kVolumeFlagNames[] = {"RESIZE", "DRBD_RESIZE", "DELETE"};
  switch (attr) {
    case Attribute::kExists:
    case Attribute::kSatelliteUp:
    case Attribute::kInUse:
    case Attribute::kMayPromote:
    case Attribute::kQuorum:
      return value ? "true" : "false";
    case Attribute::kConnection:
      return std::string(Name(static_cast<NodeConnection>(value)));
    case Attribute::kNodeFlags:
      return FlagNames(static_cast<uint64_t>(value), kNodeFlagNames, 3);
    case Attribute::kReplicaFlags:
      return FlagNames(static_cast<uint64_t>(value), kReplicaFlagNames, 6);
    case Attribute::kVolumeFlags:
      return FlagNames(static_cast<uint64_t>(value), kVolumeFlagNames, 3);
    case Attribute::kFreeKib:
    case Attribute::kTotalKib:
    case Attribute::kSizeKib:
      return std::to_string(value) + "KiB";
    case Attribute::kKind:
      return std::string(Name(static_cast<ReplicaKind>(value)));
    case Attribute::kPromotionScore:
      return std::to_string(value);
    case Attribute::kDiskState:
      return std::string(Name(static_cast<DiskState>(value)));
    case Attribute::kDonePercentage: {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%lld.%02lld%%", static_cast<long long>(value / 100),
                    static_cast<long long>(value % 100));
      return buf;
    }
    case Attribute::kConnState:
      return std::string(Name(static_cast<ConnState>(value)));
    case Attribute::kReplState:
      return std::string(Name(static_cast<ReplState>(value)));
  }
  return std::to_string(value);
}

std::string RenderEntity(const Cluster& cluster, const EntityRef& e) {
  auto node = [&](uint32_t i) -> std::string {
    return i < cluster.nodes.size() ? cluster.nodes[i].name : "node#" + std::to_string(i);
  };
  auto rd = [&](uint32_t i) -> std::string {
    return i < cluster.rds.size() ? cluster.rds[i].name : "rd#" + std::to_string(i);
  };
  switch (e.kind) {
    case EntityKind::kNode:
      return node(e.a);
    case EntityKind::kPool:
      if (e.a < cluster.pools.size()) {
        return node(cluster.pools[e.a].node) + "/" + cluster.pools[e.a].name;
      }
      return "pool#" + std::to_string(e.a);
    case EntityKind::kResourceDefinition:
      return rd(e.a);
    case EntityKind::kVolumeDefinition:
      return rd(e.a) + "/" + std::to_string(e.b);
    case EntityKind::kReplica:
      return rd(e.a) + "/" + node(e.b);
    case EntityKind::kVolumeReplica:
      return rd(e.a) + "/" + node(e.b) + "/" + std::to_string(e.c);
    case EntityKind::kPeerLink:
      return rd(e.a) + "/" + node(e.b) + "/" + node(e.c);
    case EntityKind::kPeerVolume:
      return rd(e.a) + "/" + node(e.b) + "/" + node(e.c) + "/" + std::to_string(e.d);
  }
  return "?";
}

std::string RenderTransition(const Cluster& cluster, const TraceLog& log, const Transition& t) {
  char head[64];
  const int64_t secs = t.time_ns / 1000000000;
  const int64_t frac = t.time_ns % 1000000000;
  std::snprintf(head, sizeof(head), "%lld.%09lld #%llu ", static_cast<long long>(secs),
                static_cast<long long>(frac), static_cast<unsigned long long>(t.seq));
  std::string out = head;
  out += Name(t.entity.kind);
  out += ' ';
  out += RenderEntity(cluster, t.entity);
  out += ' ';
  out += Name(t.attr);
  out += ' ';
  out += RenderValue(t.attr, t.old_value);
  out += " -> ";
  out += RenderValue(t.attr, t.new_value);
  out += " (";
  out += t.cause < log.causes().size() ? log.causes()[t.cause] : "?";
  out += ')';
  return out;
}

}  // namespace lnsim::sim
