// Snapshots with LINSTOR's semantics (CtrlSnapshotCrtHelper, CtrlSnapshotDeleteApiCallHandler,
// CtrlSnapshotRestoreApiCallHandler, CtrlRscDfnDeleteApiCallHandler): create on every diskful
// online replica, delete, restore into a new resource definition. Space (docs/mock-linstor.md
// "Snapshots"): a snapshot shares its blocks with the origin, so it holds 0 KiB of its pool at
// creation; nothing is written afterwards in the world, so it stays 0. The ops only run when the
// API asks, and record no transitions of their own (a restore records what its RD, volume
// definitions and replicas record), so scenarios without snapshot calls trace as before.
#include "sim/internal/names.h"
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

namespace {

std::string SnapshotInline(const std::string& rd_name, std::string_view name) {
  return "snapshot '" + std::string(name) + "' of resource '" + rd_name + "'";
}

OpResult SnapshotNotFound(const std::string& rd_name, std::string_view name) {
  return Fail(rc::kNotFoundSnapshotDfn,
              "Snapshot '" + std::string(name) + "' of resource '" + rd_name + "' not found.",
              rd_name);
}

}  // namespace

uint32_t WorldImpl::FindSnapshot(RdIndex rd, std::string_view name) const {
  return sim::FindSnapshot(cluster_, rd, name);
}

OpResult WorldImpl::RefuseDeleteWithSnapshots(RdIndex rd, const std::string& rd_name) const {
  for (const Snapshot& snap : cluster_.snapshots) {
    if (snap.alive && snap.rd == rd) {
      return Fail(rc::kExistsSnapshotDfn,
                  "Cannot delete resource definition '" + rd_name + "' because it has snapshots.",
                  rd_name);
    }
  }
  return OpResult{};
}

OpResult WorldImpl::SnapshotTargets(RdIndex rd, const std::vector<std::string>& nodes,
                                    std::vector<ReplicaIndex>* targets) const {
  const ResourceDefinition& def = cluster_.rds[rd];
  for (ReplicaIndex r : def.replicas) {  // ensureDriversSupportSnapshots, every diskful replica
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful || cluster_.pools[x.pool].SupportsSnapshots()) continue;
    return Fail(rc::kSnapshotsNotSupported,
                "Storage driver '" + std::string(Name(cluster_.pools[x.pool].kind)) +
                    "' does not support snapshots.",
                def.name, cluster_.nodes[x.node].name);
  }
  OpResult res;
  for (const std::string& node_name : nodes) {
    const ReplicaIndex r = FindReplica(rd, FindNode(node_name));
    if (r == kNoIndex) {
      return Fail(rc::kNotFoundRsc,
                  "Resource '" + def.name + "' on node '" + node_name + "' not found.", def.name,
                  node_name);
    }
    if (cluster_.replicas[r].kind != ReplicaKind::kDiskful) {
      return Fail(rc::kSnapshotsNotSupported,
                  "Cannot create snapshot from diskless resource on node '" + node_name + "'",
                  def.name, node_name);
    }
    targets->push_back(r);
  }
  if (!nodes.empty()) return res;
  for (ReplicaIndex r : def.replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful) continue;
    if (cluster_.nodes[x.node].connection == NodeConnection::kOnline) {
      targets->push_back(r);
      continue;
    }
    res.messages.push_back(
        MakeMessage(Severity::kWarning, 0,  // a bare MASK_WARN entry, as warnNodeOffline builds it
                    "Snapshot for resource '" + def.name + "' will not be created on node '" +
                        cluster_.nodes[x.node].name + "' because that node is currently offline.",
                    def.name, cluster_.nodes[x.node].name));
  }
  if (targets->empty()) {
    return Fail(rc::kNotConnected, "No diskful connected satellite for snapshot or no resources.",
                def.name);
  }
  return res;
}

