// `lnsim run SCENARIO`: the main job (harness/run.h). Parses flags, creates the real clock,
// turns SIGINT/SIGTERM into an orderly stop, prints the report table and writes the JSON and
// JUnit reports. Exit codes: 0 passed, 1 an SLO or check failed, 2 bad usage, 3 infrastructure or
// interrupted (harness/exit_codes.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/stop_signal.h"
#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/duration.h"
#include "common/url.h"
#include "harness/html_report.h"
#include "harness/junit.h"
#include "harness/report.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "harness/shrink.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] = "lnsim run SCENARIO [options]";

std::string SelfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "lnsim";
  return std::string(buf, static_cast<size_t>(n));
}

// Shrinks the failing schedule of `ro` with seed `seed` (each candidate is a real run) and
// writes the minimal scenario into `dir` (the failing run's kept work dir).
void ShrinkAndReport(harness::RunOptions ro, uint64_t seed, const std::string& dir,
                     const Clock& clock) {
  std::string text = ro.scenario_text;
  if (text.empty()) {
    std::ifstream in(ro.scenario_path);
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  ro.seed = seed;
  ro.record_dir.clear();
  ro.record_on_failure = false;
  ro.progress = false;
  ro.report_path.clear();
  ro.junit_path.clear();
  ro.work_dir.clear();
  std::cout << "shrinking the fault schedule (seed " << seed << ")..." << std::endl;
  bool interrupted = false;
  auto still_fails = [&](const harness::Scenario& parsed, const std::string& candidate) {
    if (interrupted) return false;  // the rest are not run: nothing more is learned
    harness::RunOptions o = ro;
    o.scenario_text = candidate;
    std::ostringstream quiet;
    const harness::RunOutcome out = harness::RunScenario(o, clock, quiet, &g_stop_requested);
    interrupted = out.interrupted;
    // Only a verdict failure counts as "still fails"; a candidate that could not run (INFRA) or
    // was interrupted is kept out of the minimal schedule's evidence and said so.
    std::cout << "  candidate with " << parsed.world.faults.size() << " faults: "
              << (out.interrupted                ? "interrupted"
                  : out.exit_code == kExitFailed ? "still fails"
                  : out.exit_code == kExitOk     ? "passes"
                                                 : "could not run (" + out.error + ")")
              << std::endl;
    if (!out.work_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(out.work_dir, ec);  // a candidate's logs are not kept
    }
    return out.exit_code == kExitFailed;
  };
  auto result = harness::ShrinkFaultSchedule(text, ro.scenario_path, still_fails);
  if (interrupted) {
    std::cout << "shrink interrupted: no minimal schedule\n";
    return;
  }
  if (!result.ok()) {
    std::cout << "cannot shrink: " << result.status().message() << "\n";
    return;
  }
  const std::string path = (dir.empty() ? std::string(".") : dir) + "/minimal.yaml";
  // The flags that shaped the failing run shape the reproduction too.
  std::string overrides;
  if (ro.jetstream) overrides += *ro.jetstream ? " --jetstream" : " --core";
  if (ro.time_scale) overrides += " --time-scale " + FormatNumber(*ro.time_scale);
  if (ro.duration) overrides += " --duration " + FormatDuration(*ro.duration);
  if (ro.drain) overrides += " --drain " + FormatDuration(*ro.drain);
  if (!ro.bridge_command.empty()) overrides += " --bridge-command " + ShellQuote(ro.bridge_command);
  if (!ro.bridge_binary.empty()) overrides += " --bridge-binary " + ShellQuote(ro.bridge_binary);
  for (const auto& slo : ro.slo_expressions) overrides += " --slo " + ShellQuote(slo);
  for (const auto& a : ro.bridge_args) overrides += " --bridge-arg=" + ShellQuote(a);
  std::ofstream(path) << result->text;
  std::cout << "minimal schedule: " << path << " (" << result->kept.size() << " of "
            << result->original_faults << " faults, " << result->runs << " runs)\n"
            << "reproduce: lnsim run " << ShellQuote(path) << " --seed " << seed << overrides
            << "\n";
}

// `--seeds A..B`: one run per seed, a line each; lists the failing seeds (exit 1 if any).
int RunSeeds(harness::RunOptions ro, const std::string& command, uint64_t first, uint64_t last,
             bool shrink, const Clock& clock) {
  std::vector<uint64_t> failing;
  std::vector<std::string> replays;
  std::string first_failing_dir;
  bool verdict_failed = false;  // a seed failed its verdict (not only infrastructure)
  const std::string base_work_dir = ro.work_dir;
  harness::PrintScenarioWarnings(ro.scenario_path, "lnsim run: ", std::cerr);  // once, not per seed
  for (uint64_t seed = first; seed <= last && !g_stop_requested; ++seed) {
    ro.seed = seed;
    // One work dir per seed when one was given, so bundles do not overwrite each other.
    if (!base_work_dir.empty()) ro.work_dir = base_work_dir + "/seed-" + std::to_string(seed);
    ro.command_line = command + " --seed " + std::to_string(seed);
    std::ostringstream log;
    harness::RunOutcome out = harness::RunScenario(ro, clock, log, &g_stop_requested);
    if (out.exit_code == kExitUsage) {
      std::cerr << "lnsim run: " << out.error << std::endl;
      return kExitUsage;
    }
    if (out.interrupted) {
      std::cout << "seed " << seed << ": INTERRUPTED by " << StopSignalName() << " (" << out.error
                << ")" << std::endl;
      break;
    }
    const harness::VerdictCounters& c = out.report.totals;
    std::cout << "seed " << seed << ": "
              << (out.exit_code == 0   ? "passed"
                  : out.exit_code == 1 ? "FAILED"
                                       : "INFRA")
              << "  delivered " << c.delivered << " lost " << c.lost << " duplicated "
              << c.duplicated << " reordered " << c.reordered << " phantom " << c.phantom
              << "  digest " << out.report.trace_digest;
    if (out.exit_code == kExitInfra) std::cout << "  (" << out.error << ")";
    std::cout << std::endl;
    if (out.exit_code != 0) {
      failing.push_back(seed);
      verdict_failed |= out.exit_code == kExitFailed;
      if (!out.bundle_dir.empty()) replays.push_back("lnsim replay " + out.bundle_dir);
      if (out.exit_code == 1 && first_failing_dir.empty()) {
        first_failing_dir = out.work_dir.empty() ? "." : out.work_dir;
        if (shrink) ShrinkAndReport(ro, seed, first_failing_dir, clock);
      }
    }
    if (seed == UINT64_MAX) break;
  }
  if (g_stop_requested) std::cout << "lnsim INTERRUPTED by " << StopSignalName() << ": ";
  std::cout << "seeds " << first << ".." << last << ": " << failing.size() << " failing";
  if (g_stop_requested) std::cout << " among the seeds that finished";
  for (size_t i = 0; i < failing.size(); ++i) std::cout << (i ? ", " : ": ") << failing[i];
  std::cout << "\n";
  for (const auto& r : replays) std::cout << "replay: " << r << "\n";
  if (g_stop_requested) return kExitInterrupted;
  // 1 when a verdict failed; 3 when every failing seed failed on infrastructure.
  if (failing.empty()) return kExitOk;
  return verdict_failed ? kExitFailed : kExitInfra;
}

// The flags of `lnsim run` (docs/scenarios.md has what each one overrides).
boost::program_options::options_description RunFlags() {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->value_name("FILE"), "scenario file (positional)")
      ("seed", po::value<std::string>()->value_name("N"), "root seed (default: the scenario's seed)")
      ("duration", po::value<std::string>()->value_name("D"),
       "scenario length, unscaled (default: the scenario's)")
      ("time-scale", po::value<std::string>()->value_name("X"),
       "multiply every world duration, 0.1 = ten times faster (default: the scenario's)")
      ("drain", po::value<std::string>()->value_name("D"),
       "longest drain after the run (default: the scenario's, else 30s)")
      ("nats", po::value<std::string>()->value_name("URL[,URL...]"),
       "live NATS URL(s), comma separated (default: an embedded nats-server)")
      ("tls-ca", po::value<std::string>()->value_name("FILE"),
       "with --nats: CA (PEM) that signed the server's certificate")
      ("tls-cert", po::value<std::string>()->value_name("FILE"),
       "with --nats: client certificate (PEM) for mutual TLS")
      ("tls-key", po::value<std::string>()->value_name("FILE"), "with --nats: private key (PEM) of --tls-cert")
      ("nats-server-bin", po::value<std::string>()->value_name("FILE")->default_value(""),
       "nats-server binary (default: PATH, then /usr/sbin/nats-server)")
      ("bridge-command", po::value<std::string>()->value_name("CMD")->default_value(""),
       "run this shell command as the bridge instead of lnsim's; it creates the file "
       "$LNSIM_READY_FILE once ready (docs/scenarios.md \"Readiness\")")
      ("bridge-binary", po::value<std::string>()->value_name("FILE")->default_value(""),
       "start lnsim's bridge from this binary (`BINARY bridge ...`), e.g. the test-only "
       "lnsim-test-bridge (default: this lnsim)")
      ("bridge-arg", po::value<std::vector<std::string>>()->value_name("ARG")->composing(),
       "append ARG to lnsim's own bridge's command line (repeatable; --bridge-arg=--flag)")
      ("slo", po::value<std::vector<std::string>>()->value_name("EXPR")->composing(),
       "SLO expression judged besides the scenario's slo list, repeatable ('p99_end_to_end < 5s')")
      ("core", po::bool_switch(), "publish to core NATS (overrides nats.jetstream)")
      ("jetstream", po::bool_switch(), "publish to JetStream (overrides nats.jetstream)")
      ("report", po::value<std::string>()->value_name("FILE")->default_value(""),
       "write the lnsim.report/v1 JSON here")
      ("junit", po::value<std::string>()->value_name("FILE")->default_value(""),
       "write JUnit XML (one case per check) here")
      ("html", po::value<std::string>()->value_name("FILE")->default_value(""),
       "write a self-contained HTML page here (latency over time, percentile spectrum)")
      ("work-dir", po::value<std::string>()->value_name("DIR")->default_value(""),
       "logs and NATS store here (default: a temp dir, kept when the run fails)")
      ("keep", po::bool_switch(), "keep the work dir of a passing run too")
      ("keep-stream", po::bool_switch(),
       "with --nats: keep the stream, KV bucket and durables this run created on the live "
       "server and print their names (default: deleted at the end; docs/deploy.md)")
      ("no-progress", po::bool_switch(),
       "no progress on stderr (world, drain, verdict: a live line on a terminal, plain lines "
       "every 10s and at each phase's end otherwise)")
      ("bundle", po::value<std::string>()->value_name("DIR")->default_value(""),
       "write a reproduction bundle here (scenario, seed, trace, report, bridge log, events); "
       "a failed run writes one into its kept work dir anyway")
      ("seeds", po::value<std::string>()->value_name("A..B"),
       "run every seed of A..B and list the failing ones")
      ("shrink", po::bool_switch(),
       "when a run fails, shrink its fault schedule to a minimal one that still fails");
  // clang-format on
  return options;
}

