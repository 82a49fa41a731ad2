// Verifier implementation: world replay into channel timelines, per-receipt matching in flat hash
// maps (no allocation per event once the tables are warm), and the end-of-run judgement of every
// required segment per consumer. See verifier.h for the model and the meanings.
#include "harness/verifier.h"

#include <algorithm>

#include "harness/internal/verifier_examples.h"
#include "harness/internal/verifier_state.h"

namespace lnsim::harness {
std::string_view ChannelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kNone:
      return "none";
    case ChannelKind::kNodeOnline:
      return "node_online";
    case ChannelKind::kNodeEvicted:
      return "node_evicted";
    case ChannelKind::kPoolLow:
      return "pool_low";
    case ChannelKind::kRdExists:
      return "resource_exists";
    case ChannelKind::kReplicaExists:
      return "replica_exists";
    case ChannelKind::kReplicaInUse:
      return "in_use";
    case ChannelKind::kVdSize:
      return "volume_size";
    case ChannelKind::kDiskLabel:
      return "disk_state";
    case ChannelKind::kPeerConnected:
      return "peer_connected";
    case ChannelKind::kQuorum:
      return "quorum";
  }
  return "?";
}

uint64_t MakeChannelKey(ChannelKind kind, uint32_t a, uint32_t b, uint32_t c) {
  LNSIM_CHECK(a < (1u << 24) && b < (1u << 20) && c < (1u << 16))
      << "channel index out of range: " << a << "/" << b << "/" << c;
  return (static_cast<uint64_t>(kind) << 60) | (static_cast<uint64_t>(a) << 36) |
         (static_cast<uint64_t>(b) << 16) | c;
}

ChannelKind ChannelKindOf(uint64_t key) { return static_cast<ChannelKind>(key >> 60); }

