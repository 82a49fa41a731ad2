// The documented-promise counters (misordered, sequence_gaps, invalid) in every rendering: the
// terminal table and its legend, the HTML page, JUnit failures with their examples, `lnsim
// compare` (gated at zero; older baselines without the keys read as 0), the report JSON round
// trip `lnsim replay` and bundles rely on, the replay signature and the sweep's probe rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/bundle.h"
#include "harness/compare.h"
#include "harness/html_report.h"
#include "harness/junit.h"
#include "harness/report.h"
#include "harness/report_builder.h"
#include "harness/sweep.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Collapses runs of spaces, so that rows compare without their column widths.
std::string Collapsed(const std::string& line) {
  std::string out;
  for (char ch : line) {
    if (ch != ' ' || out.empty() || out.back() != ' ') out += ch;
  }
  return out;
}

// The first line of `text` that starts with `prefix`, collapsed; "" when none.
std::string Row(const std::string& text, const std::string& prefix, size_t from = 0) {
  std::istringstream in(text.substr(from));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return Collapsed(line);
  }
  return "";
}

Example MisorderedExample() {
  return {"misordered",
          "js-1",
          "resource.pvc-1",
          "replica.created before its resource.created (docs/events.md)",
          {"seq 3 replica.created", "seq 4 resource.created"},
          {"1.20s created"}};
}

// A clean JetStream consumer and a core consumer that broke every documented promise.
ReportInputs BrokenPromiseInputs() {
  ReportInputs in;
  in.consumers = {ConsumerSpec{.name = "js-1", .mode = ConsumerMode::kJetStreamAckSync},
                  ConsumerSpec{.name = "core-1", .mode = ConsumerMode::kCore}};
  const VerdictCounters broken{
      .delivered = 14, .matched = 10, .misordered = 3, .sequence_gaps = 2, .invalid = 4};
  in.verdict.per_consumer = {VerdictCounters{.delivered = 10, .matched = 10}, broken};
  in.verdict.converged = {true, true};
  in.verdict.totals = VerdictCounters{
      .delivered = 24, .matched = 20, .misordered = 3, .sequence_gaps = 2, .invalid = 4};
  Example gap = MisorderedExample();
  gap.counter = "sequence_gaps";
  gap.consumer = "core-1";
  Example misordered = MisorderedExample();
  misordered.consumer = "core-1";
  in.verdict.examples = {{}, {misordered, gap}};
  in.invalid_examples = {{"invalid",
                          "core-1",
                          "linstor.v1.c.node.Node-A.online",
                          "subject token "
                          "'Node-A' is not lower-case (docs/subjects.md Case)",
                          {},
                          {}}};
  in.decode_errors = 4;
  in.verdict.expected = 10;
  in.run_length = std::chrono::seconds(3);
  in.scenario = "scenarios/smoke.yaml";
  return in;
}

TEST(PromiseCountersTableTest, ThirdTableShowsThemPerConsumerAndInTotal) {
  std::ostringstream out;
  PrintReportTable(BuildReport(BrokenPromiseInputs()), out);
  const std::string table = out.str();
  const size_t header = table.find("misordered  sequence_gaps  invalid");
  ASSERT_NE(header, std::string::npos) << table;
  EXPECT_EQ(Row(table, "js-1 (jetstream-acksync)", header), "js-1 (jetstream-acksync) 0 0 0");
  EXPECT_EQ(Row(table, "core-1 (core)", header), "core-1 (core) 3 2 4");
  EXPECT_EQ(Row(table, "total", header), "total 3 2 4");
  // The rows of the sum table still add up: 14 = 10 + 0 + other 4 (the invalid messages).
  EXPECT_EQ(Row(table, "core-1 (core)"), "core-1 (core) 14 = 10 + 0 + 4 0");
}

TEST(PromiseCountersTableTest, LegendNamesThemAndBoundsOtherByInvalidToo) {
  std::ostringstream out;
  PrintReportTable(BuildReport(BrokenPromiseInputs()), out);
  const std::string table = out.str();
  const std::string legend = table.substr(table.find("\nlegend"));
  for (const char* name : {"misordered", "sequence_gaps", "invalid"}) {
    EXPECT_THAT(legend, HasSubstr(std::string("\n  ") + name + " ")) << name;
  }
  EXPECT_THAT(legend, HasSubstr("other <= redelivered + phantom + invalid"));
  EXPECT_THAT(legend, HasSubstr("(also in invalid)"));
}

