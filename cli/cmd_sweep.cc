// `lnsim sweep SCENARIO --vary rate=LO..HI [--vary volumes=...] --slo EXPR... --out-dir DIR`:
// capacity search (harness/sweep.h). Each probe is a full `lnsim run` of the scenario rewritten for
// that load and setting; the rewritten scenarios and their reports stay in DIR/probes so any point
// can be re-run by hand. Exit codes: 0 the sweep ran (whatever the knees), 2 bad usage,
// 3 infrastructure failure.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/stop_signal.h"
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
    "            [--slo EXPR]... --out-dir DIR [options]\n"
    "  Finds, per setting of volumes/nodes, the highest load (workload operations per second of\n"
    "  world time, the scenario's mix kept) that meets the SLOs (default: the scenario's).\n"
    "  Writes DIR/sweep.csv, DIR/knees.csv, DIR/sweep.html and DIR/probes/ (scenario + report\n"
    "  per probe). See docs/capacity.md";

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "lnsim";
  return std::string(buf, static_cast<size_t>(n));
}

boost::program_options::options_description SweepFlags() {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->value_name("FILE"), "scenario file (positional)")
      ("vary", po::value<std::vector<std::string>>()->value_name("AXIS")->composing(),
       "rate=LO..HI (required), volumes=V1,V2,..., nodes=N1,N2,...")
      ("slo", po::value<std::vector<std::string>>()->value_name("EXPR")->composing(),
       "SLO expression, repeatable (default: the scenario's slo list)")
      ("out-dir", po::value<std::string>()->value_name("DIR"), "output directory (required)")
      ("repeats", po::value<int>()->value_name("N")->default_value(1), "runs per probe (noise)")
      ("tolerance", po::value<double>()->value_name("X")->default_value(0.1, "0.1"),
       "bisect until hi/lo <= 1 + this")
      ("max-probes", po::value<int>()->value_name("N")->default_value(12), "probes per setting at most")
      ("probe-length", po::value<std::string>()->value_name("D")->default_value("5s"),
       "world time each probe runs (the scenario's duration is rewritten)")
      ("drain", po::value<std::string>()->value_name("D")->default_value("10s"),
       "longest drain per probe")
      ("seed", po::value<std::string>()->value_name("N"),
       "root seed of repeat 0, repeat i: +i (default: the scenario's)")
      ("core", po::bool_switch(), "publish to core NATS")
      ("jetstream", po::bool_switch(), "publish to JetStream")
      ("keep", po::bool_switch(), "keep every probe's work dir (logs, NATS store)");
  // clang-format on
  return options;
}

// What the flags ask for, checked.
struct SweepRequest {
  std::string scenario;
  std::string out_dir;
  harness::SweepOptions so;
  Duration probe_length{};
  Duration drain{};
  std::optional<bool> jetstream;
  uint64_t seed = 1;  // of repeat 0; repeat i runs seed + i
  bool keep = false;
};

// --vary: the rate range (required) and the settings axes.
int SweepAxesFromFlags(const boost::program_options::variables_map& vm, harness::SweepOptions* so) {
  bool have_rate = false;
  if (vm.count("vary")) {
    for (const std::string& v : vm["vary"].as<std::vector<std::string>>()) {
      auto axis = harness::ParseSweepAxis(v);
      if (!axis.ok()) return UsageError("sweep", axis.status().message());
      if (axis->name == "rate") {
        so->rate_lo = axis->values[0];
        so->rate_hi = axis->values[1];
        have_rate = true;
      } else {
        so->settings_axes.push_back(*axis);
      }
    }
  }
  if (!have_rate) return UsageError("sweep", "missing --vary rate=LO..HI");
  return kExitOk;
}

