// The bridge daemon's core loop and wiring (see bridge.h). The poller thread owns the baseline
// and the sequences; everything else (SSE threads, nats.c callbacks, the metrics server) only
// signals it or reads thread-safe counters.
#include "bridge/bridge.h"

#include <httplib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "common/duration.h"
#include "common/listen_socket.h"
#include "common/url.h"

namespace lnsim::bridge {
namespace {

bool LogWorthy(EventType t) {
  switch (t) {
    case EventType::kNodeOnline:
    case EventType::kNodeOffline:
    case EventType::kNodeEvicted:
    case EventType::kPoolCapacityLow:
    case EventType::kPoolCapacityOk:
    case EventType::kReplicaQuorumLost:
    case EventType::kReplicaQuorumRegained:
      return true;
    default:
      return false;
  }
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

Bridge::Bridge(BridgeConfig config, const Clock& clock, Logger* logger, BridgeSeams seams)
    : config_(std::move(config)), clock_(clock), logger_(logger), metrics_(clock) {
  diff_options_.pool_low_threshold_percent = config_.pool_low_threshold_percent;
  diff_options_.resync_step_percent = config_.resync_step_percent;
  differ_ = NewDiffer(diff_options_);
  if (seams.wrap_differ) differ_ = seams.wrap_differ(std::move(differ_));
  publish_connection_ = NewNatsPublishConnection();
  if (seams.wrap_publish_connection) {
    publish_connection_ = seams.wrap_publish_connection(std::move(publish_connection_));
  }
  triggered_ = true;  // first poll immediately
}

Bridge::~Bridge() {
  RequestStop();
  if (sse_) sse_->Stop();
  if (http_) http_->stop();
  if (http_thread_.joinable()) http_thread_.join();
  if (publisher_) publisher_->Stop();
  publisher_.reset();
  nats_.reset();
  if (timing_file_ != nullptr) std::fclose(timing_file_);
}

Status Bridge::ConnectNats() {
  NatsSettings ns;
  ns.urls = config_.nats_urls;
  ns.creds_file = config_.creds_file;
  ns.nkey_seed_file = config_.nkey_seed_file;
  ns.inbox_prefix = config_.inbox_prefix;
  ns.tls = config_.nats_tls;
  ns.name = "lnsim-bridge/" + config_.cluster;
  ns.send_asap = config_.send_asap;
  LNSIM_ASSIGN_OR_RETURN(nats_, NatsConnection::Connect(ns, &metrics_, logger_, clock_));
  logger_->Log("info", "connected to NATS", {{"url", nats_->ConnectedUrl()}});
  return OkStatus();
}

// Creates or checks the stream and bucket, recovers the baseline and sequences from the state
// mirror, and re-sends what was written ahead but is missing from the stream.
Status Bridge::StartJetStreamPublisher() {
  jsCtx* js = nats_->NewJetStream(nullptr);
  if (js == nullptr) return UnavailableError("cannot create a JetStream context");
  Status st = EnsureStreamAndBucket(js, config_.cluster, stream_settings_, logger_);
  if (!st.ok()) {
    jsCtx_Destroy(js);
    return st;
  }
  auto recovered = Recover(nats_->conn(), js, config_.cluster, stream_settings_, logger_);
  jsCtx_Destroy(js);
  if (!recovered.ok()) return recovered.status();
  sequences_ = std::move(recovered->sequences);
  if (recovered->synced) {
    synced_ = true;
    baseline_ = std::move(recovered->baseline);
  }
  JetStreamPublisherOptions po;
  po.max_in_flight = config_.max_in_flight;
  po.ack_timeout = config_.ack_timeout;
  auto done = [this](const OutMessage& m, bool dup, int64_t acked) { OnPublished(m, dup, acked); };
  publisher_ = NewJetStreamPublisher(nats_.get(), clock_, &metrics_, logger_, po, done,
                                     publish_connection_.get());
  if (!recovered->republish.empty()) {
    metrics_.Republished(recovered->republish.size());
    logger_->Log("warn", "re-sending events written ahead but missing from the stream",
                 {{"count", std::to_string(recovered->republish.size())}});
    publisher_->Enqueue(std::move(recovered->republish));
  }
  return OkStatus();
}

void Bridge::StartCorePublisher() {
  const bool timing = !config_.timing_file.empty() || !config_.timing_subject.empty();
  auto done = [this](const OutMessage& m, bool dup, int64_t acked) { OnPublished(m, dup, acked); };
  publisher_ = NewCorePublisher(nats_.get(), clock_, &metrics_, logger_, done, timing,
                                publish_connection_.get());
  core_sequence_base_ = static_cast<uint64_t>(clock_.UnixNanos() / 1000000) * 1000;
}

Status Bridge::StartMetricsServer() {
  auto address = ParseHostPort(config_.metrics_addr, -1, /*allow_zero=*/true);
  if (!address.ok() || address->port < 0) {
    return InvalidArgumentError("--metrics-addr '" + config_.metrics_addr + "' is not HOST:PORT");
  }
  const std::string& host = address->host;
  const int port = address->port;
  http_ = std::make_unique<httplib::Server>();
  http_->set_socket_options(ExclusiveListenOptions);  // a port in use fails (listen_socket.h)
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
  });
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    if (metrics_.ready()) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: not yet connected and synced\n", "text/plain");
    }
  });
  if (port == 0) {
    metrics_port_ = http_->bind_to_any_port(host);
  } else {
    metrics_port_ = http_->bind_to_port(host, port) ? port : -1;
  }
  if (metrics_port_ <= 0) {
    const std::string reason = port == 0 ? "" : BindFailureReason(host, port);
    return UnavailableError("cannot listen on --metrics-addr " + config_.metrics_addr +
                            (reason.empty() ? "" : ": " + reason));
  }
  http_thread_ = std::thread([this] { http_->listen_after_bind(); });
  logger_->Log("info", "metrics listening",
               {{"url", "http://" + host + ":" + std::to_string(metrics_port_)}});
  return OkStatus();
}

