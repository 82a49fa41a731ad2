// The HTML page's latency-over-time plot (harness/html_report.h): every stage of the matched
// events the report counts, from the verifier's samples (so the dots per stage equal the latency
// table's count), fault windows shaded, a legend; bounded samples for big runs, said on the page.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <vector>

#include "harness/html_report.h"
#include "harness/report_builder.h"
#include "harness/verifier.h"
#include "tests/harness/testutil_standin.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kMs = 1'000'000;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Open and close tags balance (self-closing ones aside), in order.
bool TagsBalance(const std::string& html) {
  std::vector<std::string> open;
  const std::regex tag(R"(<(/?)([a-zA-Z][a-zA-Z0-9]*)[^<>]*?(/?)>)");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), tag); it != std::sregex_iterator();
       ++it) {
    const std::string name = (*it)[2];
    if ((*it)[3] == "/" || name == "meta") continue;
    if ((*it)[1] == "/") {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  return open.empty();
}

// A run judged by the real verifier: a small world, a perfect bridge with acks 1 ms after its
// observations, and a fault window.
Report VerifiedRun() {
  testing::MiniWorld w(3, 4);
  w.InUse(1000, 0, 0, true);
  w.InUse(2000, 1, 1, true);
  w.InUse(3000, 0, 0, false);
  w.Online(5000, 2, false);
  w.Online(8000, 2, true);
  w.InUse(9000, 1, 1, false);
  VerifierOptions o;
  o.observation_bound_ns = 400 * kMs;
  o.match_slack_ns = 10 * kMs;
  o.faults.push_back({"node-crash", "node-2", 5000 * kMs, 8000 * kMs});
  Verifier v(o, 1);
  v.AddTransitions(w.cluster, w.trace);
  std::vector<Observation> stream = testing::PerfectBridge(w, 100, 12000, 3, 0);
  // Every other event without the timing side channel: stages differ in count.
  for (size_t i = 0; i < stream.size(); i += 2) stream[i].acked_ns = stream[i].observed_ns + kMs;
  for (const Observation& ob : stream) v.Observe(ob);
  ReportInputs in;
  ConsumerSpec c;
  c.name = "js-1";
  in.consumers = {c};
  in.verdict = v.Finish(12000 * kMs, &w.cluster);
  in.scenario = "scenarios/mini.yaml";
  return BuildReport(in);
}

TEST(HtmlPlotTest, VerifierSamplesAreTheEventsTheHistogramsCount) {
  const Report r = VerifiedRun();
  ASSERT_TRUE(r.samples_recorded);
  ASSERT_GT(r.stage(Stage::kEndToEnd).count, 4u);
  EXPECT_LT(r.stage(Stage::kPublish).count, r.stage(Stage::kEndToEnd).count);
  for (int s = 0; s < kStageCount; ++s) {
    EXPECT_EQ(r.samples[s].total, r.latency[s].count) << StageName(static_cast<Stage>(s));
    EXPECT_EQ(r.samples[s].points.size(), r.latency[s].count);
  }
  // end to end = delivered - world change: 3 ms plus the wait for the next poll (< 100 ms).
  for (const LatencyPoint& p : r.samples[static_cast<int>(Stage::kEndToEnd)].points) {
    EXPECT_GE(p.ms, 3.0f);
    EXPECT_LT(p.ms, 104.0f);
    EXPECT_GT(p.t_s, 0.5f);
  }
}

TEST(HtmlPlotTest, OverTimePlotHasEveryStageWithTheTablesCounts) {
  const Report r = VerifiedRun();
  const std::string html = RenderHtmlPage(RunPage(r, {}));
  EXPECT_TRUE(TagsBalance(html));
  for (int s = 0; s < kStageCount; ++s) {
    const std::string name(StageName(static_cast<Stage>(s)));
    EXPECT_EQ(Count(html, "class=\"pt stage-" + name + "\""), r.latency[s].count) << name;
    // The legend names the stage with its count.
    EXPECT_THAT(html, HasSubstr(">" + name + " (" + std::to_string(r.latency[s].count) + ")<"));
  }
  EXPECT_THAT(html, HasSubstr("Latency over time, every stage"));
  EXPECT_EQ(Count(html, "class=\"fault\""), 1u);
  EXPECT_THAT(html, HasSubstr(">fault window<"));
  EXPECT_THAT(html, Not(HasSubstr("every n-th event")));  // nothing decimated
  EXPECT_THAT(html, Not(HasSubstr("<script")));
}

TEST(HtmlPlotTest, SamplesAreBoundedAndThePageSaysSo) {
  StageSamples s;
  for (int i = 0; i < 100'000; ++i) s.Add(i * 0.001, i % 97);
  EXPECT_EQ(s.total, 100'000u);
  EXPECT_LT(s.points.size(), kMaxStageSamples);
  EXPECT_GE(s.points.size(), kMaxStageSamples / 2 - 1);
  // Every stride-th event, evenly over the run: the first at t = 0, spaced by the stride.
  ASSERT_GE(s.points.size(), 2u);
  EXPECT_FLOAT_EQ(s.points[0].t_s, 0);
  EXPECT_NEAR(s.points[1].t_s, static_cast<double>(s.stride) * 0.001, 1e-6);
  EXPECT_NEAR(s.points.back().t_s, 100.0, s.stride * 0.001 + 1e-3);
  for (size_t k = 0; k < s.points.size(); ++k) {
    ASSERT_NEAR(s.points[k].t_s, static_cast<double>(k * s.stride) * 0.001, 1e-3) << k;
  }
  s.Add(1, -5);  // a negative interval is 0, as in the histogram
  Report r;
  r.samples_recorded = true;
  r.samples[static_cast<int>(Stage::kEndToEnd)] = s;
  r.stage(Stage::kEndToEnd).count = s.total;
  const std::string html = RenderHtmlPage(RunPage(r, {}));
  EXPECT_TRUE(TagsBalance(html));
  EXPECT_EQ(Count(html, "class=\"pt stage-end_to_end\""), s.points.size());
  EXPECT_THAT(html, HasSubstr("end_to_end (" + std::to_string(s.points.size()) + " of 100001)"));
  EXPECT_THAT(html, HasSubstr("every n-th event"));
}

TEST(HtmlPlotTest, ReportWithoutSamplesPlotsTheTimingSideChannel) {
  Report r;
  const std::string html = RenderHtmlPage(RunPage(r, {{0.5, 2.0}, {1.0, 3.0}}));
  EXPECT_THAT(html, HasSubstr("Publish latency over time"));
  EXPECT_EQ(Count(html, "class=\"pt "), 0u);
}

}  // namespace
}  // namespace lnsim::harness
