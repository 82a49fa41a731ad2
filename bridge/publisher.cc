// NATS connection and the two publishers (see publisher.h). The JetStream publisher's core is a
// small scheduler: per-key FIFOs, a ready list of keys whose head may be sent, and a retry heap.
// nats.c ack callbacks only update that state under the mutex and wake the dispatcher thread.
#include "bridge/publisher.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "bridge/event.h"
#include "common/duration.h"
#include "common/nkeys.h"

namespace lnsim::bridge {

namespace {

// nats.c itself, for publishers given no PublishConnection.
class NatsPublishConnection final : public PublishConnection {
 public:
  natsStatus Publish(natsConnection* nc, const char* subject, const void* data, int size) override {
    return natsConnection_Publish(nc, subject, data, size);
  }
  natsStatus PublishMsg(natsConnection* nc, natsMsg* msg) override {
    return natsConnection_PublishMsg(nc, msg);
  }
  natsStatus PublishMsgAsync(jsCtx* js, natsMsg** msg, jsPubOptions* options) override {
    return js_PublishMsgAsync(js, msg, options);
  }
};

PublishConnection& DirectNats() {
  static NatsPublishConnection direct;
  return direct;
}

std::string NatsError(natsStatus s) {
  std::string out = natsStatus_GetText(s);
  const char* last = nats_GetLastError(nullptr);
  if (last != nullptr && *last != '\0' && out != last) {
    out += ": ";
    out += last;
  }
  return out;
}

int64_t Millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// Builds the NATS message for `m` with the bridge's headers. Every event carries the CloudEvents
// structured-mode Content-Type (core and JetStream alike). The key and sequence headers are for
// JetStream (ack matching, recovery); core NATS carries only the timing breadcrumb.
natsStatus BuildMsg(const OutMessage& m, natsMsg** out, bool key_headers = true,
                    bool observed_header = true) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.payload.data(),
                                static_cast<int>(m.payload.size()));
  if (s == NATS_OK && m.event_type >= 0) {
    s = natsMsgHeader_Set(msg, kHeaderContentType, kCloudEventsJson);
  }
  if (s == NATS_OK && key_headers) {
    s = natsMsgHeader_Set(msg, kHeaderPartitionKey, m.partition_key.c_str());
  }
  if (s == NATS_OK && key_headers && m.sequence != 0) {
    s = natsMsgHeader_Set(msg, kHeaderSequence, std::to_string(m.sequence).c_str());
  }
  if (s == NATS_OK && observed_header && m.observed_unix_ns != 0) {
    s = natsMsgHeader_Set(msg, kHeaderObservedNs, std::to_string(m.observed_unix_ns).c_str());
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return s;
  }
  *out = msg;
  return NATS_OK;
}

// The host name every URL names ("" when they differ, none is given, or it is an IP address).
std::string SingleHostName(const std::vector<std::string>& urls) {
  std::string common;
  for (const auto& url : urls) {
    std::string rest = url;
    if (const size_t scheme = rest.find("://"); scheme != std::string::npos) {
      rest = rest.substr(scheme + 3);
    }
    if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    std::string host;
    if (!rest.empty() && rest.front() == '[') {
      host = rest.substr(1, rest.find(']') - 1);
    } else {
      host = rest.substr(0, rest.find_first_of(":/"));
    }
    unsigned char buf[16];
    if (host.empty() || inet_pton(AF_INET, host.c_str(), buf) == 1 ||
        inet_pton(AF_INET6, host.c_str(), buf) == 1) {
      return "";
    }
    if (!common.empty() && common != host) return "";
    common = host;
  }
  return common;
}

}  // namespace

