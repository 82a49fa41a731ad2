// The rig of one `lnsim run`: every process and server the run starts — nats-server (or a local
// cluster, or the live server of --nats), fault proxies, the mock LINSTOR controller with the
// world behind it, the bridge under test as a child process, the consumers, the rogue clients of
// `nats.rogue` — and their stopping in the one order that leaves nothing running: rogues,
// consumers, bridge, then mock, proxies and NATS. The fault driver acts on the rig's parts; the
// rig itself knows no timeline.
//
// Not thread-safe: the run's thread calls everything. `wait` (given at construction) is how the
// rig waits while it polls a child's readiness: it must return within its argument and keep the
// consumers' deliveries flowing (the run's pump).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"
#include "harness/bridge_probe.h"
#include "harness/child_process.h"
#include "harness/consumer.h"
#include "harness/fault_proxy.h"
#include "harness/hints.h"
#include "harness/nats_auth.h"
#include "harness/nats_cluster.h"
#include "harness/nats_server.h"
#include "harness/report.h"
#include "harness/run_config.h"
#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::harness {

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

// The subject a consumer subscribes to: its `subject`, except that the default "linstor.v1.>"
// narrows to this run's cluster. For lnsim's own bridge that is bridge::StreamSubjects(cluster),
// the name folded and escaped exactly as the bridge does in the subjects it publishes ("Prod" is
// "linstor.v1.prod.>"); a team's bridge may publish the name as written, so for it the filter is
// "linstor.v1.<cluster>.>" unchanged.
enum class BridgeKind { kOwn, kTeam };
std::string ConsumerSubjectFilter(const std::string& subject, const std::string& cluster,
                                  BridgeKind bridge);

// Where the rig puts its files and how it waits; see the file comment for `wait`.
struct RigContext {
  const RunConfig* config = nullptr;
  const RunOptions* options = nullptr;
  std::string work_dir;
  std::string timing_path;  // lnsim's bridge's --timing-file ("" for a team's bridge)
  const volatile bool* interrupted = nullptr;
  std::function<void(std::chrono::milliseconds)> wait;
};

class Rig {
 public:
  // Everything it reports goes to `log` (progress lines) and `findings` (checks that failed on
  // stopping: rogues that landed, a bridge that did not exit cleanly). Both outlive the rig.
  Rig(RigContext context, const Clock& clock, std::ostream& log, Findings* findings);
  ~Rig();  // stops whatever still runs (StopAll)
  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;

  // Start-up, in this order. Errors name what failed; kInvalidArgument is a configuration error.
  Status StartNats();
  Status StartProxies();
  // Creates the world and serves it; world time 0 is now.
  Status StartMock();
  // Spawns the bridge and waits (up to bridge.ready_timeout) until it is ready: it created the
  // ready file (docs/scenarios.md "Readiness"), or, `readiness: assumed`, the guess elapsed.
  Status StartBridge();
  Status StartConsumers();  // every consumer, each error prefixed with its name
  Status StartConsumer(size_t i);
  Status StartRogues();

  // Fault actions (the fault driver's).
  void KillBridge();
  Status RestartBridge();  // counts a restart, then StartBridge
  // Stops consumer i (if running) and forgets its dedup state unless keep_dedup.
  void CrashConsumer(size_t i, bool keep_dedup);
  bool ConsumerRunning(size_t i) const { return consumers_[i] != nullptr; }
  FaultProxy* proxy(bool consumers_link) {
    return consumers_link ? consumer_proxy_.get() : bridge_proxy_.get();
  }
  NatsServer* nats() { return nats_.get(); }
  NatsCluster* cluster() { return cluster_.get(); }

  // Stopping, in this order (each idempotent).
  void StopRogues();  // records their results (auth_summary) and refused attempts
  void StopConsumers();
  void StopBridge();  // SIGTERM; lnsim's bridge must exit 0
  // With a live server: deletes what this run created there (harness/live_cleanup.h), or with
  // --keep-stream says what it keeps.
  void CleanLiveServer();
  void StopAll();  // the above, then the mock, the proxies and NATS

