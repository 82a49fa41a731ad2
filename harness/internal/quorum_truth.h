// The ground truth of replica quorum as the event contract documents it (docs/events.md
// "Quorum"), derived from the world's trace, not from the world's own DRBD model (sim/drbd.cc):
//   voters = the resource's diskful replicas;
//   votes  = 1 for the replica itself if it is diskful and its disks are attached (no volume
//            Diskless, Failed, DUnknown, Attaching or Detaching) + 1 for every diskful peer it
//            is Connected to whose disks are attached as far as the controller shows them (a
//            peer on a node that is not ONLINE shows no disk states: it counts as attached);
//   quorum = 2 * votes > voters, or 2 * votes == voters (votes > 0) while the replica is itself
//            a TIE_BREAKER or is Connected to one;
//   unknown while the replica's own node is not ONLINE or the resource has no voters: the value
//   then holds (only flips between known values are reported). bridge/snapshot.cc
//   FinalizeSnapshot implements the same rule for the bridge.
// Internal to harness/: VerifierState feeds it every transition and sets the kQuorum channels
// from what it returns. Deterministic: the same transitions give the same updates, in order.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::harness::internal {

struct QuorumUpdate {
  uint32_t rd;
  uint32_t node;
  int64_t value;  // 0 or 1
};

class QuorumTruth {
 public:
  // Folds the generated cluster (the state before the first transition).
  void Seed(const sim::Cluster& cluster);
  // Folds one transition; appends the known quorum of every replica of each resource the
  // transition may have changed to *out (values that did not change too: the caller dedups).
  void Apply(const sim::Transition& t, std::vector<QuorumUpdate>* out);
  // Quorum of the replica of `rd` on `node` by the rule, ignoring whether its node is ONLINE;
  // 0 for a resource without voters or an unknown replica. For seeding and tests.
  int64_t Value(uint32_t rd, uint32_t node) const;

 private:
  struct Replica {
    uint32_t node = sim::kNoIndex;
    sim::ReplicaKind kind = sim::ReplicaKind::kDiskful;
    std::map<uint32_t, int64_t> disks;   // volume number -> sim::DiskState
    std::map<uint32_t, bool> connected;  // peer node -> Connected
  };
  using Rd = std::vector<Replica>;  // alive replicas, in creation order

  Replica* Find(uint32_t rd, uint32_t node);
  const Replica* Find(uint32_t rd, uint32_t node) const;
  bool Online(uint32_t node) const;
  bool DisksAttached(const Replica& r) const;
  bool Votes(const Replica& peer) const;  // as a peer counts, seen from another replica
  int64_t Compute(const Rd& rd, const Replica& r, int32_t voters) const;
  void Emit(uint32_t rd, std::vector<QuorumUpdate>* out) const;
  void EmitNode(uint32_t node, std::vector<QuorumUpdate>* out) const;
  // Applies a transition to the replica state; false when it cannot change any quorum.
  bool Fold(const sim::Transition& t);

  std::map<uint32_t, Rd> rds_;
  std::vector<uint8_t> offline_;  // per node: 1 when known not ONLINE (default ONLINE)
};

}  // namespace lnsim::harness::internal
