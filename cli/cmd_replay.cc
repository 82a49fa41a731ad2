// `lnsim replay DIR`: re-drives a recorded run (harness/replay.h) and says whether it reproduced.
// Exit codes: 0 the recorded verdict was reproduced (same trace digest, same pass/fail, same
// non-zero counters), 1 it was not, 2 not a bundle, 3 infrastructure failure.
#include <unistd.h>

#include <iostream>

#include "cli/stop_signal.h"
#include "cli/subcommand.h"
#include "common/clock.h"
#include "harness/replay.h"
#include "harness/report.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] = "lnsim replay DIR [options]";

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "lnsim";
  return std::string(buf, static_cast<size_t>(n));
}

int Replay(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("recorded", po::value<std::string>()->value_name("DIR"),
       "the recorded bundle (positional), from lnsim run --bundle")
      ("work-dir", po::value<std::string>()->value_name("DIR")->default_value(""),
       "logs and NATS store of the replay (default: a temp dir, kept when it fails)")
      ("bundle", po::value<std::string>()->value_name("DIR")->default_value(""),
       "write the replay as a bundle too")
      ("nats-server-bin", po::value<std::string>()->value_name("FILE")->default_value(""),
       "nats-server binary (default: PATH, then /usr/sbin/nats-server)");
  // clang-format on
  po::positional_options_description positional;
  positional.add("recorded", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code, {{"record", "bundle"}})) {
    return exit_code;
  }
  if (!vm.count("recorded")) return UsageError("replay", "missing DIR");

  harness::ReplayOptions ro;
  ro.bundle_dir = vm["recorded"].as<std::string>();
  ro.work_dir = vm["work-dir"].as<std::string>();
  ro.record_dir = vm["bundle"].as<std::string>();
  ro.nats_server_bin = vm["nats-server-bin"].as<std::string>();
  ro.lnsim_binary = SelfExe();

  InstallStopSignals();

  RealClock clock;
  harness::ReplayOutcome out = harness::ReplayBundle(ro, clock, std::cerr, &g_stop_requested);
  if (out.exit_code == kExitUsage || out.exit_code == kExitInfra) {
    std::cerr << "lnsim replay: " << out.error << std::endl;
    if (!out.run.work_dir.empty()) std::cerr << "logs: " << out.run.work_dir << std::endl;
    return out.exit_code;
  }
  harness::PrintReportTable(out.run.report, std::cout);
  for (const auto& v : out.run.invariant_violations) std::cout << "invariant " << v << "\n";
  if (!out.run.work_dir.empty()) std::cout << "logs: " << out.run.work_dir << "\n";
  std::cout << "trace digest: " << out.run.report.trace_digest
            << (out.digest_matches ? " (matches the recording: the same world was replayed)"
                                   : " (DIFFERS from the recorded " + out.recorded.trace_digest +
                                         ": the world is not the recorded one)")
            << "\n";
  std::cout << "recorded verdict: " << out.recorded.verdict.ToString() << "\n"
            << "replayed verdict: " << out.replayed.ToString() << "\n"
            << (out.reproduced ? "REPRODUCED" : "NOT REPRODUCED") << "\n";
  return out.exit_code;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(replay, "replay",
                          "re-drive a recorded run (lnsim run --bundle DIR) and compare verdicts",
                          Replay);

}  // namespace lnsim::cli
