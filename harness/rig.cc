// Start and stop of every process of a run; see rig.h.
#include "harness/rig.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "bridge/event.h"
#include "bridge/options.h"
#include "bridge/recovery.h"
#include "common/duration.h"
#include "common/rng.h"
#include "harness/live_cleanup.h"

namespace lnsim::harness {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string ConsumerSubjectFilter(const std::string& subject, const std::string& cluster,
                                  BridgeKind bridge) {
  if (subject != "linstor.v1.>") return subject;
  return bridge == BridgeKind::kOwn ? bridge::StreamSubjects(cluster)
                                    : "linstor.v1." + cluster + ".>";
}

namespace {

// How a start-up error of the bridge ends: the last lines of its log (its own words: "cannot
// connect to NATS at ..."), then where the whole log is.
std::string BridgeLogEnd(const std::string& work_dir) {
  const std::string path = work_dir + "/bridge.log";
  const std::string tail = LastLinesOf(path, 10);
  if (tail.empty()) return "; see " + path + " (empty)";
  return "; the end of its log:\n" + tail + "see " + path;
}

}  // namespace

Rig::Rig(RigContext context, const Clock& clock, std::ostream& log, Findings* findings)
    : context_(std::move(context)),
      config_(*context_.config),
      bridge_spec_(config_.bridge),
      clock_(clock),
      capped_(clock),
      log_(log),
      findings_(findings),
      probe_(clock),
      queue_(clock) {}

Rig::~Rig() { StopAll(); }

Status Rig::UseLiveNats() {
  const HarnessSpec& harness = config_.harness;
  nats_url_ = harness.nats.url;
  // A live server keeps streams between runs: give this run its own cluster and stream names
  // so that nothing from an earlier run is recovered or consumed.
  const uint64_t run_id = Fnv1a64(std::to_string(clock_.UnixNanos()) + std::to_string(getpid()));
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(run_id));
  cluster_name_ = bridge_spec_.cluster + "-" + suffix;
  // What it creates in JetStream starts with `LNSIM_<ID>_` / `lnsim_<id>_`
  // (harness/live_cleanup.h).
  std::string upper = suffix;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  stream_name_ = "LNSIM_" + upper + "_" +
                 (harness.nats.stream.empty() ? bridge::DefaultStreamName(bridge_spec_.cluster)
                                              : harness.nats.stream);
  const std::string& bucket = bridge_spec_.options.bucket;
  bucket_name_ = std::string("lnsim_") + suffix + "_" +
                 (bucket.empty() ? bridge::DefaultBucketName(bridge_spec_.cluster) : bucket);
  live_ = true;
  nats_tls_ = context_.options->nats_tls;
  if (harness.nats.tls && !nats_tls_.any()) {
    log_ << "note: nats.tls applies to the embedded server; with --nats give --tls-ca (and "
            "--tls-cert/--tls-key) for a TLS server\n";
  }
  return OkStatus();
}

Status Rig::StartNatsCluster() {
  const HarnessSpec& harness = config_.harness;
  NatsClusterOptions cluster_options;
  cluster_options.seed = config_.seed;
  cluster_options.size = harness.nats.cluster;
  cluster_options.binary = harness.nats.server_bin;
  cluster_options.work_dir = context_.work_dir + "/nats";
  for (const HarnessFault& f : config_.harness_faults) {
    cluster_options.route_proxies |= f.params.target == "routes";
  }
  LNSIM_ASSIGN_OR_RETURN(cluster_, NatsCluster::Start(cluster_options, clock_));
  nats_url_ = cluster_->urls();
  if (auto v = cluster_->server(0).Version(); v.ok()) nats_version_ = *v;
  log_ << "nats-server " << nats_version_ << " cluster of " << cluster_->size() << " on "
       << nats_url_ << (cluster_options.route_proxies ? " (routes through fault proxies)" : "")
       << "\n";
  return OkStatus();
}

