// The errors a new user meets in the first hour (issue 20, "errors that say what happened"): each
// bad input runs the real `lnsim` binary and asserts the exit code and the message on the
// terminal. Start-up failures show the child's own words, a port in use fails, an interrupted run
// says INTERRUPTED first with no verdict, unreadable JSON inputs name the file, the position and
// the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "harness/child_process.h"
#include "harness/json_read.h"
#include "harness/nats_server.h"
#include "harness/report.h"
#include "tests/harness/planted_churn.h"
#include "tests/testutil/test_dir.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback socket bound (and listening when `listen_too`) on a free port; closed on destruction.
class Port {
 public:
  explicit Port(bool listen_too) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen_too) {
      EXPECT_EQ(listen(fd_, 4), 0);
    }
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Port() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class FirstHourErrors : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }

  // Runs `lnsim ARGS...` to its end (bounded: killed after 2 minutes): stdout through a pipe,
  // stderr into a file.
  CliResult Lnsim(const std::vector<std::string>& args) {
    ChildOptions options;
    options.argv = {LNSIM_BINARY_PATH};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.capture_stdout = true;
    options.log_path = Path("stderr-" + std::to_string(++runs_));
    options.env = {"TMPDIR=" + dir_.string()};  // a failed run's kept work dir stays in ours
    auto child = ChildProcess::Spawn(options, clock_);
    CliResult r;
    if (!child.ok()) {
      ADD_FAILURE() << child.status().message();
      return r;
    }
    r.out = ReadAll(**child);
    auto status = (*child)->Wait(std::chrono::minutes(2));
    const ExitStatus st = status.ok() ? *status : (*child)->Kill();
    r.exit_code = st.exited ? st.code : -1;
    r.err = ReadText(options.log_path);
    return r;
  }

  std::string ReadAll(ChildProcess& child) {
    std::string out;
    const Duration deadline = clock_.Now() + std::chrono::minutes(2);
    while (clock_.Now() < deadline) {
      auto line = child.ReadLine(std::chrono::seconds(1));
      if (line.ok()) {
        out += *line + "\n";
      } else if (line.status().code() == StatusCode::kNotFound) {
        break;
      }
    }
    return out;
  }

  // Which output InterruptAfter watches for its line.
  enum class Watch { kStderr, kStdout };
  CliResult InterruptAfter(const std::string& line_prefix, const std::vector<std::string>& args,
                           Watch watch = Watch::kStderr);

  std::string Smoke() const { return std::string(LNSIM_SOURCE_DIR) + "/scenarios/smoke.yaml"; }

  testutil::TestDir test_dir_{"first-hour-errors"};
  const std::filesystem::path dir_ = test_dir_.path();
  RealClock clock_;
  int runs_ = 0;
};

// --- the bridge's own start-up error on the terminal -------------------------------------------

TEST_F(FirstHourErrors, BridgeThatCannotReachNatsShowsItsOwnErrorAndTheLogPath) {
  const Port free_port(/*listen_too=*/false);  // bound, not listening: connections are refused
  const std::string url = "nats://127.0.0.1:" + std::to_string(free_port.port());
  const CliResult r = Lnsim({"run", Smoke(), "--nats", url, "--no-progress"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the bridge exited during start-up (exit 3)"));
  EXPECT_THAT(r.err, HasSubstr("cannot connect to NATS at " + url));
  EXPECT_THAT(r.err, HasSubstr("/bridge.log"));
}

TEST_F(FirstHourErrors, BridgeBinaryThatFailsShowsTheLastLinesOfItsLog) {
  const std::string script = Write("bad-bridge.sh",
                                   "#!/bin/sh\n"
                                   "echo 'starting' >&2\n"
                                   "echo 'fatal: cannot frobnicate the widget' >&2\n"
                                   "exit 1\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const CliResult r = Lnsim({"run", Smoke(), "--bridge-binary", script, "--no-progress"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the bridge exited during start-up (exit 1); the end of its log:\n"
                               "  starting\n"
                               "  fatal: cannot frobnicate the widget\n"
                               "see "));
  EXPECT_THAT(r.err, HasSubstr("/bridge.log"));
}

// --- a port in use
// --------------------------------------------------------------------------------

TEST_F(FirstHourErrors, MockLinstorOnAPortInUseExits3NamingTheAddress) {
  const Port taken(/*listen_too=*/true);
  const std::string port = std::to_string(taken.port());
  const CliResult r = Lnsim({"mock-linstor", "--port", port});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("lnsim mock-linstor: cannot listen on 127.0.0.1:" + port +
                               ": Address already in use"));
  EXPECT_THAT(r.out, Not(HasSubstr("listening")));
}

