// SLO expressions: the grammar, the error messages and the judgement against a report.
#include "harness/slo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

Report SampleReport() {
  Report r;
  r.totals.lost = 2;
  r.totals.duplicated = 0;
  r.totals.redelivered = 7;
  r.throughput = 1500.5;
  StageSummary& e2e = r.stage(Stage::kEndToEnd);
  e2e.count = 100;
  e2e.p50_ns = 200'000'000;    // 200ms
  e2e.p99_ns = 1'500'000'000;  // 1.5s
  e2e.max_ns = 3'000'000'000;
  return r;
}

TEST(SloTest, ParsesLatencyWithUnits) {
  auto slo = ParseSlo("p99_end_to_end < 2s");
  ASSERT_TRUE(slo.ok()) << slo.status().ToString();
  EXPECT_EQ(slo->kind, SloMetricKind::kLatency);
  EXPECT_EQ(slo->stage, Stage::kEndToEnd);
  EXPECT_DOUBLE_EQ(slo->quantile, 0.99);
  EXPECT_EQ(slo->op, SloOp::kLess);
  EXPECT_DOUBLE_EQ(slo->threshold, 2e9);
  EXPECT_EQ(slo->expression, "p99_end_to_end < 2s");

  auto tight = ParseSlo("  p50_deliver<=250ms ");
  ASSERT_TRUE(tight.ok());
  EXPECT_EQ(tight->op, SloOp::kLessEqual);
  EXPECT_DOUBLE_EQ(tight->threshold, 250e6);
  EXPECT_EQ(tight->expression, "p50_deliver <= 250ms");
}

TEST(SloTest, ParsesCountersAndThroughput) {
  auto lost = ParseSlo("lost == 0");
  ASSERT_TRUE(lost.ok());
  EXPECT_EQ(lost->kind, SloMetricKind::kCounter);
  EXPECT_EQ(lost->op, SloOp::kEqual);
  auto rate = ParseSlo("throughput >= 1000/s");
  ASSERT_TRUE(rate.ok());
  EXPECT_EQ(rate->kind, SloMetricKind::kThroughput);
  EXPECT_DOUBLE_EQ(rate->threshold, 1000);
  for (const char* text :
       {"duplicated != 3", "reordered > 1", "phantom >= 0", "late < 5", "redelivered <= 10",
        "max_observe < 1m", "p999_publish < 1.5s", "p90_deliver > 0ns"}) {
    EXPECT_TRUE(ParseSlo(text).ok()) << text;
  }
}

TEST(SloTest, ErrorsNameTheExpressionAndTheProblem) {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (const Case& c :
       {Case{"p99_end_to_end < 2", "give the value a unit"},
        Case{"p98_end_to_end < 2s", "unknown metric 'p98_end_to_end'"},
        Case{"p99_somewhere < 2s", "unknown metric"}, Case{"lostt == 0", "unknown metric 'lostt'"},
        Case{"lost = 0", "unknown operator '='"}, Case{"lost 0", "no comparison operator"},
        Case{"lost == -1", "non-negative integer"}, Case{"lost == 1.5", "non-negative integer"},
        Case{"lost == 0s", "non-negative integer"},
        Case{"throughput > fast", "non-negative number"}, Case{"== 0", "no metric"},
        Case{"lost ==", "no value"}, Case{"p99_deliver < 2parsecs", "bad duration"},
        Case{"", "empty"}}) {
    auto slo = ParseSlo(c.text);
    EXPECT_THAT(slo,
                StatusIs(StatusCode::kInvalidArgument,
                         ::testing::AllOf(::testing::HasSubstr(c.needle),
                                          ::testing::HasSubstr("'" + std::string(c.text) + "'"))))
        << c.text;
  }
}

TEST(SloTest, ParseSlosNamesThePosition) {
  auto slos = ParseSlos({"lost == 0", "nonsense < 1"});
  EXPECT_THAT(slos, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("slo[1]")));
}

TEST(SloTest, EvaluatesAgainstTheReport) {
  const Report r = SampleReport();
  auto judge = [&](const char* text) {
    auto slo = ParseSlo(text);
    LNSIM_CHECK(slo.ok()) << slo.status().ToString();
    return EvaluateSlo(*slo, r);
  };
  EXPECT_TRUE(judge("p99_end_to_end < 2s").passed);
  EXPECT_FALSE(judge("p99_end_to_end < 1s").passed);
  EXPECT_EQ(judge("p99_end_to_end < 1s").measured, "1.5s");
  EXPECT_FALSE(judge("p99_end_to_end < 1500ms").passed);  // strict
  EXPECT_TRUE(judge("p99_end_to_end <= 1500ms").passed);
  EXPECT_TRUE(judge("max_end_to_end == 3s").passed);
  EXPECT_FALSE(judge("lost == 0").passed);
  EXPECT_EQ(judge("lost == 0").measured, "2");
  EXPECT_TRUE(judge("lost != 0").passed);
  EXPECT_TRUE(judge("duplicated == 0").passed);
  EXPECT_TRUE(judge("redelivered > 6").passed);
  EXPECT_TRUE(judge("throughput >= 1500").passed);
  EXPECT_FALSE(judge("throughput > 1501").passed);
}

TEST(SloTest, LatencyOverAnEmptyStageFails) {
  const Report r = SampleReport();  // observe has no samples
  auto slo = ParseSlo("p99_observe < 1h");
  ASSERT_TRUE(slo.ok());
  const SloResult result = EvaluateSlo(*slo, r);
  EXPECT_FALSE(result.passed);
  EXPECT_EQ(result.measured, "no samples");
}

TEST(SloTest, ApplySlosSetsTheVerdict) {
  Report r = SampleReport();
  auto pass = ParseSlos({"p99_end_to_end < 2s", "duplicated == 0"});
  ASSERT_TRUE(pass.ok());
  ApplySlos(*pass, &r);
  EXPECT_TRUE(r.passed);
  ASSERT_EQ(r.slos.size(), 2u);
  auto fail = ParseSlos({"p99_end_to_end < 2s", "lost == 0"});
  ASSERT_TRUE(fail.ok());
  ApplySlos(*fail, &r);
  EXPECT_FALSE(r.passed);
  r.failed_checks.push_back("consumer c1 did not converge");
  ApplySlos(*pass, &r);
  EXPECT_FALSE(r.passed) << "a failed check fails the run even when every SLO passes";
}

}  // namespace
}  // namespace lnsim::harness
