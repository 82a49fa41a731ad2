// The LINSTOR API operations with LINSTOR's answers: create/delete node, storage pool, resource
// group, resource and volume definitions, replicas; resize, make-available, toggle-disk,
// attach/detach and spawn, and the scheduled follow-ups of resize and toggle-disk. Each resolves
// the names it is given with Resolve(), then changes the model through the recorders.
#include "sim/internal/names.h"
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

using std::chrono::milliseconds;
using std::chrono::seconds;

OpMessage MakeMessage(Severity severity, int code, std::string message, std::string rd,
                      std::string node) {
  OpMessage m;
  m.severity = severity;
  m.code = code;
  m.message = std::move(message);
  m.rd = std::move(rd);
  m.node = std::move(node);
  return m;
}

OpResult Fail(int code, std::string message, std::string rd, std::string node) {
  OpResult r;
  r.messages.push_back(
      MakeMessage(Severity::kError, code, std::move(message), std::move(rd), std::move(node)));
  return r;
}

OpResult Succeed(int code, std::string message, std::string rd, std::string node) {
  OpResult r;
  r.messages.push_back(
      MakeMessage(Severity::kSuccess, code, std::move(message), std::move(rd), std::move(node)));
  return r;
}

namespace {

OpMessage SatelliteNotConnected(const std::string& node_name, const std::string& rd_name,
                                const std::string& consequence = "") {
  return MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                     "No active connection to satellite '" + node_name + "'" + consequence, rd_name,
                     node_name);
}

OpResult VolumeDefinitionNotFound(uint32_t number, const std::string& rd_name) {
  return Fail(rc::kNotFoundVlmDfn,
              "Volume definition " + std::to_string(number) + " of '" + rd_name + "' not found.",
              rd_name);
}

OpResult ResourceGroupNotFound(std::string_view group, std::string rd_name = "") {
  return Fail(rc::kNotFoundRscGrp, "Resource group '" + std::string(group) + "' not found.",
              std::move(rd_name));
}

}  // namespace

// --- Name resolution ----------------------------------------------------------------------------

WorldImpl::Resolved WorldImpl::Resolve(std::string_view rd_name, std::string_view node_name,
                                       Require require) const {
  Resolved out;
  out.rd_name = std::string(rd_name);
  out.node_name = std::string(node_name);
  if (require != Require::kNode) {
    out.rd = FindResourceDefinition(rd_name);
    if (out.rd == kNoIndex) {
      out.failure = Fail(rc::kNotFoundRscDfn,
                         "Resource definition '" + out.rd_name + "' not found.", out.rd_name);
      return out;
    }
    if (require == Require::kResourceDefinition) return out;
  }
  out.node = FindNode(node_name);
  if (out.node == kNoIndex) {
    out.failure = Fail(rc::kNotFoundNode, "Node '" + out.node_name + "' not found.", out.rd_name,
                       out.node_name);
    return out;
  }
  if (require == Require::kNode) return out;
  out.replica = FindReplica(out.rd, out.node);
  if (out.replica == kNoIndex && require == Require::kReplica) {
    out.failure = Fail(rc::kNotFoundRsc,
                       "Resource '" + out.rd_name + "' on '" + out.node_name + "' not found.",
                       out.rd_name, out.node_name);
  }
  return out;
}

void WorldImpl::WarnOfflineReplicas(RdIndex rd, const std::string& rd_name, OpResult* res) const {
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    const NodeIndex n = cluster_.replicas[r].node;
    if (!Online(n)) res->messages.push_back(SatelliteNotConnected(cluster_.nodes[n].name, rd_name));
  }
}

// --- Nodes, pools, groups -----------------------------------------------------------------------

