// `lnsim mock-linstor`: the simulated cluster served as a LINSTOR controller on its own, for
// pointing real LINSTOR tools (the CLI, golinstor, linstor-csi) or a bridge at it. Creates the
// real clock (cli/ is the only place that does) and runs until SIGINT/SIGTERM.
#include <stdlib.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/tls_certs.h"
#include "harness/scenario_loader.h"
#include "mock-linstor/api_faults.h"
#include "mock-linstor/server.h"
#include "sim/scenario.h"
#include "sim/world.h"

namespace lnsim::cli {
namespace {

constexpr char kUsage[] =
    "lnsim mock-linstor [--port 3370] [--bind 127.0.0.1] [--scenario FILE | --nodes N "
    "--resources R --replicas K --volumes-per-resource V] [--seed N] [--time-scale X] "
    "[--https-port 3371 [--tls-cert FILE --tls-key FILE | --tls-dir DIR]]";

// Reads the scenario file through the harness loader (which rejects unknown keys and parses
// the world's sections); the `api` section is parsed by mock-linstor/. Other parts' sections
// (bridge, nats, ...) belong to `lnsim run` and are ignored here.
Status LoadScenario(const std::string& path, sim::WorldSpec* spec,
                    std::vector<mock::ApiFault>* api_faults) {
  auto scenario = harness::LoadScenarioFile(path);
  if (!scenario.ok()) return scenario.status();
  *spec = scenario->world;
  if (scenario->api.IsDefined()) {
    auto faults = mock::ParseApiSection(scenario->api);
    if (!faults.ok()) return InvalidArgumentError(path + ":" + faults.status().message());
    *api_faults = std::move(*faults);
  }
  return OkStatus();
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

boost::program_options::options_description MockFlags() {
  namespace po = boost::program_options;
  po::options_description options("options");
  // clang-format off
  options.add_options()
      ("port", po::value<int>()->value_name("PORT")->default_value(3370),
       "TCP port 0..65535 (0 = any free port)")
      ("bind", po::value<std::string>()->value_name("ADDR")->default_value("127.0.0.1"),
       "address to listen on")
      ("scenario", po::value<std::string>()->value_name("FILE"),
       "scenario file (cluster, workload, faults, api)")
      ("nodes", po::value<int>()->value_name("N"), "storage nodes (default: the scenario's)")
      ("resources", po::value<int>()->value_name("N"),
       "resource definitions (default: the scenario's)")
      ("replicas", po::value<int>()->value_name("N"),
       "diskful replicas per resource (default: the scenario's)")
      ("volumes-per-resource", po::value<int>()->value_name("N"),
       "volume definitions per resource definition (default: the scenario's)")
      ("diskless-clients", po::value<int>()->value_name("N"),
       "extra satellites without storage (default: the scenario's)")
      ("seed", po::value<std::string>()->value_name("N"), "root seed (default: the scenario's, else 1)")
      ("time-scale", po::value<std::string>()->value_name("X"),
       "multiply every world duration by this, 0.1 = ten times faster (default: the scenario's, "
       "else 1)")
      ("threads", po::value<std::string>()->value_name("N")->default_value("128"),
       "HTTP worker threads")
      ("https-port", po::value<int>()->value_name("PORT"),
       "also serve HTTPS on this port 0..65535 (LINSTOR's is 3371; 0 = any free port)")
      ("tls-cert", po::value<std::string>()->value_name("FILE"), "HTTPS server certificate chain (PEM)")
      ("tls-key", po::value<std::string>()->value_name("FILE"), "private key (PEM) of --tls-cert")
      ("tls-client-ca", po::value<std::string>()->value_name("FILE"),
       "require HTTPS clients to present a certificate signed by this CA (PEM)")
      ("tls-dir", po::value<std::string>()->value_name("DIR"),
       "without --tls-cert: write a generated CA, server and client certificate here "
       "(default: a new directory under $TMPDIR)");
  // clang-format on
  return options;
}

// The world to serve: the scenario's, with the cluster flags on top.
int WorldSpecFromFlags(const boost::program_options::variables_map& vm, sim::WorldSpec* spec,
                       std::vector<mock::ApiFault>* api_faults) {
  if (vm.count("scenario")) {
    if (Status s = LoadScenario(vm["scenario"].as<std::string>(), spec, api_faults); !s.ok()) {
      return UsageError("mock-linstor", s.message());
    }
  }
  if (vm.count("nodes")) spec->cluster.nodes = vm["nodes"].as<int>();
  if (vm.count("resources")) spec->cluster.resources = vm["resources"].as<int>();
  if (vm.count("replicas")) spec->cluster.replicas = vm["replicas"].as<int>();
  if (vm.count("volumes-per-resource")) {
    spec->cluster.volumes_per_resource = vm["volumes-per-resource"].as<int>();
  }
  if (vm.count("diskless-clients"))
    spec->cluster.diskless_clients = vm["diskless-clients"].as<int>();
  std::optional<uint64_t> seed;
  std::optional<double> time_scale;
  if (int rc = SeedAndTimeScaleFromFlags(vm, "mock-linstor", &seed, &time_scale); rc != kExitOk) {
    return rc;
  }
  spec->seed = seed.value_or(spec->seed);
  spec->time_scale = time_scale.value_or(spec->time_scale);
  return kExitOk;
}

// HTTPS: the port (-1 = none) and the certificate it serves, given or generated.
struct HttpsSetup {
  int port = -1;
  std::string cert, key;
  std::string generated_ca;  // the CA to trust when lnsim generated the certificates
};

// Without --tls-cert: a CA, server and client certificate in --tls-dir or a new temp dir.
int GenerateHttpsCertificates(const boost::program_options::variables_map& vm, HttpsSetup* https) {
  std::string dir;
  if (vm.count("tls-dir")) {
    dir = vm["tls-dir"].as<std::string>();
  } else {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/lnsim-mock-tls-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) {
      std::cerr << "lnsim mock-linstor: cannot create a directory from '" << dir << "'"
                << std::endl;
      return kExitInfra;
    }
  }
  auto files = tls::GenerateCertificates(dir);
  if (!files.ok()) {
    std::cerr << "lnsim mock-linstor: " << files.status().message() << std::endl;
    return kExitInfra;
  }
  https->cert = files->server_cert;
  https->key = files->server_key;
  https->generated_ca = files->ca_cert;
  return kExitOk;
}

int HttpsFromFlags(const boost::program_options::variables_map& vm, HttpsSetup* https) {
  if (!vm.count("https-port")) {
    if (vm.count("tls-cert") || vm.count("tls-key") || vm.count("tls-dir")) {
      return UsageError("mock-linstor", "--tls-cert, --tls-key and --tls-dir need --https-port");
    }
    return kExitOk;
  }
  https->port = vm["https-port"].as<int>();
  if (https->port < 0 || https->port > 65535) {
    return UsageError("mock-linstor",
                      "--https-port " + std::to_string(https->port) + ": must be 0..65535");
  }
  if (vm.count("tls-cert") != vm.count("tls-key")) {
    return UsageError("mock-linstor", "--tls-cert and --tls-key must be given together");
  }
  if (!vm.count("tls-cert")) return GenerateHttpsCertificates(vm, https);
  https->cert = vm["tls-cert"].as<std::string>();
  https->key = vm["tls-key"].as<std::string>();
  for (const auto& [file, flag] :
       {std::pair{https->cert, "--tls-cert"}, {https->key, "--tls-key"}}) {
    if (Status s = tls::CheckReadableFile(file, flag); !s.ok()) {
      return UsageError("mock-linstor", s.message());
    }
  }
  return kExitOk;
}

int ServerOptionsFromFlags(const boost::program_options::variables_map& vm, int port,
                           const HttpsSetup& https, mock::ServerOptions* server_options) {
  server_options->bind = vm["bind"].as<std::string>();
  server_options->port = port;
  auto threads = ParseWholeNumber("threads", vm["threads"].as<std::string>());
  if (!threads.ok()) return UsageError("mock-linstor", threads.status().message());
  if (*threads < 1 || *threads > 4096) {
    return UsageError("mock-linstor",
                      "--threads " + std::to_string(*threads) + ": must be 1..4096");
  }
  server_options->threads = *threads;
  if (server_options->bind.empty()) return UsageError("mock-linstor", "--bind '': empty address");
  server_options->https_port = https.port;
  server_options->tls_cert_file = https.cert;
  server_options->tls_key_file = https.key;
  if (vm.count("tls-client-ca")) {
    if (https.port < 0) return UsageError("mock-linstor", "--tls-client-ca needs --https-port");
    server_options->tls_client_ca_file = vm["tls-client-ca"].as<std::string>();
    if (Status s = tls::CheckReadableFile(server_options->tls_client_ca_file, "--tls-client-ca");
        !s.ok()) {
      return UsageError("mock-linstor", s.message());
    }
  }
  return kExitOk;
}

void PrintListening(const mock::MockServer& server, const mock::ServerOptions& server_options,
                    const HttpsSetup& https) {
  std::cout << "listening on http://" << server_options.bind << ":" << server.port() << std::endl;
  if (server.https_port() > 0) {
    std::cout << "listening on https://" << server_options.bind << ":" << server.https_port()
              << std::endl;
    if (!https.generated_ca.empty()) {
      std::cerr << "lnsim mock-linstor: HTTPS with a generated certificate; trust its CA: "
                << https.generated_ca << " (client certificate and key next to it)" << std::endl;
    }
  }
}

int Run(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description options = MockFlags();
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, kUsage, options, {}, &vm, &exit_code)) return exit_code;
  sim::WorldSpec spec;
  std::vector<mock::ApiFault> api_faults;
  if (int rc = WorldSpecFromFlags(vm, &spec, &api_faults); rc != kExitOk) return rc;
  const int port = vm["port"].as<int>();
  if (port < 0 || port > 65535) {
    return UsageError("mock-linstor", "--port " + std::to_string(port) + ": must be 0..65535");
  }
  HttpsSetup https;
  if (int rc = HttpsFromFlags(vm, &https); rc != kExitOk) return rc;

