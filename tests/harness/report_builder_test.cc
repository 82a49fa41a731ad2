// The pure report builder (harness/report_builder.h) on hand-made inputs: failed checks in their
// order, per-consumer verdicts, the cluster section's first acknowledgement, SLO defaults, and
// the verifier's fault windows.
#include "harness/report_builder.h"

#include <gtest/gtest.h>

namespace lnsim::harness {
namespace {

ConsumerSpec Consumer(const std::string& name, ConsumerMode mode) {
  ConsumerSpec c;
  c.name = name;
  c.mode = mode;
  return c;
}

ReportInputs CleanInputs() {
  ReportInputs in;
  in.consumers = {Consumer("js-1", ConsumerMode::kJetStreamAckSync)};
  in.verdict.per_consumer = {VerdictCounters{.delivered = 10, .matched = 10}};
  in.verdict.converged = {true};
  in.verdict.totals = VerdictCounters{.delivered = 10, .matched = 10};
  in.verdict.expected = 10;
  in.run_length = std::chrono::seconds(5);
  in.seed = 7;
  in.scenario = "scenarios/smoke.yaml";
  in.command = "lnsim run scenarios/smoke.yaml --seed 7";
  in.trace_digest = "abc";
  return in;
}

TEST(ReportBuilderTest, ACleanRunPassesTheDefaultExactlyOnceSlos) {
  const Report r = BuildReport(CleanInputs());
  EXPECT_TRUE(r.passed);
  EXPECT_TRUE(r.failed_checks.empty());
  ASSERT_EQ(r.slos.size(), 7u);  // exactly-once, then the documented promises
  EXPECT_EQ(r.slos[0].expression, "lost == 0");
  EXPECT_EQ(r.slos[4].expression, "misordered == 0");
  EXPECT_EQ(r.slos[5].expression, "sequence_gaps == 0");
  EXPECT_EQ(r.slos[6].expression, "invalid == 0");
  EXPECT_EQ(r.seed, 7u);
  EXPECT_EQ(r.scenario, "scenarios/smoke.yaml");
  EXPECT_EQ(r.command, "lnsim run scenarios/smoke.yaml --seed 7");
  EXPECT_EQ(r.trace_digest, "abc");
  EXPECT_EQ(r.events, 10u);
  EXPECT_DOUBLE_EQ(r.duration_s, 5.0);
  EXPECT_DOUBLE_EQ(r.throughput, 2.0);
  ASSERT_EQ(r.per_consumer.size(), 1u);
  EXPECT_EQ(r.per_consumer[0].name, "js-1");
  EXPECT_EQ(r.per_consumer[0].mode, "jetstream-acksync");
  EXPECT_TRUE(r.per_consumer[0].converged);
  EXPECT_FALSE(r.cluster.has_value());
}

TEST(ReportBuilderTest, FailedChecksAreTheRunsThenInvariantsThenConvergence) {
  ReportInputs in = CleanInputs();
  in.consumers.push_back(Consumer("core-1", ConsumerMode::kCore));
  in.failed_checks = {"the bridge did not restart: boom"};
  in.invariant_violations = {"replica-without-resource: x"};
  const Report r = BuildReport(in);  // core-1 has no verdict: not converged
  ASSERT_EQ(r.failed_checks.size(), 3u);
  EXPECT_EQ(r.failed_checks[0], "the bridge did not restart: boom");
  EXPECT_EQ(r.failed_checks[1], "invariant replica-without-resource: x");
  EXPECT_EQ(r.failed_checks[2], "consumer core-1 did not converge to the world's final state");
  EXPECT_FALSE(r.per_consumer[1].converged);
  EXPECT_EQ(r.per_consumer[1].counters, VerdictCounters{});
  EXPECT_FALSE(r.passed);
}

TEST(ReportBuilderTest, TheScenariosSlosReplaceTheDefaults) {
  ReportInputs in = CleanInputs();
  in.verdict.totals.lost = 3;
  auto slos = ParseSlos({"lost <= 5"});
  ASSERT_TRUE(slos.ok());
  in.slos = *slos;
  const Report r = BuildReport(in);
  ASSERT_EQ(r.slos.size(), 4u);  // the scenario's, and the documented promises it did not name
  EXPECT_EQ(r.slos[0].expression, "lost <= 5");
  EXPECT_TRUE(r.passed);
}

TEST(ReportBuilderTest, ClusterFaultsGetTheFirstAckOfAnEventObservedAfterThem) {
  ReportInputs in = CleanInputs();
  in.nats_cluster = 3;
  in.stream_replicas = 3;
  ClusterFaultOutcome c;
  c.record.fault = "nats-restart";
  c.record.member = "lnsim-2";
  c.at_unix_ns = 1'000'000'000;
  in.cluster_faults = {c};
  in.observed_acked = {
      {900'000'000, 1'100'000'000},    // observed before the fault: in flight, ignored
      {1'200'000'000, 1'700'000'000},  // the later of two acks after the fault
      {1'300'000'000, 1'500'000'000},  // the first ack after the fault
      {1'400'000'000, 0},              // never acknowledged
  };
  in.publish_errors = {{"nats_no_responders", 4}};
  const Report r = BuildReport(in);
  ASSERT_TRUE(r.cluster.has_value());
  EXPECT_EQ(r.cluster->size, 3);
  EXPECT_EQ(r.cluster->replicas, 3);
  ASSERT_EQ(r.cluster->faults.size(), 1u);
  ASSERT_TRUE(r.cluster->faults[0].first_ack_ms.has_value());
  EXPECT_DOUBLE_EQ(*r.cluster->faults[0].first_ack_ms, 500.0);
  EXPECT_EQ(r.cluster->publish_errors, in.publish_errors);
}

TEST(ReportBuilderTest, NoAckAfterAClusterFaultLeavesFirstAckUnset) {
  ReportInputs in = CleanInputs();
  in.nats_cluster = 3;
  ClusterFaultOutcome c;
  c.at_unix_ns = 1'000;
  in.cluster_faults = {c};
  in.observed_acked = {{500, 2'000}};
  const Report r = BuildReport(in);
  ASSERT_EQ(r.cluster->faults.size(), 1u);
  EXPECT_FALSE(r.cluster->faults[0].first_ack_ms.has_value());
}

TEST(ReportBuilderTest, VerdictLogLinesSayWhy) {
  ReportInputs in = CleanInputs();
  in.decode_errors = 2;
  in.verdict.lost_samples = {{"node a online at 1s"}};
  in.verdict.phantom_samples = {{"unknown node z"}};
  const std::vector<std::string> lines = VerdictLogLines(in);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "2 received messages were not valid events");
  EXPECT_EQ(lines[1], "lost (js-1): node a online at 1s");
  EXPECT_EQ(lines[2], "phantom (js-1): unknown node z");
  EXPECT_TRUE(VerdictLogLines(CleanInputs()).empty());
}

TEST(VerifierFaultWindowsTest, FiredWindowsWithTheirTargets) {
  std::vector<sim::FaultWindow> windows(5);
  windows[0].kind = sim::FaultKind::kNodeCrash;
  windows[0].fired = true;
  windows[0].nodes = {"node-1", "node-2"};
  windows[0].resource = "rd-1";
  windows[0].start = std::chrono::seconds(1);
  windows[0].end = std::chrono::seconds(2);
  windows[1].kind = sim::FaultKind::kBridgeKill;
  windows[1].fired = false;  // probability said no: not a window
  windows[2].kind = sim::FaultKind::kNatsRestart;
  windows[2].fired = true;
  windows[2].start = std::chrono::seconds(3);
  windows[2].end = std::chrono::seconds(3);  // instantaneous
  windows[3].kind = sim::FaultKind::kNetwork;
  windows[3].fired = true;
  windows[3].start = std::chrono::seconds(4);
  windows[3].end = std::chrono::seconds(1);  // ends before it starts: as long as nothing
  windows[4].kind = sim::FaultKind::kNodeCrash;
  windows[4].fired = true;
  windows[4].permanent = true;
  windows[4].start = std::chrono::seconds(4);
  ClusterFaultOutcome c;
  c.window = 3;
  c.record.member = "lnsim-1";
  c.record.was_leader = true;
  const auto specs = VerifierFaultWindows(windows, {c}, std::chrono::seconds(10));
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].kind, "node-crash");
  EXPECT_EQ(specs[0].target, "node-1,node-2 rd-1");
  EXPECT_EQ(specs[0].start_ns, 1'000'000'000);
  EXPECT_EQ(specs[0].end_ns, 2'000'000'000);
  EXPECT_EQ(specs[1].target, "nats-server");
  EXPECT_EQ(specs[1].end_ns, 3'000'000'000);
  EXPECT_EQ(specs[2].target, "lnsim-1 (stream leader) routes");
  EXPECT_EQ(specs[2].end_ns, 4'000'000'000);
  EXPECT_EQ(specs[3].end_ns, 10'000'000'000);  // permanent: to the end of the run
}

}  // namespace
}  // namespace lnsim::harness
