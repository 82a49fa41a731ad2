// Hand-built clusters for rendering tests (see testutil_cluster.h).
#include "tests/mock-linstor/testutil_cluster.h"

namespace lnsim::mock::testing {

sim::Cluster SmallCluster() {
  sim::Cluster c;
  const char* names[] = {"node-a", "node-b", "node-c"};
  for (int i = 0; i < 3; ++i) {
    sim::Node n;
    n.name = names[i];
    n.ipv4 = (10u << 24) | (11u + static_cast<uint32_t>(i));
    sim::StoragePool diskless;
    diskless.name = "DfltDisklessStorPool";
    diskless.node = static_cast<sim::NodeIndex>(i);
    diskless.kind = sim::ProviderKind::kDiskless;
    sim::StoragePool pool1;
    pool1.name = "pool1";
    pool1.node = static_cast<sim::NodeIndex>(i);
    pool1.kind = sim::ProviderKind::kLvmThin;
    pool1.total_kib = 104857600;
    pool1.allocated_kib = 1048576;
    n.pools = {static_cast<sim::PoolIndex>(c.pools.size()),
               static_cast<sim::PoolIndex>(c.pools.size() + 1)};
    c.pools.push_back(diskless);
    c.pools.push_back(pool1);
    c.nodes.push_back(n);
  }
  sim::ResourceGroup dflt;
  dflt.name = "DfltRscGrp";
  sim::ResourceGroup rg1;
  rg1.name = "rg1";
  rg1.place_count = 3;
  rg1.pool_names = {"pool1"};
  c.groups = {dflt, rg1};

  auto add_replica = [&](sim::RdIndex rd, sim::NodeIndex node, sim::ReplicaKind kind) {
    sim::Replica r;
    r.rd = rd;
    r.node = node;
    r.kind = kind;
    r.pool = kind == sim::ReplicaKind::kDiskful ? node * 2 + 1 : node * 2;
    r.drbd_node_id = static_cast<uint8_t>(c.rds[rd].replicas.size());
    r.create_time_ms = 1000;
    r.may_promote = true;
    r.promotion_score = 10102;
    for (size_t v = 0; v < c.rds[rd].volumes.size(); ++v) {
      sim::VolumeReplica vr;
      vr.disk = kind == sim::ReplicaKind::kDiskful ? sim::DiskState::kUpToDate
                                                   : sim::DiskState::kDiskless;
      vr.allocated_kib = 4096;
      r.volumes.push_back(vr);
    }
    const sim::ReplicaIndex idx = static_cast<sim::ReplicaIndex>(c.replicas.size());
    c.replicas.push_back(r);
    c.rds[rd].replicas.push_back(idx);
    c.nodes[node].replicas.push_back(idx);
    return idx;
  };
  auto link_all = [&](sim::RdIndex rd) {
    for (sim::ReplicaIndex r : c.rds[rd].replicas) {
      for (sim::ReplicaIndex p : c.rds[rd].replicas) {
        if (p == r) continue;
        c.replicas[r].peers.push_back({c.replicas[p].node, sim::ConnState::kConnected});
        for (auto& vr : c.replicas[r].volumes) vr.repl.push_back(sim::ReplState::kEstablished);
      }
    }
  };

  sim::ResourceDefinition demo;
  demo.name = "demo";
  demo.port = 7000;
  demo.volumes = {{0, 1048576, 1000, 0}};
  c.rds.push_back(demo);
  const auto a = add_replica(0, 0, sim::ReplicaKind::kDiskful);
  const auto b = add_replica(0, 1, sim::ReplicaKind::kDiskful);
  add_replica(0, 2, sim::ReplicaKind::kDiskless);
  link_all(0);
  c.replicas[a].in_use = true;
  c.replicas[a].may_promote = false;
  // node-b is SyncTarget from node-a at 42.17%.
  c.replicas[b].volumes[0].disk = sim::DiskState::kInconsistent;
  c.replicas[b].volumes[0].done_percentage = 42.17f;
  c.replicas[b].volumes[0].repl[0] = sim::ReplState::kSyncTarget;
  c.replicas[a].volumes[0].done_percentage = 42.17f;
  c.replicas[a].volumes[0].repl[0] = sim::ReplState::kSyncSource;

  sim::ResourceDefinition other;
  other.name = "Other";
  other.port = 7001;
  other.group = 1;
  other.volumes = {{0, 2097152, 1001, 0}, {1, 4194304, 1002, 0}};
  c.rds.push_back(other);
  add_replica(1, 1, sim::ReplicaKind::kDiskful);
  link_all(1);
  return c;
}

HttpResponse Get(const sim::Cluster& cluster, const std::string& target, const MockState& state) {
  HttpRequest req;
  req.method = "GET";
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = ParseQueryString(target.substr(q + 1));
  RestApi api(1795466932000);
  return api.HandleRead(req, cluster, state, 5000);
}

nlohmann::json ParseBody(const HttpResponse& r) {
  return nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

}  // namespace lnsim::mock::testing
