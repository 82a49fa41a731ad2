// The scenario's `bridge` section: how `lnsim run` starts the bridge under test (lnsim's own or a
// team's command). The bridge's own settings come from the bridge's one option table
// (bridge/options.h): a key of this section that is not the harness's own is a bridge option in
// snake_case (`poll_interval` is `--poll-interval`), with the bridge's default. Parsed in
// harness/ because only `lnsim run` starts a bridge from a scenario.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bridge/options.h"
#include "common/duration.h"
#include "common/status.h"

namespace YAML {
class Node;
}

namespace lnsim::harness {

// Durations unscaled: the bridge runs in real time.
struct BridgeSpec {
  std::string command;  // "" = lnsim's own bridge; else a shell command (a team's own bridge)
  std::string cluster = "lnsim";
  // The bridge options the scenario may set (every option the rig does not set itself; see
  // ScenarioBridgeOptionNames). lnsim's own bridge gets them as flags (bridge::BridgeArgv); the
  // harness reads poll_interval, request_timeout and pool_low_threshold_percent for its own
  // timing and judgement, also for a team's bridge.
  bridge::BridgeConfig options;
  // The bridge watches the mock over HTTPS, as a production bridge watches a controller on 3371:
  // the mock adds an HTTPS listener with a generated certificate and the bridge trusts its CA
  // (--linstor-ca; a team's bridge gets LS_ROOT_CA and LNSIM_LINSTOR_CA).
  bool https = false;
  std::vector<std::string> extra_args;  // appended to lnsim bridge's command line
  // Readiness (docs/scenarios.md "Readiness"): the bridge creates the file named by
  // LNSIM_READY_FILE (lnsim's own: --ready-file) within ready_timeout of its start; the judged
  // window starts then. `readiness: assumed` (a team's bridge only) keeps the older guess: ready
  // one request timeout plus one poll interval after the start.
  Duration ready_timeout = std::chrono::seconds(30);
  bool assume_ready = false;
};

// The bridge options (kebab-case table names) a scenario's `bridge` section may set; the others
// (URLs, cluster, stream, credentials, TLS files, side channels) the rig sets from the run.
const std::vector<std::string_view>& ScenarioBridgeOptionNames();

// An absent or null section gives the defaults. kInvalidArgument as
// `path:line: bridge.key: what is wrong` (unknown keys with a did-you-mean).
StatusOr<BridgeSpec> ParseBridgeSection(const YAML::Node& node, const std::string& path);

}  // namespace lnsim::harness
