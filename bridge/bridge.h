// The bridge daemon: watch LINSTOR (poll + SSE signals), diff snapshots, turn changes into
// CloudEvents with per-key sequences, publish them to core NATS or JetStream (with the KV state
// mirror as write-ahead log), serve /metrics and /healthz, and drain on shutdown.
// `lnsim bridge` (cli/cmd_bridge.cc) is a thin wrapper around BridgeConfig (bridge/options.h)
// + Bridge.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/diff.h"
#include "bridge/linstor_client.h"
#include "bridge/metrics.h"
#include "bridge/options.h"
#include "bridge/publisher.h"
#include "bridge/recovery.h"
#include "common/clock.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace lnsim::bridge {

// What a Bridge is built with besides its config: the seams where tests put decorators
// (tests/bridge/: a differ that plants a bug, a publish connection that is slow). Empty members
// leave the production parts as they are.
struct BridgeSeams {
  // Wraps the differ built from the config's diff options.
  std::function<std::unique_ptr<Differ>(std::unique_ptr<Differ>)> wrap_differ;
  // Wraps the nats.c publish calls of the publisher.
  std::function<std::unique_ptr<PublishConnection>(std::unique_ptr<PublishConnection>)>
      wrap_publish_connection;
};

class Bridge {
 public:
  Bridge(BridgeConfig config, const Clock& clock, Logger* logger, BridgeSeams seams = {});
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
  // Start()'s steps.
  Status ConnectNats();
  Status StartJetStreamPublisher();
  void StartCorePublisher();
  Status StartMetricsServer();
  // Run()'s wait for the next poll: the interval (doubled per failed poll, capped), or an SSE
  // signal (not while backing off). Returns false when stopped.
  bool WaitForNextPoll(Duration last_start);
  // Stops the SSE watcher and waits for outstanding publishes; returns how many are left.
  size_t Drain();
  void PollOnce();
  // Ready: /healthz 200, lnsim_bridge_ready 1 and, with --ready-file, the file created.
  void MarkReady();
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
  std::unique_ptr<Differ> differ_;
  StreamSettings stream_settings_;
  std::unique_ptr<PublishConnection> publish_connection_;

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
