// QuorumTruth: the documented quorum rule over the world's trace (see quorum_truth.h).
#include "harness/internal/quorum_truth.h"

#include <algorithm>

namespace lnsim::harness::internal {
namespace {

using sim::Attribute;
using sim::DiskState;
using sim::EntityKind;
using sim::kAbsent;

// docs/events.md "Quorum": a disk in one of these states does not vote.
bool DiskAttached(int64_t disk) {
  switch (static_cast<DiskState>(disk)) {
    case DiskState::kDiskless:
    case DiskState::kFailed:
    case DiskState::kDUnknown:
    case DiskState::kAttaching:
    case DiskState::kDetaching:
      return false;
    default:
      return true;
  }
}

}  // namespace

void QuorumTruth::Seed(const sim::Cluster& c) {
  offline_.assign(c.nodes.size(), 0);
  for (size_t n = 0; n < c.nodes.size(); ++n) {
    offline_[n] = c.nodes[n].connection == sim::NodeConnection::kOnline ? 0 : 1;
  }
  for (const sim::Replica& rep : c.replicas) {
    if (!rep.alive || rep.rd >= c.rds.size()) continue;
    const sim::ResourceDefinition& def = c.rds[rep.rd];
    Replica r;
    r.node = rep.node;
    r.kind = rep.kind;
    for (size_t vi = 0; vi < rep.volumes.size() && vi < def.volumes.size(); ++vi) {
      r.disks[def.volumes[vi].number] = static_cast<int64_t>(rep.volumes[vi].disk);
    }
    for (const sim::PeerLink& link : rep.peers) {
      r.connected[link.peer] = link.conn == sim::ConnState::kConnected;
    }
    rds_[rep.rd].push_back(std::move(r));
  }
}

void QuorumTruth::Apply(const sim::Transition& t, std::vector<QuorumUpdate>* out) {
  if (!Fold(t)) return;
  if (t.entity.kind == EntityKind::kNode) {
    EmitNode(t.entity.a, out);
  } else {
    Emit(t.entity.a, out);
  }
}

bool QuorumTruth::Fold(const sim::Transition& t) {
  const auto& e = t.entity;
  switch (e.kind) {
    case EntityKind::kNode:
      if (t.attr != Attribute::kConnection) return false;
      if (e.a >= offline_.size()) offline_.resize(e.a + 1, 0);
      offline_[e.a] = t.new_value == static_cast<int64_t>(sim::NodeConnection::kOnline) ? 0 : 1;
      return true;
    case EntityKind::kReplica: {
      if (t.attr == Attribute::kExists) {
        Rd& rd = rds_[e.a];
        rd.erase(
            std::remove_if(rd.begin(), rd.end(), [&](const Replica& r) { return r.node == e.b; }),
            rd.end());
        if (t.new_value == 1) rd.push_back(Replica{e.b});
        return true;
      }
      Replica* r = t.attr == Attribute::kKind ? Find(e.a, e.b) : nullptr;
      if (r == nullptr || t.new_value == kAbsent) return false;
      r->kind = static_cast<sim::ReplicaKind>(t.new_value);
      return true;
    }
    case EntityKind::kVolumeReplica: {
      Replica* r = Find(e.a, e.b);
      if (r == nullptr) return false;
      if (t.attr == Attribute::kDiskState && t.new_value != kAbsent) {
        r->disks[e.c] = t.new_value;
      } else if (t.attr == Attribute::kExists && t.new_value != 1) {
        r->disks.erase(e.c);
      } else {
        return false;
      }
      return true;
    }
    case EntityKind::kPeerLink: {
      Replica* r = Find(e.a, e.b);
      if (r == nullptr) return false;
      if (t.attr == Attribute::kConnState && t.new_value != kAbsent) {
        r->connected[e.c] = t.new_value == static_cast<int64_t>(sim::ConnState::kConnected);
      } else if (t.attr == Attribute::kExists && t.new_value != 1) {
        r->connected.erase(e.c);
      } else {
        return false;
      }
      return true;
    }
    default:
      return false;
  }
}

QuorumTruth::Replica* QuorumTruth::Find(uint32_t rd, uint32_t node) {
  return const_cast<Replica*>(static_cast<const QuorumTruth*>(this)->Find(rd, node));
}

const QuorumTruth::Replica* QuorumTruth::Find(uint32_t rd, uint32_t node) const {
  auto it = rds_.find(rd);
  if (it == rds_.end()) return nullptr;
  for (const Replica& r : it->second) {
    if (r.node == node) return &r;
  }
  return nullptr;
}

bool QuorumTruth::Online(uint32_t node) const {
  return node >= offline_.size() || offline_[node] == 0;
}

bool QuorumTruth::DisksAttached(const Replica& r) const {
  if (r.kind != sim::ReplicaKind::kDiskful) return false;
  for (const auto& [number, disk] : r.disks) {
    if (!DiskAttached(disk)) return false;
  }
  return true;
}

bool QuorumTruth::Votes(const Replica& peer) const {
  if (peer.kind != sim::ReplicaKind::kDiskful) return false;
  // The controller shows no disk states of a node that is not ONLINE: "attached as far as known".
  return !Online(peer.node) || DisksAttached(peer);
}

int64_t QuorumTruth::Compute(const Rd& rd, const Replica& r, int32_t voters) const {
  int32_t votes = DisksAttached(r) ? 1 : 0;
  bool tie_breaker = r.kind == sim::ReplicaKind::kTieBreaker;
  for (const Replica& peer : rd) {
    if (peer.node == r.node) continue;
    auto c = r.connected.find(peer.node);
    if (c == r.connected.end() || !c->second) continue;
    if (peer.kind == sim::ReplicaKind::kDiskful) {
      votes += Votes(peer) ? 1 : 0;
    } else {
      tie_breaker = tie_breaker || peer.kind == sim::ReplicaKind::kTieBreaker;
    }
  }
  const bool has = 2 * votes > voters || (2 * votes == voters && votes > 0 && tie_breaker);
  return has ? 1 : 0;
}

int64_t QuorumTruth::Value(uint32_t rd, uint32_t node) const {
  auto it = rds_.find(rd);
  const Replica* r = Find(rd, node);
  if (r == nullptr) return 0;
  int32_t voters = 0;
  for (const Replica& q : it->second) voters += q.kind == sim::ReplicaKind::kDiskful ? 1 : 0;
  return voters == 0 ? 0 : Compute(it->second, *r, voters);
}

void QuorumTruth::Emit(uint32_t rd, std::vector<QuorumUpdate>* out) const {
  auto it = rds_.find(rd);
  if (it == rds_.end()) return;
  int32_t voters = 0;
  for (const Replica& q : it->second) voters += q.kind == sim::ReplicaKind::kDiskful ? 1 : 0;
  if (voters == 0) return;  // unknown: holds
  for (const Replica& r : it->second) {
    if (!Online(r.node)) continue;  // unknown while the replica's node is not ONLINE: holds
    out->push_back({rd, r.node, Compute(it->second, r, voters)});
  }
}

void QuorumTruth::EmitNode(uint32_t node, std::vector<QuorumUpdate>* out) const {
  for (const auto& [rd, replicas] : rds_) {
    for (const Replica& r : replicas) {
      if (r.node != node) continue;
      Emit(rd, out);
      break;
    }
  }
}

}  // namespace lnsim::harness::internal