TEST_F(FirstHourErrors, BridgeMetricsOnAPortInUseExits3NamingTheReason) {
  NatsServerOptions nats_options;
  nats_options.jetstream = false;
  auto nats = NatsServer::Start(nats_options, clock_);
  ASSERT_TRUE(nats.ok()) << nats.status().message();
  const Port taken(/*listen_too=*/true);
  const std::string addr = "127.0.0.1:" + std::to_string(taken.port());
  const CliResult r = Lnsim({"bridge", "--nats", (*nats)->url(), "--linstor", "http://127.0.0.1:9",
                             "--cluster", "c1", "--metrics-addr", addr});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err,
              HasSubstr("cannot listen on --metrics-addr " + addr + ": Address already in use"));
}

// --- Ctrl-C during a run ------------------------------------------------------------------------

// Runs `lnsim run ARGS...`, reads the watched output (stderr by default) until a line starting
// with `line_prefix`, sends it SIGINT and lets it finish: the watched output through the pipe, the
// other one into a file.
CliResult FirstHourErrors::InterruptAfter(const std::string& line_prefix,
                                          const std::vector<std::string>& args, Watch watch) {
  const std::string out_path = Path("other-" + std::to_string(++runs_));
  ChildOptions options;
  options.argv = {
      "/bin/sh",
      "-c",
      watch == Watch::kStderr ? "exec \"$@\" 2>&1 1>\"$OUT\"" : "exec \"$@\" 2>\"$OUT\"",
      "sh",
      LNSIM_BINARY_PATH,
      "run"};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = {"OUT=" + out_path, "TMPDIR=" + dir_.string()};
  options.capture_stdout = true;
  CliResult r;
  auto child = ChildProcess::Spawn(options, clock_);
  if (!child.ok()) {
    ADD_FAILURE() << child.status().message();
    return r;
  }
  bool seen = false;
  const Duration deadline = clock_.Now() + std::chrono::minutes(2);
  while (!seen && clock_.Now() < deadline) {
    auto line = (*child)->ReadLine(std::chrono::seconds(1));
    if (line.ok()) {
      r.err += *line + "\n";
      seen = line->rfind(line_prefix, 0) == 0;
    } else if (line.status().code() == StatusCode::kNotFound) {
      break;
    }
  }
  if (!seen) {
    ADD_FAILURE() << "no line starting with '" << line_prefix << "' in:\n" << r.err;
    return r;
  }
  EXPECT_TRUE((*child)->Signal(SIGINT).ok());
  r.err += ReadAll(**child);
  auto status = (*child)->Wait(std::chrono::minutes(1));
  const ExitStatus st = status.ok() ? *status : (*child)->Kill();
  r.exit_code = st.exited ? st.code : -1;
  r.out = ReadText(out_path);
  if (watch == Watch::kStdout) std::swap(r.out, r.err);
  return r;
}