// The run's options from the parsed flags; kExitOk, or kExitUsage after printing why not.
int RunOptionsFromFlags(const boost::program_options::variables_map& vm, harness::RunOptions* ro) {
  ro->scenario_path = vm["scenario"].as<std::string>();
  if (int rc = SeedAndTimeScaleFromFlags(vm, "run", &ro->seed, &ro->time_scale); rc != kExitOk) {
    return rc;
  }
  for (const char* name : {"duration", "drain"}) {
    if (!vm.count(name)) continue;
    auto d = ParseDuration(vm[name].as<std::string>());
    if (!d.ok()) return UsageError("run", std::string("--") + name + ": " + d.status().message());
    (std::string(name) == "duration" ? ro->duration : ro->drain) = *d;
  }
  if (vm.count("nats")) {
    ro->nats_urls = vm["nats"].as<std::string>();
    if (Status st = CheckNatsUrls(ro->nats_urls); !st.ok()) {
      return UsageError("run", "--nats '" + ro->nats_urls + "': " + st.message());
    }
  }
  ro->nats_server_bin = vm["nats-server-bin"].as<std::string>();
  if (vm.count("tls-ca")) ro->nats_tls.ca = vm["tls-ca"].as<std::string>();
  if (vm.count("tls-cert")) ro->nats_tls.cert = vm["tls-cert"].as<std::string>();
  if (vm.count("tls-key")) ro->nats_tls.key = vm["tls-key"].as<std::string>();
  if (ro->nats_tls.any()) {
    if (ro->nats_urls.empty()) {
      return UsageError("run",
                        "--tls-ca/--tls-cert/--tls-key are for a live server (--nats); "
                        "`nats.tls: true` in the scenario gives the embedded server TLS");
    }
    if (Status st = ro->nats_tls.Validate("--tls"); !st.ok())
      return UsageError("run", st.message());
  }
  ro->bridge_command = vm["bridge-command"].as<std::string>();
  if (vm["core"].as<bool>() && vm["jetstream"].as<bool>()) {
    return UsageError("run", "--core and --jetstream exclude each other");
  }
  if (vm["core"].as<bool>()) ro->jetstream = false;
  if (vm["jetstream"].as<bool>()) ro->jetstream = true;
  ro->report_path = vm["report"].as<std::string>();
  ro->junit_path = vm["junit"].as<std::string>();
  // Output paths are checked before anything starts: a typo costs nothing, not a whole run.
  for (const auto& [flag, path] : {std::pair<const char*, std::string>{"--report", ro->report_path},
                                   {"--junit", ro->junit_path},
                                   {"--html", vm["html"].as<std::string>()}}) {
    if (path.empty()) continue;
    if (Status st = harness::CheckWritableOutput(flag, path); !st.ok()) {
      return UsageError("run", st.message());
    }
  }
  ro->work_dir = vm["work-dir"].as<std::string>();
  ro->keep_work_dir = vm["keep"].as<bool>();
  ro->keep_stream = vm["keep-stream"].as<bool>();
  ro->progress = !vm["no-progress"].as<bool>();
  ro->progress_live = isatty(STDERR_FILENO);
  ro->lnsim_binary = SelfPath();
  ro->bridge_binary = vm["bridge-binary"].as<std::string>();
  if (vm.count("slo")) ro->slo_expressions = vm["slo"].as<std::vector<std::string>>();
  if (vm.count("bridge-arg")) ro->bridge_args = vm["bridge-arg"].as<std::vector<std::string>>();

  ro->record_dir = vm["bundle"].as<std::string>();
  return kExitOk;
}

