// VerifierState: the world's initial state and transitions folded into channel timelines, one
// Apply step per entity kind (see verifier_state.h).
#include "harness/internal/verifier_state.h"

#include <algorithm>

namespace lnsim::harness::internal {
namespace {

using sim::Attribute;
using sim::EntityKind;
using sim::kAbsent;
using sim::kNoIndex;

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

int64_t ExistsValue(int64_t v) { return v == kAbsent ? 0 : v; }
int64_t OrGone(int64_t v) { return v == kAbsent ? kGone : v; }

// The first segment at or after `t` in a timeline sorted by start.
std::vector<Segment>::const_iterator UpperBound(const std::vector<Segment>& segments, int64_t t) {
  return std::upper_bound(segments.begin(), segments.end(), t,
                          [](int64_t time, const Segment& s) { return time < s.start; });
}

}  // namespace

uint32_t VerifierState::ChannelFor(uint64_t key, uint32_t node, int64_t initial) {
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

void VerifierState::Set(uint64_t key, uint32_t node, int64_t time, int64_t initial, int64_t value) {
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

void VerifierState::Create(uint64_t key, uint32_t node, int64_t time, int64_t value) {
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

void VerifierState::RecordProgress(uint64_t key, int64_t time, int64_t done) {
  if (done == kAbsent) return;
  bool inserted = false;
  uint32_t& index = progress_index.FindOrInsert(key, 0, &inserted);
  if (inserted) {
    index = static_cast<uint32_t>(progress.size());
    progress.emplace_back();
  }
  progress[index].push_back({time, done});
}

int64_t VerifierState::ProgressSince(uint64_t key, int64_t done, int64_t from, int64_t t) const {
  const uint32_t* index = progress_index.Find(key);
  if (index == nullptr) return kNoTime;
  const auto& segments = progress[*index];
  auto it = UpperBound(segments, t);
  for (int steps = 0; it != segments.begin() && steps < 4096; ++steps) {
    --it;
    if (it->start < from) break;
    if (it->value >= done - 1 && it->value <= done + 1) return it->start;
  }
  return kNoTime;
}

int64_t VerifierState::Current(uint64_t key) const {
  const uint32_t* index = channel_index.Find(key);
  return index ? channels[*index].segments.back().value : kGone;
}

// ------------------------------------------------------------------------------------ Apply

void VerifierState::Apply(const sim::Cluster& cluster, const sim::Transition& t) {
  ApplyRaw(cluster, t);
  ApplyQuorum(t);
}

void VerifierState::ApplyQuorum(const sim::Transition& t) {
  quorum_updates.clear();
  quorum.Apply(t, &quorum_updates);
  for (const QuorumUpdate& u : quorum_updates) {
    Set(MakeChannelKey(ChannelKind::kQuorum, u.rd, u.node), u.node, t.time_ns, kGone, u.value);
  }
}

void VerifierState::ApplyRaw(const sim::Cluster& cluster, const sim::Transition& t) {
  const auto& e = t.entity;
  switch (e.kind) {
    case EntityKind::kNode:
      return ApplyNode(t);
    case EntityKind::kPool:
      return ApplyPool(cluster, t);
    case EntityKind::kResourceDefinition:
      if (t.attr == Attribute::kExists) {
        Set(MakeChannelKey(ChannelKind::kRdExists, e.a), kNoIndex, t.time_ns,
            ExistsValue(t.old_value), ExistsValue(t.new_value));
      }
      return;
    case EntityKind::kVolumeDefinition:
      return ApplyVolumeDefinition(t);
    case EntityKind::kReplica:
      return ApplyReplica(t);
    case EntityKind::kVolumeReplica:
      return ApplyVolumeReplica(t);
    case EntityKind::kPeerLink:
      return ApplyPeerLink(t);
    case EntityKind::kPeerVolume:
      return ApplyPeerVolume(t);
  }
}

void VerifierState::ApplyNode(const sim::Transition& t) {
  const auto& e = t.entity;
  if (t.attr == Attribute::kConnection) {
    auto online = [](int64_t v) {
      return v == kAbsent ? 0 : (v == static_cast<int64_t>(sim::NodeConnection::kOnline));
    };
    Set(MakeChannelKey(ChannelKind::kNodeOnline, e.a), kNoIndex, t.time_ns, online(t.old_value),
        online(t.new_value));
  } else if (t.attr == Attribute::kNodeFlags) {
    auto evicted = [](int64_t v) {
      return v == kAbsent ? 0 : ((v & sim::kNodeEvicted) != 0 ? 1 : 0);
    };
    Set(MakeChannelKey(ChannelKind::kNodeEvicted, e.a), kNoIndex, t.time_ns, evicted(t.old_value),
        evicted(t.new_value));
  }
  // A node whose connection never changed has no channel and counts as ONLINE throughout.
}

void VerifierState::ApplyPool(const sim::Cluster& cluster, const sim::Transition& t) {
  const auto& e = t.entity;
  if (t.attr != Attribute::kFreeKib && t.attr != Attribute::kTotalKib) return;
  bool inserted = false;
  PoolState& p = pools.FindOrInsert(e.a, PoolState{}, &inserted);
  const int64_t before = Low(p);
  const int64_t v = t.new_value == kAbsent ? 0 : t.new_value;
  if (t.attr == Attribute::kFreeKib) p.free = v;
  if (t.attr == Attribute::kTotalKib) p.total = v;
  const uint32_t node = e.a < cluster.pools.size() ? cluster.pools[e.a].node : kNoIndex;
  Set(MakeChannelKey(ChannelKind::kPoolLow, e.a), node, t.time_ns, before, Low(p));
}

void VerifierState::ApplyVolumeDefinition(const sim::Transition& t) {
  const auto& e = t.entity;
  const uint64_t key = MakeChannelKey(ChannelKind::kVdSize, e.a, 0, e.b);
  if (t.attr == Attribute::kSizeKib) {
    Set(key, kNoIndex, t.time_ns, OrGone(t.old_value), OrGone(t.new_value));
  } else if (t.attr == Attribute::kExists && t.new_value != 1) {
    Set(key, kNoIndex, t.time_ns, kGone, kGone);
  }
}

void VerifierState::ApplyReplica(const sim::Transition& t) {
  const auto& e = t.entity;
  const int64_t time = t.time_ns;
  const uint32_t node = e.b;
  if (t.attr == Attribute::kExists) {
    Set(MakeChannelKey(ChannelKind::kReplicaExists, e.a, e.b), kNoIndex, time,
        ExistsValue(t.old_value), ExistsValue(t.new_value));
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
  }
  // Attribute::kQuorum (the world's own DRBD model) is not the documented rule: QuorumTruth
  // derives the kQuorum channels instead (ApplyQuorum).
}

void VerifierState::ApplyVolumeReplica(const sim::Transition& t) {
  const auto& e = t.entity;
  const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, e.a, e.b, e.c);
  bool inserted = false;
  VolumeState& v = volumes.FindOrInsert(key, VolumeState{}, &inserted);
  const int64_t before = DiskLabel(v);
  if (t.attr == Attribute::kDiskState && t.old_value == kAbsent) {
    v = VolumeState{};
    v.disk = t.new_value;
    Create(key, e.b, t.time_ns, DiskLabel(v));
    return;
  } else if (t.attr == Attribute::kDiskState) {
    v.disk = t.new_value;
  } else if (t.attr == Attribute::kDonePercentage) {
    v.done = t.new_value;
    RecordProgress(key, t.time_ns, t.new_value);
  } else if (t.attr == Attribute::kExists && t.new_value != 1) {
    v = VolumeState{};
  } else {
    return;
  }
  Set(key, e.b, t.time_ns, before, DiskLabel(v));
}

void VerifierState::ApplyPeerLink(const sim::Transition& t) {
  const auto& e = t.entity;
  const uint64_t key = MakeChannelKey(ChannelKind::kPeerConnected, e.a, e.b, e.c);
  auto connected = [](int64_t v) {
    return v == kAbsent ? kGone : (v == static_cast<int64_t>(sim::ConnState::kConnected));
  };
  if (t.attr == Attribute::kConnState && t.old_value == kAbsent) {
    Create(key, e.b, t.time_ns, connected(t.new_value));
  } else if (t.attr == Attribute::kConnState) {
    Set(key, e.b, t.time_ns, connected(t.old_value), connected(t.new_value));
  } else if (t.attr == Attribute::kExists && t.new_value != 1) {
    Set(key, e.b, t.time_ns, kGone, kGone);
  }
}

void VerifierState::ApplyPeerVolume(const sim::Transition& t) {
  const auto& e = t.entity;
  if (t.attr != Attribute::kReplState) return;
  const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, e.a, e.b, e.d);
  bool inserted = false;
  VolumeState& v = volumes.FindOrInsert(key, VolumeState{}, &inserted);
  const int64_t before = DiskLabel(v);
  v.sync_target_peers += (IsSyncTarget(t.new_value) ? 1 : 0) - (IsSyncTarget(t.old_value) ? 1 : 0);
  const int64_t after = DiskLabel(v);
  if (after != before) Set(key, e.b, t.time_ns, before, after);
}

// ------------------------------------------------------------------------------- questions

int64_t VerifierState::Low(const PoolState& p) const {
  if (p.total <= 0) return 0;
  return static_cast<double>(p.free) * 100.0 <
                 options.pool_low_threshold_percent * static_cast<double>(p.total)
             ? 1
             : 0;
}

const Channel* VerifierState::NodeChannel(uint32_t node) const {
  const uint32_t* index = channel_index.Find(MakeChannelKey(ChannelKind::kNodeOnline, node));
  return index ? &channels[*index] : nullptr;
}

int64_t VerifierState::Observable(const Channel& ch, int64_t start, int64_t end,
                                  int64_t* first) const {
  if (ch.node == kNoIndex) {
    *first = start;
    return end - start;
  }
  const Channel* node = NodeChannel(ch.node);
  if (node == nullptr) {  // never saw the node's connection: assume always online
    *first = start;
    return end - start;
  }
  const auto& segments = node->segments;
  // Last node segment starting at or before `start`.
  size_t i = static_cast<size_t>(UpperBound(segments, start) - segments.begin()) - 1;
  int64_t total = 0;
  *first = kNoTime;
  for (; i < segments.size(); ++i) {
    const int64_t s = std::max(segments[i].start, start);
    const int64_t e = std::min(i + 1 < segments.size() ? segments[i + 1].start : INT64_MAX, end);
    if (s >= e) {
      if (segments[i].start >= end) break;
      continue;
    }
    if (segments[i].value == 1) {
      if (*first == kNoTime) *first = s;
      total += e - s;
    }
  }
  return total;
}

int64_t VerifierState::Match(const Channel& ch, int64_t value, int64_t t) const {
  const auto& segments = ch.segments;
  int64_t i = static_cast<int64_t>(UpperBound(segments, t) - segments.begin()) - 1;
  for (int steps = 0; i >= 0 && steps < 4096; --i, ++steps) {
    if (segments[static_cast<size_t>(i)].value == value) return i;
  }
  return -1;
}

// ------------------------------------------------------------------------------------- Seed

void VerifierState::Seed(const sim::Cluster& c) {
  quorum.Seed(c);
  SeedNodesAndPools(c);
  SeedResourceDefinitions(c);
  for (const sim::Replica& rep : c.replicas) {
    if (!rep.alive || rep.rd >= c.rds.size()) continue;
    SeedReplica(c, rep);
  }
}

void VerifierState::SeedNodesAndPools(const sim::Cluster& c) {
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
}

void VerifierState::SeedResourceDefinitions(const sim::Cluster& c) {
  for (uint32_t r = 0; r < c.rds.size(); ++r) {
    const sim::ResourceDefinition& rd = c.rds[r];
    if (!rd.alive) continue;
    ChannelFor(MakeChannelKey(ChannelKind::kRdExists, r), kNoIndex, 1);
    for (const auto& vd : rd.volumes) {
      ChannelFor(MakeChannelKey(ChannelKind::kVdSize, r, 0, vd.number), kNoIndex,
                 static_cast<int64_t>(vd.size_kib));
    }
  }
}

void VerifierState::SeedReplica(const sim::Cluster& c, const sim::Replica& rep) {
  const sim::ResourceDefinition& rd = c.rds[rep.rd];
  ChannelFor(MakeChannelKey(ChannelKind::kReplicaExists, rep.rd, rep.node), kNoIndex, 1);
  ChannelFor(MakeChannelKey(ChannelKind::kReplicaInUse, rep.rd, rep.node), rep.node,
             rep.in_use ? 1 : 0);
  ChannelFor(MakeChannelKey(ChannelKind::kQuorum, rep.rd, rep.node), rep.node,
             quorum.Value(rep.rd, rep.node));
  for (size_t vi = 0; vi < rep.volumes.size() && vi < rd.volumes.size(); ++vi) {
    const sim::VolumeReplica& v = rep.volumes[vi];
    const uint64_t key =
        MakeChannelKey(ChannelKind::kDiskLabel, rep.rd, rep.node, rd.volumes[vi].number);
    bool inserted = false;
    VolumeState& state = volumes.FindOrInsert(key, VolumeState{}, &inserted);
    state.disk = static_cast<int64_t>(v.disk);
    state.done =
        v.done_percentage < 0 ? kAbsent : static_cast<int64_t>(v.done_percentage * 100.0f + 0.5f);
    state.sync_target_peers = 0;
    for (sim::ReplState repl : v.repl) {
      state.sync_target_peers += IsSyncTarget(static_cast<int64_t>(repl)) ? 1 : 0;
    }
    RecordProgress(key, INT64_MIN, state.done);
    ChannelFor(key, rep.node, DiskLabel(state));
  }
  for (const sim::PeerLink& link : rep.peers) {
    ChannelFor(MakeChannelKey(ChannelKind::kPeerConnected, rep.rd, rep.node, link.peer), rep.node,
               link.conn == sim::ConnState::kConnected ? 1 : 0);
  }
}

}  // namespace lnsim::harness::internal