Status Rig::PrepareAuth(NatsServerOptions* options) {
  // lnsim is the operator: one account for this run's cluster, plus one bridge user for each
  // cluster a rogue pretends to be (docs/auth.md).
  AuthInitOptions auth_options;
  auth_options.dir = context_.work_dir + "/auth";
  // A team's bridge may not be able to set an inbox prefix: then every user keeps "_INBOX.>".
  auth_options.private_inboxes = bridge_spec_.command.empty();
  auth_options.clusters.push_back({cluster_name_, stream_name_, ""});
  for (const RogueSpec& r : config_.harness.nats.rogues) {
    if (r.creds.rfind("bridge:", 0) != 0) continue;
    const std::string other = r.creds.substr(7);
    bool known = false;
    for (const AuthCluster& c : auth_options.clusters) known |= c.name == other;
    if (!known) auth_options.clusters.push_back({other, "", ""});
  }
  LNSIM_ASSIGN_OR_RETURN(auth_, InitAuth(auth_options, clock_));
  options->config_file = auth_->server_conf;
  auth_summary_ = AuthSummary{};
  auth_summary_->mode = "jwt";
  return OkStatus();
}

Status Rig::PrepareTls(NatsServerOptions* options) {
  // A throwaway PKI in the work dir: the server's certificate for 127.0.0.1, its CA for the
  // clients, and a client certificate when the server verifies clients.
  LNSIM_ASSIGN_OR_RETURN(tls::CertificateFiles certs,
                         tls::GenerateCertificates(context_.work_dir + "/tls"));
  const bool verify = config_.harness.nats.tls_verify;
  options->tls_cert = certs.server_cert;
  options->tls_key = certs.server_key;
  options->tls_ca = certs.ca_cert;
  options->tls_verify = verify;
  nats_tls_.ca = certs.ca_cert;
  if (verify) {
    nats_tls_.cert = certs.client_cert;
    nats_tls_.key = certs.client_key;
  }
  return OkStatus();
}

Status Rig::StartNats() {
  const NatsSpec& spec = config_.harness.nats;
  if (!spec.url.empty()) return UseLiveNats();
  if (context_.options->keep_stream) {
    log_ << "note: --keep-stream applies to a live server (--nats); the embedded server and its "
            "store go with the run\n";
  }
  cluster_name_ = bridge_spec_.cluster;
  stream_name_ = spec.stream.empty() ? bridge::DefaultStreamName(cluster_name_) : spec.stream;
  if (spec.cluster > 1) return StartNatsCluster();
  NatsServerOptions server_options;
  server_options.binary = spec.server_bin;
  server_options.jetstream = true;
  server_options.work_dir = context_.work_dir + "/nats";
  server_options.keep_work_dir = true;  // inside our work dir, removed with it
  if (spec.auth_jwt) LNSIM_RETURN_IF_ERROR(PrepareAuth(&server_options));
  if (spec.tls) LNSIM_RETURN_IF_ERROR(PrepareTls(&server_options));
  LNSIM_ASSIGN_OR_RETURN(nats_, NatsServer::Start(server_options, clock_));
  nats_url_ = nats_->url();
  if (auto v = nats_->Version(); v.ok()) nats_version_ = *v;
  log_ << "nats-server " << nats_version_ << " on " << nats_url_ << " (store " << nats_->store_dir()
       << ")" << (spec.tls ? spec.tls_verify ? " TLS with client certificates" : " TLS" : "")
       << "\n";
  return OkStatus();
}

