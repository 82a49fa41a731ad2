// The verifier catches what it claims: a fault-injecting publisher wrapped around a perfect
// polling bridge drops, duplicates, redelivers, reorders, delays and invents events, and each is
// counted exactly; a differ with attach and detach swapped fails; coalesced and hidden (node
// offline) changes are not lost.
#include "harness/verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "common/rng.h"
#include "harness/observation.h"
#include "tests/harness/testutil_standin.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using testing::FaultyPublisher;
using testing::MiniWorld;
using testing::PerfectBridge;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kPollMs = 100;
constexpr int64_t kEndMs = 12000;

VerifierOptions Options() {
  VerifierOptions o;
  o.observation_bound_ns = 2 * (kPollMs + kPollMs) * kMs;  // poll + request timeout, doubled
  o.match_slack_ns = 10 * kMs;
  return o;
}

// The world of the fault test; the comments give the perfect stream's event index.
MiniWorld ScriptedWorld() {
  MiniWorld w(3, 4);
  w.InUse(1000, 0, 0, true);   // e0
  w.InUse(2000, 1, 1, true);   // e1
  w.InUse(3000, 0, 0, false);  // e2   (same poll and partition as e3)
  w.InUse(3000, 0, 1, true);   // e3
  w.InUse(4000, 2, 2, true);   // e4
  w.InUse(4510, 1, 0, true);   // flips back within one poll: coalesced
  w.InUse(4540, 1, 0, false);
  w.Online(5000, 2, false);    // e5
  w.InUse(6000, 2, 2, false);  // hidden while node-2 is offline; e7 once it is back
  w.InUse(6500, 3, 2, true);   // hidden and reverted while offline: coalesced, never owed
  w.InUse(6800, 3, 2, false);
  w.Online(8000, 2, true);      // e6
  w.InUse(9000, 1, 1, false);   // e8
  w.InUse(10000, 0, 1, false);  // e9
  w.InUse(11000, 1, 2, true);   // e10 (final state)
  return w;
}

TEST(VerifierTest, PerfectStreamIsCleanAndCoalescedIsNotLost) {
  MiniWorld w = ScriptedWorld();
  Verifier v(Options(), 1);
  v.AddTransitions(w.cluster, w.trace);
  const auto stream = PerfectBridge(w, kPollMs, kEndMs, 2, 0);
  ASSERT_EQ(stream.size(), 11u);
  for (const auto& o : stream) v.Observe(o);
  const VerifierResult r = v.Finish(kEndMs * kMs, &w.cluster);
  const VerdictCounters& c = r.per_consumer[0];
  EXPECT_EQ(c.delivered, 11u);
  EXPECT_EQ(c.matched, 11u);
  EXPECT_EQ(c.lost, 0u) << (r.lost_samples[0].empty() ? "" : r.lost_samples[0][0]);
  EXPECT_EQ(c.duplicated, 0u);
  EXPECT_EQ(c.redelivered, 0u);
  EXPECT_EQ(c.reordered, 0u);
  EXPECT_EQ(c.phantom, 0u);
  EXPECT_EQ(c.late, 0u);
  EXPECT_EQ(c.coalesced, 2u);
  EXPECT_TRUE(r.converged[0]);
  EXPECT_EQ(r.expected, 11u);
  // World changes happen at poll instants and delivery takes 2 ms, so end to end is 2 ms for
  // every event, including the one hidden while its node was offline (measured from when it
  // became observable, not from when it happened).
  const Histogram& e2e = r.latency[static_cast<int>(Stage::kEndToEnd)];
  EXPECT_EQ(e2e.count(), 11u);
  EXPECT_EQ(e2e.max(), static_cast<uint64_t>(2 * kMs));
  EXPECT_EQ(r.latency[static_cast<int>(Stage::kObserve)].max(), 0u);
}

