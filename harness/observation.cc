// Event type -> channel mapping (the table in verifier.h) and name resolution.
#include "harness/observation.h"

#include <cmath>

#include "common/rng.h"

namespace lnsim::harness {
namespace {

using bridge::EventType;

constexpr sim::DiskState kDiskStates[] = {
    sim::DiskState::kDiskless, sim::DiskState::kAttaching,   sim::DiskState::kDetaching,
    sim::DiskState::kFailed,   sim::DiskState::kNegotiating, sim::DiskState::kInconsistent,
    sim::DiskState::kOutdated, sim::DiskState::kDUnknown,    sim::DiskState::kConsistent,
    sim::DiskState::kUpToDate};

}  // namespace

int64_t DiskLabelValue(std::string_view label) {
  if (label.rfind("SyncTarget", 0) == 0) return kDiskLabelSyncTarget;
  for (sim::DiskState d : kDiskStates) {
    if (sim::Name(d) == label) return static_cast<int64_t>(d);
  }
  return kGone;
}

ObservationDecoder::ObservationDecoder(const sim::Cluster& cluster, int64_t world_epoch_unix_ns)
    : cluster_(cluster), epoch_unix_ns_(world_epoch_unix_ns) {}

void ObservationDecoder::Refresh() {
  for (; seen_nodes_ < cluster_.nodes.size(); ++seen_nodes_) {
    nodes_[sim::FoldName(cluster_.nodes[seen_nodes_].name)] = static_cast<uint32_t>(seen_nodes_);
  }
  for (; seen_rds_ < cluster_.rds.size(); ++seen_rds_) {
    rds_[sim::FoldName(cluster_.rds[seen_rds_].name)] = static_cast<uint32_t>(seen_rds_);
  }
  for (; seen_pools_ < cluster_.pools.size(); ++seen_pools_) {
    const sim::StoragePool& p = cluster_.pools[seen_pools_];
    pools_[std::to_string(p.node) + "/" + sim::FoldName(p.name)] =
        static_cast<uint32_t>(seen_pools_);
  }
}

uint32_t ObservationDecoder::Node(const std::string& name) {
  const std::string folded = sim::FoldName(name);
  auto it = nodes_.find(folded);
  if (it == nodes_.end()) {
    Refresh();
    it = nodes_.find(folded);
  }
  return it == nodes_.end() ? sim::kNoIndex : it->second;
}

uint32_t ObservationDecoder::Rd(const std::string& name) {
  const std::string folded = sim::FoldName(name);
  auto it = rds_.find(folded);
  if (it == rds_.end()) {
    Refresh();
    it = rds_.find(folded);
  }
  return it == rds_.end() ? sim::kNoIndex : it->second;
}

uint32_t ObservationDecoder::Pool(uint32_t node, const std::string& name) {
  const std::string key = std::to_string(node) + "/" + sim::FoldName(name);
  auto it = pools_.find(key);
  if (it == pools_.end()) {
    Refresh();
    it = pools_.find(key);
  }
  return it == pools_.end() ? sim::kNoIndex : it->second;
}

void ObservationDecoder::FromEvent(const bridge::Event& event, Observation* out,
                                   std::vector<Assertion>* extras) {
  extras->clear();
  const bridge::DomainEvent& b = event.body;
  out->partition_hash = Fnv1a64(event.partition_key);
  out->sequence = event.sequence;
  if (event.time_unix_ns != 0 && out->observed_ns == kNoTime) {
    out->observed_ns = ToWorld(event.time_unix_ns);
  }
  auto key = [](ChannelKind kind, uint32_t a, uint32_t bb = 0, uint32_t c = 0) -> uint64_t {
    if (a == sim::kNoIndex || bb == sim::kNoIndex || c == sim::kNoIndex) return 0;
    if (a >= (1u << 24) || bb >= (1u << 20) || c >= (1u << 16)) return 0;
    return MakeChannelKey(kind, a, bb, c);
  };
  Assertion& p = out->primary;
  p = Assertion{};
  out->progress = kNoTime;
  switch (b.type) {
    case EventType::kNodeOnline:
    case EventType::kNodeOffline:
      p.channel = key(ChannelKind::kNodeOnline, Node(b.node));
      p.value = b.type == EventType::kNodeOnline ? 1 : 0;
      break;
    case EventType::kNodeEvicted:
      p.channel = key(ChannelKind::kNodeEvicted, Node(b.node));
      p.value = 1;
      break;
    case EventType::kPoolCapacityLow:
    case EventType::kPoolCapacityOk: {
      const uint32_t node = Node(b.node);
      p.channel = node == sim::kNoIndex ? 0 : key(ChannelKind::kPoolLow, Pool(node, b.pool));
      p.value = b.type == EventType::kPoolCapacityLow ? 1 : 0;
      break;
    }
    case EventType::kResourceCreated:
    case EventType::kResourceDeleted: {
      const uint32_t rd = Rd(b.resource);
      p.channel = key(ChannelKind::kRdExists, rd);
      p.value = b.type == EventType::kResourceCreated ? 1 : 0;
      if (b.type == EventType::kResourceCreated) {
        for (const auto& v : b.volumes) {
          if (v.size_kib >= 0 && v.volume_number >= 0) {
            extras->push_back(
                {key(ChannelKind::kVdSize, rd, 0, static_cast<uint32_t>(v.volume_number)),
                 v.size_kib});
          }
        }
      }
      break;
    }
    case EventType::kReplicaCreated:
    case EventType::kReplicaDeleted: {
      const uint32_t rd = Rd(b.resource);
      const uint32_t node = Node(b.node);
      p.channel = key(ChannelKind::kReplicaExists, rd, node);
      p.value = b.type == EventType::kReplicaCreated ? 1 : 0;
      if (b.type == EventType::kReplicaCreated) {
        if (b.in_use != bridge::Tri::kUnknown) {
          extras->push_back(
              {key(ChannelKind::kReplicaInUse, rd, node), b.in_use == bridge::Tri::kTrue ? 1 : 0});
        }
        for (const auto& v : b.volumes) {
          const int64_t label = DiskLabelValue(v.disk_state);
          if (label != kGone && v.volume_number >= 0) {
            extras->push_back(
                {key(ChannelKind::kDiskLabel, rd, node, static_cast<uint32_t>(v.volume_number)),
                 label});
          }
        }
      }
      break;
    }
    case EventType::kVolumeAttached:
    case EventType::kVolumeDetached:
      p.channel = key(ChannelKind::kReplicaInUse, Rd(b.resource), Node(b.node));
      p.value = b.type == EventType::kVolumeAttached ? 1 : 0;
      break;
    case EventType::kVolumeResized:
      p.channel = b.volume_number < 0 ? 0
                                      : key(ChannelKind::kVdSize, Rd(b.resource), 0,
                                            static_cast<uint32_t>(b.volume_number));
      p.value = b.new_size_kib;
      break;
    case EventType::kReplicaDiskStateChanged:
      p.channel = b.volume_number < 0 ? 0
                                      : key(ChannelKind::kDiskLabel, Rd(b.resource), Node(b.node),
                                            static_cast<uint32_t>(b.volume_number));
      p.value = DiskLabelValue(b.new_state);
      if (p.value == kGone) p.channel = 0;
      if (b.done_percentage) out->progress = std::llround(*b.done_percentage * 100.0);
      break;
    case EventType::kReplicaConnectionLost:
    case EventType::kReplicaConnectionRestored:
      p.channel = key(ChannelKind::kPeerConnected, Rd(b.resource), Node(b.node), Node(b.peer));
      p.value = b.type == EventType::kReplicaConnectionRestored ? 1 : 0;
      break;
    case EventType::kReplicaQuorumLost:
    case EventType::kReplicaQuorumRegained:
      p.channel = key(ChannelKind::kQuorum, Rd(b.resource), Node(b.node));
      p.value = b.type == EventType::kReplicaQuorumRegained ? 1 : 0;
      break;
  }
  out->extra_count = static_cast<uint32_t>(extras->size());
}

namespace {
// A message on an event subject must say it is a structured-mode CloudEvent: readers that follow
// the NATS binding read a message with headers but without this one as binary mode.
Status NoContentTypeError() {
  return InvalidArgumentError(std::string("no ") + bridge::kHeaderContentType + ": " +
                              bridge::kCloudEventsJson +
                              " header (CloudEvents NATS binding, docs/events.md)");
}
}  // namespace

Status ObservationDecoder::Decode(const Delivery& d, Observation* out,
                                  std::vector<Assertion>* extras) {
  *out = Observation{};
  out->consumer = d.consumer;
  out->id_hash = Fnv1a64(d.id);
  out->delivered_ns = ToWorld(d.delivered_unix_ns);
  out->num_delivered = static_cast<uint32_t>(d.num_delivered);
  out->stream_sequence = d.stream_sequence;
  out->processed = d.processed;
  if (d.observed_unix_ns != 0) out->observed_ns = ToWorld(d.observed_unix_ns);
  auto event = bridge::DecodeEvent(d.payload);
  if (event.ok() && d.content_type != bridge::kCloudEventsJson) event = NoContentTypeError();
  if (!event.ok()) {
    extras->clear();
    out->primary = Assertion{};  // channel 0: phantom
    out->partition_hash = Fnv1a64(d.subject);
    return event.status().WithPrefix("consumer " + std::to_string(d.consumer) + ": " + d.subject);
  }
  FromEvent(*event, out, extras);
  return OkStatus();
}

}  // namespace lnsim::harness
