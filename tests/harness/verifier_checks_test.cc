// The documented promises the verifier checks beyond matching (docs/report.md "misordered",
// "sequence_gaps", "invalid"), each shown failing on a planted fault and silent on the correct
// stream, and the examples the report gets for them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bridge/event.h"
#include "common/rng.h"
#include "harness/subject_grammar.h"
#include "harness/verifier.h"
#include "tests/harness/testutil_standin.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMs = 1'000'000;

VerifierOptions Options() {
  VerifierOptions o;
  o.observation_bound_ns = 400 * kMs;
  return o;
}

// One first receipt of partition key "resource.<rd>" asserting `channel` = `value`.
Observation Event(uint64_t seq, uint64_t channel, int64_t value, uint64_t stream_seq = 0,
                  uint32_t rd = 0) {
  Observation o;
  o.id_hash = Fnv1a64("c/resource." + std::to_string(rd) + "/" + std::to_string(seq));
  o.partition_hash = Fnv1a64("resource." + std::to_string(rd));
  o.sequence = seq;
  o.primary = {channel, value};
  o.delivered_ns = static_cast<int64_t>(seq) * 100 * kMs;
  o.stream_sequence = stream_seq;
  return o;
}

uint64_t Rd(uint32_t rd = 0) { return MakeChannelKey(ChannelKind::kRdExists, rd); }
uint64_t Replica(uint32_t node, uint32_t rd = 0) {
  return MakeChannelKey(ChannelKind::kReplicaExists, rd, node);
}
uint64_t InUse(uint32_t node, uint32_t rd = 0) {
  return MakeChannelKey(ChannelKind::kReplicaInUse, rd, node);
}

