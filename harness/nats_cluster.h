// NatsCluster: a small nats-server cluster on loopback (three members by default) with clustered
// JetStream, for scenarios that must survive the loss of one server: `--nats` gets all members'
// URLs, any member can be killed and restarted with its store, and (with route proxies) one
// member's routes can be cut. Also the probes a cluster fault needs: who leads a stream, which
// member serves a named client, and how long a stream went without a leader.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "common/status.h"
#include "harness/fault_proxy.h"
#include "harness/nats_server.h"

namespace lnsim::harness {

struct NatsClusterOptions {
  int size = 3;
  std::string binary;  // "" = DefaultNatsServerBinary()
  bool jetstream = true;
  std::string cluster_name = "lnsim";  // members are named <cluster_name>-1 .. -N
  Duration ready_timeout = std::chrono::seconds(30);
  // "" = a temp dir per member, removed with the cluster; else member i lives in
  // <work_dir>/member-<i+1> (kept).
  std::string work_dir;
  // Every route runs through a fault proxy of its own (one per ordered pair of members: member
  // i reaches member j's cluster port through proxy i->j), so CutRoutes can partition a member.
  // The members advertise a closed port as their route address, so no gossiped (implicit) route
  // bypasses the proxies.
  bool route_proxies = false;
  // Root of the route proxies' random streams (jitter, loss): the run's seed, so a run's NATS
  // cluster faults replay with it. Each proxy forks its own stream (RouteProxyRng).
  uint64_t seed = 0;
};

// The random stream of the route proxy through which member `from` dials member `to`:
// Rng(seed).Fork("route/<from>-<to>"). Same seed, same streams; another seed, others.
Rng RouteProxyRng(uint64_t seed, size_t from, size_t to);

// Owner-thread only, like NatsServer. Destruction stops every member (and the route proxies).
class NatsCluster {
 public:
  // Picks free ports, starts every member with routes to all others, and waits until each one's
  // /healthz is OK (JetStream's meta group has a leader). Errors as NatsServer::Start's.
  static StatusOr<std::unique_ptr<NatsCluster>> Start(const NatsClusterOptions& options,
                                                      const Clock& clock);
  ~NatsCluster();

  // "nats://127.0.0.1:P1,nats://127.0.0.1:P2,..." for clients.
  std::string urls() const;
  int size() const { return static_cast<int>(servers_.size()); }
  NatsServer& server(int i) { return *servers_.at(static_cast<size_t>(i)); }
  // The member's server_name ("lnsim-2"), as JetStream names leaders.
  std::string member_name(int i) const;
  // Index of the member called `server_name`, -1 when none is.
  int IndexOf(std::string_view server_name) const;

  // Cuts every route of member i (both directions, through the route proxies): current route
  // connections are reset and new ones are accepted and held, so the member is partitioned from
  // its peers while its clients stay connected to it. kFailedPrecondition without route_proxies.
  Status CutRoutes(int i);
  // Lets member i's routes flow again (the servers reconnect their routes on their own).
  Status HealRoutes(int i);

  // Restarts member i (same ports, same store) on the cluster's restart thread and returns at
  // once, so the caller's timeline goes on while the member catches up with its peers (a
  // JetStream member is ready only then, which takes seconds). While restarting, the member is
  // not touched by the other calls here; JoinRestart(i) waits for it and returns the restart's
  // Status (OK when none was pending). A second RestartAsync of a pending member is ignored.
  // One long-lived thread spawns every restarted member: the kernel's parent-death signal
  // (PR_SET_PDEATHSIG) follows the thread that forked, so a thread per restart would take its
  // server down with it when it ends.
  void RestartAsync(int i);
  bool Restarting(int i);
  Status JoinRestart(int i);

  // The member whose monitoring /connz lists a client connection named `client_name`; -1 when no
  // running member does. kUnavailable only when no member's monitoring answered at all.
  StatusOr<int> MemberServing(const std::string& client_name, const Clock& clock);

 private:
  NatsCluster() = default;
  // Calls fn on both proxies of every route of member i (its dials and the dials to it).
  Status ForEachRouteProxyOf(int i, const std::function<void(FaultProxy&)>& fn);
  std::vector<std::unique_ptr<NatsServer>> servers_;
  void RestartLoop();
  enum class RestartState { kIdle, kPending, kDone };
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RestartState> restart_state_;  // per member, guarded by mu_
  std::vector<Status> restart_status_;       // per member, guarded by mu_
  std::vector<int> restart_queue_;           // guarded by mu_
  bool stop_restarts_ = false;               // guarded by mu_
  std::thread restart_thread_;
  // route_proxies_[i * size + j]: member i's route to member j (null on the diagonal).
  std::vector<std::unique_ptr<FaultProxy>> route_proxies_;
};

// A loopback port that was free a moment ago (bind to port 0, read, close). Another process can
// take it before it is used; callers that can let the server choose (-p -1) should.
StatusOr<int> PickFreePort();

// Asks a (clustered) JetStream who leads `stream`: `$JS.API.STREAM.INFO.<stream>` ->
// cluster.leader. Owns one NATS connection to `urls` (comma-separated, reconnecting). One thread
// at a time.
class StreamLeaderProbe {
 public:
  static StatusOr<std::unique_ptr<StreamLeaderProbe>> Connect(const std::string& urls,
                                                              const std::string& stream);
  ~StreamLeaderProbe();
  // The leader's server name. kUnavailable when the stream has no leader right now (no
  // responders, a timeout or an API error: what a client sees during an election),
  // kFailedPrecondition when the stream is not clustered (no `cluster.leader` in the reply).
  StatusOr<std::string> Leader(Duration timeout);

 private:
  StreamLeaderProbe() = default;
  natsConnection* nc_ = nullptr;
  std::string stream_;
};

// Measures one election from the outside, as a client sees it: started right before the leader
// is killed (or cut off), a thread asks the stream for its leader (10 ms apart, each question
// bounded by 100 ms: the window's resolution) until a member other than `old_leader` answers as
// leader (or `deadline` passes). The window is from Start to that
// answer. Thread-safe accessors; the destructor stops the thread.
class ElectionTimer {
 public:
  ElectionTimer(const std::string& urls, const std::string& stream, std::string old_leader,
                const Clock& clock, Duration deadline = std::chrono::seconds(60));
  ~ElectionTimer();
  ElectionTimer(const ElectionTimer&) = delete;
  ElectionTimer& operator=(const ElectionTimer&) = delete;

  int64_t started_unix_ns() const { return started_unix_ns_; }
  bool done() const { return done_.load(); }
  // Start -> a new leader answered; nullopt while none has (or when the deadline passed).
  std::optional<Duration> window() const;
  std::string new_leader() const;
  // Requests that found no leader (no responders, timeouts, API errors) during the window.
  uint64_t failed_probes() const { return failed_probes_.load(); }
  // Blocks until done() (bounded by the deadline given at construction).
  void Wait();
  // The old leader is back (restarted, or its routes healed): from now on its answering as the
  // leader ends the window too (it may win the election it missed).
  void OldLeaderBack() { old_leader_back_.store(true); }

 private:
  void Loop(std::string urls, std::string stream, Duration deadline);
  const Clock& clock_;
  const std::string old_leader_;
  const Duration started_;
  const int64_t started_unix_ns_;
  std::atomic<bool> done_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> old_leader_back_{false};
  std::atomic<uint64_t> failed_probes_{0};
  mutable std::mutex mu_;
  std::optional<Duration> window_;
  std::string new_leader_;
  std::thread thread_;
};

}  // namespace lnsim::harness
