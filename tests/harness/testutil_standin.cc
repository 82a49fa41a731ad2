// See testutil_standin.h.
#include "tests/harness/testutil_standin.h"

#include <utility>

#include "common/rng.h"

namespace lnsim::harness::testing {

constexpr int64_t kMs = 1'000'000;

MiniWorld::MiniWorld(int nodes, int rds) {
  for (int n = 0; n < nodes; ++n) {
    sim::Node node;
    node.name = "node-" + std::to_string(n);
    cluster.nodes.push_back(node);
    online[static_cast<uint32_t>(n)] = true;
  }
  for (int r = 0; r < rds; ++r) {
    sim::ResourceDefinition rd;
    rd.name = "pvc-" + std::to_string(r);
    cluster.rds.push_back(rd);
    for (int n = 0; n < nodes; ++n)
      in_use[{static_cast<uint32_t>(r), static_cast<uint32_t>(n)}] = false;
  }
}

void MiniWorld::InUse(int64_t t_ms, uint32_t rd, uint32_t node, bool value) {
  sim::Transition t;
  t.time_ns = t_ms * kMs;
  t.seq = ++seq;
  t.entity = {sim::EntityKind::kReplica, rd, node};
  t.attr = sim::Attribute::kInUse;
  t.old_value = in_use[{rd, node}] ? 1 : 0;
  t.new_value = value ? 1 : 0;
  in_use[{rd, node}] = value;
  trace.push_back(t);
}

void MiniWorld::Online(int64_t t_ms, uint32_t node, bool value) {
  sim::Transition t;
  t.time_ns = t_ms * kMs;
  t.seq = ++seq;
  t.entity = {sim::EntityKind::kNode, node};
  t.attr = sim::Attribute::kConnection;
  t.old_value = static_cast<int64_t>(online[node] ? sim::NodeConnection::kOnline
                                                  : sim::NodeConnection::kOffline);
  t.new_value =
      static_cast<int64_t>(value ? sim::NodeConnection::kOnline : sim::NodeConnection::kOffline);
  online[node] = value;
  trace.push_back(t);
}

std::vector<Observation> PerfectBridge(const MiniWorld& world, int64_t poll_ms, int64_t end_ms,
                                       int64_t deliver_ms, uint32_t consumer,
                                       bool swap_attach_detach) {
  std::map<std::pair<uint32_t, uint32_t>, bool> in_use, reported_in_use;
  std::map<uint32_t, bool> online, reported_online;
  for (uint32_t n = 0; n < world.cluster.nodes.size(); ++n) online[n] = reported_online[n] = true;
  for (uint32_t r = 0; r < world.cluster.rds.size(); ++r) {
    for (uint32_t n = 0; n < world.cluster.nodes.size(); ++n) {
      in_use[{r, n}] = reported_in_use[{r, n}] = false;
    }
  }
  std::map<std::string, uint64_t> sequence;
  std::vector<Observation> out;
  size_t next = 0;
  auto emit = [&](const std::string& key, uint64_t channel, int64_t value, int64_t t_ms) {
    Observation o;
    o.consumer = consumer;
    const uint64_t seq = ++sequence[key];
    o.id_hash = Fnv1a64("c/" + key + "/" + std::to_string(seq));
    o.partition_hash = Fnv1a64(key);
    o.sequence = seq;
    o.primary = {channel, value};
    o.observed_ns = t_ms * kMs;
    o.delivered_ns = (t_ms + deliver_ms) * kMs;
    out.push_back(o);
  };
  for (int64_t t = poll_ms; t <= end_ms; t += poll_ms) {
    while (next < world.trace.size() && world.trace[next].time_ns <= t * kMs) {
      const sim::Transition& tr = world.trace[next++];
      if (tr.attr == sim::Attribute::kInUse) in_use[{tr.entity.a, tr.entity.b}] = tr.new_value;
      if (tr.attr == sim::Attribute::kConnection) {
        online[tr.entity.a] = tr.new_value == static_cast<int64_t>(sim::NodeConnection::kOnline);
      }
    }
    for (auto& [node, value] : online) {
      if (value != reported_online[node]) {
        reported_online[node] = value;
        emit("node.node-" + std::to_string(node), MakeChannelKey(ChannelKind::kNodeOnline, node),
             value ? 1 : 0, t);
      }
    }
    for (auto& [replica, value] : in_use) {
      if (!online[replica.second]) continue;  // the API hides live state of offline nodes
      if (value != reported_in_use[replica]) {
        reported_in_use[replica] = value;
        const int64_t carried = swap_attach_detach ? (value ? 0 : 1) : (value ? 1 : 0);
        emit("resource.pvc-" + std::to_string(replica.first),
             MakeChannelKey(ChannelKind::kReplicaInUse, replica.first, replica.second), carried, t);
      }
    }
  }
  return out;
}

std::vector<Observation> FaultyPublisher::Stream() const {
  std::vector<Observation> out;
  for (size_t i = 0; i < perfect_.size(); ++i) {
    if (drop_.count(i)) continue;
    if (swap_.count(i) && i + 1 < perfect_.size()) {
      out.push_back(perfect_[i + 1]);
      out.push_back(perfect_[i]);
      ++i;
      continue;
    }
    Observation o = perfect_[i];
    if (auto it = delay_.find(i); it != delay_.end()) o.delivered_ns += it->second;
    out.push_back(o);
    if (duplicate_.count(i)) {
      Observation copy = o;
      copy.delivered_ns += kMs;
      out.push_back(copy);
    }
    if (redeliver_.count(i)) {
      Observation copy = o;
      copy.delivered_ns += kMs;
      copy.num_delivered = 2;
      copy.processed = false;
      out.push_back(copy);
    }
  }
  for (const Observation& o : invented_) out.push_back(o);
  return out;
}

}  // namespace lnsim::harness::testing