OpResult WorldImpl::CreateNode(std::string_view name, NodeType type, std::string_view ipv4) {
  OpScope scope(this, "api:create-node");
  const std::string name_s(name);
  if (std::string err = HostNameCheck(name); !err.empty()) {
    return Fail(rc::kInvalidName, "Invalid node name '" + name_s + "': " + err, "", name_s);
  }
  if (FindNode(name) != kNoIndex) {
    return Fail(rc::kExistsNode, "Node '" + name_s + "' already exists.", "", name_s);
  }
  uint32_t ip = 0;
  if (!ParseIpv4(ipv4, &ip)) {
    return Fail(rc::kInvalidNetAddr, "Invalid IP address '" + std::string(ipv4) + "'", "", name_s);
  }
  const NodeIndex n = static_cast<NodeIndex>(cluster_.nodes.size());
  Node node;
  node.name = name_s;
  node.type = type;
  node.ipv4 = ip;
  cluster_.nodes.push_back(std::move(node));
  node_data_.emplace_back();
  node_by_name_.emplace(FoldName(name), n);
  Record(NodeRef(n), Attribute::kExists, kAbsent, 1);
  Record(NodeRef(n), Attribute::kConnection, kAbsent,
         static_cast<int64_t>(NodeConnection::kOnline));
  StoragePool p;
  p.name = "DfltDisklessStorPool";
  p.node = n;
  p.kind = ProviderKind::kDiskless;
  cluster_.nodes[n].pools.push_back(static_cast<PoolIndex>(cluster_.pools.size()));
  Record({EntityKind::kPool, static_cast<uint32_t>(cluster_.pools.size())}, Attribute::kExists,
         kAbsent, 1);
  cluster_.pools.push_back(std::move(p));
  return Succeed(rc::kCreated, "New node '" + name_s + "' registered.", "", name_s);
}

OpResult WorldImpl::DeleteNode(std::string_view name) {
  OpScope scope(this, "api:delete-node");
  const Resolved target = Resolve("", name, Require::kNode);
  if (target.failure) return *target.failure;
  const NodeIndex n = target.node;
  const std::string& name_s = target.node_name;
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    if (cluster_.replicas[r].in_use) {
      return Fail(rc::kInUse, "Node '" + name_s + "' has resources in use.",
                  cluster_.rds[cluster_.replicas[r].rd].name, name_s);
    }
  }
  const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
  for (ReplicaIndex r : replicas) RemoveReplica(r);
  PutNodeFlags(n, cluster_.nodes[n].flags | kNodeDelete);
  Record(NodeRef(n), Attribute::kExists, 1, 0);
  cluster_.nodes[n].alive = false;
  node_by_name_.erase(FoldName(name));
  return Succeed(rc::kDeleted, "Node '" + name_s + "' deleted.", "", name_s);
}

OpResult WorldImpl::CreateStoragePool(std::string_view node, std::string_view pool,
                                      ProviderKind kind, Kib total_kib) {
  OpScope scope(this, "api:create-storage-pool");
  const std::string pool_s(pool), node_s(node);
  if (std::string err = NameCheck(pool, 3, 48, "_", "_-"); !err.empty()) {
    return Fail(rc::kInvalidStorPoolName, "Invalid storage pool name '" + pool_s + "': " + err, "",
                node_s);
  }
  const Resolved target = Resolve("", node, Require::kNode);
  if (target.failure) return *target.failure;
  const NodeIndex n = target.node;
  if (FindPool(n, pool) != kNoIndex) {
    return Fail(rc::kExistsStorPool,
                "Storage pool '" + pool_s + "' on node '" + node_s + "' already exists.", "",
                node_s);
  }
  const PoolIndex p = static_cast<PoolIndex>(cluster_.pools.size());
  StoragePool sp;
  sp.name = pool_s;
  sp.node = n;
  sp.kind = kind;
  sp.total_kib = kind == ProviderKind::kDiskless ? 0 : total_kib;
  sp.max_oversubscription = sp.thin() ? spec_.cluster.max_oversubscription : 1.0;
  cluster_.pools.push_back(std::move(sp));
  cluster_.nodes[n].pools.push_back(p);
  Record({EntityKind::kPool, p}, Attribute::kExists, kAbsent, 1);
  Record({EntityKind::kPool, p}, Attribute::kTotalKib, kAbsent, static_cast<int64_t>(total_kib));
  Record({EntityKind::kPool, p}, Attribute::kFreeKib, kAbsent, static_cast<int64_t>(total_kib));
  return Succeed(rc::kCreated,
                 "Successfully created storage pool '" + pool_s + "' on node '" + node_s + "'.", "",
                 node_s);
}

