// The scenario's `bridge` section: how `lnsim run` starts the bridge under test (lnsim's own or a
// team's command). Owned by the bridge; parsed in harness/ because only `lnsim run` starts a
// bridge from a scenario.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace YAML {
class Node;
}

namespace lnsim::harness {

// Durations unscaled: the bridge runs in real time.
struct BridgeSpec {
  std::string command;  // "" = lnsim's own bridge; else a shell command (a team's own bridge)
  std::string cluster = "lnsim";
  Duration poll_interval = std::chrono::milliseconds(500);
  Duration request_timeout = std::chrono::seconds(2);
  Duration dedup_window = std::chrono::minutes(2);
  double resync_step = 10.0;
  double pool_low_threshold = 10.0;
  bool sse = true;
  // The bridge watches the mock over HTTPS, as a production bridge watches a controller on 3371:
  // the mock adds an HTTPS listener with a generated certificate and the bridge trusts its CA
  // (--linstor-ca; a team's bridge gets LS_ROOT_CA and LNSIM_LINSTOR_CA).
  bool https = false;
  std::vector<std::string> extra_args;  // appended to lnsim bridge's command line
};

// An absent or null section gives the defaults. kInvalidArgument as
// `path:line: bridge.key: what is wrong` (unknown keys with a did-you-mean).
StatusOr<BridgeSpec> ParseBridgeSection(const YAML::Node& node, const std::string& path);

}  // namespace lnsim::harness
