// Consumers over nats.c: the core subscriber runs in nats.c's callback thread, each JetStream
// consumer in its own fetch loop thread. Both only stamp, dedup and enqueue: judging happens in
// the verifier.
#include "harness/consumer.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "harness/hints.h"
#include "harness/internal/nats_util.h"

namespace lnsim::harness {

std::string_view ConsumerModeName(ConsumerMode mode) {
  switch (mode) {
    case ConsumerMode::kCore:
      return "core";
    case ConsumerMode::kJetStreamAck:
      return "jetstream-ack";
    case ConsumerMode::kJetStreamAckSync:
      return "jetstream-acksync";
    case ConsumerMode::kJetStreamAckPipelined:
      return "jetstream-ackpipe";
  }
  return "?";
}

StatusOr<ConsumerMode> ParseConsumerMode(std::string_view text) {
  if (text == "core") return ConsumerMode::kCore;
  if (text == "jetstream-ack" || text == "ack") return ConsumerMode::kJetStreamAck;
  if (text == "jetstream-acksync" || text == "acksync") return ConsumerMode::kJetStreamAckSync;
  if (text == "jetstream-ackpipe" || text == "ackpipe") {
    return ConsumerMode::kJetStreamAckPipelined;
  }
  return InvalidArgumentError(
      "consumer mode '" + std::string(text) +
      "': expected core, jetstream-ack, jetstream-acksync or jetstream-ackpipe");
}

// ---------------------------------------------------------------------------------------------

void DeliveryQueue::Push(Delivery delivery) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(delivery));
    ++pushed_;
  }
  cv_.notify_one();
}

size_t DeliveryQueue::PopAll(std::vector<Delivery>* out, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (items_.empty()) clock_->WaitFor(lock, cv_, timeout, [&] { return !items_.empty(); });
  const size_t n = items_.size();
  if (out->empty()) {
    out->swap(items_);
  } else {
    for (auto& d : items_) out->push_back(std::move(d));
    items_.clear();
  }
  return n;
}

size_t DeliveryQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

uint64_t DeliveryQueue::pushed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pushed_;
}

bool DedupSet::Insert(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.insert(id).second;
}
size_t DedupSet::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.size();
}
void DedupSet::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  ids_.clear();
}

std::string EnvelopeIdFromJson(std::string_view json) {
  // Scan the top-level object for the key "id"; strings are skipped with their escapes, so an
  // "id" inside data or inside a string value is never taken.
  int depth = 0;
  size_t i = 0;
  const size_t n = json.size();
  auto read_string = [&](size_t start, std::string* out) -> size_t {
    size_t j = start + 1;
    while (j < n && json[j] != '"') {
      if (json[j] == '\\' && j + 1 < n) {
        if (out) out->push_back(json[j + 1]);
        j += 2;
        continue;
      }
      if (out) out->push_back(json[j]);
      ++j;
    }
    return j + 1;  // past the closing quote
  };
  bool expect_key = false;
  while (i < n) {
    const char ch = json[i];
    if (ch == '{' || ch == '[') {
      ++depth;
      expect_key = (ch == '{' && depth == 1);
      ++i;
    } else if (ch == '}' || ch == ']') {
      --depth;
      ++i;
    } else if (ch == ',') {
      expect_key = (depth == 1);
      ++i;
    } else if (ch == '"') {
      if (depth == 1 && expect_key) {
        std::string key;
        i = read_string(i, &key);
        expect_key = false;
        if (key == "id") {
          while (i < n && (json[i] == ' ' || json[i] == ':' || json[i] == '\t')) ++i;
          if (i < n && json[i] == '"') {
            std::string value;
            read_string(i, &value);
            return value;
          }
          return "";
        }
      } else {
        i = read_string(i, nullptr);
      }
    } else {
      ++i;
    }
  }
  return "";
}

// ---------------------------------------------------------------------------------------------