OpResult WorldImpl::CreateResourceGroup(std::string_view name, int place_count,
                                        std::vector<std::string> pool_names) {
  OpScope scope(this, "api:create-resource-group");
  const std::string name_s(name);
  if (std::string err = NameCheck(name, 2, 48, "_", "_-"); !err.empty()) {
    return Fail(rc::kInvalidRscGrpName, "Invalid resource group name '" + name_s + "': " + err);
  }
  if (FindResourceGroup(name) != kNoIndex) {
    return Fail(rc::kExistsRscGrp, "Resource group '" + name_s + "' already exists.");
  }
  if (place_count < 0 || place_count > 32) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(place_count));
  }
  ResourceGroup g;
  g.name = name_s;
  g.place_count = place_count == 0 ? 2 : place_count;
  g.pool_names = std::move(pool_names);
  group_by_name_.emplace(FoldName(name), static_cast<GroupIndex>(cluster_.groups.size()));
  cluster_.groups.push_back(std::move(g));
  return Succeed(rc::kCreated, "New resource group '" + name_s + "' created.");
}

OpResult WorldImpl::ModifyResourceGroup(std::string_view name, std::optional<int> place_count,
                                        std::optional<std::vector<std::string>> pool_names) {
  OpScope scope(this, "api:modify-resource-group");
  const GroupIndex g = FindResourceGroup(name);
  if (g == kNoIndex) return ResourceGroupNotFound(name);
  if (place_count && (*place_count < 1 || *place_count > 32)) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(*place_count));
  }
  if (place_count) cluster_.groups[g].place_count = *place_count;
  if (pool_names) cluster_.groups[g].pool_names = std::move(*pool_names);
  return Succeed(rc::kModified, "Resource group '" + std::string(name) + "' modified.");
}

OpResult WorldImpl::DeleteResourceGroup(std::string_view name) {
  OpScope scope(this, "api:delete-resource-group");
  const std::string name_s(name);
  const GroupIndex g = FindResourceGroup(name);
  if (g == kNoIndex) {
    OpResult result;
    result.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnNotFound,
                                          "Resource group '" + name_s + "' not found.", "", ""));
    return result;
  }
  if (g == 0) {  // the world puts RDs created without a group there (deviation, docs)
    return Fail(rc::kInUse, "The default resource group '" + name_s + "' cannot be deleted.");
  }
  for (const ResourceDefinition& rd : cluster_.rds) {
    if (rd.alive && rd.group == g) {
      return Fail(rc::kExistsRscDfn, "Cannot delete resource group '" + cluster_.groups[g].name +
                                         "' because it has existing resource definitions.");
    }
  }
  const std::string shown = cluster_.groups[g].name;
  cluster_.groups.erase(cluster_.groups.begin() + g);
  for (ResourceDefinition& rd : cluster_.rds) {  // dead RDs of the group fall back to the default
    if (rd.group == g) rd.group = 0;
    if (rd.group > g) --rd.group;
  }
  group_by_name_.clear();
  for (GroupIndex i = 0; i < cluster_.groups.size(); ++i) {
    group_by_name_.emplace(FoldName(cluster_.groups[i].name), i);
  }
  return Succeed(rc::kDeleted, "Resource group '" + shown + "' deleted.");
}

// --- Resource and volume definitions ------------------------------------------------------------

OpResult WorldImpl::CreateResourceDefinition(std::string_view name, std::string_view group) {
  OpScope scope(this, "api:create-resource-definition");
  const std::string name_s(name);
  std::string err = NameCheck(name, 2, 48, "_", "_-");
  if (err.empty() && (FoldName(name) == "all" || FoldName(name) == "proxy")) {
    err = "The specified name '" + name_s +
          "' cannot be used because it matches a keyword reserved for DRBD.";
  }
  if (!err.empty()) {
    return Fail(rc::kInvalidRscName, "Invalid resource definition name '" + name_s + "': " + err,
                name_s);
  }
  if (FindResourceDefinition(name) != kNoIndex) {
    return Fail(rc::kExistsRscDfn, "Resource definition '" + name_s + "' already exists.", name_s);
  }
  const GroupIndex g = group.empty() ? 0 : FindResourceGroup(group);
  if (g == kNoIndex) return ResourceGroupNotFound(group, name_s);
  AddResourceDefinition(name_s, g);
  return Succeed(rc::kCreated, "New resource definition '" + name_s + "' created.", name_s);
}

