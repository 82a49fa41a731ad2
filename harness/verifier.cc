// Verifier implementation: world replay into channel timelines, per-receipt matching in flat hash
// maps (no allocation per event once the tables are warm), and the end-of-run judgement of every
// required segment per consumer. See verifier.h for the model and the meanings.
#include "harness/verifier.h"

#include <algorithm>

namespace lnsim::harness {
namespace {

using internal::FlatMap64;
using sim::Attribute;
using sim::EntityKind;
using sim::kAbsent;
using sim::kNoIndex;

struct Segment {
  int64_t start;
  int64_t value;
};

struct Channel {
  uint64_t key = 0;
  uint32_t node = kNoIndex;       // live channels: observable only while this node is ONLINE
  std::vector<Segment> segments;  // segments[0] starts at INT64_MIN: the value before creation
};

// Derived state the world's raw attributes feed.
struct VolumeState {
  int64_t disk = kAbsent;
  int64_t done = kAbsent;
  int32_t sync_target_peers = 0;
};
struct PoolState {
  int64_t free = 0;
  int64_t total = 0;
};

bool IsSyncTarget(int64_t repl) {
  return repl == static_cast<int64_t>(sim::ReplState::kSyncTarget) ||
         repl == static_cast<int64_t>(sim::ReplState::kPausedSyncT);
}

int64_t DiskLabel(const VolumeState& v) {
  if (v.disk == kAbsent) return kGone;
  const bool resync_disk = v.disk == static_cast<int64_t>(sim::DiskState::kInconsistent) ||
                           v.disk == static_cast<int64_t>(sim::DiskState::kOutdated);
  if (resync_disk && v.done != kAbsent && v.sync_target_peers > 0) return kDiskLabelSyncTarget;
  return v.disk;
}

bool LiveKind(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kPoolLow:
    case ChannelKind::kReplicaInUse:
    case ChannelKind::kDiskLabel:
    case ChannelKind::kPeerConnected:
    case ChannelKind::kQuorum:
      return true;
    default:
      return false;
  }
}

// Whether a change from `prev` to `next` is something the event contract reports.
bool Reportable(ChannelKind kind, int64_t prev, int64_t next) {
  if (prev == next || next == kGone || prev == kGone) return false;  // gone/creation: implicit
  if (kind == ChannelKind::kNodeEvicted) return prev == 0 && next == 1;
  return true;
}

uint64_t PackMatch(uint32_t channel, uint32_t segment) {
  return (static_cast<uint64_t>(channel) << 32) | segment;
}

struct PhantomSample {
  uint64_t channel;
  int64_t value;
  int64_t when;
  const char* why;
};

struct ConsumerState {
  std::vector<PhantomSample> phantoms;  // the first few, for the failure message
  FlatMap64<uint8_t> ids{1024};         // id hash -> bit0 received, bit1 processed
  FlatMap64<uint64_t> last_seq{256};    // partition hash -> highest sequence delivered
  FlatMap64<uint8_t> matched{1024};     // PackMatch(channel, segment)
  VerdictCounters counters;
};

struct FaultTracking {
  int64_t first_delivery = kNoTime;  // of an event whose change fell inside the window
  int64_t last_delivery = kNoTime;
  int64_t recover_delivery = kNoTime;  // first on-time delivery of a change after the window
  uint64_t events = 0;
};

}  // namespace

std::string_view ChannelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kNone:
      return "none";
    case ChannelKind::kNodeOnline:
      return "node_online";
    case ChannelKind::kNodeEvicted:
      return "node_evicted";
    case ChannelKind::kPoolLow:
      return "pool_low";
    case ChannelKind::kRdExists:
      return "resource_exists";
    case ChannelKind::kReplicaExists:
      return "replica_exists";
    case ChannelKind::kReplicaInUse:
      return "in_use";
    case ChannelKind::kVdSize:
      return "volume_size";
    case ChannelKind::kDiskLabel:
      return "disk_state";
    case ChannelKind::kPeerConnected:
      return "peer_connected";
    case ChannelKind::kQuorum:
      return "quorum";
  }
  return "?";
}

uint64_t MakeChannelKey(ChannelKind kind, uint32_t a, uint32_t b, uint32_t c) {
  LNSIM_CHECK(a < (1u << 24) && b < (1u << 20) && c < (1u << 16))
      << "channel index out of range: " << a << "/" << b << "/" << c;
  return (static_cast<uint64_t>(kind) << 60) | (static_cast<uint64_t>(a) << 36) |
         (static_cast<uint64_t>(b) << 16) | c;
}

