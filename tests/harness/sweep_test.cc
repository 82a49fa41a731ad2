// lnsim sweep's search over a synthetic pipeline (latency a known function of load), the
// scenario rewrite, the CSV, and the HTML pages' structure (well-formed, self-contained, with
// the plots the issue asks for).
#include "harness/sweep.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/html_report.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

// A pipeline whose p99 is 10ms below the knee and grows steeply above it.
Report SyntheticRun(double rate, double knee, bool lose_above_knee = false) {
  Report r;
  r.scenario = "synthetic";
  const double p99_ms =
      rate <= knee ? 10 + rate / knee * 5 : 15 * (rate / knee) * (rate / knee) * 10;
  StageSummary& s = r.stage(Stage::kEndToEnd);
  s.count = 100;
  s.p50_ns = static_cast<uint64_t>(p99_ms / 3 * 1e6);
  s.p90_ns = static_cast<uint64_t>(p99_ms / 2 * 1e6);
  s.p99_ns = static_cast<uint64_t>(p99_ms * 1e6);
  s.p999_ns = s.p99_ns;
  s.max_ns = s.p99_ns;
  r.throughput = rate * 2;
  if (lose_above_knee && rate > knee) r.totals.lost = 3;
  r.faults.push_back({"node-crash", "node-1", 1000, 2000, 50.0, 100.0, 200.0, 5});
  return r;
}

std::vector<Slo> Slos(const std::vector<std::string>& texts) {
  auto slos = ParseSlos(texts);
  EXPECT_TRUE(slos.ok()) << slos.status().message();
  return *slos;
}

TEST(SweepAxisTest, ParsesRangesAndLists) {
  auto rate = ParseSweepAxis("rate=1000..200k");
  ASSERT_TRUE(rate.ok()) << rate.status().message();
  EXPECT_EQ(rate->name, "rate");
  EXPECT_EQ(rate->values, (std::vector<double>{1000, 200000}));
  auto volumes = ParseSweepAxis("volumes=800,4000,1M");
  ASSERT_TRUE(volumes.ok()) << volumes.status().message();
  EXPECT_EQ(volumes->values, (std::vector<double>{800, 4000, 1e6}));
}

TEST(SweepAxisTest, RejectsBadAxes) {
  for (const char* bad : {"rate", "rate=5..1", "rate=100", "speed=1..2", "volumes=1..5",
                          "volumes=a,b", "rate=-1..5"}) {
    auto a = ParseSweepAxis(bad);
    EXPECT_THAT(a, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr(bad))) << bad;
  }
}

TEST(SweepTest, BisectionFindsTheKneeWithinTolerance) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 200000;
  o.slos = Slos({"p99_end_to_end < 50ms", "lost == 0"});
  o.max_probes = 20;
  const double knee = 13000;  // p99 crosses 50ms a little above
  std::vector<double> probed;
  ProbeFn fn = [&](const SweepSetting&, double rate, int) -> StatusOr<ProbeRun> {
    probed.push_back(rate);
    return ProbeRun{SyntheticRun(rate, knee), {}};
  };
  std::ostringstream log;
  auto result = RunSweep(o, fn, log);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->settings.size(), 1u);
  const SettingResult& s = result->settings[0];
  ASSERT_TRUE(s.knee.has_value());
  ASSERT_TRUE(s.first_fail.has_value());
  // The true limit: 15 * (r/k)^2 * 10 < 50 -> r < k * sqrt(1/3)... above the knee the model
  // jumps to 150ms, so the limit is the knee itself.
  EXPECT_LE(*s.knee, knee);
  EXPECT_GT(*s.first_fail, knee);
  EXPECT_LE(*s.first_fail / *s.knee, 1.1 + 1e-9);
  EXPECT_EQ(probed.front(), 1000);
  EXPECT_NE(log.str().find("knee"), std::string::npos);
  EXPECT_NE(s.summary.find("p99_end_to_end < 50ms"), std::string::npos);
}