OpResult WorldImpl::DeleteResourceDefinition(std::string_view name) {
  OpScope scope(this, "api:delete-resource-definition");
  const Resolved target = Resolve(name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  const RdIndex rd = target.rd;
  const std::string& name_s = target.rd_name;
  if (OpResult refused = RefuseDeleteWithSnapshots(rd, name_s); !refused.ok()) return refused;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use) {
      return Fail(rc::kInUse,
                  "Resource '" + name_s + "' is still in use on node '" +
                      cluster_.nodes[cluster_.replicas[r].node].name + "'.",
                  name_s, cluster_.nodes[cluster_.replicas[r].node].name);
    }
  }
  OpResult res;
  cluster_.rds[rd].flags |= 1u;  // DELETE
  WarnOfflineReplicas(rd, name_s, &res);
  const std::vector<ReplicaIndex> replicas = cluster_.rds[rd].replicas;
  for (ReplicaIndex r : replicas) RequestReplicaDelete(r);
  RemoveResourceDefinitionIfDone(rd);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kDeleted,
                                     "Resource definition '" + name_s + "' deleted.", name_s));
  return res;
}

OpResult WorldImpl::CreateVolumeDefinition(std::string_view rd_name, Kib size_kib,
                                           std::optional<uint32_t> number, uint32_t* number_out) {
  OpScope scope(this, "api:create-volume-definition");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  const RdIndex rd = target.rd;
  const std::string& name_s = target.rd_name;
  if (size_kib == 0 || size_kib > (Kib{1} << 42)) {
    return Fail(rc::kInvalidVolumeSize, "Invalid volume size " + std::to_string(size_kib), name_s);
  }
  ResourceDefinition& def = cluster_.rds[rd];
  uint32_t nr = 0;
  if (number) {
    nr = *number;
    for (const auto& v : def.volumes) {
      if (v.number == nr) {
        return Fail(
            rc::kExistsVlmDfn,
            "Volume definition " + std::to_string(nr) + " of '" + name_s + "' already exists.",
            name_s);
      }
    }
  } else {
    for (bool taken = true; taken; ++nr) {
      taken = false;
      for (const auto& v : def.volumes) taken = taken || v.number == nr;
      if (!taken) break;
    }
  }
  if (OpResult fits = CheckPoolsFit(rd, size_kib, name_s, ""); !fits.ok()) return fits;
  AddVolume(rd, nr, size_kib, false);
  if (number_out) *number_out = nr;
  OpResult res;
  WarnOfflineReplicas(rd, name_s, &res);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "New volume definition with number '" + std::to_string(nr) +
                                         "' of resource definition '" + name_s + "' created.",
                                     name_s));
  return res;
}

OpResult WorldImpl::DeleteVolumeDefinition(std::string_view rd_name, uint32_t number) {
  OpScope scope(this, "api:delete-volume-definition");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  const RdIndex rd = target.rd;
  const std::string& name_s = target.rd_name;
  ResourceDefinition& def = cluster_.rds[rd];
  const size_t vi = VolumeSlot(rd, number);
  if (vi == def.volumes.size()) return VolumeDefinitionNotFound(number, name_s);
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    if (x.kind == ReplicaKind::kDiskful) {
      ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
                 -static_cast<int64_t>(def.volumes[vi].size_kib));
    }
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, 1, 0);
    x.volumes.erase(x.volumes.begin() + vi);
  }
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kExists, 1, 0);
  def.volumes.erase(def.volumes.begin() + vi);
  return Succeed(rc::kDeleted,
                 "Volume definition with number '" + std::to_string(number) +
                     "' of resource definition '" + name_s + "' deleted.",
                 name_s);
}

OpResult WorldImpl::ResizeVolumeDefinition(std::string_view rd_name, uint32_t number,
                                           Kib size_kib) {
  OpScope scope(this, "api:resize-volume-definition");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  return ResizeIndex(target.rd, number, size_kib);
}