TEST(PromiseCountersTableTest, ExamplesOfAFailingRunAreInTheSummary) {
  std::ostringstream out;
  PrintReportTable(BuildReport(BrokenPromiseInputs()), out);
  const std::string table = out.str();
  EXPECT_THAT(table, HasSubstr("misordered core-1 resource.pvc-1: replica.created before"));
  EXPECT_THAT(table, HasSubstr("sequence_gaps core-1 resource.pvc-1"));
  EXPECT_THAT(table, HasSubstr("invalid core-1 linstor.v1.c.node.Node-A.online: subject token"));
  EXPECT_THAT(table, HasSubstr("FAIL misordered == 0  (measured 3)"));
}

TEST(PromiseCountersHtmlTest, SummaryRowAndLegendCarryThem) {
  const std::string html = RenderHtmlPage(RunPage(BuildReport(BrokenPromiseInputs()), {}));
  EXPECT_THAT(html, HasSubstr("<th>misordered / sequence_gaps / invalid (documented "
                              "promises)</th><td>3 / 2 / 4</td>"));
  EXPECT_THAT(html, HasSubstr("sequence_gaps: JetStream: sequences of a partition key"));
  EXPECT_THAT(html, HasSubstr("other &lt;= redelivered + phantom + invalid"));
}

TEST(PromiseCountersJunitTest, EachGateFailsWithItsExamples) {
  const std::string xml = ReportToJunit(BuildReport(BrokenPromiseInputs()), "h");
  for (const char* gate : {"misordered == 0", "sequence_gaps == 0", "invalid == 0"}) {
    const size_t at = xml.find(std::string("name=\"") + gate + "\"");
    ASSERT_NE(at, std::string::npos) << gate << "\n" << xml;
    const std::string testcase = xml.substr(at, xml.find("</testcase>", at) - at);
    EXPECT_THAT(testcase, HasSubstr("<failure ")) << testcase;
    EXPECT_THAT(testcase, HasSubstr("example: ")) << testcase;
  }
  const size_t invalid = xml.find("name=\"invalid == 0\"");
  EXPECT_THAT(xml.substr(invalid, xml.find("</testcase>", invalid) - invalid),
              HasSubstr("example: invalid core-1 linstor.v1.c.node.Node-A.online: subject token "
                        "&#39;Node-A&#39; is not lower-case"));
  const size_t misordered = xml.find("name=\"misordered == 0\"");
  const std::string m = xml.substr(misordered, xml.find("</testcase>", misordered) - misordered);
  EXPECT_THAT(m, HasSubstr("event: seq 3 replica.created"));
  EXPECT_THAT(m, Not(HasSubstr("example: invalid"))) << "only the examples of its counter";
}

TEST(PromiseCountersJsonTest, RoundTripKeepsThemAndOldReportsReadZero) {
  const Report r = BuildReport(BrokenPromiseInputs());
  auto back = ReportFromJson(ReportToJson(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->totals, r.totals);
  ASSERT_EQ(back->per_consumer.size(), 2u);
  EXPECT_EQ(back->per_consumer[1].counters, r.per_consumer[1].counters);
  EXPECT_EQ(back->per_consumer[1].counters.sequence_gaps, 2u);

  nlohmann::json old = nlohmann::json::parse(ReportToJson(r));
  for (auto* counters : {&old["verdict"], &old["verdict"]["per_consumer"][1]}) {
    for (const char* key : {"misordered", "sequence_gaps", "invalid"}) counters->erase(key);
  }
  auto read = ReportFromJson(old.dump());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->totals.misordered + read->totals.sequence_gaps + read->totals.invalid, 0u);
}

const MetricComparison* Metric(const Comparison& c, const std::string& name) {
  for (const MetricComparison& m : c.metrics) {
    if (m.metric == name) return &m;
  }
  return nullptr;
}

