// `lnsim sim SCENARIO`: runs the world alone in virtual time, as fast as the CPU allows, and
// prints what happened (cluster, transitions by kind, faults, speed) and the trace digest that
// `lnsim run` must reproduce for the same seed and scenario.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/duration.h"
#include "harness/scenario_loader.h"
#include "sim/world.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] =
    "lnsim sim SCENARIO [--seed N] [--duration D] [--time-scale X] [--trace FILE]";

// The scenario's world with --seed, --time-scale and --duration on top, checked again with them
// (and its warnings printed as they apply to this run); kExitOk, else kExitUsage (printed).
int SpecFromFlags(const boost::program_options::variables_map& vm, const std::string& path,
                  sim::WorldSpec* spec) {
  auto scenario = harness::LoadScenarioFile(path);
  if (!scenario.ok()) {
    std::cerr << "lnsim sim: " << scenario.status().message() << std::endl;
    return kExitUsage;
  }
  sim::WorldSpec& world = scenario->world;
  std::optional<uint64_t> seed;
  std::optional<double> time_scale;
  if (int rc = SeedAndTimeScaleFromFlags(vm, "sim", &seed, &time_scale); rc != kExitOk) {
    return rc;
  }
  world.seed = seed.value_or(world.seed);
  world.time_scale = time_scale.value_or(world.time_scale);
  if (vm.count("duration")) {
    auto d = ParseDuration(vm["duration"].as<std::string>());
    if (!d.ok() || d->count() <= 0) {
      return UsageError("sim", "--duration: bad duration '" + vm["duration"].as<std::string>() +
                                   "' (write e.g. 90s, 5m)");
    }
    world.duration = *d;
  }
  if (Status st = harness::RecheckScenario(&*scenario); !st.ok()) {
    std::cerr << "lnsim sim: " << st.message() << std::endl;
    return kExitUsage;
  }
  harness::PrintScenarioWarnings(*scenario, "lnsim sim: ", std::cerr);
  *spec = std::move(world);
  return kExitOk;
}

void PrintCluster(const std::string& path, const sim::WorldSpec& spec, const sim::World& world) {
  const sim::Cluster& c = world.cluster();
  size_t nodes = 0, pools = 0, rds = 0, volumes = 0, replicas = 0, diskful = 0, in_use = 0;
  for (const auto& n : c.nodes) nodes += n.alive;
  for (const auto& p : c.pools) pools += !p.diskless() && c.nodes[p.node].alive;
  for (const auto& rd : c.rds) {
    if (!rd.alive) continue;
    ++rds;
    volumes += rd.volumes.size();
  }
  for (const auto& r : c.replicas) {
    if (!r.alive) continue;
    ++replicas;
    diskful += r.kind == sim::ReplicaKind::kDiskful;
    in_use += r.in_use;
  }
  std::cout << "scenario: " << path << "\n"
            << "seed: " << spec.seed << "\n"
            << "world time: " << FormatDuration(world.RunLength()) << " (duration "
            << FormatDuration(spec.duration) << " x time_scale " << spec.time_scale << ")\n"
            << "cluster: " << nodes << " nodes, " << pools << " storage pools, " << rds
            << " resource definitions, " << volumes << " volumes, " << replicas << " replicas ("
            << diskful << " diskful), " << in_use << " in use\n";
}

void PrintTransitions(const std::vector<sim::Transition>& transitions) {
  std::map<std::pair<int, int>, uint64_t> by_kind;
  for (const auto& t : transitions) {
    ++by_kind[{static_cast<int>(t.entity.kind), static_cast<int>(t.attr)}];
  }
  std::cout << "transitions: " << transitions.size() << "\n";
  for (const auto& [key, count] : by_kind) {
    char line[160];
    std::snprintf(line, sizeof(line), "  %-20s %-18s %llu\n",
                  std::string(sim::Name(static_cast<sim::EntityKind>(key.first))).c_str(),
                  std::string(sim::Name(static_cast<sim::Attribute>(key.second))).c_str(),
                  static_cast<unsigned long long>(count));
    std::cout << line;
  }
}

