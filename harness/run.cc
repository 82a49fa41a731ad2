// `lnsim run`: orchestration of one scenario end to end (see run.h for the time model).
#include "harness/run.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "common/duration.h"
#include "common/rng.h"
#include "harness/bundle.h"
#include "harness/child_process.h"
#include "harness/consumer.h"
#include "harness/fault_proxy.h"
#include "harness/harness_spec.h"
#include "harness/invariants.h"
#include "harness/nats_cluster.h"
#include "harness/nats_auth.h"
#include "harness/nats_server.h"
#include "harness/observation.h"
#include "harness/scenario_loader.h"
#include "harness/slo.h"
#include "harness/verifier.h"
#include "mock-linstor/api_faults.h"
#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Follows `base` until the cap, then stands still: the world stops at the scenario's run length
// while the drain phase lets the pipeline catch up. Wall-clock time (UnixNanos) keeps moving.
// Waits on it last as long as asked in the base clock's time (ClockWrapper), also past the cap.
class CappedClock final : public ClockWrapper {
 public:
  explicit CappedClock(const Clock& base) : ClockWrapper(base) {}
  Duration Now() const override {
    return std::min(base().Now(), Duration(cap_.load(std::memory_order_acquire)));
  }
  void SetCap(Duration cap) { cap_.store(cap.count(), std::memory_order_release); }

 private:
  std::atomic<int64_t> cap_{INT64_MAX};
};

std::string Line(const YAML::Node& n) { return std::to_string(n.Mark().line + 1); }

}  // namespace

StatusOr<BridgeSpec> ParseBridgeSection(const YAML::Node& node, const std::string& path) {
  BridgeSpec spec;
  if (!node.IsDefined() || node.IsNull()) return spec;
  auto err = [&](const YAML::Node& at, const std::string& key, const std::string& what) {
    return InvalidArgumentError(path + ":" + Line(at) + ": bridge." + key + ": " + what);
  };
  if (!node.IsMap()) return err(node, "", "must be a mapping");
  static const std::vector<std::string> kKeys = {
      "command",     "cluster",   "poll_interval",      "request_timeout", "dedup_window",
      "resync_step", "pool_low_threshold", "sse",        "extra_args", "https"};
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    auto duration = [&](Duration* out) -> Status {
      auto d = ParseDuration(v.IsScalar() ? v.Scalar() : "");
      if (!d.ok()) return err(v, key, d.status().message());
      if (d->count() <= 0) return err(v, key, "must be > 0");
      *out = *d;
      return OkStatus();
    };
    auto number = [&](double* out) -> Status {
      try {
        *out = v.as<double>();
      } catch (const YAML::Exception&) {
        return err(v, key, "must be a number");
      }
      if (*out < 0) return err(v, key, "must be >= 0");
      return OkStatus();
    };
    try {
      if (key == "command") {
        spec.command = v.as<std::string>();
      } else if (key == "cluster") {
        spec.cluster = v.as<std::string>();
        if (spec.cluster.empty()) return err(v, key, "must not be empty");
      } else if (key == "poll_interval") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.poll_interval));
      } else if (key == "request_timeout") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.request_timeout));
      } else if (key == "dedup_window") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.dedup_window));
      } else if (key == "resync_step") {
        LNSIM_RETURN_IF_ERROR(number(&spec.resync_step));
      } else if (key == "pool_low_threshold") {
        LNSIM_RETURN_IF_ERROR(number(&spec.pool_low_threshold));
      } else if (key == "sse") {
        spec.sse = v.as<bool>();
      } else if (key == "https") {
        spec.https = v.as<bool>();
      } else if (key == "extra_args") {
        if (!v.IsSequence()) return err(v, key, "must be a list of strings");
        for (const auto& a : v) spec.extra_args.push_back(a.as<std::string>());
      } else {
        return err(kv.first, key, "unknown key" + sim::DidYouMean(key, kKeys));
      }
    } catch (const YAML::Exception&) {
      return err(v, key, "has the wrong type");
    }
  }
  return spec;
}

namespace {

struct HarnessFault {
  size_t index = 0;  // in world fault_windows() / spec().faults
  sim::FaultKind kind = sim::FaultKind::kNatsRestart;
  HarnessFaultParams params;
  Duration start{0};
  Duration end{0};
  bool started = false;
  bool ended = false;
};

// A fault on a cluster member, as it happened (report.cluster.faults).
struct ClusterFaultRun {
  size_t fault = 0;  // index into harness_faults_
  int member = -1;
  ClusterFault record;
  std::unique_ptr<ElectionTimer> election;  // only when the member led the stream
  int64_t at_unix_ns = 0;
};

struct BridgeProcess {
  std::unique_ptr<ChildProcess> child;
  int metrics_port = 0;
  int restarts = 0;
};

// Everything one run owns; destroyed in reverse order of construction (consumers and the bridge
// before NATS and the mock), so nothing is left running whatever path leaves RunScenario.
class Run {
 public:
  Run(const RunOptions& options, const Clock& clock, std::ostream& log,
      const volatile bool* interrupted)
      : options_(options), clock_(clock), capped_(clock), log_(log), interrupted_(interrupted) {}
  ~Run() { Shutdown(); }

  RunOutcome Execute();

 private:
  Status Configure();
  Status StartNats();
  Status StartProxies();
  Status StartMock();
  Status StartBridge();
  Status WaitBridgeReady(BridgeProcess* bridge, Duration timeout);
  Status StartConsumer(size_t i);
  void ApplyFaultStart(HarnessFault& f);
  void ApplyFaultEnd(HarnessFault& f);
  void Pump(milliseconds wait);
  void RecordDelivery(const Delivery& d);
  // lnsim_bridge_polls_total from lnsim's bridge's /metrics; nullopt for a team's bridge or when
  // the bridge does not answer.
  std::optional<uint64_t> BridgePolls();
  // lnsim_bridge_acks_pending + lnsim_bridge_publish_queue (publishes not yet acknowledged);
  // nullopt as BridgePolls.
  std::optional<uint64_t> BridgeOutstanding();
  void ReadTiming();
  void PrintProgress(bool final_line);
  bool Interrupted() const { return interrupted_ != nullptr && *interrupted_; }
  Duration WorldNow() const { return capped_.Now() - t0_; }
  void Shutdown();
  Report BuildReport();
  // Writes the reproduction bundle (harness/bundle.h) into `dir`.
  Status WriteBundle(const std::string& dir, const Report& report);
  // Which cluster member a fault's `member=` names right now (leader / bridge / number); -1 with
  // the reason in *why when it cannot be told.
  int ResolveMember(const std::string& member, std::string* leader, std::string* why);
  void StartClusterFault(HarnessFault& f);
  void EndClusterFault(HarnessFault& f);
  // Collects finished asynchronous member restarts (all of them when `wait`), recording failures.
  void JoinClusterRestarts(bool wait);
  // lnsim's bridge's lnsim_bridge_errors_total{kind="nats_..."} from /metrics.
  std::vector<std::pair<std::string, uint64_t>> BridgeNatsErrors();
  std::string NatsUrlForBridge() const {
    return bridge_proxy_ ? bridge_proxy_->nats_url() : nats_url_;
  }
  std::string NatsUrlForConsumers() const {
    return consumer_proxy_ ? consumer_proxy_->nats_url() : nats_url_;
  }

  const RunOptions& options_;
  const Clock& clock_;
  CappedClock capped_;
  std::ostream& log_;
  const volatile bool* interrupted_;

  Scenario scenario_;
  HarnessSpec harness_;
  BridgeSpec bridge_spec_;
  std::vector<mock::ApiFault> api_faults_;
  std::vector<HarnessFault> harness_faults_;
  std::string cluster_name_;
  std::string stream_name_;
  bool jetstream_ = true;

  std::string work_dir_;
  bool temp_work_dir_ = false;
  std::string timing_path_;

