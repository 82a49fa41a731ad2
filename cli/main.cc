// lnsim: one binary, many subcommands (cli/cmd_*.cc). Dispatches argv to the registered
// subcommand; prints the global help and version.
#include <iostream>
#include <string>
#include <vector>

#include "cli/subcommand.h"

namespace lnsim::cli {

std::map<std::string, Subcommand>& Registry() {
  static std::map<std::string, Subcommand> registry;
  return registry;
}

Registrar::Registrar(std::string name, std::string summary, SubcommandFn fn) {
  Registry()[name] = Subcommand{name, std::move(summary), std::move(fn)};
}

int UsageError(const std::string& subcommand, const std::string& message) {
  std::cerr << "lnsim" << (subcommand.empty() ? "" : " " + subcommand) << ": " << message
            << " (see --help)" << std::endl;
  return kExitUsage;
}

std::string VersionString() { return LNSIM_VERSION; }

bool ParseOptions(const std::vector<std::string>& args, const std::string& usage,
                  boost::program_options::options_description& options,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map* vm, int* exit_code) {
  namespace po = boost::program_options;
  options.add_options()("help,h", "show this help and exit");
  const std::string sub = usage.size() > 6 ? usage.substr(6, usage.find(' ', 6) - 6) : "";
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), *vm);
    if (vm->count("help")) {
      std::cout << "usage: " << usage << "\n\n" << options << std::flush;
      *exit_code = kExitOk;
      return false;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    *exit_code = UsageError(sub, e.what());
    return false;
  }
  return true;
}

namespace {

void PrintHelp() {
  std::cout << "usage: lnsim <subcommand> [options]\n"
               "       lnsim --version | --help\n\n"
               "lnsim simulates a LINSTOR cluster, serves it as a LINSTOR controller, runs a\n"
               "LINSTOR -> NATS bridge against it and judges the events it publishes.\n\n"
               "subcommands:\n";
  for (const auto& [name, sub] : Registry()) {
    std::string padded = name;
    padded.resize(14, ' ');
    std::cout << "  " << padded << sub.summary << "\n";
  }
  std::cout << "\n`lnsim <subcommand> --help` lists each subcommand's options with defaults.\n"
               "Exit codes: 0 passed, 1 an SLO or check failed, 2 bad usage or configuration,\n"
               "3 infrastructure failure or interrupted (SIGINT/SIGTERM).\n";
}

}  // namespace
}  // namespace lnsim::cli

int main(int argc, char** argv) {
  using namespace lnsim::cli;
  if (argc < 2) {
    PrintHelp();
    return kExitUsage;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    PrintHelp();
    return kExitOk;
  }
  if (first == "--version" || first == "version") {
    std::cout << "lnsim " << VersionString() << std::endl;
    return kExitOk;
  }
  auto it = Registry().find(first);
  if (it == Registry().end()) {
    return UsageError("", "unknown subcommand '" + first + "'");
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  return it->second.run(args);
}
