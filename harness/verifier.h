// The verifier core: a pure `Events x GroundTruth -> Verdict` bookkeeper. It derives what a
// perfect bridge would have published from the world's trace only (never from the bridge's
// differ), matches every delivered event to the world transition that set the value it carries,
// and counts lost, late, phantom, reordered, duplicated and redelivered per consumer, with latency
// per stage. No I/O, no threads, no clock: the caller feeds transitions and observations.
//
// Model. The world's attributes are folded into *channels*, one per observable fact the event
// contract can report (sim/trace.h attribute -> bridge/event.h type):
//   node connection (ONLINE or not)      -> node.online / node.offline
//   node flag EVICTED                    -> node.evicted (only the rise is reported)
//   pool free/total below the threshold  -> pool.capacity_low / capacity_ok
//   resource definition exists           -> resource.created / resource.deleted
//   replica exists                       -> replica.created / replica.deleted
//   replica in_use                       -> volume.attached / volume.detached
//   volume definition size               -> volume.resized
//   volume disk state as LINSTOR renders it (SyncTarget while resyncing)
//                                        -> replica.disk_state_changed
//   peer link Connected or not           -> replica.connection_lost / connection_restored
//   replica quorum by the documented rule -> replica.quorum_lost / quorum_regained (derived from
//     (docs/events.md "Quorum")               disks, links, kinds and node connections:
//                                             internal/quorum_truth.h)
// Each channel has a timeline of segments (value, start). Live channels (in_use, disk state,
// peer links, quorum, pool capacity) are observable only while their node is ONLINE in the
// controller's view: the API hides them otherwise, so time offline never makes a value lost.
//
// Judgement, per consumer (docs/architecture.md "What the verifier counts"):
//  - an event matches the latest segment of its channel carrying its value that started before
//    the bridge observed it (plus a slack for clock skew); none, or one superseded longer than
//    the observation bound before the observation, makes it *phantom*;
//  - a segment is *required* when its change is reportable, it started after the baseline (the
//    bridge's first full poll) and it was observable for at least the observation bound, or it
//    is the final state and observable at the end; a required segment that no event matched and
//    that the consumer did not already believe (same value as its last matched segment) is
//    *lost*; unrequired changes that no event carried are *coalesced*;
//  - a first receipt delivered more than the bound after its segment became observable is *late*;
//  - a first receipt whose sequence is below the highest already delivered for its partition key
//    is *reordered*;
//  - every receipt of an id after the first is *redelivered* (raw), and so is a first receipt
//    with num_delivered > 1; a processed receipt of an id already processed is *duplicated*.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/histogram.h"
#include "harness/internal/flat_hash.h"
#include "harness/report.h"
#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::harness {
namespace internal {
struct VerifierState;  // harness/internal/verifier_state.h
}  // namespace internal

enum class ChannelKind : uint8_t {
  kNone = 0,
  kNodeOnline,     // a = node
  kNodeEvicted,    // a = node
  kPoolLow,        // a = pool
  kRdExists,       // a = rd
  kReplicaExists,  // a = rd, b = node
  kReplicaInUse,   // a = rd, b = node
  kVdSize,         // a = rd, c = volume number
  kDiskLabel,      // a = rd, b = node, c = volume number
  kPeerConnected,  // a = rd, b = node, c = peer node
  kQuorum,         // a = rd, b = node
};
inline constexpr int kChannelKindCount = 11;
std::string_view ChannelKindName(ChannelKind kind);

// A channel's value when its entity does not exist (never required, never carried by events).
inline constexpr int64_t kGone = INT64_MIN;
// kDiskLabel values: sim::DiskState as an integer, or this for "SyncTarget" (a resyncing
// Inconsistent/Outdated volume, as LINSTOR renders it).
inline constexpr int64_t kDiskLabelSyncTarget = 100;
// "No time known" for optional instants.
inline constexpr int64_t kNoTime = INT64_MIN;

// Packs a channel into 64 bits: kind 4 bits, a 24 bits, b 20 bits, c 16 bits (LNSIM_CHECKed).
// 0 is never a valid key (kind kNone).
uint64_t MakeChannelKey(ChannelKind kind, uint32_t a, uint32_t b = 0, uint32_t c = 0);
ChannelKind ChannelKindOf(uint64_t key);
// "in_use demo/node-a" with names from the cluster.
std::string DescribeChannel(const sim::Cluster& cluster, uint64_t key);

// One fact an event asserts: this channel has this value.
struct Assertion {
  uint64_t channel = 0;  // 0 = the event names an entity the world never had
  int64_t value = 0;
};