TEST(VerifierTest, EachInjectedFaultIsCountedExactly) {
  MiniWorld w = ScriptedWorld();
  Verifier v(Options(), 2);
  v.AddTransitions(w.cluster, w.trace);
  const auto perfect = PerfectBridge(w, kPollMs, kEndMs, 2, 1);
  ASSERT_EQ(perfect.size(), 11u);
  Observation phantom = perfect[0];
  phantom.id_hash = Fnv1a64("c/invented/1");
  phantom.partition_hash = Fnv1a64("resource.invented");
  phantom.sequence = 1;
  phantom.primary = {MakeChannelKey(ChannelKind::kReplicaInUse, 3, 0), 1};  // never in use
  const auto stream = FaultyPublisher(perfect)
                          .Drop(1)               // attach pvc-1/node-1: lost
                          .Redeliver(0)          // raw redelivery, dropped by dedup
                          .Swap(2)               // e2 <-> e3, same partition key: reordered
                          .Duplicate(4)          // processed twice: duplicated (and redelivered)
                          .Delay(9, 2000 * kMs)  // late
                          .Drop(10)              // the final state never converges: lost
                          .Invent(phantom)       // phantom
                          .Stream();
  // Consumer 0 gets the perfect stream, consumer 1 the faulty one: counted apart.
  for (auto o : PerfectBridge(w, kPollMs, kEndMs, 2, 0)) v.Observe(o);
  for (const auto& o : stream) v.Observe(o);
  const VerifierResult r = v.Finish(kEndMs * kMs, &w.cluster);

  const VerdictCounters& good = r.per_consumer[0];
  EXPECT_EQ(
      good.lost + good.duplicated + good.redelivered + good.reordered + good.phantom + good.late,
      0u);
  const VerdictCounters& bad = r.per_consumer[1];
  EXPECT_EQ(bad.delivered, 12u);
  EXPECT_EQ(bad.lost, 2u);
  EXPECT_EQ(bad.duplicated, 1u);
  EXPECT_EQ(bad.redelivered, 2u);
  EXPECT_EQ(bad.reordered, 1u);
  EXPECT_EQ(bad.late, 1u);
  EXPECT_EQ(bad.phantom, 1u);
  EXPECT_TRUE(r.converged[0]);
  EXPECT_FALSE(r.converged[1]);
  ASSERT_EQ(r.lost_samples[1].size(), 2u);
  EXPECT_EQ(r.lost_samples[1][0].rfind("in_use pvc-1/node-1 = 1 at 2000ms", 0), 0u)
      << r.lost_samples[1][0];
  EXPECT_NE(r.lost_samples[1][1].find("(final state)"), std::string::npos);
  EXPECT_EQ(r.totals.lost, 2u);
  EXPECT_EQ(r.totals.phantom, 1u);
}

TEST(VerifierTest, DifferWithAttachAndDetachSwappedFails) {
  MiniWorld w = ScriptedWorld();
  Verifier v(Options(), 1);
  v.AddTransitions(w.cluster, w.trace);
  for (const auto& o : PerfectBridge(w, kPollMs, kEndMs, 2, 0, /*swap_attach_detach=*/true)) {
    v.Observe(o);
  }
  const VerifierResult r = v.Finish(kEndMs * kMs);
  EXPECT_GT(r.per_consumer[0].lost, 0u);
  EXPECT_FALSE(r.converged[0]);
}

TEST(VerifierTest, ValueSupersededLongBeforeTheObservationIsPhantom) {
  MiniWorld w(1, 1);
  w.InUse(1000, 0, 0, true);
  w.InUse(2000, 0, 0, false);
  Verifier v(Options(), 1);
  v.AddTransitions(w.cluster, w.trace);
  Observation o;
  o.id_hash = 1;
  o.partition_hash = 1;
  o.sequence = 1;
  o.primary = {MakeChannelKey(ChannelKind::kReplicaInUse, 0, 0), 1};
  o.observed_ns = 5000 * kMs;  // "attached" observed 3 s after the detach: nothing explains it
  o.delivered_ns = 5001 * kMs;
  v.Observe(o);
  const VerifierResult r = v.Finish(6000 * kMs);
  EXPECT_EQ(r.per_consumer[0].phantom, 1u);
}