// `--seeds A..B`: checks the flags that cannot go with it, then runs every seed.
int RunSeedRange(const boost::program_options::variables_map& vm, const harness::RunOptions& ro,
                 const std::string& command, bool shrink, const Clock& clock) {
  const std::string spec = vm["seeds"].as<std::string>();
  const size_t dots = spec.find("..");
  if (dots == std::string::npos) {
    return UsageError("run", "--seeds: expected A..B (e.g. 1..20), got '" + spec + "'");
  }
  auto first = ParseWholeNumber("seeds", spec.substr(0, dots));
  auto last = ParseWholeNumber("seeds", spec.substr(dots + 2));
  for (const auto* bound : {&first, &last}) {
    if (!bound->ok()) {
      return UsageError("run", bound->status().message() + " in --seeds " + spec);
    }
  }
  if (*last < *first) return UsageError("run", "--seeds: B must be >= A");
  if (vm.count("seed")) return UsageError("run", "--seed and --seeds exclude each other");
  if (!ro.record_dir.empty()) return UsageError("run", "--bundle takes one run; not with --seeds");
  if (!vm["html"].as<std::string>().empty())
    return UsageError("run", "--html takes one run; not with --seeds");
  return RunSeeds(ro, command, *first, *last, shrink, clock);
}

// Writes the JSON, JUnit and HTML reports asked for; kExitInfra when one cannot be written.
int WriteReports(const harness::Report& report, const harness::RunOptions& ro,
                 const std::string& html_path, std::vector<harness::TimingSample> timing) {
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
  if (!html_path.empty()) {
    const std::string page = harness::RenderHtmlPage(harness::RunPage(report, std::move(timing)));
    if (Status s = harness::WriteFileAtomically(html_path, page); !s.ok()) {
      std::cerr << "lnsim run: " << s.message() << std::endl;
      return kExitInfra;
    }
  }
  return kExitOk;
}

