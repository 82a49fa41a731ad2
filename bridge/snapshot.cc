// Snapshot derivations (quorum, pool thresholds) and the state-mirror JSON form. The mirror form
// uses nlohmann_json: it is written once per changed entity, not on the parse hot path.
#include "bridge/snapshot.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace lnsim::bridge {
namespace {

using nlohmann::json;

// A diskful replica votes for quorum while its disk is attached. Documented in docs/events.md.
bool DiskVotes(const std::string& disk_state) {
  return disk_state != "Diskless" && disk_state != "Failed" && disk_state != "DUnknown" &&
         disk_state != "Detaching" && disk_state != "Attaching";
}

bool ReplicaDiskVotes(const Replica& r) {
  if (r.diskless) return false;
  for (const auto& v : r.volumes) {
    if (!v.disk_state.empty() && !DiskVotes(v.disk_state)) return false;
  }
  return true;
}

const PeerConnection* FindConnection(const Replica& r, const std::string& peer) {
  auto it =
      std::lower_bound(r.connections.begin(), r.connections.end(), peer,
                       [](const PeerConnection& c, const std::string& p) { return c.peer < p; });
  if (it == r.connections.end() || it->peer != peer) return nullptr;
  return &*it;
}

json TriJson(Tri t) {
  if (t == Tri::kUnknown) return nullptr;
  return t == Tri::kTrue;
}

Tri TriFrom(const json& j) {
  if (!j.is_boolean()) return Tri::kUnknown;
  return j.get<bool>() ? Tri::kTrue : Tri::kFalse;
}

json NodeJson(const NodeState& n) {
  return json{{"name", n.name}, {"connection_status", n.connection_status}, {"evicted", n.evicted}};
}

NodeState NodeFrom(const json& j) {
  NodeState n;
  n.name = j.at("name").get<std::string>();
  n.connection_status = j.value("connection_status", "");
  n.evicted = j.value("evicted", false);
  return n;
}

json PoolJson(const PoolState& p) {
  json j{{"node", p.node},
         {"name", p.name},
         {"provider_kind", p.provider_kind},
         {"low", TriJson(p.low)}};
  if (p.free_capacity_kib) j["free_capacity_kib"] = *p.free_capacity_kib;
  if (p.total_capacity_kib) j["total_capacity_kib"] = *p.total_capacity_kib;
  return j;
}

PoolState PoolFrom(const json& j) {
  PoolState p;
  p.node = j.at("node").get<std::string>();
  p.name = j.at("name").get<std::string>();
  p.provider_kind = j.value("provider_kind", "");
  if (j.contains("free_capacity_kib")) p.free_capacity_kib = j["free_capacity_kib"].get<int64_t>();
  if (j.contains("total_capacity_kib")) {
    p.total_capacity_kib = j["total_capacity_kib"].get<int64_t>();
  }
  p.low = TriFrom(j.value("low", json()));
  return p;
}

json RdJson(const ResourceDefinitionState& rd) {
  json vols = json::array();
  for (const auto& v : rd.volumes) {
    vols.push_back({{"volume_number", v.volume_number}, {"size_kib", v.size_kib}});
  }
  return json{{"name", rd.name}, {"resource_group", rd.resource_group}, {"volumes", vols}};
}

ResourceDefinitionState RdFrom(const json& j) {
  ResourceDefinitionState rd;
  rd.name = j.at("name").get<std::string>();
  rd.resource_group = j.value("resource_group", "");
  for (const auto& v : j.value("volumes", json::array())) {
    rd.volumes.push_back({v.at("volume_number").get<int32_t>(), v.at("size_kib").get<int64_t>()});
  }
  return rd;
}

json ReplicaJson(const Replica& r) {
  json vols = json::array();
  for (const auto& v : r.volumes) {
    json jv{{"volume_number", v.volume_number},
            {"storage_pool", v.storage_pool},
            {"disk_state", v.disk_state}};
    if (v.done_percentage) jv["done_percentage"] = *v.done_percentage;
    vols.push_back(std::move(jv));
  }
  json conns = json::array();
  for (const auto& c : r.connections) {
    conns.push_back({{"peer", c.peer},
                     {"display", c.display},
                     {"connected", c.connected},
                     {"message", c.message}});
  }
  return json{{"resource", r.resource},
              {"node", r.node},
              {"diskless", r.diskless},
              {"tie_breaker", r.tie_breaker},
              {"live", r.live},
              {"in_use", TriJson(r.in_use)},
              {"volumes", vols},
              {"connections", conns},
              {"quorum", TriJson(r.quorum)},
              {"quorum_votes", r.quorum_votes},
              {"quorum_voters", r.quorum_voters}};
}

Replica ReplicaFrom(const json& j) {
  Replica r;
  r.resource = j.at("resource").get<std::string>();
  r.node = j.at("node").get<std::string>();
  r.diskless = j.value("diskless", false);
  r.tie_breaker = j.value("tie_breaker", false);
  r.live = j.value("live", false);
  r.in_use = TriFrom(j.value("in_use", json()));
  for (const auto& v : j.value("volumes", json::array())) {
    ReplicaVolume rv;
    rv.volume_number = v.at("volume_number").get<int32_t>();
    rv.storage_pool = v.value("storage_pool", "");
    rv.disk_state = v.value("disk_state", "");
    if (v.contains("done_percentage")) rv.done_percentage = v["done_percentage"].get<double>();
    r.volumes.push_back(std::move(rv));
  }
  for (const auto& c : j.value("connections", json::array())) {
    r.connections.push_back({c.at("peer").get<std::string>(), c.value("display", ""),
                             c.value("connected", false), c.value("message", "")});
  }
  r.quorum = TriFrom(j.value("quorum", json()));
  r.quorum_votes = j.value("quorum_votes", 0);
  r.quorum_voters = j.value("quorum_voters", 0);
  return r;
}

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    out.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

}  // namespace

