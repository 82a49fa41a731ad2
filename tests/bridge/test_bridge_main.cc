// lnsim-test-bridge: the real `lnsim bridge` (cli/main.cc + cli/cmd_bridge.cc, invoked as
// `lnsim-test-bridge bridge [options]`) plus flags that plant faults through the bridge's seams.
// Built for tests only (a CMake target that is not installed):
//   --plant swap-attach-detach  the differ reports attach as detach and back
//                               (swap_attach_detach_differ.h)
//   --publish-delay D           every publish waits D first (delayed_publish_connection.h)
//   --print-config              print the parsed configuration as BridgeArgv, one argument a
//                               line, and exit 0 without starting (the flags round-trip test)
#include <iostream>

#include "bridge/options.h"
#include "cli/cmd_bridge.h"
#include "common/duration.h"
#include "tests/bridge/delayed_publish_connection.h"
#include "tests/bridge/swap_attach_detach_differ.h"

namespace lnsim::bridge::testing {
namespace {

namespace po = boost::program_options;

void AddPlantFlags(po::options_description* options) {
  options->add_options()("plant", po::value<std::string>()->value_name("FAULT"),
                         "test only: plant a fault (swap-attach-detach)")(
      "publish-delay", po::value<std::string>()->value_name("D"),
      "test only: wait D before every publish call")(
      "print-config", po::bool_switch(), "test only: print the configuration as flags and exit");
}

StatusOr<BridgeSeams> PlantSeams(const po::variables_map& vm, const Clock& clock, Logger* logger) {
  BridgeSeams seams;
  if (vm.count("plant")) {
    const std::string fault = vm["plant"].as<std::string>();
    if (fault != "swap-attach-detach") {
      return InvalidArgumentError("--plant '" + fault + "': unknown fault (swap-attach-detach)");
    }
    logger->Log("warn", "PLANTED BUG: attach and detach are swapped (--plant)", {});
    seams.wrap_differ = [](std::unique_ptr<Differ> base) -> std::unique_ptr<Differ> {
      return std::make_unique<SwapAttachDetachDiffer>(std::move(base));
    };
  }
  if (vm.count("publish-delay")) {
    const std::string text = vm["publish-delay"].as<std::string>();
    StatusOr<Duration> delay = ParseDuration(text);
    if (!delay.ok()) {
      return InvalidArgumentError("--publish-delay '" + text + "': " + delay.status().message());
    }
    logger->Log("warn", "INJECTED SLOWDOWN: every publish waits", {{"delay", text}});
    seams.wrap_publish_connection =
        [&clock, d = *delay](
            std::unique_ptr<PublishConnection> base) -> std::unique_ptr<PublishConnection> {
      return std::make_unique<DelayedPublishConnection>(std::move(base), clock, d);
    };
  }
  return seams;
}

const bool kInstalled = [] {
  cli::SetBridgeMainExtension(
      {[](po::options_description* options) { AddPlantFlags(options); }, &PlantSeams,
       [](const po::variables_map& vm, const BridgeConfig& config) -> std::optional<int> {
         if (!vm["print-config"].as<bool>()) return std::nullopt;
         for (const auto& arg : BridgeArgv(config)) std::cout << arg << "\n";
         std::cout << std::flush;
         return 0;
       }});
  return true;
}();

}  // namespace
}  // namespace lnsim::bridge::testing