// --slo, or the scenario's own SLOs.
int SweepSlosFromFlags(const boost::program_options::variables_map& vm, const std::string& scenario,
                       harness::SweepOptions* so) {
  std::vector<std::string> slo_texts;
  if (vm.count("slo")) slo_texts = vm["slo"].as<std::vector<std::string>>();
  if (slo_texts.empty()) {
    auto loaded = harness::LoadScenarioFile(scenario);
    if (!loaded.ok()) return UsageError("sweep", loaded.status().message());
    if (loaded->slo.IsDefined() && loaded->slo.IsSequence()) {
      for (const auto& n : loaded->slo) slo_texts.push_back(n.as<std::string>());
    }
  }
  if (slo_texts.empty()) {
    return UsageError("sweep", "no SLO: give --slo or an slo list in the scenario");
  }
  auto slos = harness::ParseSlos(slo_texts);
  if (!slos.ok()) return UsageError("sweep", slos.status().message());
  so->slos = *slos;
  return kExitOk;
}

// kExitOk and *req filled, or kExitUsage after printing why not.
int SweepRequestFromFlags(const boost::program_options::variables_map& vm, SweepRequest* req) {
  if (!vm.count("scenario")) return UsageError("sweep", "missing SCENARIO");
  if (!vm.count("out-dir")) return UsageError("sweep", "missing --out-dir DIR");
  req->scenario = vm["scenario"].as<std::string>();
  req->out_dir = vm["out-dir"].as<std::string>();
  harness::SweepOptions& so = req->so;
  if (int rc = SweepAxesFromFlags(vm, &so); rc != kExitOk) return rc;
  if (int rc = SweepSlosFromFlags(vm, req->scenario, &so); rc != kExitOk) return rc;
  so.repeats = vm["repeats"].as<int>();
  so.tolerance = vm["tolerance"].as<double>();
  so.max_probes = vm["max-probes"].as<int>();
  if (so.repeats < 1 || so.tolerance <= 0 || so.max_probes < 1) {
    return UsageError("sweep", "--repeats and --max-probes must be >= 1, --tolerance > 0");
  }
  auto probe_length = ParseDuration(vm["probe-length"].as<std::string>());
  if (!probe_length.ok()) {
    return UsageError("sweep", "--probe-length: " + probe_length.status().message());
  }
  req->probe_length = *probe_length;
  auto drain = ParseDuration(vm["drain"].as<std::string>());
  if (!drain.ok()) return UsageError("sweep", "--drain: " + drain.status().message());
  req->drain = *drain;
  if (vm["core"].as<bool>() && vm["jetstream"].as<bool>()) {
    return UsageError("sweep", "--core and --jetstream exclude each other");
  }
  if (vm["core"].as<bool>()) req->jetstream = false;
  if (vm["jetstream"].as<bool>()) req->jetstream = true;
  std::optional<uint64_t> seed;
  if (int rc = SeedAndTimeScaleFromFlags(vm, "sweep", &seed, nullptr); rc != kExitOk) return rc;
  if (seed) {
    req->seed = *seed;
  } else if (auto loaded = harness::LoadScenarioFile(req->scenario); loaded.ok()) {
    req->seed = loaded->world.seed;
  } else {
    return UsageError("sweep", loaded.status().message());
  }
  req->keep = vm["keep"].as<bool>();
  // Fail early on a scenario that does not load (the shared loader: every rule, file:line) or
  // cannot be rewritten; warn as `lnsim run` would, with the rates the sweep itself sets.
  auto loaded = harness::LoadScenarioFile(req->scenario);
  if (!loaded.ok()) return UsageError("sweep", loaded.status().message());
  loaded->world.workload.attach_rate = so.rate_lo;
  if (harness::RecheckScenario(&*loaded).ok()) {
    harness::PrintScenarioWarnings(*loaded, "lnsim sweep: ", std::cerr);
  }
  if (auto first =
          harness::RewriteScenarioForProbe(req->scenario, {}, so.rate_lo, req->probe_length);
      !first.ok()) {
    return UsageError("sweep", first.status().message());
  }
  return kExitOk;
}

// One probe = one real run of the rewritten scenario, its files under DIR/probes/pNNN.*.
class ProbeRunner {
 public:
  ProbeRunner(const SweepRequest& req, const Clock& real_clock)
      : req_(req), real_clock_(real_clock), self_(SelfPath()) {}

