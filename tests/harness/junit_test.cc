// JUnit XML for CI (harness/junit.h) and the report fields it reads (checks, started_at, wall_s):
// a testcase for every check so that a passing and a failing run count the same tests, a
// classname per scenario and check family, the suite's real duration, start and host; and the
// report JSON's new keys (checks, started_at, wall_s, world_changes) read back, including an
// older baseline's `events`.
#include "harness/junit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "harness/report_builder.h"
#include "harness/slo.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

ReportInputs Inputs() {
  ReportInputs in;
  ConsumerSpec js, core;
  js.name = "js-1";
  js.mode = ConsumerMode::kJetStreamAckSync;
  core.name = "core-1";
  core.mode = ConsumerMode::kCore;
  in.consumers = {js, core};
  in.verdict.per_consumer = {VerdictCounters{.delivered = 10, .matched = 10},
                             VerdictCounters{.delivered = 10, .matched = 10}};
  in.verdict.converged = {true, true};
  in.verdict.totals = VerdictCounters{.delivered = 20, .matched = 20};
  in.verdict.expected = 10;
  in.run_length = std::chrono::seconds(3);
  in.seed = 7;
  in.scenario = "scenarios/smoke.yaml";
  in.command = "lnsim run scenarios/smoke.yaml --seed 7";
  return in;
}

ReportInputs FailingInputs() {
  ReportInputs in = Inputs();
  in.verdict.per_consumer[1].lost = 2;
  in.verdict.totals.lost = 2;
  in.verdict.converged = {true, false};
  in.invariant_violations = {"consumer js-1: size-by-resize: the size shrank\n    event: x",
                             "world: size-by-resize: again\n    event: y"};
  in.failed_checks = {"drain expired with 3 events outstanding"};
  return in;
}

Report Stamped(Report r) {
  // 2026-12-03T18:34:13.250Z, a run of 4.5 s.
  StampWallClock(1'796'322'853'250'000'000, std::chrono::seconds(10),
                 std::chrono::milliseconds(14'500), &r);
  return r;
}

TEST(JunitTest, PassingAndFailingRunsHaveTheSameTestcases) {
  const std::string pass = ReportToJunit(Stamped(BuildReport(Inputs())), "ci-runner");
  const std::string fail = ReportToJunit(Stamped(BuildReport(FailingInputs())), "ci-runner");
  // 7 default SLOs + 2 consumers + 4 invariants + the run.
  EXPECT_EQ(Count(pass, "<testcase "), 14u) << pass;
  EXPECT_EQ(Count(fail, "<testcase "), 14u) << fail;
  EXPECT_EQ(Count(pass, "<failure "), 0u) << pass;
  // lost == 0, core-1 not converged, size-by-resize, the run's drain.
  EXPECT_EQ(Count(fail, "<failure "), 4u) << fail;
  EXPECT_THAT(pass, HasSubstr("<testsuites name=\"lnsim\" tests=\"14\" failures=\"0\""));
  EXPECT_THAT(fail, HasSubstr("<testsuites name=\"lnsim\" tests=\"14\" failures=\"4\""));
  for (const std::string& xml : {pass, fail}) {
    // 4 exactly-once SLOs + misordered, sequence_gaps, invalid (gated in every run)
    EXPECT_EQ(Count(xml, "classname=\"lnsim.smoke.slo\""), 7u) << xml;
    EXPECT_EQ(Count(xml, "classname=\"lnsim.smoke.convergence\""), 2u) << xml;
    EXPECT_EQ(Count(xml, "classname=\"lnsim.smoke.invariants\""), 4u) << xml;
    EXPECT_EQ(Count(xml, "classname=\"lnsim.smoke.run\""), 1u) << xml;
  }
  EXPECT_THAT(fail, HasSubstr("<failure type=\"slo\" message=\"lost == 0: measured 2\""));
  EXPECT_THAT(fail, HasSubstr("<testcase classname=\"lnsim.smoke.convergence\" "
                              "name=\"consumer core-1\""));
  EXPECT_THAT(fail, HasSubstr("message=\"did not converge to the world&#39;s final state\""));
  EXPECT_THAT(fail, HasSubstr("message=\"consumer js-1: size-by-resize: the size shrank (and 1 "
                              "more)\""));
  EXPECT_THAT(fail, HasSubstr("message=\"drain expired with 3 events outstanding\""));
}

TEST(JunitTest, SuiteHasTheWallClockDurationStartAndHost) {
  const std::string xml = ReportToJunit(Stamped(BuildReport(Inputs())), "ci-runner");
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"lnsim.smoke\" tests=\"14\" failures=\"0\" "
                             "errors=\"0\" skipped=\"0\" time=\"4.500\" "
                             "timestamp=\"2026-12-03T18:34:13\" hostname=\"ci-runner\">"));
  // The world time (3 s) is not the suite's time; the run check carries the wall time, the
  // instantaneous checks 0.
  EXPECT_THAT(xml, Not(HasSubstr("time=\"3")));
  EXPECT_THAT(xml, HasSubstr("<testcase classname=\"lnsim.smoke.run\" name=\"run\" "
                             "time=\"4.500\">"));
  EXPECT_THAT(xml, HasSubstr("<property name=\"started_at\" value=\"2026-12-03T18:34:13.250Z\"/>"));
}

