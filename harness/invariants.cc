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

std::vector<InvariantViolation> CheckWorldTrace(const sim::Cluster& cluster,
                                                const sim::TraceLog& log, size_t max_violations) {
  std::vector<InvariantViolation> out;
  const auto& all = log.transitions();
  std::unordered_map<uint64_t, int64_t> resync;  // volume replica -> done% within this resync
  std::unordered_map<uint32_t, bool> rd_deleted;
  std::unordered_map<uint64_t, bool> replica_deleted;
  std::unordered_map<uint32_t, int64_t> node_down_since;  // satellite down, world ns
  auto add = [&](size_t i, const char* invariant, std::string what, auto match) {
    if (out.size() >= max_violations) return;
    InvariantViolation v;
    v.invariant = invariant;
    v.where = "world";
    v.what = std::move(what);
    v.event = sim::RenderTransition(cluster, log, all[i]);
    v.history = TraceHistory(cluster, log, i, match);
    out.push_back(std::move(v));
  };
  for (size_t i = 0; i < all.size() && out.size() < max_violations; ++i) {
    const Transition& t = all[i];
    const EntityRef& e = t.entity;
    switch (e.kind) {
      case EntityKind::kNode:
        if (t.attr == Attribute::kSatelliteUp) {
          if (t.new_value == 0) {
            node_down_since[e.a] = t.time_ns;
          } else {
            node_down_since.erase(e.a);
          }
        }
        break;
      case EntityKind::kResourceDefinition:
        if (t.attr == Attribute::kExists) rd_deleted[e.a] = t.new_value == 0;
        break;
      case EntityKind::kReplica:
        if (t.attr == Attribute::kExists) replica_deleted[Key3(e.a, e.b, 0)] = t.new_value == 0;
        if (t.attr == Attribute::kInUse && t.new_value == 1) {
          const bool rd_gone = rd_deleted.count(e.a) && rd_deleted[e.a];
          const uint64_t rk = Key3(e.a, e.b, 0);
          const bool replica_gone = replica_deleted.count(rk) && replica_deleted[rk];
          if (rd_gone || replica_gone) {
            add(i, "attach-after-delete",
                std::string("attached while its ") + (rd_gone ? "resource" : "replica") +
                    " is deleted",
                [&](const Transition& h) {
                  return (h.entity.kind == EntityKind::kResourceDefinition && h.entity.a == e.a) ||
                         (h.entity.kind == EntityKind::kReplica && h.entity.a == e.a &&
                          h.entity.b == e.b);
                });
          }
        }
        break;
      case EntityKind::kVolumeReplica: {
        const uint64_t k = Key3(e.a, e.b, e.c);
        if (t.attr == Attribute::kDiskState) {
          resync.erase(k);
        } else if (t.attr == Attribute::kDonePercentage) {
          if (t.new_value == kAbsent) {
            resync.erase(k);
          } else {
            auto it = resync.find(k);
            if (it != resync.end() && t.new_value < it->second) {
              add(i, "resync-progress", "resync progress went down within one resync",
                  [&](const Transition& h) {
                    return h.entity.kind == EntityKind::kVolumeReplica && h.entity == e;
                  });
            }
            resync[k] = t.new_value;
          }
        }
        break;
      }
      case EntityKind::kVolumeDefinition:
        if (t.attr == Attribute::kSizeKib && t.old_value != kAbsent && t.new_value != kAbsent &&
            t.old_value != t.new_value) {
          const std::string& cause = t.cause < log.causes().size() ? log.causes()[t.cause] : "";
          auto same_vd = [&](const Transition& h) {
            return h.entity.kind == EntityKind::kVolumeDefinition && h.entity == e;
          };
          if (t.new_value < t.old_value) {
            add(i, "size-by-resize", "volume size shrank", same_vd);
          } else if (cause.find("resize") == std::string::npos) {
            add(i, "size-by-resize", "volume size changed without a resize (cause '" + cause + "')",
                same_vd);
          }
        }
        break;
      default:
        break;
    }
    // Creations (old value absent) are configuration the controller records for the node (a
    // new peer's link), not state the dead host produced.
    if (IsLiveAttribute(t) && t.old_value != kAbsent) {
      auto it = node_down_since.find(e.b);
      // The crash itself may tear state down at the instant the host dies.
      if (it != node_down_since.end() && t.time_ns > it->second) {
        const uint32_t node = e.b;
        add(i, "offline-live-state", "live state changed on a node whose satellite is down",
            [&](const Transition& h) {
              return (h.entity.kind == EntityKind::kNode && h.entity.a == node) ||
                     (h.entity == e && h.attr == t.attr);
            });
      }
    }
  }
  return out;
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

std::vector<InvariantViolation> CheckDeliveredStream(const std::vector<bridge::Event>& events,
                                                     const WorldFacts& facts,
                                                     const std::string& consumer,
                                                     size_t max_violations) {
  using bridge::EventType;
  std::vector<InvariantViolation> out;
  const std::string where = "consumer " + consumer;

  // Per-key order (sequence) for the per-resource invariants; node events by key too.
  std::vector<size_t> order(events.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    return std::tie(events[x].partition_key, events[x].sequence) <
           std::tie(events[y].partition_key, events[y].sequence);
  });

  // Node timelines: (observed time, online?) in sequence order, per folded node.
  std::map<std::string, std::vector<std::pair<int64_t, bool>>> node_timeline;
  std::map<std::string, std::vector<size_t>> node_events;
  for (size_t i : order) {
    const bridge::Event& e = events[i];
    if (e.body.type == EventType::kNodeOnline || e.body.type == EventType::kNodeOffline) {
      node_timeline[Fold(e.body.node)].push_back({e.time_unix_ns,
                                                  e.body.type == EventType::kNodeOnline});
      node_events[Fold(e.body.node)].push_back(i);
    }
  }
  auto offline_at = [&](const std::string& node, int64_t t) {
    auto it = node_timeline.find(node);
    if (it == node_timeline.end()) return false;
    // The latest node event observed at or before t (events of one poll share their time and
    // node events of that poll count first).
    const std::pair<int64_t, bool>* last = nullptr;
    for (const auto& p : it->second) {
      if (p.first <= t) last = &p;
    }
    return last != nullptr && !last->second;
  };

  std::map<std::string, std::vector<size_t>> key_history;  // partition key -> event indices
  std::map<std::string, bool> resource_deleted;             // folded resource
  std::map<std::string, std::pair<int64_t, double>> resync;  // rd/node/vol -> (time, done%)
  std::map<std::string, int64_t> last_size;                 // rd/vol -> size
  auto add = [&](size_t i, const char* invariant, std::string what,
                 const std::vector<size_t>& hist) {
    if (out.size() >= max_violations) return;
    InvariantViolation v;
    v.invariant = invariant;
    v.where = where;
    v.what = std::move(what);
    v.event = RenderEvent(events[i]);
    const size_t from = hist.size() > kHistory ? hist.size() - kHistory : 0;
    for (size_t h = from; h < hist.size(); ++h) v.history.push_back(RenderEvent(events[hist[h]]));
    out.push_back(std::move(v));
  };

  for (size_t i : order) {
    if (out.size() >= max_violations) break;
    const bridge::Event& e = events[i];
    const bridge::DomainEvent& b = e.body;
    std::vector<size_t>& hist = key_history[e.partition_key];
    const std::string rd = Fold(b.resource);
    const std::string node = Fold(b.node);
    switch (b.type) {
      case EventType::kResourceCreated:
        resource_deleted[rd] = false;
        for (const auto& v : b.volumes) {
          const std::string vk = rd + "/" + std::to_string(v.volume_number);
          last_size.erase(vk);
          if (v.size_kib < 0) continue;
          auto it = facts.vd_sizes_kib.find(vk);
          if (it != facts.vd_sizes_kib.end() && !it->second.count(v.size_kib)) {
            add(i, "size-by-resize",
                "volume " + std::to_string(v.volume_number) + " created with a size (" +
                    std::to_string(v.size_kib) + " KiB) the world never had",
                hist);
          }
          last_size[vk] = v.size_kib;
        }
        break;
      case EventType::kResourceDeleted:
        resource_deleted[rd] = true;
        break;
      case EventType::kVolumeAttached:
        if (resource_deleted.count(rd) && resource_deleted[rd]) {
          add(i, "attach-after-delete", "attached after its resource was deleted", hist);
        }
        break;
      case EventType::kVolumeResized: {
        const std::string vk = rd + "/" + std::to_string(b.volume_number);
        auto last = last_size.find(vk);
        if (b.new_size_kib < b.old_size_kib ||
            (last != last_size.end() && b.new_size_kib < last->second)) {
          add(i, "size-by-resize", "volume size shrank", hist);
        } else if (auto it = facts.vd_sizes_kib.find(vk);
                   it != facts.vd_sizes_kib.end() && !it->second.count(b.new_size_kib)) {
          add(i, "size-by-resize",
              "delivered size " + std::to_string(b.new_size_kib) + " KiB the world never had",
              hist);
        }
        last_size[vk] = b.new_size_kib;
        break;
      }
      case EventType::kReplicaDiskStateChanged: {
        const std::string vk = rd + "/" + node + "/" + std::to_string(b.volume_number);
        if (b.new_state != "SyncTarget" || !b.done_percentage) {
          resync.erase(vk);
          break;
        }
        auto it = resync.find(vk);
        if (it != resync.end() && *b.done_percentage < it->second.second) {
          // Only within one resync: the world did not end or restart it in between.
          bool reset = false;
          auto r = facts.resync_resets_ns.find(vk);
          if (r != facts.resync_resets_ns.end()) {
            const int64_t from = it->second.first - facts.epoch_unix_ns;
            const int64_t to = e.time_unix_ns - facts.epoch_unix_ns;
            for (int64_t t : r->second) reset |= t >= from - 1'000'000'000 && t <= to;
          }
          if (!reset) add(i, "resync-progress", "resync progress went down within one resync", hist);
        }
        resync[vk] = {e.time_unix_ns, *b.done_percentage};
        break;
      }
      case EventType::kReplicaCreated:
      case EventType::kReplicaDeleted:
        for (auto it = resync.begin(); it != resync.end();) {
          it = it->first.rfind(rd + "/" + node + "/", 0) == 0 ? resync.erase(it) : std::next(it);
        }
        break;
      default:
        break;
    }
    if (IsLiveStateEvent(e) && !node.empty() && offline_at(node, e.time_unix_ns)) {
      std::vector<size_t> h = hist;
      const auto& ne = node_events[node];
      h.insert(h.end(), ne.begin(), ne.end());
      std::sort(h.begin(), h.end(), [&](size_t x, size_t y) {
        return events[x].time_unix_ns < events[y].time_unix_ns;
      });
      add(i, "offline-live-state", "live state reported for a replica on node " + b.node +
                                       " while the node is OFFLINE",
          h);
    }
    hist.push_back(i);
  }
  return out;
}

}  // namespace lnsim::harness