Status Bridge::Start() {
  LNSIM_RETURN_IF_ERROR(ValidateBridgeConfig(&config_));
  stream_settings_.stream = config_.stream;
  stream_settings_.bucket = config_.bucket;
  stream_settings_.replicas = config_.replicas;
  stream_settings_.dedup_window = config_.dedup_window;
  if (!config_.timing_file.empty()) {
    timing_file_ = std::fopen(config_.timing_file.c_str(), "a");
    if (timing_file_ == nullptr) {
      return InvalidArgumentError("--timing-file '" + config_.timing_file + "' cannot be opened");
    }
  }
  if (!config_.ready_file.empty() && std::remove(config_.ready_file.c_str()) != 0 &&
      errno != ENOENT) {  // a stale file of an earlier run would read as ready
    return InvalidArgumentError("--ready-file '" + config_.ready_file + "' cannot be removed");
  }
  LNSIM_RETURN_IF_ERROR(ConnectNats());
  if (config_.jetstream) {
    LNSIM_RETURN_IF_ERROR(StartJetStreamPublisher());
  } else {
    StartCorePublisher();
  }
  LinstorClientOptions lo;
  lo.urls = config_.linstor_urls;
  lo.request_timeout = config_.request_timeout;
  lo.page_size = config_.page_size;
  if (config_.linstor_tls.any()) {
    LNSIM_ASSIGN_OR_RETURN(lo.tls, LoadLinstorTls(config_.linstor_tls));
  }
  client_ = std::make_unique<LinstorClient>(lo, clock_, &metrics_, logger_);
  if (!config_.metrics_addr.empty()) LNSIM_RETURN_IF_ERROR(StartMetricsServer());
  if (config_.sse) {
    sse_ = std::make_unique<SseWatcher>(
        config_.linstor_urls, clock_, &metrics_, logger_,
        [this](const std::string& r) { TriggerPoll(r); }, lo.tls);
    sse_->Start();
  }
  logger_->Log("info", "bridge started",
               {{"cluster", config_.cluster},
                {"mode", config_.jetstream ? "jetstream" : "core (at-most-once)"},
                {"linstor", config_.linstor_urls.front()},
                {"poll_interval", FormatDuration(config_.poll_interval)}});
  return OkStatus();
}

void Bridge::RequestStop() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = true;
  cv_.notify_all();
}

void Bridge::TriggerPoll(const std::string&) {
  std::lock_guard<std::mutex> lock(mu_);
  triggered_ = true;
  cv_.notify_all();
}

bool Bridge::WaitForNextPoll(Duration last_start) {
  const Duration min_gap = std::min<Duration>(config_.poll_interval, std::chrono::milliseconds(50));
  std::unique_lock<std::mutex> lock(mu_);
  // After failed polls the controller is given room: the interval doubles per consecutive
  // failure up to max(poll interval, 5s); SSE signals do not shorten it then.
  Duration interval = config_.poll_interval;
  for (int i = 0; i < failed_polls_ && interval < std::chrono::seconds(5); ++i) interval *= 2;
  interval = std::min<Duration>(interval,
                                std::max<Duration>(config_.poll_interval, std::chrono::seconds(5)));
  const bool backing_off = failed_polls_ > 0;
  while (!stop_) {
    const Duration since = clock_.Now() - last_start;
    if (since >= interval || (triggered_ && !backing_off && since >= min_gap)) break;
    const Duration wait = (triggered_ && !backing_off) ? min_gap - since : interval - since;
    clock_.WaitFor(lock, cv_, wait);
  }
  if (stop_) return false;
  triggered_ = false;
  return true;
}