TEST(VerifierTest, ChangesBeforeTheBaselineAreTheInitialState) {
  MiniWorld w(1, 1);
  w.InUse(1000, 0, 0, true);  // before the bridge's first poll
  VerifierOptions options = Options();
  options.baseline_ns = 1500 * kMs;
  Verifier v(options, 1);
  v.AddTransitions(w.cluster, w.trace);
  const VerifierResult r = v.Finish(5000 * kMs);
  EXPECT_EQ(r.per_consumer[0].lost, 0u);
  EXPECT_EQ(r.expected, 0u);
}

TEST(VerifierTest, FaultWindowsReportEventsDetectAndDrain) {
  MiniWorld w = ScriptedWorld();
  VerifierOptions options = Options();
  options.faults.push_back({"node-crash", "node-2", 5000 * kMs, 8000 * kMs});
  Verifier v(options, 1);
  v.AddTransitions(w.cluster, w.trace);
  for (const auto& o : PerfectBridge(w, kPollMs, kEndMs, 2, 0)) v.Observe(o);
  const VerifierResult r = v.Finish(kEndMs * kMs);
  ASSERT_EQ(r.faults.size(), 1u);
  EXPECT_EQ(r.faults[0].events_in_window, 1u);  // node-2 offline
  ASSERT_TRUE(r.faults[0].detect_ms.has_value());
  EXPECT_DOUBLE_EQ(*r.faults[0].detect_ms, 2.0);
  ASSERT_TRUE(r.faults[0].recover_ms.has_value());
  EXPECT_DOUBLE_EQ(*r.faults[0].recover_ms, 2.0);  // node-2 online at 8000, delivered 8002
}

TEST(VerifierTest, DiskStateFollowsLinstorRenderingOfResync) {
  // A volume going Outdated -> Inconsistent + SyncTarget peer + progress renders "SyncTarget".
  sim::Cluster cluster;
  cluster.nodes.resize(2);
  cluster.rds.resize(1);
  std::vector<sim::Transition> trace;
  uint64_t seq = 0;
  auto add = [&](int64_t ms, sim::EntityRef e, sim::Attribute a, int64_t from, int64_t to) {
    sim::Transition t;
    t.time_ns = ms * kMs;
    t.seq = ++seq;
    t.entity = e;
    t.attr = a;
    t.old_value = from;
    t.new_value = to;
    trace.push_back(t);
  };
  using sim::Attribute;
  using sim::EntityKind;
  const sim::EntityRef vol{EntityKind::kVolumeReplica, 0, 0, 0};
  const sim::EntityRef peer_vol{EntityKind::kPeerVolume, 0, 0, 1, 0};
  add(0, vol, Attribute::kDiskState, sim::kAbsent, static_cast<int64_t>(sim::DiskState::kUpToDate));
  add(1000, vol, Attribute::kDiskState, static_cast<int64_t>(sim::DiskState::kUpToDate),
      static_cast<int64_t>(sim::DiskState::kInconsistent));
  add(1000, peer_vol, Attribute::kReplState, static_cast<int64_t>(sim::ReplState::kEstablished),
      static_cast<int64_t>(sim::ReplState::kSyncTarget));
  add(1000, vol, Attribute::kDonePercentage, sim::kAbsent, 0);
  add(2000, vol, Attribute::kDonePercentage, 0, 5000);
  add(3000, vol, Attribute::kDiskState, static_cast<int64_t>(sim::DiskState::kInconsistent),
      static_cast<int64_t>(sim::DiskState::kUpToDate));
  Verifier v(Options(), 1);
  v.AddTransitions(cluster, trace);
  const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, 0, 0, 0);
  EXPECT_EQ(v.WorldValue(key), static_cast<int64_t>(sim::DiskState::kUpToDate));
  Observation o;
  o.id_hash = 1;
  o.partition_hash = 1;
  o.sequence = 1;
  o.primary = {key, kDiskLabelSyncTarget};
  o.observed_ns = 1100 * kMs;
  o.delivered_ns = 1101 * kMs;
  v.Observe(o);
  o.id_hash = 2;
  o.sequence = 2;
  o.primary = {key, DiskLabelValue("UpToDate")};
  o.observed_ns = 3100 * kMs;
  o.delivered_ns = 3101 * kMs;
  v.Observe(o);
  const VerifierResult r = v.Finish(5000 * kMs);
  EXPECT_EQ(r.per_consumer[0].phantom, 0u);
  EXPECT_EQ(r.per_consumer[0].lost, 0u);
  EXPECT_EQ(r.per_consumer[0].matched, 2u);
}