ChannelKind ChannelKindOf(uint64_t key) { return static_cast<ChannelKind>(key >> 60); }

std::string DescribeChannel(const sim::Cluster& cluster, uint64_t key) {
  const ChannelKind kind = ChannelKindOf(key);
  const uint32_t a = static_cast<uint32_t>((key >> 36) & 0xffffff);
  const uint32_t b = static_cast<uint32_t>((key >> 16) & 0xfffff);
  const uint32_t c = static_cast<uint32_t>(key & 0xffff);
  auto node = [&](uint32_t n) {
    return n < cluster.nodes.size() ? cluster.nodes[n].name : "node#" + std::to_string(n);
  };
  auto rd = [&](uint32_t r) {
    return r < cluster.rds.size() ? cluster.rds[r].name : "rd#" + std::to_string(r);
  };
  std::string out(ChannelKindName(kind));
  switch (kind) {
    case ChannelKind::kNodeOnline:
    case ChannelKind::kNodeEvicted:
      return out + " " + node(a);
    case ChannelKind::kPoolLow:
      if (a < cluster.pools.size()) {
        return out + " " + node(cluster.pools[a].node) + "/" + cluster.pools[a].name;
      }
      return out + " pool#" + std::to_string(a);
    case ChannelKind::kRdExists:
      return out + " " + rd(a);
    case ChannelKind::kReplicaExists:
    case ChannelKind::kReplicaInUse:
    case ChannelKind::kQuorum:
      return out + " " + rd(a) + "/" + node(b);
    case ChannelKind::kVdSize:
      return out + " " + rd(a) + "/" + std::to_string(c);
    case ChannelKind::kDiskLabel:
      return out + " " + rd(a) + "/" + node(b) + "/" + std::to_string(c);
    case ChannelKind::kPeerConnected:
      return out + " " + rd(a) + "/" + node(b) + "->" + node(c);
    case ChannelKind::kNone:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

struct Verifier::State {
  VerifierOptions options;
  std::vector<Channel> channels;
  FlatMap64<uint32_t> channel_index{4096};
  FlatMap64<VolumeState> volumes{1024};  // (rd, node, volume) packed as a disk channel key
  FlatMap64<PoolState> pools{256};
  // Resync progress per disk channel: done percentage (hundredths) over time. A progress event
  // (disk_state_changed SyncTarget -> SyncTarget) carries the value a done-percentage transition
  // set, so its latency runs from that transition, not from the start of the resync.
  FlatMap64<uint32_t> progress_index{256};
  std::vector<std::vector<Segment>> progress;
  std::vector<ConsumerState> consumers;
  std::array<Histogram, kStageCount> latency;
  std::vector<FaultTracking> faults;

  uint32_t ChannelFor(uint64_t key, uint32_t node, int64_t initial) {
    bool inserted = false;
    uint32_t& index = channel_index.FindOrInsert(key, 0, &inserted);
    if (inserted) {
      index = static_cast<uint32_t>(channels.size());
      Channel ch;
      ch.key = key;
      ch.node = LiveKind(ChannelKindOf(key)) ? node : kNoIndex;
      ch.segments.push_back({INT64_MIN, initial});
      channels.push_back(std::move(ch));
    }
    return index;
  }

  // Records value `value` at `time` on the channel, creating it with `initial` when new.
  void Set(uint64_t key, uint32_t node, int64_t time, int64_t initial, int64_t value) {
    Channel& ch = channels[ChannelFor(key, node, initial)];
    if (ch.segments.back().value == value) return;
    if (ch.segments.back().start == time && ch.segments.size() > 1) {
      // Several changes at one instant: only the last value ever held.
      ch.segments.back().value = value;
      if (ch.segments[ch.segments.size() - 2].value == value) ch.segments.pop_back();
      return;
    }
    ch.segments.push_back({time, value});
  }

  // The entity behind the channel was (re)created at `time` with `value`: a kGone instant first,
  // so the value counts as part of the creation even when the channel held a value before (a
  // replica deleted and placed again on the same node).
  void Create(uint64_t key, uint32_t node, int64_t time, int64_t value) {
    Channel& ch = channels[ChannelFor(key, node, kGone)];
    if (ch.segments.back().value != kGone) {
      if (ch.segments.size() > 1 && ch.segments.back().start == time) {
        ch.segments.back().value = kGone;
      } else {
        ch.segments.push_back({time, kGone});
      }
    }
    if (value != kGone) ch.segments.push_back({time, value});
  }

  void RecordProgress(uint64_t key, int64_t time, int64_t done) {
    if (done == kAbsent) return;
    bool inserted = false;
    uint32_t& index = progress_index.FindOrInsert(key, 0, &inserted);
    if (inserted) {
      index = static_cast<uint32_t>(progress.size());
      progress.emplace_back();
    }
    progress[index].push_back({time, done});
  }

  // Latest instant in [from, t] at which the channel's done percentage became `done` (within one
  // hundredth: the event carries it rounded); kNoTime when none.
  int64_t ProgressSince(uint64_t key, int64_t done, int64_t from, int64_t t) const {
    const uint32_t* index = progress_index.Find(key);
    if (index == nullptr) return kNoTime;
    const auto& segs = progress[*index];
    auto it = std::upper_bound(segs.begin(), segs.end(), t,
                               [](int64_t time, const Segment& s) { return time < s.start; });
    for (int steps = 0; it != segs.begin() && steps < 4096; ++steps) {
      --it;
      if (it->start < from) break;
      if (it->value >= done - 1 && it->value <= done + 1) return it->start;
    }
    return kNoTime;
  }

  int64_t Current(uint64_t key) const {
    const uint32_t* index = channel_index.Find(key);
    return index ? channels[*index].segments.back().value : kGone;
  }

  void Apply(const sim::Cluster& cluster, const sim::Transition& t) {
    const auto& e = t.entity;
    const int64_t time = t.time_ns;
    auto exists_value = [](int64_t v) { return v == kAbsent ? 0 : v; };
    switch (e.kind) {
      case EntityKind::kNode:
        if (t.attr == Attribute::kConnection) {
          auto online = [](int64_t v) {
            return v == kAbsent ? 0 : (v == static_cast<int64_t>(sim::NodeConnection::kOnline));
          };
          Set(MakeChannelKey(ChannelKind::kNodeOnline, e.a), kNoIndex, time, online(t.old_value),
              online(t.new_value));
        } else if (t.attr == Attribute::kNodeFlags) {
          auto evicted = [](int64_t v) {
            return v == kAbsent ? 0 : ((v & sim::kNodeEvicted) != 0 ? 1 : 0);
          };
          Set(MakeChannelKey(ChannelKind::kNodeEvicted, e.a), kNoIndex, time, evicted(t.old_value),
              evicted(t.new_value));
        }
        // A node whose connection never changed has no channel and counts as ONLINE throughout.
        return;
      case EntityKind::kPool: {
        if (t.attr != Attribute::kFreeKib && t.attr != Attribute::kTotalKib) return;
        bool inserted = false;
        PoolState& p = pools.FindOrInsert(e.a, PoolState{}, &inserted);
        const int64_t before = Low(p);
        const int64_t v = t.new_value == kAbsent ? 0 : t.new_value;
        if (t.attr == Attribute::kFreeKib) p.free = v;
        if (t.attr == Attribute::kTotalKib) p.total = v;
        const uint32_t node = e.a < cluster.pools.size() ? cluster.pools[e.a].node : kNoIndex;
        Set(MakeChannelKey(ChannelKind::kPoolLow, e.a), node, time, before, Low(p));
        return;
      }
      case EntityKind::kResourceDefinition:
        if (t.attr == Attribute::kExists) {
          Set(MakeChannelKey(ChannelKind::kRdExists, e.a), kNoIndex, time,
              exists_value(t.old_value), exists_value(t.new_value));
        }
        return;
      case EntityKind::kVolumeDefinition: {
        const uint64_t key = MakeChannelKey(ChannelKind::kVdSize, e.a, 0, e.b);
        if (t.attr == Attribute::kSizeKib) {
          Set(key, kNoIndex, time, t.old_value == kAbsent ? kGone : t.old_value,
              t.new_value == kAbsent ? kGone : t.new_value);
        } else if (t.attr == Attribute::kExists && t.new_value != 1) {
          Set(key, kNoIndex, time, kGone, kGone);
        }
        return;
      }
      case EntityKind::kReplica: {
        const uint32_t node = e.b;
        if (t.attr == Attribute::kExists) {
          Set(MakeChannelKey(ChannelKind::kReplicaExists, e.a, e.b), kNoIndex, time,
              exists_value(t.old_value), exists_value(t.new_value));
          if (t.new_value == 1) {
            // A new replica starts detached; the world records in_use only when it changes.
            Create(MakeChannelKey(ChannelKind::kReplicaInUse, e.a, e.b), node, time, 0);
          } else {
            // Deleting a replica ends its attachment (the bridge reports volume.detached before
            // replica.deleted) and its quorum.
            const uint64_t in_use = MakeChannelKey(ChannelKind::kReplicaInUse, e.a, e.b);
            if (Current(in_use) == 1) Set(in_use, node, time, 0, 0);
            Set(MakeChannelKey(ChannelKind::kQuorum, e.a, e.b), node, time, kGone, kGone);
          }
        } else if (t.attr == Attribute::kInUse) {
          Set(MakeChannelKey(ChannelKind::kReplicaInUse, e.a, e.b), node, time,
              t.old_value == kAbsent ? 0 : t.old_value, t.new_value == kAbsent ? 0 : t.new_value);
        } else if (t.attr == Attribute::kQuorum) {
          Set(MakeChannelKey(ChannelKind::kQuorum, e.a, e.b), node, time,
              t.old_value == kAbsent ? kGone : t.old_value,
              t.new_value == kAbsent ? kGone : t.new_value);
        }
        return;
      }
      case EntityKind::kVolumeReplica: {
        const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, e.a, e.b, e.c);
        bool inserted = false;
        VolumeState& v = volumes.FindOrInsert(key, VolumeState{}, &inserted);
        const int64_t before = DiskLabel(v);
        if (t.attr == Attribute::kDiskState && t.old_value == kAbsent) {
          v = VolumeState{};
          v.disk = t.new_value;
          Create(key, e.b, time, DiskLabel(v));
          return;
        } else if (t.attr == Attribute::kDiskState) {
          v.disk = t.new_value;
        } else if (t.attr == Attribute::kDonePercentage) {
          v.done = t.new_value;
          RecordProgress(key, time, t.new_value);
        } else if (t.attr == Attribute::kExists && t.new_value != 1) {
          v = VolumeState{};
        } else {
          return;
        }
        Set(key, e.b, time, before, DiskLabel(v));
        return;
      }
      case EntityKind::kPeerLink: {
        const uint64_t key = MakeChannelKey(ChannelKind::kPeerConnected, e.a, e.b, e.c);
        auto connected = [](int64_t v) {
          return v == kAbsent ? kGone : (v == static_cast<int64_t>(sim::ConnState::kConnected));
        };
        if (t.attr == Attribute::kConnState && t.old_value == kAbsent) {
          Create(key, e.b, time, connected(t.new_value));
        } else if (t.attr == Attribute::kConnState) {
          Set(key, e.b, time, connected(t.old_value), connected(t.new_value));
        } else if (t.attr == Attribute::kExists && t.new_value != 1) {
          Set(key, e.b, time, kGone, kGone);
        }
        return;
      }
      case EntityKind::kPeerVolume: {
        if (t.attr != Attribute::kReplState) return;
        const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, e.a, e.b, e.d);
        bool inserted = false;
        VolumeState& v = volumes.FindOrInsert(key, VolumeState{}, &inserted);
        const int64_t before = DiskLabel(v);
        v.sync_target_peers +=
            (IsSyncTarget(t.new_value) ? 1 : 0) - (IsSyncTarget(t.old_value) ? 1 : 0);
        const int64_t after = DiskLabel(v);
        if (after != before) Set(key, e.b, time, before, after);
        return;
      }
    }
  }

  int64_t Low(const PoolState& p) const {
    if (p.total <= 0) return 0;
    return static_cast<double>(p.free) * 100.0 <
                   options.pool_low_threshold_percent * static_cast<double>(p.total)
               ? 1
               : 0;
  }

  const Channel* NodeChannel(uint32_t node) const {
    const uint32_t* index = channel_index.Find(MakeChannelKey(ChannelKind::kNodeOnline, node));
    return index ? &channels[*index] : nullptr;
  }

  // Time within [start, end) during which `ch` was observable, and the first observable instant
  // (kNoTime when never).
  int64_t Observable(const Channel& ch, int64_t start, int64_t end, int64_t* first) const {
    if (ch.node == kNoIndex) {
      *first = start;
      return end - start;
    }
    const Channel* node = NodeChannel(ch.node);
    if (node == nullptr) {  // never saw the node's connection: assume always online
      *first = start;
      return end - start;
    }
    const auto& segs = node->segments;
    // Last node segment starting at or before `start`.
    auto it = std::upper_bound(segs.begin(), segs.end(), start,
                               [](int64_t t, const Segment& s) { return t < s.start; });
    size_t i = static_cast<size_t>(it - segs.begin()) - 1;
    int64_t total = 0;
    *first = kNoTime;
    for (; i < segs.size(); ++i) {
      const int64_t s = std::max(segs[i].start, start);
      const int64_t e = std::min(i + 1 < segs.size() ? segs[i + 1].start : INT64_MAX, end);
      if (s >= e) {
        if (segs[i].start >= end) break;
        continue;
      }
      if (segs[i].value == 1) {
        if (*first == kNoTime) *first = s;
        total += e - s;
      }
    }
    return total;
  }

  // Latest segment of `ch` with `value` starting at or before `t`; -1 when none. Segment 0 is
  // the state before the first transition (the initial state, or kGone before creation).
  int64_t Match(const Channel& ch, int64_t value, int64_t t) const {
    const auto& segs = ch.segments;
    auto it = std::upper_bound(segs.begin(), segs.end(), t,
                               [](int64_t time, const Segment& s) { return time < s.start; });
    int64_t i = static_cast<int64_t>(it - segs.begin()) - 1;
    for (int steps = 0; i >= 0 && steps < 4096; --i, ++steps) {
      if (segs[static_cast<size_t>(i)].value == value) return i;
    }
    return -1;
  }

  void Seed(const sim::Cluster& c) {
    for (uint32_t n = 0; n < c.nodes.size(); ++n) {
      const sim::Node& node = c.nodes[n];
      if (!node.alive) continue;
      ChannelFor(MakeChannelKey(ChannelKind::kNodeOnline, n), kNoIndex,
                 node.connection == sim::NodeConnection::kOnline ? 1 : 0);
      ChannelFor(MakeChannelKey(ChannelKind::kNodeEvicted, n), kNoIndex,
                 (node.flags & sim::kNodeEvicted) != 0 ? 1 : 0);
    }
    for (uint32_t p = 0; p < c.pools.size(); ++p) {
      const sim::StoragePool& pool = c.pools[p];
      if (pool.diskless()) continue;
      bool inserted = false;
      PoolState& state = pools.FindOrInsert(p, PoolState{}, &inserted);
      state.free = static_cast<int64_t>(pool.FreeKib());
      state.total = static_cast<int64_t>(pool.total_kib);
      ChannelFor(MakeChannelKey(ChannelKind::kPoolLow, p), pool.node, Low(state));
    }
    for (uint32_t r = 0; r < c.rds.size(); ++r) {
      const sim::ResourceDefinition& rd = c.rds[r];
      if (!rd.alive) continue;
      ChannelFor(MakeChannelKey(ChannelKind::kRdExists, r), kNoIndex, 1);
      for (const auto& vd : rd.volumes) {
        ChannelFor(MakeChannelKey(ChannelKind::kVdSize, r, 0, vd.number), kNoIndex,
                   static_cast<int64_t>(vd.size_kib));
      }
    }
    for (const sim::Replica& rep : c.replicas) {
      if (!rep.alive || rep.rd >= c.rds.size()) continue;
      const sim::ResourceDefinition& rd = c.rds[rep.rd];
      ChannelFor(MakeChannelKey(ChannelKind::kReplicaExists, rep.rd, rep.node), kNoIndex, 1);
      ChannelFor(MakeChannelKey(ChannelKind::kReplicaInUse, rep.rd, rep.node), rep.node,
                 rep.in_use ? 1 : 0);
      ChannelFor(MakeChannelKey(ChannelKind::kQuorum, rep.rd, rep.node), rep.node,
                 rep.quorum ? 1 : 0);
      for (size_t vi = 0; vi < rep.volumes.size() && vi < rd.volumes.size(); ++vi) {
        const sim::VolumeReplica& v = rep.volumes[vi];
        const uint64_t key =
            MakeChannelKey(ChannelKind::kDiskLabel, rep.rd, rep.node, rd.volumes[vi].number);
        bool inserted = false;
        VolumeState& state = volumes.FindOrInsert(key, VolumeState{}, &inserted);
        state.disk = static_cast<int64_t>(v.disk);
        state.done = v.done_percentage < 0
                         ? kAbsent
                         : static_cast<int64_t>(v.done_percentage * 100.0f + 0.5f);
        state.sync_target_peers = 0;
        for (sim::ReplState repl : v.repl) {
          state.sync_target_peers += IsSyncTarget(static_cast<int64_t>(repl)) ? 1 : 0;
        }
        RecordProgress(key, INT64_MIN, state.done);
        ChannelFor(key, rep.node, DiskLabel(state));
      }
      for (const sim::PeerLink& link : rep.peers) {
        ChannelFor(MakeChannelKey(ChannelKind::kPeerConnected, rep.rd, rep.node, link.peer),
                   rep.node, link.conn == sim::ConnState::kConnected ? 1 : 0);
      }
    }
  }
};

