// The verifier against the real world (sim/): its replay of the trace ends in the world's final
// state, and a reference bridge that polls the world's cluster the way the contract describes
// (live state only from ONLINE nodes, creation snapshots, detached before deleted) is judged
// clean — zero lost and zero phantom — on the shipped scenarios, node crash and resync included.
// A reference bridge that skips one kind of event, or one that swaps attach and detach, is not.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/rng.h"
#include "harness/observation.h"
#include "harness/scenario_loader.h"
#include "harness/shrink.h"
#include "harness/verifier.h"
#include "sim/world.h"

namespace lnsim::harness {
namespace {

constexpr int64_t kMs = 1'000'000;

int64_t RenderedDisk(const sim::VolumeReplica& v) {
  const bool resync_disk =
      v.disk == sim::DiskState::kInconsistent || v.disk == sim::DiskState::kOutdated;
  if (resync_disk && v.done_percentage >= 0) {
    for (sim::ReplState s : v.repl) {
      if (s == sim::ReplState::kSyncTarget || s == sim::ReplState::kPausedSyncT) {
        return kDiskLabelSyncTarget;
      }
    }
  }
  return static_cast<int64_t>(v.disk);
}

bool DisksAttached(const sim::Replica& r) {
  if (r.kind != sim::ReplicaKind::kDiskful) return false;
  for (const sim::VolumeReplica& v : r.volumes) {
    switch (v.disk) {
      case sim::DiskState::kDiskless:
      case sim::DiskState::kFailed:
      case sim::DiskState::kDUnknown:
      case sim::DiskState::kAttaching:
      case sim::DiskState::kDetaching:
        return false;
      default:
        break;
    }
  }
  return true;
}

// docs/events.md "Quorum", written again from the text (the verifier's own is
// harness/internal/quorum_truth.cc); -1 while unknown (no diskful replica).
int64_t DocumentedQuorum(const std::map<uint32_t, const sim::Replica*>& by_node,
                         const sim::Replica& rep, const std::vector<bool>& online) {
  int32_t voters = 0;
  for (const auto& [n, q] : by_node) voters += q->kind == sim::ReplicaKind::kDiskful ? 1 : 0;
  if (voters == 0) return -1;
  int32_t votes = DisksAttached(rep) ? 1 : 0;
  bool tie = rep.kind == sim::ReplicaKind::kTieBreaker;
  for (const sim::PeerLink& link : rep.peers) {
    auto it = by_node.find(link.peer);
    if (it == by_node.end() || link.conn != sim::ConnState::kConnected) continue;
    const sim::Replica& peer = *it->second;
    if (peer.kind == sim::ReplicaKind::kDiskful) {
      votes += (!online[peer.node] || DisksAttached(peer)) ? 1 : 0;
    } else {
      tie = tie || peer.kind == sim::ReplicaKind::kTieBreaker;
    }
  }
  return (2 * votes > voters || (2 * votes == voters && votes > 0 && tie)) ? 1 : 0;
}

struct ReferenceBridgeOptions {
  int64_t poll_ms = 100;
  int64_t deliver_ms = 1;
  bool swap_attach_detach = false;
  bool skip_disk_events = false;
  bool skip_quorum_events = false;
};

// Polls the cluster between world steps and produces the observations a correct bridge would.
class ReferenceBridge {
 public:
  ReferenceBridge(const sim::Cluster& cluster, ReferenceBridgeOptions options)
      : cluster_(cluster), options_(options) {}