TEST(ObservationDecoderTest, MapsEnvelopeEventsToWorldChannels) {
  MiniWorld w(3, 2);
  ObservationDecoder decoder(w.cluster, /*world_epoch_unix_ns=*/1'000'000'000);
  std::vector<Assertion> extras;
  bridge::Event e;
  e.cluster = "c";
  e.partition_key = "resource.pvc-1";
  e.sequence = 4;
  e.time_unix_ns = 1'500'000'000;
  e.body.type = bridge::EventType::kVolumeAttached;
  e.body.resource = "PVC-1";  // LINSTOR names are case-insensitive
  e.body.node = "node-2";
  Observation o;
  decoder.FromEvent(e, &o, &extras);
  EXPECT_EQ(o.primary.channel, MakeChannelKey(ChannelKind::kReplicaInUse, 1, 2));
  EXPECT_EQ(o.primary.value, 1);
  EXPECT_EQ(o.observed_ns, 500'000'000);
  EXPECT_EQ(o.sequence, 4u);

  e.body = {};
  e.body.type = bridge::EventType::kReplicaCreated;
  e.body.resource = "pvc-0";
  e.body.node = "node-1";
  e.body.in_use = bridge::Tri::kTrue;
  e.body.volumes = {{0, -1, "UpToDate"}, {1, -1, "SyncTarget"}};
  o = Observation{};
  decoder.FromEvent(e, &o, &extras);
  EXPECT_EQ(o.primary.channel, MakeChannelKey(ChannelKind::kReplicaExists, 0, 1));
  ASSERT_EQ(extras.size(), 3u);
  EXPECT_EQ(o.extra_count, 3u);
  EXPECT_EQ(extras[0].channel, MakeChannelKey(ChannelKind::kReplicaInUse, 0, 1));
  EXPECT_EQ(extras[2].value, kDiskLabelSyncTarget);
  EXPECT_EQ(o.progress, kNoTime);

  e.body = {};
  e.body.type = bridge::EventType::kReplicaDiskStateChanged;
  e.body.resource = "pvc-0";
  e.body.node = "node-1";
  e.body.volume_number = 0;
  e.body.old_state = "SyncTarget";
  e.body.new_state = "SyncTarget";
  e.body.done_percentage = 31.39;
  decoder.FromEvent(e, &o, &extras);
  EXPECT_EQ(o.primary.channel, MakeChannelKey(ChannelKind::kDiskLabel, 0, 1, 0));
  EXPECT_EQ(o.primary.value, kDiskLabelSyncTarget);
  EXPECT_EQ(o.progress, 3139) << "resync progress in hundredths of a percent";

  e.body = {};
  e.body.type = bridge::EventType::kNodeOffline;
  e.body.node = "no-such-node";
  decoder.FromEvent(e, &o, &extras);
  EXPECT_EQ(o.primary.channel, 0u) << "an unknown name resolves to channel 0: phantom";

  Delivery garbage;
  garbage.payload = "{not json";
  garbage.id = "x";
  EXPECT_THAT(decoder.Decode(garbage, &o, &extras), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_EQ(o.primary.channel, 0u);
}

TEST(ObservationDecoderTest, DecodesTheBridgesOwnEnvelope) {
  MiniWorld w(2, 1);
  ObservationDecoder decoder(w.cluster, 0);
  bridge::Event e;
  e.cluster = "c";
  e.body.type = bridge::EventType::kVolumeDetached;
  e.body.resource = "pvc-0";
  e.body.node = "node-1";
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = 2;
  e.time_unix_ns = 77;
  Delivery d;
  d.payload = bridge::EncodeEvent(e);
  d.id = e.Id();
  d.content_type = bridge::kCloudEventsJson;
  d.delivered_unix_ns = 100;
  Observation o;
  std::vector<Assertion> extras;
  const Status s = decoder.Decode(d, &o, &extras);
  ASSERT_TRUE(s.ok()) << s.ToString() << " " << d.payload;
  EXPECT_EQ(o.primary.channel, MakeChannelKey(ChannelKind::kReplicaInUse, 0, 1));
  EXPECT_EQ(o.primary.value, 0);
  EXPECT_EQ(o.observed_ns, 77);
  EXPECT_EQ(o.delivered_ns, 100);
  EXPECT_EQ(o.id_hash, Fnv1a64(e.Id()));
}

}  // namespace
}  // namespace lnsim::harness