class Consumer::Impl {
 public:
  Impl(const ConsumerOptions& options, uint32_t index, const Clock& clock, DeliveryQueue* queue)
      : options_(options), index_(index), clock_(clock), queue_(queue) {}

  ~Impl() { Stop(); }

  Status Start() {
    auth_.creds_file = options_.creds_file;
    auth_.nkey_seed_file = options_.nkey_seed_file;
    auth_.inbox_prefix = options_.inbox_prefix;
    auth_.tls = options_.tls;
    LNSIM_ASSIGN_OR_RETURN(
        nc_, internal::ConnectNats(options_.url, "lnsim-consumer-" + options_.name, auth_));
    if (options_.mode == ConsumerMode::kCore) {
      natsStatus s = natsConnection_Subscribe(&sub_, nc_, options_.subject.c_str(),
                                              &Impl::OnCoreMessage, this);
      if (s != NATS_OK) {
        return UnavailableError("consumer " + options_.name + ": subscribe '" + options_.subject +
                                "': " + natsStatus_GetText(s));
      }
      // Never drop for slowness on our side: a drop here would be blamed on the pipeline.
      natsSubscription_SetPendingLimits(sub_, -1, -1);
      s = natsConnection_Flush(nc_);
      if (s != NATS_OK) {
        return UnavailableError("consumer " + options_.name + ": flush: " + natsStatus_GetText(s));
      }
      return OkStatus();
    }
    if (options_.stream.empty()) {
      return InvalidArgumentError("consumer " + options_.name + ": JetStream mode needs a stream");
    }
    natsStatus s = natsConnection_JetStream(&js_, nc_, nullptr);
    if (s != NATS_OK) return InternalError(std::string("jetstream: ") + natsStatus_GetText(s));
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = options_.stream.c_str();
    so.ManualAck = true;
    so.Config.Durable = options_.name.c_str();
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.AckWait =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.ack_wait).count();
    so.Config.MaxAckPending = 65536;
    so.Config.DeliverPolicy = js_DeliverAll;
    const Duration deadline = clock_.Now() + options_.start_timeout;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    while (true) {
      s = js_PullSubscribe(&sub_, js_, options_.subject.c_str(), options_.name.c_str(), nullptr,
                           &so, &jerr);
      if (s == NATS_OK) break;
      if (clock_.Now() >= deadline) {
        return UnavailableError(
            "consumer " + options_.name + ": pull subscribe to stream '" + options_.stream +
            "' on " + options_.url + ": " + natsStatus_GetText(s) + " (jetstream error " +
            std::to_string(jerr) + ")" + MissingStreamHint(jerr, options_.stream));
      }
      // The stream may not exist yet (the bridge creates it): bounded retry.
      clock_.SleepFor(std::chrono::milliseconds(50));
    }
    if (options_.mode == ConsumerMode::kJetStreamAckPipelined) {
      char* inbox = nullptr;
      natsInbox_Create(&inbox);
      ack_inbox_prefix_ = inbox;
      natsInbox_Destroy(inbox);
      if (!options_.inbox_prefix.empty()) {
        // natsInbox_Create ignores the connection's prefix: "_INBOX.<nuid>" -> "<prefix>.<nuid>".
        ack_inbox_prefix_ =
            options_.inbox_prefix + ack_inbox_prefix_.substr(ack_inbox_prefix_.find('.'));
      }
      s = natsConnection_Subscribe(&ack_sub_, nc_, (ack_inbox_prefix_ + ".*").c_str(),
                                   &Impl::OnAckConfirmed, this);
      if (s != NATS_OK) {
        return UnavailableError("consumer " + options_.name +
                                ": ack inbox: " + natsStatus_GetText(s));
      }
      natsSubscription_SetPendingLimits(ack_sub_, -1, -1);
    }
    running_.store(true);
    thread_ = std::thread([this] { FetchLoop(); });
    return OkStatus();
  }

  void Stop() {
    running_.store(false);
    if (thread_.joinable()) thread_.join();
    if (ack_sub_ != nullptr) {
      natsSubscription_Destroy(ack_sub_);
      ack_sub_ = nullptr;
    }
    if (sub_ != nullptr) {
      // Unsubscribe on a durable pull consumer would delete the durable: just drop the handle.
      natsSubscription_Destroy(sub_);
      sub_ = nullptr;
    }
    if (js_ != nullptr) {
      jsCtx_Destroy(js_);
      js_ = nullptr;
    }
    if (nc_ != nullptr) {
      natsConnection_Destroy(nc_);
      nc_ = nullptr;
    }
  }

  ConsumerStats stats() const {
    ConsumerStats s;
    s.received = received_.load();
    s.processed = processed_.load();
    s.dedup_dropped = dedup_dropped_.load();
    s.redelivered = redelivered_.load();
    s.acks = acks_.load();
    s.ack_failures = ack_failures_.load();
    s.fetch_errors = fetch_errors_.load();
    s.without_msg_id = without_msg_id_.load();
    s.acks_unconfirmed = static_cast<uint64_t>(std::max<int64_t>(0, unconfirmed_.load()));
    return s;
  }

 private:
  static void OnAckConfirmed(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    ++self->acks_;
    --self->unconfirmed_;
    natsMsg_Destroy(msg);
  }

  static void OnCoreMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->Handle(msg, 1, 0);
    natsMsg_Destroy(msg);
  }

  // Stamps, dedups and enqueues one message. Returns whether it was processed.
  void Handle(natsMsg* msg, uint64_t num_delivered, uint64_t stream_sequence) {
    Delivery d;
    d.delivered_unix_ns = clock_.UnixNanos();
    d.consumer = index_;
    d.subject = natsMsg_GetSubject(msg);
    d.payload.assign(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)));
    d.num_delivered = num_delivered;
    d.stream_sequence = stream_sequence;
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &value) == NATS_OK && value != nullptr) {
      d.id = value;
    } else {
      if (options_.mode != ConsumerMode::kCore) ++without_msg_id_;  // a setup hint (hints.h)
      d.id =
          options_.id_extractor ? options_.id_extractor(d.payload) : EnvelopeIdFromJson(d.payload);
    }
    value = nullptr;
    if (natsMsgHeader_Get(msg, "Content-Type", &value) == NATS_OK && value != nullptr) {
      d.content_type = value;
    }
    value = nullptr;
    if (natsMsgHeader_Get(msg, "Lnsim-Observed-Unix-Ns", &value) == NATS_OK && value != nullptr) {
      d.observed_unix_ns = std::strtoll(value, nullptr, 10);
    }
    ++received_;
    if (num_delivered > 1) ++redelivered_;
    d.processed = true;
    if (*options_.dedup && !d.id.empty()) d.processed = options_.dedup_set->Insert(d.id);
    if (d.processed) {
      ++processed_;
    } else {
      ++dedup_dropped_;
    }
    queue_->Push(std::move(d));
  }

  void FetchLoop() {
    const int64_t timeout_ms = options_.fetch_timeout.count();
    while (running_.load()) {
      if (options_.mode == ConsumerMode::kJetStreamAckPipelined) {
        // Back-pressure: wait (bounded) for confirmations before taking more work.
        for (int i = 0;
             i < 100 && unconfirmed_.load() >= options_.max_unconfirmed_acks && running_.load();
             ++i) {
          clock_.SleepFor(std::chrono::milliseconds(1));
        }
      }
      natsMsgList list{};
      jsErrCode jerr = static_cast<jsErrCode>(0);
      const natsStatus s =
          natsSubscription_Fetch(&list, sub_, options_.fetch_batch, timeout_ms, &jerr);
      if (s != NATS_OK && s != NATS_TIMEOUT) {
        ++fetch_errors_;
        // Disconnected (server restarting): nats.c reconnects; do not spin.
        clock_.SleepFor(std::chrono::milliseconds(20));
      }
      for (int i = 0; i < list.Count; ++i) {
        natsMsg* msg = list.Msgs[i];
        if (!running_.load()) break;  // a crash: leave the rest unacknowledged
        jsMsgMetaData* meta = nullptr;
        uint64_t num_delivered = 1, stream_sequence = 0;
        if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
          num_delivered = meta->NumDelivered;
          stream_sequence = meta->Sequence.Stream;
          jsMsgMetaData_Destroy(meta);
        }
        Handle(msg, num_delivered, stream_sequence);
        if (options_.crash_after_processed > 0 &&
            processed_.load() >= options_.crash_after_processed) {
          crashed_.store(true);
          running_.store(false);
          break;
        }
        if (options_.mode == ConsumerMode::kJetStreamAckPipelined) {
          const char* reply = natsMsg_GetReply(msg);
          const std::string token = ack_inbox_prefix_ + "." + std::to_string(++ack_token_);
          ++unconfirmed_;  // before sending: the confirmation may arrive before we return
          if (reply == nullptr ||
              natsConnection_PublishRequestString(nc_, reply, token.c_str(), "+ACK") != NATS_OK) {
            --unconfirmed_;
            ++ack_failures_;
          }
        } else if (options_.mode == ConsumerMode::kJetStreamAckSync) {
          jsErrCode ack_err = static_cast<jsErrCode>(0);
          if (natsMsg_AckSync(msg, nullptr, &ack_err) == NATS_OK) {
            ++acks_;
          } else {
            ++ack_failures_;
          }
        } else {
          if (natsMsg_Ack(msg, nullptr) == NATS_OK) {
            ++acks_;
          } else {
            ++ack_failures_;
          }
        }
      }
      natsMsgList_Destroy(&list);
    }
  }

  const ConsumerOptions& options_;
  const uint32_t index_;
  const Clock& clock_;
  DeliveryQueue* const queue_;
  natsConnection* nc_ = nullptr;
  internal::NatsClientAuth auth_;  // referenced by nc_, which Stop() destroys first
  jsCtx* js_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::atomic<bool> running_{false};
  natsSubscription* ack_sub_ = nullptr;
  std::string ack_inbox_prefix_;
  uint64_t ack_token_ = 0;
  std::atomic<int64_t> unconfirmed_{0};

 public:
  std::atomic<bool> crashed_{false};

 private:
  std::thread thread_;
  std::atomic<uint64_t> received_{0}, processed_{0}, dedup_dropped_{0}, redelivered_{0}, acks_{0},
      ack_failures_{0}, fetch_errors_{0}, without_msg_id_{0};
};

