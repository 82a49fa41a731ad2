// The bridge daemon: watch LINSTOR (poll + SSE signals), diff snapshots, turn changes into
// CloudEvents with per-key sequences, publish them to core NATS or JetStream (with the KV state
// mirror as write-ahead log), serve /metrics and /healthz, and drain on shutdown.
// `lnsim bridge` (cli/cmd_bridge.cc) is a thin wrapper around BridgeConfig + Bridge.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/diff.h"
#include "bridge/linstor_client.h"
#include "bridge/metrics.h"
#include "bridge/publisher.h"
#include "bridge/recovery.h"
#include "common/clock.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace lnsim::bridge {

struct BridgeConfig {
  std::vector<std::string> linstor_urls;  // --linstor / LS_CONTROLLERS
  std::vector<std::string> nats_urls;     // --nats / NATS_URL
  std::string cluster;                    // --cluster
  bool jetstream = false;
  std::string stream;  // "" = DefaultStreamName(cluster)
  std::string bucket;  // "" = DefaultBucketName(cluster)
  int replicas = 1;
  Duration dedup_window = std::chrono::minutes(2);
  Duration poll_interval = std::chrono::seconds(1);
  Duration request_timeout = std::chrono::seconds(5);
  std::string creds_file;      // --creds: NATS .creds (user JWT + seed), operator-mode servers
  std::string nkey_seed_file;  // --nkey-seed: a bare nkey user's seed file
  std::string inbox_prefix;    // --inbox-prefix: reply subjects' prefix ("" = "_INBOX")
  tls::ClientTlsFiles nats_tls;   // --tls-ca/--tls-cert/--tls-key: TLS to NATS
  LinstorTlsOptions linstor_tls;  // --linstor-ca/-cert/-key (LS_ROOT_CA, ...): https LINSTOR
  std::string metrics_addr;    // "host:port"; "" = no metrics server
  std::string timing_file;     // JSONL side channel
  std::string timing_subject;  // or a core NATS subject
  double pool_low_threshold_percent = 10.0;
  double resync_step_percent = 10.0;
  size_t page_size = 1000;
  size_t max_in_flight = 4096;
  size_t max_outstanding = 200000;  // polls pause while more messages than this are queued
  bool sse = true;
  bool send_asap = false;  // --send-asap: NatsSettings::send_asap
  Duration drain_timeout = std::chrono::seconds(15);
  Duration ack_timeout = std::chrono::seconds(5);
};

// Reads a YAML mapping whose keys are the long flag names (linstor, nats, cluster, jetstream,
// stream, replicas, dedup-window, poll-interval, request-timeout, creds, nkey-seed, inbox-prefix, tls-ca, tls-cert,
// tls-key, linstor-ca, linstor-cert, linstor-key, metrics-addr,
// timing-file, timing-subject, pool-low-threshold, resync-step, page-size, max-in-flight,
// sse, send-asap, drain-timeout, ack-timeout) into *config. Unknown keys and bad values are errors
// "FILE:LINE: key: what is wrong" (kInvalidArgument); a missing file is kNotFound.
Status LoadBridgeConfigFile(const std::string& path, BridgeConfig* config);
// Checks required fields and normalises URLs. kInvalidArgument naming the field.
Status ValidateBridgeConfig(BridgeConfig* config);
// Splits "a,b , c" into {"a","b","c"}.
std::vector<std::string> SplitList(std::string_view text);

class Bridge {
 public:
  Bridge(BridgeConfig config, const Clock& clock, Logger* logger);
  ~Bridge();

  // Connects to NATS, creates/checks stream and bucket, recovers (JetStream), starts the
  // metrics server and the publisher. kUnavailable / kFailedPrecondition: infrastructure (exit
  // 3); kInvalidArgument: configuration (exit 2).
  Status Start();
  // Polls until RequestStop(); then drains in-flight publishes (bounded by drain_timeout).
  // Returns OK after a clean drain, kDeadlineExceeded if messages were left.
  Status Run();
  // Thread-safe, async-signal-unsafe (call from a signal-waiting thread).
  void RequestStop();
  // Wakes the poller for an immediate poll. Thread-safe.
  void TriggerPoll(const std::string& reason);

  Metrics& metrics() { return metrics_; }
  int metrics_port() const { return metrics_port_; }
  bool ready() const { return metrics_.ready(); }

 private:
  void PollOnce();
  void InitialSync(const Snapshot& snapshot, int64_t observed_ns);
  void Emit(const std::vector<DomainEvent>& events, const Snapshot& next, int64_t observed_ns);
  void OnPublished(const OutMessage& m, bool duplicate, int64_t acked_ns);
  std::string MirrorValue(const Snapshot& next, const std::string& key, uint64_t sequence,
                          const std::vector<std::string>& pending, int64_t now_ns);

  BridgeConfig config_;
  const Clock& clock_;
  Logger* logger_;
  Metrics metrics_;
  DiffOptions diff_options_;
  StreamSettings stream_settings_;

  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<LinstorClient> client_;
  std::unique_ptr<SseWatcher> sse_;
  std::unique_ptr<httplib::Server> http_;
  std::thread http_thread_;
  int metrics_port_ = 0;

  std::mutex timing_mu_;
  std::FILE* timing_file_ = nullptr;

  // Poller state (poller thread only).
  bool synced_ = false;
  Snapshot baseline_;
  std::map<std::string, uint64_t> sequences_;
  uint64_t core_sequence_base_ = 0;
  bool last_poll_failed_ = false;
  int failed_polls_ = 0;  // consecutive failed polls (poller thread only)
  bool paused_logged_ = false;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool triggered_ = false;
};

}  // namespace lnsim::bridge
