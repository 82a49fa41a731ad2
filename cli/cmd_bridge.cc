// `lnsim bridge`: runs the LINSTOR -> NATS bridge daemon (bridge/bridge.h) against a real or
// mock controller. The flags are the rows of the bridge's option table (bridge/options.h);
// environment (LS_CONTROLLERS, NATS_URL, LS_ROOT_CA, LS_USER_CERTIFICATE, LS_USER_KEY) and an
// optional YAML config file are merged here (flags win over the file, the file over the
// environment); SIGTERM and SIGINT drain in-flight publishes and exit 0.
#include "cli/cmd_bridge.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "bridge/options.h"
#include "cli/subcommand.h"

namespace lnsim::cli {
namespace {

namespace po = boost::program_options;

BridgeMainExtension& Extension() {
  static BridgeMainExtension extension;
  return extension;
}

std::string HelpLine(const bridge::BridgeOption& o) {
  std::string help(o.help);
  std::string def;
  for (char c : o.default_doc) {
    if (c != '`') def.push_back(c);
  }
  if (def == "required") {
    help += " (required)";
  } else if (!def.empty() && def != "off") {
    help += " (default: " + def + ")";
  }
  return help;
}

// One flag per row of the option table, then --config.
void AddBridgeFlags(po::options_description* options) {
  for (const auto& o : bridge::BridgeOptions()) {
    const std::string name(o.name);
    if (o.type == bridge::OptionType::kSwitch) {
      options->add_options()(name.c_str(), po::bool_switch(), HelpLine(o).c_str());
    } else {
      options->add_options()(name.c_str(),
                             po::value<std::string>()->value_name(std::string(o.value_name)),
                             HelpLine(o).c_str());
    }
  }
  options->add_options()("config", po::value<std::string>()->value_name("FILE"),
                         "YAML file holding any of these options (long names as keys)");
}

// The configuration from the environment, then the config file, then the flags. On failure
// prints the usage error and returns false.
bool ReadBridgeConfig(const po::variables_map& vm, bridge::BridgeConfig* config) {
  Status st = bridge::ApplyBridgeEnvironment(config, [](const char* n) { return std::getenv(n); });
  if (st.ok() && vm.count("config")) {
    st = bridge::LoadBridgeConfigFile(vm["config"].as<std::string>(), config);
  }
  for (const auto& o : bridge::BridgeOptions()) {
    if (!st.ok()) break;
    const std::string name(o.name);
    if (o.type == bridge::OptionType::kSwitch) {
      // A switch can only turn its option on; off leaves the file's or the default value.
      if (vm[name].as<bool>()) st = bridge::SetBridgeOption(*config, name, "true");
    } else if (vm.count(name)) {
      st = bridge::SetBridgeOption(*config, name, vm[name].as<std::string>());
    }
  }
  if (st.ok()) st = bridge::ValidateBridgeConfig(config);
  if (!st.ok()) UsageError("bridge", st.message());
  return st.ok();
}

// Signals are taken by one thread (sigwait); every other thread inherits the blocked mask.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

// Runs a started bridge until SIGTERM/SIGINT (then drains) or until it stops on its own.
int RunUntilSignal(bridge::Bridge* b, bridge::Logger* logger, sigset_t signals) {
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) {
      logger->Log("info", "signal received; draining", {{"signal", std::to_string(sig)}});
    }
    b->RequestStop();
  });
  Status st = b->Run();
  // Wake the signal thread if Run ended on its own.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return st.ok() ? kExitOk : kExitFailed;
}

int RunBridge(const std::vector<std::string>& args) {
  po::options_description options("lnsim bridge options");
  AddBridgeFlags(&options);
  if (Extension().add_options) Extension().add_options(&options);
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, "lnsim bridge --linstor URL --nats URL --cluster NAME [options]", options,
                    {}, &vm, &exit_code)) {
    return exit_code;
  }
  bridge::BridgeConfig config;
  if (!ReadBridgeConfig(vm, &config)) return kExitUsage;
  if (Extension().before_start) {
    if (std::optional<int> code = Extension().before_start(vm, config)) return *code;
  }
  const sigset_t signals = BlockStopSignals();

  // Every poll builds a new snapshot and frees the previous one: keep that memory in the process
  // instead of returning it to the kernel and faulting it in again next poll.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  RealClock clock;
  bridge::Logger logger(clock);
  if (config.quiet) logger.set_quiet(true);
  bridge::BridgeSeams seams;
  if (Extension().seams) {
    StatusOr<bridge::BridgeSeams> extended = Extension().seams(vm, clock, &logger);
    if (!extended.ok()) return UsageError("bridge", extended.status().message());
    seams = std::move(*extended);
  }
  bridge::Bridge b(config, clock, &logger, std::move(seams));
  Status st = b.Start();
  if (!st.ok()) {
    logger.Log("error", "bridge failed to start", {{"reason", st.ToString()}});
    return st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInfra;
  }
  if (b.metrics_port() > 0) {
    std::cout << "listening on http://"
              << config.metrics_addr.substr(0, config.metrics_addr.rfind(':')) << ":"
              << b.metrics_port() << std::endl;
  }
  return RunUntilSignal(&b, &logger, signals);
}

}  // namespace

void SetBridgeMainExtension(BridgeMainExtension extension) { Extension() = std::move(extension); }

LNSIM_REGISTER_SUBCOMMAND(bridge, "bridge",
                          "watch a LINSTOR controller and publish changes as CloudEvents on NATS",
                          RunBridge);

}  // namespace lnsim::cli
