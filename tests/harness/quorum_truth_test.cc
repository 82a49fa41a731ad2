// The verifier's ground truth for replica quorum is the rule docs/events.md "Quorum" documents
// (harness/internal/quorum_truth.h), derived from disks, links, replica kinds and node
// connections — not the world's own quorum attribute. Quorum is judged by default: a stream
// without the quorum events is `lost` with an example naming the quorum event; a scenario may
// opt out, and the events then count as `unjudged`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bridge/event.h"
#include "common/rng.h"
#include "harness/verifier.h"

namespace lnsim::harness {
namespace {

using sim::Attribute;
using sim::EntityKind;
using ::testing::HasSubstr;

constexpr int64_t kMs = 1'000'000;

// One resource (rd 0, volume 0) with a replica on each node; all UpToDate and Connected.
struct QuorumWorld {
  sim::Cluster cluster;
  std::vector<sim::Transition> trace;
  uint64_t seq = 0;

  explicit QuorumWorld(std::vector<sim::ReplicaKind> kinds) {
    sim::ResourceDefinition rd;
    rd.name = "pvc-q";
    rd.volumes.push_back(sim::VolumeDefinition{});
    for (uint32_t n = 0; n < kinds.size(); ++n) {
      sim::Node node;
      node.name = "node-" + std::to_string(n);
      cluster.nodes.push_back(node);
      sim::Replica r;
      r.rd = 0;
      r.node = n;
      r.kind = kinds[n];
      for (uint32_t p = 0; p < kinds.size(); ++p) {
        if (p != n) r.peers.push_back({p, sim::ConnState::kConnected});
      }
      sim::VolumeReplica v;
      v.disk = kinds[n] == sim::ReplicaKind::kDiskful ? sim::DiskState::kUpToDate
                                                      : sim::DiskState::kDiskless;
      r.volumes.push_back(v);
      rd.replicas.push_back(n);
      cluster.replicas.push_back(r);
    }
    cluster.rds.push_back(rd);
  }