Verifier::Verifier(VerifierOptions options, uint32_t consumer_count)
    : s_(std::make_unique<State>()) {
  LNSIM_CHECK(options.observation_bound_ns > 0) << "the observation bound must be set";
  s_->options = std::move(options);
  s_->consumers.resize(consumer_count);
  for (ConsumerState& c : s_->consumers) {
    c.ids.Reserve(s_->options.expected_events);
    c.matched.Reserve(s_->options.expected_events);
  }
  s_->channel_index.Reserve(s_->options.expected_channels);
  s_->channels.reserve(s_->options.expected_channels);
  s_->faults.resize(s_->options.faults.size());
}

Verifier::~Verifier() = default;

void Verifier::AddInitialState(const sim::Cluster& cluster) { s_->Seed(cluster); }

void Verifier::AddTransitions(const sim::Cluster& cluster, const sim::Transition* begin,
                              const sim::Transition* end) {
  for (const sim::Transition* t = begin; t != end; ++t) s_->Apply(cluster, *t);
}

int64_t Verifier::WorldValue(uint64_t channel) const { return s_->Current(channel); }
size_t Verifier::channel_count() const { return s_->channels.size(); }

void Verifier::Observe(const Observation& o, const Assertion* extras) {
  LNSIM_CHECK(o.consumer < s_->consumers.size()) << "unknown consumer " << o.consumer;
  State& s = *s_;
  ConsumerState& c = s.consumers[o.consumer];
  c.counters.delivered++;
  bool first = false;
  uint8_t& flags = c.ids.FindOrInsert(o.id_hash, 0, &first);
  if (!first || o.num_delivered > 1) c.counters.redelivered++;
  if (!first) {
    if (o.processed) {
      if (flags & 2) c.counters.duplicated++;
      flags |= 2;
    }
    return;
  }
  flags = static_cast<uint8_t>(1 | (o.processed ? 2 : 0));

  bool inserted = false;
  uint64_t& last = c.last_seq.FindOrInsert(o.partition_hash, 0, &inserted);
  if (o.sequence < last) {
    c.counters.reordered++;
  } else {
    last = o.sequence;
  }

  const int64_t bound = s.options.observation_bound_ns;
  const int64_t when = o.observed_ns != kNoTime ? o.observed_ns : o.delivered_ns;
  bool phantom = false;
  auto judge = [&](const Assertion& a, bool primary) {
    const ChannelKind kind = ChannelKindOf(a.channel);
    if (a.channel != 0 && !s.options.judged[static_cast<size_t>(kind)]) {
      if (primary) c.counters.unjudged++;
      return;
    }
    auto note = [&](const char* why) {
      phantom = true;
      if (c.phantoms.size() < s.options.max_lost_samples) {
        c.phantoms.push_back({a.channel, a.value, when, why});
      }
    };
    const uint32_t* index = a.channel ? s.channel_index.Find(a.channel) : nullptr;
    if (index == nullptr) {
      note("no such entity or attribute in the world");
      return;
    }
    const Channel& ch = s.channels[*index];
    const int64_t seg = s.Match(ch, a.value, when + s.options.match_slack_ns);
    if (seg < 0) {
      note("the world never had this value before the observation");
      return;
    }
    const size_t k = static_cast<size_t>(seg);
    // A value superseded longer than the bound before the bridge says it observed it cannot
    // explain the event.
    if (o.observed_ns != kNoTime && k + 1 < ch.segments.size() &&
        ch.segments[k + 1].start + bound + s.options.match_slack_ns < o.observed_ns) {
      note("the value had been superseded for longer than the bound");
      return;
    }
    c.matched.Insert(PackMatch(*index, static_cast<uint32_t>(k)));
    if (!primary) return;
    c.counters.matched++;
    int64_t effective = ch.segments[k].start;
    if (o.progress != kNoTime && kind == ChannelKind::kDiskLabel) {
      const int64_t set = s.ProgressSince(a.channel, o.progress, effective,
                                          when + s.options.match_slack_ns);
      if (set != kNoTime) effective = set;
    }
    if (ch.node != kNoIndex) {
      const int64_t end = k + 1 < ch.segments.size() ? ch.segments[k + 1].start : INT64_MAX;
      int64_t first_observable = kNoTime;
      s.Observable(ch, effective, std::min(end, o.delivered_ns), &first_observable);
      if (first_observable != kNoTime) effective = first_observable;
    }
    effective = std::max(effective, s.options.baseline_ns);
    const bool late = o.delivered_ns - effective > bound;
    if (late) c.counters.late++;
    if (o.observed_ns != kNoTime) {
      s.latency[static_cast<int>(Stage::kObserve)].RecordSigned(o.observed_ns - effective);
    }
    if (o.acked_ns != kNoTime && o.observed_ns != kNoTime) {
      s.latency[static_cast<int>(Stage::kPublish)].RecordSigned(o.acked_ns - o.observed_ns);
    }
    if (o.acked_ns != kNoTime) {
      s.latency[static_cast<int>(Stage::kDeliver)].RecordSigned(o.delivered_ns - o.acked_ns);
    }
    s.latency[static_cast<int>(Stage::kEndToEnd)].RecordSigned(o.delivered_ns - effective);
    for (size_t f = 0; f < s.faults.size(); ++f) {
      const FaultWindowSpec& spec = s.options.faults[f];
      FaultTracking& track = s.faults[f];
      if (effective >= spec.start_ns && effective < spec.end_ns) {
        track.events++;
        if (track.first_delivery == kNoTime || o.delivered_ns < track.first_delivery) {
          track.first_delivery = o.delivered_ns;
        }
        track.last_delivery = std::max(track.last_delivery, o.delivered_ns);
      } else if (effective >= spec.end_ns && !late &&
                 (track.recover_delivery == kNoTime || o.delivered_ns < track.recover_delivery)) {
        track.recover_delivery = o.delivered_ns;
      }
    }
  };
  judge(o.primary, true);
  for (uint32_t i = 0; i < o.extra_count; ++i) judge(extras[i], false);
  if (phantom) c.counters.phantom++;
}

