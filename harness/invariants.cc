// Domain invariants over the world's trace and over delivered streams (see invariants.h).
#include "harness/invariants.h"

#include <algorithm>
#include <cstdio>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace lnsim::harness {
namespace {

using sim::Attribute;
using sim::EntityKind;
using sim::EntityRef;
using sim::kAbsent;
using sim::Transition;

constexpr size_t kHistory = 8;

uint64_t Key3(uint32_t a, uint32_t b, uint32_t c) {
  return (static_cast<uint64_t>(a) << 40) ^ (static_cast<uint64_t>(b) << 20) ^ c;
}

// The transitions of the trace before index `end` that touch `match`, the last kHistory.
template <typename Pred>
std::vector<std::string> TraceHistory(const sim::Cluster& cluster, const sim::TraceLog& log,
                                      size_t end, Pred match) {
  std::vector<std::string> out;
  const auto& all = log.transitions();
  for (size_t i = end; i-- > 0 && out.size() < kHistory;) {
    if (match(all[i])) out.push_back(sim::RenderTransition(cluster, log, all[i]));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

bool IsLiveAttribute(const Transition& t) {
  switch (t.entity.kind) {
    case EntityKind::kReplica:
      return t.attr == Attribute::kInUse || t.attr == Attribute::kQuorum;
    case EntityKind::kVolumeReplica:
      return t.attr == Attribute::kDiskState || t.attr == Attribute::kDonePercentage;
    case EntityKind::kPeerLink:
      return t.attr == Attribute::kConnState;
    case EntityKind::kPeerVolume:
      return t.attr == Attribute::kReplState;
    default:
      return false;
  }
}

std::string Fold(const std::string& s) { return sim::FoldName(s); }

std::string RenderEvent(const bridge::Event& e) {
  std::string s = std::string(bridge::EventLabel(e.body.type)) + " " + e.partition_key + "#" +
                  std::to_string(e.sequence);
  if (!e.body.node.empty()) s += " node=" + e.body.node;
  if (e.body.volume_number >= 0) s += " volume=" + std::to_string(e.body.volume_number);
  if (!e.body.old_state.empty() || !e.body.new_state.empty()) {
    s += " " + e.body.old_state + " -> " + e.body.new_state;
  }
  if (e.body.done_percentage) {
    char buf[32];
    std::snprintf(buf, sizeof buf, " (%.2f%%)", *e.body.done_percentage);
    s += buf;
  }
  if (e.body.type == bridge::EventType::kVolumeResized) {
    s += " " + std::to_string(e.body.old_size_kib) + " KiB -> " +
         std::to_string(e.body.new_size_kib) + " KiB";
  }
  s += " at " + bridge::FormatRfc3339Nanos(e.time_unix_ns);
  return s;
}

bool IsLiveStateEvent(const bridge::Event& e) {
  using bridge::EventType;
  switch (e.body.type) {
    case EventType::kVolumeAttached:
    case EventType::kVolumeDetached:
    case EventType::kReplicaDiskStateChanged:
    case EventType::kReplicaConnectionLost:
    case EventType::kReplicaConnectionRestored:
    case EventType::kReplicaQuorumLost:
    case EventType::kReplicaQuorumRegained:
      return true;
    case EventType::kReplicaCreated: {
      if (e.body.in_use != bridge::Tri::kUnknown) return true;
      for (const auto& v : e.body.volumes) {
        if (!v.disk_state.empty()) return true;
      }
      return false;
    }
    default:
      return false;
  }
}

}  // namespace

std::string InvariantViolation::ToString() const {
  std::string s = where + ": " + invariant + ": " + what + "\n    event: " + event;
  if (!history.empty()) {
    s += "\n    history:";
    for (const auto& h : history) s += "\n      " + h;
  }
  return s;
}

namespace {

// CheckWorldTrace's walk over the trace: the state each invariant needs, one step per kind.
class WorldTraceChecker {
 public:
  WorldTraceChecker(const sim::Cluster& cluster, const sim::TraceLog& log, size_t max_violations)
      : cluster_(cluster), log_(log), all_(log.transitions()), max_(max_violations) {}

  std::vector<InvariantViolation> Check() {
    for (size_t i = 0; i < all_.size() && out_.size() < max_; ++i) {
      const Transition& t = all_[i];
      switch (t.entity.kind) {
        case EntityKind::kNode:
          OnNode(t);
          break;
        case EntityKind::kResourceDefinition:
          if (t.attr == Attribute::kExists) rd_deleted_[t.entity.a] = t.new_value == 0;
          break;
        case EntityKind::kReplica:
          OnReplica(i, t);
          break;
        case EntityKind::kVolumeReplica:
          OnVolumeReplica(i, t);
          break;
        case EntityKind::kVolumeDefinition:
          OnVolumeDefinition(i, t);
          break;
        default:
          break;
      }
      CheckOfflineLiveState(i, t);
    }
    return std::move(out_);
  }

 private:
  template <typename Pred>
  void Add(size_t i, const char* invariant, std::string what, Pred match) {
    if (out_.size() >= max_) return;
    InvariantViolation v;
    v.invariant = invariant;
    v.where = "world";
    v.what = std::move(what);
    v.event = sim::RenderTransition(cluster_, log_, all_[i]);
    v.history = TraceHistory(cluster_, log_, i, match);
    out_.push_back(std::move(v));
  }

  void OnNode(const Transition& t) {
    if (t.attr != Attribute::kSatelliteUp) return;
    if (t.new_value == 0) {
      node_down_since_[t.entity.a] = t.time_ns;
    } else {
      node_down_since_.erase(t.entity.a);
    }
  }

  void OnReplica(size_t i, const Transition& t) {
    const EntityRef& e = t.entity;
    if (t.attr == Attribute::kExists) replica_deleted_[Key3(e.a, e.b, 0)] = t.new_value == 0;
    if (t.attr != Attribute::kInUse || t.new_value != 1) return;
    const bool rd_gone = rd_deleted_.count(e.a) && rd_deleted_[e.a];
    const uint64_t rk = Key3(e.a, e.b, 0);
    const bool replica_gone = replica_deleted_.count(rk) && replica_deleted_[rk];
    if (!rd_gone && !replica_gone) return;
    Add(i, "attach-after-delete",
        std::string("attached while its ") + (rd_gone ? "resource" : "replica") + " is deleted",
        [&](const Transition& h) {
          return (h.entity.kind == EntityKind::kResourceDefinition && h.entity.a == e.a) ||
                 (h.entity.kind == EntityKind::kReplica && h.entity.a == e.a && h.entity.b == e.b);
        });
  }

  void OnVolumeReplica(size_t i, const Transition& t) {
    const EntityRef& e = t.entity;
    const uint64_t k = Key3(e.a, e.b, e.c);
    if (t.attr == Attribute::kDiskState) {
      resync_.erase(k);
    } else if (t.attr == Attribute::kDonePercentage) {
      if (t.new_value == kAbsent) {
        resync_.erase(k);
        return;
      }
      auto it = resync_.find(k);
      if (it != resync_.end() && t.new_value < it->second) {
        Add(i, "resync-progress", "resync progress went down within one resync",
            [&](const Transition& h) {
              return h.entity.kind == EntityKind::kVolumeReplica && h.entity == e;
            });
      }
      resync_[k] = t.new_value;
    }
  }

  void OnVolumeDefinition(size_t i, const Transition& t) {
    const EntityRef& e = t.entity;
    if (t.attr != Attribute::kSizeKib || t.old_value == kAbsent || t.new_value == kAbsent ||
        t.old_value == t.new_value) {
      return;
    }
    const std::string& cause = t.cause < log_.causes().size() ? log_.causes()[t.cause] : "";
    auto same_vd = [&](const Transition& h) {
      return h.entity.kind == EntityKind::kVolumeDefinition && h.entity == e;
    };
    if (t.new_value < t.old_value) {
      Add(i, "size-by-resize", "volume size shrank", same_vd);
    } else if (cause.find("resize") == std::string::npos) {
      Add(i, "size-by-resize", "volume size changed without a resize (cause '" + cause + "')",
          same_vd);
    }
  }

  // Creations (old value absent) are configuration the controller records for the node (a
  // new peer's link), not state the dead host produced.
  void CheckOfflineLiveState(size_t i, const Transition& t) {
    if (!IsLiveAttribute(t) || t.old_value == kAbsent) return;
    const EntityRef& e = t.entity;
    auto it = node_down_since_.find(e.b);
    // The crash itself may tear state down at the instant the host dies.
    if (it == node_down_since_.end() || t.time_ns <= it->second) return;
    const uint32_t node = e.b;
    Add(i, "offline-live-state", "live state changed on a node whose satellite is down",
        [&](const Transition& h) {
          return (h.entity.kind == EntityKind::kNode && h.entity.a == node) ||
                 (h.entity == e && h.attr == t.attr);
        });
  }

  const sim::Cluster& cluster_;
  const sim::TraceLog& log_;
  const std::vector<Transition>& all_;
  const size_t max_;
  std::vector<InvariantViolation> out_;
  std::unordered_map<uint64_t, int64_t> resync_;  // volume replica -> done% within this resync
  std::unordered_map<uint32_t, bool> rd_deleted_;
  std::unordered_map<uint64_t, bool> replica_deleted_;
  std::unordered_map<uint32_t, int64_t> node_down_since_;  // satellite down, world ns
};

}  // namespace

std::vector<InvariantViolation> CheckWorldTrace(const sim::Cluster& cluster,
                                                const sim::TraceLog& log, size_t max_violations) {
  return WorldTraceChecker(cluster, log, max_violations).Check();
}

WorldFacts CollectWorldFacts(const sim::Cluster& initial, const sim::Cluster& cluster,
                             const sim::TraceLog& log, int64_t epoch_unix_ns) {
  WorldFacts f;
  f.epoch_unix_ns = epoch_unix_ns;
  for (const auto& rd : initial.rds) {
    for (const auto& vd : rd.volumes) {
      f.vd_sizes_kib[Fold(rd.name) + "/" + std::to_string(vd.number)].insert(
          static_cast<int64_t>(vd.size_kib));
    }
  }
  for (const Transition& t : log.transitions()) {
    const EntityRef& e = t.entity;
    if (e.kind == EntityKind::kVolumeDefinition && t.attr == Attribute::kSizeKib &&
        t.new_value != kAbsent && e.a < cluster.rds.size()) {
      f.vd_sizes_kib[Fold(cluster.rds[e.a].name) + "/" + std::to_string(e.b)].insert(t.new_value);
    }
    if (e.kind == EntityKind::kVolumeReplica &&
        (t.attr == Attribute::kDiskState ||
         (t.attr == Attribute::kDonePercentage &&
          (t.new_value == kAbsent || t.old_value == kAbsent || t.new_value < t.old_value))) &&
        e.a < cluster.rds.size() && e.b < cluster.nodes.size()) {
      f.resync_resets_ns[Fold(cluster.rds[e.a].name) + "/" + Fold(cluster.nodes[e.b].name) + "/" +
                         std::to_string(e.c)]
          .push_back(t.time_ns);
    }
  }
  return f;
}

namespace {

// CheckDeliveredStream's walk over one consumer's events in per-key sequence order.
class StreamChecker {
 public:
  StreamChecker(const std::vector<bridge::Event>& events, const WorldFacts& facts,
                const std::string& consumer, size_t max_violations)
      : events_(events), facts_(facts), where_("consumer " + consumer), max_(max_violations) {
    // Per-key order (sequence) for the per-resource invariants; node events by key too.
    order_.resize(events.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::stable_sort(order_.begin(), order_.end(), [&](size_t x, size_t y) {
      return std::tie(events[x].partition_key, events[x].sequence) <
             std::tie(events[y].partition_key, events[y].sequence);
    });
    for (size_t i : order_) {
      const bridge::Event& e = events[i];
      if (e.body.type == EventType::kNodeOnline || e.body.type == EventType::kNodeOffline) {
        node_timeline_[Fold(e.body.node)].push_back(
            {e.time_unix_ns, e.body.type == EventType::kNodeOnline});
        node_events_[Fold(e.body.node)].push_back(i);
      }
    }
  }

  std::vector<InvariantViolation> Check() {
    for (size_t i : order_) {
      if (out_.size() >= max_) break;
      const bridge::Event& e = events_[i];
      std::vector<size_t>& hist = key_history_[e.partition_key];
      OnEvent(i, hist);
      const std::string node = Fold(e.body.node);
      if (IsLiveStateEvent(e) && !node.empty() && OfflineAt(node, e.time_unix_ns)) {
        AddOfflineLiveState(i, node, hist);
      }
      hist.push_back(i);
    }
    return std::move(out_);
  }

 private:
  using EventType = bridge::EventType;

  void Add(size_t i, const char* invariant, std::string what, const std::vector<size_t>& hist) {
    if (out_.size() >= max_) return;
    InvariantViolation v;
    v.invariant = invariant;
    v.where = where_;
    v.what = std::move(what);
    v.event = RenderEvent(events_[i]);
    const size_t from = hist.size() > kHistory ? hist.size() - kHistory : 0;
    for (size_t h = from; h < hist.size(); ++h) {
      v.history.push_back(RenderEvent(events_[hist[h]]));
    }
    out_.push_back(std::move(v));
  }

  // Whether the latest node event observed at or before t says OFFLINE (events of one poll
  // share their time and node events of that poll count first).
  bool OfflineAt(const std::string& node, int64_t t) const {
    auto it = node_timeline_.find(node);
    if (it == node_timeline_.end()) return false;
    const std::pair<int64_t, bool>* last = nullptr;
    for (const auto& p : it->second) {
      if (p.first <= t) last = &p;
    }
    return last != nullptr && !last->second;
  }

  void OnEvent(size_t i, const std::vector<size_t>& hist) {
    const bridge::DomainEvent& b = events_[i].body;
    const std::string rd = Fold(b.resource);
    switch (b.type) {
      case EventType::kResourceCreated:
        return OnResourceCreated(i, rd, hist);
      case EventType::kResourceDeleted:
        resource_deleted_[rd] = true;
        return;
      case EventType::kVolumeAttached:
        if (resource_deleted_.count(rd) && resource_deleted_[rd]) {
          Add(i, "attach-after-delete", "attached after its resource was deleted", hist);
        }
        return;
      case EventType::kVolumeResized:
        return OnVolumeResized(i, rd, hist);
      case EventType::kReplicaDiskStateChanged:
        return OnDiskStateChanged(i, rd, hist);
      case EventType::kReplicaCreated:
      case EventType::kReplicaDeleted: {
        const std::string prefix = rd + "/" + Fold(b.node) + "/";
        for (auto it = resync_.begin(); it != resync_.end();) {
          it = it->first.rfind(prefix, 0) == 0 ? resync_.erase(it) : std::next(it);
        }
        return;
      }
      default:
        return;
    }
  }

  void OnResourceCreated(size_t i, const std::string& rd, const std::vector<size_t>& hist) {
    resource_deleted_[rd] = false;
    for (const auto& v : events_[i].body.volumes) {
      const std::string vk = rd + "/" + std::to_string(v.volume_number);
      last_size_.erase(vk);
      if (v.size_kib < 0) continue;
      auto it = facts_.vd_sizes_kib.find(vk);
      if (it != facts_.vd_sizes_kib.end() && !it->second.count(v.size_kib)) {
        Add(i, "size-by-resize",
            "volume " + std::to_string(v.volume_number) + " created with a size (" +
                std::to_string(v.size_kib) + " KiB) the world never had",
            hist);
      }
      last_size_[vk] = v.size_kib;
    }
  }

  void OnVolumeResized(size_t i, const std::string& rd, const std::vector<size_t>& hist) {
    const bridge::DomainEvent& b = events_[i].body;
    const std::string vk = rd + "/" + std::to_string(b.volume_number);
    auto last = last_size_.find(vk);
    if (b.new_size_kib < b.old_size_kib ||
        (last != last_size_.end() && b.new_size_kib < last->second)) {
      Add(i, "size-by-resize", "volume size shrank", hist);
    } else if (auto it = facts_.vd_sizes_kib.find(vk);
               it != facts_.vd_sizes_kib.end() && !it->second.count(b.new_size_kib)) {
      Add(i, "size-by-resize",
          "delivered size " + std::to_string(b.new_size_kib) + " KiB the world never had", hist);
    }
    last_size_[vk] = b.new_size_kib;
  }

  void OnDiskStateChanged(size_t i, const std::string& rd, const std::vector<size_t>& hist) {
    const bridge::Event& e = events_[i];
    const bridge::DomainEvent& b = e.body;
    const std::string vk = rd + "/" + Fold(b.node) + "/" + std::to_string(b.volume_number);
    if (b.new_state != "SyncTarget" || !b.done_percentage) {
      resync_.erase(vk);
      return;
    }
    auto it = resync_.find(vk);
    if (it != resync_.end() && *b.done_percentage < it->second.second &&
        !WorldResetResync(vk, it->second.first, e.time_unix_ns)) {
      Add(i, "resync-progress", "resync progress went down within one resync", hist);
    }
    resync_[vk] = {e.time_unix_ns, *b.done_percentage};
  }

  // Only within one resync: whether the world ended or restarted it in between.
  bool WorldResetResync(const std::string& vk, int64_t from_unix_ns, int64_t to_unix_ns) const {
    bool reset = false;
    auto r = facts_.resync_resets_ns.find(vk);
    if (r != facts_.resync_resets_ns.end()) {
      const int64_t from = from_unix_ns - facts_.epoch_unix_ns;
      const int64_t to = to_unix_ns - facts_.epoch_unix_ns;
      for (int64_t t : r->second) reset |= t >= from - 1'000'000'000 && t <= to;
    }
    return reset;
  }

  void AddOfflineLiveState(size_t i, const std::string& node, const std::vector<size_t>& hist) {
    std::vector<size_t> h = hist;
    const auto& ne = node_events_[node];
    h.insert(h.end(), ne.begin(), ne.end());
    std::sort(h.begin(), h.end(), [&](size_t x, size_t y) {
      return events_[x].time_unix_ns < events_[y].time_unix_ns;
    });
    Add(i, "offline-live-state",
        "live state reported for a replica on node " + events_[i].body.node +
            " while the node is OFFLINE",
        h);
  }

  const std::vector<bridge::Event>& events_;
  const WorldFacts& facts_;
  const std::string where_;
  const size_t max_;
  std::vector<InvariantViolation> out_;
  std::vector<size_t> order_;
  // Node timelines: (observed time, online?) in sequence order, per folded node.
  std::map<std::string, std::vector<std::pair<int64_t, bool>>> node_timeline_;
  std::map<std::string, std::vector<size_t>> node_events_;
  std::map<std::string, std::vector<size_t>> key_history_;    // partition key -> event indices
  std::map<std::string, bool> resource_deleted_;              // folded resource
  std::map<std::string, std::pair<int64_t, double>> resync_;  // rd/node/vol -> (time, done%)
  std::map<std::string, int64_t> last_size_;                  // rd/vol -> size
};

}  // namespace

std::vector<InvariantViolation> CheckDeliveredStream(const std::vector<bridge::Event>& events,
                                                     const WorldFacts& facts,
                                                     const std::string& consumer,
                                                     size_t max_violations) {
  return StreamChecker(events, facts, consumer, max_violations).Check();
}

}  // namespace lnsim::harness