VerifierResult Judge(const std::vector<Observation>& stream) {
  Verifier v(Options(), 1);
  for (const Observation& o : stream) v.Observe(o);
  return v.Finish(10'000 * kMs);
}

std::vector<Example> ExamplesOf(const VerifierResult& r, const std::string& counter) {
  std::vector<Example> out;
  for (const Example& e : r.examples[0]) {
    if (e.counter == counter) out.push_back(e);
  }
  return out;
}

TEST(VerifierChecksTest, TheDocumentedOrderWithinAResourceIsNotMisordered) {
  const VerifierResult r = Judge({Event(1, Rd(), 1), Event(2, Replica(0), 1), Event(3, InUse(0), 1),
                                  Event(4, InUse(0), 0), Event(5, Replica(0), 0), Event(6, Rd(), 0),
                                  Event(7, Rd(), 1), Event(8, Replica(1), 1)});
  EXPECT_EQ(r.per_consumer[0].misordered, 0u);
  EXPECT_TRUE(ExamplesOf(r, "misordered").empty());
}

TEST(VerifierChecksTest, AReplicaCreatedBeforeItsResourceCreatedIsMisordered) {
  const VerifierResult r = Judge({Event(1, Replica(0), 1), Event(2, Rd(), 1)});
  EXPECT_EQ(r.per_consumer[0].misordered, 1u);
  const auto examples = ExamplesOf(r, "misordered");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_THAT(examples[0].rule, HasSubstr("before its created event"));
  EXPECT_EQ(examples[0].key, "resource.rd#0");
  ASSERT_EQ(examples[0].events.size(), 2u);
  EXPECT_THAT(examples[0].events[0], HasSubstr("seq 1 replica.created"));
  EXPECT_THAT(examples[0].events[1], HasSubstr("seq 2 resource.created"));
}

TEST(VerifierChecksTest, AnEventAfterItsDeletedIsMisordered) {
  // volume.attached after replica.deleted, then replica events after resource.deleted.
  const VerifierResult r =
      Judge({Event(1, Rd(), 1), Event(2, Replica(0), 1), Event(3, Replica(0), 0),
             Event(4, InUse(0), 1), Event(5, Rd(), 0), Event(6, Replica(1), 1)});
  EXPECT_EQ(r.per_consumer[0].misordered, 2u);
  const auto examples = ExamplesOf(r, "misordered");
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_THAT(examples[0].rule, HasSubstr("after its deleted event"));
  EXPECT_THAT(examples[0].events[0], HasSubstr("seq 3 replica.deleted"));
  EXPECT_THAT(examples[0].events[1], HasSubstr("seq 4 volume.attached"));
  EXPECT_THAT(examples[1].events[0], HasSubstr("seq 5 resource.deleted"));
}

TEST(VerifierChecksTest, AMissingSequenceMakesTheOrderUnknownNotMisordered) {
  // resource.created (seq 2) never arrived: the replica events after resource.deleted (seq 1)
  // belong to the new resource; that is lost (or a gap), not an order broken.
  const VerifierResult r =
      Judge({Event(1, Rd(), 0), Event(3, Replica(0), 1), Event(4, Rd(), 0), Event(6, Rd(), 1)});
  EXPECT_EQ(r.per_consumer[0].misordered, 0u);
}

TEST(VerifierChecksTest, JetStreamSequenceGapsAreCountedCoreGapsAreNot) {
  const VerifierResult js =
      Judge({Event(1, Rd(), 1, 10), Event(2, Replica(0), 1, 11), Event(5, Replica(1), 1, 12)});
  EXPECT_EQ(js.per_consumer[0].sequence_gaps, 2u);
  const auto examples = ExamplesOf(js, "sequence_gaps");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].key, "resource.rd#0");
  EXPECT_THAT(examples[0].rule, HasSubstr("no gaps in JetStream mode"));
  ASSERT_EQ(examples[0].events.size(), 1u);
  EXPECT_EQ(examples[0].events[0], "seq 2 then seq 5 (2 never arrived)");

  // Core NATS: a gap is a lost message, judged as lost against the world, not here.
  const VerifierResult core =
      Judge({Event(1, Rd(), 1), Event(2, Replica(0), 1), Event(5, Replica(1), 1)});
  EXPECT_EQ(core.per_consumer[0].sequence_gaps, 0u);

  // A JetStream key starts at 1: a first receipt at 2 skipped one.
  const VerifierResult late_start = Judge({Event(2, Rd(), 1, 10)});
  EXPECT_EQ(late_start.per_consumer[0].sequence_gaps, 1u);
}

TEST(VerifierChecksTest, ARedeliveryThatFillsTheHoleIsNoGap) {
  Observation redelivered = Event(2, Replica(0), 1, 11);
  redelivered.num_delivered = 2;
  const VerifierResult r = Judge({Event(1, Rd(), 1, 10), Event(3, Replica(1), 1, 12), redelivered});
  EXPECT_EQ(r.per_consumer[0].sequence_gaps, 0u);
  EXPECT_EQ(r.per_consumer[0].reordered, 0u);
}

TEST(VerifierChecksTest, InvalidReceiptsAreCountedApartFromPhantom) {
  Observation bad;
  bad.id_hash = Fnv1a64("x");
  bad.invalid = true;
  const VerifierResult r = Judge({bad, bad});
  EXPECT_EQ(r.per_consumer[0].invalid, 2u);
  EXPECT_EQ(r.per_consumer[0].delivered, 2u);
  EXPECT_EQ(r.per_consumer[0].phantom, 0u);
}