TEST(JunitTest, ClassnamesTellScenariosApart) {
  Report a = BuildReport(Inputs());
  Report b = a;
  b.scenario = "/abs/path/node-crash.v2.yaml";
  EXPECT_THAT(ReportToJunit(a, "h"), HasSubstr("classname=\"lnsim.smoke.slo\""));
  EXPECT_THAT(ReportToJunit(b, "h"), HasSubstr("classname=\"lnsim.node-crash_v2.slo\""));
  EXPECT_EQ(ScenarioStem(""), "scenario");
  EXPECT_EQ(ScenarioStem("scenarios/a b&c.yaml"), "a_b_c");
  EXPECT_FALSE(LocalHostname().empty());
}

// A report without `checks` (hand-built, or read from an older baseline): its SLOs and failed
// checks, as the JUnit of old did. Moved from report_test.cc with ReportToJunit.
TEST(JunitTest, ReportWithoutChecksHasOneTestcasePerSloAndFailedCheck) {
  Report r;
  r.scenario = "scenarios/smoke.yaml";
  r.totals.lost = 1;
  auto slos = ParseSlos({"p99_end_to_end < 2s", "lost == 0"});
  ASSERT_TRUE(slos.ok());
  r.stage(Stage::kEndToEnd).count = 1;
  ApplySlos(*slos, &r);
  r.failed_checks.push_back("consumer core-1 did not converge <final state>");
  const std::string xml = ReportToJunit(r, "h");
  EXPECT_THAT(xml, HasSubstr("tests=\"3\" failures=\"2\""));
  EXPECT_THAT(xml, HasSubstr("name=\"p99_end_to_end &lt; 2s\""));
  EXPECT_THAT(xml, HasSubstr("<failure type=\"slo\" message=\"lost == 0: measured 1\""));
  EXPECT_THAT(xml, HasSubstr("&lt;final state&gt;"));
  EXPECT_EQ(xml.find("<final"), std::string::npos) << "unescaped text in XML";
  EXPECT_THAT(xml, Not(HasSubstr("timestamp=")));  // no start known
}

TEST(JunitTest, XmlEscapeDropsControlCharacters) {
  EXPECT_EQ(XmlEscape("a<b>&\"'\x01\n"), "a&lt;b&gt;&amp;&quot;&#39; \n");
}

TEST(ReportChecksTest, JsonCarriesChecksStartAndWallTimeAndReadsThemBack) {
  const Report r = Stamped(BuildReport(FailingInputs()));
  const auto j = nlohmann::json::parse(ReportToJson(r));
  EXPECT_EQ(j["started_at"], "2026-12-03T18:34:13.250Z");
  EXPECT_EQ(j["wall_s"], 4.5);
  EXPECT_EQ(j["world_changes"], 10);
  EXPECT_FALSE(j.contains("events"));
  ASSERT_EQ(j["verdict"]["checks"].size(), 14u);
  EXPECT_EQ(j["verdict"]["checks"][7],
            (nlohmann::json{{"name", "consumer js-1"},
                            {"family", "convergence"},
                            {"passed", true},
                            {"detail", "converged to the world's final state"}}));
  auto back = ReportFromJson(ReportToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->started_at, r.started_at);
  EXPECT_DOUBLE_EQ(back->wall_s, 4.5);
  EXPECT_EQ(back->events, 10u);
  ASSERT_EQ(back->checks.size(), r.checks.size());
  EXPECT_EQ(back->checks[13].name, "run");
  EXPECT_EQ(back->checks[13].detail, "drain expired with 3 events outstanding");
  EXPECT_EQ(ReportToJson(*back), ReportToJson(r));
}

TEST(ReportChecksTest, OlderBaselinesWithEventsAndWithoutChecksStillRead) {
  auto j = nlohmann::json::parse(ReportToJson(BuildReport(Inputs())));
  j["events"] = j["world_changes"];
  j.erase("world_changes");
  j.erase("started_at");
  j.erase("wall_s");
  j["verdict"].erase("checks");
  auto old = ReportFromJson(j.dump());
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->events, 10u);
  EXPECT_TRUE(old->checks.empty());
  EXPECT_EQ(old->started_at, "");
  j.erase("events");
  EXPECT_THAT(ReportFromJson(j.dump()).status().message(),
              HasSubstr("missing key `world_changes`"));
  j["world_changes"] = 10;
  j["verdict"]["checks"] = {{{"name", "x"}, {"family", "slo"}, {"passed", "yes"}, {"detail", ""}}};
  EXPECT_THAT(ReportFromJson(j.dump()).status().message(), HasSubstr("verdict.checks[0].passed"));
}

TEST(ReportChecksTest, WorldChangesIsAnSloMetricAndEventsStillIs) {
  Report r = BuildReport(Inputs());
  for (const char* e : {"world_changes == 10", "events == 10"}) {
    auto slo = ParseSlo(e);
    ASSERT_TRUE(slo.ok()) << slo.status().ToString();
    EXPECT_TRUE(EvaluateSlo(*slo, r).passed) << e;
  }
}

TEST(ReportChecksTest, IsoUtcHasMilliseconds) {
  EXPECT_EQ(IsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoUtc(1'796'322'853'250'999'999), "2026-12-03T18:34:13.250Z");
  EXPECT_TRUE(std::regex_match(IsoUtc(1'700'000'000'000'000'000),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

}  // namespace
}  // namespace lnsim::harness