  // What the rig knows.
  mock::MockServer& mock() { return *mock_; }
  bool mock_started() const { return mock_ != nullptr; }
  DeliveryQueue& queue() { return queue_; }
  BridgeProbe& probe() { return probe_; }
  Duration WorldNow() const { return capped_.Now() - t0_; }
  // World facts copied before the world moved into the mock (valid after StartMock).
  const sim::Cluster& initial_cluster() const { return initial_cluster_; }
  const std::vector<sim::FaultWindow>& windows() const { return windows_; }
  Duration run_length() const { return run_length_; }
  Duration t0() const { return t0_; }
  int64_t epoch_unix_ns() const { return epoch_unix_ns_; }
  const std::string& nats_url() const { return nats_url_; }
  const std::string& cluster_name() const { return cluster_name_; }
  const std::string& stream_name() const { return stream_name_; }
  const std::string& nats_version() const { return nats_version_; }
  const std::optional<AuthSummary>& auth_summary() const { return auth_summary_; }
  const std::vector<std::unique_ptr<Consumer>>& consumers() const { return consumers_; }
  // How the bridge's readiness was known: "signalled" (the ready file) or "assumed".
  const std::string& readiness() const { return readiness_; }
  // The metrics port of lnsim's running bridge; 0 for a team's bridge or when there is none.
  int MetricsPort() const;
  // A diagnostic subscription on `>` (harness/hints.h) for the setup hints; not for `nats.auth`
  // runs (their users may not subscribe to everything) nor a live server (other clients'
  // traffic would read as mistakes). kUnavailable when it cannot subscribe.
  Status StartSubjectWatch();
  // The setup mistakes seen so far (docs/report.md "hints"): subject watch + consumers' stats.
  std::vector<std::string> SetupHintLines();

 private:
  struct BridgeProcess {
    std::unique_ptr<ChildProcess> child;
    int metrics_port = 0;
    int restarts = 0;
  };

  void StopInfrastructure();
  bool Interrupted() const { return context_.interrupted != nullptr && *context_.interrupted; }
  Status UseLiveNats();
  Status StartNatsCluster();
  Status PrepareAuth(NatsServerOptions* options);
  Status PrepareTls(NatsServerOptions* options);
  Status WaitBridgeReady(Duration timeout);
  Status WaitOwnBridgeReady(Duration deadline, Duration timeout);
  Status WaitReadyFile(Duration deadline, Duration timeout);
  std::string ReadyFilePath() const;  // <work dir>/bridge.ready (LNSIM_READY_FILE)
  ChildOptions OwnBridgeCommand(const std::string& linstor, const std::string& nats) const;
  ChildOptions TeamBridgeCommand(const std::string& linstor, const std::string& nats) const;
  std::string NatsUrlForBridge() const {
    return bridge_proxy_ ? bridge_proxy_->nats_url() : nats_url_;
  }
  std::string NatsUrlForConsumers() const {
    return consumer_proxy_ ? consumer_proxy_->nats_url() : nats_url_;
  }

  RigContext context_;
  const RunConfig& config_;
  const BridgeSpec& bridge_spec_;
  const Clock& clock_;
  CappedClock capped_;
  std::ostream& log_;
  Findings* findings_;
  BridgeProbe probe_;

  std::string cluster_name_;
  std::string stream_name_;
  std::string bucket_name_;  // live server only: the state mirror bucket with the run id
  bool live_ = false;        // --nats: a server this run did not start
  bool live_cleaned_ = false;
  std::string nats_url_;
  std::string nats_version_;
  tls::ClientTlsFiles nats_tls_;  // what the bridge and consumers present/trust ("" = plain)
  std::unique_ptr<SubjectWatch> subject_watch_;
  std::unique_ptr<NatsServer> nats_;
  std::unique_ptr<NatsCluster> cluster_;  // `nats.cluster`: instead of nats_
  // `nats.auth: jwt`: the operator, accounts and creds of this run (work dir auth/), and the
  // rogue clients of `nats.rogue` with their results.
  std::optional<AuthInitResult> auth_;
  std::vector<std::unique_ptr<RogueClient>> rogues_;
  std::optional<AuthSummary> auth_summary_;
  std::unique_ptr<FaultProxy> bridge_proxy_;
  std::unique_ptr<FaultProxy> consumer_proxy_;
  std::unique_ptr<mock::MockServer> mock_;
  sim::Cluster initial_cluster_;
  std::vector<sim::FaultWindow> windows_;
  Duration run_length_{0};
  Duration t0_{0};
  int64_t epoch_unix_ns_ = 0;
  std::string mock_url_;
  std::string mock_https_url_;  // bridge.https: the mock's HTTPS listener
  std::string linstor_ca_;      // ... and the CA that signed its certificate
  BridgeProcess bridge_;
  std::string readiness_;
  // Declared before the consumers that push into it, so it outlives them.
  DeliveryQueue queue_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
  std::vector<std::shared_ptr<DedupSet>> dedup_sets_;
  bool consumers_stopped_ = false;
  bool stopped_ = false;
};

}  // namespace lnsim::harness