  void Poll(int64_t t_ns, bool baseline, std::vector<Observation>* out,
            std::vector<std::vector<Assertion>>* extras) {
    now_ = t_ns;
    baseline_ = baseline;
    out_ = out;
    extras_ = extras;
    const sim::Cluster& c = cluster_;
    std::vector<bool> online(c.nodes.size());
    for (uint32_t n = 0; n < c.nodes.size(); ++n) {
      online[n] = c.nodes[n].alive && c.nodes[n].connection == sim::NodeConnection::kOnline;
      if (!c.nodes[n].alive) continue;
      Report("node." + c.nodes[n].name, MakeChannelKey(ChannelKind::kNodeOnline, n),
             online[n] ? 1 : 0);
    }
    for (uint32_t r = 0; r < c.rds.size(); ++r) {
      const sim::ResourceDefinition& rd = c.rds[r];
      const std::string key = "resource." + rd.name;
      const uint64_t exists = MakeChannelKey(ChannelKind::kRdExists, r);
      std::vector<Assertion> sizes;
      for (const auto& v : rd.volumes) {
        sizes.push_back({MakeChannelKey(ChannelKind::kVdSize, r, 0, v.number),
                         static_cast<int64_t>(v.size_kib)});
      }
      const bool was = Reported(exists) == 1;
      if (rd.alive && !was) {
        Report(key, exists, 1, sizes);
        for (const Assertion& a : sizes) reported_[a.channel] = a.value;
      } else if (rd.alive) {
        for (const Assertion& a : sizes) Report(key, a.channel, a.value);
      }
      // Replicas by node.
      std::map<uint32_t, const sim::Replica*> by_node;
      for (sim::ReplicaIndex ri : rd.replicas) {
        if (ri < c.replicas.size() && c.replicas[ri].alive)
          by_node[c.replicas[ri].node] = &c.replicas[ri];
      }
      for (uint32_t n = 0; n < c.nodes.size(); ++n) {
        const uint64_t rex = MakeChannelKey(ChannelKind::kReplicaExists, r, n);
        const uint64_t in_use = MakeChannelKey(ChannelKind::kReplicaInUse, r, n);
        auto it = by_node.find(n);
        const sim::Replica* rep = it == by_node.end() ? nullptr : it->second;
        if (rep == nullptr) {
          if (Reported(rex) == 1) {
            if (Reported(in_use) == 1) Report(key, in_use, 0);
            Report(key, rex, 0);
            ForgetLive(r, n);
          }
          continue;
        }
        std::vector<Assertion> live;
        if (online[n]) {
          live.push_back({in_use, rep->in_use ? 1 : 0});
          for (size_t vi = 0; vi < rep->volumes.size() && vi < rd.volumes.size(); ++vi) {
            live.push_back({MakeChannelKey(ChannelKind::kDiskLabel, r, n, rd.volumes[vi].number),
                            RenderedDisk(rep->volumes[vi])});
          }
          for (const auto& peer : rep->peers) {
            live.push_back({MakeChannelKey(ChannelKind::kPeerConnected, r, n, peer.peer),
                            peer.conn == sim::ConnState::kConnected ? 1 : 0});
          }
          const int64_t quorum = DocumentedQuorum(by_node, *rep, online);
          if (quorum >= 0 && !options_.skip_quorum_events) {
            live.push_back({MakeChannelKey(ChannelKind::kQuorum, r, n), quorum});
          }
        }
        if (Reported(rex) != 1) {
          // replica.created carries in_use and disk states; connections become the baseline.
          std::vector<Assertion> carried;
          for (const Assertion& a : live) {
            const ChannelKind k = ChannelKindOf(a.channel);
            if (k != ChannelKind::kPeerConnected && k != ChannelKind::kQuorum) carried.push_back(a);
            reported_[a.channel] = a.value;
          }
          Report(key, rex, 1, carried);
          if (rep->in_use && online[n] && !baseline_) Emit(key, {in_use, 1}, {});
          continue;
        }
        for (const Assertion& a : live) {
          if (options_.skip_disk_events && ChannelKindOf(a.channel) == ChannelKind::kDiskLabel) {
            reported_[a.channel] = a.value;
            continue;
          }
          Report(key, a.channel, a.value);
        }
      }
      if (!rd.alive && was) Report(key, exists, 0);
    }
  }

