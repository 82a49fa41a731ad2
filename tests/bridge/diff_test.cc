// The differ, one case per event type, plus the traps: a node going OFFLINE is not a detach or
// a disk change, resync progress is rate-limited, quorum is derived, order is deterministic, and
// NextBaseline carries last known values so a change after an outage is reported once.
#include "bridge/diff.h"

#include <gtest/gtest.h>

#include "bridge/snapshot.h"

namespace lnsim::bridge {
namespace {

// A 3-node cluster with one 3-replica resource "demo" (all diskful, all connected, UpToDate).
class DiffTest : public ::testing::Test {
 protected:
  Snapshot Base() {
    Snapshot s;
    for (const char* n : {"a", "b", "c"}) {
      s.nodes[n] = NodeState{n, "ONLINE", false};
      PoolState p;
      p.node = n;
      p.name = "pool1";
      p.provider_kind = "LVM_THIN";
      p.free_capacity_kib = 500;
      p.total_capacity_kib = 1000;
      s.pools[{n, "pool1"}] = p;
    }
    ResourceDefinitionState rd;
    rd.name = "demo";
    rd.resource_group = "DfltRscGrp";
    rd.volumes = {{0, 1024}};
    s.resource_definitions["demo"] = rd;
    for (const char* n : {"a", "b", "c"}) s.replicas["demo"][n] = Rep("demo", n, false);
    return s;
  }

  static Replica Rep(const std::string& rd, const std::string& node, bool diskless) {
    Replica r;
    r.resource = rd;
    r.node = node;
    r.diskless = diskless;
    r.live = true;
    r.in_use = Tri::kFalse;
    r.volumes = {{0, diskless ? "DfltDisklessStorPool" : "pool1",
                  diskless ? "Diskless" : "UpToDate", std::nullopt}};
    for (const char* p : {"a", "b", "c"}) {
      if (node != p) r.connections.push_back({p, p, true, "Connected"});
    }
    return r;
  }

  static Snapshot Fin(Snapshot s) {
    FinalizeSnapshot(&s, DiffOptions());
    return s;
  }

  std::vector<std::string> Types(const Snapshot& a, const Snapshot& b) {
    std::vector<std::string> out;
    for (const auto& e : Diff(a, b, opts_)) {
      std::string label(EventLabel(e.type));
      if (!e.node.empty()) label += "@" + e.node;
      if (!e.peer.empty()) label += "->" + e.peer;
      out.push_back(label);
    }
    return out;
  }

  static void SetConnected(Snapshot* s, const std::string& node, const std::string& peer, bool up) {
    for (auto& c : s->replicas["demo"][node].connections) {
      if (c.peer == peer) {
        c.connected = up;
        c.message = up ? "Connected" : "Connecting";
      }
    }
  }

  // Node `n` goes OFFLINE the way LINSTOR shows it: no live state on its replicas, peers see
  // their connection to it as Connecting.
  static Snapshot Offline(Snapshot s, const std::string& n) {
    s.nodes[n].connection_status = "OFFLINE";
    auto& r = s.replicas["demo"][n];
    r.live = false;
    r.in_use = Tri::kUnknown;
    r.connections.clear();
    r.volumes[0].disk_state.clear();
    s.pools[{n, "pool1"}].free_capacity_kib.reset();
    s.pools[{n, "pool1"}].total_capacity_kib.reset();
    for (auto& [node, rep] : s.replicas["demo"]) {
      if (node != n) SetConnected(&s, node, n, false);
    }
    return s;
  }