void PrintFaultsAndWorkload(const sim::WorldSpec& spec, const sim::World& world) {
  std::cout << "faults: " << world.fault_windows().size() << "\n";
  for (const auto& w : world.fault_windows()) {
    std::cout << "  " << sim::Name(w.kind) << " at " << FormatDuration(w.start);
    if (!w.permanent) std::cout << " until " << FormatDuration(w.end);
    if (!w.nodes.empty()) {
      std::cout << " nodes";
      for (const auto& n : w.nodes) std::cout << " " << n;
    }
    if (!w.resource.empty()) std::cout << " resource " << w.resource;
    std::cout << (w.fired ? "" : " [not fired]") << (w.note.empty() ? "" : ": " + w.note) << "\n";
  }
  const auto& ws = world.workload_stats();
  if (spec.workload.via == "world") {
    std::cout << "workload: provisioned " << ws.provisioned << " (" << ws.provision_failed
              << " failed), deleted " << ws.deleted << " (" << ws.delete_failed
              << " failed), attached " << ws.attached << " (" << ws.attach_failed
              << " failed), detached " << ws.detached << " (" << ws.detach_failed
              << " failed), resized " << ws.resized << " (" << ws.resize_failed << " failed)\n";
  } else {
    std::cout << "workload: via api (driven by lnsim run, not by the world)\n";
  }
}

// --trace FILE: every transition, one line each. kExitInfra when it cannot be written.
int WriteTrace(const std::string& trace_path, const sim::World& world) {
  std::ofstream out(trace_path, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::cerr << "lnsim sim: --trace: cannot write '" << trace_path << "'" << std::endl;
    return kExitInfra;
  }
  for (const auto& t : world.trace().transitions()) {
    out << sim::RenderTransition(world.cluster(), world.trace(), t) << '\n';
  }
  out.close();
  if (!out) {
    std::cerr << "lnsim sim: --trace: write to '" << trace_path << "' failed" << std::endl;
    return kExitInfra;
  }
  std::cout << "trace: " << trace_path << "\n";
  return kExitOk;
}

int Run(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->value_name("FILE"), "scenario file (YAML or JSON)")
      ("seed", po::value<std::string>()->value_name("N"),
       "root seed (default: the scenario's `seed`, else 1)")
      ("duration", po::value<std::string>()->value_name("D"),
       "scenario length, e.g. 90s (default: the scenario's `duration`, else 60s)")
      ("time-scale", po::value<std::string>()->value_name("X"),
       "multiply every world duration, 0.1 = ten times faster, as lnsim run --time-scale "
       "(default: the scenario's `time_scale`, else 1)")
      ("trace", po::value<std::string>()->value_name("FILE"),
       "write every transition, one line each, to FILE");
  // clang-format on
  po::positional_options_description positional;
  positional.add("scenario", 1);
  po::variables_map vm;
  int exit_code = 0;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code)) return exit_code;
  if (!vm.count("scenario")) return UsageError("sim", "missing SCENARIO");
  const std::string path = vm["scenario"].as<std::string>();
  sim::WorldSpec spec;
  if (int rc = SpecFromFlags(vm, path, &spec); rc != kExitOk) return rc;
  std::string command = "lnsim sim " + ShellQuote(path) + " --seed " + std::to_string(spec.seed) +
                        " --duration " + FormatDuration(spec.duration);
  if (vm.count("time-scale")) {
    command += " --time-scale " + FormatNumber(spec.time_scale);
  }
  if (vm.count("trace")) command += " --trace " + ShellQuote(vm["trace"].as<std::string>());

  RealClock clock;  // wall time of generation and run, for the speed line
  const Duration wall_start = clock.Now();
  auto created = sim::World::Create(spec, spec.seed);
  if (!created.ok()) {
    // Messages that start with a line number get the file name glued on: `file:line: key: ...`.
    const std::string& msg = created.status().message();
    const bool has_line = !msg.empty() && msg[0] >= '0' && msg[0] <= '9';
    std::cerr << "lnsim sim: " << path << (has_line ? ":" : ": ") << msg << std::endl;
    return kExitUsage;
  }
  std::unique_ptr<sim::World> world = std::move(created).value();
  const Duration gen_end = clock.Now();
  world->AdvanceTo(world->RunLength());
  const Duration wall_end = clock.Now();
  const auto& transitions = world->trace().transitions();
  const double gen_s = std::chrono::duration<double>(gen_end - wall_start).count();
  const double run_s = std::chrono::duration<double>(wall_end - gen_end).count();

  PrintCluster(path, spec, *world);
  PrintTransitions(transitions);
  PrintFaultsAndWorkload(spec, *world);
  char speed[200];
  std::snprintf(speed, sizeof(speed),
                "wall time: generate %.3fs, run %.3fs, %.0f transitions/s; %zu events pending\n",
                gen_s, run_s, run_s > 0 ? static_cast<double>(transitions.size()) / run_s : 0.0,
                world->PendingEvents());
  std::cout << speed;
  if (vm.count("trace")) {
    if (int rc = WriteTrace(vm["trace"].as<std::string>(), *world); rc != kExitOk) return rc;
  }
  std::cout << "reproduce: " << command << "\n";
  std::cout << "trace digest: " << world->trace().DigestHex() << std::endl;
  return kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(sim, "sim",
                          "run a scenario's world alone in virtual time and print its digest", Run);

}  // namespace lnsim::cli