 private:
  int64_t Reported(uint64_t channel) const {
    auto it = reported_.find(channel);
    return it == reported_.end() ? kGone : it->second;
  }
  void ForgetLive(uint32_t rd, uint32_t node) {
    for (auto it = reported_.begin(); it != reported_.end();) {
      const ChannelKind k = ChannelKindOf(it->first);
      const uint32_t a = static_cast<uint32_t>((it->first >> 36) & 0xffffff);
      const uint32_t b = static_cast<uint32_t>((it->first >> 16) & 0xfffff);
      const bool live = k == ChannelKind::kDiskLabel || k == ChannelKind::kPeerConnected ||
                        k == ChannelKind::kQuorum;
      it = (live && a == rd && b == node) ? reported_.erase(it) : std::next(it);
    }
  }
  void Report(const std::string& key, uint64_t channel, int64_t value,
              const std::vector<Assertion>& extras = {}) {
    if (Reported(channel) == value) return;
    // A value known for the first time (its node was offline when the replica appeared): the
    // bridge reports disk states and an attachment, and takes connections as they are.
    const ChannelKind kind = ChannelKindOf(channel);
    const bool first = Reported(channel) == kGone &&
                       (kind == ChannelKind::kPeerConnected || kind == ChannelKind::kQuorum ||
                        (kind == ChannelKind::kReplicaInUse && value == 0));
    reported_[channel] = value;
    if (baseline_ || first) return;  // the first snapshot of a value is state, not a change
    int64_t carried = value;
    if (options_.swap_attach_detach && ChannelKindOf(channel) == ChannelKind::kReplicaInUse) {
      carried = 1 - value;
    }
    Emit(key, {channel, carried}, extras);
  }
  void Emit(const std::string& key, Assertion primary, const std::vector<Assertion>& extras) {
    Observation o;
    const uint64_t seq = ++sequence_[key];
    o.id_hash = Fnv1a64(key + "/" + std::to_string(seq));
    o.partition_hash = Fnv1a64(key);
    o.sequence = seq;
    o.primary = primary;
    o.extra_count = static_cast<uint32_t>(extras.size());
    o.observed_ns = now_;
    o.delivered_ns = now_ + options_.deliver_ms * kMs;
    out_->push_back(o);
    extras_->push_back(extras);
  }