Status Rig::StartProxies() {
  const HarnessSpec& harness = config_.harness;
  bool bridge_link = harness.network.bridge_proxy;
  bool consumer_link = harness.network.consumers_proxy;
  for (const ConsumerSpec& c : harness.consumers) consumer_link |= c.via_proxy;
  for (const HarnessFault& f : config_.harness_faults) {
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
  FaultProxyOptions proxy_options;
  proxy_options.upstream_host = first.substr(0, colon);
  if (proxy_options.upstream_host == "localhost") proxy_options.upstream_host = "127.0.0.1";
  proxy_options.upstream_port = std::atoi(first.substr(colon + 1).c_str());
  Rng rng(config_.seed);
  if (bridge_link) {
    LNSIM_ASSIGN_OR_RETURN(bridge_proxy_,
                           FaultProxy::Start(proxy_options, clock_, rng.Fork("proxy/bridge")));
    bridge_proxy_->SetFaults(harness.network.bridge);
  }
  if (consumer_link) {
    LNSIM_ASSIGN_OR_RETURN(consumer_proxy_,
                           FaultProxy::Start(proxy_options, clock_, rng.Fork("proxy/consumers")));
    consumer_proxy_->SetFaults(harness.network.consumers);
  }
  return OkStatus();
}

Status Rig::StartMock() {
  const RunOptions& options = *context_.options;
  auto world = sim::World::Create(config_.scenario.world, config_.scenario.world.seed);
  if (!world.ok()) {
    return InvalidArgumentError(options.scenario_path + ": " + world.status().message());
  }
  initial_cluster_ = (*world)->cluster();
  windows_ = (*world)->fault_windows();
  run_length_ = (*world)->RunLength();

  mock::ServerOptions mock_options;
  mock_options.port = 0;
  mock_options.api_faults = config_.api_faults;
  mock_options.seed = config_.seed;
  t0_ = clock_.Now();
  capped_.SetCap(t0_ + run_length_);
  epoch_unix_ns_ = clock_.UnixNanos();
  mock_options.epoch_unix_ms = epoch_unix_ns_ / 1000000;
  if (bridge_spec_.https) {
    LNSIM_ASSIGN_OR_RETURN(tls::CertificateFiles certs,
                           tls::GenerateCertificates(context_.work_dir + "/linstor-tls"));
    mock_options.https_port = 0;
    mock_options.tls_cert_file = certs.server_cert;
    mock_options.tls_key_file = certs.server_key;
    linstor_ca_ = certs.ca_cert;
  }
  mock_ = std::make_unique<mock::MockServer>(std::move(world).value(), capped_, mock_options);
  LNSIM_RETURN_IF_ERROR(mock_->Start());
  mock_url_ = "http://127.0.0.1:" + std::to_string(mock_->port());
  if (bridge_spec_.https) {
    mock_https_url_ = "https://127.0.0.1:" + std::to_string(mock_->https_port());
    log_ << "mock LINSTOR controller HTTPS on " << mock_https_url_ << " (CA " << linstor_ca_
         << ")\n";
  }
  log_ << "mock LINSTOR controller on " << mock_url_ << "\n";
  return OkStatus();
}

Status Rig::WaitOwnBridgeReady(Duration deadline, Duration timeout) {
  ChildProcess& child = *bridge_.child;
  auto see = [&] { return BridgeLogEnd(context_.work_dir); };
  // lnsim's bridge prints its metrics address once NATS is connected and the stream exists.
  while (bridge_.metrics_port == 0) {
    const Duration left = deadline - clock_.Now();
    if (left <= Duration::zero() || Interrupted()) break;
    auto line = child.ReadLine(std::min<Duration>(left, milliseconds(200)));
    if (line.ok()) {
      const std::string prefix = "listening on http://";
      if (line->rfind(prefix, 0) == 0) {
        bridge_.metrics_port = std::atoi(line->substr(line->rfind(':') + 1).c_str());
      }
    } else if (line.status().code() == StatusCode::kNotFound || !child.Running()) {
      // Closed output usually means it is exiting: its exit status says more (bounded wait).
      if (child.Running()) (void)child.Wait(seconds(2));
      return UnavailableError(
          "the bridge exited during start-up (" +
          (child.Running() ? std::string("closed its output") : child.exit_status()->ToString()) +
          ")" + see());
    }
  }
  if (Interrupted()) return CancelledError("interrupted while the bridge was starting");
  if (bridge_.metrics_port == 0) {
    return DeadlineExceededError("the bridge did not report its metrics address within " +
                                 FormatDuration(timeout) + see());
  }
  // Ready = connected, the stream there and the first full poll done: the ready file, the
  // protocol a team's bridge follows too (docs/scenarios.md "Readiness").
  return WaitReadyFile(deadline, timeout);
}

std::string Rig::ReadyFilePath() const { return context_.work_dir + "/bridge.ready"; }

Status Rig::WaitReadyFile(Duration deadline, Duration timeout) {
  ChildProcess& child = *bridge_.child;
  const std::string path = ReadyFilePath();
  while (clock_.Now() < deadline && !Interrupted()) {
    if (std::filesystem::exists(path)) {
      readiness_ = "signalled";
      return OkStatus();
    }
    if (!child.Running()) {
      return UnavailableError("the bridge exited before it signalled readiness (" +
                              child.exit_status()->ToString() + ")" +
                              BridgeLogEnd(context_.work_dir));
    }
    // Bounded poll of the readiness file (not synchronisation by sleeping).
    context_.wait(milliseconds(20));
  }
  if (Interrupted()) return CancelledError("interrupted while the bridge was starting");
  return DeadlineExceededError(
      "the bridge did not signal readiness within " + FormatDuration(timeout) +
      ": it must create the file named by LNSIM_READY_FILE (" + path +
      ") once connected to NATS, its stream exists and its first full poll is done; see "
      "docs/scenarios.md \"Readiness\" (bridge.ready_timeout sets the deadline, "
      "bridge.readiness: assumed the older guess)" +
      BridgeLogEnd(context_.work_dir));
}

Status Rig::WaitBridgeReady(Duration timeout) {
  const Duration deadline = clock_.Now() + timeout;
  if (bridge_spec_.command.empty()) return WaitOwnBridgeReady(deadline, timeout);
  if (!bridge_spec_.assume_ready) return WaitReadyFile(deadline, timeout);
  // `bridge.readiness: assumed`: the first full poll is guessed done after one request timeout
  // plus one poll interval (docs/scenarios.md "Readiness").
  const Duration assumed =
      clock_.Now() + bridge_spec_.options.request_timeout + bridge_spec_.options.poll_interval;
  while (clock_.Now() < assumed && !Interrupted()) {
    if (!bridge_.child->Running()) {
      return UnavailableError("the bridge command exited during start-up (" +
                              bridge_.child->exit_status()->ToString() + ")" +
                              BridgeLogEnd(context_.work_dir));
    }
    context_.wait(milliseconds(50));
  }
  readiness_ = "assumed";
  return OkStatus();
}

ChildOptions Rig::OwnBridgeCommand(const std::string& linstor, const std::string& nats) const {
  // The scenario's bridge options, plus what only the run knows; the bridge's option table turns
  // them into flags (bridge::BridgeArgv), so the harness never spells a flag of its own. Options
  // left at the bridge's defaults are not passed (docs/bridge.md, "Under lnsim run").
  bridge::BridgeConfig bridge_config = bridge_spec_.options;
  bridge_config.linstor_urls = {linstor};
  bridge_config.nats_urls = {nats};
  bridge_config.cluster = cluster_name_;
  bridge_config.timing_file = context_.timing_path;
  bridge_config.metrics_addr = "127.0.0.1:0";
  bridge_config.ready_file = ReadyFilePath();
  if (config_.jetstream) {
    bridge_config.jetstream = true;
    if (stream_name_ != bridge::DefaultStreamName(cluster_name_))
      bridge_config.stream = stream_name_;
    if (!bucket_name_.empty() && bucket_name_ != bridge::DefaultBucketName(cluster_name_))
      bridge_config.bucket = bucket_name_;
    bridge_config.replicas = std::max(1, config_.stream_replicas);
  }
  if (bridge_spec_.https) bridge_config.linstor_tls.ca = linstor_ca_;
  bridge_config.nats_tls = nats_tls_;
  if (auth_) {
    const std::string user = BridgeUserName(cluster_name_);
    bridge_config.creds_file = auth_->creds.at(user);
    bridge_config.inbox_prefix = auth_->inbox_prefix.at(user);
  }
  const RunOptions& options = *context_.options;
  ChildOptions child_options;
  child_options.argv = {
      options.bridge_binary.empty() ? options.lnsim_binary : options.bridge_binary, "bridge"};
  for (auto& argument : bridge::BridgeArgv(bridge_config))
    child_options.argv.push_back(std::move(argument));
  for (const auto& a : bridge_spec_.extra_args) child_options.argv.push_back(a);
  for (const auto& a : options.bridge_args) child_options.argv.push_back(a);
  child_options.capture_stdout = true;
  return child_options;
}

ChildOptions Rig::TeamBridgeCommand(const std::string& linstor, const std::string& nats) const {
  ChildOptions child_options;
  child_options.argv = {"/bin/sh", "-c", bridge_spec_.command};
  child_options.env = {"LNSIM_LINSTOR_URL=" + linstor,
                       "LS_CONTROLLERS=" + linstor,
                       "LNSIM_NATS_URL=" + nats,
                       "NATS_URL=" + nats,
                       "LNSIM_CLUSTER=" + cluster_name_,
                       "LNSIM_STREAM=" + stream_name_,
                       "LNSIM_READY_FILE=" + ReadyFilePath(),
                       std::string("LNSIM_JETSTREAM=") + (config_.jetstream ? "1" : "0"),
                       "LNSIM_POLL_INTERVAL=" + FormatDuration(bridge_spec_.options.poll_interval)};
  if (bridge_spec_.https) {  // golinstor reads the CA's PEM text from LS_ROOT_CA
    std::ifstream ca(linstor_ca_);
    std::stringstream pem;
    pem << ca.rdbuf();
    child_options.env.push_back("LS_ROOT_CA=" + pem.str());
    child_options.env.push_back("LNSIM_LINSTOR_CA=" + linstor_ca_);
  }
  // TLS to NATS for a team's bridge: the files, empty when the bus is plain.
  child_options.env.push_back("LNSIM_NATS_TLS_CA=" + nats_tls_.ca);
  child_options.env.push_back("LNSIM_NATS_TLS_CERT=" + nats_tls_.cert);
  child_options.env.push_back("LNSIM_NATS_TLS_KEY=" + nats_tls_.key);
  // Operator mode (`nats.auth: jwt`): the bridge user's creds file, empty otherwise.
  child_options.env.push_back(
      "LNSIM_NATS_CREDS=" +
      (auth_ ? auth_->creds.at(BridgeUserName(cluster_name_)) : std::string()));
  return child_options;
}

Status Rig::StartBridge() {
  const std::string nats = NatsUrlForBridge();
  const std::string linstor = bridge_spec_.https ? mock_https_url_ : mock_url_;
  ChildOptions child_options = bridge_spec_.command.empty() ? OwnBridgeCommand(linstor, nats)
                                                            : TeamBridgeCommand(linstor, nats);
  child_options.log_path = context_.work_dir + "/bridge.log";
  std::error_code ignored;  // a restarted bridge signals afresh
  std::filesystem::remove(ReadyFilePath(), ignored);
  LNSIM_ASSIGN_OR_RETURN(bridge_.child, ChildProcess::Spawn(child_options, clock_));
  bridge_.metrics_port = 0;
  return WaitBridgeReady(bridge_spec_.ready_timeout);
}

Status Rig::StartConsumers() {
  const std::vector<ConsumerSpec>& specs = config_.harness.consumers;
  consumers_.resize(specs.size());
  dedup_sets_.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    if (Status s = StartConsumer(i); !s.ok()) return s.WithPrefix("consumer " + specs[i].name);
  }
  return OkStatus();
}

