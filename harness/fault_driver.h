// The fault driver of `lnsim run`: applies the faults the harness executes itself (nats-restart,
// bridge-kill, consumer-crash, network — also on one member of a `nats.cluster`) to the rig's
// processes and proxies as the scenario's timeline reaches them, and records what happened on a
// cluster (which member, was it the stream's leader, how long the election took). World-side
// faults (node crashes, API faults) are the world's and the mock's own; they are not here.
//
// Not thread-safe: the run's thread calls everything. Waits that the timeline needs (an election
// still running, a bridge between two members) are bounded and go through the rig's `wait`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "harness/nats_cluster.h"
#include "harness/report.h"
#include "harness/rig.h"
#include "harness/run_config.h"
#include "sim/world.h"

namespace lnsim::harness {

// A fault on a cluster member, as it happened (report.cluster.faults).
struct ClusterFaultRun {
  size_t fault = 0;  // index into the driver's faults()
  int member = -1;
  ClusterFault record;
  std::unique_ptr<ElectionTimer> election;  // only when the member led the stream
  int64_t at_unix_ns = 0;
};

class FaultDriver {
 public:
  // `rig`, `findings` and `interrupted` outlive the driver; `wait` as the rig's (rig.h).
  FaultDriver(const RunConfig& config, Rig& rig, const Clock& clock, Findings* findings,
              const volatile bool* interrupted,
              std::function<void(std::chrono::milliseconds)> wait);

  // Starts and ends every fault whose window (windows[fault.index], fired ones only) begins or
  // ends by world time `now`. A window that ends where it starts ends at once.
  void Tick(Duration now, const std::vector<sim::FaultWindow>& windows);
  // Ends every started fault (windows that outlive the run), so the drain sees a healthy pipeline.
  void EndOutstanding();
  // Collects finished asynchronous member restarts (all of them when `wait`), recording failures.
  void JoinClusterRestarts(bool wait);
  // At shutdown: waits for member restarts and reads the election windows.
  void Finish();

  const std::vector<HarnessFault>& faults() const { return faults_; }
  const std::vector<ClusterFaultRun>& cluster_faults() const { return cluster_faults_; }

 private:
  void ApplyStart(HarnessFault& f);
  void ApplyEnd(HarnessFault& f);
  void StartNetworkFault(HarnessFault& f, const std::string& at);
  void EndNetworkFault(HarnessFault& f, const std::string& at);
  // Which cluster member a fault's `member=` names right now (leader / bridge / number); -1 with
  // the reason in *why when it cannot be told.
  int ResolveMember(const std::string& member, std::string* leader, std::string* why);
  void WaitForLeader(bool need_leader, std::string* leader);
  int MemberServingBridge(std::string* why);
  void StartClusterFault(HarnessFault& f);
  void EndClusterFault(HarnessFault& f);
  bool Interrupted() const { return interrupted_ != nullptr && *interrupted_; }
  std::string At() const;

  const HarnessSpec& harness_;
  bool jetstream_;
  Rig& rig_;
  const Clock& clock_;
  Findings* findings_;
  const volatile bool* interrupted_;
  std::function<void(std::chrono::milliseconds)> wait_;
  std::vector<HarnessFault> faults_;
  std::unique_ptr<StreamLeaderProbe> leader_probe_;
  std::vector<ClusterFaultRun> cluster_faults_;
};

}  // namespace lnsim::harness
