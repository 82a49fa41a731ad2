// The scenario file loader: reads one YAML document (JSON is valid YAML, so JSON is accepted),
// checks the top-level keys, hands the world's sections to sim/ and keeps the other parts'
// sections (api, bridge, nats, consumers, network, slo, drain) as YAML nodes for their owners.
// Every error reads `file:line: key: what is wrong` (docs/architecture.md, scenario files).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sim/scenario.h"

namespace lnsim::harness {

struct Scenario {
  std::string path;      // as given (used in error messages)
  sim::WorldSpec world;  // cluster, workload, faults, time_scale, duration, seed
  // Sections owned by other parts, unparsed; IsDefined() is false when the file has none.
  YAML::Node api, bridge, nats, consumers, network, slo, drain;
};

// The top-level keys a scenario may have, in documentation order.
const std::vector<std::string>& ScenarioTopLevelKeys();

// Reads and parses `path`. kInvalidArgument with `path:line: key: what` on any problem
// (missing file: `path:0: (file): cannot open`).
StatusOr<Scenario> LoadScenarioFile(const std::string& path);
// Same for text already in memory; `path` names it in messages.
StatusOr<Scenario> LoadScenarioText(std::string_view text, const std::string& path);

}  // namespace lnsim::harness