Status ApplyNatsTls(natsOptions* options, const tls::ClientTlsFiles& files,
                    const std::vector<std::string>& urls) {
  bool secure = files.any();
  for (const auto& u : urls) secure = secure || u.rfind("tls://", 0) == 0;
  if (!secure) return OkStatus();
  LNSIM_RETURN_IF_ERROR(files.Validate("--tls"));
  natsStatus s = natsOptions_SetSecure(options, true);
  if (s != NATS_OK) return InvalidArgumentError("nats TLS: " + NatsError(s));
  // nats.c checks the certificate's names only against an expected host name. When every URL
  // names the same host by name, the certificate must name it too (as nats.go checks each
  // server); IP addresses and mixed seed lists get the chain check only.
  const std::string host = SingleHostName(urls);
  if (!host.empty()) {
    s = natsOptions_SetExpectedHostname(options, host.c_str());
    if (s != NATS_OK) return InvalidArgumentError("nats TLS host name: " + NatsError(s));
  }
  if (!files.ca.empty()) {
    s = natsOptions_LoadCATrustedCertificates(options, files.ca.c_str());
    if (s != NATS_OK) {
      return InvalidArgumentError("--tls-ca '" + files.ca + "': cannot load: " + NatsError(s));
    }
  }
  if (!files.cert.empty()) {
    s = natsOptions_LoadCertificatesChain(options, files.cert.c_str(), files.key.c_str());
    if (s != NATS_OK) {
      return InvalidArgumentError("--tls-cert '" + files.cert + "' / --tls-key '" + files.key +
                                  "': cannot load: " + NatsError(s));
    }
  }
  return OkStatus();
}

std::string NatsTlsHint(natsStatus s, const tls::ClientTlsFiles& files) {
  if (s == NATS_SSL_ERROR) {
    const char* last = nats_GetLastError(nullptr);
    if (last != nullptr && std::string_view(last).find("hostname mismatch") != std::string::npos) {
      return " (the server's certificate does not name the host of the URL: connect by a name or "
             "address the certificate lists)";
    }
  }
  if (s == NATS_SECURE_CONNECTION_REQUIRED ||
      (s == NATS_SSL_ERROR && files.ca.empty() && files.cert.empty())) {
    return " (the server requires TLS: give --tls-ca with the CA that signed its certificate)";
  }
  if (s == NATS_SSL_ERROR && files.ca.empty()) {
    return " (TLS handshake failed: is --tls-ca the CA that signed the server's certificate?)";
  }
  // With TLS 1.3 the server checks the client certificate after the client's handshake ended:
  // a refused one shows as the connection closing before the first PONG.
  const bool closed_early = s == NATS_CONNECTION_CLOSED || s == NATS_PROTOCOL_ERROR;
  if (s == NATS_SSL_ERROR || (closed_early && files.any() && files.cert.empty())) {
    return files.cert.empty()
               ? " (TLS handshake failed: the server's certificate is not signed by --tls-ca, or "
                 "the server requires a client certificate: give --tls-cert and --tls-key)"
               : " (TLS handshake failed: check that --tls-ca signed the server's certificate and "
                 "that the server trusts the CA of --tls-cert)";
  }
  if (closed_early && !files.cert.empty()) {
    return " (the server closed the connection during TLS set-up: does it trust the CA of "
           "--tls-cert?)";
  }
  if (s == NATS_SECURE_CONNECTION_WANTED) {
    return " (TLS was asked for but the server does not offer it)";
  }
  return "";
}

void NatsDisconnectedCb(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  if (self->closing_.load()) return;
  if (self->metrics_) self->metrics_->NatsDisconnected();
  if (self->logger_) self->logger_->Log("warn", "nats disconnected; reconnecting");
}

void NatsReconnectedCb(natsConnection* nc, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  if (self->metrics_) self->metrics_->NatsReconnected();
  char url[256] = {0};
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  if (self->logger_) self->logger_->Log("info", "nats reconnected", {{"url", url}});
}

// The last callback nats.c makes for a connection: after it, none uses `closure` again.
void NatsClosedCb(natsConnection*, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  std::lock_guard<std::mutex> lock(self->closed_mu_);
  self->closed_ = true;
  self->closed_cv_.notify_all();
}