  void Add(int64_t t_ms, sim::EntityRef e, Attribute attr, int64_t old_v, int64_t new_v) {
    sim::Transition t;
    t.time_ns = t_ms * kMs;
    t.seq = ++seq;
    t.entity = e;
    t.attr = attr;
    t.old_value = old_v;
    t.new_value = new_v;
    trace.push_back(t);
  }
  // Both ends of the link between nodes a and b.
  void Link(int64_t t_ms, uint32_t a, uint32_t b, bool up) {
    const auto c = static_cast<int64_t>(sim::ConnState::kConnected);
    const auto x = static_cast<int64_t>(sim::ConnState::kConnecting);
    Add(t_ms, {EntityKind::kPeerLink, 0, a, b}, Attribute::kConnState, up ? x : c, up ? c : x);
    Add(t_ms, {EntityKind::kPeerLink, 0, b, a}, Attribute::kConnState, up ? x : c, up ? c : x);
  }
  void Disk(int64_t t_ms, uint32_t node, sim::DiskState from, sim::DiskState to) {
    Add(t_ms, {EntityKind::kVolumeReplica, 0, node, 0}, Attribute::kDiskState,
        static_cast<int64_t>(from), static_cast<int64_t>(to));
  }
  void Online(int64_t t_ms, uint32_t node, bool online) {
    const auto on = static_cast<int64_t>(sim::NodeConnection::kOnline);
    const auto off = static_cast<int64_t>(sim::NodeConnection::kOffline);
    Add(t_ms, {EntityKind::kNode, node}, Attribute::kConnection, online ? off : on,
        online ? on : off);
  }
};

uint64_t Quorum(uint32_t node) { return MakeChannelKey(ChannelKind::kQuorum, 0, node); }

VerifierOptions Options() {
  VerifierOptions o;
  o.observation_bound_ns = 400 * kMs;
  o.match_slack_ns = 10 * kMs;
  return o;
}

// Feeds the world, then answers WorldValue after each prefix of its trace.
std::vector<int64_t> QuorumAfterEach(const QuorumWorld& w, uint32_t node) {
  std::vector<int64_t> out;
  Verifier v(Options(), 1);
  v.AddInitialState(w.cluster);
  out.push_back(v.WorldValue(Quorum(node)));
  for (const sim::Transition& t : w.trace) {
    v.AddTransitions(w.cluster, &t, &t + 1);
    out.push_back(v.WorldValue(Quorum(node)));
  }
  return out;
}

Observation Event(uint64_t seq, uint64_t channel, int64_t value, int64_t at_ms) {
  Observation o;
  o.id_hash = Fnv1a64("c/resource.pvc-q/" + std::to_string(seq));
  o.partition_hash = Fnv1a64("resource.pvc-q");
  o.sequence = seq;
  o.primary = {channel, value};
  o.observed_ns = at_ms * kMs;
  o.delivered_ns = (at_ms + 5) * kMs;
  return o;
}

Observation QuorumEvent(uint64_t seq, uint32_t node, int64_t value, int64_t at_ms) {
  return Event(seq, Quorum(node), value, at_ms);
}

uint64_t Link(uint32_t node, uint32_t peer) {
  return MakeChannelKey(ChannelKind::kPeerConnected, 0, node, peer);
}

const auto kDiskful = sim::ReplicaKind::kDiskful;
const auto kTieBreaker = sim::ReplicaKind::kTieBreaker;

TEST(QuorumTruthTest, AReplicaCutOffFromBothPeersLosesQuorumAndRegainsIt) {
  QuorumWorld w({kDiskful, kDiskful, kDiskful});
  w.Link(1000, 0, 1, false);  // 2 of 3 votes: still quorum
  w.Link(1000, 0, 2, false);  // 1 of 3: lost
  w.Link(3000, 0, 1, true);   // 2 of 3: regained
  EXPECT_EQ(QuorumAfterEach(w, 0), (std::vector<int64_t>{1, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(QuorumAfterEach(w, 1), (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1}));
}

TEST(QuorumTruthTest, TheWorldsOwnQuorumAttributeIsNotTheGroundTruth) {
  QuorumWorld w({kDiskful, kDiskful, kDiskful});
  w.Add(500, {EntityKind::kReplica, 0, 0}, Attribute::kQuorum, 1, 0);  // sim/drbd.cc's view
  EXPECT_EQ(QuorumAfterEach(w, 0), (std::vector<int64_t>{1, 1}));
}

TEST(QuorumTruthTest, AFailedDiskStopsVotingForItselfAndForItsPeers) {
  QuorumWorld w({kDiskful, kDiskful, kDiskful});
  w.Link(1000, 0, 2, false);
  w.Disk(2000, 1, sim::DiskState::kUpToDate, sim::DiskState::kFailed);  // node 0: 1 of 3
  w.Disk(3000, 1, sim::DiskState::kFailed, sim::DiskState::kOutdated);  // Outdated votes
  EXPECT_EQ(QuorumAfterEach(w, 0), (std::vector<int64_t>{1, 1, 1, 0, 1}));
  // Node 1 itself: its failed disk does not vote, both connected peers do (2 of 3).
  EXPECT_EQ(QuorumAfterEach(w, 1), (std::vector<int64_t>{1, 1, 1, 1, 1}));
}

TEST(QuorumTruthTest, ATieBreakerDecidesHalfTheVotes) {
  QuorumWorld w({kDiskful, kDiskful, kTieBreaker});
  w.Link(1000, 0, 1, false);  // 1 of 2, connected to the tie breaker: quorum
  w.Link(2000, 0, 2, false);  // 1 of 2, no tie breaker: lost
  EXPECT_EQ(QuorumAfterEach(w, 0), (std::vector<int64_t>{1, 1, 1, 0, 0}));
  // The tie breaker itself: 1 of 2 (node 1) plus itself as the tie breaker.
  EXPECT_EQ(QuorumAfterEach(w, 2).back(), 1);
}

TEST(QuorumTruthTest, UnknownWhileTheReplicasNodeIsOfflineAndAnOfflinePeerStillVotes) {
  QuorumWorld w({kDiskful, kDiskful, kDiskful});
  w.Online(1000, 0, false);
  w.Link(1100, 0, 1, false);  // node 0 OFFLINE: its quorum holds (unknown)
  w.Link(1100, 0, 2, false);
  // Node 1 OFFLINE with its link to node 2 up: the controller shows no disk of node 1, so
  // node 2 counts it even though it failed.
  w.Online(1200, 1, false);
  w.Disk(1300, 1, sim::DiskState::kUpToDate, sim::DiskState::kFailed);
  w.Online(2000, 0, true);  // known again: 1 of 3
  const std::vector<int64_t> q0 = QuorumAfterEach(w, 0);
  EXPECT_EQ(q0, (std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 0}));
  EXPECT_EQ(QuorumAfterEach(w, 2).back(), 1) << "node 2: itself + the OFFLINE node 1";
}

// The planted fault and its correct counterpart: the same world, judged by default.
QuorumWorld LossAndReturn() {
  QuorumWorld w({kDiskful, kDiskful, kDiskful});
  w.Link(1000, 0, 1, false);
  w.Link(1000, 0, 2, false);
  w.Link(3000, 0, 1, true);
  return w;
}

// What a correct bridge publishes for LossAndReturn, with or without its quorum events.
std::vector<Observation> LossAndReturnEvents(bool with_quorum) {
  std::vector<Observation> out = {Event(1, Link(0, 1), 0, 1100), Event(2, Link(1, 0), 0, 1100),
                                  Event(3, Link(0, 2), 0, 1100), Event(4, Link(2, 0), 0, 1100)};
  if (with_quorum) out.push_back(QuorumEvent(5, 0, 0, 1100));
  out.push_back(Event(6, Link(0, 1), 1, 3100));
  out.push_back(Event(7, Link(1, 0), 1, 3100));
  if (with_quorum) out.push_back(QuorumEvent(8, 0, 1, 3100));
  return out;
}

VerifierResult Judge(const QuorumWorld& w, const std::vector<Observation>& stream,
                     VerifierOptions options = Options()) {
  Verifier v(options, 1);
  v.AddInitialState(w.cluster);
  v.AddTransitions(w.cluster, w.trace);
  for (const Observation& o : stream) v.Observe(o);
  return v.Finish(6000 * kMs, &w.cluster);
}

TEST(QuorumTruthTest, TheQuorumEventsOfTheDocumentedRuleAreMatched) {
  const QuorumWorld w = LossAndReturn();
  const VerifierResult r = Judge(w, LossAndReturnEvents(true));
  EXPECT_EQ(r.per_consumer[0].matched, 8u);
  EXPECT_EQ(r.per_consumer[0].lost, 0u);
  EXPECT_EQ(r.per_consumer[0].phantom, 0u);
  EXPECT_EQ(r.per_consumer[0].unjudged, 0u);
  EXPECT_EQ(r.per_consumer[0].misordered, 0u);
  EXPECT_EQ(r.expected, 8u);
}

TEST(QuorumTruthTest, ABridgeThatDropsEveryQuorumEventIsLostWithAnExample) {
  const QuorumWorld w = LossAndReturn();
  const VerifierResult r = Judge(w, LossAndReturnEvents(false));
  // The loss is lost; the regain restores what the consumer still believes (it never heard of
  // the loss), so it is not counted a second time.
  EXPECT_EQ(r.per_consumer[0].lost, 1u);
  EXPECT_EQ(r.per_consumer[0].matched, 6u);
  const std::string label(bridge::EventLabel(bridge::EventType::kReplicaQuorumLost));
  std::vector<std::string> lost;
  for (const Example& e : r.examples[0]) {
    if (e.counter == "lost" && !e.events.empty()) lost.push_back(e.events[0]);
  }
  ASSERT_FALSE(lost.empty());
  EXPECT_THAT(lost[0], HasSubstr(label));
  EXPECT_THAT(lost[0], HasSubstr("node-0"));
}

TEST(QuorumTruthTest, AQuorumEventTheRuleNeverHeldIsPhantom) {
  const QuorumWorld w = LossAndReturn();
  std::vector<Observation> stream = LossAndReturnEvents(true);
  stream.push_back(QuorumEvent(9, 1, 0, 3200));  // node 1 kept quorum throughout
  const VerifierResult r = Judge(w, stream);
  EXPECT_EQ(r.per_consumer[0].phantom, 1u);
  EXPECT_EQ(r.per_consumer[0].lost, 0u);
}

TEST(QuorumTruthTest, AScenarioThatOptsOutCountsQuorumEventsUnjudged) {
  const QuorumWorld w = LossAndReturn();
  VerifierOptions options = Options();
  options.judged[static_cast<size_t>(ChannelKind::kQuorum)] = false;
  std::vector<Observation> stream = LossAndReturnEvents(false);
  stream.push_back(QuorumEvent(9, 1, 0, 3200));  // would be phantom if judged
  const VerifierResult r = Judge(w, stream, options);
  EXPECT_EQ(r.per_consumer[0].unjudged, 1u);
  EXPECT_EQ(r.per_consumer[0].phantom, 0u);
  EXPECT_EQ(r.per_consumer[0].lost, 0u);
}

}  // namespace
}  // namespace lnsim::harness