  // World facts copied before the world moves into the mock.
  sim::Cluster initial_cluster_;
  std::vector<sim::FaultWindow> windows_;
  Duration run_length_{0};
  uint64_t seed_ = 0;

  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<NatsCluster> cluster_;  // `nats.cluster`: instead of nats_
  std::unique_ptr<StreamLeaderProbe> leader_probe_;
  std::vector<ClusterFaultRun> cluster_faults_;
  std::vector<std::pair<std::string, uint64_t>> bridge_nats_errors_;
  int stream_replicas_ = 1;
  std::string nats_url_;
  tls::ClientTlsFiles nats_tls_;  // what the bridge and consumers present/trust ("" = plain)
  // `nats.auth: jwt`: the operator, accounts and creds of this run (work dir auth/), and the
  // rogue clients of `nats.rogue` with their results.
  std::optional<AuthInitResult> auth_;
  std::vector<std::unique_ptr<RogueClient>> rogues_;
  std::optional<AuthSummary> auth_summary_;
  Status StartRogues();
  void StopRogues();
  std::string nats_version_;
  std::unique_ptr<FaultProxy> bridge_proxy_;
  std::unique_ptr<FaultProxy> consumer_proxy_;
  std::unique_ptr<mock::MockServer> mock_;
  Duration t0_{0};
  int64_t epoch_unix_ns_ = 0;
  std::string mock_url_;
  std::string mock_https_url_;  // bridge.https: the mock's HTTPS listener
  std::string linstor_ca_;      // ... and the CA that signed its certificate
  BridgeProcess bridge_;
  DeliveryQueue queue_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::vector<std::shared_ptr<DedupSet>> dedup_sets_;
  std::unique_ptr<ObservationDecoder> decoder_;

  // Receipts, decoded as they arrive (under the world lock, against the live cluster).
  std::vector<Observation> observations_;
  std::vector<uint32_t> extras_begin_;
  std::vector<Assertion> extras_;
  std::vector<std::string> observation_ids_;
  std::vector<Delivery> batch_;
  uint64_t decode_errors_ = 0;
  int64_t last_delivery_real_ns_ = 0;

  // Timing side channel: id -> acked unix ns; count of first publishes.
  std::unordered_map<std::string, int64_t> acked_;
  // (observed, acked) unix ns of every first publish, on a `nats.cluster` run: report.cluster's
  // first_ack is the first event observed after a fault that was acknowledged.
  std::vector<std::pair<int64_t, int64_t>> observed_acked_;
  uint64_t published_unique_ = 0;
  uint64_t published_duplicates_ = 0;
  std::ifstream timing_in_;
  std::string timing_partial_;

  int64_t baseline_ns_ = 0;
  int64_t bridge_started_ns_ = 0;  // world time the (first) bridge was spawned
  std::vector<std::string> failed_checks_;
  std::string scenario_text_;
  // Receipts as delivered (events.jsonl in the work dir) and, per consumer, the processed
  // stream (first receipt of each id) for the domain invariants.
  std::ofstream events_out_;
  std::vector<std::vector<bridge::Event>> streams_;
  std::vector<std::unordered_map<std::string, bool>> stream_ids_;
  std::vector<std::string> invariant_violations_;

  std::vector<std::string> fault_log_;
  int64_t last_progress_real_ns_ = 0;
  bool shut_down_ = false;
};

Status Run::Configure() {
  if (options_.scenario_text.empty()) {
    LNSIM_ASSIGN_OR_RETURN(scenario_, LoadScenarioFile(options_.scenario_path));
    auto text = ReadWholeFile(options_.scenario_path);
    scenario_text_ = text.ok() ? *text : "";
  } else {
    LNSIM_ASSIGN_OR_RETURN(scenario_,
                           LoadScenarioText(options_.scenario_text, options_.scenario_path));
    scenario_text_ = options_.scenario_text;
  }
  sim::WorldSpec& world = scenario_.world;
  if (options_.seed) world.seed = *options_.seed;
  if (options_.duration) world.duration = *options_.duration;
  if (options_.time_scale) {
    if (!(*options_.time_scale > 0)) return InvalidArgumentError("--time-scale must be > 0");
    world.time_scale = *options_.time_scale;
  }
  seed_ = world.seed;
  LNSIM_ASSIGN_OR_RETURN(harness_, ParseHarnessSections(scenario_));
  if (options_.jetstream) {
    harness_.nats.jetstream = *options_.jetstream;
    if (!scenario_.consumers.IsDefined()) {
      // The default consumer follows the mode.
      harness_.consumers.clear();
      ConsumerSpec cs;
      cs.mode = harness_.nats.jetstream ? ConsumerMode::kJetStreamAckSync : ConsumerMode::kCore;
      cs.name = harness_.nats.jetstream ? "js-1" : "core-1";
      harness_.consumers.push_back(cs);
    }
  }
  jetstream_ = harness_.nats.jetstream;
  if (options_.drain) harness_.drain = *options_.drain;
  for (const ConsumerSpec& c : harness_.consumers) {
    if (!jetstream_ && c.mode != ConsumerMode::kCore) {
      return InvalidArgumentError(options_.scenario_path + ": consumers: consumer '" + c.name +
                                  "' is " + std::string(ConsumerModeName(c.mode)) +
                                  " but the bridge publishes to core NATS (nats.jetstream: false)");
    }
  }
  if (!options_.nats_urls.empty()) harness_.nats.url = options_.nats_urls;
  // A live server or cluster (--nats) is used as it is: no local cluster is started.
  if (!harness_.nats.url.empty()) harness_.nats.cluster = 0;
  stream_replicas_ = harness_.nats.replicas > 0   ? harness_.nats.replicas
                     : harness_.nats.cluster > 1 ? std::min(harness_.nats.cluster, 5)
                                                 : 1;
  if (!options_.nats_server_bin.empty()) harness_.nats.server_bin = options_.nats_server_bin;

  if (scenario_.api.IsDefined() && !scenario_.api.IsNull()) {
    auto faults = mock::ParseApiSection(scenario_.api);
    if (!faults.ok()) {
      return InvalidArgumentError(options_.scenario_path + ":" + faults.status().message());
    }
    api_faults_ = std::move(*faults);
  }
  LNSIM_ASSIGN_OR_RETURN(bridge_spec_, ParseBridgeSection(scenario_.bridge, options_.scenario_path));
  if (!options_.bridge_command.empty()) bridge_spec_.command = options_.bridge_command;

  for (size_t i = 0; i < world.faults.size(); ++i) {
    const sim::FaultSpec& f = world.faults[i];
    if (f.kind != sim::FaultKind::kNatsRestart && f.kind != sim::FaultKind::kBridgeKill &&
        f.kind != sim::FaultKind::kConsumerCrash && f.kind != sim::FaultKind::kNetwork) {
      continue;
    }
    HarnessFault hf;
    hf.index = i;
    hf.kind = f.kind;
    LNSIM_ASSIGN_OR_RETURN(hf.params, ParseHarnessFaultParams(f, options_.scenario_path));
    if ((f.kind == sim::FaultKind::kNatsRestart || hf.params.target == "routes") &&
        !harness_.nats.url.empty()) {
      return InvalidArgumentError(options_.scenario_path + ":" + std::to_string(f.source_line) +
                                  ": faults[" + std::to_string(i) +
                                  "]: " + std::string(sim::Name(f.kind)) +
                                  " needs the embedded nats-server or cluster (no --nats)");
    }
    if (f.kind == sim::FaultKind::kBridgeKill && !bridge_spec_.command.empty()) {
      // A team's bridge is killed the same way: it is our child process too.
    }
    harness_faults_.push_back(std::move(hf));
  }
  return OkStatus();
}

Status Run::StartNats() {
  if (!harness_.nats.url.empty()) {
    nats_url_ = harness_.nats.url;
    // A live server keeps streams between runs: give this run its own cluster and stream names
    // so that nothing from an earlier run is recovered or consumed.
    const uint64_t run_id = Fnv1a64(std::to_string(clock_.UnixNanos()) + std::to_string(getpid()));
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(run_id));
    cluster_name_ = bridge_spec_.cluster + "-" + suffix;
    stream_name_ = harness_.nats.stream + "_" + suffix;
    nats_tls_ = options_.nats_tls;
    if (harness_.nats.tls && !nats_tls_.any()) {
      log_ << "note: nats.tls applies to the embedded server; with --nats give --tls-ca (and "
              "--tls-cert/--tls-key) for a TLS server\n";
    }
    return OkStatus();
  }
  cluster_name_ = bridge_spec_.cluster;
  stream_name_ = harness_.nats.stream;
  if (harness_.nats.cluster > 1) {
    NatsClusterOptions co;
    co.size = harness_.nats.cluster;
    co.binary = harness_.nats.server_bin;
    co.work_dir = work_dir_ + "/nats";
    for (const HarnessFault& f : harness_faults_) co.route_proxies |= f.params.target == "routes";
    LNSIM_ASSIGN_OR_RETURN(cluster_, NatsCluster::Start(co, clock_));
    nats_url_ = cluster_->urls();
    if (auto v = cluster_->server(0).Version(); v.ok()) nats_version_ = *v;
    log_ << "nats-server " << nats_version_ << " cluster of " << cluster_->size() << " on "
         << nats_url_ << (co.route_proxies ? " (routes through fault proxies)" : "") << "\n";
    return OkStatus();
  }
  NatsServerOptions o;
  o.binary = harness_.nats.server_bin;
  o.jetstream = true;
  o.work_dir = work_dir_ + "/nats";
  o.keep_work_dir = true;  // inside our work dir, removed with it
  if (harness_.nats.auth_jwt) {
    // lnsim is the operator: one account for this run's cluster, plus one bridge user for each
    // cluster a rogue pretends to be (docs/auth.md).
    AuthInitOptions ao;
    ao.dir = work_dir_ + "/auth";
    // A team's bridge may not be able to set an inbox prefix: then every user keeps "_INBOX.>".
    ao.private_inboxes = bridge_spec_.command.empty();
    ao.clusters.push_back({cluster_name_, stream_name_, ""});
    for (const RogueSpec& r : harness_.nats.rogues) {
      if (r.creds.rfind("bridge:", 0) != 0) continue;
      const std::string other = r.creds.substr(7);
      bool known = false;
      for (const AuthCluster& c : ao.clusters) known |= c.name == other;
      if (!known) ao.clusters.push_back({other, "", ""});
    }
    LNSIM_ASSIGN_OR_RETURN(auth_, InitAuth(ao));
    o.config_file = auth_->server_conf;
    auth_summary_ = AuthSummary{};
    auth_summary_->mode = "jwt";
  }
  if (harness_.nats.tls) {
    // A throwaway PKI in the work dir: the server's certificate for 127.0.0.1, its CA for the
    // clients, and a client certificate when the server verifies clients.
    LNSIM_ASSIGN_OR_RETURN(tls::CertificateFiles certs,
                           tls::GenerateCertificates(work_dir_ + "/tls"));
    o.tls_cert = certs.server_cert;
    o.tls_key = certs.server_key;
    o.tls_ca = certs.ca_cert;
    o.tls_verify = harness_.nats.tls_verify;
    nats_tls_.ca = certs.ca_cert;
    if (harness_.nats.tls_verify) {
      nats_tls_.cert = certs.client_cert;
      nats_tls_.key = certs.client_key;
    }
  }
  LNSIM_ASSIGN_OR_RETURN(nats_, NatsServer::Start(o, clock_));
  nats_url_ = nats_->url();
  if (auto v = nats_->Version(); v.ok()) nats_version_ = *v;
  log_ << "nats-server " << nats_version_ << " on " << nats_url_ << " (store " << nats_->store_dir()
       << ")" << (harness_.nats.tls ? harness_.nats.tls_verify ? " TLS with client certificates"
                                                              : " TLS"
                                    : "")
       << "\n";
  return OkStatus();
}