size_t Bridge::Drain() {
  logger_->Log("info", "stopping: draining in-flight publishes",
               {{"outstanding", std::to_string(publisher_ ? publisher_->Outstanding() : 0)}});
  if (sse_) sse_->Stop();
  size_t left = 0;
  if (publisher_) {
    left = publisher_->WaitIdle(config_.drain_timeout);
    publisher_->Stop();
  }
  if (timing_file_ != nullptr) std::fflush(timing_file_);
  return left;
}

Status Bridge::Run() {
  Duration last_start = clock_.Now() - config_.poll_interval;
  while (WaitForNextPoll(last_start)) {
    last_start = clock_.Now();
    PollOnce();
  }
  const size_t left = Drain();
  if (left > 0) {
    logger_->Log("warn", "drain timed out; unacknowledged messages stay in the state mirror",
                 {{"outstanding", std::to_string(left)}});
    return DeadlineExceededError(std::to_string(left) + " messages not acknowledged at exit");
  }
  logger_->Log("info", "drained; bye", {{"published", std::to_string(metrics_.total_published())}});
  return OkStatus();
}

void Bridge::PollOnce() {
  if (publisher_->Outstanding() > config_.max_outstanding) {
    if (!paused_logged_) {
      logger_->Log("warn", "publish backlog; polling paused until it drains",
                   {{"outstanding", std::to_string(publisher_->Outstanding())}});
      paused_logged_ = true;
    }
    return;
  }
  paused_logged_ = false;
  const Duration t0 = clock_.Now();
  PollStats stats;
  auto snap = client_->FetchSnapshot(&stats);
  if (!snap.ok()) {
    metrics_.PollFailed();
    logger_->Log(last_poll_failed_ ? "info" : "warn", "poll failed; keeping the last good state",
                 {{"url", stats.url}, {"reason", snap.status().ToString()}});
    last_poll_failed_ = true;
    ++failed_polls_;
    return;
  }
  if (last_poll_failed_) logger_->Log("info", "poll recovered", {{"url", stats.url}});
  last_poll_failed_ = false;
  failed_polls_ = 0;
  const int64_t observed_ns = clock_.UnixNanos();
  metrics_.PollDone(clock_.Now() - t0, stats.bytes, observed_ns);
  FinalizeSnapshot(&*snap, diff_options_);
  if (!synced_) {
    InitialSync(*snap, observed_ns);
    return;
  }
  std::vector<DomainEvent> events = differ_->Diff(baseline_, *snap);
  Snapshot next = NextBaseline(baseline_, std::move(*snap), diff_options_);
  Emit(events, next, observed_ns);
  std::swap(baseline_, next);
  RecycleSnapshot(std::move(next));  // the next poll's parse reuses the old baseline's memory
  if (!metrics_.ready()) {
    MarkReady();
    logger_->Log("info", "ready: state recovered and first poll diffed",
                 {{"events", std::to_string(events.size())}});
  }
}

std::string Bridge::MirrorValue(const Snapshot& next, const std::string& key, uint64_t sequence,
                                const std::vector<std::string>& pending, int64_t now_ns) {
  MirrorEntry e;
  const bool has = FillMirrorEntry(next, key, &e);
  e.deleted = !has;
  e.sequence = sequence;
  e.pending = pending;
  e.updated_unix_ns = now_ns;
  return EncodeMirrorEntry(e);
}