#ifdef LNSIM_TEST_BRIDGE_PATH
TEST_F(FirstHourErrors, InterruptedShrinkSaysSoAndGivesNoMinimalSchedule) {
  // A run that fails (the test bridge's planted differ bug) with faults to shrink; the stop comes
  // while the first candidate runs. A candidate cut short must not read "passes", and no
  // "minimal schedule" may be claimed from a shrink that did not finish.
  const std::string scenario = Write("churn.yaml", std::string(testing::kPlantedChurnScenario) + R"(
faults:
  - kind: slow-satellite
    at: 2s
    duration: 4s
    nodes: [node-2]
    params: latency=100ms
  - kind: slow-satellite
    at: 8s
    duration: 4s
    nodes: [node-3]
    params: latency=100ms
)");

  const CliResult r = InterruptAfter(
      "shrinking the fault schedule",
      {scenario, "--no-progress", "--shrink", "--bridge-binary", LNSIM_TEST_BRIDGE_PATH,
       "--bridge-arg=--plant", "--bridge-arg=swap-attach-detach"},
      Watch::kStdout);
  EXPECT_THAT(r.out, HasSubstr("lnsim FAILED"));  // the original run was judged
  EXPECT_THAT(r.out, HasSubstr("faults: interrupted\n"));
  EXPECT_THAT(r.out, HasSubstr("shrink interrupted: no minimal schedule\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("faults: passes")));
  EXPECT_THAT(r.out, Not(HasSubstr("minimal schedule:")));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the verdict of the run that was judged
}
#endif

TEST_F(FirstHourErrors, InterruptedRunSaysInterruptedFirstWithNoVerdict) {
  const std::string report_path = Path("report.json");
  const CliResult r = InterruptAfter(
      "bridge ready", {Smoke(), "--no-progress", "--report", report_path, "--duration", "10m"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  const std::string& out = r.out;
  const std::string& err = r.err;
  EXPECT_THAT(out, StartsWith("lnsim INTERRUPTED by SIGINT  scenario " + Smoke() + "  seed 1\n"));
  EXPECT_THAT(out, HasSubstr("interrupted during the run phase at world time "));
  EXPECT_THAT(out, HasSubstr("seen so far (partial, not judged): delivered "));
  for (const char* finding : {"FAILED", "PASSED", "lost", "did not converge", "duplicated"}) {
    EXPECT_THAT(out, Not(HasSubstr(finding))) << out;
    EXPECT_THAT(err, Not(HasSubstr(finding))) << err;
  }
  auto report = ReportFromJson(ReadText(report_path));
  ASSERT_TRUE(report.ok()) << report.status().message();
  EXPECT_FALSE(report->passed);
  ASSERT_EQ(report->failed_checks.size(), 1u);
  EXPECT_THAT(report->failed_checks[0], StartsWith("interrupted during the run phase"));
  EXPECT_TRUE(report->slos.empty());
  EXPECT_EQ(report->totals.lost, 0u);
}

TEST_F(FirstHourErrors, InterruptedStartUpSaysInterruptedNotATimeout) {
  // A bridge that never gets ready: the stop comes while lnsim waits for it.
  const std::string script = Write("silent-bridge.sh",
                                   "#!/bin/sh\n"
                                   "echo 'connecting...' >&2\n"
                                   "exec sleep 600\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const CliResult r = InterruptAfter("mock LINSTOR controller on",
                                     {Smoke(), "--no-progress", "--bridge-binary", script});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.out, StartsWith("lnsim INTERRUPTED by SIGINT  scenario " + Smoke() +
                                "\n  interrupted during start-up, before the run\n"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("did not report its metrics address")));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("infrastructure failure")));
}

// --- reports and baselines for `lnsim compare`
// ------------------------------------------------------

TEST_F(FirstHourErrors, TruncatedReportGivesTheFileAndTheParsePosition) {
  const std::string path = Write("trunc.json",
                                 "{\n"
                                 "  \"schema\": \"lnsim.report/v1\",\n"
                                 "  \"verdict\": {\n");
  const CliResult r = Lnsim({"compare", path, path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim compare: baseline: " + path +
                               ": report: invalid JSON at line 4, column 1 (byte offset 48): "
                               "syntax error while parsing object key - unexpected end of input; "
                               "expected string literal (the text ends early: truncated?)"));
  EXPECT_THAT(r.err, Not(HasSubstr("json.exception")));
  EXPECT_THAT(r.err, Not(HasSubstr("see --help")));
}

TEST_F(FirstHourErrors, InvalidReportGivesLineAndColumnOfTheBadToken) {
  const std::string path = Write("bad.json", "{\n  \"schema\": x\n}\n");
  const CliResult r = Lnsim({"compare", path, path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(path + ": report: invalid JSON at line 2, column 13"));
  EXPECT_THAT(r.err, Not(HasSubstr("json.exception")));
}

TEST_F(FirstHourErrors, ReportMissingAKeyOrWithAWrongTypeNamesTheKey) {
  auto j = nlohmann::json::parse(ReportToJson(Report{}));
  j["verdict"].erase("lost");
  const std::string missing = Write("missing.json", j.dump(2));
  CliResult r = Lnsim({"compare", missing, missing});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(missing + ": report: missing key `lost` in `verdict`"));

  j = nlohmann::json::parse(ReportToJson(Report{}));
  j["seed"] = "seven";
  const std::string wrong = Write("wrong.json", j.dump(2));
  r = Lnsim({"compare", wrong, wrong});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(wrong + ": report: `seed`: expected a non-negative integer, got a "
                                       "string"));

  j = nlohmann::json::parse(ReportToJson(Report{}));
  j["environment"]["cpu_count"] = "many";  // an optional section: still checked, not a crash
  const std::string env = Write("env.json", j.dump(2));
  r = Lnsim({"compare", env, env});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("`environment.cpu_count`: expected an integer, got a string"));
  EXPECT_THAT(r.err, Not(HasSubstr("json.exception")));
}

