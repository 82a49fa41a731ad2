// docs/schemas/report.json against REAL reports: a short passing `lnsim run` of
// scenarios/smoke.yaml, a failing run with a fault, and a `lnsim sweep` probe's report, each
// validated by scripts/validate-report (python3-jsonschema); a planted fault (a wrong type, a
// missing required key, an unknown key) that the validator must reject, so its "valid" is
// trusted; and `lnsim compare` of an older baseline (key `events`, no checks) against a new
// report. Skips, saying why, when python3-jsonschema is not installed (scripts/setup installs it).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/testutil/shell.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

using Result = testutil::ShellResult;
using testutil::RunShell;

Result Shell(const std::string& cmd) { return RunShell(cmd); }

Result Lnsim(const std::string& args) { return Shell(std::string(LNSIM_BINARY_PATH) + " " + args); }

Result Validate(const std::string& files) {
  return Shell("python3 " + std::string(LNSIM_SOURCE_DIR) + "/scripts/validate-report " + files);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A short scenario with a bridge kill that fails its (impossible) SLO: exit 1, faults in the
// report.
constexpr char kFailing[] = R"(cluster:
  nodes: 3
  resources: 10
  replicas: 2
workload:
  attach_rate: 2
  detach_rate: 2
faults:
  - kind: bridge-kill
    at: 5s
    duration: 2s
slo:
  - lost == 0
  - delivered == 0
time_scale: 0.2
duration: 15s
seed: 3
)";

class ReportSchemaItest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Shell("python3 -c 'import jsonschema'").exit_code != 0) {
      GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup installs it: apt-get "
                      "install python3-jsonschema); the report schema is not checked";
    }
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-report-schema-itest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  // A passing run of smoke (3 s of world time) with every output.
  std::string SmokeReport() {
    const std::string report = Path("smoke.json");
    const Result r = Lnsim("run " + std::string(LNSIM_SOURCE_DIR) +
                           "/scenarios/smoke.yaml --no-progress --report " + report + " --junit " +
                           Path("smoke.xml"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return report;
  }
  std::filesystem::path dir_;
};

TEST_F(ReportSchemaItest, RealPassingAndFailingRunReportsAreValid) {
  const std::string smoke = SmokeReport();
  std::ofstream(Path("failing.yaml")) << kFailing;
  const std::string failing = Path("failing.json");
  // A failed run keeps its work dir (with a bundle): inside ours, removed after the test.
  const Result run = Lnsim("run " + Path("failing.yaml") + " --no-progress --report " + failing +
                           " --junit " + Path("failing.xml") + " --work-dir " + Path("work"));
  ASSERT_EQ(run.exit_code, 1) << run.output;
  // The bundle's report (rewritten with the wall clock once the run ended) is valid too.
  const Result v = Validate(smoke + " " + failing + " " + Path("work/bundle/report.json"));
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("bundle/report.json: valid lnsim.report/v1"));
  EXPECT_THAT(v.output, HasSubstr("smoke.json: valid lnsim.report/v1"));
  EXPECT_THAT(v.output, HasSubstr("failing.json: valid lnsim.report/v1"));
  // What the schema covers is there: a fault window, failing checks, the wall clock.
  const auto j = nlohmann::json::parse(Read(failing));
  ASSERT_EQ(j["faults"].size(), 1u);
  EXPECT_EQ(j["faults"][0]["kind"], "bridge-kill");
  EXPECT_EQ(j["verdict"]["passed"], false);
  EXPECT_GT(j["wall_s"].get<double>(), 0);
  // The same checks (and JUnit testcases) as the passing run of a scenario with as many SLOs.
  const auto s = nlohmann::json::parse(Read(smoke));
  EXPECT_EQ(j["verdict"]["checks"].size(), s["verdict"]["checks"].size() - 3)
      << "smoke has five SLOs, the failing scenario two";
  const std::string xml = Read(Path("failing.xml"));
  EXPECT_THAT(xml, HasSubstr("classname=\"lnsim.failing.slo\" name=\"delivered == 0\""));
  EXPECT_THAT(xml, HasSubstr("<failure type=\"slo\" message=\"delivered == 0: measured "));
}

TEST_F(ReportSchemaItest, SweepProbeReportIsValid) {
  const std::string out = Path("sweep");
  const Result r = Lnsim("sweep " + std::string(LNSIM_SOURCE_DIR) +
                         "/scenarios/smoke.yaml --vary rate=5..10 --max-probes 1 "
                         "--probe-length 2s --drain 5s --out-dir " +
                         out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const Result v = Validate(out + "/probes/p001.json");
  EXPECT_EQ(v.exit_code, 0) << v.output;
  EXPECT_THAT(v.output, HasSubstr("p001.json: valid lnsim.report/v1"));
}

TEST_F(ReportSchemaItest, ValidatorRejectsPlantedFaultsNamingTheField) {
  const auto good = nlohmann::json::parse(Read(SmokeReport()));
  auto plant = [&](const std::string& name, auto change) {
    nlohmann::ordered_json j = good;
    change(j);
    std::ofstream(Path(name)) << j.dump(2);
    return Path(name);
  };
  const std::string wrong_type =
      plant("wrong-type.json", [](auto& j) { j["verdict"]["lost"] = "0"; });
  const std::string missing = plant("missing.json", [](auto& j) { j.erase("started_at"); });
  const std::string unknown = plant("unknown.json", [](auto& j) { j["latency_ms"]["p42"] = 1; });
  const std::string old_key = plant("old-key.json", [](auto& j) {
    j["events"] = j["world_changes"];
    j.erase("world_changes");
  });
  Result v = Validate(wrong_type);
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr("wrong-type.json: verdict/lost: '0' is not of type 'integer'"));
  v = Validate(missing);
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr("missing.json: (top): 'started_at' is a required property"));
  v = Validate(unknown);
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr("unknown.json: latency_ms: Additional properties are not "
                                  "allowed ('p42' was unexpected)"));
  v = Validate(old_key);
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_THAT(v.output, HasSubstr("'world_changes' is a required property"));
  v = Validate(Path("no-such.json"));
  EXPECT_EQ(v.exit_code, 2) << v.output;
  EXPECT_THAT(v.output, HasSubstr("no-such.json: [Errno 2] No such file or directory"));
}

TEST_F(ReportSchemaItest, CompareAcceptsAnOlderBaselineWithEvents) {
  const std::string current = SmokeReport();
  nlohmann::ordered_json old = nlohmann::ordered_json::parse(Read(current));
  old["events"] = old["world_changes"];
  old.erase("world_changes");
  old.erase("started_at");
  old.erase("wall_s");
  old["verdict"].erase("checks");
  std::ofstream(Path("baseline.json")) << old.dump(2);
  const Result r = Lnsim("compare " + Path("baseline.json") + " " + current);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no regression"));
  EXPECT_THAT(r.output, HasSubstr("world_changes"));
}

}  // namespace
}  // namespace lnsim::harness