TEST(SweepTest, CountersFailAProbeInAnyRepeat) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 100000;
  o.repeats = 3;
  o.slos = Slos({"p99_end_to_end < 1s", "lost == 0"});
  // Latency never fails; one repeat in three loses events above 20k.
  ProbeFn fn = [&](const SweepSetting&, double rate, int repeat) -> StatusOr<ProbeRun> {
    Report r = SyntheticRun(rate, 1e9);
    if (repeat == 1 && rate > 20000) r.totals.lost = 1;
    return ProbeRun{r, {}};
  };
  std::ostringstream log;
  auto result = RunSweep(o, fn, log);
  ASSERT_TRUE(result.ok());
  const SettingResult& s = result->settings[0];
  ASSERT_TRUE(s.knee && s.first_fail);
  EXPECT_LE(*s.knee, 20000);
  EXPECT_GT(*s.first_fail, 20000);
  for (const Probe& p : s.probes) EXPECT_EQ(p.repeats.size(), 3u);
}

TEST(SweepTest, EdgesBelowLowAndAboveHigh) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 8000;
  o.slos = Slos({"p99_end_to_end < 50ms"});
  std::ostringstream log;
  auto never = RunSweep(
      o,
      [](const SweepSetting&, double r, int) -> StatusOr<ProbeRun> {
        return ProbeRun{SyntheticRun(r, 10), {}};
      },
      log);
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->settings[0].knee.has_value());
  EXPECT_EQ(never->settings[0].probes.size(), 1u);
  auto always = RunSweep(
      o,
      [](const SweepSetting&, double r, int) -> StatusOr<ProbeRun> {
        return ProbeRun{SyntheticRun(r, 1e9), {}};
      },
      log);
  ASSERT_TRUE(always.ok());
  EXPECT_EQ(always->settings[0].knee, 8000);
  EXPECT_FALSE(always->settings[0].first_fail.has_value());
}

TEST(SweepTest, SettingsAreTheProductOfTheAxesAndErrorsAbort) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 4000;
  o.slos = Slos({"lost == 0"});
  o.settings_axes = {{"volumes", {800, 4000}}, {"nodes", {3, 8}}};
  std::set<std::string> seen;
  std::ostringstream log;
  auto result = RunSweep(
      o,
      [&](const SweepSetting& s, double r, int) -> StatusOr<ProbeRun> {
        seen.insert(SettingLabel(s));
        return ProbeRun{SyntheticRun(r, 1e9), {}};
      },
      log);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->settings.size(), 4u);
  EXPECT_TRUE(seen.count("nodes=3 volumes=800"));
  auto failed = RunSweep(
      o,
      [&](const SweepSetting&, double, int) -> StatusOr<ProbeRun> {
        return UnavailableError("nats-server would not start");
      },
      log);
  ASSERT_THAT(failed, StatusIs(StatusCode::kUnavailable));
}

TEST(SweepTest, CsvHasOneRowPerProbe) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 200000;
  o.slos = Slos({"p99_end_to_end < 50ms"});
  std::ostringstream log;
  auto result = RunSweep(
      o,
      [](const SweepSetting&, double r, int) -> StatusOr<ProbeRun> {
        return ProbeRun{SyntheticRun(r, 13000), {}};
      },
      log);
  ASSERT_TRUE(result.ok());
  const std::string csv = SweepCsv(*result);
  size_t lines = std::count(csv.begin(), csv.end(), '\n');
  EXPECT_EQ(lines, 1 + result->settings[0].probes.size());
  EXPECT_EQ(csv.rfind("setting,rate_ops_per_s,", 0), 0u);
  const std::string knees = KneesCsv(*result);
  EXPECT_NE(knees.find("scenario,"), std::string::npos);
}

class RewriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("lnsim-sweep-test-" + std::to_string(::getpid()) + ".yaml");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(RewriteTest, ScalesTheWorkloadMixAndAppliesTheSetting) {
  std::ofstream(path_) << "cluster:\n  nodes: 3\n  resources: 20\n  volumes_per_resource: 2\n"
                          "workload:\n  attach_rate: 3\n  detach_rate: 1\ntime_scale: 0.5\n"
                          "duration: 2m\nslo:\n  - lost == 0\n";
  auto text = RewriteScenarioForProbe(path_.string(), {{"volumes", 1000}, {"nodes", 8}}, 400,
                                      std::chrono::seconds(5));
  ASSERT_TRUE(text.ok()) << text.status().message();
  const YAML::Node y = YAML::Load(*text);
  // 400 ops per world second = 200 per scenario second at time_scale 0.5, mix 3:1.
  EXPECT_DOUBLE_EQ(y["workload"]["attach_rate"].as<double>(), 150);
  EXPECT_DOUBLE_EQ(y["workload"]["detach_rate"].as<double>(), 50);
  EXPECT_FALSE(y["workload"]["resize_rate"].IsDefined());
  EXPECT_EQ(y["cluster"]["resources"].as<int>(), 500);
  EXPECT_EQ(y["cluster"]["nodes"].as<int>(), 8);
  EXPECT_EQ(y["duration"].as<std::string>(), "10s");  // 5 s of world time
  EXPECT_EQ(y["slo"][0].as<std::string>(), "lost == 0");
}

