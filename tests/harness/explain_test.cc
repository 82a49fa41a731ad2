// Explanations in every rendering (harness/explain.h, issue 16 item 3): Report::examples in the
// JSON (and back), the terminal table, the JUnit <failure> text and the HTML page; stages with no
// samples print "not measured", never 0.000; the judged window in the table, JUnit and HTML;
// setup hints (harness/hints.h) as pure functions. Reports are built by hand: the verifier fills
// examples for real (its tests check that).
#include "harness/explain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "harness/hints.h"
#include "harness/html_report.h"
#include "harness/junit.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Each of `parts` occurs in `text` (one failure per missing part, naming it).
void ExpectContainsAll(const std::string& text, std::initializer_list<std::string_view> parts) {
  for (std::string_view part : parts) EXPECT_THAT(text, HasSubstr(std::string(part)));
}

Example Reordered() {
  return Example{"reordered",
                 "js-1",
                 "resource.pvc-<4f1c>",
                 "a lower sequence after a higher one for the same key",
                 {"seq 9 resource.modified (linstor.v1.c.resource.pvc-4f1c.modified)",
                  "seq 7 replica.created (linstor.v1.c.resource.pvc-4f1c.replica.node-1.created)"},
                 {"1.20s created", "1.40s replica on node-1"}};
}

// A failing report: one measured stage (observe), three not measured, one reordered example, a
// lost example of another consumer, a hint.
Report SampleReport() {
  Report r;
  r.scenario = "scenarios/smoke.yaml";
  r.seed = 7;
  r.events = 97;
  r.judged_from_s = 1.18;
  r.readiness = "signalled";
  r.stage(Stage::kObserve) = StageSummary{.count = 3,
                                          .p50_ns = 1'500'000,
                                          .p90_ns = 2'000'000,
                                          .p99_ns = 2'500'000,
                                          .p999_ns = 2'500'000,
                                          .max_ns = 2'500'000};
  r.examples = {
      Reordered(),
      Example{
          "lost", "core-1", "node.node-2", "no event carried it", {}, {"2.00s online -> offline"}}};
  r.hints = {
      "3 messages were published outside linstor.v1.> (Linstor.v1.x): events belong on "
      "linstor.v1.c.>"};
  r.checks = {Check{"reordered == 0", kCheckSlo, false, "measured 1"},
              Check{"consumer core-1", kCheckConvergence, false, "did not converge"},
              Check{"p99_end_to_end < 2s", kCheckSlo, true, "measured 1ms"}};
  r.totals.reordered = 1;
  return r;
}

TEST(StageMsText, NoSamplesIsNotMeasuredNeverZero) {
  EXPECT_EQ(StageMsText(StageSummary{}, 0), "not measured");
  EXPECT_EQ(StageMsText(StageSummary{.count = 1, .p50_ns = 0}, 0), "0.000");
  EXPECT_EQ(StageMsText(StageSummary{.count = 1}, 1'234'567), "1.235");
}

TEST(JudgedFromText, NamesTheKindsAScenarioOptedOutOf) {
  Report r = SampleReport();
  r.unjudged_kinds = {"quorum", "pool"};
  EXPECT_THAT(JudgedFromText(r), HasSubstr("; not judged (verify.unjudged): quorum, pool"));
  EXPECT_THAT(JudgedFromText(SampleReport()), Not(HasSubstr("not judged")));
}

TEST(JudgedFromText, NamesTheStartTheReadinessAndWhatWasOwed) {
  EXPECT_EQ(JudgedFromText(SampleReport()),
            "judged from 1.18s (bridge readiness signalled): 97 world changes, owed from then on");
  Report old;
  old.events = 3;
  EXPECT_EQ(JudgedFromText(old),
            "judged from t = 0 (readiness not recorded): 3 world changes, owed from then on");
}