Status Run::StartProxies() {
  bool bridge_link = harness_.network.bridge_proxy;
  bool consumer_link = harness_.network.consumers_proxy;
  for (const ConsumerSpec& c : harness_.consumers) consumer_link |= c.via_proxy;
  for (const HarnessFault& f : harness_faults_) {
    if (f.kind != sim::FaultKind::kNetwork || f.params.target == "routes") continue;
    (f.params.target == "consumers" ? consumer_link : bridge_link) = true;
  }
  if (!bridge_link && !consumer_link) return OkStatus();
  // The proxy fronts the first server of the list.
  std::string first = nats_url_.substr(0, nats_url_.find(','));
  const size_t scheme = first.find("://");
  if (scheme != std::string::npos) first = first.substr(scheme + 3);
  const size_t colon = first.rfind(':');
  if (colon == std::string::npos) {
    return InvalidArgumentError("cannot put a fault proxy in front of '" + nats_url_ +
                                "': no port");
  }
  FaultProxyOptions po;
  po.upstream_host = first.substr(0, colon);
  if (po.upstream_host == "localhost") po.upstream_host = "127.0.0.1";
  po.upstream_port = std::atoi(first.substr(colon + 1).c_str());
  Rng rng(seed_);
  if (bridge_link) {
    LNSIM_ASSIGN_OR_RETURN(bridge_proxy_, FaultProxy::Start(po, clock_, rng.Fork("proxy/bridge")));
    bridge_proxy_->SetFaults(harness_.network.bridge);
  }
  if (consumer_link) {
    LNSIM_ASSIGN_OR_RETURN(consumer_proxy_,
                           FaultProxy::Start(po, clock_, rng.Fork("proxy/consumers")));
    consumer_proxy_->SetFaults(harness_.network.consumers);
  }
  return OkStatus();
}

Status Run::StartMock() {
  auto world = sim::World::Create(scenario_.world, scenario_.world.seed);
  if (!world.ok()) return InvalidArgumentError(options_.scenario_path + ": " + world.status().message());
  initial_cluster_ = (*world)->cluster();
  windows_ = (*world)->fault_windows();
  run_length_ = (*world)->RunLength();

  mock::ServerOptions so;
  so.port = 0;
  so.api_faults = api_faults_;
  so.seed = seed_;
  t0_ = clock_.Now();
  capped_.SetCap(t0_ + run_length_);
  epoch_unix_ns_ = clock_.UnixNanos();
  so.epoch_unix_ms = epoch_unix_ns_ / 1000000;
  if (bridge_spec_.https) {
    LNSIM_ASSIGN_OR_RETURN(tls::CertificateFiles certs,
                           tls::GenerateCertificates(work_dir_ + "/linstor-tls"));
    so.https_port = 0;
    so.tls_cert_file = certs.server_cert;
    so.tls_key_file = certs.server_key;
    linstor_ca_ = certs.ca_cert;
  }
  mock_ = std::make_unique<mock::MockServer>(std::move(world).value(), capped_, so);
  LNSIM_RETURN_IF_ERROR(mock_->Start());
  mock_url_ = "http://127.0.0.1:" + std::to_string(mock_->port());
  if (bridge_spec_.https) {
    mock_https_url_ = "https://127.0.0.1:" + std::to_string(mock_->https_port());
    log_ << "mock LINSTOR controller HTTPS on " << mock_https_url_ << " (CA " << linstor_ca_
         << ")\n";
  }
  mock_->WithWorld([&](sim::World& w, mock::MockState&) {
    decoder_ = std::make_unique<ObservationDecoder>(w.cluster(), epoch_unix_ns_);
  });
  log_ << "mock LINSTOR controller on " << mock_url_ << "\n";
  return OkStatus();
}

Status Run::WaitBridgeReady(BridgeProcess* bridge, Duration timeout) {
  const Duration deadline = clock_.Now() + timeout;
  if (bridge_spec_.command.empty()) {
    // lnsim's bridge prints its metrics address once NATS is connected and the stream exists.
    while (bridge->metrics_port == 0) {
      const Duration left = deadline - clock_.Now();
      if (left <= Duration::zero() || Interrupted()) break;
      auto line = bridge->child->ReadLine(std::min<Duration>(left, milliseconds(200)));
      if (line.ok()) {
        const std::string prefix = "listening on http://";
        if (line->rfind(prefix, 0) == 0) {
          bridge->metrics_port = std::atoi(line->substr(line->rfind(':') + 1).c_str());
        }
      } else if (line.status().code() == StatusCode::kNotFound || !bridge->child->Running()) {
        return UnavailableError("the bridge exited during start-up (" +
                                (bridge->child->Running()
                                     ? std::string("closed its output")
                                     : bridge->child->exit_status()->ToString()) +
                                "); see " + work_dir_ + "/bridge.log");
      }
    }
    if (bridge->metrics_port == 0) {
      return DeadlineExceededError("the bridge did not report its metrics address within " +
                                   FormatDuration(timeout) + "; see " + work_dir_ + "/bridge.log");
    }
    // Ready = connected and the first full poll done (/healthz 200).
    httplib::Client http("127.0.0.1", bridge->metrics_port);
    http.set_connection_timeout(1, 0);
    http.set_read_timeout(2, 0);
    while (clock_.Now() < deadline && !Interrupted()) {
      auto res = http.Get("/healthz");
      if (res && res->status == 200) return OkStatus();
      if (!bridge->child->Running()) {
        return UnavailableError("the bridge exited before it was ready (" +
                                bridge->child->exit_status()->ToString() + "); see " + work_dir_ +
                                "/bridge.log");
      }
      // Bounded poll of a readiness endpoint (not synchronisation by sleeping).
      Pump(milliseconds(50));
    }
    return DeadlineExceededError("the bridge was not ready (/healthz) within " +
                                 FormatDuration(timeout) + "; see " + work_dir_ + "/bridge.log");
  }
  // A team's own bridge gives no readiness signal lnsim knows: its first full poll is assumed
  // done after one request timeout plus one poll interval (documented in docs/scenarios.md).
  const Duration assumed = clock_.Now() + bridge_spec_.request_timeout + bridge_spec_.poll_interval;
  while (clock_.Now() < assumed && !Interrupted()) {
    if (!bridge->child->Running()) {
      return UnavailableError("the bridge command exited during start-up (" +
                              bridge->child->exit_status()->ToString() + "); see " + work_dir_ +
                              "/bridge.log");
    }
    Pump(milliseconds(50));
  }
  return OkStatus();
}