TEST_F(RewriteTest, MissingScenarioIsInvalidArgumentNamingIt) {
  auto text = RewriteScenarioForProbe("/nonexistent/x.yaml", {}, 100, std::chrono::seconds(5));
  ASSERT_THAT(text,
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("/nonexistent/x.yaml")));
}

// A small XML well-formedness checker: every element closed in order, attributes quoted,
// entities known, no stray '<'. The pages are written as XHTML-style HTML so this holds.
struct XmlCheck {
  bool ok = true;
  std::string error;
  std::multiset<std::string> elements;
  std::vector<std::string> svg_titles;
};

XmlCheck CheckWellFormed(const std::string& text) {
  XmlCheck c;
  std::vector<std::string> stack;
  size_t i = 0;
  auto fail = [&](const std::string& why) {
    if (c.ok) c.error = why + " at offset " + std::to_string(i);
    c.ok = false;
  };
  while (i < text.size() && c.ok) {
    if (text[i] == '&') {
      const size_t semi = text.find(';', i);
      const std::string ent = semi == std::string::npos ? "" : text.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&#39;") {
        fail("unknown entity");
      }
      i = semi + 1;
      continue;
    }
    if (text[i] != '<') {
      ++i;
      continue;
    }
    if (text.compare(i, 9, "<!DOCTYPE") == 0) {
      i = text.find('>', i) + 1;
      continue;
    }
    const size_t end = text.find('>', i);
    if (end == std::string::npos) {
      fail("unterminated tag");
      break;
    }
    std::string tag = text.substr(i + 1, end - i - 1);
    if (tag.find('<') != std::string::npos) fail("'<' inside a tag");
    if (!tag.empty() && tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name)
        fail("</" + name + "> does not close the open element");
      if (!stack.empty()) stack.pop_back();
    } else {
      const bool self_closing = !tag.empty() && tag.back() == '/';
      if (self_closing) tag.pop_back();
      const std::string name = tag.substr(0, tag.find_first_of(" \n"));
      // Attributes: name="value" pairs.
      std::string rest = tag.substr(name.size());
      size_t q = 0;
      while (q < rest.size()) {
        if (rest[q] == ' ' || rest[q] == '\n') {
          ++q;
          continue;
        }
        const size_t eq = rest.find('=', q);
        if (eq == std::string::npos || eq + 1 >= rest.size() || rest[eq + 1] != '"') {
          fail("unquoted attribute in <" + name + ">");
          break;
        }
        const size_t close = rest.find('"', eq + 2);
        if (close == std::string::npos) {
          fail("unterminated attribute");
          break;
        }
        q = close + 1;
      }
      c.elements.insert(name);
      if (name == "style") {
        const size_t close = text.find("</style>", end);
        i = close;
        stack.push_back(name);
        continue;
      }
      if (!self_closing) stack.push_back(name);
      if (name == "title" && !stack.empty() && stack.size() >= 2 &&
          stack[stack.size() - 2] == "svg") {
        c.svg_titles.push_back(text.substr(end + 1, text.find('<', end) - end - 1));
      }
    }
    i = end + 1;
  }
  if (c.ok && !stack.empty()) {
    i = text.size();
    fail("unclosed <" + stack.back() + ">");
  }
  return c;
}