OpResult WorldImpl::ResizeIndex(RdIndex rd, uint32_t number, Kib size_kib) {
  ResourceDefinition& def = cluster_.rds[rd];
  const std::string& name = def.name;
  const size_t vi = VolumeSlot(rd, number);
  if (vi == def.volumes.size()) return VolumeDefinitionNotFound(number, name);
  const Kib old_size = def.volumes[vi].size_kib;
  if (size_kib == old_size) {
    OpResult res;
    res.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnResizeSameSize,
                                       "Volume definition already has the requested size.", name));
    return res;
  }
  if (size_kib < old_size || size_kib > (Kib{1} << 42)) {
    return Fail(
        rc::kInvalidVolumeSize,
        "Invalid volume size " + std::to_string(size_kib) + " (shrinking is not supported here).",
        name);
  }
  const Kib delta = size_kib - old_size;
  if (OpResult checked = CheckCanGrow(rd, vi, delta); !checked.ok()) return checked;
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kSizeKib,
         static_cast<int64_t>(old_size), static_cast<int64_t>(size_kib));
  def.volumes[vi].size_kib = size_kib;
  PutVolumeDefinitionFlags(rd, vi, def.volumes[vi].flags | kVolumeResize);
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    PutVolumeFlags(r, vi, x.volumes[vi].flags | kVolumeResize);
    if (x.kind == ReplicaKind::kDiskful) {
      const bool thin = cluster_.pools[x.pool].thin();
      if (!thin) x.volumes[vi].allocated_kib += delta;
      ChangePool(x.pool, thin ? 0 : static_cast<int64_t>(delta), static_cast<int64_t>(delta));
    }
  }
  Schedule(Scaled(seconds(1)), kEventResizeStep, rd, number, 0);
  return Succeed(rc::kModified,
                 "Volume definition with number '" + std::to_string(number) +
                     "' of resource definition '" + name + "' modified.",
                 name);
}

OpResult WorldImpl::CheckCanGrow(RdIndex rd, size_t vi, Kib delta) const {
  const ResourceDefinition& def = cluster_.rds[rd];
  const std::string& name = def.name;
  for (ReplicaIndex r : def.replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful) continue;
    // An offline node's state is unknown, which does not count as UpToDate.
    if (!Online(x.node) || x.volumes[vi].disk != DiskState::kUpToDate) {
      return Fail(rc::kNotAllUpToDate,
                  "Cannot resize volume, because we have a non-UpToDate DRBD device.", name,
                  cluster_.nodes[x.node].name);
    }
  }
  return CheckPoolsFit(rd, delta, name, " to grow the volume");
}

OpResult WorldImpl::CheckPoolsFit(RdIndex rd, Kib size_kib, const std::string& rd_name,
                                  const std::string& purpose) const {
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind == ReplicaKind::kDiskful && !cluster_.pools[x.pool].CanFit(size_kib)) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "Not enough free space in storage pool '" + cluster_.pools[x.pool].name +
                      "' on node '" + cluster_.nodes[x.node].name + "'" + purpose + ".",
                  rd_name, cluster_.nodes[x.node].name);
    }
  }
  return OpResult{};
}

// --- Replicas -----------------------------------------------------------------------------------

OpResult WorldImpl::CreateReplica(std::string_view rd_name, std::string_view node_name,
                                  ReplicaKind kind, std::string_view pool_name) {
  OpScope scope(this, "api:create-resource");
  const Resolved target = Resolve(rd_name, node_name, Require::kResourceDefinitionAndNode);
  if (target.failure) return *target.failure;
  const RdIndex rd = target.rd;
  const NodeIndex n = target.node;
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  if (target.replica != kNoIndex) {
    return Fail(rc::kExistsRsc, "Resource '" + rd_s + "' on node '" + node_s + "' already exists.",
                rd_s, node_s);
  }
  PoolIndex pool = kNoIndex;
  if (kind == ReplicaKind::kDiskful) {
    const Kib size = TotalSize(rd);
    if (OpResult chosen = ChooseDiskfulPool(rd, n, pool_name, size, rd_s, node_s, &pool);
        !chosen.ok()) {
      return chosen;
    }
  }
  bool fresh = !rd_has_data_[rd];
  AddReplica(rd, n, pool, kind, fresh);
  OpResult res;
  if (!Online(n)) res.messages.push_back(SatelliteNotConnected(node_s, rd_s));
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "Created resource '" + rd_s + "' on '" + node_s + "'", rd_s,
                                     node_s));
  return res;
}