std::string DescribeChannel(const sim::Cluster& cluster, uint64_t key) {
  const ChannelKind kind = ChannelKindOf(key);
  const uint32_t a = static_cast<uint32_t>((key >> 36) & 0xffffff);
  const uint32_t b = static_cast<uint32_t>((key >> 16) & 0xfffff);
  const uint32_t c = static_cast<uint32_t>(key & 0xffff);
  auto node = [&](uint32_t n) {
    return n < cluster.nodes.size() ? cluster.nodes[n].name : "node#" + std::to_string(n);
  };
  auto rd = [&](uint32_t r) {
    return r < cluster.rds.size() ? cluster.rds[r].name : "rd#" + std::to_string(r);
  };
  std::string out(ChannelKindName(kind));
  switch (kind) {
    case ChannelKind::kNodeOnline:
    case ChannelKind::kNodeEvicted:
      return out + " " + node(a);
    case ChannelKind::kPoolLow:
      if (a < cluster.pools.size()) {
        return out + " " + node(cluster.pools[a].node) + "/" + cluster.pools[a].name;
      }
      return out + " pool#" + std::to_string(a);
    case ChannelKind::kRdExists:
      return out + " " + rd(a);
    case ChannelKind::kReplicaExists:
    case ChannelKind::kReplicaInUse:
    case ChannelKind::kQuorum:
      return out + " " + rd(a) + "/" + node(b);
    case ChannelKind::kVdSize:
      return out + " " + rd(a) + "/" + std::to_string(c);
    case ChannelKind::kDiskLabel:
      return out + " " + rd(a) + "/" + node(b) + "/" + std::to_string(c);
    case ChannelKind::kPeerConnected:
      return out + " " + rd(a) + "/" + node(b) + "->" + node(c);
    case ChannelKind::kNone:
      break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

Verifier::Verifier(VerifierOptions options, uint32_t consumer_count)
    : s_(std::make_unique<internal::VerifierState>()) {
  LNSIM_CHECK(options.observation_bound_ns > 0) << "the observation bound must be set";
  s_->options = std::move(options);
  s_->consumers.resize(consumer_count);
  for (internal::ConsumerState& c : s_->consumers) {
    c.ids.Reserve(s_->options.expected_events);
    c.matched.Reserve(s_->options.expected_events);
  }
  s_->channel_index.Reserve(s_->options.expected_channels);
  s_->channels.reserve(s_->options.expected_channels);
  s_->faults.resize(s_->options.faults.size());
}

Verifier::~Verifier() = default;

void Verifier::AddInitialState(const sim::Cluster& cluster) { s_->Seed(cluster); }

void Verifier::AddTransitions(const sim::Cluster& cluster, const sim::Transition* begin,
                              const sim::Transition* end) {
  for (const sim::Transition* t = begin; t != end; ++t) s_->Apply(cluster, *t);
}

int64_t Verifier::WorldValue(uint64_t channel) const { return s_->Current(channel); }
size_t Verifier::channel_count() const { return s_->channels.size(); }

// ------------------------------------------------------------------------------------ Observe

namespace {

using internal::Channel;
using internal::ConsumerState;
using internal::FaultTracking;
using internal::PackMatch;
using internal::PhantomSample;
using internal::Reportable;
using internal::VerifierState;
using sim::kNoIndex;

constexpr char kDuplicatedRule[] =
    "an event id processed twice after the consumer's dedup (docs/events.md: consumers must "
    "deduplicate by id)";
constexpr char kReorderedRule[] =
    "a first receipt below the highest sequence already delivered for its partition key "
    "(docs/events.md \"partitionkey\")";

enum class Receipt : uint8_t { kRepeat, kInOrder, kBackwards };

// Counts one receipt; kRepeat unless it is the first receipt of its id (the one that is judged),
// kBackwards when its sequence is below the highest already delivered for its key.
Receipt CountFirstReceipt(ConsumerState& c, const Observation& o) {
  c.counters.delivered++;
  bool first = false;
  uint8_t& flags = c.ids.FindOrInsert(o.id_hash, 0, &first);
  if (!first || o.num_delivered > 1) c.counters.redelivered++;
  if (!first) {
    if (o.processed) {
      if (flags & 2) {
        c.counters.duplicated++;
        internal::KeepExample(&c.examples, {"duplicated",
                                            kDuplicatedRule,
                                            o.primary.channel,
                                            {},
                                            0,
                                            o.primary,
                                            o.sequence,
                                            o.delivered_ns});
      }
      flags |= 2;
    }
    return Receipt::kRepeat;
  }
  flags = static_cast<uint8_t>(1 | (o.processed ? 2 : 0));
  bool inserted = false;
  uint64_t& last = c.last_seq.FindOrInsert(o.partition_hash, 0, &inserted);
  uint64_t& last_stream = c.last_stream.FindOrInsert(o.partition_hash, 0, &inserted);
  if (o.sequence >= last) {
    last = o.sequence;
    last_stream = o.stream_sequence;
    return Receipt::kInOrder;
  }
  if (!(o.num_delivered > 1 && o.stream_sequence != 0 && o.stream_sequence < last_stream)) {
    // A JetStream redelivery (after ack_wait: its first delivery never reached the consumer)
    // that the stream holds before the later events of its key is in the order the pipeline
    // gave it; it counts in redelivered, not here (docs/report.md "reordered").
    c.counters.reordered++;
    const internal::RawExample* prev = c.order.Last(o.partition_hash);
    internal::RawExample e{"reordered", kReorderedRule, o.primary.channel, {},
                           last,        o.primary,      o.sequence,        o.delivered_ns};
    if (prev != nullptr) e.first = prev->second;
    internal::KeepExample(&c.examples, e);
  }
  return Receipt::kBackwards;
}

// Judges the assertions of one first receipt: matches each to the segment that explains it,
// and for the primary one counts lateness, latency per stage and the fault windows it fell in.
class ReceiptJudge {
 public:
  ReceiptJudge(VerifierState& s, ConsumerState& c, const Observation& o)
      : s_(s),
        c_(c),
        o_(o),
        bound_(s.options.observation_bound_ns),
        when_(o.observed_ns != kNoTime ? o.observed_ns : o.delivered_ns) {}

  void Judge(const Assertion& a, bool primary) {
    const ChannelKind kind = ChannelKindOf(a.channel);
    if (a.channel != 0 && !s_.options.judged[static_cast<size_t>(kind)]) {
      if (primary) c_.counters.unjudged++;
      return;
    }
    const uint32_t* index = a.channel ? s_.channel_index.Find(a.channel) : nullptr;
    if (index == nullptr) return Phantom(a, "no such entity or attribute in the world");
    const Channel& ch = s_.channels[*index];
    const int64_t segment = s_.Match(ch, a.value, when_ + s_.options.match_slack_ns);
    if (segment < 0) return Phantom(a, "the world never had this value before the observation");
    const size_t k = static_cast<size_t>(segment);
    // A value superseded longer than the bound before the bridge says it observed it cannot
    // explain the event.
    if (o_.observed_ns != kNoTime && k + 1 < ch.segments.size() &&
        ch.segments[k + 1].start + bound_ + s_.options.match_slack_ns < o_.observed_ns) {
      return Phantom(a, "the value had been superseded for longer than the bound");
    }
    c_.matched.Insert(PackMatch(*index, static_cast<uint32_t>(k)));
    if (!primary) return;
    c_.counters.matched++;
    const int64_t effective = EffectiveStart(a, kind, ch, k);
    const bool late = o_.delivered_ns - effective > bound_;
    if (late) c_.counters.late++;
    RecordLatency(effective);
    TrackFaults(effective, late);
  }

  bool phantom() const { return phantom_; }

 private:
  void Phantom(const Assertion& a, const char* why) {
    phantom_ = true;
    internal::KeepExample(&c_.examples,
                          {"phantom", why, a.channel, {}, 0, a, o_.sequence, o_.delivered_ns});
    if (c_.phantoms.size() < s_.options.max_lost_samples) {
      c_.phantoms.push_back({a.channel, a.value, when_, why});
    }
  }

  // When the change the event reports became observable: the segment's start, or the
  // done-percentage transition a progress event carries, no earlier than its node came online
  // and than the baseline.
  int64_t EffectiveStart(const Assertion& a, ChannelKind kind, const Channel& ch, size_t k) const {
    int64_t effective = ch.segments[k].start;
    if (o_.progress != kNoTime && kind == ChannelKind::kDiskLabel) {
      const int64_t set =
          s_.ProgressSince(a.channel, o_.progress, effective, when_ + s_.options.match_slack_ns);
      if (set != kNoTime) effective = set;
    }
    if (ch.node != kNoIndex) {
      const int64_t end = k + 1 < ch.segments.size() ? ch.segments[k + 1].start : INT64_MAX;
      int64_t first_observable = kNoTime;
      s_.Observable(ch, effective, std::min(end, o_.delivered_ns), &first_observable);
      if (first_observable != kNoTime) effective = first_observable;
    }
    return std::max(effective, s_.options.baseline_ns);
  }

  // Each stage into the run's histogram and its bounded sample (same events, same order).
  void RecordLatency(int64_t effective) {
    auto record = [&](Stage stage, int64_t ns) {
      s_.latency[static_cast<int>(stage)].RecordSigned(ns);
      s_.samples[static_cast<int>(stage)].Add(static_cast<double>(effective) / 1e9,
                                              static_cast<double>(ns) / 1e6);
    };
    if (o_.observed_ns != kNoTime) record(Stage::kObserve, o_.observed_ns - effective);
    if (o_.acked_ns != kNoTime && o_.observed_ns != kNoTime) {
      record(Stage::kPublish, o_.acked_ns - o_.observed_ns);
    }
    if (o_.acked_ns != kNoTime) record(Stage::kDeliver, o_.delivered_ns - o_.acked_ns);
    record(Stage::kEndToEnd, o_.delivered_ns - effective);
  }

  void TrackFaults(int64_t effective, bool late) {
    for (size_t f = 0; f < s_.faults.size(); ++f) {
      const FaultWindowSpec& spec = s_.options.faults[f];
      FaultTracking& track = s_.faults[f];
      if (effective >= spec.start_ns && effective < spec.end_ns) {
        track.events++;
        if (track.first_delivery == kNoTime || o_.delivered_ns < track.first_delivery) {
          track.first_delivery = o_.delivered_ns;
        }
        track.last_delivery = std::max(track.last_delivery, o_.delivered_ns);
      } else if (effective >= spec.end_ns && !late &&
                 (track.recover_delivery == kNoTime || o_.delivered_ns < track.recover_delivery)) {
        track.recover_delivery = o_.delivered_ns;
      }
    }
  }

  VerifierState& s_;
  ConsumerState& c_;
  const Observation& o_;
  const int64_t bound_;
  const int64_t when_;
  bool phantom_ = false;
};

}  // namespace

void Verifier::Observe(const Observation& o, const Assertion* extras) {
  LNSIM_CHECK(o.consumer < s_->consumers.size()) << "unknown consumer " << o.consumer;
  ConsumerState& c = s_->consumers[o.consumer];
  if (o.invalid) {
    c.counters.delivered++;
    c.counters.invalid++;
    return;
  }
  const Receipt receipt = CountFirstReceipt(c, o);
  if (receipt == Receipt::kRepeat) return;
  if (receipt == Receipt::kInOrder) {
    c.counters.misordered += c.order.Observe(o, &c.examples);
  } else {
    c.order.ObserveBackwards(o);
  }
  ReceiptJudge judge(*s_, c, o);
  judge.Judge(o.primary, true);
  for (uint32_t i = 0; i < o.extra_count; ++i) judge.Judge(extras[i], false);
  if (judge.phantom()) c.counters.phantom++;
}

// ------------------------------------------------------------------------------------- Finish

namespace {

// Per segment: 1 = required (owed to consumers), 2 = implicit (carried by a creation or
// deletion, or settled before the new entity was first seen), 0 = neither (coalescible).
constexpr uint8_t kRequired = 1, kImplicit = 2;

// The end-of-run judgement of one channel: which of its segments a perfect bridge owed
// consumers (Classify), then, per consumer, which owed ones it lost (JudgeConsumer).
class ChannelJudge {
 public:
  ChannelJudge(const VerifierState& s, uint32_t index, int64_t end_ns, int64_t window_from)
      : s_(s),
        ch_(s.channels[index]),
        segs_(ch_.segments),
        index_(index),
        kind_(ChannelKindOf(ch_.key)),
        end_ns_(end_ns),
        window_from_(window_from),
        bound_(s.options.observation_bound_ns) {
    // Segments up to the baseline are the initial state consumers start from.
    while (base_ + 1 < segs_.size() && segs_[base_ + 1].start <= s.options.baseline_ns) ++base_;
  }

  // Marks each segment required, implicit or neither; adds the required changes to *expected.
  // Returns whether the channel had any reportable change at all.
  bool Classify(uint64_t* expected) {
    status_.assign(segs_.size(), 0);
    bool any_change = false;
    int64_t last_owed = segs_[base_].value;  // what a perfect bridge last told consumers
    bool created = CreatedInBaselineWindow(&created_seen_);
    for (size_t k = base_ + 1; k < segs_.size(); ++k) {
      if (segs_[k].start > end_ns_) break;
      if (segs_[k - 1].value == kGone || segs_[k].value == kGone) {
        // Creation or removal: the created/deleted event carries it (or nothing does).
        status_[k] = kImplicit;
        created = segs_[k - 1].value == kGone;
        if (created) created_seen_ = FirstSeen(k);
        last_owed = segs_[k].value;
        continue;
      }
      if (!Reportable(kind_, segs_[k - 1].value, segs_[k].value)) continue;
      any_change = true;
      if (created && segs_[k].start < created_seen_ + bound_) {
        // Settled within one observation bound of the new entity becoming visible: the bridge's
        // first snapshot of it may already hold this value, without an event.
        status_[k] = kImplicit;
        last_owed = segs_[k].value;
        continue;
      }
      if (Required(k)) {
        status_[k] = kRequired;
        // A required value equal to the last one owed is already known: no event is due.
        if (segs_[k].value != last_owed) ++*expected;
        last_owed = segs_[k].value;
      }
    }
    return any_change;
  }

  // Counts the consumer's lost and coalesced segments of this channel.
  void JudgeConsumer(const ConsumerState& c, const sim::Cluster* cluster, size_t ci,
                     VerifierResult& result) const {
    VerdictCounters& counters = result.per_consumer[ci];
    size_t belief = base_;
    // Until the consumer's first matched event, its picture is the bridge's first snapshot,
    // read at an unknown instant of the baseline window: any value held there may be it.
    bool initial = true;
    for (size_t k = base_ + 1; k < segs_.size(); ++k) {
      if (segs_[k].start > end_ns_) break;
      if (c.matched.Contains(PackMatch(index_, static_cast<uint32_t>(k))) ||
          status_[k] == kImplicit) {
        belief = k;
        initial = false;
        continue;
      }
      if (!Reportable(kind_, segs_[k - 1].value, segs_[k].value)) continue;
      if (status_[k] != kRequired) {
        counters.coalesced++;
        continue;
      }
      if (segs_[belief].value == segs_[k].value || (initial && HeldInWindow(segs_[k].value))) {
        initial = false;
        belief = k;  // the consumer already believed this value
        continue;
      }
      counters.lost++;
      const bool last = Last(k);
      AddLostExample(k, last, cluster, result.examples[ci]);
      if (last) result.converged[ci] = false;
      if (result.lost_samples[ci].size() < s_.options.max_lost_samples) {
        std::string what =
            cluster ? DescribeChannel(*cluster, ch_.key) : std::string(ChannelKindName(kind_));
        result.lost_samples[ci].push_back(what + " = " + std::to_string(segs_[k].value) + " at " +
                                          std::to_string(segs_[k].start / 1000000) + "ms" +
                                          (last ? " (final state)" : ""));
      }
    }
  }

 private:
  bool Last(size_t k) const { return k + 1 == segs_.size() || segs_[k + 1].start > end_ns_; }

  void AddLostExample(size_t k, bool last, const sim::Cluster* cluster,
                      std::vector<Example>& out) const {
    size_t same = 0;
    for (const Example& e : out) same += e.counter == "lost" ? 1 : 0;
    if (same >= kMaxExamplesPerCounter) return;
    Example e;
    e.counter = "lost";
    e.key = internal::KeyText(ch_.key, cluster);
    e.rule = last ? "the world's final state, observable at the end, reached no consumer event"
                  : "a change the world held for at least the observation bound reached no "
                    "consumer event";
    e.events.push_back("expected " + internal::EventText({ch_.key, segs_[k].value}, 0, cluster) +
                       " for the change at " + std::to_string(segs_[k].start / 1000000) + "ms");
    e.history = internal::ChannelHistory(s_, ch_.key, cluster);
    out.push_back(std::move(e));
  }

  // First instant the entity (re)created at segment j was observable.
  int64_t FirstSeen(size_t j) const {
    int64_t first = kNoTime;
    s_.Observable(ch_, segs_[j].start, std::max(end_ns_, segs_[j].start + 1), &first);
    return first != kNoTime ? first : segs_[j].start;
  }

  // An entity (re)created inside the baseline window may postdate the bridge's first snapshot:
  // then the bridge first sees it at a later poll, exactly like an entity created after the
  // baseline, and what it settles to within a bound of becoming visible needs no event.
  // Created at or before the window's start, the snapshot holds it for sure.
  bool CreatedInBaselineWindow(int64_t* seen) const {
    if (segs_[base_].value == kGone) return false;
    for (size_t j = base_; j > 0 && segs_[j].start > window_from_; --j) {
      if (segs_[j - 1].value != kGone) continue;
      *seen = FirstSeen(j);
      return true;
    }
    return false;
  }

  // Observable for at least the bound, or the final state and observable at the end.
  bool Required(size_t k) const {
    const bool last = Last(k);
    const int64_t seg_end = last ? end_ns_ : segs_[k + 1].start;
    int64_t first_observable = kNoTime;
    const int64_t observable = s_.Observable(ch_, segs_[k].start, seg_end, &first_observable);
    bool required = observable >= bound_;
    if (last && first_observable != kNoTime) {
      // The final state must converge if it is observable at the end.
      int64_t at_end = kNoTime;
      required = required || s_.Observable(ch_, end_ns_ - 1, end_ns_, &at_end) > 0;
    }
    return required;
  }

  bool HeldInWindow(int64_t value) const {
    for (size_t j = base_ + 1; j-- > 0;) {
      if (segs_[j].value == value) return true;
      if (segs_[j].start <= window_from_) break;
    }
    return false;
  }

  const VerifierState& s_;
  const Channel& ch_;
  const std::vector<internal::Segment>& segs_;
  const uint32_t index_;
  const ChannelKind kind_;
  const int64_t end_ns_;
  const int64_t window_from_;
  const int64_t bound_;
  size_t base_ = 0;
  int64_t created_seen_ = 0;  // first instant the (re)created entity was observable
  std::vector<uint8_t> status_;
};

std::string PhantomText(const PhantomSample& p, const sim::Cluster* cluster) {
  std::string what = p.channel == 0 ? std::string("unknown entity")
                     : cluster      ? DescribeChannel(*cluster, p.channel)
                                    : std::string(ChannelKindName(ChannelKindOf(p.channel)));
  return what + " = " + std::to_string(p.value) + " observed at " +
         std::to_string(p.when / 1000000) + "ms: " + p.why;
}

FaultWindow ReportFaultWindow(const FaultWindowSpec& spec, const FaultTracking& track) {
  FaultWindow w;
  w.kind = spec.kind;
  w.target = spec.target;
  w.start_ms = static_cast<double>(spec.start_ns) / 1e6;
  w.end_ms = static_cast<double>(spec.end_ns) / 1e6;
  w.events_in_window = track.events;
  if (track.first_delivery != kNoTime) {
    w.detect_ms = static_cast<double>(track.first_delivery - spec.start_ns) / 1e6;
  }
  if (track.recover_delivery != kNoTime) {
    w.recover_ms = static_cast<double>(track.recover_delivery - spec.end_ns) / 1e6;
  }
  if (track.last_delivery != kNoTime) {
    w.drain_ms = std::max(0.0, static_cast<double>(track.last_delivery - spec.end_ns) / 1e6);
  }
  return w;
}

}  // namespace

VerifierResult Verifier::Finish(int64_t end_ns, const sim::Cluster* cluster) {
  const VerifierState& s = *s_;
  const size_t n_consumers = s.consumers.size();
  VerifierResult result;
  result.per_consumer.resize(n_consumers);
  result.converged.assign(n_consumers, true);
  result.lost_samples.resize(n_consumers);
  result.examples.resize(n_consumers);
  for (size_t ci = 0; ci < n_consumers; ++ci) result.per_consumer[ci] = s.consumers[ci].counters;
  const int64_t window_from = s.options.baseline_window_start_ns == INT64_MIN
                                  ? s.options.baseline_ns
                                  : s.options.baseline_window_start_ns;
  for (uint32_t chi = 0; chi < s.channels.size(); ++chi) {
    if (!s.options.judged[static_cast<size_t>(ChannelKindOf(s.channels[chi].key))]) continue;
    ChannelJudge judge(s, chi, end_ns, window_from);
    if (!judge.Classify(&result.expected)) continue;
    for (size_t ci = 0; ci < n_consumers; ++ci) {
      judge.JudgeConsumer(s.consumers[ci], cluster, ci, result);
    }
  }
  result.phantom_samples.resize(n_consumers);
  for (size_t ci = 0; ci < n_consumers; ++ci) {
    std::vector<internal::RawExample> raw = s.consumers[ci].examples;
    result.per_consumer[ci].sequence_gaps = s.consumers[ci].order.Gaps(&raw);
    for (const internal::RawExample& e : raw) {
      result.examples[ci].push_back(internal::RenderExample(s, e, cluster));
    }
    result.totals += result.per_consumer[ci];
    for (const PhantomSample& p : s.consumers[ci].phantoms) {
      result.phantom_samples[ci].push_back(PhantomText(p, cluster));
    }
  }
  result.latency = s.latency;
  result.samples = s.samples;
  for (size_t f = 0; f < s.faults.size(); ++f) {
    result.faults.push_back(ReportFaultWindow(s.options.faults[f], s.faults[f]));
  }
  return result;
}

}  // namespace lnsim::harness