TEST(HtmlReportTest, RunPageIsWellFormedAndSelfContained) {
  Report r = SyntheticRun(1000, 2000);
  r.scenario = "scenarios/<smoke> & \"friends\".yaml";  // must be escaped
  r.slos.push_back({"p99_end_to_end < 2s", true, "15ms"});
  std::vector<TimingSample> timing;
  for (int i = 0; i < 500; ++i) timing.push_back({i * 0.01, 1.0 + (i % 50) * 0.1});
  const std::string html = RenderHtmlPage(RunPage(r, timing));
  const XmlCheck c = CheckWellFormed(html);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.elements.count("html"), 1u);
  EXPECT_EQ(c.elements.count("svg"), 2u);   // latency over time, percentile spectrum
  EXPECT_GE(c.elements.count("rect"), 3u);  // plot areas and the shaded fault window
  EXPECT_NE(html.find("class=\"fault\""), std::string::npos);
  EXPECT_GE(c.elements.count("circle"), 500u);
  // Self-contained: nothing fetched.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("http://www.w3.org/2000/svg"), html.find("http://"));  // the namespace only
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("&lt;smoke&gt; &amp; &quot;friends&quot;"), std::string::npos);
}

TEST(HtmlReportTest, SweepPageHasTheThreePlotsAndTheKnee) {
  SweepOptions o;
  o.rate_lo = 1000;
  o.rate_hi = 200000;
  o.slos = Slos({"p99_end_to_end < 50ms", "lost == 0"});
  o.settings_axes = {{"volumes", {800, 4000}}};
  std::ostringstream log;
  auto result = RunSweep(
      o,
      [](const SweepSetting& s, double r, int) -> StatusOr<ProbeRun> {
        std::vector<TimingSample> t = {{0.1, 1}, {0.2, 2}, {1.5, 30}};
        return ProbeRun{SyntheticRun(r, s.at("volumes") * 10), t};
      },
      log);
  ASSERT_TRUE(result.ok());
  const std::string html = RenderHtmlPage(SweepPage(*result, o, "scenarios/steady-state.yaml"));
  const XmlCheck c = CheckWellFormed(html);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_EQ(c.elements.count("svg"), 3u);
  ASSERT_EQ(c.svg_titles.size(), 3u);
  EXPECT_NE(c.svg_titles[0].find("latency vs load"), std::string::npos);
  EXPECT_NE(c.svg_titles[1].find("over time"), std::string::npos);
  EXPECT_NE(c.svg_titles[2].find("spectrum"), std::string::npos);
  EXPECT_EQ(c.elements.count("line") >= 2, true);
  EXPECT_NE(html.find("class=\"knee\""), std::string::npos);
  EXPECT_NE(html.find("knee volumes=800"), std::string::npos);
  EXPECT_NE(html.find("knee volumes=4000"), std::string::npos);
}

TEST(HtmlReportTest, EmptyRunStillRendersWellFormed) {
  const std::string html = RenderHtmlPage(RunPage(Report{}, {}));
  const XmlCheck c = CheckWellFormed(html);
  ASSERT_TRUE(c.ok) << c.error;
  EXPECT_NE(html.find("no samples"), std::string::npos);
}

TEST(HtmlReportTest, OriginClockRemembersTheFirstWallClockReading) {
  SimulatedClock base(std::chrono::seconds(5), 1'000'000'000);
  OriginRecordingClock clock(base);
  EXPECT_EQ(clock.origin_unix_ns(), 0);
  EXPECT_EQ(clock.UnixNanos(), 1'000'000'000);
  base.Advance(std::chrono::seconds(1));
  EXPECT_EQ(clock.UnixNanos(), 2'000'000'000);
  EXPECT_EQ(clock.origin_unix_ns(), 1'000'000'000);
}

TEST(HtmlReportTest, TimingSamplesOnTheWorldAxis) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("lnsim-timing-" + std::to_string(::getpid()) + ".jsonl");
  std::ofstream(path) << "{\"id\":\"a\",\"observed_unix_ns\":2000000000,\"acked_unix_ns\":"
                         "2003000000,\"duplicate\":false}\n"
                         "{\"id\":\"a\",\"observed_unix_ns\":2000000000,\"acked_unix_ns\":"
                         "2009000000,\"duplicate\":true}\n"
                         "not json\n";
  auto samples = ReadTimingSamples(path.string(), 1'000'000'000);
  std::filesystem::remove(path);
  ASSERT_TRUE(samples.ok());
  ASSERT_EQ(samples->size(), 1u);
  EXPECT_DOUBLE_EQ((*samples)[0].t_s, 1.0);
  EXPECT_DOUBLE_EQ((*samples)[0].publish_ms, 3.0);
  EXPECT_EQ(ReadTimingSamples("/nonexistent.jsonl", 0).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace lnsim::harness