size_t DropReplicasWithoutDefinition(Snapshot* s) {
  size_t dropped = 0;
  for (auto it = s->replicas.begin(); it != s->replicas.end();) {
    if (s->resource_definitions.count(it->first) != 0) {
      ++it;
      continue;
    }
    dropped += it->second.size();
    it = s->replicas.erase(it);
  }
  return dropped;
}

void FinalizeSnapshot(Snapshot* s, const DiffOptions& options) {
  for (auto& [key, pool] : s->pools) {
    pool.low = Tri::kUnknown;
    if (pool.provider_kind == "DISKLESS" || !pool.free_capacity_kib || !pool.total_capacity_kib ||
        *pool.total_capacity_kib <= 0) {
      continue;
    }
    const double free_pct = static_cast<double>(*pool.free_capacity_kib) * 100.0 /
                            static_cast<double>(*pool.total_capacity_kib);
    pool.low = free_pct < options.pool_low_threshold_percent ? Tri::kTrue : Tri::kFalse;
  }
  for (auto& [rd, replicas] : s->replicas) {
    // Live data of a replica on a node that is known and not ONLINE is not trusted.
    for (auto& [node, r] : replicas) {
      auto n = s->nodes.find(node);
      if (n != s->nodes.end() && n->second.connection_status != "ONLINE" && r.live) {
        r.live = false;
      }
      if (!r.live) {
        r.in_use = Tri::kUnknown;
        r.connections.clear();
        for (auto& v : r.volumes) {
          v.disk_state.clear();
          v.done_percentage.reset();
        }
      }
    }
    int32_t voters = 0;
    for (const auto& [node, r] : replicas) voters += r.diskless ? 0 : 1;
    for (auto& [node, r] : replicas) {
      r.quorum = Tri::kUnknown;
      r.quorum_votes = 0;
      r.quorum_voters = voters;
      if (!r.live || voters == 0) continue;
      int32_t votes = (!r.diskless && ReplicaDiskVotes(r)) ? 1 : 0;
      bool tie_breaker_seen = r.diskless && r.tie_breaker;
      for (const auto& [peer_name, peer] : replicas) {
        if (peer_name == node) continue;
        const PeerConnection* c = FindConnection(r, peer_name);
        if (c == nullptr || !c->connected) continue;
        if (peer.diskless) {
          tie_breaker_seen = tie_breaker_seen || peer.tie_breaker;
        } else if (ReplicaDiskVotes(peer)) {
          ++votes;
        }
      }
      r.quorum_votes = votes;
      const bool has = votes * 2 > voters || (votes * 2 == voters && votes > 0 && tie_breaker_seen);
      r.quorum = has ? Tri::kTrue : Tri::kFalse;
    }
  }
}