  StatusOr<harness::ProbeRun> Run(const harness::SweepSetting& setting, double rate, int repeat) {
    if (g_stop_requested) return CancelledError("interrupted");
    LNSIM_ASSIGN_OR_RETURN(std::string yaml, harness::RewriteScenarioForProbe(
                                                 req_.scenario, setting, rate, req_.probe_length));
    char name[64];
    std::snprintf(name, sizeof name, "p%03d", ++probe_counter_);
    const std::string base = req_.out_dir + "/probes/" + name;
    LNSIM_RETURN_IF_ERROR(harness::WriteFileAtomically(
        base + ".yaml", "# lnsim sweep probe: " + harness::SettingLabel(setting) + " rate " +
                            harness::FormatLoad(rate) + " ops/s (from " + req_.scenario + ")\n" +
                            yaml));
    const harness::RunOptions ro = ProbeRunOptions(base, repeat);
    std::ofstream log(base + ".log");
    harness::OriginRecordingClock clock(real_clock_);
    harness::RunOutcome outcome = harness::RunScenario(ro, clock, log, &g_stop_requested);
    if (outcome.exit_code == kExitUsage || (outcome.exit_code == kExitInfra)) {
      failure_code_ = outcome.exit_code;
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
    std::error_code ec;
    if (!req_.keep) std::filesystem::remove_all(ro.work_dir, ec);
    return run;
  }

  // The exit code when the sweep fails for a probe's reason: the last failed run's code.
  int failure_code() const { return failure_code_; }

 private:
  harness::RunOptions ProbeRunOptions(const std::string& base, int repeat) const {
    harness::RunOptions ro;
    ro.scenario_path = base + ".yaml";
    ro.seed = req_.seed + static_cast<uint64_t>(repeat);
    ro.drain = req_.drain;
    ro.jetstream = req_.jetstream;
    ro.lnsim_binary = self_;
    ro.work_dir = base + ".work";
    ro.command_line = "lnsim run " + ro.scenario_path + " --seed " + std::to_string(*ro.seed) +
                      " --drain " + FormatDuration(req_.drain) +
                      (req_.jetstream ? (*req_.jetstream ? " --jetstream" : " --core") : "");
    return ro;
  }

  const SweepRequest& req_;
  const Clock& real_clock_;
  const std::string self_;
  int probe_counter_ = 0;
  int failure_code_ = kExitInfra;
};

int Sweep(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options = SweepFlags();
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code, {{"out", "out-dir"}})) {
    return exit_code;
  }
  SweepRequest req;
  if (int rc = SweepRequestFromFlags(vm, &req); rc != kExitOk) return rc;
  const harness::SweepOptions& so = req.so;
  std::error_code ec;
  std::filesystem::create_directories(req.out_dir + "/probes", ec);
  if (ec) {
    std::cerr << "lnsim sweep: cannot create " << req.out_dir << "/probes: " << ec.message()
              << "\n";
    return kExitInfra;
  }
  InstallStopSignals();
  RealClock real_clock;
  ProbeRunner runner(req, real_clock);
  harness::ProbeFn probe = [&runner](const harness::SweepSetting& setting, double rate,
                                     int repeat) { return runner.Run(setting, rate, repeat); };
  std::cerr << "lnsim sweep " << req.scenario << ": rate " << so.rate_lo << ".." << so.rate_hi
            << " ops/s, " << so.repeats << " repeat(s) per probe, probes of "
            << FormatDuration(req.probe_length) << "; output in " << req.out_dir << std::endl;
  auto result = harness::RunSweep(so, probe, std::cerr);
  if (!result.ok()) {
    std::cerr << "lnsim sweep: " << result.status().message() << std::endl;
    return result.status().code() == StatusCode::kInvalidArgument ? kExitUsage
                                                                  : runner.failure_code();
  }
  if (Status s = harness::WriteSweepOutputs(*result, so, req.scenario, req.out_dir); !s.ok()) {
    std::cerr << "lnsim sweep: " << s.message() << std::endl;
    return kExitInfra;
  }
  std::cout << harness::KneesCsv(*result);
  std::cout << "wrote " << req.out_dir << "/sweep.csv, " << req.out_dir << "/knees.csv, "
            << req.out_dir << "/sweep.html" << std::endl;
  return kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(sweep, "sweep",
                          "capacity search: the highest load that meets the SLOs, CSV + HTML",
                          Sweep);

}  // namespace lnsim::cli
