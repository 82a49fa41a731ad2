// Examples rendered with names; see verifier_examples.h.
#include "harness/internal/verifier_examples.h"

#include <cstdio>
#include <optional>

#include "bridge/event.h"

namespace lnsim::harness::internal {
namespace {

using bridge::EventType;

uint32_t FieldA(uint64_t key) { return static_cast<uint32_t>((key >> 36) & 0xffffff); }

std::optional<EventType> TypeOf(ChannelKind kind, int64_t v) {
  switch (kind) {
    case ChannelKind::kNodeOnline:
      return v == 1 ? EventType::kNodeOnline : EventType::kNodeOffline;
    case ChannelKind::kNodeEvicted:
      return EventType::kNodeEvicted;
    case ChannelKind::kPoolLow:
      return v == 1 ? EventType::kPoolCapacityLow : EventType::kPoolCapacityOk;
    case ChannelKind::kRdExists:
      return v == 1 ? EventType::kResourceCreated : EventType::kResourceDeleted;
    case ChannelKind::kReplicaExists:
      return v == 1 ? EventType::kReplicaCreated : EventType::kReplicaDeleted;
    case ChannelKind::kReplicaInUse:
      return v == 1 ? EventType::kVolumeAttached : EventType::kVolumeDetached;
    case ChannelKind::kVdSize:
      return EventType::kVolumeResized;
    case ChannelKind::kDiskLabel:
      return EventType::kReplicaDiskStateChanged;
    case ChannelKind::kPeerConnected:
      return v == 1 ? EventType::kReplicaConnectionRestored : EventType::kReplicaConnectionLost;
    case ChannelKind::kQuorum:
      return v == 1 ? EventType::kReplicaQuorumRegained : EventType::kReplicaQuorumLost;
    case ChannelKind::kNone:
      break;
  }
  return std::nullopt;
}

std::string NodeName(uint32_t n, const sim::Cluster* c) {
  return c && n < c->nodes.size() ? c->nodes[n].name : "node#" + std::to_string(n);
}
std::string RdName(uint32_t r, const sim::Cluster* c) {
  return c && r < c->rds.size() ? c->rds[r].name : "rd#" + std::to_string(r);
}

// What the channel names, without its kind: "pvc-1/node-a".
std::string Target(uint64_t ch, const sim::Cluster* c) {
  static const sim::Cluster kNoNames;  // indices only: "rd#0/node#1"
  const std::string full = DescribeChannel(c ? *c : kNoNames, ch);
  const size_t space = full.find(' ');
  return space == std::string::npos ? full : full.substr(space + 1);
}

std::string ValueText(ChannelKind kind, int64_t v) {
  if (v == kGone) return "absent";
  switch (kind) {
    case ChannelKind::kRdExists:
    case ChannelKind::kReplicaExists:
      return v == 1 ? "created" : "deleted";
    case ChannelKind::kNodeOnline:
      return v == 1 ? "ONLINE" : "not ONLINE";
    case ChannelKind::kReplicaInUse:
      return v == 1 ? "in use" : "not in use";
    case ChannelKind::kPeerConnected:
      return v == 1 ? "connected" : "not connected";
    case ChannelKind::kQuorum:
      return v == 1 ? "quorum" : "no quorum";
    case ChannelKind::kPoolLow:
      return v == 1 ? "below the threshold" : "at or above the threshold";
    case ChannelKind::kDiskLabel:
      if (v == kDiskLabelSyncTarget) return "SyncTarget";
      return std::string(sim::Name(static_cast<sim::DiskState>(v)));
    case ChannelKind::kVdSize:
      return std::to_string(v) + " KiB";
    default:
      return std::to_string(v);
  }
}

std::string Seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3fs", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

std::string EventText(const Assertion& a, uint64_t seq, const sim::Cluster* cluster) {
  std::string out = seq == 0 ? "" : "seq " + std::to_string(seq) + " ";
  if (a.channel == 0) return out + "(names nothing the world has)";
  const ChannelKind kind = ChannelKindOf(a.channel);
  const auto type = TypeOf(kind, a.value);
  if (type) out += std::string(bridge::EventLabel(*type)) + " ";
  out += Target(a.channel, cluster);
  if (kind == ChannelKind::kDiskLabel || kind == ChannelKind::kVdSize) {
    out += " -> " + ValueText(kind, a.value);
  }
  return out;
}

std::string KeyText(uint64_t channel, const sim::Cluster* cluster) {
  if (channel == 0) return "unknown";
  switch (ChannelKindOf(channel)) {
    case ChannelKind::kNodeOnline:
    case ChannelKind::kNodeEvicted:
      return "node." + NodeName(FieldA(channel), cluster);
    case ChannelKind::kPoolLow:
      return "pool." + Target(channel, cluster);
    default:
      return "resource." + RdName(FieldA(channel), cluster);
  }
}

std::vector<std::string> ChannelHistory(const VerifierState& s, uint64_t channel,
                                        const sim::Cluster* cluster) {
  (void)cluster;
  std::vector<std::string> out;
  const uint32_t* index = channel ? s.channel_index.Find(channel) : nullptr;
  if (index == nullptr) {
    out.push_back("the world never had " + (channel ? Target(channel, cluster) : "this entity"));
    return out;
  }
  const std::vector<Segment>& segs = s.channels[*index].segments;
  constexpr size_t kMaxHistory = 8;
  const size_t from = segs.size() > kMaxHistory ? segs.size() - kMaxHistory : 0;
  const ChannelKind kind = ChannelKindOf(channel);
  for (size_t k = from; k < segs.size(); ++k) {
    const std::string when = segs[k].start == INT64_MIN ? "initially" : Seconds(segs[k].start);
    out.push_back(when + " " + ValueText(kind, segs[k].value));
  }
  return out;
}

Example RenderExample(const VerifierState& s, const RawExample& e, const sim::Cluster* cluster) {
  Example x;
  x.counter = e.counter;
  x.key = KeyText(e.key_channel, cluster);
  x.rule = e.rule;
  if (std::string_view(e.counter) == "sequence_gaps") {
    if (e.second_seq <= e.first_seq) {
      x.events.push_back("some sequences below seq " + std::to_string(e.first_seq) +
                         " never arrived");
      return x;
    }
    x.events.push_back("seq " + std::to_string(e.first_seq) + " then seq " +
                       std::to_string(e.second_seq) + " (" +
                       std::to_string(e.second_seq - e.first_seq - 1) + " never arrived)");
    return x;
  }
  if (e.first.channel != 0 || e.first_seq != 0)
    x.events.push_back(EventText(e.first, e.first_seq, cluster));
  x.events.push_back(EventText(e.second, e.second_seq, cluster) + " delivered at " +
                     Seconds(e.when));
  uint64_t entity = e.key_channel;
  if (std::string_view(e.counter) == "phantom" || std::string_view(e.counter) == "lost") {
    entity = e.second.channel;
  }
  x.history = ChannelHistory(s, entity, cluster);
  return x;
}

}  // namespace lnsim::harness::internal