Status Run::StartBridge() {
  ChildOptions co;
  co.log_path = work_dir_ + "/bridge.log";
  const std::string nats = NatsUrlForBridge();
  const std::string linstor = bridge_spec_.https ? mock_https_url_ : mock_url_;
  if (bridge_spec_.command.empty()) {
    co.argv = {options_.lnsim_binary,
               "bridge",
               "--linstor",
               linstor,
               "--nats",
               nats,
               "--cluster",
               cluster_name_,
               "--poll-interval",
               FormatDuration(bridge_spec_.poll_interval),
               "--request-timeout",
               FormatDuration(bridge_spec_.request_timeout),
               "--timing-file",
               timing_path_,
               "--metrics-addr",
               "127.0.0.1:0",
               "--resync-step",
               std::to_string(bridge_spec_.resync_step),
               "--pool-low-threshold",
               std::to_string(bridge_spec_.pool_low_threshold)};
    if (jetstream_) {
      for (const char* a : {"--jetstream", "--stream"}) co.argv.push_back(a);
      co.argv.push_back(stream_name_);
      co.argv.push_back("--dedup-window");
      co.argv.push_back(FormatDuration(bridge_spec_.dedup_window));
      if (stream_replicas_ > 1) {
        co.argv.push_back("--replicas");
        co.argv.push_back(std::to_string(stream_replicas_));
      }
    }
    if (!bridge_spec_.sse) co.argv.push_back("--no-sse");
    if (bridge_spec_.https) co.argv.insert(co.argv.end(), {"--linstor-ca", linstor_ca_});
    for (const auto& [flag, file] : {std::pair{"--tls-ca", nats_tls_.ca},
                                     {"--tls-cert", nats_tls_.cert},
                                     {"--tls-key", nats_tls_.key}}) {
      if (!file.empty()) co.argv.insert(co.argv.end(), {flag, file});
    }
    if (auth_) {
      const std::string user = BridgeUserName(cluster_name_);
      co.argv.insert(co.argv.end(), {"--creds", auth_->creds.at(user), "--inbox-prefix",
                                     auth_->inbox_prefix.at(user)});
    }
    for (const auto& a : bridge_spec_.extra_args) co.argv.push_back(a);
    co.capture_stdout = true;
    co.env = options_.bridge_env;
  } else {
    co.argv = {"/bin/sh", "-c", bridge_spec_.command};
    co.env = {"LNSIM_LINSTOR_URL=" + linstor,   "LS_CONTROLLERS=" + linstor,
              "LNSIM_NATS_URL=" + nats,         "NATS_URL=" + nats,
              "LNSIM_CLUSTER=" + cluster_name_, "LNSIM_STREAM=" + stream_name_,
              std::string("LNSIM_JETSTREAM=") + (jetstream_ ? "1" : "0"),
              "LNSIM_POLL_INTERVAL=" + FormatDuration(bridge_spec_.poll_interval)};
    if (bridge_spec_.https) {  // golinstor reads the CA's PEM text from LS_ROOT_CA
      std::ifstream ca(linstor_ca_);
      std::stringstream pem;
      pem << ca.rdbuf();
      co.env.push_back("LS_ROOT_CA=" + pem.str());
      co.env.push_back("LNSIM_LINSTOR_CA=" + linstor_ca_);
    }
    // TLS to NATS for a team's bridge: the files, empty when the bus is plain.
    co.env.push_back("LNSIM_NATS_TLS_CA=" + nats_tls_.ca);
    co.env.push_back("LNSIM_NATS_TLS_CERT=" + nats_tls_.cert);
    co.env.push_back("LNSIM_NATS_TLS_KEY=" + nats_tls_.key);
    // Operator mode (`nats.auth: jwt`): the bridge user's creds file, empty otherwise.
    co.env.push_back("LNSIM_NATS_CREDS=" +
                     (auth_ ? auth_->creds.at(BridgeUserName(cluster_name_)) : std::string()));
  }
  LNSIM_ASSIGN_OR_RETURN(bridge_.child, ChildProcess::Spawn(co, clock_));
  bridge_.metrics_port = 0;
  return WaitBridgeReady(&bridge_, seconds(30));
}

Status Run::StartConsumer(size_t i) {
  const ConsumerSpec& spec = harness_.consumers[i];
  ConsumerOptions co;
  co.name = spec.name;
  co.mode = spec.mode;
  co.url = spec.via_proxy || consumer_proxy_ ? NatsUrlForConsumers() : nats_url_;
  co.subject = spec.subject;
  if (co.subject == "linstor.v1.>") co.subject = "linstor.v1." + cluster_name_ + ".>";
  co.stream = stream_name_;
  co.dedup = spec.dedup;
  co.dedup_set = dedup_sets_[i];
  co.ack_wait = spec.ack_wait;
  co.tls = nats_tls_;
  if (auth_) {
    co.creds_file = auth_->creds.at("consumer");
    co.inbox_prefix = auth_->inbox_prefix.at("consumer");
  }
  LNSIM_ASSIGN_OR_RETURN(auto consumer,
                         Consumer::Start(co, static_cast<uint32_t>(i), clock_, &queue_));
  dedup_sets_[i] = consumer->dedup_set();
  consumers_[i] = std::move(consumer);
  return OkStatus();
}

void Run::Pump(milliseconds wait) {
  batch_.clear();
  queue_.PopAll(&batch_, wait);
  ReadTiming();
  if (batch_.empty()) return;
  last_delivery_real_ns_ = clock_.Now().count();
  mock_->WithWorld([&](sim::World&, mock::MockState&) {
    std::vector<Assertion> extras;
    for (const Delivery& d : batch_) {
      Observation o;
      if (!decoder_->Decode(d, &o, &extras).ok()) ++decode_errors_;
      o.extra_count = static_cast<uint32_t>(extras.size());
      extras_begin_.push_back(static_cast<uint32_t>(extras_.size()));
      extras_.insert(extras_.end(), extras.begin(), extras.end());
      observations_.push_back(o);
      observation_ids_.push_back(d.id);
      RecordDelivery(d);
    }
  });
}

std::optional<uint64_t> Run::BridgePolls() {
  if (!bridge_spec_.command.empty() || !bridge_.child || bridge_.metrics_port == 0) {
    return std::nullopt;
  }
  httplib::Client http("127.0.0.1", bridge_.metrics_port);
  http.set_connection_timeout(1, 0);
  http.set_read_timeout(2, 0);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return std::nullopt;
  const std::string name = "\nlnsim_bridge_polls_total ";
  const size_t at = res->body.find(name);
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(res->body.c_str() + at + name.size(), nullptr, 10);
}

std::optional<uint64_t> Run::BridgeOutstanding() {
  if (!bridge_spec_.command.empty() || !bridge_.child || bridge_.metrics_port == 0) {
    return std::nullopt;
  }
  httplib::Client http("127.0.0.1", bridge_.metrics_port);
  http.set_connection_timeout(1, 0);
  http.set_read_timeout(2, 0);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return std::nullopt;
  uint64_t total = 0;
  for (const char* gauge : {"\nlnsim_bridge_acks_pending ", "\nlnsim_bridge_publish_queue "}) {
    const size_t at = res->body.find(gauge);
    if (at == std::string::npos) return std::nullopt;
    total += std::strtoull(res->body.c_str() + at + std::strlen(gauge), nullptr, 10);
  }
  return total;
}

