// The readiness protocol (docs/scenarios.md "Readiness") end to end through `lnsim run`: the
// bridge creates the file named by LNSIM_READY_FILE (lnsim's own bridge: --ready-file) once it is
// connected to NATS, its stream exists and its first full poll is done; the judged window starts
// then, and the report says from when (`judged_from_s`) and how (`readiness`). A team's bridge
// that never signals, or exits first, fails start-up with an error naming the protocol.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/exit_codes.h"
#include "harness/report.h"
#include "harness/run.h"
#include "tests/harness/standin_bridge.h"
#include "tests/testutil/test_dir.h"

namespace lnsim::harness {
namespace {

// A stand-in team bridge: connects to NATS with the raw client protocol, reads the mock's node
// list once (its "first full poll"), waits `delay` seconds more, then signals readiness and
// stays up publishing nothing. Its delay makes the start of the judged window observable.
const std::string kSignallingBridge = std::string(testing::kStandInConnect) + R"(
import urllib.request
urllib.request.urlopen(os.environ["LNSIM_LINSTOR_URL"] + "/v1/nodes").read()
time.sleep(float(sys.argv[1]))
path = os.environ["LNSIM_READY_FILE"]
with open(path + ".tmp", "w") as out:
    out.write("ready\n")
os.rename(path + ".tmp", path)
)" + testing::kStandInStayUp;

class ReadinessTest : public ::testing::Test {
 protected:
  RunOutcome RunWith(const std::string& scenario_tail, const std::string& bridge_command) {
    const std::string path = (dir_ / "ready.yaml").string();
    std::ofstream(path) << "cluster:\n  nodes: 3\n  resources: 5\nworkload:\n  attach_rate: 3\n"
                           "  detach_rate: 3\nnats:\n  jetstream: false\nduration: 3s\nseed: 7\n"
                        << scenario_tail;
    RunOptions options;
    options.scenario_path = path;
    options.lnsim_binary = LNSIM_BINARY_PATH;
    options.work_dir = (dir_ / "work").string();
    options.command_line = "lnsim run " + path;
    options.bridge_command = bridge_command;
    std::ostringstream log;
    RunOutcome out = RunScenario(options, clock_, log);
    log_ = log.str();
    return out;
  }
  std::string StandIn() {
    const std::string script = (dir_ / "standin.py").string();
    std::ofstream(script) << kSignallingBridge;
    return script;
  }

  testutil::TestDir test_dir_{"readiness-test"};
  const std::filesystem::path dir_ = test_dir_.path();
  RealClock clock_;
  std::string log_;
};

// lnsim's own bridge signals through --ready-file (start-up would fail otherwise); the report
// carries the start of the judged window, also in its JSON.
TEST_F(ReadinessTest, OwnBridgeSignalsAndTheReportSaysFromWhenItWasJudged) {
  const RunOutcome out = RunWith("", "");
  ASSERT_EQ(out.exit_code, kExitOk) << out.error << "\n" << log_;
  EXPECT_EQ(out.report.readiness, "signalled");
  EXPECT_GT(out.report.judged_from_s, 0.0);
  EXPECT_GT(out.report.events, 0u);
  const std::string json = ReportToJson(out.report);
  EXPECT_NE(json.find("\"judged_from_s\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"readiness\": \"signalled\""), std::string::npos) << json;
  auto back = ReportFromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->readiness, "signalled");
  EXPECT_NEAR(back->judged_from_s, out.report.judged_from_s, 0.001);
  EXPECT_NE(log_.find("judged from "), std::string::npos) << log_;
}

// A team's bridge that signals after its first poll plus one second: the judged window cannot
// start before the signal (the bridge was spawned after world time 0, time_scale 1).
TEST_F(ReadinessTest, TeamBridgeThatSignalsStartsTheJudgedWindowAtItsSignal) {
  const RunOutcome out = RunWith("", "exec python3 " + StandIn() + " 1.0");
  // It publishes nothing: a verdict (exit 1), not a start-up failure.
  ASSERT_EQ(out.exit_code, kExitFailed) << out.error << "\n" << log_;
  EXPECT_EQ(out.report.readiness, "signalled");
  EXPECT_GE(out.report.judged_from_s, 1.0);
}

// The older guess stays available and is said in the report: ready one request timeout (2s)
// plus one poll interval (500ms) after the start, whatever the bridge did.
TEST_F(ReadinessTest, AssumedReadinessIsReportedAsAssumed) {
  const RunOutcome out =
      RunWith("bridge:\n  readiness: assumed\n", "exec python3 " + StandIn() + " 0");
  // A verdict either way (what little is owed after 2.5 s may be nothing), not a start-up error.
  ASSERT_TRUE(out.exit_code == kExitOk || out.exit_code == kExitFailed)
      << out.exit_code << " " << out.error << "\n"
      << log_;
  EXPECT_EQ(out.report.readiness, "assumed");
  EXPECT_GE(out.report.judged_from_s, 2.5);
}

TEST_F(ReadinessTest, TeamBridgeThatNeverSignalsFailsStartUpNamingTheProtocol) {
  const RunOutcome out = RunWith("bridge:\n  ready_timeout: 1s\n", "exec sleep 600");
  ASSERT_EQ(out.exit_code, kExitInfra) << log_;
  EXPECT_NE(out.error.find("did not signal readiness within 1s"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("LNSIM_READY_FILE"), std::string::npos) << out.error;
  EXPECT_NE(out.error.find("docs/scenarios.md \"Readiness\""), std::string::npos) << out.error;
}

TEST_F(ReadinessTest, TeamBridgeThatExitsBeforeSignallingFailsStartUpWithItsExitStatus) {
  const RunOutcome out = RunWith("", "echo 'no linstor here' >&2; exit 4");
  ASSERT_EQ(out.exit_code, kExitInfra) << log_;
  EXPECT_NE(out.error.find("exited before it signalled readiness (exit 4)"), std::string::npos)
      << out.error;
}

}  // namespace
}  // namespace lnsim::harness