  const sim::Cluster& cluster_;
  ReferenceBridgeOptions options_;
  std::map<uint64_t, int64_t> reported_;
  std::map<std::string, uint64_t> sequence_;
  int64_t now_ = 0;
  bool baseline_ = false;
  std::vector<Observation>* out_ = nullptr;
  std::vector<std::vector<Assertion>>* extras_ = nullptr;
};

struct WorldRun {
  VerifierResult result;
  size_t events = 0;
  uint64_t transitions = 0;
};

WorldRun RunWorld(const Scenario& scenario, ReferenceBridgeOptions options) {
  auto world = sim::World::Create(scenario.world, scenario.world.seed);
  LNSIM_CHECK(world.ok()) << world.status().ToString();
  sim::World& w = **world;
  VerifierOptions vo;
  vo.observation_bound_ns = 2 * (options.poll_ms + options.poll_ms) * kMs;
  vo.match_slack_ns = 0;
  Verifier verifier(vo, 1);
  verifier.AddInitialState(w.cluster());  // generation is not in the trace
  ReferenceBridge bridge(w.cluster(), options);
  std::vector<Observation> observations;
  std::vector<std::vector<Assertion>> extras;
  size_t fed = 0;
  const int64_t end = w.RunLength().count();
  for (int64_t t = 0; t <= end; t += options.poll_ms * kMs) {
    w.AdvanceTo(Duration(t));
    const auto& trace = w.trace().transitions();
    verifier.AddTransitions(w.cluster(), trace.data() + fed, trace.data() + trace.size());
    fed = trace.size();
    const size_t before = observations.size();
    bridge.Poll(t, t == 0, &observations, &extras);
    for (size_t i = before; i < observations.size(); ++i) {
      verifier.Observe(observations[i], extras[i].data());
    }
  }
  WorldRun run;
  run.events = observations.size();
  run.transitions = fed;
  run.result = verifier.Finish(end, &w.cluster());
  return run;
}

WorldRun RunScenario(const std::string& name, ReferenceBridgeOptions options, uint64_t seed = 0) {
  auto scenario = LoadScenarioFile(std::string(LNSIM_SOURCE_DIR) + "/scenarios/" + name);
  LNSIM_CHECK(scenario.ok()) << scenario.status().ToString();
  if (seed != 0) scenario->world.seed = seed;
  return RunWorld(*scenario, options);
}

std::string Samples(const VerifierResult& r) {
  std::string out;
  for (const auto& s : r.lost_samples[0]) out += "\n  lost: " + s;
  for (const auto& s : r.phantom_samples[0]) out += "\n  phantom: " + s;
  return out;
}

TEST(VerifierWorldTest, ReferenceBridgeOnSmokeIsClean) {
  const WorldRun run = RunScenario("smoke.yaml", {});
  const VerdictCounters& c = run.result.per_consumer[0];
  EXPECT_GT(run.events, 20u);
  EXPECT_EQ(c.lost, 0u) << Samples(run.result);
  EXPECT_EQ(c.phantom, 0u) << Samples(run.result);
  EXPECT_EQ(c.late, 0u);
  EXPECT_EQ(c.reordered, 0u);
  EXPECT_TRUE(run.result.converged[0]);
}

TEST(VerifierWorldTest, ReferenceBridgeOnNodeCrashIsClean) {
  const WorldRun run = RunScenario("node-crash.yaml", {});
  const VerdictCounters& c = run.result.per_consumer[0];
  EXPECT_GT(run.events, 100u);
  EXPECT_EQ(c.lost, 0u) << Samples(run.result);
  EXPECT_EQ(c.phantom, 0u) << Samples(run.result);
  EXPECT_EQ(c.reordered, 0u);
  EXPECT_TRUE(run.result.converged[0]);
}

TEST(VerifierWorldTest, ReferenceBridgeIsCleanAcrossSeeds) {
  for (uint64_t seed : {2, 3, 4, 5}) {
    for (const char* scenario : {"smoke.yaml", "node-crash.yaml"}) {
      const WorldRun run = RunScenario(scenario, {}, seed);
      const VerdictCounters& c = run.result.per_consumer[0];
      EXPECT_EQ(c.lost + c.phantom + c.reordered, 0u)
          << scenario << " seed " << seed << Samples(run.result);
    }
  }
}

TEST(VerifierWorldTest, SwappedAttachDetachFailsOnTheRealWorld) {
  ReferenceBridgeOptions options;
  options.swap_attach_detach = true;
  const WorldRun run = RunScenario("smoke.yaml", options);
  EXPECT_GT(run.result.per_consumer[0].lost + run.result.per_consumer[0].phantom, 0u);
}

TEST(VerifierWorldTest, MissingDiskEventsAreLostAfterANodeCrash) {
  ReferenceBridgeOptions options;
  options.skip_disk_events = true;
  const WorldRun run = RunScenario("node-crash.yaml", options);
  EXPECT_GT(run.result.per_consumer[0].lost, 0u);
}

// Quorum is judged by default, its ground truth the documented rule: a reference bridge that
// derives quorum by the text of docs/events.md is clean through a quorum loss, one that never
// reports quorum loses those changes.
TEST(VerifierWorldTest, ReferenceBridgeOnQuorumLossIsClean) {
  const WorldRun run = RunScenario("quorum-loss.yaml", {});
  const VerdictCounters& c = run.result.per_consumer[0];
  EXPECT_EQ(c.lost, 0u) << Samples(run.result);
  EXPECT_EQ(c.phantom, 0u) << Samples(run.result);
  EXPECT_EQ(c.unjudged, 0u);
  EXPECT_TRUE(run.result.converged[0]);
}

TEST(VerifierWorldTest, MissingQuorumEventsAreLostOnQuorumLoss) {
  ReferenceBridgeOptions options;
  options.skip_quorum_events = true;
  const WorldRun run = RunScenario("quorum-loss.yaml", options);
  EXPECT_GT(run.result.per_consumer[0].lost, 0u);
  bool names_quorum = false;
  for (const std::string& s : run.result.lost_samples[0]) names_quorum |= s.rfind("quorum", 0) == 0;
  EXPECT_TRUE(names_quorum) << Samples(run.result);
}

// Shrinking against real judgements (tests/harness/shrink_test.cc has the fake-predicate cases):
// ten faults on a real world, judged by the verifier against a reference bridge that never
// reports disk states. Attach/detach churn alone changes no disk, so the run fails only through
// faults that do; the shrinker must hand back a smaller schedule that still fails when judged
// again, and taking any of its faults away must make it pass.
constexpr char kTenWorldFaults[] = R"(# ten faults, only some of which touch disks
cluster:
  nodes: 4
  pools_per_node: 1
  pool_size: 1TiB
  resources: 12
  replicas: 2
workload:
  attach_rate: 1
  detach_rate: 1
faults:
  - {kind: bridge-kill, at: 2s, duration: 1s}
  - {kind: controller-outage, at: 3s, duration: 1s}
  - {kind: nats-restart, at: 4s, duration: 1s}
  - {kind: node-crash, at: 6s, duration: 5s, nodes: [node-1]}
  - {kind: consumer-crash, at: 8s, duration: 1s}
  - {kind: network, at: 9s, duration: 1s, params: "target=consumers,latency=50ms"}
  - {kind: bridge-kill, at: 12s, duration: 1s}
  - {kind: node-reboot, at: 14s, duration: 4s, nodes: [node-3]}
  - {kind: controller-outage, at: 20s, duration: 1s}
  - {kind: consumer-crash, at: 22s, duration: 1s}
duration: 30s
seed: 5
)";

TEST(VerifierWorldTest, ShrinkingATenFaultFailureKeepsASmallerScheduleThatStillFails) {
  ReferenceBridgeOptions blind;
  blind.skip_disk_events = true;
  auto fails = [&](const Scenario& s, const std::string&) {
    return RunWorld(s, blind).result.per_consumer[0].lost > 0;
  };
  auto original = LoadScenarioText(kTenWorldFaults, "ten.yaml");
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  ASSERT_EQ(original->world.faults.size(), 10u);
  ASSERT_TRUE(fails(*original, kTenWorldFaults)) << "the ten-fault schedule must fail";
  auto none = ScenarioWithFaults(kTenWorldFaults, {});
  ASSERT_TRUE(none.ok());
  auto no_faults = LoadScenarioText(*none, "none.yaml");
  ASSERT_TRUE(no_faults.ok()) << no_faults.status().ToString();
  ASSERT_FALSE(fails(*no_faults, *none)) << "without faults the blind bridge passes";
  const WorldRun full_run = RunWorld(*original, {});
  ASSERT_EQ(full_run.result.per_consumer[0].lost, 0u) << "a sighted bridge passes all ten";

  auto result = ShrinkFaultSchedule(kTenWorldFaults, "ten.yaml", fails);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->original_faults, 10u);
  ASSERT_FALSE(result->kept.empty());
  EXPECT_LT(result->kept.size(), 10u);
  auto minimal = LoadScenarioText(result->text, "minimal.yaml");
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString() << "\n" << result->text;
  ASSERT_EQ(minimal->world.faults.size(), result->kept.size());
  EXPECT_TRUE(fails(*minimal, result->text)) << result->text;
  for (const sim::FaultSpec& f : minimal->world.faults) {
    EXPECT_TRUE(f.kind == sim::FaultKind::kNodeCrash || f.kind == sim::FaultKind::kNodeReboot)
        << "a fault that touches no disk survived: " << sim::Name(f.kind);
  }
  // 1-minimal: each kept fault is needed.
  for (size_t drop = 0; drop < result->kept.size(); ++drop) {
    std::vector<size_t> fewer = result->kept;
    fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(drop));
    auto text = ScenarioWithFaults(kTenWorldFaults, fewer);
    ASSERT_TRUE(text.ok());
    auto smaller = LoadScenarioText(*text, "smaller.yaml");
    ASSERT_TRUE(smaller.ok());
    EXPECT_FALSE(fails(*smaller, *text)) << "fault " << result->kept[drop] << " was not needed";
  }
}

}  // namespace
}  // namespace lnsim::harness
