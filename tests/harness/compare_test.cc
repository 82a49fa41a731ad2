// lnsim compare over synthetic reports: a real regression is found, noise is not flagged,
// correctness counters gate at zero, A vs A passes, unreadable input is a clear error.
#include "harness/compare.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

Report Synthetic(double e2e_p50_ms, double e2e_p99_ms, double throughput = 100) {
  Report r;
  r.passed = true;
  r.scenario = "scenarios/smoke.yaml";
  r.totals.delivered = 1000;
  r.events = 500;
  r.throughput = throughput;
  r.duration_s = 10;
  StageSummary& s = r.stage(Stage::kEndToEnd);
  s.count = 1000;
  s.p50_ns = static_cast<uint64_t>(e2e_p50_ms * 1e6);
  s.p90_ns = static_cast<uint64_t>(e2e_p50_ms * 1.5e6);
  s.p99_ns = static_cast<uint64_t>(e2e_p99_ms * 1e6);
  s.p999_ns = s.p99_ns + 1'000'000;
  s.max_ns = s.p999_ns + 1'000'000;
  return r;
}

const MetricComparison& Metric(const Comparison& c, const std::string& name) {
  for (const auto& m : c.metrics) {
    if (m.metric == name) return m;
  }
  ADD_FAILURE() << "no metric " << name;
  static MetricComparison none;
  return none;
}

TEST(MedianTest, OddEvenEmpty) {
  EXPECT_EQ(Median({3, 1, 2}), 2);
  EXPECT_EQ(Median({4, 1, 2, 3}), 2.5);
  EXPECT_EQ(Median({}), 0);
}

TEST(MannWhitneyTest, ExactSmallSamples) {
  // All three "worse" above all three "better": 1 split of C(6,3) = 20.
  EXPECT_DOUBLE_EQ(MannWhitneyGreaterPValue({1, 2, 3}, {4, 5, 6}), 1.0 / 20);
  // The other way round: every split has U >= 0.
  EXPECT_DOUBLE_EQ(MannWhitneyGreaterPValue({4, 5, 6}, {1, 2, 3}), 1.0);
  // Identical samples: ties everywhere, no evidence.
  EXPECT_DOUBLE_EQ(MannWhitneyGreaterPValue({5, 5, 5}, {5, 5, 5}), 1.0);
  EXPECT_DOUBLE_EQ(MannWhitneyGreaterPValue({}, {1}), 1.0);
}

TEST(MannWhitneyTest, NormalApproximationForLargeSamples) {
  std::vector<double> a, b;
  for (int i = 0; i < 40; ++i) {
    a.push_back(i);
    b.push_back(i + 30);
  }
  EXPECT_LT(MannWhitneyGreaterPValue(a, b), 1e-6);
  EXPECT_GT(MannWhitneyGreaterPValue(b, a), 0.99);
}

TEST(CompareTest, SameReportPasses) {
  const Report a = Synthetic(60, 240);
  const Comparison c = CompareReports({a}, {a}, CompareOptions{});
  EXPECT_FALSE(c.regressed);
  EXPECT_FALSE(c.statistical);
  EXPECT_EQ(Metric(c, "p99_end_to_end").verdict, MetricVerdict::kOk);
  EXPECT_EQ(Metric(c, "lost").verdict, MetricVerdict::kOk);
}

TEST(CompareTest, SameRepeatsPass) {
  const std::vector<Report> runs = {Synthetic(60, 240), Synthetic(62, 250), Synthetic(58, 230)};
  const Comparison c = CompareReports(runs, runs, CompareOptions{});
  EXPECT_TRUE(c.statistical);
  EXPECT_FALSE(c.regressed);
}

TEST(CompareTest, SingleReportsUsePlainThresholds) {
  const Comparison c = CompareReports({Synthetic(60, 240)}, {Synthetic(60, 300)}, CompareOptions{});
  EXPECT_TRUE(c.regressed);  // +25% > +20%
  EXPECT_EQ(Metric(c, "p99_end_to_end").verdict, MetricVerdict::kRegressed);
  EXPECT_NE(c.method.find("plain relative thresholds"), std::string::npos);

  const Comparison within =
      CompareReports({Synthetic(60, 240)}, {Synthetic(60, 280)}, CompareOptions{});
  EXPECT_FALSE(within.regressed);  // +17%
}

TEST(CompareTest, ConsistentSlowdownAcrossRepeatsIsARegression) {
  const std::vector<Report> base = {Synthetic(60, 240), Synthetic(62, 250), Synthetic(58, 230)};
  const std::vector<Report> slow = {Synthetic(90, 400), Synthetic(95, 420), Synthetic(88, 390)};
  const Comparison c = CompareReports(base, slow, CompareOptions{});
  EXPECT_TRUE(c.regressed);
  const MetricComparison& p99 = Metric(c, "p99_end_to_end");
  EXPECT_EQ(p99.verdict, MetricVerdict::kRegressed);
  ASSERT_TRUE(p99.p_value.has_value());
  EXPECT_DOUBLE_EQ(*p99.p_value, 0.05);
  EXPECT_FALSE(c.regressions.empty());
}

TEST(CompareTest, NoisyMedianShiftIsNotFlagged) {
  // The current median is 30% up, but one current run is as fast as the baseline: the rank
  // test does not call it significant, so it is noise.
  const std::vector<Report> base = {Synthetic(60, 240), Synthetic(62, 250), Synthetic(58, 230)};
  const std::vector<Report> noisy = {Synthetic(60, 330), Synthetic(61, 325), Synthetic(59, 235)};
  const Comparison c = CompareReports(base, noisy, CompareOptions{});
  const MetricComparison& p99 = Metric(c, "p99_end_to_end");
  EXPECT_EQ(p99.verdict, MetricVerdict::kOk);
  EXPECT_NE(p99.note.find("noise"), std::string::npos);
  EXPECT_FALSE(c.regressed);
}