namespace lnsim::harness {
namespace {

// The bridge reads its first snapshot at an unknown instant between its start and the moment
// it reports ready (the baseline): a consumer may begin from any value held in that window, but
// a value the world never held there is still owed.
TEST(VerifierTest, FirstSnapshotMayHoldAnyValueOfTheBaselineWindow) {
  MiniWorld w(1, 3);
  w.InUse(200, 0, 0, true);   // inside the window [100ms, 250ms]
  w.InUse(300, 0, 0, false);  // after the baseline: 0 was held in the window, nothing owed
  w.InUse(400, 0, 1, true);   // after the baseline, never held in the window: owed
  auto run = [&](int64_t window_start_ms) {
    VerifierOptions o = Options();
    o.baseline_ns = 250 * kMs;
    o.baseline_window_start_ns = window_start_ms * kMs;
    Verifier v(o, 1);
    v.AddTransitions(w.cluster, w.trace);
    return v.Finish(kEndMs * kMs, &w.cluster);
  };
  const VerifierResult wide = run(100);
  EXPECT_EQ(wide.per_consumer[0].lost, 1u);
  EXPECT_FALSE(wide.converged[0]);
  // Read exactly at the baseline (while in use): the detach is owed as well.
  const VerifierResult sharp = run(250);
  EXPECT_EQ(sharp.per_consumer[0].lost, 2u);
}

// A replica (with a peer link) created at `created_ms`, the link connecting then connected at
// `connected_ms` and, when `dropped_ms` > 0, disconnected again then. No event is delivered.
VerifierResult JudgeSilentNewReplica(int64_t created_ms, int64_t connected_ms, int64_t dropped_ms) {
  sim::Cluster cluster;
  cluster.nodes.resize(2);
  cluster.rds.resize(1);
  std::vector<sim::Transition> trace;
  uint64_t seq = 0;
  auto add = [&](int64_t ms, sim::EntityRef e, sim::Attribute a, int64_t from, int64_t to) {
    sim::Transition t;
    t.time_ns = ms * kMs;
    t.seq = ++seq;
    t.entity = e;
    t.attr = a;
    t.old_value = from;
    t.new_value = to;
    trace.push_back(t);
  };
  using sim::Attribute;
  using sim::EntityKind;
  const auto connecting = static_cast<int64_t>(sim::ConnState::kConnecting);
  const auto connected = static_cast<int64_t>(sim::ConnState::kConnected);
  const sim::EntityRef replica{EntityKind::kReplica, 0, 0};
  const sim::EntityRef link{EntityKind::kPeerLink, 0, 0, 1};
  add(created_ms, replica, Attribute::kExists, sim::kAbsent, 1);
  add(created_ms, link, Attribute::kConnState, sim::kAbsent, connecting);
  add(connected_ms, link, Attribute::kConnState, connecting, connected);
  if (dropped_ms > 0) add(dropped_ms, link, Attribute::kConnState, connected, connecting);
  VerifierOptions o = Options();  // bound 400 ms
  o.baseline_window_start_ns = 100 * kMs;
  o.baseline_ns = 250 * kMs;
  Verifier v(o, 1);
  v.AddTransitions(cluster, trace);
  return v.Finish(kEndMs * kMs);
}

// An entity created while the bridge read its first snapshot may be in that snapshot (no
// replica.created ever comes) or not (the bridge first sees it at its next poll, already
// connected, and reports the creation at most). Either way the link's settling right after the
// baseline is part of how the consumer first learns the replica, not a change it is owed.
TEST(VerifierTest, EntityCreatedInsideTheBaselineWindowOwesNoEventsForItsFirstValues) {
  const VerifierResult r = JudgeSilentNewReplica(200, 300, 0);
  EXPECT_EQ(r.per_consumer[0].lost, 0u) << (r.lost_samples[0].empty() ? "" : r.lost_samples[0][0]);
  EXPECT_TRUE(r.converged[0]);
}

// The same silent replica created after the window: its creation is owed (lost), so treating
// creations in the window like values in it does not excuse later ones.
TEST(VerifierTest, EntityCreatedAfterTheBaselineWindowWithoutAnEventIsLost) {
  const VerifierResult r = JudgeSilentNewReplica(350, 450, 0);
  EXPECT_EQ(r.per_consumer[0].lost, 1u);
  ASSERT_EQ(r.lost_samples[0].size(), 1u);
  EXPECT_NE(r.lost_samples[0][0].find("replica_exists"), std::string::npos) << r.lost_samples[0][0];
  EXPECT_FALSE(r.converged[0]);
}

// Created inside the window, but a link change long after it has settled is still owed.
TEST(VerifierTest, LaterChangesOfAnEntityCreatedInTheWindowAreStillOwed) {
  const VerifierResult r = JudgeSilentNewReplica(200, 300, 3000);
  EXPECT_EQ(r.per_consumer[0].lost, 1u);
  ASSERT_EQ(r.lost_samples[0].size(), 1u);
  EXPECT_NE(r.lost_samples[0][0].find("peer_connected"), std::string::npos) << r.lost_samples[0][0];
}

// Resync progress: the bridge reports SyncTarget -> SyncTarget every few percent. Such an event
// carries the percentage a world transition set, so its latency runs from that transition; a
// stale percentage is measured from when the world held it and can still be late.
TEST(VerifierTest, ResyncProgressIsTimedFromThePercentageItCarries) {
  sim::Cluster cluster;
  cluster.nodes.resize(2);
  cluster.rds.resize(1);
  std::vector<sim::Transition> trace;
  uint64_t seq = 0;
  auto add = [&](int64_t ms, sim::EntityRef e, sim::Attribute a, int64_t from, int64_t to) {
    sim::Transition t;
    t.time_ns = ms * kMs;
    t.seq = ++seq;
    t.entity = e;
    t.attr = a;
    t.old_value = from;
    t.new_value = to;
    trace.push_back(t);
  };
  using sim::Attribute;
  using sim::EntityKind;
  const sim::EntityRef vol{EntityKind::kVolumeReplica, 0, 0, 0};
  const sim::EntityRef peer_vol{EntityKind::kPeerVolume, 0, 0, 1, 0};
  add(0, vol, Attribute::kDiskState, sim::kAbsent, static_cast<int64_t>(sim::DiskState::kUpToDate));
  add(1000, vol, Attribute::kDiskState, static_cast<int64_t>(sim::DiskState::kUpToDate),
      static_cast<int64_t>(sim::DiskState::kInconsistent));
  add(1000, peer_vol, Attribute::kReplState, static_cast<int64_t>(sim::ReplState::kEstablished),
      static_cast<int64_t>(sim::ReplState::kSyncTarget));
  add(1000, vol, Attribute::kDonePercentage, sim::kAbsent, 0);
  add(2000, vol, Attribute::kDonePercentage, 0, 2500);
  add(3000, vol, Attribute::kDonePercentage, 2500, 5000);
  const uint64_t key = MakeChannelKey(ChannelKind::kDiskLabel, 0, 0, 0);
  auto judge = [&](int64_t progress, int64_t observed_ms) {
    Verifier v(Options(), 1);  // bound 400 ms
    v.AddTransitions(cluster, trace);
    Observation o;
    o.id_hash = 1;
    o.partition_hash = 1;
    o.sequence = 1;
    o.primary = {key, kDiskLabelSyncTarget};
    o.progress = progress;
    o.observed_ns = observed_ms * kMs;
    o.delivered_ns = (observed_ms + 1) * kMs;
    v.Observe(o);
    return v.Finish(5000 * kMs);
  };
  // 25.00% set at 2000 ms, observed at 2100: 101 ms end to end, on time.
  VerifierResult r = judge(2500, 2100);
  EXPECT_EQ(r.per_consumer[0].matched, 1u);
  EXPECT_EQ(r.per_consumer[0].phantom, 0u);
  EXPECT_EQ(r.per_consumer[0].late, 0u);
  EXPECT_EQ(r.latency[static_cast<int>(Stage::kEndToEnd)].max(), static_cast<uint64_t>(101 * kMs));
  // The rounded percentage the envelope carries (25.01) still names that transition.
  r = judge(2501, 2100);
  EXPECT_EQ(r.per_consumer[0].late, 0u);
  // 25% reported at 3300, when the world has been at 50% for 300 ms: measured from 2000, late.
  r = judge(2500, 3300);
  EXPECT_EQ(r.per_consumer[0].late, 1u);
  // No percentage carried: measured from the start of the resync.
  r = judge(kNoTime, 2100);
  EXPECT_EQ(r.per_consumer[0].late, 1u);
}

// `reordered` judges the order the pipeline gave a key's events: in JetStream mode a redelivery
// (after ack_wait, its first delivery never reached the consumer) that arrives behind later events
// of its key while the stream holds it before them counts in `redelivered`, not in `reordered`;
// the same late arrival on a first delivery, or a redelivery the stream itself holds out of
// order (the bridge published it late), is still reordered.
// e1 and e2 change the same resource in one poll: one partition key, consecutive sequences.
MiniWorld TwoChangesOfOneResource() {
  MiniWorld w(3, 2);
  w.InUse(1000, 0, 0, true);  // e0
  w.InUse(3000, 1, 0, true);  // e1
  w.InUse(3000, 1, 1, true);  // e2 (same resource as e1, next sequence)
  return w;
}

// The perfect stream for one consumer with JetStream stream sequences 1..n in publish order, then
// e1 moved behind e2 with the given delivery count and stream sequence.
std::vector<Observation> LateE1(const MiniWorld& w, uint32_t consumer, uint32_t num_delivered,
                                bool stream_holds_e1_first) {
  std::vector<Observation> s = PerfectBridge(w, kPollMs, kEndMs, 2, consumer);
  for (size_t i = 0; i < s.size(); ++i) s[i].stream_sequence = i + 1;
  EXPECT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].partition_hash, s[2].partition_hash);
  EXPECT_LT(s[1].sequence, s[2].sequence);
  if (!stream_holds_e1_first) std::swap(s[1].stream_sequence, s[2].stream_sequence);
  s[1].num_delivered = num_delivered;
  s[1].delivered_ns = s[2].delivered_ns + kMs;
  std::swap(s[1], s[2]);
  return s;
}

