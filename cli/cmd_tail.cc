// `lnsim tail`: prints a pipeline's events live, one readable line each (harness/tail.h). Ctrl-C
// or SIGTERM ends it cleanly; --count N ends it after N messages (for scripts and tests).
#include <signal.h>

#include <atomic>
#include <iostream>

#include "cli/subcommand.h"
#include "common/duration.h"
#include "common/url.h"
#include "harness/tail.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] =
    "lnsim tail [--nats URL] [--subject FILTER] [--jetstream --stream NAME] [--count N]";

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

int Run(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  harness::TailOptions tail;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("nats", po::value<std::string>(&tail.url)->value_name("URL[,URL...]")->default_value(tail.url),
       "NATS server URL(s), comma separated")
      ("subject", po::value<std::string>(&tail.subject)->value_name("FILTER")->default_value(tail.subject),
       "subject filter, with * and > wildcards (see docs/subjects.md)")
      ("jetstream", po::bool_switch(&tail.jetstream),
       "read the JetStream stream from its start, then live (needs --stream)")
      ("stream", po::value<std::string>(&tail.stream)->value_name("NAME"),
       "JetStream stream name (lnsim bridge's default: LINSTOR_<CLUSTER>)")
      ("count", po::value<std::string>()->value_name("N")->default_value("0"),
       "stop after N messages (0 = until Ctrl-C)")
      ("idle", po::value<std::string>()->value_name("D"),
       "stop after this long without a message, e.g. 5s (default: never)")
      ("tls-ca", po::value<std::string>(&tail.tls.ca)->value_name("FILE"),
       "CA (PEM) of a TLS server's certificate")
      ("tls-cert", po::value<std::string>(&tail.tls.cert)->value_name("FILE"),
       "client certificate (PEM), mutual TLS")
      ("tls-key", po::value<std::string>(&tail.tls.key)->value_name("FILE"),
       "private key (PEM) of --tls-cert");
  // clang-format on
  po::positional_options_description positional;
  po::variables_map vm;
  int exit_code = 0;
  if (!ParseOptions(args, kUsage, options, positional, &vm, &exit_code)) return exit_code;
  if (Status st = CheckNatsUrls(tail.url); !st.ok()) {
    return UsageError("tail", "--nats '" + tail.url + "': " + st.message());
  }
  auto count = ParseWholeNumber("count", vm["count"].as<std::string>());
  if (!count.ok()) return UsageError("tail", count.status().message());
  tail.count = *count;
  if (tail.jetstream && tail.stream.empty())
    return UsageError("tail", "--jetstream needs --stream NAME");
  if (!tail.jetstream && !tail.stream.empty()) {
    return UsageError("tail", "--stream is only meaningful with --jetstream");
  }
  if (vm.count("idle")) {
    auto idle = ParseDuration(vm["idle"].as<std::string>());
    if (!idle.ok()) return UsageError("tail", "--idle: " + idle.status().message());
    tail.idle_timeout = *idle;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  RealClock clock;
  auto printed = harness::RunTail(tail, clock, std::cout, &g_stop);
  if (!printed.ok()) {
    std::cerr << "lnsim tail: " << printed.status().message() << std::endl;
    return printed.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInfra;
  }
  return kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(tail, "tail", "print a pipeline's events live, one readable line each",
                          Run);

}  // namespace lnsim::cli