TEST(ExamplesForCheck, ByCounterWordAndByConsumer) {
  const Report r = SampleReport();
  const auto reordered = ExamplesForCheck(r, r.checks[0]);
  ASSERT_EQ(reordered.size(), 1u);
  EXPECT_EQ(reordered[0]->counter, "reordered");
  const auto consumer = ExamplesForCheck(r, r.checks[1]);
  ASSERT_EQ(consumer.size(), 1u);
  EXPECT_EQ(consumer[0]->consumer, "core-1");
  EXPECT_TRUE(ExamplesForCheck(r, r.checks[2]).empty());
  // A counter inside a longer word is not named: "lost_total" is not "lost".
  EXPECT_TRUE(ExamplesForCheck(r, Check{"lost_total == 0", kCheckSlo, false, ""}).empty());
}

TEST(ReportTable, PrintsExamplesHintsJudgedWindowAndNotMeasured) {
  std::ostringstream out;
  PrintReportTable(SampleReport(), out);
  const std::string text = out.str();
  ExpectContainsAll(text, {"reordered js-1 resource.pvc-<4f1c>: a lower sequence after",
                           "event: seq 7 replica.created", "world: 1.40s replica on node-1",
                           "lost core-1 node.node-2: no event carried it",
                           "hints (setup mistakes seen)\n  3 messages were published",
                           "judged from 1.18s (bridge readiness signalled): 97 world changes, owed",
                           "observe            1.500     2.000", "publish         not measured",
                           "end_to_end      not measured"});
  EXPECT_THAT(text, Not(HasSubstr("0.000")));
}

TEST(ReportTable, NoExamplesNoHintsNoSections) {
  Report r = SampleReport();
  r.examples.clear();
  r.hints.clear();
  std::ostringstream out;
  PrintReportTable(r, out);
  EXPECT_THAT(out.str(), Not(HasSubstr("examples (")));
  EXPECT_THAT(out.str(), Not(HasSubstr("hints (")));
}

TEST(Junit, FailureTextCarriesTheExamplesAndPropertiesTheWindow) {
  const std::string xml = ReportToJunit(SampleReport(), "host");
  EXPECT_THAT(xml, HasSubstr("measured 1\nexample: reordered js-1 resource.pvc-&lt;4f1c&gt;: a "
                             "lower sequence after a higher one for the same key\n  event: seq 9"));
  ExpectContainsAll(xml, {"did not converge\nexample: lost core-1 node.node-2",
                          "<property name=\"judged_from_s\" value=\"1.180\"/>",
                          "<property name=\"readiness\" value=\"signalled\"/>",
                          "<property name=\"world_changes\" value=\"97\"/>",
                          "<property name=\"latency.observe.p99_ms\" value=\"2.500\"/>",
                          "<property name=\"latency.publish.p99_ms\" value=\"not measured\"/>",
                          "<property name=\"hint.1\" value=\"3 messages were published"});
}

TEST(Html, ShowsExamplesEscapedJudgedWindowHintsAndNotMeasured) {
  const std::string html = RenderHtmlPage(RunPage(SampleReport(), {}));
  EXPECT_THAT(html, HasSubstr("<h2>Examples</h2>"));
  EXPECT_THAT(html, HasSubstr("<td>resource.pvc-&lt;4f1c&gt;</td>"));
  ExpectContainsAll(
      html,
      {"<pre>1.20s created\n1.40s replica on node-1</pre>",
       "<th>judged window</th><td>judged from 1.18s", "<th>hint</th><td>3 messages were published",
       "<td>publish</td><td>not measured</td>", "<td>observe</td><td>1.500</td>"});
  Report clean = SampleReport();
  clean.examples.clear();
  EXPECT_THAT(RenderHtmlPage(RunPage(clean, {})), Not(HasSubstr("<h2>Examples</h2>")));
}

TEST(ReportJson, ExamplesAndHintsRoundTrip) {
  const Report r = SampleReport();
  const std::string json = ReportToJson(r);
  EXPECT_THAT(json, HasSubstr("\"examples\": ["));
  auto back = ReportFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->examples, r.examples);
  EXPECT_EQ(back->hints, r.hints);
  Report none = r;
  none.examples.clear();
  none.hints.clear();
  EXPECT_THAT(ReportToJson(none), Not(HasSubstr("\"examples\"")));
  EXPECT_THAT(ReportToJson(none), Not(HasSubstr("\"hints\"")));
}

