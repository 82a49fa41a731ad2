// `lnsim bridge`: runs the LINSTOR -> NATS bridge daemon (bridge/bridge.h) against a real or
// mock controller. Flags, environment (LS_CONTROLLERS, NATS_URL, LS_ROOT_CA, LS_USER_CERTIFICATE,
// LS_USER_KEY) and an optional YAML config file are merged here (flags win over the file, the
// file over the environment); SIGTERM and SIGINT drain in-flight publishes and exit 0.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "bridge/bridge.h"
#include "cli/subcommand.h"
#include "common/clock.h"
#include "common/duration.h"

namespace lnsim::cli {
namespace {

namespace po = boost::program_options;

int RunBridge(const std::vector<std::string>& args) {
  po::options_description options("lnsim bridge options");
  options.add_options()("linstor", po::value<std::string>(),
                        "LINSTOR controller URL(s), comma separated "
                        "(default: $LS_CONTROLLERS)")(
      "nats", po::value<std::string>(), "NATS URL(s), comma separated (default: $NATS_URL)")(
      "cluster", po::value<std::string>(), "cluster name: the third subject token and id prefix")(
      "jetstream", po::bool_switch(),
      "publish to JetStream (exactly-once with consumer dedup); "
      "default is core NATS, at-most-once")("stream", po::value<std::string>(),
                                            "JetStream stream name (default LINSTOR_<CLUSTER>)")(
      "bucket", po::value<std::string>(),
      "state mirror KV bucket (default linstor_<cluster>_state)")(
      "replicas", po::value<int>(), "stream and bucket replicas (default 1)")(
      "dedup-window", po::value<std::string>(), "stream duplicate window (default 2m)")(
      "poll-interval", po::value<std::string>(), "time between full polls (default 1s)")(
      "request-timeout", po::value<std::string>(),
      "deadline of every LINSTOR request (default 5s)")(
      "ack-timeout", po::value<std::string>(),
      "JetStream ack deadline before a retry (default 5s)")(
      "drain-timeout", po::value<std::string>(), "how long SIGTERM waits for acks (default 15s)")(
      "creds", po::value<std::string>(), "NATS credentials file (.creds: user JWT + seed)")(
      "nkey-seed", po::value<std::string>(), "NATS nkey user seed file (nkey auth, no JWT)")(
      "inbox-prefix", po::value<std::string>(),
      "reply subject prefix instead of _INBOX (a user limited to its own inbox)")(
      "tls-ca", po::value<std::string>(),
      "CA certificate (PEM) that signed the NATS server's certificate; makes the connection TLS")(
      "tls-cert", po::value<std::string>(), "client certificate (PEM) for NATS mutual TLS")(
      "tls-key", po::value<std::string>(), "private key (PEM) of --tls-cert")(
      "linstor-ca", po::value<std::string>(),
      "CA certificate (PEM file or text) for https:// LINSTOR URLs (default: $LS_ROOT_CA, "
      "else the system's CAs)")(
      "linstor-cert", po::value<std::string>(),
      "client certificate for the LINSTOR API (default: $LS_USER_CERTIFICATE)")(
      "linstor-key", po::value<std::string>(),
      "private key of --linstor-cert (default: $LS_USER_KEY)")(
      "metrics-addr", po::value<std::string>(),
      "HOST:PORT for /metrics and /healthz (port 0 = any)")(
      "config", po::value<std::string>(), "YAML file holding any of these flags (long names)")(
      "timing-file", po::value<std::string>(), "JSONL timing side channel (id, observed, acked)")(
      "timing-subject", po::value<std::string>(), "core NATS subject for the timing side channel")(
      "pool-low-threshold", po::value<double>(),
      "pool.capacity_low below this free % (default 10)")(
      "resync-step", po::value<double>(), "report resync progress every N points (default 10)")(
      "page-size", po::value<size_t>(), "LINSTOR list page size, 0 = unpaged (default 1000)")(
      "max-in-flight", po::value<size_t>(), "JetStream publishes awaiting acks (default 4096)")(
      "no-sse", po::bool_switch(), "do not follow the SSE streams (poll only)")(
      "send-asap", po::bool_switch(),
      "write every publish to the socket at once (lowest latency, more syscalls)")(
      "quiet", po::bool_switch(), "no logs on stderr");
  po::positional_options_description positional;
  po::variables_map vm;
  int exit_code = kExitOk;
  if (!ParseOptions(args, "lnsim bridge --linstor URL --nats URL --cluster NAME [options]", options,
                    positional, &vm, &exit_code)) {
    return exit_code;
  }
  bridge::BridgeConfig config;
  if (const char* env = std::getenv("LS_CONTROLLERS")) config.linstor_urls = bridge::SplitList(env);
  if (const char* env = std::getenv("NATS_URL")) config.nats_urls = bridge::SplitList(env);
  // golinstor's variables for an https:// controller; they hold PEM text (a path works too).
  if (const char* env = std::getenv("LS_ROOT_CA"); env && *env) config.linstor_tls.ca = env;
  if (const char* env = std::getenv("LS_USER_CERTIFICATE"); env && *env) {
    config.linstor_tls.cert = env;
  }
  if (const char* env = std::getenv("LS_USER_KEY"); env && *env) config.linstor_tls.key = env;
  if (vm.count("config")) {
    Status st = bridge::LoadBridgeConfigFile(vm["config"].as<std::string>(), &config);
    if (!st.ok()) return UsageError("bridge", st.message());
  }
  auto str = [&](const char* name, std::string* out) {
    if (vm.count(name)) *out = vm[name].as<std::string>();
  };
  auto dur = [&](const char* name, Duration* out) -> bool {
    if (!vm.count(name)) return true;
    auto d = ParseDuration(vm[name].as<std::string>());
    if (!d.ok()) {
      UsageError("bridge", std::string("--") + name + ": " + d.status().message());
      return false;
    }
    *out = *d;
    return true;
  };
  if (vm.count("linstor")) config.linstor_urls = bridge::SplitList(vm["linstor"].as<std::string>());
  if (vm.count("nats")) config.nats_urls = bridge::SplitList(vm["nats"].as<std::string>());
  str("cluster", &config.cluster);
  if (vm["jetstream"].as<bool>()) config.jetstream = true;
  str("stream", &config.stream);
  str("bucket", &config.bucket);
  if (vm.count("replicas")) config.replicas = vm["replicas"].as<int>();
  if (!dur("dedup-window", &config.dedup_window) || !dur("poll-interval", &config.poll_interval) ||
      !dur("request-timeout", &config.request_timeout) ||
      !dur("ack-timeout", &config.ack_timeout) || !dur("drain-timeout", &config.drain_timeout)) {
    return kExitUsage;
  }
  str("creds", &config.creds_file);
  str("nkey-seed", &config.nkey_seed_file);
  str("inbox-prefix", &config.inbox_prefix);
  str("tls-ca", &config.nats_tls.ca);
  str("tls-cert", &config.nats_tls.cert);
  str("tls-key", &config.nats_tls.key);
  str("linstor-ca", &config.linstor_tls.ca);
  str("linstor-cert", &config.linstor_tls.cert);
  str("linstor-key", &config.linstor_tls.key);
  str("metrics-addr", &config.metrics_addr);
  str("timing-file", &config.timing_file);
  str("timing-subject", &config.timing_subject);
  if (vm.count("pool-low-threshold")) {
    config.pool_low_threshold_percent = vm["pool-low-threshold"].as<double>();
  }
  if (vm.count("resync-step")) config.resync_step_percent = vm["resync-step"].as<double>();
  if (vm.count("page-size")) config.page_size = vm["page-size"].as<size_t>();
  if (vm.count("max-in-flight")) config.max_in_flight = vm["max-in-flight"].as<size_t>();
  if (vm["no-sse"].as<bool>()) config.sse = false;
  if (vm["send-asap"].as<bool>()) config.send_asap = true;
  {
    Status st = bridge::ValidateBridgeConfig(&config);
    if (!st.ok()) return UsageError("bridge", st.message());
  }

  // Signals are taken by one thread (sigwait); every other thread inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Every poll builds a new snapshot and frees the previous one: keep that memory in the process
  // instead of returning it to the kernel and faulting it in again next poll.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  RealClock clock;
  bridge::Logger logger(clock);
  if (vm["quiet"].as<bool>()) logger.set_quiet(true);
  bridge::Bridge b(config, clock, &logger);
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
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) {
      logger.Log("info", "signal received; draining", {{"signal", std::to_string(sig)}});
    }
    b.RequestStop();
  });
  st = b.Run();
  // Wake the signal thread if Run ended on its own.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return st.ok() ? kExitOk : kExitFailed;
}

}  // namespace

LNSIM_REGISTER_SUBCOMMAND(bridge, "bridge",
                          "watch a LINSTOR controller and publish changes as CloudEvents on NATS",
                          RunBridge);

}  // namespace lnsim::cli