// One receipt, pre-decoded (see harness/observation.h for the decoder from the envelope). Times
// are world time in nanoseconds (t = 0 at the scenario's start).
struct Observation {
  uint32_t consumer = 0;
  uint64_t id_hash = 0;         // hash of the event id
  uint64_t partition_hash = 0;  // hash of the partition key
  uint64_t sequence = 0;
  Assertion primary;
  // Further facts carried by the same event (replica.created: in_use and disk states;
  // resource.created: volume sizes), passed beside the observation.
  uint32_t extra_count = 0;
  // Resync progress a disk-state event carries (done percentage in hundredths), kNoTime when
  // none: latency then runs from the world's transition to that percentage.
  int64_t progress = kNoTime;
  int64_t observed_ns = kNoTime;  // bridge observed the change (timing side channel / header)
  int64_t acked_ns = kNoTime;     // publish acknowledged (side channel)
  int64_t delivered_ns = 0;       // consumer received it
  uint32_t num_delivered = 1;
  uint64_t stream_sequence = 0;  // JetStream stream sequence; 0 for core
  bool processed = true;         // false: the consumer's dedup dropped it
  // Not a valid event (harness/subject_grammar.h, bridge::DecodeEvent): counted in `invalid`
  // only; its example comes from the receipts, which know the subject and the rule.
  bool invalid = false;
};

struct FaultWindowSpec {
  std::string kind;
  std::string target;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

struct VerifierOptions {
  // Poll interval plus request timeout, doubled (docs/architecture.md): how long a value must hold
  // to be owed to consumers, and how late an event may arrive.
  int64_t observation_bound_ns = 0;
  // World time of the bridge's first full poll: changes up to then are the initial state.
  int64_t baseline_ns = 0;
  // Earliest world time the bridge's first snapshot may have been read (its start). The bridge
  // reads its initial state somewhere in [baseline_window_start_ns, baseline_ns], so a consumer
  // may start from any value a channel held in that window. kNoTime = baseline_ns.
  int64_t baseline_window_start_ns = INT64_MIN;
  // Clock skew allowed between the bridge's observation stamp and the world's clock.
  int64_t match_slack_ns = 100'000'000;
  // Which channel kinds are judged; events on other kinds are counted `unjudged` only. Every
  // kind by default; a scenario opts out with `verify.unjudged` (docs/scenarios.md).
  std::array<bool, kChannelKindCount> judged = {false, true, true, true, true, true,
                                                true,  true, true, true, true};
  double pool_low_threshold_percent = 10.0;  // as the bridge's DiffOptions
  std::vector<FaultWindowSpec> faults;
  size_t max_lost_samples = 20;  // per consumer, for the failure message
  // Sizing hints (not limits): events per consumer and channels, to size tables up front.
  size_t expected_events = 0;
  size_t expected_channels = 0;
};

struct VerifierResult {
  std::vector<VerdictCounters> per_consumer;
  std::vector<bool> converged;                            // per consumer
  std::vector<std::vector<std::string>> lost_samples;     // per consumer, first few, described
  std::vector<std::vector<std::string>> phantom_samples;  // per consumer, first few, with why
  // Per consumer: up to kMaxExamplesPerCounter examples per counter (lost, phantom, reordered,
  // duplicated, misordered, sequence_gaps); Example::consumer is left for the caller to name.
  std::vector<std::vector<Example>> examples;
  VerdictCounters totals;
  std::array<Histogram, kStageCount> latency;  // nanoseconds, all consumers
  // Per-event (t, latency) of the same events, bounded (StageSamples): the HTML plot.
  std::array<StageSamples, kStageCount> samples;
  uint64_t expected = 0;  // required segments: changes a perfect bridge must deliver
  std::vector<FaultWindow> faults;
};

// Not thread-safe: one thread feeds it (the run's verifier thread). Feed transitions before the
// observations that refer to them (the run feeds the world's trace up to now first).
class Verifier {
 public:
  Verifier(VerifierOptions options, uint32_t consumer_count);
  ~Verifier();

  // The world's state before its first transition: the generated cluster, which the trace does
  // not record. Call once, before AddTransitions, with the cluster as World::Create left it.
  void AddInitialState(const sim::Cluster& cluster);

  // Appends world transitions (in trace order). `cluster` resolves pool -> node; it must hold
  // every entity the transitions name.
  void AddTransitions(const sim::Cluster& cluster, const sim::Transition* begin,
                      const sim::Transition* end);
  void AddTransitions(const sim::Cluster& cluster, const std::vector<sim::Transition>& all) {
    AddTransitions(cluster, all.data(), all.data() + all.size());
  }

  // One receipt. `extras` points at o.extra_count further assertions (may be null when 0).
  void Observe(const Observation& o, const Assertion* extras = nullptr);

  // Judges the run that ended at world time `end_ns`. `cluster` (optional) names channels in
  // lost_samples. Call once.
  VerifierResult Finish(int64_t end_ns, const sim::Cluster* cluster = nullptr);

  // The current value of a channel in the world (kGone when unknown); for tests and debugging.
  int64_t WorldValue(uint64_t channel) const;
  size_t channel_count() const;

 private:
  std::unique_ptr<internal::VerifierState> s_;
};

}  // namespace lnsim::harness
