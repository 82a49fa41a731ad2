// Consumers: the applications at the end of the pipeline whose experience the verifier judges.
// A core NATS subscriber (at-most-once), a JetStream durable pull consumer with plain Ack and
// idempotent dedup by event id, and the same with AckSync (double ack). Each hands every receipt,
// stamped with its delivery time and redelivery count, to the verifier through a queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::harness {

enum class ConsumerMode : uint8_t {
  kCore,              // plain subscription; no acks, no redelivery
  kJetStreamAck,      // durable pull consumer, natsMsg_Ack (fire and forget) after processing
  kJetStreamAckSync,  // durable pull consumer, natsMsg_AckSync (waits for the server's confirm)
  // Durable pull consumer whose acks are confirmed like AckSync's, but pipelined: each ack is a
  // request with its own reply subject, confirmations are counted as they arrive, and at most
  // max_unconfirmed_acks are outstanding before the next fetch waits (bounded). Sound for
  // exactly-once with dedup: a message is processed before its ack, and an ack whose
  // confirmation never comes only means a redelivery, which dedup drops.
  kJetStreamAckPipelined,
};
std::string_view ConsumerModeName(ConsumerMode mode);  // "core", "jetstream-ack", ...
StatusOr<ConsumerMode> ParseConsumerMode(std::string_view text);

// One receipt of one message by one consumer, as the verifier sees it.
struct Delivery {
  uint32_t consumer = 0;  // index given at Start
  std::string subject;
  std::string payload;            // the CloudEvents JSON, as received
  std::string id;                 // event id: Nats-Msg-Id header, else from the payload
  int64_t delivered_unix_ns = 0;  // consumer's Clock::UnixNanos() at receipt
  int64_t observed_unix_ns = 0;   // bridge's Lnsim-Observed-Unix-Ns header, 0 when absent
  // The Content-Type header as received ("" when absent): must be application/cloudevents+json
  // (CloudEvents NATS binding, structured mode; docs/events.md "Wire format").
  std::string content_type;
  uint64_t num_delivered = 1;    // JetStream metadata (1 = first delivery); 1 for core
  uint64_t stream_sequence = 0;  // JetStream stream sequence; 0 for core
  // False when the consumer's dedup dropped it (id already processed): a redelivery that the
  // application never saw twice. True receipts of an already processed id are effective
  // duplicates (dedup off, or its state lost in a crash).
  bool processed = true;
};

// Thread-safe hand-off from consumer threads (nats.c callbacks, fetch loops) to the verifier.
class DeliveryQueue {
 public:
  // Timed waits in PopAll go through `clock`, which must outlive the queue.
  explicit DeliveryQueue(const Clock& clock) : clock_(&clock) {}

  void Push(Delivery delivery);
  // Appends everything queued to *out; when the queue is empty waits up to `timeout` on the
  // queue's clock for something to arrive. Returns how many were appended.
  size_t PopAll(std::vector<Delivery>* out, std::chrono::milliseconds timeout);
  size_t size() const;
  uint64_t pushed() const;

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Delivery> items_;
  uint64_t pushed_ = 0;
};

// The ids a consumer has processed. Shared so that a restarted consumer can keep it (an
// application with durable dedup state) or start empty (one that lost it in the crash).
class DedupSet {
 public:
  // True when `id` was not there (and is now): process it.
  bool Insert(const std::string& id);
  size_t size() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::unordered_set<std::string> ids_;
};

// Extracts the event id from a payload when the message has no Nats-Msg-Id header. The default
// reads the top-level "id" of the CloudEvents JSON without parsing the rest.
using IdExtractor = std::function<std::string(std::string_view payload)>;
std::string EnvelopeIdFromJson(std::string_view payload);

struct ConsumerOptions {
  std::string name;  // also the durable name for JetStream modes
  ConsumerMode mode = ConsumerMode::kCore;
  std::string url;             // nats://host:port, or several comma-separated
  std::string creds_file;      // NATS .creds for operator-mode servers (docs/auth.md); "" = none
  std::string nkey_seed_file;  // bare nkey user seed file; "" = none
  std::string inbox_prefix;    // reply subjects' prefix ("" = "_INBOX"); see docs/auth.md
  tls::ClientTlsFiles tls;     // TLS to NATS (CA, client cert); empty = plain
  std::string subject = "linstor.v1.>";
  std::string stream;  // JetStream modes: the stream to bind to
  // Drop receipts of an id already processed. nullopt = the mode's default: on for the
  // JetStream modes (idempotent consumers), off for core (at-most-once, reported as such).
  std::optional<bool> dedup;
  std::shared_ptr<DedupSet> dedup_set;  // null = a fresh one
  int fetch_batch = 256;
  std::chrono::milliseconds fetch_timeout{100};
  std::chrono::milliseconds ack_wait{5000};  // JetStream redelivers unacked messages after this
  // How long Start waits for the stream to exist (the bridge creates it).
  std::chrono::milliseconds start_timeout{10000};
  IdExtractor id_extractor;  // null = EnvelopeIdFromJson
  // Fault hook (JetStream modes): after this many processed messages the consumer "crashes"
  // between processing and acknowledging: the last one is handed to the verifier but never
  // acked, the rest of its batch is dropped, and fetching stops. 0 = never.
  uint64_t crash_after_processed = 0;
  // kJetStreamAckPipelined: acks allowed in flight without a confirmation.
  int max_unconfirmed_acks = 4096;
};

struct ConsumerStats {
  uint64_t received = 0;
  uint64_t processed = 0;
  uint64_t dedup_dropped = 0;
  uint64_t redelivered = 0;  // num_delivered > 1
  uint64_t acks = 0;
  uint64_t ack_failures = 0;      // ack not sent or not confirmed (the message will be redelivered)
  uint64_t acks_unconfirmed = 0;  // pipelined acks still waiting for the server's confirmation
  uint64_t fetch_errors = 0;      // fetches that failed other than by timeout
  uint64_t without_msg_id = 0;    // JetStream modes: messages without a Nats-Msg-Id header
};

// Thread-safe accessors; Start/Stop from the owner thread. Deliveries go to `queue`, which must
// outlive the consumer.
class Consumer {
 public:
  // Connects and subscribes. kUnavailable when the server cannot be reached (names the URL) or
  // the stream does not appear within start_timeout; kInvalidArgument for bad options.
  static StatusOr<std::unique_ptr<Consumer>> Start(const ConsumerOptions& options, uint32_t index,
                                                   const Clock& clock, DeliveryQueue* queue);
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  ~Consumer();

  // Stops receiving and closes the connection. Messages fetched but not yet acknowledged are
  // left unacknowledged (JetStream redelivers them to the next consumer on the durable), as a
  // crash would. Idempotent.
  void Stop();

  const ConsumerOptions& options() const { return options_; }
  uint32_t index() const { return index_; }
  ConsumerStats stats() const;
  // True once crash_after_processed was reached.
  bool crashed() const;
  const std::shared_ptr<DedupSet>& dedup_set() const { return options_.dedup_set; }

 private:
  class Impl;
  Consumer(ConsumerOptions options, uint32_t index);

  ConsumerOptions options_;
  uint32_t index_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lnsim::harness
