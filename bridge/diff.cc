// Differ implementation (see diff.h): merges sorted maps of two snapshots and emits events in a
// fixed order. The rules for "unknown" live data live here and in NextBaseline, side by side.
#include "bridge/diff.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace lnsim::bridge {
namespace {

const ReplicaVolume* FindVolume(const Replica& r, int32_t number) {
  for (const auto& v : r.volumes) {
    if (v.volume_number == number) return &v;
  }
  return nullptr;
}

const PeerConnection* FindPeer(const Replica& r, const std::string& peer) {
  for (const auto& c : r.connections) {
    if (c.peer == peer) return &c;
  }
  return nullptr;
}

// Whether the change from a to b (b known) is reported as replica.disk_state_changed.
bool DiskChangeReported(const ReplicaVolume* a, const ReplicaVolume& b, const DiffOptions& o) {
  if (b.disk_state.empty()) return false;
  if (a == nullptr || a->disk_state != b.disk_state) return true;
  if (!b.done_percentage) return false;
  if (!a->done_percentage) return true;
  return std::fabs(*b.done_percentage - *a->done_percentage) >= o.resync_step_percent;
}

std::string FirstPool(const Replica& r) {
  for (const auto& v : r.volumes) {
    if (!v.storage_pool.empty()) return v.storage_pool;
  }
  return {};
}

DomainEvent ReplicaEvent(EventType type, const Replica& r) {
  DomainEvent e;
  e.type = type;
  e.resource = r.resource;
  e.node = r.node;
  return e;
}

void DiffReplica(const Replica* a, const Replica* b, const DiffOptions& o,
                 std::vector<DomainEvent>* out) {
  if (b == nullptr) {
    if (a->in_use == Tri::kTrue) out->push_back(ReplicaEvent(EventType::kVolumeDetached, *a));
    out->push_back(ReplicaEvent(EventType::kReplicaDeleted, *a));
    return;
  }
  if (a == nullptr) {
    DomainEvent e = ReplicaEvent(EventType::kReplicaCreated, *b);
    e.diskless = b->diskless;
    e.pool = FirstPool(*b);
    e.in_use = b->in_use;
    for (const auto& v : b->volumes) {
      e.volumes.push_back({v.volume_number, -1, v.disk_state});
    }
    out->push_back(std::move(e));
    if (b->in_use == Tri::kTrue) out->push_back(ReplicaEvent(EventType::kVolumeAttached, *b));
    return;
  }
  // Disk states, by volume.
  for (const auto& vb : b->volumes) {
    const ReplicaVolume* va = FindVolume(*a, vb.volume_number);
    if (!DiskChangeReported(va, vb, o)) continue;
    DomainEvent e = ReplicaEvent(EventType::kReplicaDiskStateChanged, *b);
    e.volume_number = vb.volume_number;
    e.old_state = va ? va->disk_state : "";
    e.new_state = vb.disk_state;
    e.done_percentage = vb.done_percentage;
    out->push_back(std::move(e));
  }
  // Connections, by peer: only what this replica's satellite reports (live).
  if (b->live) {
    for (const auto& cb : b->connections) {
      const PeerConnection* ca = FindPeer(*a, cb.peer);
      if (ca == nullptr || ca->connected == cb.connected) continue;
      DomainEvent e = ReplicaEvent(
          cb.connected ? EventType::kReplicaConnectionRestored : EventType::kReplicaConnectionLost,
          *b);
      e.peer = cb.display;
      e.old_state = ca->message;
      e.new_state = cb.message;
      out->push_back(std::move(e));
    }
  }
  // Quorum: only flips between known values.
  if (a->quorum != Tri::kUnknown && b->quorum != Tri::kUnknown && a->quorum != b->quorum) {
    DomainEvent e = ReplicaEvent(
        b->quorum == Tri::kTrue ? EventType::kReplicaQuorumRegained : EventType::kReplicaQuorumLost,
        *b);
    e.quorum_votes = b->quorum_votes;
    e.quorum_voters = b->quorum_voters;
    out->push_back(std::move(e));
  }
  // Attach / detach.
  if (b->in_use == Tri::kTrue && a->in_use != Tri::kTrue) {
    out->push_back(ReplicaEvent(EventType::kVolumeAttached, *b));
  } else if (b->in_use == Tri::kFalse && a->in_use == Tri::kTrue) {
    out->push_back(ReplicaEvent(EventType::kVolumeDetached, *b));
  }
}

template <typename Map, typename Fn>
void MergeKeys(const Map& a, const Map& b, Fn fn) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      fn(ia->first, &ia->second, nullptr);
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      fn(ib->first, nullptr, &ib->second);
      ++ib;
    } else {
      fn(ia->first, &ia->second, &ib->second);
      ++ia;
      ++ib;
    }
  }
}