StatusOr<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const NatsSettings& settings,
                                                                  Metrics* metrics, Logger* logger,
                                                                  const Clock& clock) {
  std::unique_ptr<NatsConnection> self(new NatsConnection());
  self->clock_ = &clock;
  self->metrics_ = metrics;
  self->logger_ = logger;
  natsStatus s = natsOptions_Create(&self->options_);
  std::vector<const char*> urls;
  for (const auto& u : settings.urls) urls.push_back(u.c_str());
  if (s == NATS_OK && !urls.empty()) {
    s = natsOptions_SetServers(self->options_, urls.data(), static_cast<int>(urls.size()));
  }
  if (s == NATS_OK && !settings.nkey_seed_file.empty()) {
    std::ifstream in(settings.nkey_seed_file);
    std::string seed;
    in >> seed;
    auto kp = nkeys::KeyPair::FromSeed(seed);
    if (!kp.ok()) {
      return InvalidArgumentError("--nkey-seed " + settings.nkey_seed_file + ": " +
                                  (in ? kp.status().message() : std::string("cannot be read")));
    }
    s = natsOptions_SetNKeyFromSeed(self->options_, kp->PublicKey().c_str(),
                                    settings.nkey_seed_file.c_str());
  }
  if (s == NATS_OK && !settings.inbox_prefix.empty()) {
    s = natsOptions_SetCustomInboxPrefix(self->options_, settings.inbox_prefix.c_str());
  }
  if (s == NATS_OK && !settings.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(self->options_, settings.creds_file.c_str(),
                                                nullptr);
  }
  if (s != NATS_OK) return InvalidArgumentError("nats options: " + NatsError(s));
  LNSIM_RETURN_IF_ERROR(ApplyNatsTls(self->options_, settings.tls, settings.urls));
  if (s == NATS_OK) s = natsOptions_SetName(self->options_, settings.name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(self->options_, -1);
  if (s == NATS_OK)
    s = natsOptions_SetReconnectWait(self->options_, Millis(settings.reconnect_wait));
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectBufSize(self->options_, settings.reconnect_buffer_bytes);
  }
  if (s == NATS_OK) s = natsOptions_SetTimeout(self->options_, Millis(settings.connect_timeout));
  if (s == NATS_OK) {
    s = natsOptions_SetDisconnectedCB(self->options_, NatsDisconnectedCb, self.get());
  }
  if (s == NATS_OK) {
    s = natsOptions_SetReconnectedCB(self->options_, NatsReconnectedCb, self.get());
  }
  if (s == NATS_OK) s = natsOptions_SetClosedCB(self->options_, NatsClosedCb, self.get());
  if (s == NATS_OK && settings.send_asap) s = natsOptions_SetSendAsap(self->options_, true);
  if (s != NATS_OK) return InvalidArgumentError("nats options: " + NatsError(s));
  s = natsConnection_Connect(&self->conn_, self->options_);
  if (s != NATS_OK) {
    std::string joined;
    for (const auto& u : settings.urls) joined += (joined.empty() ? "" : ",") + u;
    return UnavailableError("cannot connect to NATS at " + joined + ": " + NatsError(s) +
                            NatsTlsHint(s, settings.tls));
  }
  return self;
}

NatsConnection::~NatsConnection() {
  closing_.store(true);
  if (conn_ != nullptr) {
    natsConnection_FlushTimeout(conn_, 2000);
    natsConnection_Close(conn_);
    // Close queues the disconnected and closed callbacks for nats.c's callback thread, which
    // runs them later with `this`: wait for the closed one (freeing `this` first was
    // bridge_bench's intermittent segfault, in NatsDisconnectedCb).
    {
      std::unique_lock<std::mutex> lock(closed_mu_);
      const auto closed = [&] { return closed_; };
      clock_->WaitFor(lock, closed_cv_, std::chrono::seconds(5), closed);
    }
    natsConnection_Destroy(conn_);
  }
  natsOptions_Destroy(options_);
}

