// Publishing to NATS. NatsConnection owns the nats.c connection (failover URLs, credentials,
// endless reconnect). Two publishers share one interface:
//  - CorePublisher: core NATS, AT-MOST-ONCE. A message is sent once; if the connection is down
//    and nats.c's reconnect buffer is full, it is lost (counted). The "publish" time is when
//    natsConnection_PublishMsg returned.
//  - JetStreamPublisher: js_PublishMsgAsync with Nats-Msg-Id, bounded in flight, and ONE message
//    in flight per partition key: the next message of a key is sent only after the previous one
//    was acknowledged, so a retried message can never land after a later one of the same key.
//    Timeouts, 503 "no responders" and every other error are retried with capped exponential
//    backoff, never dropped, with the same Msg-Id (the duplicate window absorbs a retry whose
//    first attempt did land; those acks come back with Duplicate=true and are counted).
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bridge/metrics.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::bridge {

struct NatsSettings {
  std::vector<std::string> urls;  // nats://host:port, tried in order, then discovered ones
  std::string creds_file;         // NATS .creds (JWT + NKey seed); empty = none
  // A bare nkey user seed file ("SU...", e.g. from `nk -gen user`); the public key is derived
  // from it and sent with the nonce signature. Exclusive with creds_file. Empty = none.
  std::string nkey_seed_file;
  // Reply subjects start with this instead of "_INBOX" (a user allowed to subscribe only its own
  // inbox, e.g. "_INBOX_bridge-<cluster>" of `lnsim auth init`). Empty = nats.c's default.
  std::string inbox_prefix;
  // TLS (--tls-ca/--tls-cert/--tls-key): any of them, or a tls:// URL, makes the connection
  // TLS-only; the server's certificate is verified against `tls.ca` (else the system's CAs).
  tls::ClientTlsFiles tls;
  std::string name = "lnsim-bridge";
  Duration connect_timeout = std::chrono::seconds(5);
  Duration reconnect_wait = std::chrono::milliseconds(250);
  int reconnect_buffer_bytes = 64 << 20;
  // natsOptions_SetSendAsap: every publish is written to the socket at once instead of being
  // batched by nats.c's flusher thread (lowest latency, more syscalls). --send-asap.
  bool send_asap = false;
};

// Thread-safe after Connect (nats.c connections are).
class NatsConnection {
 public:
  // kUnavailable when no server answers within connect_timeout (the caller exits 3). `clock`
  // (outlives the connection) times the teardown's wait for nats.c's closed callback.
  static StatusOr<std::unique_ptr<NatsConnection>> Connect(const NatsSettings& settings,
                                                           Metrics* metrics, Logger* logger,
                                                           const Clock& clock);
  ~NatsConnection();
  natsConnection* conn() const { return conn_; }
  jsCtx* NewJetStream(const jsOptions* options);  // caller owns (jsCtx_Destroy)
  std::string ConnectedUrl() const;

 private:
  NatsConnection() = default;
  natsConnection* conn_ = nullptr;
  natsOptions* options_ = nullptr;
  const Clock* clock_ = nullptr;  // set by Connect
  Metrics* metrics_ = nullptr;
  Logger* logger_ = nullptr;
  std::atomic<bool> closing_{false};
  // Set by nats.c's closed callback, its last callback for the connection (they run in order on
  // its callback thread); the destructor waits for it so no callback finds `this` freed.
  std::mutex closed_mu_;
  std::condition_variable closed_cv_;
  bool closed_ = false;
  friend void NatsDisconnectedCb(natsConnection*, void*);
  friend void NatsReconnectedCb(natsConnection*, void*);
  friend void NatsClosedCb(natsConnection*, void*);
};

// Makes `options` TLS-only when `files` names anything or a URL is tls://: the CA to trust
// (natsOptions_LoadCATrustedCertificates) and the client certificate chain and key
// (natsOptions_LoadCertificatesChain). kInvalidArgument naming the flag (--tls-ca, --tls-cert,
// --tls-key) and the file when one is missing, unreadable or does not load. Shared with the
// harness's NATS clients.
Status ApplyNatsTls(natsOptions* options, const tls::ClientTlsFiles& files,
                    const std::vector<std::string>& urls);
// A hint appended to a failed connect's message when TLS is the likely cause ("" otherwise).
std::string NatsTlsHint(natsStatus status, const tls::ClientTlsFiles& files);

// The nats.c calls that hand a message over: the seam where tests put a decorator
// (tests/bridge/delayed_publish_connection.h waits before every publish). Implementations must
// be thread-safe (the core publisher calls under its mutex, the JetStream one from its
// dispatcher thread).
class PublishConnection {
 public:
  virtual ~PublishConnection() = default;
  // natsConnection_Publish
  virtual natsStatus Publish(natsConnection* nc, const char* subject, const void* data,
                             int size) = 0;
  // natsConnection_PublishMsg
  virtual natsStatus PublishMsg(natsConnection* nc, natsMsg* msg) = 0;
  // js_PublishMsgAsync
  virtual natsStatus PublishMsgAsync(jsCtx* js, natsMsg** msg, jsPubOptions* options) = 0;
};
// Calls nats.c directly (what a publisher uses when given none).
std::unique_ptr<PublishConnection> NewNatsPublishConnection();

// Forwards to another PublishConnection (LevelDB's EnvWrapper): a decorator derives from it and
// overrides what it changes.
class PublishConnectionWrapper : public PublishConnection {
 public:
  explicit PublishConnectionWrapper(std::unique_ptr<PublishConnection> base)
      : base_(std::move(base)) {}
  natsStatus Publish(natsConnection* nc, const char* subject, const void* data, int size) override {
    return base_->Publish(nc, subject, data, size);
  }
  natsStatus PublishMsg(natsConnection* nc, natsMsg* msg) override {
    return base_->PublishMsg(nc, msg);
  }
  natsStatus PublishMsgAsync(jsCtx* js, natsMsg** msg, jsPubOptions* options) override {
    return base_->PublishMsgAsync(js, msg, options);
  }

 private:
  std::unique_ptr<PublishConnection> base_;
};

// One message for the bus.
struct OutMessage {
  std::string partition_key;  // ordering unit (events and the key's mirror writes)
  std::string subject;
  std::string payload;
  std::string msg_id;     // Nats-Msg-Id; "" = none
  uint64_t sequence = 0;  // event sequence; 0 for mirror writes
  int64_t observed_unix_ns = 0;
  int event_type = -1;  // EventType index; -1 = not an event (mirror write)
  Duration enqueued{};  // set by the publisher
};

// Called once per message when it is done (acknowledged / sent). May run on a nats.c thread;
// must be quick and thread-safe.
using PublishedFn = std::function<void(const OutMessage&, bool duplicate, int64_t acked_unix_ns)>;

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Queues messages; messages of one partition key go out in the order given (across calls).
  // Thread-safe.
  virtual void Enqueue(std::vector<OutMessage> batch) = 0;
  // Waits until nothing is queued or in flight, or `timeout` passed. Returns what is left.
  virtual size_t WaitIdle(Duration timeout) = 0;
  // Queued plus in flight.
  virtual size_t Outstanding() const = 0;
  // Stops the background work; outstanding messages are abandoned (they stay recoverable in
  // JetStream mode through the state mirror's write-ahead entries).
  virtual void Stop() = 0;
};

struct JetStreamPublisherOptions {
  size_t max_in_flight = 4096;
  Duration ack_timeout = std::chrono::seconds(5);
  Duration retry_min = std::chrono::milliseconds(50);
  Duration retry_max = std::chrono::seconds(2);
};

// timing_header: send the Lnsim-Observed-Unix-Ns header (only when the harness asked for the
// timing side channel; without it an event carries only the Content-Type header).
// `calls` (not owned, outlives the publisher) hands messages to nats.c; nullptr = nats.c itself.
std::unique_ptr<Publisher> NewCorePublisher(NatsConnection* nc, const Clock& clock,
                                            Metrics* metrics, Logger* logger, PublishedFn done,
                                            bool timing_header = false,
                                            PublishConnection* calls = nullptr);
// Creates its own JetStream context on `nc` (which must outlive the publisher).
std::unique_ptr<Publisher> NewJetStreamPublisher(NatsConnection* nc, const Clock& clock,
                                                 Metrics* metrics, Logger* logger,
                                                 const JetStreamPublisherOptions& options,
                                                 PublishedFn done,
                                                 PublishConnection* calls = nullptr);

}  // namespace lnsim::bridge