Status Rig::StartConsumer(size_t i) {
  const ConsumerSpec& spec = config_.harness.consumers[i];
  ConsumerOptions consumer_options;
  consumer_options.name = spec.name;
  consumer_options.mode = spec.mode;
  consumer_options.url = spec.via_proxy || consumer_proxy_ ? NatsUrlForConsumers() : nats_url_;
  consumer_options.subject =
      ConsumerSubjectFilter(spec.subject, cluster_name_,
                            bridge_spec_.command.empty() ? BridgeKind::kOwn : BridgeKind::kTeam);
  consumer_options.stream = stream_name_;
  consumer_options.dedup = spec.dedup;
  consumer_options.dedup_set = dedup_sets_[i];
  consumer_options.ack_wait = spec.ack_wait;
  consumer_options.tls = nats_tls_;
  if (auth_) {
    consumer_options.creds_file = auth_->creds.at("consumer");
    consumer_options.inbox_prefix = auth_->inbox_prefix.at("consumer");
  }
  LNSIM_ASSIGN_OR_RETURN(
      auto consumer, Consumer::Start(consumer_options, static_cast<uint32_t>(i), clock_, &queue_));
  dedup_sets_[i] = consumer->dedup_set();
  consumers_[i] = std::move(consumer);
  return OkStatus();
}

