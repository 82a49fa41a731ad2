// `lnsim sweep SCENARIO --vary rate=LO..HI [--vary volumes=...] --slo EXPR... --out DIR`: capacity
// search (harness/sweep.h). Each probe is a full `lnsim run` of the scenario rewritten for that
// load and setting; the rewritten scenarios and their reports stay in DIR/probes so any point
// can be re-run by hand. Exit codes: 0 the sweep ran (whatever the knees), 2 bad usage,
// 3 infrastructure failure.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/duration.h"
#include "harness/html_report.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "harness/sweep.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] =
    "lnsim sweep SCENARIO --vary rate=LO..HI [--vary volumes=V1,V2] [--vary nodes=N1,N2]\n"
    "            [--slo EXPR]... --out DIR [options]\n"
    "  Finds, per setting of volumes/nodes, the highest load (workload operations per second of\n"
    "  world time, the scenario's mix kept) that meets the SLOs (default: the scenario's).\n"
    "  Writes DIR/sweep.csv, DIR/knees.csv, DIR/sweep.html and DIR/probes/ (scenario + report\n"
    "  per probe). See docs/capacity.md";

volatile bool g_interrupted = false;
extern "C" void OnSweepSignal(int) { g_interrupted = true; }

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "lnsim";
  return std::string(buf, static_cast<size_t>(n));
}