void Run::RecordDelivery(const Delivery& d) {
  if (events_out_.is_open()) {
    nlohmann::ordered_json j;
    j["consumer"] = d.consumer < harness_.consumers.size() ? harness_.consumers[d.consumer].name
                                                           : std::to_string(d.consumer);
    j["subject"] = d.subject;
    j["id"] = d.id;
    j["delivered_unix_ns"] = d.delivered_unix_ns;
    j["observed_unix_ns"] = d.observed_unix_ns;
    j["num_delivered"] = d.num_delivered;
    j["stream_sequence"] = d.stream_sequence;
    j["processed"] = d.processed;
    auto payload = nlohmann::ordered_json::parse(d.payload, nullptr, false);
    if (payload.is_discarded()) {
      j["payload_text"] = d.payload;
    } else {
      j["payload"] = std::move(payload);
    }
    events_out_ << j.dump() << '\n';
  }
  if (!d.processed || d.consumer >= streams_.size()) return;
  if (!stream_ids_[d.consumer].emplace(d.id, true).second) return;
  auto event = bridge::DecodeEvent(d.payload);
  if (event.ok()) streams_[d.consumer].push_back(std::move(*event));
}

void Run::ReadTiming() {
  if (timing_path_.empty()) return;
  if (!timing_in_.is_open()) {
    timing_in_.open(timing_path_);
    if (!timing_in_.is_open()) return;
  }
  timing_in_.clear();
  std::string chunk;
  char buf[65536];
  while (true) {
    timing_in_.read(buf, sizeof buf);
    const std::streamsize n = timing_in_.gcount();
    if (n <= 0) break;
    chunk.append(buf, static_cast<size_t>(n));
  }
  timing_in_.clear();
  if (chunk.empty()) return;
  timing_partial_ += chunk;
  size_t start = 0;
  while (true) {
    const size_t nl = timing_partial_.find('\n', start);
    if (nl == std::string::npos) break;
    const std::string_view line(timing_partial_.data() + start, nl - start);
    start = nl + 1;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id")) continue;
    const std::string id = j.value("id", "");
    const int64_t acked = j.value("acked_unix_ns", int64_t{0});
    if (j.value("duplicate", false)) {
      ++published_duplicates_;
      continue;
    }
    auto [it, inserted] = acked_.emplace(id, acked);
    if (inserted) {
      ++published_unique_;
      if (cluster_) {
        observed_acked_.emplace_back(j.value("observed_unix_ns", int64_t{0}), acked);
      }
    }
  }
  timing_partial_.erase(0, start);
}

void Run::ApplyFaultStart(HarnessFault& f) {
  const std::string at = FormatDurationHuman(WorldNow());
  switch (f.kind) {
    case sim::FaultKind::kNatsRestart:
      if (cluster_) {
        StartClusterFault(f);
        break;
      }
      if (!nats_) break;
      if (f.params.graceful) {
        (void)nats_->Stop();
      } else {
        nats_->Kill9();
      }
      fault_log_.push_back(at + ": nats-server " + (f.params.graceful ? "stopped" : "killed (-9)"));
      break;
    case sim::FaultKind::kBridgeKill:
      if (bridge_.child) bridge_.child->Kill();
      fault_log_.push_back(at + ": bridge killed (-9)");
      break;
    case sim::FaultKind::kConsumerCrash:
      for (size_t i = 0; i < consumers_.size(); ++i) {
        if (!f.params.consumer.empty() && harness_.consumers[i].name != f.params.consumer) continue;
        if (consumers_[i]) consumers_[i]->Stop();
        consumers_[i].reset();
        if (!f.params.keep_dedup) dedup_sets_[i] = std::make_shared<DedupSet>();
        fault_log_.push_back(at + ": consumer " + harness_.consumers[i].name + " crashed");
      }
      break;
    case sim::FaultKind::kNetwork: {
      if (f.params.target == "routes") {
        if (cluster_) StartClusterFault(f);
        break;
      }
      FaultProxy* proxy =
          f.params.target == "consumers" ? consumer_proxy_.get() : bridge_proxy_.get();
      if (proxy == nullptr) break;
      proxy->SetFaults(f.params.faults);
      if (f.params.reset) proxy->ResetConnections();
      fault_log_.push_back(at + ": network fault on the " + f.params.target + " link");
      break;
    }
    default:
      break;
  }
  f.started = true;
}

void Run::ApplyFaultEnd(HarnessFault& f) {
  const std::string at = FormatDurationHuman(WorldNow());
  switch (f.kind) {
    case sim::FaultKind::kNatsRestart:
      if (cluster_) {
        EndClusterFault(f);
        break;
      }
      if (!nats_) break;
      if (Status s = nats_->Restart(); !s.ok()) {
        failed_checks_.push_back("nats-server did not restart: " + s.message());
      } else {
        fault_log_.push_back(at + ": nats-server restarted");
      }
      break;
    case sim::FaultKind::kBridgeKill: {
      ++bridge_.restarts;
      if (Status s = StartBridge(); !s.ok()) {
        failed_checks_.push_back("the bridge did not restart: " + s.message());
      } else {
        fault_log_.push_back(at + ": bridge restarted");
      }
      break;
    }
    case sim::FaultKind::kConsumerCrash:
      for (size_t i = 0; i < consumers_.size(); ++i) {
        if (!f.params.consumer.empty() && harness_.consumers[i].name != f.params.consumer) continue;
        if (consumers_[i]) continue;
        if (Status s = StartConsumer(i); !s.ok()) {
          failed_checks_.push_back("consumer " + harness_.consumers[i].name +
                                   " did not restart: " + s.message());
        } else {
          fault_log_.push_back(at + ": consumer " + harness_.consumers[i].name + " restarted");
        }
      }
      break;
    case sim::FaultKind::kNetwork: {
      if (f.params.target == "routes") {
        if (cluster_) EndClusterFault(f);
        break;
      }
      const bool consumers = f.params.target == "consumers";
      FaultProxy* proxy = consumers ? consumer_proxy_.get() : bridge_proxy_.get();
      if (proxy == nullptr) break;
      proxy->SetFaults(consumers ? harness_.network.consumers : harness_.network.bridge);
      fault_log_.push_back(at + ": network fault on the " + f.params.target + " link cleared");
      break;
    }
    default:
      break;
  }
  f.ended = true;
}

int Run::ResolveMember(const std::string& member, std::string* leader, std::string* why) {
  // The stream's leader right before the fault: whom an election replaces.
  if (!leader_probe_) {
    auto probe = StreamLeaderProbe::Connect(nats_url_, stream_name_);
    if (probe.ok()) leader_probe_ = std::move(probe).value();
  }
  if (leader_probe_ && jetstream_) {
    // An earlier fault's election may still be running: `member=leader` waits for its outcome
    // (bounded, pumping deliveries meanwhile), since there is no leader to kill before that.
    const bool need_leader = member.empty() || member == "leader";
    const Duration deadline = clock_.Now() + (need_leader ? seconds(30) : Duration::zero());
    while (true) {
      auto l = leader_probe_->Leader(milliseconds(500));
      if (l.ok()) {
        *leader = *l;
        break;
      }
      if (clock_.Now() >= deadline || Interrupted()) break;
      Pump(milliseconds(50));
    }
  }
  if (member.empty() || member == "leader") {
    if (leader->empty()) {
      *why = jetstream_ ? "the stream " + stream_name_ + " has no leader to kill"
                        : "member=leader needs JetStream (core NATS has no stream leader)";
      return -1;
    }
    return cluster_->IndexOf(*leader);
  }
  if (member == "bridge") {
    // The bridge may be between two members (reconnecting after an earlier fault): ask again
    // for a while (bounded, pumping deliveries meanwhile).
    const Duration deadline = clock_.Now() + seconds(10);
    auto i = cluster_->MemberServing("lnsim-bridge/" + cluster_name_, clock_);
    while ((!i.ok() || *i < 0) && clock_.Now() < deadline && !Interrupted()) {
      Pump(milliseconds(100));
      i = cluster_->MemberServing("lnsim-bridge/" + cluster_name_, clock_);
    }
    if (!i.ok() || *i < 0) {
      *why = "no member serves the bridge's connection" +
             (i.ok() ? std::string() : " (" + i.status().message() + ")");
      return -1;
    }
    return *i;
  }
  return std::atoi(member.c_str()) - 1;
}