jsCtx* NatsConnection::NewJetStream(const jsOptions* options) {
  jsCtx* js = nullptr;
  jsOptions copy;
  if (options != nullptr) copy = *options;
  if (natsConnection_JetStream(&js, conn_, options ? &copy : nullptr) != NATS_OK) return nullptr;
  return js;
}

std::string NatsConnection::ConnectedUrl() const {
  char url[256] = {0};
  natsConnection_GetConnectedUrl(conn_, url, sizeof url);
  return url;
}

namespace {

// ----------------------------------------------------------------------------------- core
class CorePublisher final : public Publisher {
 public:
  CorePublisher(NatsConnection* nc, const Clock& clock, Metrics* metrics, Logger* logger,
                PublishedFn done, bool timing_header, PublishConnection* calls)
      : nc_(nc),
        calls_(calls != nullptr ? *calls : DirectNats()),
        clock_(clock),
        metrics_(metrics),
        logger_(logger),
        done_(std::move(done)),
        timing_header_(timing_header) {}

  void Enqueue(std::vector<OutMessage> batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& m : batch) {
      const Duration start = clock_.Now();
      natsStatus s;
      if (timing_header_ || m.event_type >= 0) {  // events always carry Content-Type
        natsMsg* msg = nullptr;
        s = BuildMsg(m, &msg, /*key_headers=*/false, timing_header_);
        if (s == NATS_OK) s = calls_.PublishMsg(nc_->conn(), msg);
        natsMsg_Destroy(msg);
      } else {
        s = calls_.Publish(nc_->conn(), m.subject.c_str(), m.payload.data(),
                           static_cast<int>(m.payload.size()));
      }
      if (s != NATS_OK) {
        // At-most-once: the message is lost. Counted and logged, never retried.
        if (metrics_) metrics_->Error("nats_publish_dropped");
        if (logger_) {
          logger_->Log("error", "core NATS publish failed; event lost (at-most-once)",
                       {{"subject", m.subject}, {"id", m.msg_id}, {"reason", NatsError(s)}});
        }
        continue;
      }
      if (metrics_) metrics_->PublishLatency(clock_.Now() - start);
      if (done_) done_(m, false, clock_.UnixNanos());
    }
  }

  size_t WaitIdle(Duration timeout) override {
    natsConnection_FlushTimeout(nc_->conn(), std::max<int64_t>(1, Millis(timeout)));
    return 0;
  }
  size_t Outstanding() const override { return 0; }
  void Stop() override {}

 private:
  NatsConnection* nc_;
  PublishConnection& calls_;
  const Clock& clock_;
  Metrics* metrics_;
  Logger* logger_;
  PublishedFn done_;
  bool timing_header_;
  std::mutex mu_;
};