  DiffOptions opts_;
};

TEST_F(DiffTest, NoChangeNoEvents) {
  Snapshot s = Fin(Base());
  EXPECT_TRUE(Diff(s, s, opts_).empty());
  EXPECT_TRUE(Diff(Snapshot(), Snapshot(), opts_).empty());
}

TEST_F(DiffTest, NodeOfflineIsNotDetachOrDiskChange) {
  Snapshot before = Base();
  before.replicas["demo"]["a"].in_use = Tri::kTrue;
  before = Fin(before);
  Snapshot after = Fin(Offline(before, "a"));
  EXPECT_EQ(Types(before, after),
            (std::vector<std::string>{"node.offline@a", "replica.connection_lost@b->a",
                                      "replica.connection_lost@c->a"}));
  // The baseline keeps a's last known in_use and disk state.
  Snapshot next = NextBaseline(before, after, opts_);
  EXPECT_EQ(next.replicas["demo"]["a"].in_use, Tri::kTrue);
  EXPECT_EQ(next.replicas["demo"]["a"].volumes[0].disk_state, "UpToDate");
  // Coming back still Primary: only online + restored, no attach.
  Snapshot back = Fin(before);
  EXPECT_EQ(Types(next, back),
            (std::vector<std::string>{"node.online@a", "replica.connection_restored@b->a",
                                      "replica.connection_restored@c->a"}));
  // Coming back no longer Primary (it lost its Primary role while offline): one detach.
  Snapshot demoted = before;
  demoted.replicas["demo"]["a"].in_use = Tri::kFalse;
  demoted = Fin(demoted);
  auto types = Types(next, demoted);
  EXPECT_EQ(std::count(types.begin(), types.end(), "volume.detached@a"), 1);
  EXPECT_EQ(types.size(), 4u);
}

TEST_F(DiffTest, AttachDetach) {
  Snapshot a = Fin(Base());
  Snapshot b = a;
  b.replicas["demo"]["b"].in_use = Tri::kTrue;
  EXPECT_EQ(Types(a, b), (std::vector<std::string>{"volume.attached@b"}));
  EXPECT_EQ(Types(b, a), (std::vector<std::string>{"volume.detached@b"}));
  // Unknown in_use on a live replica is not a detach either.
  Snapshot c = b;
  c.replicas["demo"]["b"].in_use = Tri::kUnknown;
  EXPECT_TRUE(Types(b, c).empty());
}

TEST_F(DiffTest, MakeAvailableDisklessReplicaIsReplicaCreation) {
  Snapshot a = Base();
  a.nodes["d"] = NodeState{"d", "ONLINE", false};
  a = Fin(a);
  Snapshot b = a;
  Replica d = Rep("demo", "d", true);
  d.in_use = Tri::kTrue;
  b.replicas["demo"]["d"] = d;
  b = Fin(b);
  auto events = Diff(a, b, opts_);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[0].type, EventType::kReplicaCreated);
  EXPECT_TRUE(events[0].diskless);
  EXPECT_EQ(events[0].pool, "DfltDisklessStorPool");
  EXPECT_EQ(events[0].in_use, Tri::kTrue);
  EXPECT_EQ(events[1].type, EventType::kVolumeAttached);
  // Deleting it while attached: detach, then replica.deleted.
  EXPECT_EQ(Types(b, a), (std::vector<std::string>{"volume.detached@d", "replica.deleted@d"}));
}

TEST_F(DiffTest, ResourceCreatedAndDeletedFrameTheirReplicas) {
  Snapshot a = Fin(Base());
  Snapshot empty = a;
  empty.resource_definitions.clear();
  empty.replicas.clear();
  EXPECT_EQ(Types(empty, a), (std::vector<std::string>{"resource.created", "replica.created@a",
                                                       "replica.created@b", "replica.created@c"}));
  EXPECT_EQ(Types(a, empty), (std::vector<std::string>{"replica.deleted@a", "replica.deleted@b",
                                                       "replica.deleted@c", "resource.deleted"}));
  auto created = Diff(empty, a, opts_);
  EXPECT_EQ(created[0].resource_group, "DfltRscGrp");
  ASSERT_EQ(created[0].volumes.size(), 1u);
  EXPECT_EQ(created[0].volumes[0].size_kib, 1024);
  for (const auto& e : created) EXPECT_EQ(PartitionKey(e), "resource.demo");
}

TEST_F(DiffTest, Resize) {
  Snapshot a = Fin(Base());
  Snapshot b = a;
  b.resource_definitions["demo"].volumes[0].size_kib = 2048;
  auto events = Diff(a, b, opts_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kVolumeResized);
  EXPECT_EQ(events[0].volume_number, 0);
  EXPECT_EQ(events[0].old_size_kib, 1024);
  EXPECT_EQ(events[0].new_size_kib, 2048);
}

TEST_F(DiffTest, DiskStateChangeAndResyncRateLimit) {
  Snapshot a = Fin(Base());
  auto with = [&](const std::string& state, std::optional<double> pct) {
    Snapshot s = a;
    s.replicas["demo"]["c"].volumes[0].disk_state = state;
    s.replicas["demo"]["c"].volumes[0].done_percentage = pct;
    return Fin(s);
  };
  Snapshot base = a;
  Snapshot s1 = with("SyncTarget", 1.0);
  auto e1 = Diff(base, s1, opts_);
  ASSERT_EQ(e1.size(), 1u);
  EXPECT_EQ(e1[0].type, EventType::kReplicaDiskStateChanged);
  EXPECT_EQ(e1[0].old_state, "UpToDate");
  EXPECT_EQ(e1[0].new_state, "SyncTarget");
  EXPECT_DOUBLE_EQ(*e1[0].done_percentage, 1.0);
  base = NextBaseline(base, s1, opts_);
  // 1% -> 5% -> 9%: under the 10-point step, nothing; 11.5% is reported.
  int reported = 0;
  for (double pct : {5.0, 9.0, 11.5, 15.0, 21.0, 50.0, 99.0}) {
    Snapshot s = with("SyncTarget", pct);
    auto ev = Diff(base, s, opts_);
    reported += static_cast<int>(ev.size());
    if (pct == 9.0) {
      EXPECT_TRUE(ev.empty());
    }
    if (pct == 11.5) {
      EXPECT_EQ(ev.size(), 1u);
    }
    if (pct == 15.0) {
      EXPECT_TRUE(ev.empty());
    }
    base = NextBaseline(base, s, opts_);
  }
  EXPECT_EQ(reported, 3);  // 11.5, 50, 99 (21 is 9.5 points after 11.5)
  Snapshot done = with("UpToDate", std::nullopt);
  auto e2 = Diff(base, done, opts_);
  ASSERT_EQ(e2.size(), 1u);
  EXPECT_EQ(e2[0].new_state, "UpToDate");
}

TEST_F(DiffTest, ConnectionLostAndRestoredPerPeer) {
  Snapshot a = Fin(Base());
  Snapshot b = a;
  SetConnected(&b, "a", "b", false);
  b = Fin(b);
  auto events = Diff(a, b, opts_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kReplicaConnectionLost);
  EXPECT_EQ(events[0].node, "a");
  EXPECT_EQ(events[0].peer, "b");
  EXPECT_EQ(events[0].old_state, "Connected");
  EXPECT_EQ(events[0].new_state, "Connecting");
  EXPECT_EQ(Types(b, a), (std::vector<std::string>{"replica.connection_restored@a->b"}));
}

TEST_F(DiffTest, QuorumDerivedFromDiskfulPeers) {
  Snapshot a = Fin(Base());
  for (const auto& [n, r] : a.replicas["demo"]) {
    EXPECT_EQ(r.quorum, Tri::kTrue) << n;
    EXPECT_EQ(r.quorum_votes, 3);
    EXPECT_EQ(r.quorum_voters, 3);
  }
  // a is cut off from b and c: a loses quorum (1 of 3), b and c keep it (2 of 3).
  Snapshot b = Base();
  SetConnected(&b, "a", "b", false);
  SetConnected(&b, "a", "c", false);
  SetConnected(&b, "b", "a", false);
  SetConnected(&b, "c", "a", false);
  b = Fin(b);
  EXPECT_EQ(b.replicas["demo"]["a"].quorum, Tri::kFalse);
  EXPECT_EQ(b.replicas["demo"]["b"].quorum, Tri::kTrue);
  auto types = Types(a, b);
  EXPECT_NE(std::find(types.begin(), types.end(), "replica.quorum_lost@a"), types.end());
  EXPECT_EQ(std::count_if(types.begin(), types.end(),
                          [](const std::string& t) { return t.find("quorum") != t.npos; }),
            1);
  auto back = Types(b, a);
  EXPECT_NE(std::find(back.begin(), back.end(), "replica.quorum_regained@a"), back.end());
  // A Failed disk does not vote: with b Failed, a cut off from c has 1 of 3.
  Snapshot c = Base();
  c.replicas["demo"]["b"].volumes[0].disk_state = "Failed";
  SetConnected(&c, "a", "c", false);
  c = Fin(c);
  EXPECT_EQ(c.replicas["demo"]["a"].quorum, Tri::kFalse);
  EXPECT_EQ(c.replicas["demo"]["a"].quorum_votes, 1);
}

TEST_F(DiffTest, QuorumTieBrokenByTieBreaker) {
  Snapshot s;
  for (const char* n : {"a", "b", "t"}) s.nodes[n] = NodeState{n, "ONLINE", false};
  for (const char* n : {"a", "b"}) s.replicas["r"][n] = Rep("r", n, false);
  Replica t = Rep("r", "t", true);
  t.tie_breaker = true;
  s.replicas["r"]["t"] = t;
  for (auto& [n, r] : s.replicas["r"]) {
    r.resource = "r";
    r.connections.erase(std::remove_if(r.connections.begin(), r.connections.end(),
                                       [](const PeerConnection& c) { return c.peer == "c"; }),
                        r.connections.end());
    if (n != "t") r.connections.push_back({"t", "t", true, "Connected"});
    std::sort(r.connections.begin(), r.connections.end(),
              [](const auto& x, const auto& y) { return x.peer < y.peer; });
  }
  // a loses b but still sees the tiebreaker: 1 of 2 plus tiebreaker = quorum.
  for (auto& c : s.replicas["r"]["a"].connections) {
    if (c.peer == "b") c.connected = false;
  }
  for (auto& c : s.replicas["r"]["b"].connections) {
    if (c.peer == "a" || c.peer == "t") c.connected = false;
  }
  FinalizeSnapshot(&s, opts_);
  EXPECT_EQ(s.replicas["r"]["a"].quorum, Tri::kTrue);
  EXPECT_EQ(s.replicas["r"]["b"].quorum, Tri::kFalse);
}

TEST_F(DiffTest, OfflineReplicaQuorumIsUnknownNotLost) {
  Snapshot a = Fin(Base());
  Snapshot b = Fin(Offline(a, "a"));
  EXPECT_EQ(b.replicas["demo"]["a"].quorum, Tri::kUnknown);
  for (const auto& t : Types(a, b)) EXPECT_EQ(t.find("quorum"), std::string::npos) << t;
}

TEST_F(DiffTest, PoolCapacityLowAndOk) {
  Snapshot a = Fin(Base());
  Snapshot b = Base();
  b.pools[{"b", "pool1"}].free_capacity_kib = 50;  // 5% < 10%
  b = Fin(b);
  auto events = Diff(a, b, opts_);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EventType::kPoolCapacityLow);
  EXPECT_EQ(events[0].node, "b");
  EXPECT_EQ(events[0].pool, "pool1");
  EXPECT_EQ(events[0].free_capacity_kib, 50);
  EXPECT_EQ(PartitionKey(events[0]), "pool.b.pool1");
  EXPECT_EQ(Types(b, a), (std::vector<std::string>{"pool.capacity_ok@b"}));
  // Capacities missing while the node is offline: unknown, no event, baseline keeps "low".
  Snapshot c = Fin(Offline(b, "b"));
  for (const auto& t : Types(b, c)) EXPECT_EQ(t.find("pool"), std::string::npos) << t;
  Snapshot kept = NextBaseline(b, c, opts_);
  EXPECT_EQ(kept.pools[std::make_pair(std::string("b"), std::string("pool1"))].low, Tri::kTrue);
}

