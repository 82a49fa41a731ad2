// `lnsim bridge` as a function a test binary can extend (tests/bridge/test_bridge_main.cc builds
// `lnsim-test-bridge` from cli/main.cc, cli/cmd_bridge.cc and an extension): extra flags and the
// bridge seams (bridge/bridge.h) they turn into. The production binary installs none.
#pragma once

#include <boost/program_options.hpp>
#include <functional>
#include <optional>

#include "bridge/bridge.h"
#include "common/clock.h"
#include "common/status.h"

namespace lnsim::cli {

struct BridgeMainExtension {
  // Adds the extension's flags to `lnsim bridge`'s.
  std::function<void(boost::program_options::options_description*)> add_options;
  // Turns the parsed flags into seams; an error is a usage error (exit 2).
  std::function<StatusOr<bridge::BridgeSeams>(const boost::program_options::variables_map&,
                                              const Clock&, bridge::Logger*)>
      seams;
  // Sees the final (validated) configuration before the bridge starts; a value = exit with it
  // without starting.
  std::function<std::optional<int>(const boost::program_options::variables_map&,
                                   const bridge::BridgeConfig&)>
      before_start;
};

// Installs the extension `lnsim bridge` uses. Call before main() dispatches (a static
// initializer of the test binary); not thread-safe.
void SetBridgeMainExtension(BridgeMainExtension extension);

}  // namespace lnsim::cli