// An interrupted run: "lnsim INTERRUPTED" first, what was seen so far labelled partial (never as
// findings), the files asked for (they say interrupted too), exit kExitInterrupted.
int ReportInterrupted(harness::RunOutcome& outcome, const harness::RunOptions& ro,
                      const std::string& html_path) {
  harness::Report& report = outcome.report;
  std::cout << "lnsim INTERRUPTED by " << StopSignalName() << "  scenario " << ro.scenario_path;
  if (!report.scenario.empty()) std::cout << "  seed " << report.seed;
  std::cout << "\n  " << outcome.error << "\n";
  if (!report.scenario.empty()) {
    report.environment.lnsim_version = VersionString();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", report.duration_s);
    std::cout << "  seen so far (partial, not judged): delivered " << report.totals.delivered
              << " in " << seconds << " s of world time\n";
    if (!report.command.empty()) std::cout << "\nreproduce: " << report.command << "\n";
  }
  if (!outcome.work_dir.empty()) std::cout << "logs: " << outcome.work_dir << std::endl;
  if (!report.scenario.empty()) {
    if (int rc = WriteReports(report, ro, html_path, {}); rc != kExitOk) return rc;
  }
  return kExitInterrupted;
}

// One run with the flags' options: the report table, the files, and the shrink on failure.
int RunOnce(const boost::program_options::variables_map& vm, harness::RunOptions ro,
            const std::string& command, bool shrink, const Clock& clock) {
  // The seed is known only once the scenario is read; RunScenario fills report.seed.
  ro.command_line = command;
  // --html plots the bridge's timing side channel, which lives in the work dir: keep it until
  // read, and put the samples on the world's time axis (harness/html_report.h).
  const std::string html_path = vm["html"].as<std::string>();
  const bool drop_work_dir_after_html =
      !html_path.empty() && ro.work_dir.empty() && !ro.keep_work_dir;
  if (!html_path.empty()) ro.keep_work_dir = true;
  harness::OriginRecordingClock origin_clock(clock);
  harness::RunOutcome outcome =
      harness::RunScenario(ro, origin_clock, std::cerr, &g_stop_requested);
  std::vector<harness::TimingSample> timing;
  if (!html_path.empty() && !outcome.work_dir.empty()) {
    auto samples = harness::ReadTimingSamples(outcome.work_dir + "/timing.jsonl",
                                              origin_clock.origin_unix_ns());
    if (samples.ok()) timing = std::move(samples).value();
    if (drop_work_dir_after_html && outcome.exit_code == kExitOk) {
      std::error_code ec;
      std::filesystem::remove_all(outcome.work_dir, ec);
      outcome.work_dir.clear();
    }
  }
  if (outcome.exit_code == kExitUsage) {
    std::cerr << "lnsim run: " << outcome.error << std::endl;
    return kExitUsage;
  }
  if (outcome.interrupted) {
    harness::Report& partial = outcome.report;
    if (!vm.count("seed") && !partial.scenario.empty()) {
      partial.command = command + " --seed " + std::to_string(partial.seed);
    }
    return ReportInterrupted(outcome, ro, html_path);
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
  if (int rc = WriteReports(report, ro, html_path, std::move(timing)); rc != kExitOk) return rc;
  for (const auto& v : outcome.invariant_violations) std::cout << "invariant " << v << "\n";
  if (!outcome.bundle_dir.empty()) {
    std::cout << "bundle: " << outcome.bundle_dir << "\n";
    if (outcome.exit_code == 1) std::cout << "replay: lnsim replay " << outcome.bundle_dir << "\n";
  }
  if (outcome.exit_code == kExitInfra) {
    std::cerr << "lnsim run: " << outcome.error << std::endl;
  }
  if (outcome.exit_code == 1 && shrink) {
    ShrinkAndReport(ro, report.seed, outcome.work_dir, clock);
  }
  return outcome.exit_code;
}

int Run(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options = RunFlags();
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code, {{"record", "bundle"}})) {
    return exit_code;
  }
  if (!vm.count("scenario")) return UsageError("run", "missing SCENARIO");
  harness::RunOptions ro;
  if (int rc = RunOptionsFromFlags(vm, &ro); rc != kExitOk) return rc;
  // The exact command that reproduces this run: every argument, plus the seed when implicit.
  // Deprecated spellings are reproduced with their new names.
  std::string command = "lnsim run";
  for (const auto& a : args) {
    const bool old_bundle = a == "--record" || a.rfind("--record=", 0) == 0;
    command += " " + ShellQuote(old_bundle ? "--bundle" + a.substr(8) : a);
  }
  InstallStopSignals();
  const bool shrink = vm["shrink"].as<bool>();
  RealClock clock;
  if (vm.count("seeds")) return RunSeedRange(vm, ro, command, shrink, clock);
  return RunOnce(vm, std::move(ro), command, shrink, clock);
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(run, "run",
                          "run a scenario end to end (world, mock, bridge, NATS, verifier)", Run);

}  // namespace lnsim::cli
