// `reordered` judges the order the pipeline gave a key's events: in JetStream mode a redelivery
// (after ack_wait, its first delivery never reached the consumer) that arrives behind later events
// of its key while the stream holds it before them counts in `redelivered`, not in `reordered`;
// the same late arrival on a first delivery, or a redelivery the stream itself holds out of
// order (the bridge published it late), is still reordered.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "harness/observation.h"
#include "harness/verifier.h"
#include "tests/harness/testutil_standin.h"

namespace lnsim::harness {
namespace {

using testing::MiniWorld;
using testing::PerfectBridge;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kPollMs = 100;
constexpr int64_t kEndMs = 6000;

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

TEST(VerifierRedeliveryTest, RedeliveryTheStreamHoldsInOrderIsRedeliveredNotReordered) {
  MiniWorld w = TwoChangesOfOneResource();
  VerifierOptions o;
  o.observation_bound_ns = 4 * kPollMs * kMs;
  o.match_slack_ns = 10 * kMs;
  Verifier v(o, 3);
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