void Run::StartClusterFault(HarnessFault& f) {
  const std::string at = FormatDurationHuman(WorldNow());
  const bool routes = f.kind == sim::FaultKind::kNetwork;
  ClusterFaultRun run;
  run.fault = static_cast<size_t>(&f - harness_faults_.data());
  JoinClusterRestarts(/*wait=*/false);
  std::string why;
  std::string leader;
  run.member = ResolveMember(f.params.member, &leader, &why);
  if (run.member < 0 || run.member >= cluster_->size()) {
    failed_checks_.push_back(at + ": " + std::string(sim::Name(f.kind)) +
                             " member=" + (f.params.member.empty() ? "leader" : f.params.member) +
                             ": cannot tell which member: " + why);
    return;
  }
  run.record.fault = std::string(sim::Name(f.kind));
  run.record.member = cluster_->member_name(run.member);
  run.record.old_leader = leader;
  run.record.was_leader = !leader.empty() && leader == run.record.member;
  run.record.at_ms = std::chrono::duration<double, std::milli>(WorldNow()).count();
  if (run.record.was_leader) {
    // Asked through the other members: a cut-off leader may answer for itself a while longer.
    std::string others;
    for (int i = 0; i < cluster_->size(); ++i) {
      if (i != run.member) others += (others.empty() ? "" : ",") + cluster_->server(i).url();
    }
    run.election = std::make_unique<ElectionTimer>(others, stream_name_, leader, clock_);
  }
  run.at_unix_ns = clock_.UnixNanos();
  if (cluster_->Restarting(run.member)) {
    // Still catching up from an earlier fault: that restart finishes first.
    if (Status s = cluster_->JoinRestart(run.member); !s.ok()) {
      failed_checks_.push_back("nats " + run.record.member + " did not restart: " + s.message());
    }
  }
  const std::string what = run.record.member + (run.record.was_leader ? " (stream leader)" : "");
  if (routes) {
    if (Status s = cluster_->CutRoutes(run.member); !s.ok()) {
      failed_checks_.push_back("cannot cut the routes of " + what + ": " + s.message());
    }
    fault_log_.push_back(at + ": routes of nats " + what + " cut");
  } else {
    if (f.params.graceful) {
      (void)cluster_->server(run.member).Stop();
    } else {
      cluster_->server(run.member).Kill9();
    }
    fault_log_.push_back(at + ": nats " + what + (f.params.graceful ? " stopped" : " killed (-9)"));
  }
  cluster_faults_.push_back(std::move(run));
}

void Run::EndClusterFault(HarnessFault& f) {
  const std::string at = FormatDurationHuman(WorldNow());
  const size_t index = static_cast<size_t>(&f - harness_faults_.data());
  for (ClusterFaultRun& run : cluster_faults_) {
    if (run.fault != index) continue;
    if (f.kind == sim::FaultKind::kNetwork) {
      if (Status s = cluster_->HealRoutes(run.member); !s.ok()) {
        failed_checks_.push_back("cannot heal the routes of " + run.record.member + ": " +
                                 s.message());
      } else {
        fault_log_.push_back(at + ": routes of nats " + run.record.member + " healed");
      }
    } else {
      // Asynchronous: a JetStream member is ready only once it caught up with its peers, which
      // takes seconds; the timeline (and the pump) must go on meanwhile.
      cluster_->RestartAsync(run.member);
      fault_log_.push_back(at + ": nats " + run.record.member + " restarting with its store");
    }
    if (run.election) run.election->OldLeaderBack();
  }
}

void Run::JoinClusterRestarts(bool wait) {
  if (!cluster_) return;
  for (int i = 0; i < cluster_->size(); ++i) {
    if (!wait && cluster_->Restarting(i)) continue;
    if (Status s = cluster_->JoinRestart(i); !s.ok()) {
      failed_checks_.push_back("nats " + cluster_->member_name(i) +
                               " did not restart: " + s.message());
    }
  }
}

std::vector<std::pair<std::string, uint64_t>> Run::BridgeNatsErrors() {
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!bridge_spec_.command.empty() || !bridge_.child || bridge_.metrics_port == 0) return out;
  httplib::Client http("127.0.0.1", bridge_.metrics_port);
  http.set_connection_timeout(1, 0);
  http.set_read_timeout(2, 0);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) return out;
  const std::string prefix = "lnsim_bridge_errors_total{kind=\"";
  std::istringstream lines(res->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t end = line.find('"', prefix.size());
    if (end == std::string::npos) continue;
    const std::string kind = line.substr(prefix.size(), end - prefix.size());
    if (kind.rfind("nats_", 0) != 0) continue;
    const size_t space = line.rfind(' ');
    out.emplace_back(kind, std::strtoull(line.c_str() + space + 1, nullptr, 10));
  }
  return out;
}

void Run::PrintProgress(bool final_line) {
  if (!options_.progress) return;
  const int64_t now = clock_.Now().count();
  if (!final_line && now - last_progress_real_ns_ < 500'000'000) return;
  last_progress_real_ns_ = now;
  uint64_t min_processed = UINT64_MAX, redelivered = 0, dup_dropped = 0;
  for (const auto& c : consumers_) {
    if (!c) continue;
    const ConsumerStats s = c->stats();
    min_processed = std::min(min_processed, s.processed);
    redelivered += s.redelivered;
    dup_dropped += s.dedup_dropped;
  }
  if (min_processed == UINT64_MAX) min_processed = 0;
  const double elapsed = std::chrono::duration<double>(WorldNow()).count();
  const double total = std::chrono::duration<double>(run_length_).count();
  const double rate = elapsed > 0 ? static_cast<double>(observations_.size()) / elapsed : 0;
  const uint64_t backlog = published_unique_ > min_processed ? published_unique_ - min_processed : 0;
  char line[256];
  std::snprintf(line, sizeof line,
                "\r  %6.1fs/%.1fs  delivered %llu (%.0f/s)  published %llu  backlog %llu  "
                "redelivered %llu  dedup-dropped %llu   ",
                elapsed, total, static_cast<unsigned long long>(observations_.size()), rate,
                static_cast<unsigned long long>(published_unique_),
                static_cast<unsigned long long>(backlog),
                static_cast<unsigned long long>(redelivered),
                static_cast<unsigned long long>(dup_dropped));
  std::cerr << line << (final_line ? "\n" : "") << std::flush;
}

Status Run::StartRogues() {
  for (const RogueSpec& r : harness_.nats.rogues) {
    RogueOptions ro;
    ro.name = r.name;
    const std::string user = r.creds == "consumer" ? "consumer" : BridgeUserName(r.creds.substr(7));
    ro.creds_file = auth_->creds.at(user);
    ro.inbox_prefix = auth_->inbox_prefix.at(user);
    ro.url = nats_url_;
    ro.target_cluster = cluster_name_;
    ro.target_stream = jetstream_ ? stream_name_ : "";
    ro.every = r.every;
    ro.tls = nats_tls_;
    LNSIM_ASSIGN_OR_RETURN(auto rogue, RogueClient::Start(ro, clock_));
    rogues_.push_back(std::move(rogue));
  }
  return OkStatus();
}

void Run::StopRogues() {
  for (size_t i = 0; i < rogues_.size(); ++i) {
    rogues_[i]->Stop();
    const RogueStats st = rogues_[i]->stats();
    RogueResult rr{harness_.nats.rogues[i].name, harness_.nats.rogues[i].creds, st.attempts,
                   st.denials};
    auth_summary_->attempts += st.attempts;
    auth_summary_->denials += st.denials;
    auth_summary_->rogues.push_back(rr);
    // Every attempt must come back refused: one that did not may have landed.
    if (st.denials < st.attempts) {
      failed_checks_.push_back("rogue " + rr.name + ": " + std::to_string(st.attempts) +
                               " attempts but only " + std::to_string(st.denials) +
                               " permission violations reported");
    }
    for (const auto& sample : st.samples) fault_log_.push_back("denied (" + rr.name + "): " + sample);
  }
  rogues_.clear();
}

