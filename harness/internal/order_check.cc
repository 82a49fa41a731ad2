// Order within one resource and JetStream sequence gaps; see order_check.h.
#include "harness/internal/order_check.h"

#include <cstring>

namespace lnsim::harness::internal {
namespace {

uint32_t FieldA(uint64_t key) { return static_cast<uint32_t>((key >> 36) & 0xffffff); }
uint32_t FieldB(uint64_t key) { return static_cast<uint32_t>((key >> 16) & 0xfffff); }

constexpr uint8_t kUnknown = 0, kCreated = 1, kDeleted = 2, kImplicit = 3;

constexpr char kAfterDeleted[] =
    "an event of a resource or replica after its deleted event (docs/events.md \"Order within "
    "one resource\")";
constexpr char kBeforeCreated[] =
    "an event of a resource or replica before its created event (docs/events.md \"Order within "
    "one resource\")";
constexpr char kGapRule[] =
    "per partition key, sequences have no gaps in JetStream mode (docs/events.md \"Envelope\")";

}  // namespace

void KeepExample(std::vector<RawExample>* examples, const RawExample& e) {
  size_t same = 0;
  for (const RawExample& x : *examples) same += std::strcmp(x.counter, e.counter) == 0 ? 1 : 0;
  if (same < kMaxExamplesPerCounter) examples->push_back(e);
}

OrderTracker::Key& OrderTracker::KeyOf(const Observation& o) {
  bool inserted = false;
  uint32_t& index = key_index_.FindOrInsert(o.partition_hash, 0, &inserted);
  if (inserted) {
    index = static_cast<uint32_t>(keys_.size());
    keys_.emplace_back();
  }
  Key& k = keys_[index];
  k.count++;
  if (o.stream_sequence != 0) k.jetstream = true;
  if (o.sequence > k.max_seq) k.max_seq = o.sequence;
  return k;
}

OrderTracker::Lifetime& OrderTracker::LifetimeOf(uint64_t entity, uint32_t generation) {
  bool inserted = false;
  uint32_t& index = lifetime_index_.FindOrInsert(entity, 0, &inserted);
  if (inserted) {
    index = static_cast<uint32_t>(lifetimes_.size());
    lifetimes_.emplace_back();
  }
  Lifetime& l = lifetimes_[index];
  if (l.generation != generation) l = Lifetime{generation, kUnknown, {}, 0};
  return l;
}

bool OrderTracker::Dependent(uint64_t entity, uint32_t generation, const Observation& o,
                             std::vector<RawExample>* examples) {
  Lifetime& l = LifetimeOf(entity, generation);
  if (l.state == kDeleted) {
    KeepExample(examples, {"misordered", kAfterDeleted, entity, l.event, l.seq, o.primary,
                           o.sequence, o.delivered_ns});
    return true;
  }
  if (l.state == kUnknown) l = Lifetime{generation, kImplicit, o.primary, o.sequence};
  return false;
}

bool OrderTracker::Opens(uint64_t entity, uint32_t generation, const Observation& o,
                         std::vector<RawExample>* examples) {
  Lifetime& l = LifetimeOf(entity, generation);
  const bool broken = l.state == kImplicit;
  if (broken) {
    KeepExample(examples, {"misordered", kBeforeCreated, entity, l.event, l.seq, o.primary,
                           o.sequence, o.delivered_ns});
  }
  l = Lifetime{generation, kCreated, o.primary, o.sequence};
  return broken;
}

void OrderTracker::Closes(uint64_t entity, uint32_t generation, const Observation& o) {
  Lifetime& l = LifetimeOf(entity, generation);
  l = Lifetime{generation, kDeleted, o.primary, o.sequence};
}

uint64_t OrderTracker::Observe(const Observation& o, std::vector<RawExample>* examples) {
  Key& k = KeyOf(o);
  if (o.sequence != k.last_arrival + 1) {
    k.generation++;  // something of this key is missing (so far): order unknown from here
    if (k.jetstream && k.gap_to == 0 && o.sequence > k.last_arrival + 1) {
      k.gap_from = k.last_arrival;
      k.gap_to = o.sequence;
    }
  }
  k.last_arrival = o.sequence;
  k.last = {"", "", o.primary.channel, {}, 0, o.primary, o.sequence, o.delivered_ns};
  const uint64_t ch = o.primary.channel;
  if (ch == 0) return 0;
  const uint32_t rd = FieldA(ch);
  const uint64_t resource = MakeChannelKey(ChannelKind::kRdExists, rd);
  const uint32_t g = k.generation;
  bool broken = false;
  switch (ChannelKindOf(ch)) {
    case ChannelKind::kRdExists:
      if (o.primary.value == 1) return Opens(resource, g, o, examples) ? 1 : 0;
      Closes(resource, g, o);
      return 0;
    case ChannelKind::kReplicaExists: {
      broken = Dependent(resource, g, o, examples);
      const uint64_t replica = MakeChannelKey(ChannelKind::kReplicaExists, rd, FieldB(ch));
      if (o.primary.value == 1) {
        broken = Opens(replica, g, o, examples) || broken;
      } else {
        Closes(replica, g, o);
      }
      return broken ? 1 : 0;
    }
    case ChannelKind::kReplicaInUse:
    case ChannelKind::kDiskLabel:
    case ChannelKind::kPeerConnected:
    case ChannelKind::kQuorum: {
      broken = Dependent(resource, g, o, examples);
      const uint64_t replica = MakeChannelKey(ChannelKind::kReplicaExists, rd, FieldB(ch));
      broken = Dependent(replica, g, o, examples) || broken;
      return broken ? 1 : 0;
    }
    case ChannelKind::kVdSize:
      return Dependent(resource, g, o, examples) ? 1 : 0;
    default:
      return 0;  // node and pool events have no lifetime order
  }
}

void OrderTracker::ObserveBackwards(const Observation& o) { KeyOf(o); }

const RawExample* OrderTracker::Last(uint64_t partition_hash) const {
  const uint32_t* index = key_index_.Find(partition_hash);
  return index ? &keys_[*index].last : nullptr;
}

uint64_t OrderTracker::Gaps(std::vector<RawExample>* examples) const {
  uint64_t gaps = 0;
  for (const Key& k : keys_) {
    if (!k.jetstream || k.max_seq <= k.count) continue;
    gaps += k.max_seq - k.count;
    RawExample e{"sequence_gaps", kGapRule, k.last.key_channel, {},
                 k.gap_from,      {},       k.gap_to,           k.last.when};
    KeepExample(examples, e);
  }
  return gaps;
}

}  // namespace lnsim::harness::internal