StatusOr<std::unique_ptr<Consumer>> Consumer::Start(const ConsumerOptions& given, uint32_t index,
                                                    const Clock& clock, DeliveryQueue* queue) {
  LNSIM_CHECK(queue != nullptr);
  ConsumerOptions options = given;
  if (options.name.empty()) return InvalidArgumentError("consumer: a name is required");
  if (options.url.empty()) {
    return InvalidArgumentError("consumer " + options.name + ": no NATS URL");
  }
  if (!options.dedup) options.dedup = options.mode != ConsumerMode::kCore;
  if (!options.dedup_set) options.dedup_set = std::make_shared<DedupSet>();
  std::unique_ptr<Consumer> consumer(new Consumer(std::move(options), index));
  consumer->impl_ = std::make_unique<Impl>(consumer->options_, index, clock, queue);
  LNSIM_RETURN_IF_ERROR(consumer->impl_->Start());
  return consumer;
}

Consumer::Consumer(ConsumerOptions options, uint32_t index)
    : options_(std::move(options)), index_(index) {}

Consumer::~Consumer() { Stop(); }

void Consumer::Stop() {
  if (impl_) impl_->Stop();
}

bool Consumer::crashed() const { return impl_ && impl_->crashed_.load(); }

ConsumerStats Consumer::stats() const { return impl_ ? impl_->stats() : ConsumerStats{}; }

}  // namespace lnsim::harness