void Run::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  StopRogues();
  for (auto& c : consumers_) {
    if (c) c->Stop();
  }
  if (cluster_) bridge_nats_errors_ = BridgeNatsErrors();
  JoinClusterRestarts(/*wait=*/true);
  for (ClusterFaultRun& c : cluster_faults_) {
    if (c.election) {
      if (auto w = c.election->window()) {
        c.record.election_ms = std::chrono::duration<double, std::milli>(*w).count();
        c.record.new_leader = c.election->new_leader();
      }
      c.election.reset();
    }
  }
  leader_probe_.reset();
  if (bridge_.child) {
    // lnsim's bridge drains in-flight publishes on SIGTERM and exits 0; anything else is a
    // finding. A team's bridge runs under /bin/sh, whose exit we do not judge.
    const ExitStatus st = bridge_.child->Stop(seconds(20));
    if (bridge_spec_.command.empty() && !st.ok()) {
      failed_checks_.push_back("the bridge did not exit cleanly on SIGTERM (" + st.ToString() + ")");
    }
    bridge_.child.reset();
  }
  if (mock_) mock_->Stop();
  bridge_proxy_.reset();
  consumer_proxy_.reset();
  if (nats_) (void)nats_->Stop();
  cluster_.reset();
}

Report Run::BuildReport() {
  Report report;
  VerifierOptions vo;
  vo.observation_bound_ns = 2 * (bridge_spec_.poll_interval + bridge_spec_.request_timeout).count();
  vo.baseline_ns = baseline_ns_;
  vo.baseline_window_start_ns = bridge_started_ns_;
  vo.pool_low_threshold_percent = bridge_spec_.pool_low_threshold;
  vo.expected_events = observations_.size();
  // World-executed faults are marked fired when they happen: read the windows as they are now.
  mock_->WithWorld([&](sim::World& w, mock::MockState&) { windows_ = w.fault_windows(); });
  for (const sim::FaultWindow& w : windows_) {
    if (!w.fired) continue;
    FaultWindowSpec fs;
    fs.kind = std::string(sim::Name(w.kind));
    std::string target;
    for (const auto& n : w.nodes) target += (target.empty() ? "" : ",") + n;
    if (!w.resource.empty()) target += (target.empty() ? "" : " ") + w.resource;
    if (w.kind == sim::FaultKind::kBridgeKill) target = "bridge";
    if (w.kind == sim::FaultKind::kNatsRestart) target = "nats-server";
    for (const ClusterFaultRun& c : cluster_faults_) {
      if (harness_faults_[c.fault].index == static_cast<size_t>(&w - windows_.data())) {
        target = c.record.member + (c.record.was_leader ? " (stream leader)" : "");
        if (w.kind == sim::FaultKind::kNetwork) target += " routes";
      }
    }
    fs.target = target;
    fs.start_ns = w.start.count();
    fs.end_ns = w.permanent ? run_length_.count() : std::max(w.end, w.start).count();
    vo.faults.push_back(fs);
  }
  Verifier verifier(vo, static_cast<uint32_t>(harness_.consumers.size()));
  verifier.AddInitialState(initial_cluster_);
  VerifierResult result;
  mock_->WithWorld([&](sim::World& w, mock::MockState&) {
    verifier.AddTransitions(w.cluster(), w.trace().transitions());
    for (size_t i = 0; i < observations_.size(); ++i) {
      Observation o = observations_[i];
      auto it = acked_.find(observation_ids_[i]);
      if (it != acked_.end() && it->second > 0) o.acked_ns = decoder_->ToWorld(it->second);
      verifier.Observe(o, o.extra_count ? &extras_[extras_begin_[i]] : nullptr);
    }
    result = verifier.Finish(WorldNow().count(), &w.cluster());
    report.trace_digest = w.trace().DigestHex();
    // Domain invariants: the world's trace (world bugs) and each consumer's stream (bridge bugs).
    for (const InvariantViolation& v : CheckWorldTrace(w.cluster(), w.trace())) {
      invariant_violations_.push_back(v.ToString());
    }
    const WorldFacts facts = CollectWorldFacts(initial_cluster_, w.cluster(), w.trace(),
                                               epoch_unix_ns_);
    for (size_t c = 0; c < streams_.size(); ++c) {
      for (const InvariantViolation& v :
           CheckDeliveredStream(streams_[c], facts, harness_.consumers[c].name)) {
        invariant_violations_.push_back(v.ToString());
      }
    }
  });
  for (const std::string& v : invariant_violations_) failed_checks_.push_back("invariant " + v);

  report.totals = result.totals;
  for (size_t i = 0; i < harness_.consumers.size(); ++i) {
    ConsumerVerdict cv;
    cv.name = harness_.consumers[i].name;
    cv.mode = std::string(ConsumerModeName(harness_.consumers[i].mode));
    if (i < result.per_consumer.size()) cv.counters = result.per_consumer[i];
    cv.converged = i < result.converged.size() ? result.converged[i] : false;
    if (!cv.converged) {
      failed_checks_.push_back("consumer " + cv.name + " did not converge to the world's final state");
    }
    report.per_consumer.push_back(cv);
  }
  for (int s = 0; s < kStageCount; ++s) report.latency[s] = StageSummary::From(result.latency[s]);
  report.duration_s = std::chrono::duration<double>(run_length_).count();
  report.throughput = report.duration_s > 0
                          ? static_cast<double>(report.totals.delivered) / report.duration_s
                          : 0;
  report.events = result.expected;
  report.faults = result.faults;
  if (harness_.nats.cluster > 1) {
    ClusterSummary cs;
    cs.size = harness_.nats.cluster;
    cs.replicas = stream_replicas_;
    for (ClusterFaultRun& c : cluster_faults_) {
      // The first event the bridge observed after the kill or cut that was acknowledged (its
      // timing side channel): publishes already in flight at the fault do not count.
      int64_t first = 0;
      for (const auto& [observed, acked] : observed_acked_) {
        if (observed > c.at_unix_ns && acked > 0 && (first == 0 || acked < first)) first = acked;
      }
      if (first > 0) c.record.first_ack_ms = static_cast<double>(first - c.at_unix_ns) / 1e6;
      cs.faults.push_back(c.record);
    }
    cs.publish_errors = bridge_nats_errors_;
    report.cluster = std::move(cs);
  }
  report.environment = CollectEnvironment();
  report.environment.nats_server_version = nats_version_;
  report.seed = seed_;
  report.scenario = options_.scenario_path;
  report.command = options_.command_line;
  if (decode_errors_ > 0) {
    // Undecodable messages are counted as phantom by the verifier; say why too.
    fault_log_.push_back(std::to_string(decode_errors_) + " received messages were not valid events");
  }
  for (size_t c = 0; c < result.lost_samples.size(); ++c) {
    for (const auto& s : result.lost_samples[c]) {
      fault_log_.push_back("lost (" + harness_.consumers[c].name + "): " + s);
    }
  }
  for (size_t c = 0; c < result.phantom_samples.size(); ++c) {
    for (const auto& s : result.phantom_samples[c]) {
      fault_log_.push_back("phantom (" + harness_.consumers[c].name + "): " + s);
    }
  }
  report.auth = auth_summary_;
  report.failed_checks = failed_checks_;
  std::vector<Slo> slos = harness_.slos;
  if (slos.empty()) {
    // No `slo` section: exactly-once is the contract (core NATS reports its losses honestly).
    auto defaults = ParseSlos({"lost == 0", "duplicated == 0", "reordered == 0", "phantom == 0"});
    if (defaults.ok()) slos = *defaults;
  }
  ApplySlos(slos, &report);
  return report;
}

Status Run::WriteBundle(const std::string& dir, const Report& report) {
  BundleManifest m;
  m.scenario_path = options_.scenario_path;
  m.seed = seed_;
  m.duration = options_.duration;
  m.time_scale = options_.time_scale;
  m.drain = options_.drain;
  m.jetstream = options_.jetstream;
  m.bridge_command = options_.bridge_command;
  m.trace_digest = report.trace_digest;
  m.verdict = SignatureOf(report, invariant_violations_.size());
  m.command = report.command;
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "scenario.yaml", scenario_text_));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "run.json", ManifestToJson(m)));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "seed", std::to_string(seed_) + "\n"));
  std::string trace_text;
  mock_->WithWorld([&](sim::World& w, mock::MockState&) {
    for (const sim::Transition& t : w.trace().transitions()) {
      trace_text += sim::RenderTransition(w.cluster(), w.trace(), t);
      trace_text += '\n';
    }
  });
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "trace.txt", trace_text));
  LNSIM_RETURN_IF_ERROR(WriteBundleFile(dir, "report.json", ReportToJson(report)));
  LNSIM_RETURN_IF_ERROR(CopyIntoBundle(work_dir_ + "/bridge.log", dir, "bridge.log"));
  if (dir != work_dir_) {
    LNSIM_RETURN_IF_ERROR(CopyIntoBundle(work_dir_ + "/events.jsonl", dir, "events.jsonl"));
  }
  return OkStatus();
}

