// The world's own workload (workload.via == "world"): Poisson arrivals per kind (provision,
// delete, attach, detach, resize) from their own rng streams, each a LINSTOR operation as a CSI
// driver would issue it, counted in WorkloadStats. Also schedules the scenario's events at t = 0.
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::seconds;

RdIndex WorldImpl::PickResourceDefinition(Rng& rng, bool want_in_use, bool any_state) {
  const std::vector<RdIndex>& from = want_in_use && !any_state ? in_use_rds_ : live_rds_;
  if (from.empty()) return kNoIndex;
  for (int tries = 0; tries < 16; ++tries) {
    const RdIndex rd = from[rng.Uniform(from.size())];
    if (!cluster_.rds[rd].alive || (cluster_.rds[rd].flags & 1u)) continue;
    if (any_state || want_in_use == static_cast<bool>(rd_in_use_[rd])) return rd;
  }
  return kNoIndex;
}

void WorldImpl::ScheduleNextWorkload(uint32_t kind) {
  const WorkloadSpec& wl = spec_.workload;
  const double rates[] = {wl.provision_rate, wl.delete_rate, wl.attach_rate, wl.detach_rate,
                          wl.resize_rate};
  const double rate = rates[kind];
  if (rate <= 0) return;
  // Exponential inter-arrival (Poisson process), in unscaled seconds, then scaled.
  const double gap_s = rng_workload_[kind].Exponential(1.0 / rate);
  const int64_t gap = std::max<int64_t>(1, std::llround(gap_s * 1e9 * scale_));
  if (now_ + gap > run_length_ns_) return;
  ScheduleAt(now_ + gap, kEventWorkload, kind, 0, workload_cause_[kind]);
}

void WorldImpl::OnWorkload(uint32_t kind) {
  Rng& rng = rng_workload_[kind];
  ++op_depth_;
  switch (kind) {
    case kWorkloadProvision:
      WorkloadProvision(rng);
      break;
    case kWorkloadDelete:
      WorkloadDelete(rng);
      break;
    case kWorkloadAttach:
      WorkloadAttach(rng);
      break;
    case kWorkloadDetach:
      WorkloadDetach(rng);
      break;
    case kWorkloadResize: {
      const RdIndex rd = PickResourceDefinition(rng, false, true);
      if (rd == kNoIndex || cluster_.rds[rd].volumes.empty()) {
        ++workload_stats_.resize_failed;
        break;
      }
      GrowFirstVolume(rd).ok() ? ++workload_stats_.resized : ++workload_stats_.resize_failed;
      break;
    }
    default:
      break;
  }
  --op_depth_;
  ScheduleNextWorkload(kind);
}

void WorldImpl::WorkloadProvision(Rng& rng) {
  const GroupIndex g = cluster_.groups.size() > 1 ? 1 : 0;
  std::vector<Kib> sizes;
  sizes.reserve(spec_.cluster.volumes_per_resource);
  for (int v = 0; v < spec_.cluster.volumes_per_resource; ++v) {
    sizes.push_back(RandomVolumeSize(rng));
  }
  const OpResult res =
      Spawn(cluster_.groups[g].name, NewResourceDefinitionName(rng_names_), sizes, false);
  res.ok() ? ++workload_stats_.provisioned : ++workload_stats_.provision_failed;
}

void WorldImpl::WorkloadDelete(Rng& rng) {
  const RdIndex rd = PickResourceDefinition(rng, false, false);
  if (rd == kNoIndex) {
    ++workload_stats_.delete_failed;
    return;
  }
  const OpResult res = DeleteResourceDefinition(cluster_.rds[rd].name);
  res.ok() ? ++workload_stats_.deleted : ++workload_stats_.delete_failed;
}

// CSI attach: make the volume available on a client (or a replica's node), then promote.
void WorldImpl::WorkloadAttach(Rng& rng) {
  const RdIndex rd = PickResourceDefinition(rng, false, false);
  if (rd == kNoIndex || cluster_.rds[rd].replicas.empty()) {
    ++workload_stats_.attach_failed;
    return;
  }
  NodeIndex n;
  const ClusterSpec& cs = spec_.cluster;
  if (cs.diskless_clients > 0) {
    n = static_cast<NodeIndex>(cs.nodes + rng.Uniform(cs.diskless_clients));
  } else {
    const auto& replicas = cluster_.rds[rd].replicas;
    n = cluster_.replicas[replicas[rng.Uniform(replicas.size())]].node;
  }
  if (n >= cluster_.nodes.size() || !cluster_.nodes[n].alive) {
    ++workload_stats_.attach_failed;
    return;
  }
  const OpResult res = MakeAvailable(cluster_.rds[rd].name, cluster_.nodes[n].name, false);
  if (!res.ok()) {
    ++workload_stats_.attach_failed;
    return;
  }
  // The pod starts once the device is there: promote after DRBD connected.
  Schedule(Scaled(seconds(2)), kEventPromote, rd, n);
}

// CSI detach: demote the Primary; a temporary diskless attachment goes away with it.
void WorldImpl::WorkloadDetach(Rng& rng) {
  const RdIndex rd = PickResourceDefinition(rng, true, false);
  if (rd == kNoIndex) {
    ++workload_stats_.detach_failed;
    return;
  }
  ReplicaIndex primary = kNoIndex;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use) primary = r;
  }
  if (primary == kNoIndex || !Running(primary)) {
    ++workload_stats_.detach_failed;
    return;
  }
  const std::string rd_name = cluster_.rds[rd].name;
  const std::string node_name = cluster_.nodes[cluster_.replicas[primary].node].name;
  const OpResult res = SetInUse(rd_name, node_name, false);
  if (res.ok() && cluster_.replicas[primary].kind == ReplicaKind::kDiskless) {
    (void)DeleteReplica(rd_name, node_name);
  }
  res.ok() ? ++workload_stats_.detached : ++workload_stats_.detach_failed;
}

OpResult WorldImpl::GrowFirstVolume(RdIndex rd) {
  const VolumeDefinition& first = cluster_.rds[rd].volumes[0];
  const Kib grown =
      static_cast<Kib>(static_cast<double>(first.size_kib) * spec_.workload.resize_factor);
  return ResizeIndex(rd, first.number, (grown + 1023) / 1024 * 1024);
}

void WorldImpl::ScheduleScenario() {
  ScheduleFaults();
  ScheduleWorkload();
  cause_ = 0;
}

void WorldImpl::ScheduleWorkload() {
  for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
    workload_cause_.push_back(trace_.InternCause(std::string("workload:") + kWorkloadNames[k]));
  }
  if (spec_.workload.via != "world") return;
  for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
    cause_ = workload_cause_[k];
    ScheduleNextWorkload(k);
  }
}

// The attach follow-up: the pod starts once the device is there, and opens it (promotes).
void WorldImpl::OnWorkloadPromote(RdIndex rd, NodeIndex n) {
  const ReplicaIndex r = FindReplica(rd, n);
  if (r == kNoIndex || !cluster_.rds[rd].alive) {
    ++workload_stats_.attach_failed;
    return;
  }
  ++op_depth_;
  const OpResult res = SetInUse(cluster_.rds[rd].name, cluster_.nodes[n].name, true);
  --op_depth_;
  res.ok() ? ++workload_stats_.attached : ++workload_stats_.attach_failed;
}

}  // namespace lnsim::sim::internal