const std::map<std::string, Replica> kNoReplicas;

}  // namespace

std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after,
                              const DiffOptions& options) {
  std::vector<DomainEvent> out;
  MergeKeys(before.nodes, after.nodes,
            [&](const std::string&, const NodeState* a, const NodeState* b) {
              if (b == nullptr) return;
              const bool now_online = b->connection_status == "ONLINE";
              auto node_event = [&](EventType type) {
                DomainEvent e;
                e.type = type;
                e.node = b->name;
                e.old_state = a ? a->connection_status : "";
                e.new_state = b->connection_status;
                out.push_back(std::move(e));
              };
              if (!b->connection_status.empty()) {
                const bool was_online = a && a->connection_status == "ONLINE";
                if (now_online && !was_online) node_event(EventType::kNodeOnline);
                if (!now_online && was_online) node_event(EventType::kNodeOffline);
              }
              if (b->evicted && !(a && a->evicted)) node_event(EventType::kNodeEvicted);
            });
  MergeKeys(before.pools, after.pools, [&](const auto&, const PoolState* a, const PoolState* b) {
    if (b == nullptr || b->low == Tri::kUnknown) return;
    const Tri was = a ? a->low : Tri::kUnknown;
    EventType type;
    if (b->low == Tri::kTrue && was != Tri::kTrue) {
      type = EventType::kPoolCapacityLow;
    } else if (b->low == Tri::kFalse && was == Tri::kTrue) {
      type = EventType::kPoolCapacityOk;
    } else {
      return;
    }
    DomainEvent e;
    e.type = type;
    e.node = b->node;
    e.pool = b->name;
    e.free_capacity_kib = b->free_capacity_kib.value_or(0);
    e.total_capacity_kib = b->total_capacity_kib.value_or(0);
    e.threshold_percent = options.pool_low_threshold_percent;
    out.push_back(std::move(e));
  });
  // Resources: the union of names in definitions and in the resource view, both sides (a
  // four-way merge of sorted keys; no set of strings on this path, it runs once per poll over
  // every resource).
  struct Row {
    const ResourceDefinitionState* rda = nullptr;
    const ResourceDefinitionState* rdb = nullptr;
    const std::map<std::string, Replica>* ra = &kNoReplicas;
    const std::map<std::string, Replica>* rb = &kNoReplicas;
  };
  std::vector<Row> rows;
  rows.reserve(after.resource_definitions.size() + 16);
  {
    auto i1 = before.resource_definitions.begin(), e1 = before.resource_definitions.end();
    auto i2 = after.resource_definitions.begin(), e2 = after.resource_definitions.end();
    auto i3 = before.replicas.begin(), e3 = before.replicas.end();
    auto i4 = after.replicas.begin(), e4 = after.replicas.end();
    while (i1 != e1 || i2 != e2 || i3 != e3 || i4 != e4) {
      const std::string* least = nullptr;
      auto consider = [&](const std::string& k) {
        if (least == nullptr || k < *least) least = &k;
      };
      if (i1 != e1) consider(i1->first);
      if (i2 != e2) consider(i2->first);
      if (i3 != e3) consider(i3->first);
      if (i4 != e4) consider(i4->first);
      const std::string& key = *least;  // map nodes are stable while iterators advance
      Row row;
      if (i1 != e1 && i1->first == key) row.rda = &(i1++)->second;
      if (i2 != e2 && i2->first == key) row.rdb = &(i2++)->second;
      if (i3 != e3 && i3->first == key) row.ra = &(i3++)->second;
      if (i4 != e4 && i4->first == key) row.rb = &(i4++)->second;
      rows.push_back(row);
    }
  }
  for (const Row& row : rows) {
    const ResourceDefinitionState* rda = row.rda;
    const ResourceDefinitionState* rdb = row.rdb;
    if (rda == nullptr && rdb != nullptr) {
      DomainEvent e;
      e.type = EventType::kResourceCreated;
      e.resource = rdb->name;
      e.resource_group = rdb->resource_group;
      for (const auto& v : rdb->volumes) e.volumes.push_back({v.volume_number, v.size_kib, ""});
      out.push_back(std::move(e));
    }
    if (rda != nullptr && rdb != nullptr) {
      for (const auto& vb : rdb->volumes) {
        for (const auto& va : rda->volumes) {
          if (va.volume_number != vb.volume_number || va.size_kib == vb.size_kib) continue;
          DomainEvent e;
          e.type = EventType::kVolumeResized;
          e.resource = rdb->name;
          e.volume_number = vb.volume_number;
          e.old_size_kib = va.size_kib;
          e.new_size_kib = vb.size_kib;
          out.push_back(std::move(e));
        }
      }
    }
    const auto& ra = *row.ra;
    const auto& rb = *row.rb;
    MergeKeys(ra, rb, [&](const std::string&, const Replica* a, const Replica* b) {
      DiffReplica(a, b, options, &out);
    });
    if (rda != nullptr && rdb == nullptr) {
      DomainEvent e;
      e.type = EventType::kResourceDeleted;
      e.resource = rda->name;
      out.push_back(std::move(e));
    }
  }
  return out;
}