void Bridge::InitialSync(const Snapshot& snapshot, int64_t observed_ns) {
  if (config_.jetstream) {
    std::vector<OutMessage> msgs;
    for (const auto& key : SnapshotKeys(snapshot)) {
      OutMessage m;
      m.partition_key = key;
      m.subject = MirrorSubject(config_.bucket, key);
      m.payload = MirrorValue(snapshot, key, sequences_[key], {}, observed_ns);
      msgs.push_back(std::move(m));
    }
    const size_t n = msgs.size();
    publisher_->Enqueue(std::move(msgs));
    while (publisher_->WaitIdle(std::chrono::seconds(1)) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    OutMessage synced;
    synced.partition_key = std::string(kSyncedKey);
    synced.subject = MirrorSubject(config_.bucket, kSyncedKey);
    synced.payload = "{\"synced_unix_ns\":" + std::to_string(observed_ns) + "}";
    publisher_->Enqueue({std::move(synced)});
    while (publisher_->WaitIdle(std::chrono::seconds(1)) > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    logger_->Log("info", "initial state mirrored (first poll establishes state, no events)",
                 {{"entities", std::to_string(n)}, {"bucket", config_.bucket}});
  } else {
    logger_->Log("info", "initial state established (first poll, no events)");
  }
  baseline_ = snapshot;
  synced_ = true;
  MarkReady();
}

void Bridge::MarkReady() {
  if (metrics_.ready()) return;
  metrics_.SetReady(true);
  if (config_.ready_file.empty()) return;
  // Written under a temporary name and renamed, so a reader never sees a half-written file.
  const std::string tmp = config_.ready_file + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  const bool written =
      f != nullptr && std::fprintf(f, "%lld\n", static_cast<long long>(clock_.UnixNanos())) > 0;
  if (f != nullptr) std::fclose(f);
  if (!written || std::rename(tmp.c_str(), config_.ready_file.c_str()) != 0) {
    logger_->Log("error", "cannot write the ready file", {{"ready_file", config_.ready_file}});
  }
}

void Bridge::Emit(const std::vector<DomainEvent>& events, const Snapshot& next,
                  int64_t observed_ns) {
  std::map<std::string, std::vector<const DomainEvent*>> by_key;
  for (const auto& e : events) {
    by_key[PartitionKey(e)].push_back(&e);
    metrics_.EventObserved(e.type);
  }
  std::set<std::string> keys;
  for (const auto& [k, _] : by_key) keys.insert(k);
  if (config_.jetstream) {
    for (auto& k : ChangedPartitionKeys(baseline_, next)) keys.insert(std::move(k));
  }
  std::vector<OutMessage> msgs;
  msgs.reserve(events.size() + keys.size());
  for (const auto& key : keys) {
    uint64_t& seq = sequences_[key];
    // Core NATS has no recovery: each start numbers from its own base (start time in ms x 1000),
    // so ids never repeat across restarts and still rise per key.
    if (seq == 0 && !config_.jetstream) seq = core_sequence_base_;
    std::vector<OutMessage> key_events;
    std::vector<std::string> pending;
    auto it = by_key.find(key);
    if (it != by_key.end()) {
      for (const DomainEvent* e : it->second) {
        Event ev;
        ev.cluster = config_.cluster;
        ev.partition_key = key;
        ev.sequence = ++seq;
        ev.time_unix_ns = observed_ns;
        ev.body = *e;
        OutMessage m;
        m.partition_key = key;
        m.subject = ev.NatsSubject();
        m.payload = EncodeEvent(ev);
        m.msg_id = ev.Id();
        m.sequence = ev.sequence;
        m.observed_unix_ns = observed_ns;
        m.event_type = static_cast<int>(e->type);
        if (config_.jetstream) pending.push_back(m.payload);
        if (LogWorthy(e->type)) {
          logger_->Log("info", std::string(EventLabel(e->type)),
                       {{"subject", m.subject}, {"id", m.msg_id}});
        }
        key_events.push_back(std::move(m));
      }
    }
    if (config_.jetstream) {
      // Write-ahead: the key's new state, last sequence and the events, before the events.
      OutMessage w;
      w.partition_key = key;
      w.subject = MirrorSubject(config_.bucket, key);
      w.payload = MirrorValue(next, key, seq, pending, observed_ns);
      msgs.push_back(std::move(w));
    }
    for (auto& m : key_events) msgs.push_back(std::move(m));
  }
  if (!msgs.empty()) publisher_->Enqueue(std::move(msgs));
}

void Bridge::OnPublished(const OutMessage& m, bool duplicate, int64_t acked_ns) {
  if (m.event_type < 0) {
    metrics_.MirrorWrite();
    return;
  }
  metrics_.EventPublished(static_cast<EventType>(m.event_type));
  if (timing_file_ == nullptr && config_.timing_subject.empty()) return;
  std::string line = "{\"id\":\"" + JsonEscape(m.msg_id) + "\",\"subject\":\"" +
                     JsonEscape(m.subject) +
                     "\",\"observed_unix_ns\":" + std::to_string(m.observed_unix_ns) +
                     ",\"acked_unix_ns\":" + std::to_string(acked_ns) +
                     ",\"duplicate\":" + (duplicate ? "true" : "false") + ",\"mode\":\"" +
                     (config_.jetstream ? "jetstream" : "core") + "\"}";
  if (timing_file_ != nullptr) {
    line.push_back('\n');
    std::lock_guard<std::mutex> lock(timing_mu_);
    std::fwrite(line.data(), 1, line.size(), timing_file_);
    std::fflush(timing_file_);
  } else {
    natsConnection_Publish(nats_->conn(), config_.timing_subject.c_str(), line.data(),
                           static_cast<int>(line.size()));
  }
}

}  // namespace lnsim::bridge
