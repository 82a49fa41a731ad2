// The verifier's bookkeeping (harness/verifier.h has the model): the world's channels as
// timelines of segments, the derived state the raw attributes feed, and each consumer's receipts.
// VerifierState folds the world's initial state and transitions into the timelines and answers
// the questions judging asks (which segment explains a value, how long a channel was observable).
// Internal to harness/: only verifier.cc and its tests use it. Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "common/histogram.h"
#include "harness/internal/flat_hash.h"
#include "harness/internal/order_check.h"
#include "harness/internal/quorum_truth.h"
#include "harness/verifier.h"
#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::harness::internal {

struct Segment {
  int64_t start;
  int64_t value;
};

struct Channel {
  uint64_t key = 0;
  uint32_t node = sim::kNoIndex;  // live channels: observable only while this node is ONLINE
  std::vector<Segment> segments;  // segments[0] starts at INT64_MIN: the value before creation
};

// Derived state the world's raw attributes feed.
struct VolumeState {
  int64_t disk = sim::kAbsent;
  int64_t done = sim::kAbsent;
  int32_t sync_target_peers = 0;
};
struct PoolState {
  int64_t free = 0;
  int64_t total = 0;
};

// Whether a change from `prev` to `next` is something the event contract reports.
inline bool Reportable(ChannelKind kind, int64_t prev, int64_t next) {
  if (prev == next || next == kGone || prev == kGone) return false;  // gone/creation: implicit
  if (kind == ChannelKind::kNodeEvicted) return prev == 0 && next == 1;
  return true;
}

inline uint64_t PackMatch(uint32_t channel, uint32_t segment) {
  return (static_cast<uint64_t>(channel) << 32) | segment;
}

struct PhantomSample {
  uint64_t channel;
  int64_t value;
  int64_t when;
  const char* why;
};

struct ConsumerState {
  std::vector<PhantomSample> phantoms;   // the first few, for the failure message
  FlatMap64<uint8_t> ids{1024};          // id hash -> bit0 received, bit1 processed
  FlatMap64<uint64_t> last_seq{256};     // partition hash -> highest sequence delivered
  FlatMap64<uint64_t> last_stream{256};  // partition hash -> its stream sequence (JetStream)
  FlatMap64<uint8_t> matched{1024};      // PackMatch(channel, segment)
  OrderTracker order;                    // misordered and sequence gaps (order_check.h)
  std::vector<RawExample> examples;      // the first few per counter, rendered at Finish
  VerdictCounters counters;
};

struct FaultTracking {
  int64_t first_delivery = kNoTime;  // of an event whose change fell inside the window
  int64_t last_delivery = kNoTime;
  int64_t recover_delivery = kNoTime;  // first on-time delivery of a change after the window
  uint64_t events = 0;
};

struct VerifierState {
  VerifierOptions options;
  std::vector<Channel> channels;
  FlatMap64<uint32_t> channel_index{4096};
  FlatMap64<VolumeState> volumes{1024};  // (rd, node, volume) packed as a disk channel key
  FlatMap64<PoolState> pools{256};
  // Resync progress per disk channel: done percentage (hundredths) over time. A progress event
  // (disk_state_changed SyncTarget -> SyncTarget) carries the value a done-percentage transition
  // set, so its latency runs from that transition, not from the start of the resync.
  FlatMap64<uint32_t> progress_index{256};
  std::vector<std::vector<Segment>> progress;
  std::vector<ConsumerState> consumers;
  std::array<Histogram, kStageCount> latency;
  std::array<StageSamples, kStageCount> samples;  // the same events as latency, bounded
  std::vector<FaultTracking> faults;
  // Quorum as docs/events.md documents it, derived from the other inputs (quorum_truth.h): the
  // kQuorum channels follow it, not the world's own quorum attribute.
  QuorumTruth quorum;
  std::vector<QuorumUpdate> quorum_updates;  // scratch

  // Folds the generated cluster (the state before the first transition) into the channels.
  void Seed(const sim::Cluster& cluster);
  // Folds one world transition into the channels; `cluster` resolves pool -> node.
  void Apply(const sim::Cluster& cluster, const sim::Transition& t);

  // The channel's index, creating it with `initial` as its value before any transition.
  uint32_t ChannelFor(uint64_t key, uint32_t node, int64_t initial);
  // Records value `value` at `time` on the channel, creating it with `initial` when new.
  void Set(uint64_t key, uint32_t node, int64_t time, int64_t initial, int64_t value);
  // The entity behind the channel was (re)created at `time` with `value`: a kGone instant first,
  // so the value counts as part of the creation even when the channel held a value before (a
  // replica deleted and placed again on the same node).
  void Create(uint64_t key, uint32_t node, int64_t time, int64_t value);
  void RecordProgress(uint64_t key, int64_t time, int64_t done);

  // Latest instant in [from, t] at which the channel's done percentage became `done` (within one
  // hundredth: the event carries it rounded); kNoTime when none.
  int64_t ProgressSince(uint64_t key, int64_t done, int64_t from, int64_t t) const;
  // The channel's latest value; kGone when there is no such channel.
  int64_t Current(uint64_t key) const;
  // 1 when the pool's free space is below the threshold, else 0.
  int64_t Low(const PoolState& p) const;
  const Channel* NodeChannel(uint32_t node) const;
  // Time within [start, end) during which `ch` was observable, and the first observable instant
  // (kNoTime when never).
  int64_t Observable(const Channel& ch, int64_t start, int64_t end, int64_t* first) const;
  // Latest segment of `ch` with `value` starting at or before `t`; -1 when none. Segment 0 is
  // the state before the first transition (the initial state, or kGone before creation).
  int64_t Match(const Channel& ch, int64_t value, int64_t t) const;

 private:
  void ApplyRaw(const sim::Cluster& cluster, const sim::Transition& t);
  void ApplyQuorum(const sim::Transition& t);
  void ApplyNode(const sim::Transition& t);
  void ApplyPool(const sim::Cluster& cluster, const sim::Transition& t);
  void ApplyVolumeDefinition(const sim::Transition& t);
  void ApplyReplica(const sim::Transition& t);
  void ApplyVolumeReplica(const sim::Transition& t);
  void ApplyPeerLink(const sim::Transition& t);
  void ApplyPeerVolume(const sim::Transition& t);
  void SeedNodesAndPools(const sim::Cluster& c);
  void SeedResourceDefinitions(const sim::Cluster& c);
  void SeedReplica(const sim::Cluster& c, const sim::Replica& rep);
};

}  // namespace lnsim::harness::internal