std::string EncodeMirrorEntry(const MirrorEntry& e) {
  json j{{"key", e.key}, {"sequence", e.sequence}, {"updated_unix_ns", e.updated_unix_ns}};
  if (e.deleted) j["deleted"] = true;
  if (e.node) j["node"] = NodeJson(*e.node);
  if (e.pool) j["pool"] = PoolJson(*e.pool);
  if (e.resource_definition) j["resource_definition"] = RdJson(*e.resource_definition);
  if (!e.replicas.empty()) {
    json reps = json::array();
    for (const auto& [node, r] : e.replicas) reps.push_back(ReplicaJson(r));
    j["replicas"] = std::move(reps);
  }
  if (!e.pending.empty()) j["pending"] = e.pending;
  return j.dump();
}

StatusOr<MirrorEntry> DecodeMirrorEntry(std::string_view key, std::string_view text) {
  try {
    json j = json::parse(text.begin(), text.end());
    MirrorEntry e;
    e.key = std::string(key);
    e.sequence = j.at("sequence").get<uint64_t>();
    e.updated_unix_ns = j.value("updated_unix_ns", int64_t{0});
    e.deleted = j.value("deleted", false);
    if (j.contains("node")) e.node = NodeFrom(j["node"]);
    if (j.contains("pool")) e.pool = PoolFrom(j["pool"]);
    if (j.contains("resource_definition")) e.resource_definition = RdFrom(j["resource_definition"]);
    for (const auto& r : j.value("replicas", json::array())) {
      Replica rep = ReplicaFrom(r);
      e.replicas[FoldName(rep.node)] = std::move(rep);
    }
    for (const auto& p : j.value("pending", json::array()))
      e.pending.push_back(p.get<std::string>());
    return e;
  } catch (const std::exception& ex) {
    return DataLossError("state mirror entry '" + std::string(key) + "': " + ex.what());
  }
}

bool FillMirrorEntry(const Snapshot& s, const std::string& key, MirrorEntry* e) {
  e->key = key;
  e->node.reset();
  e->pool.reset();
  e->resource_definition.reset();
  e->replicas.clear();
  const auto parts = SplitKey(key);
  if (parts.size() == 2 && parts[0] == "node") {
    auto name = UnescapeToken(parts[1]);
    if (!name.ok()) return false;
    auto it = s.nodes.find(*name);
    if (it == s.nodes.end()) return false;
    e->node = it->second;
    return true;
  }
  if (parts.size() == 3 && parts[0] == "pool") {
    auto node = UnescapeToken(parts[1]);
    auto pool = UnescapeToken(parts[2]);
    if (!node.ok() || !pool.ok()) return false;
    auto it = s.pools.find({*node, *pool});
    if (it == s.pools.end()) return false;
    e->pool = it->second;
    return true;
  }
  if (parts.size() == 2 && parts[0] == "resource") {
    auto name = UnescapeToken(parts[1]);
    if (!name.ok()) return false;
    bool found = false;
    if (auto it = s.resource_definitions.find(*name); it != s.resource_definitions.end()) {
      e->resource_definition = it->second;
      found = true;
    }
    if (auto it = s.replicas.find(*name); it != s.replicas.end() && !it->second.empty()) {
      e->replicas = it->second;
      found = true;
    }
    return found;
  }
  return false;
}

void ApplyMirrorEntry(const MirrorEntry& e, Snapshot* s) {
  if (e.deleted) return;
  if (e.node) s->nodes[FoldName(e.node->name)] = *e.node;
  if (e.pool) s->pools[{FoldName(e.pool->node), FoldName(e.pool->name)}] = *e.pool;
  if (e.resource_definition) {
    s->resource_definitions[FoldName(e.resource_definition->name)] = *e.resource_definition;
  }
  for (const auto& [node, r] : e.replicas) s->replicas[FoldName(r.resource)][node] = r;
}

std::vector<std::string> SnapshotKeys(const Snapshot& s) {
  std::vector<std::string> keys;
  for (const auto& [name, n] : s.nodes) keys.push_back(NodePartitionKey(name));
  for (const auto& [k, p] : s.pools) keys.push_back(PoolPartitionKey(k.first, k.second));
  for (const auto& [name, rd] : s.resource_definitions) keys.push_back(ResourcePartitionKey(name));
  for (const auto& [name, reps] : s.replicas) {
    if (!reps.empty() && !s.resource_definitions.count(name)) {
      keys.push_back(ResourcePartitionKey(name));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

}  // namespace lnsim::bridge