TEST(VerifierChecksTest, ReorderedAndDuplicatedAndPhantomComeWithExamples) {
  Observation dup = Event(2, Replica(0), 1);
  const VerifierResult r = Judge({Event(1, Rd(), 1), Event(3, Replica(1), 1), dup, dup});
  EXPECT_EQ(r.per_consumer[0].reordered, 1u);
  const auto reordered = ExamplesOf(r, "reordered");
  ASSERT_EQ(reordered.size(), 1u);
  ASSERT_EQ(reordered[0].events.size(), 2u);
  EXPECT_THAT(reordered[0].events[0], HasSubstr("seq 3 replica.created rd#0/node#1"));
  EXPECT_THAT(reordered[0].events[1], HasSubstr("seq 2 replica.created rd#0/node#0"));
  EXPECT_EQ(ExamplesOf(r, "duplicated").size(), 1u);
  // No world at all: every event is phantom, with the world's (empty) history of the entity.
  const auto phantom = ExamplesOf(r, "phantom");
  ASSERT_EQ(phantom.size(), kMaxExamplesPerCounter < 3 ? kMaxExamplesPerCounter : 3u);
  EXPECT_THAT(phantom[0].rule, HasSubstr("no such entity"));
  ASSERT_FALSE(phantom[0].history.empty());
  EXPECT_THAT(phantom[0].history[0], HasSubstr("never had"));
}

TEST(VerifierChecksTest, ExamplesAreCappedPerCounterWhileTheCounterStaysExact) {
  std::vector<Observation> stream;
  for (uint32_t rd = 0; rd < 8; ++rd) {
    stream.push_back(Event(1, Replica(0, rd), 1, 0, rd));
    stream.push_back(Event(2, Rd(rd), 1, 0, rd));
  }
  const VerifierResult r = Judge(stream);
  EXPECT_EQ(r.per_consumer[0].misordered, 8u);
  EXPECT_EQ(ExamplesOf(r, "misordered").size(), kMaxExamplesPerCounter);
}

TEST(VerifierChecksTest, LostChangesComeWithTheWorldsHistory) {
  testing::MiniWorld w(2, 1);
  w.InUse(1000, 0, 0, true);
  w.InUse(2000, 0, 0, false);  // back to what the consumer believes: not owed again
  w.InUse(3000, 0, 0, true);   // the final state
  Verifier v(Options(), 1);
  v.AddTransitions(w.cluster, w.trace);
  const VerifierResult r = v.Finish(5000 * kMs, &w.cluster);
  ASSERT_EQ(r.per_consumer[0].lost, 2u);
  const auto lost = ExamplesOf(r, "lost");
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_THAT(lost[0].key, HasSubstr("resource."));
  ASSERT_EQ(lost[0].events.size(), 1u);
  EXPECT_THAT(lost[0].events[0], HasSubstr("expected volume.attached"));
  EXPECT_THAT(lost[0].history, ::testing::Contains(HasSubstr("1.000s in use")));
  EXPECT_THAT(lost[1].rule, HasSubstr("final state"));
}

// ------------------------------------------------------------------------ subject grammar

TEST(SubjectGrammarTest, EverySubjectTheBridgeBuildsPasses) {
  for (int t = 0; t < bridge::kEventTypeCount; ++t) {
    bridge::DomainEvent e;
    e.type = static_cast<bridge::EventType>(t);
    e.node = "Node-A.example.com";
    e.pool = "pool 1";
    e.resource = "pvc-É";
    e.volume_number = 3;
    const std::string subject = bridge::Subject("Prod", e);
    EXPECT_EQ(SubjectRuleBroken(subject), "") << subject;
  }
}

TEST(SubjectGrammarTest, EachBrokenRuleIsNamed) {
  EXPECT_EQ(SubjectRuleBroken("linstor.v1.prod.node.Node-A.online"),
            "subject token 'Node-A' is not lower-case (docs/subjects.md \"Case\")");
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a=2E.online"),
              HasSubstr("two lower-case hex"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a=2.online"), HasSubstr("truncated escape"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a b.online"), HasSubstr("must be escaped"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v2.prod.node.a.online"),
              HasSubstr("does not start with linstor.v1"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a"), HasSubstr("6 for node"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a.b.online"),
              HasSubstr("node subjects have 6 tokens"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.prod.node.a.exploded"),
              HasSubstr("unknown entity/event"));
  EXPECT_THAT(SubjectRuleBroken("linstor.v1.Prod.node.a.online"),
              HasSubstr("'Prod' is not lower-case"));
}

}  // namespace
}  // namespace lnsim::harness