TEST(VerifierTest, RedeliveryTheStreamHoldsInOrderIsRedeliveredNotReordered) {
  MiniWorld w = TwoChangesOfOneResource();
  Verifier v(Options(), 3);
  v.AddTransitions(w.cluster, w.trace);
  for (const auto& x : LateE1(w, 0, 2, true)) v.Observe(x);   // ack-wait redelivery
  for (const auto& x : LateE1(w, 1, 1, true)) v.Observe(x);   // first delivery, out of order
  for (const auto& x : LateE1(w, 2, 2, false)) v.Observe(x);  // the stream itself is reversed
  const VerifierResult r = v.Finish(kEndMs * kMs, &w.cluster);
  EXPECT_EQ(r.per_consumer[0].reordered, 0u);
  EXPECT_EQ(r.per_consumer[0].redelivered, 1u);
  EXPECT_EQ(r.per_consumer[1].reordered, 1u);
  EXPECT_EQ(r.per_consumer[1].redelivered, 0u);
  EXPECT_EQ(r.per_consumer[2].reordered, 1u);
  EXPECT_EQ(r.per_consumer[2].redelivered, 1u);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(r.per_consumer[c].lost, 0u) << c;
    EXPECT_EQ(r.per_consumer[c].phantom, 0u) << c;
    EXPECT_EQ(r.per_consumer[c].matched, 3u) << c;
  }
}

}  // namespace
}  // namespace lnsim::harness