OpResult WorldImpl::CreateSnapshot(std::string_view rd_name, std::string_view name,
                                   const std::vector<std::string>& nodes) {
  OpScope scope(this, "api:create-snapshot");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  const std::string& rd_s = target.rd_name;
  if (std::string err = NameCheck(name, 2, 48, "_", "_-"); !err.empty()) {
    return Fail(rc::kInvalidSnapshotName,
                "Invalid snapshot name '" + std::string(name) + "': " + err, rd_s);
  }
  if (FindSnapshot(target.rd, name) != kNoIndex) {
    return Fail(rc::kExistsSnapshotDfn,
                "A snapshot definition with the name '" + std::string(name) +
                    "' already exists in resource definition '" + rd_s + "'.",
                rd_s);
  }
  std::vector<ReplicaIndex> targets;
  OpResult res = SnapshotTargets(target.rd, nodes, &targets);
  if (!res.ok()) return res;
  Snapshot snap;
  snap.name = std::string(name);
  snap.rd = target.rd;
  snap.create_time_ms = now_ / 1000000;
  for (ReplicaIndex r : targets) {
    snap.nodes.push_back(cluster_.replicas[r].node);
    snap.pools.push_back(cluster_.replicas[r].pool);
  }
  for (const VolumeDefinition& v : cluster_.rds[target.rd].volumes) {
    snap.volumes.push_back({v.number, v.size_kib});
  }
  cluster_.snapshots.push_back(std::move(snap));
  res.messages.insert(res.messages.begin(),
                      MakeMessage(Severity::kSuccess, rc::kCreated,
                                  "New " + SnapshotInline(rd_s, name) + " registered.", rd_s));
  return res;
}

OpResult WorldImpl::DeleteSnapshot(std::string_view rd_name, std::string_view name,
                                   const std::vector<std::string>& nodes) {
  OpScope scope(this, "api:delete-snapshot");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  const uint32_t s = FindSnapshot(target.rd, name);
  if (s == kNoIndex) return SnapshotNotFound(target.rd_name, name);
  Snapshot& snap = cluster_.snapshots[s];
  const std::string inline_name = SnapshotInline(target.rd_name, snap.name);
  for (size_t i = snap.nodes.size(); i-- > 0;) {
    bool drop = nodes.empty();
    for (const std::string& n : nodes) drop = drop || FindNode(n) == snap.nodes[i];
    if (!drop) continue;
    snap.nodes.erase(snap.nodes.begin() + static_cast<ptrdiff_t>(i));
    snap.pools.erase(snap.pools.begin() + static_cast<ptrdiff_t>(i));
  }
  if (snap.nodes.empty()) snap.alive = false;
  std::string message = inline_name + " deleted.";
  message[0] = 'S';
  return Succeed(rc::kDeleted, message, target.rd_name);
}

OpResult WorldImpl::RestoreSnapshot(std::string_view rd_name, std::string_view name,
                                    std::string_view to_rd, const std::vector<std::string>& nodes,
                                    bool definitions_only) {
  OpScope scope(this, "api:restore-snapshot");
  const Resolved source = Resolve(rd_name, "", Require::kResourceDefinition);
  if (source.failure) return *source.failure;
  const uint32_t s = FindSnapshot(source.rd, name);
  if (s == kNoIndex) return SnapshotNotFound(source.rd_name, name);
  const Resolved dest = Resolve(to_rd, "", Require::kResourceDefinition);
  if (dest.failure) return *dest.failure;
  if (!cluster_.rds[dest.rd].replicas.empty()) {
    return Fail(rc::kExistsRsc,
                "Cannot restore to resource definition '" + dest.rd_name +
                    "' because it already has resources.",
                dest.rd_name);
  }
  const bool has_volumes = !cluster_.rds[dest.rd].volumes.empty();
  if (has_volumes && definitions_only) {
    return Fail(rc::kExistsVlmDfn,
                "Resource definition '" + dest.rd_name + "' already has volume definitions.",
                dest.rd_name);
  }
  const Snapshot snap = cluster_.snapshots[s];  // copy: the ops below may grow the vector
  OpResult res;
  for (const SnapshotVolume& v : has_volumes ? std::vector<SnapshotVolume>{} : snap.volumes) {
    OpResult vd = CreateVolumeDefinition(dest.rd_name, v.size_kib, v.number, nullptr);
    if (!vd.ok()) return vd;
  }
  for (size_t i = 0; i < snap.nodes.size() && !definitions_only; ++i) {
    const std::string& node_name = cluster_.nodes[snap.nodes[i]].name;
    bool wanted = nodes.empty();
    for (const std::string& n : nodes) wanted = wanted || NamesEqual(n, node_name);
    if (!wanted) continue;
    OpResult made = CreateReplica(dest.rd_name, node_name, ReplicaKind::kDiskful,
                                  cluster_.pools[snap.pools[i]].name);
    if (!made.ok()) return made;
    for (OpMessage& m : made.messages) {
      if (m.severity == Severity::kWarning) res.messages.push_back(std::move(m));
    }
  }
  res.messages.insert(res.messages.begin(),
                      MakeMessage(Severity::kSuccess, rc::kCreated,
                                  "Restored " + SnapshotInline(source.rd_name, snap.name) +
                                      " to resource '" + dest.rd_name + "'.",
                                  dest.rd_name));
  return res;
}

}  // namespace lnsim::sim::internal
