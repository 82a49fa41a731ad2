// The cluster at t = 0: nodes, pools, resource groups and resources placed on the emptiest pools,
// all up and in sync, hashed into the trace digest. Deterministic in the seed (rng "generator" and
// "names"); nothing here is recorded as a transition.
#include <cstdio>
#include <queue>

#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

namespace {

std::string UuidLike(Rng& rng) {
  const uint64_t hi = rng.Next();
  const uint64_t lo = rng.Next();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace

std::string WorldImpl::NewResourceDefinitionName(Rng& rng) {
  for (;;) {
    std::string name = spec_.cluster.name_prefix + "-" + UuidLike(rng);
    if (rd_by_name_.find(FoldName(name)) == rd_by_name_.end()) return name;
  }
}

Kib WorldImpl::RandomVolumeSize(Rng& rng) const {
  const ClusterSpec& cs = spec_.cluster;
  const double size = rng.LogUniform(static_cast<double>(cs.volume_size_min_kib),
                                     static_cast<double>(cs.volume_size_max_kib));
  const Kib kib = static_cast<Kib>(size);
  return std::max<Kib>(1024, (kib + 1023) / 1024 * 1024);  // whole MiB
}

Status WorldImpl::Generate() {
  const ClusterSpec& cs = spec_.cluster;
  scale_ = spec_.time_scale;
  run_length_ns_ = Scaled(spec_.duration);
  LNSIM_RETURN_IF_ERROR(CheckClusterSpec());
  recording_ = false;
  GenerateNodes();
  GenerateResourceGroups();
  // Placement: a max-heap of pools by free space (LINSTOR's autoplacer prefers the emptiest
  // pools), distinct nodes per resource.
  PoolHeap heap;
  for (PoolIndex p = 0; p < cluster_.pools.size(); ++p) {
    if (!cluster_.pools[p].diskless()) heap.push({PlacementScore(p), -static_cast<int64_t>(p)});
  }
  cluster_.rds.reserve(cs.resources);
  cluster_.replicas.reserve(static_cast<size_t>(cs.resources) * (cs.replicas + 1));
  replica_data_.reserve(cluster_.replicas.capacity());
  uint32_t tiebreaker_cursor = 0;
  for (int i = 0; i < cs.resources; ++i) {
    LNSIM_RETURN_IF_ERROR(GenerateResource(i, &heap, &tiebreaker_cursor));
  }
  MixClusterIntoDigest();
  recording_ = true;
  return CheckFaultNodes();
}

Status WorldImpl::CheckClusterSpec() const {
  const ClusterSpec& cs = spec_.cluster;
  if (cs.replicas > cs.nodes) {
    return InvalidArgumentError("cluster.replicas: " + std::to_string(cs.replicas) +
                                " replicas need at least as many storage nodes, cluster.nodes is " +
                                std::to_string(cs.nodes));
  }
  const uint64_t volumes = static_cast<uint64_t>(cs.resources) * cs.volumes_per_resource;
  if (volumes > 1048575 - 1000) {
    return InvalidArgumentError("cluster.resources: " + std::to_string(volumes) +
                                " volumes exceed DRBD's minor numbers (1048575)");
  }
  return OkStatus();
}

// Storage nodes node-1..node-N with a diskless pool and pool1..poolK, then the diskless clients.
void WorldImpl::GenerateNodes() {
  const ClusterSpec& cs = spec_.cluster;
  const int total_nodes = cs.nodes + cs.diskless_clients;
  cluster_.nodes.reserve(total_nodes);
  node_data_.resize(total_nodes);
  for (int i = 0; i < total_nodes; ++i) {
    Node n;
    n.name = i < cs.nodes ? "node-" + std::to_string(i + 1)
                          : "client-" + std::to_string(i - cs.nodes + 1);
    n.ipv4 = (10u << 24) + 10u + static_cast<uint32_t>(i) + 1;
    const NodeIndex idx = static_cast<NodeIndex>(cluster_.nodes.size());
    node_by_name_.emplace(FoldName(n.name), idx);
    cluster_.nodes.push_back(std::move(n));
    auto add_pool = [&](const std::string& name, ProviderKind kind, Kib total) {
      StoragePool p;
      p.name = name;
      p.node = idx;
      p.kind = kind;
      p.total_kib = total;
      p.max_oversubscription = p.thin() ? cs.max_oversubscription : 1.0;
      cluster_.nodes[idx].pools.push_back(static_cast<PoolIndex>(cluster_.pools.size()));
      cluster_.pools.push_back(std::move(p));
    };
    add_pool("DfltDisklessStorPool", ProviderKind::kDiskless, 0);
    if (i < cs.nodes) {
      for (int k = 0; k < cs.pools_per_node; ++k) {
        add_pool("pool" + std::to_string(k + 1), cs.pool_kind, cs.pool_size_kib);
      }
    }
  }
}

void WorldImpl::GenerateResourceGroups() {
  ResourceGroup g;
  g.name = "DfltRscGrp";
  g.place_count = 2;
  group_by_name_.emplace(FoldName(g.name), 0);
  cluster_.groups.push_back(std::move(g));
  for (int k = 0; k < spec_.cluster.resource_groups; ++k) {
    ResourceGroup rg;
    rg.name = "rg" + std::to_string(k + 1);
    rg.place_count = spec_.cluster.replicas;
    group_by_name_.emplace(FoldName(rg.name), static_cast<GroupIndex>(cluster_.groups.size()));
    cluster_.groups.push_back(std::move(rg));
  }
}

// Resource i of the generated cluster: its volumes, replicas, maybe a tiebreaker and a Primary,
// everything up and in sync at t = 0.
Status WorldImpl::GenerateResource(int i, PoolHeap* heap, uint32_t* tiebreaker_cursor) {
  const ClusterSpec& cs = spec_.cluster;
  const GroupIndex group = cs.resource_groups > 0 ? 1 + (i % cs.resource_groups) : 0;
  const RdIndex rd = AddResourceDefinition(NewResourceDefinitionName(rng_names_), group);
  for (int v = 0; v < cs.volumes_per_resource; ++v) {
    AddVolume(rd, static_cast<uint32_t>(v), RandomVolumeSize(rng_generator_), true);
  }
  LNSIM_RETURN_IF_ERROR(PlaceGeneratedReplicas(rd, i, heap));
  AddGeneratedTiebreakerAndPrimary(rd, tiebreaker_cursor);
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    Replica& x = cluster_.replicas[r];
    replica_data_[r].started = replica_data_[r].ever_started = true;
    replica_data_[r].initial = false;
    for (auto& v : x.volumes) {
      v.disk = x.kind == ReplicaKind::kDiskful ? DiskState::kUpToDate : DiskState::kDiskless;
      std::fill(v.repl.begin(), v.repl.end(), ReplState::kEstablished);
    }
    for (auto& l : x.peers) l.conn = ConnState::kConnected;
  }
  rd_has_data_[rd] = 1;
  UpdateInUseSet(rd);
  Recompute(rd);
  return OkStatus();
}

// cluster.replicas diskful replicas on the emptiest pools of distinct nodes.
Status WorldImpl::PlaceGeneratedReplicas(RdIndex rd, int i, PoolHeap* heap) {
  const ClusterSpec& cs = spec_.cluster;
  const Kib need = TotalSize(rd);
  std::vector<PoolIndex> chosen, set_aside;
  while (static_cast<int>(chosen.size()) < cs.replicas && !heap->empty()) {
    const auto top = heap->top();
    heap->pop();
    const PoolIndex p = static_cast<PoolIndex>(-top.second);
    if (!cluster_.pools[p].CanFit(need)) continue;  // full: drop for good
    const NodeIndex n = cluster_.pools[p].node;
    bool node_used = false;
    for (PoolIndex q : chosen) node_used = node_used || cluster_.pools[q].node == n;
    (node_used ? set_aside : chosen).push_back(p);
  }
  for (PoolIndex q : set_aside) heap->push({PlacementScore(q), -static_cast<int64_t>(q)});
  if (static_cast<int>(chosen.size()) < cs.replicas) {
    return InvalidArgumentError(
        "cluster: not enough free space to place resource " + std::to_string(i + 1) + " of " +
        std::to_string(cs.resources) + " with " + std::to_string(cs.replicas) +
        " replicas (raise cluster.pool_size or cluster.nodes, or lower cluster.resources)");
  }
  std::sort(chosen.begin(), chosen.end(), [&](PoolIndex a, PoolIndex b) {
    return cluster_.pools[a].node < cluster_.pools[b].node;
  });
  for (PoolIndex p : chosen) {
    const ReplicaIndex r = AddReplica(rd, cluster_.pools[p].node, p, ReplicaKind::kDiskful, true);
    if (cluster_.pools[p].thin()) {
      // Thin volumes hold some data already (5..50% written), never beyond the pool.
      for (size_t vi = 0; vi < cluster_.rds[rd].volumes.size(); ++vi) {
        const double fill = 0.05 + 0.45 * rng_generator_.UniformDouble();
        Kib alloc =
            static_cast<Kib>(fill * static_cast<double>(cluster_.rds[rd].volumes[vi].size_kib));
        alloc = std::min(alloc, cluster_.pools[p].FreeKib());
        cluster_.replicas[r].volumes[vi].allocated_kib = alloc;
        cluster_.pools[p].allocated_kib += alloc;
      }
    }
    heap->push({PlacementScore(p), -static_cast<int64_t>(p)});
  }
  return OkStatus();
}

void WorldImpl::AddGeneratedTiebreakerAndPrimary(RdIndex rd, uint32_t* tiebreaker_cursor) {
  const ClusterSpec& cs = spec_.cluster;
  if (cs.replicas == 2 && cs.tiebreaker && cs.nodes > 2) {
    // LINSTOR adds a diskless tiebreaker on a third node.
    const int total_nodes = cs.nodes + cs.diskless_clients;
    for (int tries = 0; tries < total_nodes; ++tries) {
      const NodeIndex n = (*tiebreaker_cursor)++ % static_cast<uint32_t>(cs.nodes);
      if (FindReplica(rd, n) == kNoIndex) {
        AddReplica(rd, n, kNoIndex, ReplicaKind::kTieBreaker, true);
        break;
      }
    }
  }
  if (cs.in_use_fraction > 0 && rng_generator_.Bernoulli(cs.in_use_fraction)) {
    ReplicaIndex primary;
    if (cs.diskless_clients > 0) {
      const NodeIndex n =
          static_cast<NodeIndex>(cs.nodes + rng_generator_.Uniform(cs.diskless_clients));
      primary = AddReplica(rd, n, kNoIndex, ReplicaKind::kDiskless, true);
    } else {
      primary = cluster_.rds[rd].replicas[rng_generator_.Uniform(cs.replicas)];
    }
    cluster_.replicas[primary].in_use = true;
  }
}

// The generated cluster is the trace's starting point: hash it into the digest.
void WorldImpl::MixClusterIntoDigest() {
  uint64_t h = Fnv1a64("lnsim-world-v1");
  auto mix = [&](uint64_t v) {
    char le[8];  // canonical little-endian, whatever the host
    for (int b = 0; b < 8; ++b) le[b] = static_cast<char>(v >> (8 * b));
    h = Fnv1a64(std::string_view(le, sizeof(le)), h);
  };
  for (const Node& n : cluster_.nodes) {
    h = Fnv1a64(n.name, h);
    mix(n.ipv4);
  }
  for (const StoragePool& p : cluster_.pools) {
    mix(p.node);
    mix(p.total_kib);
    mix(p.allocated_kib);
    mix(p.provisioned_kib);
  }
  for (const ResourceDefinition& d : cluster_.rds) {
    h = Fnv1a64(d.name, h);
    mix(d.port);
    for (const auto& v : d.volumes) {
      mix(v.size_kib);
      mix(v.minor);
    }
  }
  for (const Replica& r : cluster_.replicas) {
    mix((uint64_t{r.rd} << 32) | r.node);
    mix((uint64_t{r.pool} << 16) | (static_cast<uint64_t>(r.kind) << 8) | r.in_use);
  }
  trace_.MixIntoDigest(h);
}

// Faults naming nodes must name nodes of this cluster (typos must not pass silently).
Status WorldImpl::CheckFaultNodes() const {
  const ClusterSpec& cs = spec_.cluster;
  for (size_t i = 0; i < spec_.faults.size(); ++i) {
    for (const auto& name : spec_.faults[i].nodes) {
      if (FindNode(name) != kNoIndex) continue;
      return InvalidArgumentError(
          std::to_string(spec_.faults[i].source_line) + ": faults[" + std::to_string(i) +
          "].nodes: no node '" + name + "' in the cluster (node-1.." + "node-" +
          std::to_string(cs.nodes) +
          (cs.diskless_clients > 0 ? ", client-1..client-" + std::to_string(cs.diskless_clients)
                                   : std::string()) +
          ")");
    }
  }
  return OkStatus();
}

}  // namespace lnsim::sim::internal
