// Loading a run's scenario and applying the command line's overrides; see run_config.h.
#include "harness/run_config.h"

#include <algorithm>

#include "harness/bundle.h"
#include "sim/world.h"

namespace lnsim::harness {
namespace {

Status LoadScenario(const RunOptions& options, RunConfig* config) {
  if (options.scenario_text.empty()) {
    LNSIM_ASSIGN_OR_RETURN(config->scenario, LoadScenarioFile(options.scenario_path));
    auto text = ReadWholeFile(options.scenario_path);
    config->scenario_text = text.ok() ? *text : "";
  } else {
    LNSIM_ASSIGN_OR_RETURN(config->scenario,
                           LoadScenarioText(options.scenario_text, options.scenario_path));
    config->scenario_text = options.scenario_text;
  }
  sim::WorldSpec& world = config->scenario.world;
  if (options.seed) world.seed = *options.seed;
  if (options.duration) world.duration = *options.duration;
  if (options.time_scale) {
    if (!(*options.time_scale > 0)) return InvalidArgumentError("--time-scale must be > 0");
    world.time_scale = *options.time_scale;
  }
  config->seed = world.seed;
  // The overrides may change what the rules see (a shorter --duration leaves faults after the end).
  return RecheckScenario(&config->scenario);
}

// The world the mock will build, built once now and dropped: placement (which depends on the
// seeded volume sizes) and every rule World::Create keeps as a guard fail here, before anything
// starts, with the file and the line of the section the message names.
Status TryBuildWorld(const Scenario& scenario) {
  auto world = sim::World::Create(scenario.world, scenario.world.seed);
  if (world.ok()) return OkStatus();
  const std::string& m = world.status().message();
  if (!m.empty() && m[0] >= '0' && m[0] <= '9')
    return InvalidArgumentError(scenario.path + ":" + m);
  const std::string section = m.substr(0, std::min(m.find(':'), m.find('.')));
  for (const auto& entry : scenario.root) {
    if (entry.first.Scalar() == section) {
      return InvalidArgumentError(scenario.path + ":" +
                                  std::to_string(entry.first.Mark().line + 1) + ": " + m);
    }
  }
  return InvalidArgumentError(scenario.path + ": " + m);
}

Status ApplyHarnessOverrides(const RunOptions& options, RunConfig* config) {
  HarnessSpec& harness = config->harness;
  LNSIM_ASSIGN_OR_RETURN(harness, ParseHarnessSections(config->scenario));
  if (options.jetstream) {
    harness.nats.jetstream = *options.jetstream;
    if (!config->scenario.consumers.IsDefined()) {
      // The default consumer follows the mode.
      harness.consumers.clear();
      ConsumerSpec consumer;
      consumer.mode =
          harness.nats.jetstream ? ConsumerMode::kJetStreamAckSync : ConsumerMode::kCore;
      consumer.name = harness.nats.jetstream ? "js-1" : "core-1";
      harness.consumers.push_back(consumer);
    }
  }
  config->jetstream = harness.nats.jetstream;
  if (options.drain) harness.drain = *options.drain;
  const YAML::Node& listed = config->scenario.consumers;
  for (size_t i = 0; i < harness.consumers.size(); ++i) {
    const ConsumerSpec& c = harness.consumers[i];
    if (!config->jetstream && c.mode != ConsumerMode::kCore) {
      // --core on a file whose consumers are JetStream ones: name the consumer's line.
      const bool has_line = listed.IsSequence() && i < listed.size();
      return InvalidArgumentError(
          options.scenario_path +
          (has_line ? ":" + std::to_string(listed[i].Mark().line + 1) : std::string()) +
          ": consumers[" + std::to_string(i) + "]: consumer '" + c.name + "' is " +
          std::string(ConsumerModeName(c.mode)) +
          " but the bridge publishes to core NATS (--core or nats.jetstream: false)");
    }
  }
  if (!options.nats_urls.empty()) harness.nats.url = options.nats_urls;
  // A live server or cluster (--nats) is used as it is: no local cluster is started.
  if (!harness.nats.url.empty()) harness.nats.cluster = 0;
  config->stream_replicas = harness.nats.replicas > 0  ? harness.nats.replicas
                            : harness.nats.cluster > 1 ? std::min(harness.nats.cluster, 5)
                                                       : 1;
  if (!options.nats_server_bin.empty()) harness.nats.server_bin = options.nats_server_bin;
  for (const std::string& expression : options.slo_expressions) {
    auto slo = ParseSlo(expression);
    if (!slo.ok()) {
      return InvalidArgumentError("--slo: " + slo.status().message());  // names the expression
    }
    harness.slos.push_back(*slo);
    harness.slo_expressions.push_back(expression);
  }
  return OkStatus();
}

Status CollectHarnessFaults(const RunOptions& options, RunConfig* config) {
  const std::vector<sim::FaultSpec>& faults = config->scenario.world.faults;
  for (size_t i = 0; i < faults.size(); ++i) {
    const sim::FaultSpec& f = faults[i];
    if (f.kind != sim::FaultKind::kNatsRestart && f.kind != sim::FaultKind::kBridgeKill &&
        f.kind != sim::FaultKind::kConsumerCrash && f.kind != sim::FaultKind::kNetwork) {
      continue;
    }
    HarnessFault fault;
    fault.index = i;
    fault.kind = f.kind;
    LNSIM_ASSIGN_OR_RETURN(fault.params, ParseHarnessFaultParams(f, options.scenario_path));
    if ((f.kind == sim::FaultKind::kNatsRestart || fault.params.target == "routes") &&
        !config->harness.nats.url.empty()) {
      return InvalidArgumentError(options.scenario_path + ":" + std::to_string(f.source_line) +
                                  ": faults[" + std::to_string(i) +
                                  "]: " + std::string(sim::Name(f.kind)) +
                                  " needs the embedded nats-server or cluster (no --nats)");
    }
    // A team's bridge is killed the same way as lnsim's (bridge-kill): it is our child too.
    config->harness_faults.push_back(std::move(fault));
  }
  return OkStatus();
}

}  // namespace

StatusOr<RunConfig> ConfigureRun(const RunOptions& options) {
  RunConfig config;
  LNSIM_RETURN_IF_ERROR(LoadScenario(options, &config));
  LNSIM_RETURN_IF_ERROR(TryBuildWorld(config.scenario));
  LNSIM_RETURN_IF_ERROR(ApplyHarnessOverrides(options, &config));
  const Scenario& scenario = config.scenario;
  if (scenario.api.IsDefined() && !scenario.api.IsNull()) {
    auto faults = mock::ParseApiSection(scenario.api);
    if (!faults.ok()) {
      return InvalidArgumentError(options.scenario_path + ":" + faults.status().message());
    }
    config.api_faults = std::move(*faults);
  }
  LNSIM_ASSIGN_OR_RETURN(config.bridge, ParseBridgeSection(scenario.bridge, options.scenario_path));
  if (!options.bridge_command.empty()) config.bridge.command = options.bridge_command;
  LNSIM_RETURN_IF_ERROR(CollectHarnessFaults(options, &config));
  return config;
}

}  // namespace lnsim::harness