  auto world = sim::World::Create(spec, spec.seed);
  if (!world.ok()) return UsageError("mock-linstor", world.status().message());

  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // sigwait below is the only receiver.
  sigset_t stop = StopSignals();
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  RealClock clock;
  mock::ServerOptions server_options;
  server_options.api_faults = std::move(api_faults);
  server_options.seed = spec.seed;
  if (int rc = ServerOptionsFromFlags(vm, port, https, &server_options); rc != kExitOk) return rc;
  mock::MockServer server(std::move(world).value(), clock, server_options);
  if (Status s = server.Start(); !s.ok()) {
    std::cerr << "lnsim mock-linstor: " << s.message() << std::endl;
    return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInfra;
  }
  PrintListening(server, server_options, https);
  std::cerr << "lnsim mock-linstor: seed " << spec.seed << "; reproduce with: lnsim mock-linstor";
  for (const auto& a : args) std::cerr << " " << a;
  if (!vm.count("seed")) std::cerr << " --seed " << spec.seed;
  std::cerr << std::endl;

  int signal = 0;
  sigwait(&stop, &signal);
  server.Stop();
  return kExitOk;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(mock_linstor, "mock-linstor",
                          "serve a simulated cluster as a LINSTOR controller (REST v1 + SSE)", Run);

}  // namespace lnsim::cli
