// One vocabulary on screen (issue 20): the table names the verifier's counters as the JSON does,
// shows matched and unjudged per consumer with the sum they form (delivered = matched + unjudged
// + other), prints a legend of every column once, says latency counts matched events and names
// world changes; the verifier keeps that sum's bounds (0 <= other <= redelivered + phantom); the
// progress lines name the phase that runs (world, drain, verdict), in place on a terminal and as
// plain lines in a log; the HTML page uses the same words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "common/rng.h"
#include "harness/html_report.h"
#include "harness/progress.h"
#include "harness/report.h"
#include "harness/verifier.h"
#include "tests/harness/testutil_standin.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Report TwoConsumerReport() {
  Report r;
  r.per_consumer.push_back(
      {"js-1", "jetstream-acksync",
       VerdictCounters{
           .delivered = 288, .matched = 240, .coalesced = 5, .redelivered = 6, .unjudged = 42},
       true});
  r.per_consumer.push_back({"core-1", "core",
                            VerdictCounters{.delivered = 280,
                                            .matched = 236,
                                            .coalesced = 5,
                                            .lost = 2,
                                            .phantom = 1,
                                            .unjudged = 43},
                            false});
  for (const ConsumerVerdict& c : r.per_consumer) r.totals += c.counters;
  r.stage(Stage::kEndToEnd).count = r.totals.matched;
  r.events = 97;
  r.duration_s = 3;
  r.throughput = 189.3;
  r.scenario = "scenarios/smoke.yaml";
  r.command = "lnsim run scenarios/smoke.yaml --seed 1";
  return r;
}

std::string Table(const Report& r) {
  std::ostringstream out;
  PrintReportTable(r, out);
  return out.str();
}

// The line of `text` that starts with `prefix`, with runs of spaces collapsed to one.
std::string Row(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string collapsed;
    for (char ch : line) {
      if (ch != ' ' || collapsed.empty() || collapsed.back() != ' ') collapsed += ch;
    }
    return collapsed;
  }
  return "";
}

TEST(FirstHourVocabularyTest, TableUsesTheJsonNamesAndNoAbbreviations) {
  const std::string table = Table(TwoConsumerReport());
  EXPECT_EQ(Row(table, "consumer  "),
            "consumer delivered matched unjudged other coalesced");  // the first table
  EXPECT_THAT(table, HasSubstr("lost  duplicated  redelivered  reordered  phantom  late"));
  for (const char* abbreviation :
       {" dup ", " redeliv ", " reorder ", "changes expected", "changes owed"}) {
    EXPECT_THAT(table, Not(HasSubstr(abbreviation))) << abbreviation;
  }
}

TEST(FirstHourVocabularyTest, EachRowShowsHowDeliveredAddsUp) {
  const std::string table = Table(TwoConsumerReport());
  // Per consumer and in total: delivered = matched + unjudged + other, coalesced beside it.
  EXPECT_EQ(Row(table, "js-1 (jetstream-acksync)"),
            "js-1 (jetstream-acksync) 288 = 240 + 42 + 6 5");
  EXPECT_EQ(Row(table, "core-1 (core)"), "core-1 (core) 280 = 236 + 43 + 1 5");
  EXPECT_EQ(Row(table, "total"), "total 568 = 476 + 85 + 7 10");
  // The second table: findings per consumer; the unconverged consumer is marked there.
  EXPECT_THAT(table, HasSubstr("NOT CONVERGED"));
  EXPECT_EQ(DeliveredSumText(TwoConsumerReport().totals),
            "delivered 568 = matched 476 + unjudged 85 + other 7");
}

TEST(FirstHourVocabularyTest, LegendExplainsEveryColumnOnce) {
  const std::string table = Table(TwoConsumerReport());
  const size_t legend = table.find("\nlegend");
  ASSERT_NE(legend, std::string::npos) << table;
  EXPECT_EQ(table.find("\nlegend", legend + 1), std::string::npos) << "printed once";
  std::vector<std::string> names;
  for (const CounterMeaning& m : CounterLegend()) {
    names.emplace_back(m.name);
    EXPECT_THAT(table, HasSubstr("\n  " + std::string(m.name) + " ")) << m.name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"delivered", "matched", "unjudged", "other", "coalesced",
                                      "lost", "duplicated", "redelivered", "reordered", "phantom",
                                      "late", "misordered", "sequence_gaps", "invalid"}));
  EXPECT_THAT(table, HasSubstr("other         delivered - matched - unjudged"));
}

