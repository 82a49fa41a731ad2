// lnsim sweep end to end on the smoke scenario: real probes (world, mock, bridge child, NATS,
// verifier) through the same rewrite + RunScenario path as `lnsim sweep`, a tiny search (two
// probes), and the outputs: CSV rows, a well-formed HTML page with the publish timing of the
// shown probe. No timing thresholds: what passes is not asserted, only that the search and the
// files are consistent with the probes that ran.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/compare.h"
#include "harness/html_report.h"
#include "harness/run.h"
#include "harness/sweep.h"

namespace lnsim::harness {
namespace {

class SweepItest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-sweep-itest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  RealClock clock_;
};

TEST_F(SweepItest, SmokeProbesWriteCsvAndHtml) {
  const std::string scenario = std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml";
  int counter = 0;
  ProbeFn probe = [&](const SweepSetting& setting, double rate, int repeat) -> StatusOr<ProbeRun> {
    LNSIM_ASSIGN_OR_RETURN(std::string yaml, RewriteScenarioForProbe(scenario, setting, rate,
                                                                     std::chrono::seconds(2)));
    const std::string base = (dir_ / ("p" + std::to_string(++counter))).string();
    LNSIM_RETURN_IF_ERROR(WriteFileAtomically(base + ".yaml", yaml));
    RunOptions ro;
    ro.scenario_path = base + ".yaml";
    ro.seed = 1 + static_cast<uint64_t>(repeat);
    ro.drain = std::chrono::seconds(10);
    ro.lnsim_binary = LNSIM_BINARY_PATH;
    ro.work_dir = base + ".work";
    std::ostringstream log;
    OriginRecordingClock clock(clock_);
    RunOutcome out = RunScenario(ro, clock, log);
    if (out.exit_code >= 2) return UnavailableError(out.error + "\n" + log.str());
    ProbeRun run{out.report, {}};
    auto timing = ReadTimingSamples(ro.work_dir + "/timing.jsonl", clock.origin_unix_ns());
    if (timing.ok()) run.timing = *timing;
    return run;
  };
  SweepOptions o;
  o.rate_lo = 5;
  o.rate_hi = 20;
  o.max_probes = 2;
  auto slos = ParseSlos({"lost == 0", "p99_end_to_end < 30s"});
  ASSERT_TRUE(slos.ok());
  o.slos = *slos;
  std::ostringstream log;
  auto result = RunSweep(o, probe, log);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->settings.size(), 1u);
  const SettingResult& s = result->settings[0];
  ASSERT_GE(s.probes.size(), 1u);
  ASSERT_LE(s.probes.size(), 2u);
  EXPECT_EQ(s.probes[0].rate, 5);
  for (const Probe& p : s.probes) {
    EXPECT_GT(p.median.totals.delivered, 0u) << log.str();
    EXPECT_EQ(p.passed, p.median.passed);
  }
  if (s.probes[0].passed) {
    EXPECT_EQ(s.knee, s.probes.back().passed ? s.probes.back().rate : 5);
    EXPECT_FALSE(s.probes[0].timing.empty()) << "the bridge's timing side channel was read";
    for (const TimingSample& t : s.probes[0].timing) {
      EXPECT_GT(t.t_s, -1.0);  // on the world axis, not the Unix epoch
      EXPECT_LT(t.t_s, 60.0);
    }
  }

  const std::string out = (dir_ / "out").string();
  std::filesystem::create_directories(out);
  ASSERT_TRUE(WriteSweepOutputs(*result, o, scenario, out).ok());
  std::ifstream csv(out + "/sweep.csv");
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
  EXPECT_EQ(rows, 1 + static_cast<int>(s.probes.size()));
  std::ifstream html_in(out + "/sweep.html");
  std::stringstream html;
  html << html_in.rdbuf();
  EXPECT_NE(html.str().find("<svg"), std::string::npos);
  EXPECT_NE(html.str().find("</html>"), std::string::npos);

  // The probes' reports against themselves: only a correctness counter can make it fail.
  std::vector<Report> reports;
  bool counters = false;
  for (const Probe& p : s.probes) {
    reports.push_back(p.median);
    const VerdictCounters& t = p.median.totals;
    counters = counters || t.lost + t.duplicated + t.reordered + t.phantom > 0;
  }
  EXPECT_EQ(CompareReports(reports, reports, CompareOptions{}).regressed, counters);
}

}  // namespace
}  // namespace lnsim::harness