int Sweep(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("options");
  options.add_options()
      ("scenario", po::value<std::string>(), "scenario file (positional)")
      ("vary", po::value<std::vector<std::string>>()->composing(),
       "rate=LO..HI (required), volumes=V1,V2,..., nodes=N1,N2,...")
      ("slo", po::value<std::vector<std::string>>()->composing(),
       "SLO expression, repeatable (default: the scenario's slo list)")
      ("out", po::value<std::string>(), "output directory")
      ("repeats", po::value<int>()->default_value(1), "runs per probe (noise)")
      ("tolerance", po::value<double>()->default_value(0.1, "0.1"), "bisect until hi/lo <= 1 + this")
      ("max-probes", po::value<int>()->default_value(12), "probes per setting at most")
      ("probe-length", po::value<std::string>()->default_value("5s"),
       "world time each probe runs (the scenario's duration is rewritten)")
      ("drain", po::value<std::string>()->default_value("10s"), "longest drain per probe")
      ("seed", po::value<uint64_t>(), "root seed of repeat 0 (default: the scenario's); repeat i: +i")
      ("core", po::bool_switch(), "publish to core NATS")
      ("jetstream", po::bool_switch(), "publish to JetStream")
      ("keep", po::bool_switch(), "keep every probe's work dir (logs, NATS store)");
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code)) return exit_code;
  if (!vm.count("scenario")) return UsageError("sweep", "missing SCENARIO");
  if (!vm.count("out")) return UsageError("sweep", "missing --out DIR");
  const std::string scenario = vm["scenario"].as<std::string>();
  const std::string out_dir = vm["out"].as<std::string>();

  harness::SweepOptions so;
  bool have_rate = false;
  if (vm.count("vary")) {
    for (const std::string& v : vm["vary"].as<std::vector<std::string>>()) {
      auto axis = harness::ParseSweepAxis(v);
      if (!axis.ok()) return UsageError("sweep", axis.status().message());
      if (axis->name == "rate") {
        so.rate_lo = axis->values[0];
        so.rate_hi = axis->values[1];
        have_rate = true;
      } else {
        so.settings_axes.push_back(*axis);
      }
    }
  }
  if (!have_rate) return UsageError("sweep", "missing --vary rate=LO..HI");
  std::vector<std::string> slo_texts;
  if (vm.count("slo")) slo_texts = vm["slo"].as<std::vector<std::string>>();
  if (slo_texts.empty()) {
    // The scenario's own SLOs.
    auto loaded = harness::LoadScenarioFile(scenario);
    if (!loaded.ok()) return UsageError("sweep", loaded.status().message());
    if (loaded->slo.IsDefined() && loaded->slo.IsSequence()) {
      for (const auto& n : loaded->slo) slo_texts.push_back(n.as<std::string>());
    }
  }
  if (slo_texts.empty()) return UsageError("sweep", "no SLO: give --slo or an slo list in the scenario");
  auto slos = harness::ParseSlos(slo_texts);
  if (!slos.ok()) return UsageError("sweep", slos.status().message());
  so.slos = *slos;
  so.repeats = vm["repeats"].as<int>();
  so.tolerance = vm["tolerance"].as<double>();
  so.max_probes = vm["max-probes"].as<int>();
  if (so.repeats < 1 || so.tolerance <= 0 || so.max_probes < 1) {
    return UsageError("sweep", "--repeats and --max-probes must be >= 1, --tolerance > 0");
  }
  auto probe_length = ParseDuration(vm["probe-length"].as<std::string>());
  if (!probe_length.ok()) return UsageError("sweep", "--probe-length: " + probe_length.status().message());
  auto drain = ParseDuration(vm["drain"].as<std::string>());
  if (!drain.ok()) return UsageError("sweep", "--drain: " + drain.status().message());
  if (vm["core"].as<bool>() && vm["jetstream"].as<bool>()) {
    return UsageError("sweep", "--core and --jetstream exclude each other");
  }
  std::optional<bool> jetstream;
  if (vm["core"].as<bool>()) jetstream = false;
  if (vm["jetstream"].as<bool>()) jetstream = true;
  uint64_t seed = 1;
  if (vm.count("seed")) {
    seed = vm["seed"].as<uint64_t>();
  } else if (auto loaded = harness::LoadScenarioFile(scenario); loaded.ok()) {
    seed = loaded->world.seed;
  } else {
    return UsageError("sweep", loaded.status().message());
  }
  const bool keep = vm["keep"].as<bool>();
  // Fail early on a scenario that cannot be rewritten.
  if (auto first = harness::RewriteScenarioForProbe(scenario, {}, so.rate_lo, *probe_length);
      !first.ok()) {
    return UsageError("sweep", first.status().message());
  }

  std::error_code ec;
  std::filesystem::create_directories(out_dir + "/probes", ec);
  if (ec) {
    std::cerr << "lnsim sweep: cannot create " << out_dir << "/probes: " << ec.message() << "\n";
    return kExitInfra;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSweepSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  RealClock real_clock;
  int probe_counter = 0;
  int failure_code = kExitInfra;
  const std::string self = SelfPath();
  harness::ProbeFn probe = [&](const harness::SweepSetting& setting, double rate,
                               int repeat) -> StatusOr<harness::ProbeRun> {
    if (g_interrupted) return CancelledError("interrupted");
    LNSIM_ASSIGN_OR_RETURN(std::string yaml, harness::RewriteScenarioForProbe(
                                                 scenario, setting, rate, *probe_length));
    char name[64];
    std::snprintf(name, sizeof name, "p%03d", ++probe_counter);
    const std::string base = out_dir + "/probes/" + name;
    LNSIM_RETURN_IF_ERROR(harness::WriteFileAtomically(
        base + ".yaml", "# lnsim sweep probe: " + harness::SettingLabel(setting) + " rate " +
                            harness::FormatLoad(rate) + " ops/s (from " + scenario + ")\n" + yaml));
    harness::RunOptions ro;
    ro.scenario_path = base + ".yaml";
    ro.seed = seed + static_cast<uint64_t>(repeat);
    ro.drain = *drain;
    ro.jetstream = jetstream;
    ro.lnsim_binary = self;
    ro.work_dir = base + ".work";
    ro.command_line = "lnsim run " + ro.scenario_path + " --seed " + std::to_string(*ro.seed) +
                      " --drain " + FormatDuration(*drain) +
                      (jetstream ? (*jetstream ? " --jetstream" : " --core") : "");
    std::ofstream log(base + ".log");
    harness::OriginRecordingClock clock(real_clock);
    harness::RunOutcome outcome = harness::RunScenario(ro, clock, log, &g_interrupted);
    if (outcome.exit_code == kExitUsage || (outcome.exit_code == kExitInfra)) {
      failure_code = outcome.exit_code;
      return UnavailableError(outcome.error + " (log: " + base + ".log, work dir " + ro.work_dir +
                              ")");
    }
    harness::ProbeRun run;
    run.report = std::move(outcome.report);
    run.report.command = ro.command_line;
    run.report.environment.lnsim_version = VersionString();
    auto timing = harness::ReadTimingSamples(ro.work_dir + "/timing.jsonl", clock.origin_unix_ns());
    if (timing.ok()) run.timing = std::move(timing).value();
    LNSIM_RETURN_IF_ERROR(
        harness::WriteFileAtomically(base + ".json", harness::ReportToJson(run.report)));
    if (!keep) std::filesystem::remove_all(ro.work_dir, ec);
    return run;
  };
  std::cerr << "lnsim sweep " << scenario << ": rate " << so.rate_lo << ".." << so.rate_hi
            << " ops/s, " << so.repeats << " repeat(s) per probe, probes of "
            << FormatDuration(*probe_length) << "; output in " << out_dir << std::endl;
  auto result = harness::RunSweep(so, probe, std::cerr);
  if (!result.ok()) {
    std::cerr << "lnsim sweep: " << result.status().message() << std::endl;
    return result.status().code() == StatusCode::kInvalidArgument ? kExitUsage : failure_code;
  }
  if (Status s = harness::WriteSweepOutputs(*result, so, scenario, out_dir); !s.ok()) {
    std::cerr << "lnsim sweep: " << s.message() << std::endl;
    return kExitInfra;
  }
  std::cout << harness::KneesCsv(*result);
  std::cout << "wrote " << out_dir << "/sweep.csv, " << out_dir << "/knees.csv, " << out_dir
            << "/sweep.html" << std::endl;
  return kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(sweep, "sweep",
                          "capacity search: the highest load that meets the SLOs, CSV + HTML",
                          Sweep);

}  // namespace lnsim::cli