TEST(FirstHourVocabularyTest, LatencyCountsMatchedEventsAndWorldChangesHaveOneName) {
  const std::string table = Table(TwoConsumerReport());
  EXPECT_THAT(table, HasSubstr("latency ms, over the 476 matched events"));
  EXPECT_THAT(table, HasSubstr("world changes 97: what a perfect bridge owed each consumer"));
  EXPECT_THAT(table, HasSubstr("event or counts in lost"));
  EXPECT_THAT(table, HasSubstr("throughput 189.3 delivered events/s over 3 s of world time"));
}

// The verifier's own counts keep the sum's bounds: on a stream with a redelivery, a duplicate
// and an invented event, other = the two repeats + the phantom = redelivered + phantom; an
// unjudged event and a first receipt JetStream marks redelivered make the bound strict.
TEST(FirstHourVocabularyTest, VerifierCountsKeepTheSumsBounds) {
  using testing::FaultyPublisher;
  using testing::MiniWorld;
  using testing::PerfectBridge;
  constexpr int64_t kMs = 1'000'000;
  MiniWorld w(3, 4);
  w.InUse(1000, 0, 0, true);
  w.InUse(2000, 1, 1, true);
  w.InUse(3000, 0, 0, false);
  w.InUse(4000, 2, 2, true);
  VerifierOptions options;
  options.observation_bound_ns = 400 * kMs;
  options.match_slack_ns = 10 * kMs;
  options.judged[static_cast<size_t>(ChannelKind::kQuorum)] = false;  // a scenario's opt-out
  Verifier v(options, 2);
  v.AddTransitions(w.cluster, w.trace);
  const auto perfect = PerfectBridge(w, 100, 6000, 2, 0);
  ASSERT_EQ(perfect.size(), 4u);
  Observation invented = perfect[0];
  invented.id_hash = Fnv1a64("invented");
  invented.partition_hash = Fnv1a64("resource.invented");
  invented.primary = {MakeChannelKey(ChannelKind::kReplicaInUse, 3, 0), 1};  // never in use
  for (const Observation& o :
       FaultyPublisher(perfect).Redeliver(0).Duplicate(1).Invent(invented).Stream()) {
    v.Observe(o);
  }
  // Consumer 1: the perfect stream, its first receipt marked redelivered, plus a quorum event
  // (not judged: this run opts out of quorum).
  std::vector<Observation> marked_stream = PerfectBridge(w, 100, 6000, 2, 1);
  marked_stream[0].num_delivered = 2;
  for (const Observation& o : marked_stream) v.Observe(o);
  Observation quorum = marked_stream[0];
  quorum.num_delivered = 1;
  quorum.id_hash = Fnv1a64("quorum");
  quorum.partition_hash = Fnv1a64("resource.quorum");
  quorum.primary = {MakeChannelKey(ChannelKind::kQuorum, 0, 0), 1};
  v.Observe(quorum);
  const VerifierResult r = v.Finish(6000 * kMs, &w.cluster);

  const VerdictCounters& faulty = r.per_consumer[0];
  EXPECT_EQ(faulty.delivered, 7u);
  EXPECT_EQ(faulty.matched, 4u);
  EXPECT_EQ(OtherReceipts(faulty), 3);
  EXPECT_EQ(OtherReceipts(faulty), static_cast<int64_t>(faulty.redelivered + faulty.phantom));
  const VerdictCounters& marked = r.per_consumer[1];
  EXPECT_EQ(marked.delivered, 5u);
  EXPECT_EQ(marked.matched, 4u);
  EXPECT_EQ(marked.unjudged, 1u);
  EXPECT_EQ(marked.redelivered, 1u);
  EXPECT_EQ(OtherReceipts(marked), 0) << "a marked first receipt is matched, not other";
  EXPECT_EQ(OtherReceipts(r.totals), 3);
  EXPECT_EQ(r.latency[static_cast<int>(Stage::kEndToEnd)].count(), r.totals.matched);
}

ProgressCounts Counts(double elapsed, double limit) {
  ProgressCounts c;
  c.elapsed_s = elapsed;
  c.limit_s = limit;
  c.delivered = 120;
  c.published = 123;
  c.slowest = 118;
  return c;
}