RunOutcome Run::Execute() {
  RunOutcome out;
  auto fail = [&](int code, const Status& s) {
    out.exit_code = code;
    out.error = s.message();
    out.work_dir = work_dir_;
    return out;
  };
  if (Status s = Configure(); !s.ok()) return fail(2, s);

  if (options_.work_dir.empty()) {
    std::string tmpl = (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") +
                       "/lnsim-run-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return fail(3, UnavailableError("cannot create a work directory under " + tmpl));
    }
    work_dir_ = tmpl;
    temp_work_dir_ = true;
  } else {
    work_dir_ = options_.work_dir;
    std::error_code ec;
    std::filesystem::create_directories(work_dir_, ec);
    if (ec) return fail(3, UnavailableError("cannot create " + work_dir_ + ": " + ec.message()));
  }
  timing_path_ = bridge_spec_.command.empty() ? work_dir_ + "/timing.jsonl" : "";
  events_out_.open(work_dir_ + "/events.jsonl", std::ios::trunc);
  streams_.resize(harness_.consumers.size());
  stream_ids_.resize(harness_.consumers.size());

  log_ << "lnsim run " << options_.scenario_path << "  seed " << seed_ << "  "
       << (jetstream_ ? "JetStream" : "core NATS") << "  " << harness_.consumers.size()
       << " consumer(s)\n";
  if (Status s = StartNats(); !s.ok()) return fail(3, s);
  if (Status s = StartProxies(); !s.ok()) return fail(s.code() == StatusCode::kInvalidArgument ? 2 : 3, s);
  if (Status s = StartMock(); !s.ok()) return fail(s.code() == StatusCode::kInvalidArgument ? 2 : 3, s);
  consumers_.resize(harness_.consumers.size());
  dedup_sets_.resize(harness_.consumers.size());
  auto start_consumers = [&]() -> Status {
    for (size_t i = 0; i < harness_.consumers.size(); ++i) {
      if (Status s = StartConsumer(i); !s.ok()) {
        return s.WithPrefix("consumer " + harness_.consumers[i].name);
      }
    }
    return OkStatus();
  };
  // Core NATS keeps nothing: its subscribers must be there before the bridge's first publish,
  // or the events right after the baseline are lost to the harness, not to the pipeline.
  // JetStream consumers bind to the stream the bridge creates, so they start after it.
  if (!jetstream_) {
    if (Status s = start_consumers(); !s.ok()) return fail(3, s);
  }
  bridge_started_ns_ = WorldNow().count();
  if (Status s = StartBridge(); !s.ok()) return fail(3, s.WithPrefix("bridge"));
  baseline_ns_ = WorldNow().count();
  if (jetstream_) {
    if (Status s = start_consumers(); !s.ok()) return fail(3, s);
  }
  if (Status s = StartRogues(); !s.ok()) return fail(3, s);
  log_ << "bridge ready at world time " << FormatDurationHuman(Duration(baseline_ns_))
       << "; running " << FormatDurationHuman(run_length_) << " of world time, then draining (up to "
       << FormatDurationHuman(harness_.drain) << ")\n";

  // Run phase: the world moves; harness faults fire on the timeline.
  bool interrupted = false;
  while (clock_.Now() - t0_ < run_length_) {
    if (Interrupted()) {
      interrupted = true;
      break;
    }
    const Duration w = WorldNow();
    for (HarnessFault& f : harness_faults_) {
      const sim::FaultWindow& win = windows_[f.index];
      if (!win.fired) continue;
      if (!f.started && w >= win.start) ApplyFaultStart(f);
      if (f.started && !f.ended && (win.end <= win.start ? true : w >= win.end)) ApplyFaultEnd(f);
    }
    Pump(milliseconds(20));
    PrintProgress(false);
  }
  // Faults whose window outlives the run end now, so the drain sees a healthy pipeline.
  for (HarnessFault& f : harness_faults_) {
    if (f.started && !f.ended) ApplyFaultEnd(f);
  }
  JoinClusterRestarts(/*wait=*/true);

  // Drain: the world stands still; wait until every consumer has what the bridge published and
  // nothing new has arrived for a few poll intervals, or `drain` expires.
  const Duration drain_start = clock_.Now();
  const Duration quiet = std::max<Duration>(3 * bridge_spec_.poll_interval, milliseconds(300));
  const Duration min_drain = 2 * bridge_spec_.poll_interval + milliseconds(200);
  bool drained = false;
  // lnsim's bridge counts its polls (/metrics): the final state is surely seen once a poll that
  // started after the world froze has completed, whatever a poll of a large cluster takes.
  const std::optional<uint64_t> polls_at_freeze = BridgePolls();
  int64_t last_polls_check_ns = 0;
  int64_t last_outstanding_check_ns = 0;
  bool final_poll_done = !polls_at_freeze.has_value();
  while (!interrupted) {
    if (Interrupted()) {
      interrupted = true;
      break;
    }
    Pump(milliseconds(20));
    PrintProgress(false);
    const Duration now = clock_.Now();
    const Duration since_start = now - drain_start;
    if (since_start > harness_.drain) break;
    if (since_start < std::max(min_drain, quiet)) continue;
    if (!final_poll_done && now.count() - last_polls_check_ns >= 200'000'000) {
      // A bounded status query of the bridge, not a sleep: Pump above waits for deliveries.
      last_polls_check_ns = now.count();
      const std::optional<uint64_t> polls = BridgePolls();
      final_poll_done = !polls.has_value() || *polls >= *polls_at_freeze + 2;
      if (final_poll_done) last_delivery_real_ns_ = std::max(last_delivery_real_ns_, now.count());
    }
    if (!final_poll_done) continue;
    const int64_t last = std::max(last_delivery_real_ns_, drain_start.count());
    if (now.count() - last < quiet.count()) continue;
    bool caught_up = true;
    if (jetstream_ && bridge_spec_.command.empty()) {
      for (const auto& c : consumers_) {
        if (c && c->stats().processed < published_unique_) caught_up = false;
      }
      // Consumers having all the bridge had acknowledged is not enough while the bridge still
      // retries publishes (a stream without a leader after a cluster fault): wait for those too.
      if (caught_up && now.count() - last_outstanding_check_ns >= 200'000'000) {
        last_outstanding_check_ns = now.count();
        const std::optional<uint64_t> outstanding = BridgeOutstanding();
        caught_up = !outstanding.has_value() || *outstanding == 0;
      } else if (caught_up) {
        caught_up = false;  // checked again within 200 ms
      }
    }
    if (caught_up) {
      drained = true;
      break;
    }
  }
  PrintProgress(true);
  if (!drained && !interrupted) {
    log_ << "drain expired after " << FormatDurationHuman(harness_.drain)
         << " with consumers behind the bridge\n";
  }
  Shutdown();
  // Last receipts that were queued while stopping.
  Pump(milliseconds(0));

  out.report = BuildReport();
  for (const auto& line : fault_log_) log_ << "  " << line << "\n";
  if (interrupted) {
    out.exit_code = 3;
    out.error = "interrupted";
  } else {
    out.exit_code = out.report.passed ? 0 : 1;
  }
  out.invariant_violations = invariant_violations_;
  events_out_.close();
  std::string bundle = options_.record_dir;
  if (bundle.empty() && out.exit_code == 1 && options_.record_on_failure) {
    bundle = work_dir_ + "/bundle";
  }
  if (!bundle.empty()) {
    if (Status s = WriteBundle(bundle, out.report); !s.ok()) {
      log_ << "cannot write the reproduction bundle: " << s.message() << "\n";
    } else {
      out.bundle_dir = bundle;
    }
  }
  if (temp_work_dir_ && out.exit_code == 0 && !options_.keep_work_dir) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir_, ec);
  } else {
    out.work_dir = work_dir_;
  }
  return out;
}

}  // namespace

RunOutcome RunScenario(const RunOptions& options, const Clock& clock, std::ostream& log,
                       const volatile bool* interrupted) {
  Run run(options, clock, log, interrupted);
  return run.Execute();
}

}  // namespace lnsim::harness
