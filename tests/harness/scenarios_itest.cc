// The scenario library end to end: every file in scenarios/ runs through `lnsim run` (real world,
// mock controller, embedded nats-server, the lnsim bridge as a child process, real consumers),
// shortened with time_scale so each takes about ten seconds of world time, and must give a clean
// correctness verdict with every fault window carrying events in flight. Correctness only: a
// latency SLO missed on a loaded CI machine is reported, never asserted.
//
// Also here: the deliberately weak setup (core NATS during nats-restart), run through the lnsim
// binary, must fail with losses counted, and the replay command it prints must reproduce the same
// failing verdict; and a stream breaking a domain invariant must fail the run with the event and
// its history.
#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bridge/event.h"
#include "common/clock.h"
#include "harness/bundle.h"
#include "harness/child_process.h"
#include "harness/harness_spec.h"
#include "harness/replay.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "tests/harness/standin_bridge.h"

namespace lnsim::harness {
namespace {

// World seconds each shortened scenario runs for (the whole file stays within a few minutes on
// two cores: sixteen scenarios of about 10 s of world time plus start-up and drain).
constexpr double kWorldSeconds = 9.0;

// Scenarios shortened further than kWorldSeconds. nats-restart: its point is a backlog in flight
// when the server goes, which its consumers' thin link gives at any scale (the link's bandwidth
// is scaled with the world, below); 4.5 s of world time still puts events in both windows.
double SuiteWorldSeconds(const std::string& name) {
  if (name == "nats-restart") return 4.5;
  return kWorldSeconds;
}

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(LNSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ScenarioFixture {
 protected:
  void MakeDir(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() /
           ("lnsim-scenarios-" + std::to_string(getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  RunOptions Options(const std::string& path) {
    RunOptions options;
    options.scenario_path = path;
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (dir_ / "work").string();
    options.command_line = "lnsim run " + path;
    return options;
  }
  std::filesystem::path dir_;
  RealClock clock_;
};

class ScenarioLibraryTest : public ScenarioFixture, public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { MakeDir(GetParam()); }
  void TearDown() override {
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
};

TEST_P(ScenarioLibraryTest, PassesShortenedWithEventsInEveryFaultWindow) {
  const std::string path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/" + GetParam() + ".yaml";
  auto scenario = LoadScenarioFile(path);
  ASSERT_TRUE(scenario.ok()) << scenario.status().ToString();
  RunOptions options = Options(path);
  const double duration_s = std::chrono::duration<double>(scenario->world.duration).count();
  // Compress to about kWorldSeconds of world time; a scenario already that short keeps its own.
  const double scale =
      std::min(scenario->world.time_scale, SuiteWorldSeconds(GetParam()) / duration_s);
  options.time_scale = scale;
  YAML::Node root = YAML::Load(ReadText(path));
  bool rewritten = false;
  if (GetParam() == "large-cluster") {
    // Test-only: a tenth of the resources (1000 of 10000, same 100 nodes), so that the poll of
    // every replica fits two shared CI cores; `lnsim run scenarios/large-cluster.yaml` runs all.
    root["cluster"]["resources"] = 1000;
    rewritten = true;
  }
  if (root["network"] && root["network"]["consumers"] &&
      root["network"]["consumers"]["bandwidth"]) {
    // A link's bandwidth is per real second while the world runs `scale` times faster: divide
    // it by the scale so the backlog, in world time, is the one the file describes (and the
    // drain does not dominate the test).
    auto bytes = ParseBytes(root["network"]["consumers"]["bandwidth"].as<std::string>());
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    root["network"]["consumers"]["bandwidth"] =
        std::to_string(static_cast<uint64_t>(static_cast<double>(*bytes) / scale));
    rewritten = true;
  }
  if (rewritten) {
    YAML::Emitter emitter;
    emitter << root;
    options.scenario_text = emitter.c_str();
  }
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock_, log);
  const Report& r = out.report;
  std::ostringstream table;
  PrintReportTable(r, table);
  SCOPED_TRACE("time_scale " + std::to_string(scale) + "\n" + log.str() + table.str());

  ASSERT_TRUE(out.exit_code == 0 || out.exit_code == 1) << out.error;
  EXPECT_TRUE(r.failed_checks.empty());
  for (const std::string& v : out.invariant_violations) ADD_FAILURE() << "invariant " << v;
  // Exit 1 is accepted only for a missed latency or throughput SLO (no timing assertions here).
  for (const SloResult& slo : r.slos) {
    const bool timing = slo.expression.rfind("p", 0) == 0 || slo.expression.rfind("max_", 0) == 0 ||
                        slo.expression.rfind("throughput", 0) == 0;
    if (!timing) {
      EXPECT_TRUE(slo.passed) << slo.expression << " measured " << slo.measured;
    }
  }
  EXPECT_EQ(r.totals.lost, 0u);
  EXPECT_EQ(r.totals.duplicated, 0u);
  EXPECT_EQ(r.totals.reordered, 0u);
  EXPECT_EQ(r.totals.phantom, 0u);
  EXPECT_GT(r.totals.delivered, 0u);
  for (const ConsumerVerdict& c : r.per_consumer) EXPECT_TRUE(c.converged) << c.name;
  // Every fault of the file fired and its window carried events in flight.
  size_t fired = 0;
  for (const FaultWindow& f : r.faults) {
    ++fired;
    EXPECT_GT(f.events_in_window, 0u)
        << f.kind << " " << f.target << " [" << f.start_ms << "ms, " << f.end_ms << "ms)";
  }
  EXPECT_EQ(fired, scenario->world.faults.size());
}

INSTANTIATE_TEST_SUITE_P(Library, ScenarioLibraryTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

class WeakSetupTest : public ScenarioFixture, public ::testing::Test {
 protected:
  void SetUp() override { MakeDir("weak"); }
  void TearDown() override {
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
};

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
};

// Runs `lnsim` as a user would, stdout captured, stderr into `log_path`, with TMPDIR pointing
// into the test's directory (a failed run keeps its temp work dir).
CliResult RunCli(std::vector<std::string> argv, const std::string& tmpdir,
                 const std::string& log_path, const Clock& clock) {
  CliResult r;
  ChildOptions co;
  co.argv = std::move(argv);
  co.capture_stdout = true;
  co.log_path = log_path;
  co.env = {"TMPDIR=" + tmpdir};
  auto child = ChildProcess::Spawn(co, clock);
  if (!child.ok()) {
    r.out = child.status().ToString();
    return r;
  }
  const Duration deadline = clock.Now() + std::chrono::minutes(3);
  while (true) {
    auto line = (*child)->ReadLine(std::max(Duration(1), deadline - clock.Now()));
    if (!line.ok()) break;
    r.out += *line + "\n";
  }
  auto status = (*child)->Wait(std::max(Duration(1), deadline - clock.Now()));
  if (status.ok() && status->exited) r.exit_code = status->code;
  return r;
}

// The value of the first stdout line starting with `prefix` ("" when none).
std::string LineAfter(const std::string& out, const std::string& prefix) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

// Core NATS is at-most-once: killing nats-server under load loses what was in flight. `lnsim run`
// (the binary, as a user runs it) fails with the losses counted, writes a bundle into its kept
// work dir and prints the replay command; running exactly that command re-drives the same world
// (same trace digest) to the same failure and says REPRODUCED.
TEST_F(WeakSetupTest, CoreNatsDuringNatsRestartLosesEventsAndTheReplayReproducesIt) {
  const std::string path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/nats-restart.yaml";
  const std::string tmp = (dir_ / "tmp").string();
  std::filesystem::create_directories(tmp);
  const std::string report_path = (dir_ / "report.json").string();
  const CliResult run =
      RunCli({LNSIM_BINARY_PATH, "run", path, "--core", "--time-scale", "0.1", "--work-dir",
              (dir_ / "work").string(), "--report", report_path, "--no-progress"},
             tmp, (dir_ / "run.stderr").string(), clock_);
  ASSERT_EQ(run.exit_code, 1) << run.out << ReadText((dir_ / "run.stderr").string());
  auto report_text = ReadWholeFile(report_path);
  ASSERT_TRUE(report_text.ok());
  auto report = ReportFromJson(*report_text);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GT(report->totals.lost, 0u) << run.out;
  ASSERT_EQ(report->per_consumer.size(), 1u);
  EXPECT_EQ(report->per_consumer[0].mode, "core");
  EXPECT_NE(run.out.find("FAIL lost == 0  (measured " + std::to_string(report->totals.lost) + ")"),
            std::string::npos)
      << run.out;

  const std::string bundle = LineAfter(run.out, "bundle: ");
  ASSERT_FALSE(bundle.empty()) << "a failed run records a bundle\n" << run.out;
  for (const char* file : {"scenario.yaml", "run.json", "seed", "trace.txt", "report.json",
                           "bridge.log", "events.jsonl"}) {
    EXPECT_TRUE(std::filesystem::exists(bundle + "/" + file)) << file;
  }
  EXPECT_GT(std::filesystem::file_size(bundle + "/trace.txt"), 0u);

  // The printed command, run as printed (only `lnsim` resolved to the binary under test).
  const std::string replay_command = LineAfter(run.out, "replay: ");
  ASSERT_EQ(replay_command, "lnsim replay " + bundle) << run.out;
  std::vector<std::string> argv;
  std::istringstream words(replay_command);
  for (std::string w; words >> w;) argv.push_back(argv.empty() ? LNSIM_BINARY_PATH : w);
  const CliResult replay = RunCli(argv, tmp, (dir_ / "replay.stderr").string(), clock_);
  SCOPED_TRACE(replay.out + ReadText((dir_ / "replay.stderr").string()));
  EXPECT_EQ(replay.exit_code, 0) << "exit 0 = reproduced";
  EXPECT_NE(replay.out.find("(matches the recording"), std::string::npos);
  const std::string recorded = LineAfter(replay.out, "recorded verdict: ");
  const std::string replayed = LineAfter(replay.out, "replayed verdict: ");
  EXPECT_EQ(recorded.rfind("failed (", 0), 0u) << recorded;
  EXPECT_NE(recorded.find("lost"), std::string::npos) << recorded;
  EXPECT_EQ(replayed, recorded);
  EXPECT_NE(replay.out.find("\nREPRODUCED\n"), std::string::npos);
  EXPECT_NE(replay.out.find("FAIL lost == 0"), std::string::npos);
}

// A stand-in "team bridge" (bridge.command) that publishes, over core NATS with the raw client
// protocol, a stream breaking one domain invariant: volume.attached after resource.deleted. The
// run must fail on it, naming the invariant, the offending event and the entity's history.
const std::string kInvariantBreakingBridge = std::string(testing::kStandInConnect) + "version = " +
                                             std::to_string(bridge::kEventFormatVersion) + R"(
def publish(seq, kind, what, data):
    key = "resource.pvc-planted"
    subject = "linstor.v1.%s.%s.%s.%s" % (cluster, kind, ".".join(what), data["type"])
    body = json.dumps({"specversion": "1.0", "id": "%s/%s/%d" % (cluster, key, seq),
                       "source": "/linstor/" + cluster,
                       "type": "io.linstor.%s.%s.v%d" % (kind, data["type"], version),
                       "subject": subject, "time": "2026-01-01T00:00:0%dZ" % seq,
                       "datacontenttype": "application/json", "partitionkey": key,
                       "sequence": ce_sequence(seq), "data": data["data"]}).encode()
    publish_event(subject, body)
open(os.environ["LNSIM_READY_FILE"], "w").close()  # connected: ready (docs/scenarios.md)
publish(1, "resource", ["pvc-planted"],
        {"type": "deleted", "data": {"resource": "pvc-planted"}})
publish(2, "volume", ["pvc-planted", "node-1"],
        {"type": "attached", "data": {"resource": "pvc-planted", "node": "node-1"}})
s.sendall(b"PING\r\n")
)" + testing::kStandInStayUp;

TEST_F(WeakSetupTest, AStreamBreakingAnInvariantFailsTheRunWithTheEventAndItsHistory) {
  const std::string script = (dir_ / "planted_bridge.py").string();
  std::ofstream(script) << kInvariantBreakingBridge;
  const std::string path = (dir_ / "planted.yaml").string();
  std::ofstream(path) << "cluster:\n  nodes: 3\n  resources: 5\nnats:\n  jetstream: false\n"
                         "duration: 2s\nseed: 1\n";
  RunOptions options = Options(path);
  options.bridge_command = "exec python3 " + script;
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock_, log);
  SCOPED_TRACE(log.str());
  ASSERT_EQ(out.exit_code, 1) << out.error;
  ASSERT_EQ(out.invariant_violations.size(), 1u);
  const std::string& v = out.invariant_violations[0];
  EXPECT_NE(v.find("attach-after-delete"), std::string::npos) << v;
  EXPECT_NE(v.find("consumer core-1"), std::string::npos) << v;
  EXPECT_NE(v.find("volume.attached"), std::string::npos) << v;
  EXPECT_NE(v.find("history:"), std::string::npos) << v;
  EXPECT_NE(v.find("resource.deleted"), std::string::npos) << v;
  bool failed_check = false;
  for (const std::string& c : out.report.failed_checks) {
    failed_check |= c.find("invariant") != std::string::npos;
  }
  EXPECT_TRUE(failed_check);
}

// --bundle on a passing run writes the bundle too, and its replay reproduces the pass.
TEST_F(WeakSetupTest, RecordedPassingRunReplaysToAPass) {
  const std::string path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml";
  RunOptions options = Options(path);
  options.record_dir = (dir_ / "recorded").string();
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock_, log);
  ASSERT_EQ(out.exit_code, 0) << out.error << "\n" << log.str();
  ASSERT_EQ(out.bundle_dir, options.record_dir);
  auto manifest = ReadWholeFile(out.bundle_dir + "/run.json");
  ASSERT_TRUE(manifest.ok());
  auto parsed = ManifestFromJson(*manifest);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->seed, 1u);
  EXPECT_EQ(parsed->trace_digest, out.report.trace_digest);
  EXPECT_TRUE(parsed->verdict.passed);

  ReplayOptions ro;
  ro.bundle_dir = out.bundle_dir;
  ro.lnsim_binary = LNSIM_BINARY_PATH;
  ro.work_dir = (dir_ / "replay").string();
  std::ostringstream replay_log;
  const ReplayOutcome replay = ReplayBundle(ro, clock_, replay_log);
  EXPECT_EQ(replay.exit_code, 0) << replay.error << "\n" << replay_log.str();
  EXPECT_TRUE(replay.digest_matches);
  EXPECT_TRUE(replay.reproduced);
}

TEST_F(WeakSetupTest, ReplayOfADirectoryThatIsNotABundleIsAUsageError) {
  ReplayOptions ro;
  ro.bundle_dir = dir_.string();
  ro.lnsim_binary = LNSIM_BINARY_PATH;
  std::ostringstream log;
  const ReplayOutcome replay = ReplayBundle(ro, clock_, log);
  EXPECT_EQ(replay.exit_code, 2);
  EXPECT_NE(replay.error.find("not a reproduction bundle"), std::string::npos) << replay.error;
}

}  // namespace
}  // namespace lnsim::harness