OpResult WorldImpl::DeleteReplica(std::string_view rd_name, std::string_view node_name) {
  OpScope scope(this, "api:delete-resource");
  const Resolved target = Resolve(rd_name, node_name, Require::kReplica);
  if (target.failure) return *target.failure;
  const NodeIndex n = target.node;
  const ReplicaIndex r = target.replica;
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  if (cluster_.replicas[r].in_use && Online(n)) {
    return Fail(rc::kInUse, "Resource '" + rd_s + "' is in use on node '" + node_s + "'.", rd_s,
                node_s);
  }
  OpResult res;
  if (!Online(n)) {
    res.messages.push_back(
        SatelliteNotConnected(node_s, rd_s, "; the resource is deleted when it returns"));
  }
  RequestReplicaDelete(r);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kDeleted,
                                     "Resource '" + rd_s + "' on '" + node_s + "' deleted.", rd_s,
                                     node_s));
  return res;
}

OpResult WorldImpl::MakeAvailable(std::string_view rd_name, std::string_view node_name,
                                  bool diskful) {
  OpScope scope(this, "api:make-available");
  const Resolved target = Resolve(rd_name, node_name, Require::kResourceDefinitionAndNode);
  if (target.failure) return *target.failure;
  const ReplicaIndex r = target.replica;
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  if (r != kNoIndex) {
    if (cluster_.replicas[r].kind == ReplicaKind::kTieBreaker) {
      // The tiebreaker becomes a regular diskless client.
      PutKind(r, ReplicaKind::kDiskless);
    } else if (diskful && cluster_.replicas[r].kind != ReplicaKind::kDiskful) {
      return ToggleDisk(rd_name, node_name, true, "");
    }
    return Succeed(rc::kModified, "Resource '" + rd_s + "' is available on '" + node_s + "'", rd_s,
                   node_s);
  }
  if (diskful) {
    OpResult created = CreateReplica(rd_name, node_name, ReplicaKind::kDiskful, "");
    if (created.ok()) return created;
  }
  return CreateReplica(rd_name, node_name, ReplicaKind::kDiskless, "");
}

OpResult WorldImpl::ToggleDisk(std::string_view rd_name, std::string_view node_name,
                               bool to_diskful, std::string_view pool_name) {
  OpScope scope(this, "api:toggle-disk");
  const Resolved target = Resolve(rd_name, node_name, Require::kReplica);
  if (target.failure) return *target.failure;
  const Replica& x = cluster_.replicas[target.replica];
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  if (!Online(target.node)) {
    // LINSTOR-API.md 6.6: toggle-disk on a lost node does not start; only the warning.
    OpResult res;
    res.messages.push_back(SatelliteNotConnected(node_s, rd_s));
    return res;
  }
  if (x.flags & (kReplicaDiskAddRequested | kReplicaDiskAdding | kReplicaDiskRemoveRequested |
                 kReplicaDiskRemoving)) {
    return Fail(rc::kRscBusy,
                "Resource '" + rd_s + "' on '" + node_s + "' is already toggling its disk.", rd_s,
                node_s);
  }
  if (to_diskful == (x.kind == ReplicaKind::kDiskful)) {
    return Succeed(
        rc::kModified,
        "Resource '" + rd_s + "' on '" + node_s + "' already has the requested disk state.", rd_s,
        node_s);
  }
  return StartToggleDisk(target, to_diskful, pool_name);
}