VerifierResult Verifier::Finish(int64_t end_ns, const sim::Cluster* cluster) {
  State& s = *s_;
  const int64_t bound = s.options.observation_bound_ns;
  const size_t n_consumers = s.consumers.size();
  VerifierResult result;
  result.per_consumer.resize(n_consumers);
  result.converged.assign(n_consumers, true);
  result.lost_samples.resize(n_consumers);
  for (size_t ci = 0; ci < n_consumers; ++ci) result.per_consumer[ci] = s.consumers[ci].counters;

  // Per segment: 1 = required (owed to consumers), 2 = implicit (carried by a creation or
  // deletion, or settled before the new entity was first seen), 0 = neither (coalescible).
  constexpr uint8_t kRequired = 1, kImplicit = 2;
  const int64_t window_from = s.options.baseline_window_start_ns == INT64_MIN
                                  ? s.options.baseline_ns
                                  : s.options.baseline_window_start_ns;
  std::vector<uint8_t> status;
  for (uint32_t chi = 0; chi < s.channels.size(); ++chi) {
    const Channel& ch = s.channels[chi];
    const ChannelKind kind = ChannelKindOf(ch.key);
    if (!s.options.judged[static_cast<size_t>(kind)]) continue;
    const auto& segs = ch.segments;
    // Segments up to the baseline are the initial state consumers start from.
    size_t base = 0;
    while (base + 1 < segs.size() && segs[base + 1].start <= s.options.baseline_ns) ++base;
    status.assign(segs.size(), 0);
    bool any_change = false;
    int64_t last_owed = segs[base].value;  // what a perfect bridge last told consumers
    bool created = false;
    int64_t created_seen = 0;  // first instant the (re)created entity was observable
    // An entity (re)created inside the baseline window may postdate the bridge's first snapshot:
    // then the bridge first sees it at a later poll, exactly like an entity created after the
    // baseline, and what it settles to within a bound of becoming visible needs no event.
    // Created at or before the window's start, the snapshot holds it for sure.
    if (segs[base].value != kGone) {
      for (size_t j = base; j > 0 && segs[j].start > window_from; --j) {
        if (segs[j - 1].value != kGone) continue;
        int64_t first = kNoTime;
        s.Observable(ch, segs[j].start, std::max(end_ns, segs[j].start + 1), &first);
        created = true;
        created_seen = first != kNoTime ? first : segs[j].start;
        break;
      }
    }
    for (size_t k = base + 1; k < segs.size(); ++k) {
      if (segs[k].start > end_ns) break;
      const bool last = k + 1 == segs.size() || segs[k + 1].start > end_ns;
      if (segs[k - 1].value == kGone || segs[k].value == kGone) {
        // Creation or removal: the created/deleted event carries it (or nothing does).
        status[k] = kImplicit;
        created = segs[k - 1].value == kGone;
        if (created) {
          int64_t first = kNoTime;
          s.Observable(ch, segs[k].start, std::max(end_ns, segs[k].start + 1), &first);
          created_seen = first != kNoTime ? first : segs[k].start;
        }
        last_owed = segs[k].value;
        continue;
      }
      if (!Reportable(kind, segs[k - 1].value, segs[k].value)) continue;
      any_change = true;
      if (created && segs[k].start < created_seen + bound) {
        // Settled within one observation bound of the new entity becoming visible: the bridge's
        // first snapshot of it may already hold this value, without an event.
        status[k] = kImplicit;
        last_owed = segs[k].value;
        continue;
      }
      const int64_t seg_end = last ? end_ns : segs[k + 1].start;
      int64_t first_observable = kNoTime;
      const int64_t observable = s.Observable(ch, segs[k].start, seg_end, &first_observable);
      bool req = observable >= bound;
      if (last && first_observable != kNoTime) {
        // The final state must converge if it is observable at the end.
        int64_t at_end = kNoTime;
        req = req || s.Observable(ch, end_ns - 1, end_ns, &at_end) > 0;
      }
      if (req) {
        status[k] = kRequired;
        // A required value equal to the last one owed is already known: no event is due.
        if (segs[k].value != last_owed) result.expected++;
        last_owed = segs[k].value;
      }
    }
    if (!any_change) continue;
    for (size_t ci = 0; ci < n_consumers; ++ci) {
      ConsumerState& c = s.consumers[ci];
      VerdictCounters& counters = result.per_consumer[ci];
      size_t belief = base;
      // Until the consumer's first matched event, its picture is the bridge's first snapshot,
      // read at an unknown instant of the baseline window: any value held there may be it.
      bool initial = true;
      auto held_in_window = [&](int64_t value) {
        for (size_t j = base + 1; j-- > 0;) {
          if (segs[j].value == value) return true;
          if (segs[j].start <= window_from) break;
        }
        return false;
      };
      for (size_t k = base + 1; k < segs.size(); ++k) {
        if (segs[k].start > end_ns) break;
        if (c.matched.Contains(PackMatch(chi, static_cast<uint32_t>(k))) ||
            status[k] == kImplicit) {
          belief = k;
          initial = false;
          continue;
        }
        if (!Reportable(kind, segs[k - 1].value, segs[k].value)) continue;
        if (status[k] == kRequired) {
          if (segs[belief].value == segs[k].value || (initial && held_in_window(segs[k].value))) {
            initial = false;
            belief = k;  // the consumer already believed this value
            continue;
          }
          counters.lost++;
          const bool last = k + 1 == segs.size() || segs[k + 1].start > end_ns;
          if (last) result.converged[ci] = false;
          if (result.lost_samples[ci].size() < s.options.max_lost_samples) {
            std::string what =
                cluster ? DescribeChannel(*cluster, ch.key) : std::string(ChannelKindName(kind));
            result.lost_samples[ci].push_back(what + " = " + std::to_string(segs[k].value) +
                                              " at " + std::to_string(segs[k].start / 1000000) +
                                              "ms" + (last ? " (final state)" : ""));
          }
        } else {
          counters.coalesced++;
        }
      }
    }
  }
  result.phantom_samples.resize(n_consumers);
  for (size_t ci = 0; ci < n_consumers; ++ci) {
    result.totals += result.per_consumer[ci];
    for (const PhantomSample& p : s.consumers[ci].phantoms) {
      std::string what = p.channel == 0 ? std::string("unknown entity")
                         : cluster      ? DescribeChannel(*cluster, p.channel)
                                        : std::string(ChannelKindName(ChannelKindOf(p.channel)));
      result.phantom_samples[ci].push_back(what + " = " + std::to_string(p.value) +
                                           " observed at " + std::to_string(p.when / 1000000) +
                                           "ms: " + p.why);
    }
  }
  result.latency = s.latency;
  for (size_t f = 0; f < s.faults.size(); ++f) {
    const FaultWindowSpec& spec = s.options.faults[f];
    const FaultTracking& track = s.faults[f];
    FaultWindow w;
    w.kind = spec.kind;
    w.target = spec.target;
    w.start_ms = static_cast<double>(spec.start_ns) / 1e6;
    w.end_ms = static_cast<double>(spec.end_ns) / 1e6;
    w.events_in_window = track.events;
    if (track.first_delivery != kNoTime) {
      w.detect_ms = static_cast<double>(track.first_delivery - spec.start_ns) / 1e6;
    }
    if (track.recover_delivery != kNoTime) {
      w.recover_ms = static_cast<double>(track.recover_delivery - spec.end_ns) / 1e6;
    }
    if (track.last_delivery != kNoTime) {
      w.drain_ms = std::max(0.0, static_cast<double>(track.last_delivery - spec.end_ns) / 1e6);
    }
    result.faults.push_back(std::move(w));
  }
  return result;
}

}  // namespace lnsim::harness