TEST_F(FirstHourErrors, MissingReportGivesTheOsReason) {
  const std::string path = Path("nope.json");
  const CliResult r = Lnsim({"compare", path, path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim compare: baseline: " + path + ": no such file or directory"));
}

// --- replay bundles -----------------------------------------------------------------------------

TEST_F(FirstHourErrors, BundleMissingKeysNamesTheKeyNotTheLibrary) {
  const std::string bundle = Path("bundle");
  std::filesystem::create_directories(bundle);
  Write("bundle/run.json", R"({"schema": "lnsim.bundle/v1", "scenario": "s.yaml"})");
  CliResult r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bundle + "/run.json: missing key `seed` at the top level"));
  EXPECT_THAT(r.err, Not(HasSubstr("json.exception")));

  Write("bundle/run.json", R"({"schema": "lnsim.bundle/v1", "scenario": "s.yaml", "seed": 7,
    "trace_digest": "00", "verdict": {"passed": true}})");
  r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bundle + "/run.json: missing key `nonzero` in `verdict`"));

  Write("bundle/run.json", R"({"schema": "lnsim.bundle/v1", "scenario": "s.yaml", "seed": "7"})");
  r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bundle + "/run.json: `seed`: expected a non-negative integer, got "
                                        "a string"));

  Write("bundle/run.json", R"({"schema": 1})");
  r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bundle + "/run.json: `schema`: expected a string, got an integer"));
}

TEST_F(FirstHourErrors, TruncatedBundleManifestGivesThePosition) {
  const std::string bundle = Path("bundle");
  std::filesystem::create_directories(bundle);
  Write("bundle/run.json", "{\"schema\": \"lnsim.bundle/v1\", \"seed\": ");
  const CliResult r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(bundle + "/run.json: invalid JSON at line 1, column 39"));
  EXPECT_THAT(r.err, HasSubstr("truncated?"));
}

TEST_F(FirstHourErrors, NotABundleGivesTheOsReason) {
  const std::string bundle = Path("no-such-bundle");
  const CliResult r = Lnsim({"replay", bundle});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("lnsim replay: " + bundle +
                               ": not a reproduction bundle (cannot "
                               "open " +
                               bundle + "/run.json: No such file or directory)"));
}

// --- the position arithmetic itself
// ---------------------------------------------------------------

TEST(JsonReadTest, PositionCountsLinesAndColumnsFromOne) {
  EXPECT_EQ(PositionOf("ab\ncd", 0).line, 1u);
  EXPECT_EQ(PositionOf("ab\ncd", 4).line, 2u);
  EXPECT_EQ(PositionOf("ab\ncd", 4).column, 2u);
  EXPECT_EQ(PositionOf("ab\n", 3).line, 2u);
  EXPECT_EQ(PositionOf("ab\n", 3).column, 1u);
}

}  // namespace
}  // namespace lnsim::harness