// Toggle-disk past its checks: a new disk takes its space in the pool at once, then the
// *_REQUESTED flag starts the steps of OnToggleStep.
OpResult WorldImpl::StartToggleDisk(const Resolved& target, bool to_diskful,
                                    std::string_view pool_name) {
  const RdIndex rd = target.rd;
  const ReplicaIndex r = target.replica;
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  Replica& x = cluster_.replicas[r];
  if (to_diskful) {
    PoolIndex pool;
    if (OpResult chosen =
            ChooseDiskfulPool(rd, target.node, pool_name, TotalSize(rd), rd_s, node_s, &pool);
        !chosen.ok()) {
      return chosen;
    }
    if (x.kind == ReplicaKind::kTieBreaker) PutKind(r, ReplicaKind::kDiskless);
    x.pool = pool;
    for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
      const Kib vsize = cluster_.rds[rd].volumes[vi].size_kib;
      const Kib alloc = cluster_.pools[pool].thin() ? 0 : vsize;
      x.volumes[vi].allocated_kib = alloc;
      ChangePool(pool, static_cast<int64_t>(alloc), static_cast<int64_t>(vsize));
    }
    PutReplicaFlags(r, x.flags | kReplicaDiskAddRequested);
  } else {
    // Allowed on a Primary in DRBD 9 (reads go to peers); nothing special here.
    PutReplicaFlags(r, x.flags | kReplicaDiskRemoveRequested);
  }
  Schedule(Scaled(milliseconds(500)), kEventToggleStep, r, 0, 0);
  return Succeed(rc::kModified, "Toggling disk of resource '" + rd_s + "' on '" + node_s + "'",
                 rd_s, node_s);
}

OpResult WorldImpl::SetInUse(std::string_view rd_name, std::string_view node_name, bool in_use) {
  OpScope scope(this, in_use ? "api:attach" : "api:detach");
  const Resolved target = Resolve(rd_name, node_name, Require::kReplica);
  if (target.failure) return *target.failure;
  const RdIndex rd = target.rd;
  const ReplicaIndex r = target.replica;
  const std::string &rd_s = target.rd_name, &node_s = target.node_name;
  if (!Running(r)) {
    return Fail(rc::kNotConnected, "Node '" + node_s + "' is not running the resource.", rd_s,
                node_s);
  }
  const Replica& x = cluster_.replicas[r];
  if (x.in_use == in_use) {
    return Succeed(rc::kModified,
                   std::string("Resource '") + rd_s + "' already " +
                       (in_use ? "in use" : "not in use") + " on '" + node_s + "'",
                   rd_s, node_s);
  }
  if (!in_use) {
    PutInUse(r, false);
    Settle(rd);
    return Succeed(rc::kModified, "Resource '" + rd_s + "' demoted on '" + node_s + "'", rd_s,
                   node_s);
  }
  if (const ReplicaIndex q = ReachablePrimary(r); q != kNoIndex) {
    return Fail(rc::kInUse,
                "Resource '" + rd_s + "' is in use on node '" +
                    cluster_.nodes[cluster_.replicas[q].node].name + "'.",
                rd_s, node_s);
  }
  if (!x.quorum) {
    return Fail(rc::kNotConnected, "Resource '" + rd_s + "' has no quorum on '" + node_s + "'.",
                rd_s, node_s);
  }
  if (!x.may_promote) {
    return Fail(rc::kNotAllUpToDate,
                "Resource '" + rd_s + "' has no access to UpToDate data on '" + node_s + "'.", rd_s,
                node_s);
  }
  Promote(r);
  return Succeed(rc::kModified, "Resource '" + rd_s + "' promoted on '" + node_s + "'", rd_s,
                 node_s);
}

OpResult WorldImpl::Spawn(std::string_view group, std::string_view rd_name,
                          const std::vector<Kib>& sizes, bool definitions_only) {
  OpScope scope(this, "api:spawn");
  const GroupIndex g = FindResourceGroup(group);
  if (g == kNoIndex) return ResourceGroupNotFound(group);
  OpResult res;
  if (cluster_.groups[g].volume_group_sizes.empty()) {
    res.messages.push_back(
        MakeMessage(Severity::kInfo, 0,
                    "Resource-group doesn't have any volume-groups, automatically "
                    "assume partial mode."));
  } else if (sizes.size() != cluster_.groups[g].volume_group_sizes.size()) {
    return Fail(rc::kInvalidVolumeSizes, "The number of volume sizes (" +
                                             std::to_string(sizes.size()) +
                                             ") does not match the volume groups.");
  }
  for (Kib s : sizes) {
    if (s == 0) return Fail(rc::kInvalidVolumeSize, "Invalid volume size 0", std::string(rd_name));
  }
  OpResult created = CreateResourceDefinition(rd_name, cluster_.groups[g].name);
  if (!created.ok()) return created;
  for (auto& m : created.messages) res.messages.push_back(std::move(m));
  const RdIndex rd = FindResourceDefinition(rd_name);
  for (size_t i = 0; i < sizes.size(); ++i) {
    AddVolume(rd, static_cast<uint32_t>(i), sizes[i], false);
  }
  if (definitions_only) return res;
  OpResult placed = AutoPlaceIndex(rd, AutoPlaceRequest{});
  for (auto& m : placed.messages) res.messages.push_back(std::move(m));
  return res;
}