Status Rig::StartRogues() {
  for (const RogueSpec& r : config_.harness.nats.rogues) {
    RogueOptions rogue_options;
    rogue_options.name = r.name;
    const std::string user = r.creds == "consumer" ? "consumer" : BridgeUserName(r.creds.substr(7));
    rogue_options.creds_file = auth_->creds.at(user);
    rogue_options.inbox_prefix = auth_->inbox_prefix.at(user);
    rogue_options.url = nats_url_;
    rogue_options.target_cluster = cluster_name_;
    rogue_options.target_stream = config_.jetstream ? stream_name_ : "";
    rogue_options.every = r.every;
    rogue_options.tls = nats_tls_;
    LNSIM_ASSIGN_OR_RETURN(auto rogue, RogueClient::Start(rogue_options, clock_));
    rogues_.push_back(std::move(rogue));
  }
  return OkStatus();
}

void Rig::KillBridge() {
  if (bridge_.child) bridge_.child->Kill();
}

Status Rig::RestartBridge() {
  ++bridge_.restarts;
  return StartBridge();
}

void Rig::CrashConsumer(size_t i, bool keep_dedup) {
  if (consumers_[i]) consumers_[i]->Stop();
  consumers_[i].reset();
  if (!keep_dedup) dedup_sets_[i] = std::make_shared<DedupSet>();
}

