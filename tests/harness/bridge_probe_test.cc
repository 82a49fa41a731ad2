// The parsers of lnsim's bridge's /metrics text (harness/bridge_probe.h): the samples `lnsim run`
// reads, and malformed input counted, never a crash.
#include "harness/bridge_probe.h"

#include <gtest/gtest.h>

namespace lnsim::harness {
namespace {

constexpr std::string_view kMetrics =
    "# HELP lnsim_bridge_polls_total Full polls of the controller.\n"
    "# TYPE lnsim_bridge_polls_total counter\n"
    "lnsim_bridge_polls_total 42\n"
    "lnsim_bridge_polls_total_seconds 7\n"
    "lnsim_bridge_acks_pending 3\n"
    "lnsim_bridge_publish_queue 4\n"
    "lnsim_bridge_errors_total{kind=\"nats_no_responders\"} 5\n"
    "lnsim_bridge_errors_total{kind=\"linstor_http\"} 9\n"
    "lnsim_bridge_errors_total{kind=\"nats_ack_timeout\"} 0\n";

TEST(BridgeProbeTest, ReadsTheCountersLnsimRunWaitsOn) {
  MetricsParseErrors errors;
  EXPECT_EQ(PollsFromMetrics(kMetrics, &errors), 42u);
  EXPECT_EQ(OutstandingFromMetrics(kMetrics, &errors), 7u);
  EXPECT_EQ(errors.count, 0u);
}

TEST(BridgeProbeTest, ASampleOnTheFirstLineAndWithATimestampIsRead) {
  EXPECT_EQ(MetricValue("lnsim_bridge_polls_total 8 1700000000000\n", "lnsim_bridge_polls_total",
                        nullptr),
            8u);
  EXPECT_EQ(MetricValue("lnsim_bridge_polls_total 8", "lnsim_bridge_polls_total", nullptr), 8u);
  EXPECT_EQ(
      MetricValue("x 1\r\nlnsim_bridge_polls_total 9\r\n", "lnsim_bridge_polls_total", nullptr),
      9u);
}

TEST(BridgeProbeTest, FloatValuesAreTruncatedToCounts) {
  EXPECT_EQ(MetricValue("a 12.0\n", "a", nullptr), 12u);
  EXPECT_EQ(MetricValue("a 1e3\n", "a", nullptr), 1000u);
}

TEST(BridgeProbeTest, ALongerNameOrALabelledSampleIsNotTheUnlabelledOne) {
  EXPECT_EQ(MetricValue("a_total 1\na{x=\"y\"} 2\n", "a", nullptr), std::nullopt);
}

TEST(BridgeProbeTest, AbsentSamplesAreUnknownNotErrors) {
  MetricsParseErrors errors;
  EXPECT_EQ(PollsFromMetrics("", &errors), std::nullopt);
  EXPECT_EQ(OutstandingFromMetrics("lnsim_bridge_acks_pending 3\n", &errors), std::nullopt);
  EXPECT_TRUE(NatsErrorsFromMetrics("", &errors).empty());
  EXPECT_EQ(errors.count, 0u);
}

TEST(BridgeProbeTest, MalformedValuesAreCountedWithTheFirstLine) {
  MetricsParseErrors errors;
  EXPECT_EQ(PollsFromMetrics("lnsim_bridge_polls_total forty-two\n", &errors), std::nullopt);
  EXPECT_EQ(PollsFromMetrics("lnsim_bridge_polls_total -1\n", &errors), std::nullopt);
  EXPECT_EQ(PollsFromMetrics("lnsim_bridge_polls_total NaN\n", &errors), std::nullopt);
  EXPECT_EQ(PollsFromMetrics("lnsim_bridge_polls_total \n", &errors), std::nullopt);
  EXPECT_EQ(errors.count, 4u);
  EXPECT_EQ(errors.first, "lnsim_bridge_polls_total forty-two");
}

TEST(BridgeProbeTest, NatsErrorsAreTheNatsKindsInOrder) {
  MetricsParseErrors errors;
  const auto out = NatsErrorsFromMetrics(kMetrics, &errors);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (std::pair<std::string, uint64_t>{"nats_no_responders", 5}));
  EXPECT_EQ(out[1], (std::pair<std::string, uint64_t>{"nats_ack_timeout", 0}));
  EXPECT_EQ(errors.count, 0u);
}

TEST(BridgeProbeTest, MalformedErrorLinesAreCountedAndSkipped) {
  MetricsParseErrors errors;
  const auto out = NatsErrorsFromMetrics(
      "lnsim_bridge_errors_total{kind=\"nats_publish\n"       // no closing quote
      "lnsim_bridge_errors_total{kind=\"nats_publish\" 3\n"   // no closing brace
      "lnsim_bridge_errors_total{kind=\"nats_publish\"} x\n"  // no number
      "lnsim_bridge_errors_total{kind=\"nats_publish\"} 2\n",
      &errors);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].second, 2u);
  EXPECT_EQ(errors.count, 3u);
}

TEST(BridgeProbeTest, BinaryGarbageNeverCrashes) {
  std::string garbage;
  for (int i = 0; i < 2048; ++i) garbage.push_back(static_cast<char>((i * 37 + 11) % 256));
  garbage += "\nlnsim_bridge_polls_total \xff\xfe\nlnsim_bridge_errors_total{kind=\"";
  MetricsParseErrors errors;
  EXPECT_EQ(PollsFromMetrics(garbage, &errors), std::nullopt);
  EXPECT_TRUE(NatsErrorsFromMetrics(garbage, &errors).empty());
  EXPECT_EQ(OutstandingFromMetrics(garbage, &errors), std::nullopt);
  EXPECT_GE(errors.count, 1u);
}

TEST(BridgeProbeTest, PortZeroIsNothingToAsk) {
  RealClock clock;
  BridgeProbe probe(clock);
  EXPECT_FALSE(probe.Ready(0));
  EXPECT_EQ(probe.Metrics(0).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(probe.Polls(0), std::nullopt);
  EXPECT_TRUE(probe.NatsErrors(0).empty());
}

}  // namespace
}  // namespace lnsim::harness