TEST_F(DiffTest, NodeEvicted) {
  Snapshot a = Fin(Offline(Base(), "c"));
  Snapshot b = a;
  b.nodes["c"].evicted = true;
  EXPECT_EQ(Types(a, b), (std::vector<std::string>{"node.evicted@c"}));
}

TEST_F(DiffTest, DeterministicOrderAcrossEntities) {
  Snapshot a = Fin(Base());
  Snapshot b = Base();
  b.nodes["b"].connection_status = "OFFLINE";
  b.pools[{"a", "pool1"}].free_capacity_kib = 1;
  b.replicas["demo"]["c"].in_use = Tri::kTrue;
  b.resource_definitions["demo"].volumes[0].size_kib = 4096;
  b = Fin(b);
  const auto first = Diff(a, b, opts_);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Diff(a, b, opts_), first);
  ASSERT_GE(first.size(), 4u);
  EXPECT_EQ(first[0].type, EventType::kNodeOffline);
  EXPECT_EQ(first[1].type, EventType::kPoolCapacityLow);
  EXPECT_EQ(first[2].type, EventType::kVolumeResized);
  EXPECT_EQ(first.back().type, EventType::kVolumeAttached);
}

TEST(MirrorEntryTest, RoundTripAndTombstone) {
  Snapshot s;
  s.nodes["n.1"] = NodeState{"N.1", "ONLINE", false};
  ResourceDefinitionState rd{"R1", "grp", {{0, 10}}};
  s.resource_definitions["r1"] = rd;
  Replica r;
  r.resource = "R1";
  r.node = "N.1";
  r.live = true;
  r.in_use = Tri::kTrue;
  r.volumes = {{0, "pool1", "SyncTarget", 42.5}};
  r.connections = {{"n.2", "N.2", true, "Connected"}};
  r.quorum = Tri::kTrue;
  s.replicas["r1"]["n.1"] = r;
  const auto keys = SnapshotKeys(s);
  ASSERT_EQ(keys, (std::vector<std::string>{"node.n=2e1", "resource.r1"}));
  Snapshot rebuilt;
  for (const auto& key : keys) {
    MirrorEntry e;
    ASSERT_TRUE(FillMirrorEntry(s, key, &e));
    e.sequence = 9;
    e.pending = {"{\"x\":1}"};
    auto back = DecodeMirrorEntry(key, EncodeMirrorEntry(e));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, e);
    ApplyMirrorEntry(*back, &rebuilt);
  }
  EXPECT_EQ(rebuilt, s);
  MirrorEntry gone;
  EXPECT_FALSE(FillMirrorEntry(s, "resource.other", &gone));
  EXPECT_EQ(DecodeMirrorEntry("k", "{not json").status().code(), StatusCode::kDataLoss);
}

// The state-mirror keys to rewrite: exactly the entities that differ or exist on one side only,
// each once (a resource whose definition and replicas both changed is one key), sorted.
TEST_F(DiffTest, ChangedPartitionKeys) {
  const Snapshot a = Fin(Base());
  EXPECT_TRUE(ChangedPartitionKeys(a, a).empty());
  Snapshot b = a;
  b.nodes["b"].connection_status = "OFFLINE";                 // node.b
  b.pools[{"c", "pool1"}].free_capacity_kib = 10;             // pool.c.pool1
  b.resource_definitions["demo"].volumes[0].size_kib = 2048;  // resource.demo ...
  b.replicas["demo"]["a"].in_use = Tri::kTrue;                // ... once
  b.replicas["zeta"]["a"] = Rep("zeta", "a", false);          // only in b (no definition)
  b.nodes.erase("a");                                         // only in a
  const std::vector<std::string> want = {"node.a", "node.b", "pool.c.pool1", "resource.demo",
                                         "resource.zeta"};
  EXPECT_EQ(ChangedPartitionKeys(a, b), want);
  EXPECT_EQ(ChangedPartitionKeys(b, a), want);
}

}  // namespace
}  // namespace lnsim::bridge