TEST(CompareTest, SubMillisecondJitterIsNotARegression) {
  const Comparison c =
      CompareReports({Synthetic(0.2, 0.5)}, {Synthetic(0.4, 0.9)}, CompareOptions{});
  EXPECT_FALSE(c.regressed);  // +100% but under the 1ms floor
}

TEST(CompareTest, ThroughputDropIsARegression) {
  const Comparison c =
      CompareReports({Synthetic(60, 240, 100)}, {Synthetic(60, 240, 70)}, CompareOptions{});
  EXPECT_EQ(Metric(c, "throughput").verdict, MetricVerdict::kRegressed);
  EXPECT_TRUE(c.regressed);
}

TEST(CompareTest, ImprovementIsNotARegression) {
  const Comparison c = CompareReports({Synthetic(60, 240)}, {Synthetic(30, 120)}, CompareOptions{});
  EXPECT_FALSE(c.regressed);
  EXPECT_EQ(Metric(c, "p99_end_to_end").verdict, MetricVerdict::kImproved);
}

TEST(CompareTest, CorrectnessCountersGateAtZeroRegardlessOfNoise) {
  const std::vector<Report> base = {Synthetic(60, 240), Synthetic(62, 250), Synthetic(58, 230)};
  for (const char* counter : {"lost", "duplicated", "reordered", "phantom"}) {
    std::vector<Report> current = base;
    VerdictCounters& t = current[1].totals;
    if (std::string(counter) == "lost") t.lost = 1;
    if (std::string(counter) == "duplicated") t.duplicated = 1;
    if (std::string(counter) == "reordered") t.reordered = 1;
    if (std::string(counter) == "phantom") t.phantom = 1;
    const Comparison c = CompareReports(base, current, CompareOptions{});
    EXPECT_TRUE(c.regressed) << counter;
    EXPECT_EQ(Metric(c, counter).verdict, MetricVerdict::kRegressed) << counter;
    EXPECT_NE(Metric(c, counter).note.find("1 of 3"), std::string::npos) << counter;
  }
}

TEST(CompareTest, RedeliveriesAreReportedNotGated) {
  Report current = Synthetic(60, 240);
  current.totals.redelivered = 12;
  current.totals.late = 3;
  const Comparison c = CompareReports({Synthetic(60, 240)}, {current}, CompareOptions{});
  EXPECT_FALSE(c.regressed);
  EXPECT_EQ(Metric(c, "redelivered").verdict, MetricVerdict::kInfo);
  EXPECT_EQ(Metric(c, "redelivered").current_median, 12);
  EXPECT_EQ(Metric(c, "late").verdict, MetricVerdict::kInfo);
}

TEST(CompareTest, MissingSamplesInCurrentAreARegression) {
  Report current = Synthetic(60, 240);
  current.stage(Stage::kEndToEnd) = StageSummary{};
  const Comparison c = CompareReports({Synthetic(60, 240)}, {current}, CompareOptions{});
  EXPECT_EQ(Metric(c, "p50_end_to_end").verdict, MetricVerdict::kRegressed);
}

TEST(CompareTest, TableAndJsonNameTheVerdict) {
  const Comparison c = CompareReports({Synthetic(60, 240)}, {Synthetic(60, 400)}, CompareOptions{});
  std::ostringstream out;
  PrintComparison(c, out);
  EXPECT_NE(out.str().find("p99_end_to_end"), std::string::npos);
  EXPECT_NE(out.str().find("REGRESSION"), std::string::npos);
  EXPECT_NE(out.str().find("+66.7%"), std::string::npos);
  EXPECT_NE(ComparisonToJson(c).find("\"regressed\": true"), std::string::npos);
}

class LoadReportSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-compare-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadReportSetTest, FileDirectoryAndGlob) {
  Write("a.json", ReportToJson(Synthetic(60, 240)));
  Write("b.json", ReportToJson(Synthetic(61, 241)));
  Write("notes.txt", "not a report");
  auto one = LoadReportSet((dir_ / "a.json").string());
  ASSERT_TRUE(one.ok()) << one.status().message();
  EXPECT_EQ(one->size(), 1u);
  auto all = LoadReportSet(dir_.string());
  ASSERT_TRUE(all.ok()) << all.status().message();
  EXPECT_EQ(all->size(), 2u);
  auto globbed = LoadReportSet((dir_ / "*.json").string());
  ASSERT_TRUE(globbed.ok()) << globbed.status().message();
  EXPECT_EQ(globbed->size(), 2u);
}

TEST_F(LoadReportSetTest, MissingFileIsNotFoundNamingIt) {
  auto r = LoadReportSet((dir_ / "nope.json").string());
  ASSERT_THAT(r, StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("nope.json")));
  auto g = LoadReportSet((dir_ / "*.json").string());
  EXPECT_EQ(g.status().code(), StatusCode::kNotFound);
}

TEST_F(LoadReportSetTest, NotAReportIsAnErrorNamingTheFile) {
  Write("bad.json", "{\"hello\": 1}");
  auto r = LoadReportSet((dir_ / "bad.json").string());
  EXPECT_THAT(r, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("bad.json")));
  Write("garbage.json", "not json");
  auto g = LoadReportSet((dir_ / "garbage.json").string());
  EXPECT_THAT(g, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("garbage.json")));
}

}  // namespace
}  // namespace lnsim::harness