TEST(ReportJson, BadExampleIsAnErrorNamingIt) {
  std::string json = ReportToJson(SampleReport());
  const std::string good = "\"counter\": \"reordered\"";
  ASSERT_NE(json.find(good), std::string::npos);
  json.replace(json.find(good), good.size(), "\"counter\": 3");
  auto back = ReportFromJson(json);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(back.status().message(), HasSubstr("examples[0]"));
  EXPECT_THAT(back.status().message(), HasSubstr("counter"));
}

TEST(Hints, MissingStreamOnlyFor10059) {
  EXPECT_EQ(MissingStreamHint(10059, "LINSTOR_C"),
            "; hint: the bridge must create the stream LNSIM_STREAM=LINSTOR_C (docs/scenarios.md "
            "\"Readiness\")");
  EXPECT_EQ(MissingStreamHint(10014, "LINSTOR_C"), "");
  EXPECT_EQ(MissingStreamHint(0, "LINSTOR_C"), "");
}

TEST(Hints, ClassifySubject) {
  EXPECT_EQ(ClassifySubject("linstor.v1.c1.node.n1.online", "c1"), SubjectClass::kExpected);
  EXPECT_EQ(ClassifySubject("linstor.v1.c2.node.n1.online", "c1"), SubjectClass::kWrongCluster);
  EXPECT_EQ(ClassifySubject("linstor.v1.c10.node.n1.online", "c1"), SubjectClass::kWrongCluster);
  EXPECT_EQ(ClassifySubject("linstor.c1.node.n1.online", "c1"), SubjectClass::kWrongPrefix);
  EXPECT_EQ(ClassifySubject("Linstor.v1.c1.node", "c1"), SubjectClass::kWrongPrefix);
  EXPECT_EQ(ClassifySubject("$JS.API.STREAM.INFO.X", "c1"), SubjectClass::kInternal);
  EXPECT_EQ(ClassifySubject("_INBOX.abc.1", "c1"), SubjectClass::kInternal);
  EXPECT_EQ(ClassifySubject("_I_consumer.x", "c1", "_I_consumer"), SubjectClass::kInternal);
  EXPECT_EQ(ClassifySubject("_I_consumer.x", "c1"), SubjectClass::kWrongPrefix);
}

TEST(Hints, StraySamplesAreDistinctAndBounded) {
  StraySubjects s;
  for (const char* subject : {"a", "a", "b", "c", "d", "e"}) s.Add(subject);
  EXPECT_EQ(s.count, 6u);
  EXPECT_EQ(s.samples, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(Hints, OneSentencePerMistake) {
  HintInputs in;
  in.cluster = "c1";
  EXPECT_TRUE(SetupHints(in).empty());
  in.wrong_cluster.Add("linstor.v1.prod.node.n1.online");
  in.wrong_prefix.Add("events.node.n1");
  in.jetstream = true;
  in.jetstream_received = 10;
  in.without_msg_id = 10;
  const std::vector<std::string> hints = SetupHints(in);
  ASSERT_EQ(hints.size(), 3u);
  EXPECT_THAT(hints[0], HasSubstr("another cluster token (linstor.v1.prod.node.n1.online)"));
  EXPECT_THAT(hints[0], HasSubstr("LNSIM_CLUSTER=c1"));
  EXPECT_THAT(hints[1], HasSubstr("outside linstor.v1.> (events.node.n1): events belong on "
                                  "linstor.v1.c1.>"));
  EXPECT_THAT(hints[2], HasSubstr("10 of 10 JetStream messages had no Nats-Msg-Id"));
  in.jetstream = false;  // core mode: no Msg-Id expected
  EXPECT_EQ(SetupHints(in).size(), 2u);
}

}  // namespace
}  // namespace lnsim::harness