namespace {

class OptionsDiffer final : public Differ {
 public:
  explicit OptionsDiffer(const DiffOptions& options) : options_(options) {}
  std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after) const override {
    return bridge::Diff(before, after, options_);
  }

 private:
  DiffOptions options_;
};

}  // namespace

std::unique_ptr<Differ> NewDiffer(const DiffOptions& options) {
  return std::make_unique<OptionsDiffer>(options);
}

Snapshot NextBaseline(const Snapshot& before, Snapshot after, const DiffOptions& options) {
  Snapshot next = std::move(after);
  for (auto& [key, node] : next.nodes) {
    auto it = before.nodes.find(key);
    if (it != before.nodes.end() && node.connection_status.empty()) {
      node.connection_status = it->second.connection_status;
    }
  }
  for (auto& [key, pool] : next.pools) {
    auto it = before.pools.find(key);
    if (it != before.pools.end() && pool.low == Tri::kUnknown) pool.low = it->second.low;
  }
  // Both maps are sorted by the same keys: walk them side by side (no lookups).
  auto brd = before.replicas.begin();
  for (auto& [rd, replicas] : next.replicas) {
    while (brd != before.replicas.end() && brd->first < rd) ++brd;
    if (brd == before.replicas.end()) break;
    if (brd->first != rd) continue;
    auto bit = brd->second.begin();
    for (auto& [node, r] : replicas) {
      while (bit != brd->second.end() && bit->first < node) ++bit;
      if (bit == brd->second.end()) break;
      if (bit->first != node) continue;
      const Replica& a = bit->second;
      if (!r.live) {
        r.in_use = a.in_use;
        r.connections = a.connections;
        r.quorum = a.quorum;
        r.quorum_votes = a.quorum_votes;
        r.quorum_voters = a.quorum_voters;
      } else {
        if (r.in_use == Tri::kUnknown) r.in_use = a.in_use;
        if (r.quorum == Tri::kUnknown) {
          r.quorum = a.quorum;
          r.quorum_votes = a.quorum_votes;
          r.quorum_voters = a.quorum_voters;
        }
      }
      for (auto& v : r.volumes) {
        const ReplicaVolume* va = FindVolume(a, v.volume_number);
        if (va == nullptr) continue;
        if (v.disk_state.empty()) {
          v.disk_state = va->disk_state;
          v.done_percentage = va->done_percentage;
        } else if (!DiskChangeReported(va, v, options)) {
          v.done_percentage = va->done_percentage;
        }
      }
    }
  }
  return next;
}

namespace {

// Appends key(k) for every key present in one map only or mapped to different values.
template <typename Map, typename KeyFn>
void ChangedIn(const Map& a, const Map& b, KeyFn key, std::vector<std::string>* out) {
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      out->push_back(key(ia->first));
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      out->push_back(key(ib->first));
      ++ib;
    } else {
      if (!(ia->second == ib->second)) out->push_back(key(ia->first));
      ++ia;
      ++ib;
    }
  }
}

}  // namespace

std::vector<std::string> ChangedPartitionKeys(const Snapshot& a, const Snapshot& b) {
  std::vector<std::string> out;
  ChangedIn(
      a.nodes, b.nodes, [](const std::string& k) { return NodePartitionKey(k); }, &out);
  ChangedIn(
      a.pools, b.pools, [](const auto& k) { return PoolPartitionKey(k.first, k.second); }, &out);
  auto resource = [](const std::string& k) { return ResourcePartitionKey(k); };
  ChangedIn(a.resource_definitions, b.resource_definitions, resource, &out);
  ChangedIn(a.replicas, b.replicas, resource, &out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace lnsim::bridge
