// The harness's faults on the timeline; see fault_driver.h.
#include "harness/fault_driver.h"

#include <cstdlib>

#include "common/duration.h"

namespace lnsim::harness {

using std::chrono::milliseconds;
using std::chrono::seconds;

FaultDriver::FaultDriver(const RunConfig& config, Rig& rig, const Clock& clock, Findings* findings,
                         const volatile bool* interrupted, std::function<void(milliseconds)> wait)
    : harness_(config.harness),
      jetstream_(config.jetstream),
      rig_(rig),
      clock_(clock),
      findings_(findings),
      interrupted_(interrupted),
      wait_(std::move(wait)),
      faults_(config.harness_faults) {}

std::string FaultDriver::At() const { return FormatDurationHuman(rig_.WorldNow()); }

void FaultDriver::Tick(Duration now, const std::vector<sim::FaultWindow>& windows) {
  for (HarnessFault& f : faults_) {
    const sim::FaultWindow& win = windows[f.index];
    if (!win.fired) continue;
    if (!f.started && now >= win.start) ApplyStart(f);
    if (f.started && !f.ended && (win.end <= win.start ? true : now >= win.end)) ApplyEnd(f);
  }
}

void FaultDriver::EndOutstanding() {
  for (HarnessFault& f : faults_) {
    if (f.started && !f.ended) ApplyEnd(f);
  }
}

void FaultDriver::StartNetworkFault(HarnessFault& f, const std::string& at) {
  if (f.params.target == "routes") {
    if (rig_.cluster()) StartClusterFault(f);
    return;
  }
  FaultProxy* proxy = rig_.proxy(f.params.target == "consumers");
  if (proxy == nullptr) return;
  proxy->SetFaults(f.params.faults);
  if (f.params.reset) proxy->ResetConnections();
  findings_->fault_log.push_back(at + ": network fault on the " + f.params.target + " link");
}

void FaultDriver::EndNetworkFault(HarnessFault& f, const std::string& at) {
  if (f.params.target == "routes") {
    if (rig_.cluster()) EndClusterFault(f);
    return;
  }
  const bool consumers = f.params.target == "consumers";
  FaultProxy* proxy = rig_.proxy(consumers);
  if (proxy == nullptr) return;
  proxy->SetFaults(consumers ? harness_.network.consumers : harness_.network.bridge);
  findings_->fault_log.push_back(at + ": network fault on the " + f.params.target +
                                 " link cleared");
}

void FaultDriver::ApplyStart(HarnessFault& f) {
  const std::string at = At();
  std::vector<std::string>& log = findings_->fault_log;
  switch (f.kind) {
    case sim::FaultKind::kNatsRestart:
      if (rig_.cluster()) {
        StartClusterFault(f);
        break;
      }
      if (!rig_.nats()) break;
      if (f.params.graceful) {
        (void)rig_.nats()->Stop();
      } else {
        rig_.nats()->Kill9();
      }
      log.push_back(at + ": nats-server " + (f.params.graceful ? "stopped" : "killed (-9)"));
      break;
    case sim::FaultKind::kBridgeKill:
      rig_.KillBridge();
      log.push_back(at + ": bridge killed (-9)");
      break;
    case sim::FaultKind::kConsumerCrash:
      for (size_t i = 0; i < harness_.consumers.size(); ++i) {
        const std::string& name = harness_.consumers[i].name;
        if (!f.params.consumer.empty() && name != f.params.consumer) continue;
        rig_.CrashConsumer(i, f.params.keep_dedup);
        log.push_back(at + ": consumer " + name + " crashed");
      }
      break;
    case sim::FaultKind::kNetwork:
      StartNetworkFault(f, at);
      break;
    default:
      break;
  }
  f.started = true;
}

void FaultDriver::ApplyEnd(HarnessFault& f) {
  const std::string at = At();
  std::vector<std::string>& log = findings_->fault_log;
  std::vector<std::string>& failed = findings_->failed_checks;
  switch (f.kind) {
    case sim::FaultKind::kNatsRestart:
      if (rig_.cluster()) {
        EndClusterFault(f);
        break;
      }
      if (!rig_.nats()) break;
      if (Status s = rig_.nats()->Restart(); !s.ok()) {
        failed.push_back("nats-server did not restart: " + s.message());
      } else {
        log.push_back(at + ": nats-server restarted");
      }
      break;
    case sim::FaultKind::kBridgeKill:
      if (Status s = rig_.RestartBridge(); !s.ok()) {
        failed.push_back("the bridge did not restart: " + s.message());
      } else {
        log.push_back(at + ": bridge restarted");
      }
      break;
    case sim::FaultKind::kConsumerCrash:
      for (size_t i = 0; i < harness_.consumers.size(); ++i) {
        const std::string& name = harness_.consumers[i].name;
        if (!f.params.consumer.empty() && name != f.params.consumer) continue;
        if (rig_.ConsumerRunning(i)) continue;
        if (Status s = rig_.StartConsumer(i); !s.ok()) {
          failed.push_back("consumer " + name + " did not restart: " + s.message());
        } else {
          log.push_back(at + ": consumer " + name + " restarted");
        }
      }
      break;
    case sim::FaultKind::kNetwork:
      EndNetworkFault(f, at);
      break;
    default:
      break;
  }
  f.ended = true;
}

void FaultDriver::WaitForLeader(bool need_leader, std::string* leader) {
  // An earlier fault's election may still be running: `member=leader` waits for its outcome
  // (bounded, pumping deliveries meanwhile), since there is no leader to kill before that.
  const Duration deadline = clock_.Now() + (need_leader ? seconds(30) : Duration::zero());
  while (true) {
    auto l = leader_probe_->Leader(milliseconds(500));
    if (l.ok()) {
      *leader = *l;
      return;
    }
    if (clock_.Now() >= deadline || Interrupted()) return;
    wait_(milliseconds(50));
  }
}

int FaultDriver::MemberServingBridge(std::string* why) {
  // The bridge may be between two members (reconnecting after an earlier fault): ask again
  // for a while (bounded, pumping deliveries meanwhile).
  NatsCluster& cluster = *rig_.cluster();
  const std::string client = "lnsim-bridge/" + rig_.cluster_name();
  const Duration deadline = clock_.Now() + seconds(10);
  auto i = cluster.MemberServing(client, clock_);
  while ((!i.ok() || *i < 0) && clock_.Now() < deadline && !Interrupted()) {
    wait_(milliseconds(100));
    i = cluster.MemberServing(client, clock_);
  }
  if (!i.ok() || *i < 0) {
    *why = "no member serves the bridge's connection" +
           (i.ok() ? std::string() : " (" + i.status().message() + ")");
    return -1;
  }
  return *i;
}

int FaultDriver::ResolveMember(const std::string& member, std::string* leader, std::string* why) {
  // The stream's leader right before the fault: whom an election replaces.
  if (!leader_probe_) {
    auto probe = StreamLeaderProbe::Connect(rig_.nats_url(), rig_.stream_name());
    if (probe.ok()) leader_probe_ = std::move(probe).value();
  }
  const bool need_leader = member.empty() || member == "leader";
  if (leader_probe_ && jetstream_) WaitForLeader(need_leader, leader);
  if (need_leader) {
    if (leader->empty()) {
      *why = jetstream_ ? "the stream " + rig_.stream_name() + " has no leader to kill"
                        : "member=leader needs JetStream (core NATS has no stream leader)";
      return -1;
    }
    return rig_.cluster()->IndexOf(*leader);
  }
  if (member == "bridge") return MemberServingBridge(why);
  return std::atoi(member.c_str()) - 1;
}

void FaultDriver::StartClusterFault(HarnessFault& f) {
  NatsCluster& cluster = *rig_.cluster();
  const std::string at = At();
  ClusterFaultRun run;
  run.fault = static_cast<size_t>(&f - faults_.data());
  JoinClusterRestarts(/*wait=*/false);
  std::string why;
  std::string leader;
  run.member = ResolveMember(f.params.member, &leader, &why);
  if (run.member < 0 || run.member >= cluster.size()) {
    findings_->failed_checks.push_back(at + ": " + std::string(sim::Name(f.kind)) + " member=" +
                                       (f.params.member.empty() ? "leader" : f.params.member) +
                                       ": cannot tell which member: " + why);
    return;
  }
  run.record.fault = std::string(sim::Name(f.kind));
  run.record.member = cluster.member_name(run.member);
  run.record.old_leader = leader;
  run.record.was_leader = !leader.empty() && leader == run.record.member;
  run.record.at_ms = std::chrono::duration<double, std::milli>(rig_.WorldNow()).count();
  if (run.record.was_leader) {
    // Asked through the other members: a cut-off leader may answer for itself a while longer.
    std::string others;
    for (int i = 0; i < cluster.size(); ++i) {
      if (i != run.member) others += (others.empty() ? "" : ",") + cluster.server(i).url();
    }
    run.election = std::make_unique<ElectionTimer>(others, rig_.stream_name(), leader, clock_);
  }
  run.at_unix_ns = clock_.UnixNanos();
  if (cluster.Restarting(run.member)) {
    // Still catching up from an earlier fault: that restart finishes first.
    if (Status s = cluster.JoinRestart(run.member); !s.ok()) {
      findings_->failed_checks.push_back("nats " + run.record.member +
                                         " did not restart: " + s.message());
    }
  }
  const std::string what = run.record.member + (run.record.was_leader ? " (stream leader)" : "");
  if (f.kind == sim::FaultKind::kNetwork) {
    if (Status s = cluster.CutRoutes(run.member); !s.ok()) {
      findings_->failed_checks.push_back("cannot cut the routes of " + what + ": " + s.message());
    }
    findings_->fault_log.push_back(at + ": routes of nats " + what + " cut");
  } else {
    if (f.params.graceful) {
      (void)cluster.server(run.member).Stop();
    } else {
      cluster.server(run.member).Kill9();
    }
    findings_->fault_log.push_back(at + ": nats " + what +
                                   (f.params.graceful ? " stopped" : " killed (-9)"));
  }
  cluster_faults_.push_back(std::move(run));
}

void FaultDriver::EndClusterFault(HarnessFault& f) {
  NatsCluster& cluster = *rig_.cluster();
  const std::string at = At();
  const size_t index = static_cast<size_t>(&f - faults_.data());
  for (ClusterFaultRun& run : cluster_faults_) {
    if (run.fault != index) continue;
    if (f.kind == sim::FaultKind::kNetwork) {
      if (Status s = cluster.HealRoutes(run.member); !s.ok()) {
        findings_->failed_checks.push_back("cannot heal the routes of " + run.record.member + ": " +
                                           s.message());
      } else {
        findings_->fault_log.push_back(at + ": routes of nats " + run.record.member + " healed");
      }
    } else {
      // Asynchronous: a JetStream member is ready only once it caught up with its peers, which
      // takes seconds; the timeline (and the pump) must go on meanwhile.
      cluster.RestartAsync(run.member);
      findings_->fault_log.push_back(at + ": nats " + run.record.member +
                                     " restarting with its store");
    }
    if (run.election) run.election->OldLeaderBack();
  }
}

void FaultDriver::JoinClusterRestarts(bool wait) {
  NatsCluster* cluster = rig_.cluster();
  if (cluster == nullptr) return;
  for (int i = 0; i < cluster->size(); ++i) {
    if (!wait && cluster->Restarting(i)) continue;
    if (Status s = cluster->JoinRestart(i); !s.ok()) {
      findings_->failed_checks.push_back("nats " + cluster->member_name(i) +
                                         " did not restart: " + s.message());
    }
  }
}

void FaultDriver::Finish() {
  JoinClusterRestarts(/*wait=*/true);
  for (ClusterFaultRun& c : cluster_faults_) {
    if (c.election) {
      if (auto w = c.election->window()) {
        c.record.election_ms = std::chrono::duration<double, std::milli>(*w).count();
        c.record.new_leader = c.election->new_leader();
      }
      c.election.reset();
    }
  }
  leader_probe_.reset();
}

}  // namespace lnsim::harness
