// Helpers for the world's tests (see testutil_world.h).
#include "tests/sim/testutil_world.h"

#include "common/check.h"

namespace lnsim::sim::testing {

std::unique_ptr<World> MakeWorld(const WorldSpec& spec, uint64_t seed) {
  auto w = World::Create(spec, seed);
  LNSIM_CHECK(w.ok()) << w.status().ToString();
  return std::move(w).value();
}

std::vector<int64_t> Sequence(const World& w, const EntityRef& e, Attribute attr) {
  std::vector<int64_t> out;
  for (const Transition& t : w.trace().transitions()) {
    if (!(t.entity == e) || t.attr != attr) continue;
    if (out.empty()) out.push_back(t.old_value);
    out.push_back(t.new_value);
  }
  return out;
}

EntityRef ReplicaRefOf(const World& w, const std::string& rd, const std::string& node) {
  return {EntityKind::kReplica, w.FindResourceDefinition(rd), w.FindNode(node)};
}

EntityRef VolumeOf(const World& w, const std::string& rd, const std::string& node, uint32_t vol) {
  return {EntityKind::kVolumeReplica, w.FindResourceDefinition(rd), w.FindNode(node), vol};
}

EntityRef LinkOf(const World& w, const std::string& rd, const std::string& node,
                 const std::string& peer) {
  return {EntityKind::kPeerLink, w.FindResourceDefinition(rd), w.FindNode(node), w.FindNode(peer)};
}

EntityRef PeerVolumeOf(const World& w, const std::string& rd, const std::string& node,
                       const std::string& peer, uint32_t vol) {
  return {EntityKind::kPeerVolume, w.FindResourceDefinition(rd), w.FindNode(node), w.FindNode(peer),
          vol};
}

const Replica& ReplicaAt(const World& w, const std::string& rd, const std::string& node) {
  const ReplicaIndex r = w.FindReplica(w.FindResourceDefinition(rd), w.FindNode(node));
  LNSIM_CHECK(r != kNoIndex) << rd << " on " << node;
  return w.cluster().replicas[r];
}

ConnState ConnOf(const World& w, const std::string& rd, const std::string& node,
                 const std::string& peer) {
  const Replica& r = ReplicaAt(w, rd, node);
  const NodeIndex p = w.FindNode(peer);
  for (const auto& l : r.peers) {
    if (l.peer == p) return l.conn;
  }
  LNSIM_CHECK(false) << "no link " << rd << " " << node << " -> " << peer;
  return ConnState::kStandAlone;
}

std::string Dump(const World& w, size_t max_lines) {
  std::string out;
  size_t n = 0;
  for (const Transition& t : w.trace().transitions()) {
    if (n++ >= max_lines) {
      out += "...\n";
      break;
    }
    out += RenderTransition(w.cluster(), w.trace(), t) + "\n";
  }
  return out;
}

}  // namespace lnsim::sim::testing