TEST(FirstHourVocabularyTest, ProgressLinesNameThePhaseAndItsCounts) {
  EXPECT_EQ(ProgressLine(ProgressPhase::kWorld, Counts(1.2, 3), PhaseState::kRunning),
            "world   1.2s/3.0s  delivered 120 (100/s)  published 123  backlog 5");
  EXPECT_EQ(ProgressLine(ProgressPhase::kWorld, Counts(3, 3), PhaseState::kDone),
            "world   3.0s/3.0s done  delivered 120 (40/s)  published 123  backlog 5");
  ProgressCounts drain = Counts(0.8, 30);
  drain.outstanding = 2;
  drain.redelivered = 4;
  EXPECT_EQ(ProgressLine(ProgressPhase::kDrain, drain, PhaseState::kRunning),
            "drain   0.8s (up to 30s)  delivered 120  slowest consumer has 118 of 123 published  "
            "bridge outstanding 2  redelivered 4");
  EXPECT_THAT(ProgressLine(ProgressPhase::kDrain, Counts(30, 30), PhaseState::kExpired),
              HasSubstr("drain   expired after 30.0s"));
  ProgressCounts own_bridge = Counts(1.5, 30);
  own_bridge.published.reset();  // a team's own bridge: no timing side channel
  EXPECT_EQ(ProgressLine(ProgressPhase::kDrain, own_bridge, PhaseState::kRunning),
            "drain   1.5s (up to 30s)  delivered 120  (waiting until nothing new arrives)");
  EXPECT_EQ(ProgressLine(ProgressPhase::kDrain, own_bridge, PhaseState::kDone),
            "drain   done after 1.5s  delivered 120");
  ProgressCounts caught_up = Counts(1.5, 30);
  caught_up.slowest = 123;
  EXPECT_EQ(ProgressLine(ProgressPhase::kDrain, caught_up, PhaseState::kRunning),
            "drain   1.5s (up to 30s)  delivered 120  slowest consumer has 123 of 123 published  "
            "(waiting until nothing new arrives)");
  EXPECT_EQ(VerdictProgressLine(287, 1), "verdict judging 287 received events (1 consumer)");
}

TEST(FirstHourVocabularyTest, PlainProgressIsOccasionalLinesForLogs) {
  std::ostringstream out;
  ProgressPrinter p(out, /*live=*/false);
  constexpr int64_t kS = 1'000'000'000;
  for (int64_t t = 0; t <= 25; ++t) p.Update(ProgressPhase::kWorld, Counts(t, 30), t * kS);
  p.End(ProgressPhase::kWorld, Counts(30, 30), PhaseState::kDone);
  p.Update(ProgressPhase::kDrain, Counts(0, 30), 31 * kS);
  p.End(ProgressPhase::kDrain, Counts(1, 30), PhaseState::kDone);
  p.Verdict(120, 2);
  EXPECT_EQ(out.str(),
            "  world   10.0s/30.0s  delivered 120 (12/s)  published 123  backlog 5\n"
            "  world   20.0s/30.0s  delivered 120 (6/s)  published 123  backlog 5\n"
            "  world   30.0s/30.0s done  delivered 120 (4/s)  published 123  backlog 5\n"
            "  drain   done after 1.0s  delivered 120  slowest consumer has 118 of 123 published\n"
            "  verdict judging 120 received events (2 consumers)\n");
}

TEST(FirstHourVocabularyTest, LiveProgressRewritesOneLinePerPhase) {
  std::ostringstream out;
  ProgressPrinter p(out, /*live=*/true);
  constexpr int64_t kMs = 1'000'000;
  p.Update(ProgressPhase::kWorld, Counts(0.1, 3), 0);
  p.Update(ProgressPhase::kWorld, Counts(0.2, 3), 100 * kMs);  // not due yet
  p.Update(ProgressPhase::kWorld, Counts(0.6, 3), 600 * kMs);
  p.End(ProgressPhase::kWorld, Counts(3, 3), PhaseState::kDone);
  const std::string text = out.str();
  EXPECT_EQ(text.rfind("\r\x1b[K  world   0.1s/3.0s", 0), 0u) << text;
  EXPECT_THAT(text, Not(HasSubstr("0.2s/3.0s")));
  EXPECT_THAT(text, HasSubstr("\r\x1b[K  world   0.6s/3.0s"));
  EXPECT_THAT(text, HasSubstr("\r\x1b[K  world   3.0s/3.0s done"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << "ended once, when the phase ended";
}

TEST(FirstHourVocabularyTest, HtmlPageUsesTheSameWords) {
  const std::string html = RenderHtmlPage(RunPage(TwoConsumerReport(), {}));
  EXPECT_THAT(html, HasSubstr("delivered = matched + unjudged + other"));
  EXPECT_THAT(html, HasSubstr("delivered 568 = matched 476 + unjudged 85 + other 7"));
  EXPECT_THAT(html, HasSubstr("world changes"));
  EXPECT_THAT(html, HasSubstr("over the 476 matched events"));
  EXPECT_THAT(html, HasSubstr("other: delivered - matched - unjudged"));
}

}  // namespace
}  // namespace lnsim::harness