int Rig::MetricsPort() const {
  if (!bridge_spec_.command.empty() || !bridge_.child) return 0;
  return bridge_.metrics_port;
}

void Rig::StopRogues() {
  const std::vector<RogueSpec>& specs = config_.harness.nats.rogues;
  for (size_t i = 0; i < rogues_.size(); ++i) {
    rogues_[i]->Stop();
    const RogueStats st = rogues_[i]->stats();
    RogueResult rr{specs[i].name, specs[i].creds, st.attempts, st.denials};
    auth_summary_->attempts += st.attempts;
    auth_summary_->denials += st.denials;
    auth_summary_->rogues.push_back(rr);
    // Every attempt must come back refused: one that did not may have landed.
    if (st.denials < st.attempts) {
      findings_->failed_checks.push_back("rogue " + rr.name + ": " + std::to_string(st.attempts) +
                                         " attempts but only " + std::to_string(st.denials) +
                                         " permission violations reported");
    }
    for (const auto& sample : st.samples) {
      findings_->fault_log.push_back("denied (" + rr.name + "): " + sample);
    }
  }
  rogues_.clear();
}

Status Rig::StartSubjectWatch() {
  // A live server carries other clients' traffic (other runs' clusters): no watch there.
  if (auth_ || live_ || subject_watch_) return OkStatus();
  internal::NatsClientAuth watch_auth;
  watch_auth.tls = nats_tls_;
  LNSIM_ASSIGN_OR_RETURN(subject_watch_, SubjectWatch::Start(nats_url_, watch_auth, cluster_name_));
  return OkStatus();
}

std::vector<std::string> Rig::SetupHintLines() {
  HintInputs in;
  in.cluster = cluster_name_;
  if (subject_watch_) subject_watch_->Collect(&in);
  for (const auto& c : consumers_) {
    if (!c || c->options().mode == ConsumerMode::kCore) continue;
    const ConsumerStats st = c->stats();
    in.jetstream = true;
    in.jetstream_received += st.received;
    in.without_msg_id += st.without_msg_id;
  }
  return SetupHints(in);
}

void Rig::StopConsumers() {
  if (consumers_stopped_) return;
  consumers_stopped_ = true;
  for (auto& c : consumers_) {
    if (c) c->Stop();
  }
}

void Rig::StopBridge() {
  if (!bridge_.child) return;
  // lnsim's bridge drains in-flight publishes on SIGTERM and exits 0; anything else is a
  // finding. A team's bridge runs under /bin/sh, whose exit we do not judge.
  const ExitStatus st = bridge_.child->Stop(seconds(20));
  if (bridge_spec_.command.empty() && !st.ok()) {
    findings_->failed_checks.push_back("the bridge did not exit cleanly on SIGTERM (" +
                                       st.ToString() + ")");
  }
  bridge_.child.reset();
}

void Rig::StopInfrastructure() {
  if (mock_) mock_->Stop();
  bridge_proxy_.reset();
  consumer_proxy_.reset();
  if (nats_) (void)nats_->Stop();
  cluster_.reset();
}

void Rig::CleanLiveServer() {
  if (!live_ || live_cleaned_) return;
  live_cleaned_ = true;
  LiveNames names{stream_name_, bucket_name_, {}};
  if (config_.jetstream) {
    for (const ConsumerSpec& c : config_.harness.consumers) names.consumers.push_back(c.name);
  }
  if (context_.options->keep_stream) {
    log_ << "live server: kept (--keep-stream): " << DescribeLiveNames(names) << "\n";
    return;
  }
  auto deleted = DeleteLiveNames(nats_url_, nats_tls_, names);
  if (!deleted.ok()) {
    log_ << "warning: live server " << nats_url_ << ": " << deleted.status().message()
         << "; delete by hand what remains of: " << DescribeLiveNames(names) << "\n";
    return;
  }
  std::string what;
  for (const std::string& d : *deleted) what += (what.empty() ? "" : ", ") + d;
  log_ << "live server: deleted " << (what.empty() ? "nothing (none was created)" : what) << "\n";
}

void Rig::StopAll() {
  if (stopped_) return;
  stopped_ = true;
  StopRogues();
  StopConsumers();
  StopBridge();
  CleanLiveServer();
  StopInfrastructure();
}

}  // namespace lnsim::harness
