// `lnsim run SCENARIO`: the main job (harness/run.h). Parses flags, creates the real clock,
// turns SIGINT/SIGTERM into an orderly stop, prints the report table and writes the JSON and
// JUnit reports. Exit codes: 0 passed, 1 an SLO or check failed, 2 bad usage, 3 infrastructure.
#include <unistd.h>

#include <csignal>
#include <iostream>

#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/duration.h"
#include "harness/report.h"
#include "harness/run.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] = "lnsim run SCENARIO [options]";

volatile bool g_interrupted = false;
extern "C" void OnStopSignal(int) { g_interrupted = true; }

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "lnsim";
  return std::string(buf, static_cast<size_t>(n));
}

std::string ShellQuote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,@%+") == std::string::npos) {
    return s;
  }
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

int Run(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("options");
  options.add_options()
      ("scenario", po::value<std::string>(), "scenario file (positional)")
      ("seed", po::value<uint64_t>(), "root seed (default: the scenario's seed)")
      ("duration", po::value<std::string>(), "scenario length, unscaled (default: the scenario's)")
      ("time-scale", po::value<double>(), "multiply every world duration (default: the scenario's)")
      ("drain", po::value<std::string>(), "longest drain after the run (default: the scenario's, 30s)")
      ("nats", po::value<std::string>(), "live NATS URL(s), comma separated (default: embedded nats-server)")
      ("nats-server-bin", po::value<std::string>()->default_value(""),
       "nats-server binary (default: PATH, then /usr/sbin/nats-server)")
      ("bridge-command", po::value<std::string>()->default_value(""),
       "run this shell command as the bridge instead of lnsim's (see docs/scenarios.md)")
      ("core", po::bool_switch(), "publish to core NATS (overrides nats.jetstream)")
      ("jetstream", po::bool_switch(), "publish to JetStream (overrides nats.jetstream)")
      ("report", po::value<std::string>()->default_value(""), "write the lnsim.report/v1 JSON here")
      ("junit", po::value<std::string>()->default_value(""), "write JUnit XML (one case per SLO) here")
      ("work-dir", po::value<std::string>()->default_value(""),
       "logs and NATS store here (default: a temp dir, kept when the run fails)")
      ("keep", po::bool_switch(), "keep the work dir of a passing run too")
      ("no-progress", po::bool_switch(), "no live progress line (it is shown only on a terminal)");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code)) return exit_code;
  if (!vm.count("scenario")) return UsageError("run", "missing SCENARIO");

  harness::RunOptions ro;
  ro.scenario_path = vm["scenario"].as<std::string>();
  if (vm.count("seed")) ro.seed = vm["seed"].as<uint64_t>();
  for (const char* name : {"duration", "drain"}) {
    if (!vm.count(name)) continue;
    auto d = ParseDuration(vm[name].as<std::string>());
    if (!d.ok()) return UsageError("run", std::string("--") + name + ": " + d.status().message());
    (std::string(name) == "duration" ? ro.duration : ro.drain) = *d;
  }
  if (vm.count("time-scale")) ro.time_scale = vm["time-scale"].as<double>();
  if (vm.count("nats")) ro.nats_urls = vm["nats"].as<std::string>();
  ro.nats_server_bin = vm["nats-server-bin"].as<std::string>();
  ro.bridge_command = vm["bridge-command"].as<std::string>();
  if (vm["core"].as<bool>() && vm["jetstream"].as<bool>()) {
    return UsageError("run", "--core and --jetstream exclude each other");
  }
  if (vm["core"].as<bool>()) ro.jetstream = false;
  if (vm["jetstream"].as<bool>()) ro.jetstream = true;
  ro.report_path = vm["report"].as<std::string>();
  ro.junit_path = vm["junit"].as<std::string>();
  ro.work_dir = vm["work-dir"].as<std::string>();
  ro.keep_work_dir = vm["keep"].as<bool>();
  ro.progress = !vm["no-progress"].as<bool>() && isatty(STDERR_FILENO);
  ro.lnsim_binary = SelfPath();
  if (const char* env = std::getenv("LNSIM_BRIDGE_ENV")) ro.bridge_env.push_back(env);

  // The exact command that reproduces this run: every argument, plus the seed when implicit.
  std::string command = "lnsim run";
  for (const auto& a : args) command += " " + ShellQuote(a);

  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RealClock clock;
  // The seed is known only once the scenario is read; RunScenario fills report.seed.
  ro.command_line = command;
  harness::RunOutcome outcome = harness::RunScenario(ro, clock, std::cerr, &g_interrupted);
  if (outcome.exit_code == kExitUsage) {
    std::cerr << "lnsim run: " << outcome.error << std::endl;
    return kExitUsage;
  }
  if (outcome.exit_code == kExitInfra && outcome.report.scenario.empty()) {
    std::cerr << "lnsim run: infrastructure failure: " << outcome.error << std::endl;
    if (!outcome.work_dir.empty()) std::cerr << "logs: " << outcome.work_dir << std::endl;
    return kExitInfra;
  }
  harness::Report& report = outcome.report;
  report.environment.lnsim_version = VersionString();
#ifdef LNSIM_GIT_COMMIT
  report.environment.git_commit = LNSIM_GIT_COMMIT;
#endif
  if (!vm.count("seed")) report.command = command + " --seed " + std::to_string(report.seed);
  harness::PrintReportTable(report, std::cout);
  if (!outcome.work_dir.empty()) std::cout << "logs: " << outcome.work_dir << std::endl;
  if (!ro.report_path.empty()) {
    if (Status s = harness::WriteFileAtomically(ro.report_path, harness::ReportToJson(report));
        !s.ok()) {
      std::cerr << "lnsim run: " << s.message() << std::endl;
      return kExitInfra;
    }
  }
  if (!ro.junit_path.empty()) {
    if (Status s = harness::WriteFileAtomically(ro.junit_path, harness::ReportToJunit(report));
        !s.ok()) {
      std::cerr << "lnsim run: " << s.message() << std::endl;
      return kExitInfra;
    }
  }
  if (outcome.exit_code == kExitInfra) {
    std::cerr << "lnsim run: " << outcome.error << std::endl;
  }
  return outcome.exit_code;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(run, "run",
                          "run a scenario end to end (world, mock, bridge, NATS, verifier)", Run);

}  // namespace lnsim::cli
