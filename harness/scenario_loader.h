// The scenario file loader: reads one YAML document (JSON is valid YAML, so JSON is accepted),
// checks the top-level keys, hands the world's sections to sim/ and keeps the other parts'
// sections (api, bridge, nats, consumers, network, slo, drain) as YAML nodes for their owners.
// Every error reads `file:line: key: what is wrong` (docs/architecture.md, scenario files).
#pragma once

#include <yaml-cpp/yaml.h>

#include <ostream>
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
  YAML::Node api, bridge, nats, consumers, network, slo, drain, verify;
  YAML::Node root;  // the whole document (lines for the cross-field rules)
  // `path:line: key: what` for scenarios that test nothing and faults that never fire
  // (docs/scenarios.md "Checked before anything starts"); the run goes on.
  std::vector<std::string> warnings;
};

// The top-level keys a scenario may have, in documentation order.
const std::vector<std::string>& ScenarioTopLevelKeys();

// Reads and parses `path`, and checks it whole (every key, duplicate keys, the cross-field
// rules). kInvalidArgument with `path:line: key: what` on any problem; a file that cannot be read
// gives the OS's reason (`missing.yaml: cannot open: No such file or directory`).
StatusOr<Scenario> LoadScenarioFile(const std::string& path);
// Same for text already in memory; `path` names it in messages.
StatusOr<Scenario> LoadScenarioText(std::string_view text, const std::string& path);

// Runs the cross-field rules again on s->world (after command-line overrides such as --duration)
// and refreshes s->warnings.
Status RecheckScenario(Scenario* s);

// One line per warning: `<prefix>warning: path:line: key: what`.
void PrintScenarioWarnings(const Scenario& s, std::string_view prefix, std::ostream& out);
// Loads `path` and prints its warnings; prints nothing when it does not load (the caller reports
// load errors itself).
void PrintScenarioWarnings(const std::string& path, std::string_view prefix, std::ostream& out);

}  // namespace lnsim::harness