// ------------------------------------------------------------------------------ JetStream
// Who sends: the thread that makes a key sendable sends its head right away, outside the mutex —
// the ack handler (nats.c's delivery thread) for the key it just acknowledged and for keys that
// waited for a free in-flight slot, the dispatcher thread for new batches and due retries. So in
// the steady state an acknowledgement and the next publish of that key cost no thread switch.
// nats.c never blocks in js_PublishMsgAsync here: its MaxPending is above max_in_flight.
// Ack timeouts are tracked here, not with jsPubOptions.MaxWait: nats.c 3.4.1 keeps a record per
// MaxWait message that it never drops on the ack and later turns each into a synthetic timeout
// message for the ack thread (a second message per publish; measured: it halved throughput).
// When an attempt's deadline passes, js_PublishAsyncGetPendingList takes back everything nats.c
// still waits for (no late callback can then confuse an attempt with its retry) and each of those
// keys retries its head, with the same Msg-Id, in order.
class JetStreamPublisher final : public Publisher {
 public:
  JetStreamPublisher(NatsConnection* nc, const Clock& clock, Metrics* metrics, Logger* logger,
                     const JetStreamPublisherOptions& options, PublishedFn done,
                     PublishConnection* calls)
      : nc_(nc),
        calls_(calls != nullptr ? *calls : DirectNats()),
        clock_(clock),
        metrics_(metrics),
        logger_(logger),
        options_(options),
        done_(std::move(done)) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = static_cast<int64_t>(options_.max_in_flight) * 2 + 16;
    jo.PublishAsync.AckHandler = &JetStreamPublisher::AckHandler;
    jo.PublishAsync.AckHandlerClosure = this;
    jo.Wait = Millis(options_.ack_timeout);
    js_ = nc_->NewJetStream(&jo);
    LNSIM_CHECK(js_ != nullptr) << "cannot create a JetStream context";
    dispatcher_ = std::thread([this] { Dispatch(); });
  }

  ~JetStreamPublisher() override {
    Stop();
    // nats.c calls AckHandler with `this` once per message it holds (ack, error or MaxWait
    // timeout). Take back what it still holds (no callback comes for those), then wait for the
    // callbacks already running and for sends that were past the stop check.
    // (nats.c 3.4.1 crashes in GetPendingList when nothing was ever published: no map yet.)
    natsMsgList pending{};
    if (handed_any_.load() && js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK) {
      std::lock_guard<std::mutex> lock(mu_);
      for (int i = 0; i < pending.Count; ++i) {
        const char* key = nullptr;
        if (natsMsgHeader_Get(pending.Msgs[i], kHeaderPartitionKey, &key) != NATS_OK) continue;
        auto it = keys_.find(key);
        if (it != keys_.end() && it->second.in_flight) {
          it->second.in_flight = false;
          --in_flight_;
          attempts_.erase(it->second.attempt);
        }
      }
      natsMsgList_Destroy(&pending);
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      const bool quiet =
          clock_.WaitFor(lock, idle_cv_, options_.ack_timeout + std::chrono::seconds(2),
                         [&] { return in_flight_ == 0 && callbacks_ == 0; });
      if (!quiet && logger_) {
        logger_->Log("error", "JetStream publisher destroyed with acknowledgements outstanding",
                     {{"in_flight", std::to_string(in_flight_)}});
      }
    }
    jsCtx_Destroy(js_);
  }

  void Enqueue(std::vector<OutMessage> batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    const Duration now = clock_.Now();
    for (auto& m : batch) {
      m.enqueued = now;
      auto [it, fresh] = keys_.try_emplace(m.partition_key);
      KeyState& ks = it->second;
      if (fresh) ks.key = &it->first;
      ks.queue.push_back(std::move(m));
      ++outstanding_;
      if (ks.queue.size() == 1) MakeReady(ks);
    }
    UpdateGauges();
    cv_.notify_one();
  }

  size_t WaitIdle(Duration timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    clock_.WaitFor(lock, idle_cv_, timeout, [&] { return outstanding_ == 0 || stop_; });
    return outstanding_;
  }

  size_t Outstanding() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return outstanding_;
  }

  void Stop() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    idle_cv_.notify_all();
    if (dispatcher_.joinable()) dispatcher_.join();
  }

 private:
  struct KeyState {
    const std::string* key = nullptr;  // the map's key (node-based map: stable)
    std::deque<OutMessage> queue;      // head = the message in flight or next to send
    bool in_flight = false;
    bool waiting_retry = false;
    bool in_ready = false;
    int attempts = 0;
    uint64_t attempt = 0;  // id of the attempt in flight (attempts_)
  };
  // A head marked in flight, to be published outside the mutex. `head` stays valid: only the
  // key's own acknowledgement pops it, and deque::push_back keeps references.
  struct Send {
    KeyState* ks;
    const OutMessage* head;
  };

  static void AckHandler(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    static_cast<JetStreamPublisher*>(closure)->OnAck(msg, pa, pae);
    natsMsg_Destroy(msg);
  }

  // Caller holds mu_. A key whose head may be sent joins the ready list (once).
  void MakeReady(KeyState& ks) {
    if (ks.in_flight || ks.waiting_retry || ks.in_ready || ks.queue.empty()) return;
    ks.in_ready = true;
    ready_.push_back(&ks);
  }

  // Caller holds mu_. Marks ready heads in flight while slots are free.
  void TakeSendable(std::vector<Send>* out, Duration now) {
    while (!stop_ && !ready_.empty() && in_flight_ < options_.max_in_flight) {
      KeyState* ks = ready_.front();
      ready_.pop_front();
      ks->in_ready = false;
      if (ks->in_flight || ks->waiting_retry || ks->queue.empty()) continue;
      ks->in_flight = true;
      ++in_flight_;
      ks->attempt = ++next_attempt_;
      attempts_.emplace(ks->attempt, ks);
      deadlines_.emplace_back(now + options_.ack_timeout, ks->attempt);
      out->push_back({ks, &ks->queue.front()});
    }
  }

  // Publishes heads taken by TakeSendable; called without mu_.
  void SendAll(const std::vector<Send>& sends) {
    for (const Send& send : sends) {
      const OutMessage& head = *send.head;
      natsMsg* msg = nullptr;
      natsStatus s = BuildMsg(head, &msg);
      if (s == NATS_OK) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        if (!head.msg_id.empty()) po.MsgId = head.msg_id.c_str();
        s = calls_.PublishMsgAsync(js_, &msg, &po);
      }
      natsMsg_Destroy(msg);  // no-op when the library took ownership
      if (s == NATS_OK) {
        if (!handed_any_.load(std::memory_order_relaxed)) handed_any_.store(true);
        if (last_sync_error_.load(std::memory_order_relaxed) != NATS_OK) {
          last_sync_error_.store(NATS_OK, std::memory_order_relaxed);
        }
        continue;
      }
      // The call itself failed (e.g. closed connection, reconnect buffer full): the key waits
      // for its retry; nothing was handed to nats.c, so no callback will come.
      {
        std::lock_guard<std::mutex> lock(mu_);
        KeyState& ks = *send.ks;
        if (ks.in_flight) {
          ks.in_flight = false;
          --in_flight_;
          attempts_.erase(ks.attempt);
          ScheduleRetry(ks, clock_.Now());
        }
        UpdateGauges();
        if (in_flight_ == 0) idle_cv_.notify_all();
      }
      cv_.notify_one();
      if (metrics_) metrics_->Error("nats_publish");
      if (logger_ && last_sync_error_.exchange(s) != s) {
        logger_->Log("warn", "JetStream publish call failed; retrying in order",
                     {{"reason", NatsError(s)}});
      }
    }
  }

  void UpdateGauges() {
    if (metrics_) {
      metrics_->SetAcksPending(static_cast<int64_t>(in_flight_));
      metrics_->SetQueued(static_cast<int64_t>(outstanding_ - in_flight_));
    }
  }

  void OnAck(natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) {
    const char* key = nullptr;
    if (natsMsgHeader_Get(msg, kHeaderPartitionKey, &key) != NATS_OK || key == nullptr) return;
    std::vector<Send> sends;
    OutMessage done;
    bool acked = false;
    bool duplicate = false;
    std::string subject, id;  // of a failed head, for the log
    int attempts = 0;
    const Duration now = clock_.Now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = keys_.find(key);
      if (it == keys_.end() || !it->second.in_flight || it->second.queue.empty()) return;
      KeyState& ks = it->second;
      ks.in_flight = false;
      --in_flight_;
      attempts_.erase(ks.attempt);
      ++callbacks_;
      if (pa != nullptr && pae == nullptr) {
        acked = true;
        duplicate = pa->Duplicate;
        done = std::move(ks.queue.front());
        ks.queue.pop_front();
        ks.attempts = 0;
        if (ks.queue.empty()) {
          keys_.erase(it);
        } else {
          MakeReady(ks);
        }
      } else {
        // Failure: the key stays blocked until its head is retried.
        ScheduleRetry(ks, now);
        subject = ks.queue.front().subject;
        id = ks.queue.front().msg_id;
        attempts = ks.attempts;
      }
      TakeSendable(&sends, now);
      UpdateGauges();
    }
    if (!acked) cv_.notify_one();  // the dispatcher owns the retry timer
    SendAll(sends);
    if (acked) {
      if (metrics_) {
        metrics_->PublishLatency(now - done.enqueued);
        if (duplicate) metrics_->Duplicate();
      }
      if (duplicate && logger_) {
        logger_->Log("info", "republish absorbed by the JetStream duplicate window",
                     {{"id", done.msg_id}, {"subject", done.subject}});
      }
      if (done_) done_(done, duplicate, clock_.UnixNanos());
    } else {
      const natsStatus err = pae ? pae->Err : NATS_ERR;
      const std::string reason = pae && pae->ErrText ? pae->ErrText : natsStatus_GetText(err);
      const char* kind = err == NATS_TIMEOUT         ? "nats_ack_timeout"
                         : err == NATS_NO_RESPONDERS ? "nats_no_responders"
                                                     : "nats_publish";
      if (metrics_) metrics_->Error(kind);
      if (logger_ && (attempts == 1 || attempts % 20 == 0)) {
        logger_->Log("warn", "JetStream publish failed; retrying in order",
                     {{"subject", subject},
                      {"id", id},
                      {"kind", kind},
                      {"reason", reason},
                      {"attempt", std::to_string(attempts)}});
      }
    }
    // An acknowledged message stops being outstanding once `done_` has run, so WaitIdle (the
    // drain) also waits for what the callbacks report.
    std::lock_guard<std::mutex> lock(mu_);
    if (acked) {
      --outstanding_;
      UpdateGauges();
    }
    if ((--callbacks_ == 0 && stop_) || outstanding_ == 0) idle_cv_.notify_all();
  }

  // Caller holds mu_. Drops deadlines of finished attempts; true when the oldest live attempt
  // is past its deadline.
  bool ExpiredAttempt(Duration now) {
    while (!deadlines_.empty()) {
      const auto& [deadline, id] = deadlines_.front();
      if (attempts_.count(id) == 0) {
        deadlines_.pop_front();
        continue;
      }
      return deadline <= now;
    }
    return false;
  }

  // An acknowledgement is overdue: takes back every message nats.c still waits for and retries
  // each key's head (same Msg-Id; the duplicate window absorbs copies that did land). Called
  // without mu_ (nats.c's lock is taken inside).
  void ResendUnacknowledged() {
    natsMsgList pending{};
    const bool got = handed_any_.load() && js_PublishAsyncGetPendingList(&pending, js_) == NATS_OK;
    size_t resent = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const Duration now = clock_.Now();
      for (int i = 0; got && i < pending.Count; ++i) {
        const char* key = nullptr;
        if (natsMsgHeader_Get(pending.Msgs[i], kHeaderPartitionKey, &key) != NATS_OK) continue;
        auto it = keys_.find(key);
        if (it == keys_.end() || !it->second.in_flight) continue;
        KeyState& ks = it->second;
        ks.in_flight = false;
        --in_flight_;
        attempts_.erase(ks.attempt);
        ScheduleRetry(ks, now);
        ++resent;
      }
      // Expired attempts nats.c did not hold (being sent or being acknowledged right now) get
      // another period rather than a second reset.
      while (!deadlines_.empty() && deadlines_.front().first <= now) {
        const uint64_t id = deadlines_.front().second;
        deadlines_.pop_front();
        if (attempts_.count(id)) deadlines_.emplace_back(now + options_.ack_timeout, id);
      }
      UpdateGauges();
      if (in_flight_ == 0) idle_cv_.notify_all();
    }
    if (got) natsMsgList_Destroy(&pending);
    if (resent == 0) return;
    if (metrics_) {
      for (size_t i = 0; i < resent; ++i) metrics_->Error("nats_ack_timeout");
    }
    if (logger_) {
      logger_->Log("warn", "JetStream acknowledgements overdue; resending in order",
                   {{"messages", std::to_string(resent)},
                    {"ack_timeout", std::to_string(Millis(options_.ack_timeout)) + "ms"}});
    }
  }

  // Caller holds mu_.
  void ScheduleRetry(KeyState& ks, Duration now) {
    ++ks.attempts;
    Duration backoff = options_.retry_min;
    for (int i = 1; i < ks.attempts && backoff < options_.retry_max; ++i) backoff *= 2;
    backoff = std::min(backoff, options_.retry_max);
    ks.waiting_retry = true;
    retries_.push({now + backoff, *ks.key});
  }

  void Dispatch() {
    std::unique_lock<std::mutex> lock(mu_);
    std::vector<Send> sends;
    while (!stop_) {
      const Duration now = clock_.Now();
      while (!retries_.empty() && retries_.top().first <= now) {
        auto it = keys_.find(retries_.top().second);
        retries_.pop();
        if (it == keys_.end()) continue;
        it->second.waiting_retry = false;
        MakeReady(it->second);
      }
      if (ExpiredAttempt(now)) {
        lock.unlock();
        ResendUnacknowledged();
        lock.lock();
        continue;
      }
      sends.clear();
      TakeSendable(&sends, now);
      if (!sends.empty()) {
        UpdateGauges();
        lock.unlock();
        SendAll(sends);
        lock.lock();
        continue;
      }
      Duration wait = std::chrono::milliseconds(50);
      if (!retries_.empty()) wait = std::min(wait, retries_.top().first - now);
      if (!deadlines_.empty()) wait = std::min(wait, deadlines_.front().first - now);
      if (wait < Duration(std::chrono::microseconds(100))) wait = std::chrono::microseconds(100);
      clock_.WaitFor(lock, cv_, wait);
    }
  }

  NatsConnection* nc_;
  PublishConnection& calls_;
  const Clock& clock_;
  Metrics* metrics_;
  Logger* logger_;
  JetStreamPublisherOptions options_;
  PublishedFn done_;
  jsCtx* js_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // wakes the dispatcher: new batch, retry scheduled, stop
  std::condition_variable idle_cv_;  // outstanding_ == 0; teardown quiet
  std::unordered_map<std::string, KeyState> keys_;
  std::deque<KeyState*> ready_;
  std::unordered_map<uint64_t, KeyState*> attempts_;     // live attempts by id
  std::deque<std::pair<Duration, uint64_t>> deadlines_;  // (ack deadline, attempt), by time
  uint64_t next_attempt_ = 0;
  std::priority_queue<std::pair<Duration, std::string>,
                      std::vector<std::pair<Duration, std::string>>, std::greater<>>
      retries_;
  size_t in_flight_ = 0;    // heads handed (or being handed) to nats.c
  size_t outstanding_ = 0;  // queued + in flight
  int callbacks_ = 0;       // AckHandler calls past their bookkeeping, still using `this`
  bool stop_ = false;
  std::atomic<natsStatus> last_sync_error_{NATS_OK};
  std::atomic<bool> handed_any_{false};  // nats.c accepted a message at least once
  std::thread dispatcher_;
};

}  // namespace

std::unique_ptr<Publisher> NewCorePublisher(NatsConnection* nc, const Clock& clock,
                                            Metrics* metrics, Logger* logger, PublishedFn done,
                                            bool timing_header, PublishConnection* calls) {
  return std::make_unique<CorePublisher>(nc, clock, metrics, logger, std::move(done), timing_header,
                                         calls);
}

std::unique_ptr<Publisher> NewJetStreamPublisher(NatsConnection* nc, const Clock& clock,
                                                 Metrics* metrics, Logger* logger,
                                                 const JetStreamPublisherOptions& options,
                                                 PublishedFn done, PublishConnection* calls) {
  return std::make_unique<JetStreamPublisher>(nc, clock, metrics, logger, options, std::move(done),
                                              calls);
}

std::unique_ptr<PublishConnection> NewNatsPublishConnection() {
  return std::make_unique<NatsPublishConnection>();
}

}  // namespace lnsim::bridge