// --- Follow-ups of resize and toggle-disk -------------------------------------------------------

// Resize: step 0 the satellites grow the backing volumes (DRBD_RESIZE), step 1 DRBD is done.
void WorldImpl::OnResizeStep(RdIndex rd, uint32_t number, uint16_t step) {
  if (!cluster_.rds[rd].alive) return;
  ResourceDefinition& def = cluster_.rds[rd];
  const size_t vi = VolumeSlot(rd, number);
  if (vi == def.volumes.size()) return;
  for (ReplicaIndex r : def.replicas) {
    const uint32_t flags = cluster_.replicas[r].volumes[vi].flags;
    if (step == 0) {
      PutVolumeFlags(r, vi, (flags & ~kVolumeResize) | kVolumeDrbdResize);
    } else {
      PutVolumeFlags(r, vi, flags & ~(kVolumeResize | kVolumeDrbdResize));
    }
  }
  if (step == 0) {
    Schedule(Scaled(seconds(1)), kEventResizeStep, rd, number, 1);
  } else {
    PutVolumeDefinitionFlags(rd, vi, def.volumes[vi].flags & ~kVolumeResize);
  }
}

// Toggle-disk: step 0 the request is taken up (*_REQUESTED -> *ING), step 1 it is done.
void WorldImpl::OnToggleStep(ReplicaIndex r, uint16_t step) {
  if (!cluster_.replicas[r].alive) return;
  Replica& x = cluster_.replicas[r];
  if (step == 0) {
    if (x.flags & kReplicaDiskAddRequested) {
      PutReplicaFlags(r, (x.flags & ~kReplicaDiskAddRequested) | kReplicaDiskAdding);
    } else if (x.flags & kReplicaDiskRemoveRequested) {
      PutReplicaFlags(r, (x.flags & ~kReplicaDiskRemoveRequested) | kReplicaDiskRemoving);
    }
    Schedule(Scaled(milliseconds(500)), kEventToggleStep, r, 0, 1);
  } else if (x.flags & kReplicaDiskAdding) {
    FinishDiskAdd(r);
  } else if (x.flags & kReplicaDiskRemoving) {
    FinishDiskRemove(r);
  }
}

void WorldImpl::FinishDiskAdd(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  PutReplicaFlags(r, x.flags & ~kReplicaDiskAdding);
  PutKind(r, ReplicaKind::kDiskful);
  PutDiskStateAll(r, DiskState::kAttaching);
  PutDiskStateAll(r, DiskState::kInconsistent);
  replica_data_[r].full_sync_kib = FullSyncKib(x.rd);
  replica_data_[r].uuid[0] = replica_data_[r].uuid[1] = replica_data_[r].uuid[2] = 0;
  // The new disk syncs from an UpToDate peer: reconnect to run the handshake.
  for (size_t k = 0; k < x.peers.size(); ++k) {
    const ReplicaIndex p = PeerReplica(r, k);
    if (p == kNoIndex || !Running(p) || x.peers[k].conn != ConnState::kConnected) continue;
    if (!UpToDate(p) || resyncs_.count(r)) continue;
    RequestResync(p, PeerSlot(p, r), r, static_cast<int>(k));
    break;
  }
  Settle(x.rd);
}

void WorldImpl::FinishDiskRemove(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  PutReplicaFlags(r, x.flags & ~kReplicaDiskRemoving);
  PutDiskStateAll(r, DiskState::kDetaching);
  PutDiskStateAll(r, DiskState::kDiskless);
  for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
    ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
               -static_cast<int64_t>(cluster_.rds[x.rd].volumes[vi].size_kib));
    x.volumes[vi].allocated_kib = 0;
  }
  x.pool = DisklessPool(x.node);
  PutKind(r, ReplicaKind::kDiskless);
  Settle(x.rd);
}

}  // namespace lnsim::sim::internal