// Two reports as JSON, as `lnsim compare` reads them: the baseline written before the counters
// existed (no keys), the current run with misordered 3.
TEST(PromiseCountersCompareTest, MisorderedAboveZeroRegressesAgainstAnOldBaseline) {
  Report clean = BuildReport(BrokenPromiseInputs());
  clean.totals = VerdictCounters{.delivered = 20, .matched = 20};
  for (ConsumerVerdict& c : clean.per_consumer) c.counters = {.delivered = 10, .matched = 10};
  nlohmann::json old = nlohmann::json::parse(ReportToJson(clean));
  for (const char* key : {"misordered", "sequence_gaps", "invalid"}) {
    ASSERT_TRUE(old["verdict"].contains(key)) << key;
    old["verdict"].erase(key);
  }
  auto baseline = ReportFromJson(old.dump());
  ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
  Report worse = clean;
  worse.totals.misordered = 3;
  auto current = ReportFromJson(ReportToJson(worse));
  ASSERT_TRUE(current.ok()) << current.status().ToString();

  const Comparison c = CompareReports({*baseline}, {*current}, {});
  EXPECT_TRUE(c.regressed);
  const MetricComparison* m = Metric(c, "misordered");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->baseline_median, 0);
  EXPECT_EQ(m->current_median, 3);
  EXPECT_EQ(m->verdict, MetricVerdict::kRegressed);
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_THAT(c.regressions[0], HasSubstr("misordered: 0 -> 3"));
  for (const char* name : {"sequence_gaps", "invalid"}) {
    ASSERT_NE(Metric(c, name), nullptr) << name;
    EXPECT_TRUE(Metric(c, name)->gated) << name;
    EXPECT_EQ(Metric(c, name)->verdict, MetricVerdict::kOk) << name;
  }
  EXPECT_FALSE(CompareReports({*baseline}, {*baseline}, {}).regressed) << "A vs A";
  EXPECT_THAT(c.method, HasSubstr("misordered"));
}

TEST(PromiseCountersCompareTest, SequenceGapsAndInvalidGateAtZeroToo) {
  Report clean = BuildReport(BrokenPromiseInputs());
  clean.totals = VerdictCounters{.delivered = 20, .matched = 20};
  for (auto field : {&VerdictCounters::sequence_gaps, &VerdictCounters::invalid}) {
    Report worse = clean;
    worse.totals.*field = 1;
    EXPECT_TRUE(CompareReports({clean}, {worse}, {}).regressed);
  }
}

TEST(PromiseCountersReplayTest, SignatureNamesThem) {
  const VerdictSignature s = SignatureOf(BuildReport(BrokenPromiseInputs()), 0);
  EXPECT_EQ(s.ToString(), "failed (misordered, sequence_gaps, invalid)");
}

// A probe's counters are the max over its repeats, so a misordered event in one repeat fails the
// probe under the default promise gate, and sweep.csv has the three columns.
TEST(PromiseCountersSweepTest, OneRepeatWithMisorderedFailsTheProbe) {
  SweepOptions o;
  o.rate_lo = 100;
  o.rate_hi = 200;
  o.repeats = 2;
  o.max_probes = 1;
  o.slos = WithPromiseSlos({});
  ProbeFn fn = [&](const SweepSetting&, double, int repeat) -> StatusOr<ProbeRun> {
    ProbeRun run;
    run.report.passed = true;
    run.report.totals = {.delivered = 10, .matched = 10};
    if (repeat == 1) run.report.totals.misordered = 2;
    return run;
  };
  std::ostringstream log;
  auto result = RunSweep(o, fn, log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->settings.size(), 1u);
  ASSERT_FALSE(result->settings[0].probes.empty());
  const Probe& p = result->settings[0].probes[0];
  EXPECT_EQ(p.median.totals.misordered, 2u);
  EXPECT_FALSE(p.passed);
  EXPECT_THAT(p.why, HasSubstr("misordered"));
  const std::string csv = SweepCsv(*result);
  EXPECT_THAT(csv, HasSubstr(",redelivered,misordered,sequence_gaps,invalid,why\n"));
  EXPECT_THAT(csv, HasSubstr(",0,2,0,0,\""));
}

}  // namespace
}  // namespace lnsim::harness
