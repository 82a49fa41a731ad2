// Where replicas go: the best pool on a node, the pool a diskful replica of a resource uses, and
// LINSTOR's autoplacer (place count, pool and node lists, tiebreaker, diskless on the rest).
#include "sim/internal/world_impl.h"

namespace lnsim::sim::internal {

PoolIndex WorldImpl::BestPool(NodeIndex n, const std::vector<std::string>& names, Kib size) const {
  PoolIndex best = kNoIndex;
  for (PoolIndex p : cluster_.nodes[n].pools) {
    const StoragePool& x = cluster_.pools[p];
    if (x.diskless() || !x.CanFit(size)) continue;
    if (!names.empty()) {
      const std::string folded = FoldName(x.name);
      bool listed = false;
      for (const auto& nm : names) listed = listed || FoldName(nm) == folded;
      if (!listed) continue;
    }
    if (best == kNoIndex || PlacementScore(p) > PlacementScore(best)) best = p;
  }
  return best;
}

OpResult WorldImpl::ChooseDiskfulPool(RdIndex rd, NodeIndex n, std::string_view pool_name, Kib size,
                                      const std::string& rd_s, const std::string& node_s,
                                      PoolIndex* pool) const {
  if (!pool_name.empty()) {
    *pool = FindPool(n, pool_name);
    if (*pool == kNoIndex || cluster_.pools[*pool].diskless()) {
      return Fail(
          rc::kNotFoundStorPool,
          "Storage pool '" + std::string(pool_name) + "' not found on node '" + node_s + "'.", rd_s,
          node_s);
    }
    if (!cluster_.pools[*pool].CanFit(size)) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "Not enough free space in storage pool '" + cluster_.pools[*pool].name + "'.",
                  rd_s, node_s);
    }
  } else {
    *pool = BestPool(n, cluster_.groups[cluster_.rds[rd].group].pool_names, size);
    if (*pool == kNoIndex) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "No storage pool on node '" + node_s + "' can hold the resource.", rd_s, node_s);
    }
  }
  return OpResult{};
}

OpResult WorldImpl::AutoPlace(std::string_view rd_name, const AutoPlaceRequest& request) {
  OpScope scope(this, "api:autoplace");
  const Resolved target = Resolve(rd_name, "", Require::kResourceDefinition);
  if (target.failure) return *target.failure;
  return AutoPlaceIndex(target.rd, request);
}

OpResult WorldImpl::AutoPlaceIndex(RdIndex rd, const AutoPlaceRequest& request) {
  const std::string name = cluster_.rds[rd].name;
  const ResourceGroup& group = cluster_.groups[cluster_.rds[rd].group];
  int place_count = request.place_count > 0 ? request.place_count : group.place_count;
  if (place_count < 1 || place_count > 32) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(place_count), name);
  }
  int diskful = 0;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    diskful += cluster_.replicas[r].kind == ReplicaKind::kDiskful;
  }
  const int need =
      request.additional_place_count > 0 ? request.additional_place_count : place_count - diskful;
  OpResult res;
  if (need <= 0) {
    res.messages.push_back(MakeMessage(
        Severity::kInfo, rc::kCreated,
        "Resource '" + name + "' is already placed on " + std::to_string(diskful) + " nodes",
        name));
    return res;
  }
  const std::vector<std::string>& pools =
      request.storage_pool_list.empty() ? group.pool_names : request.storage_pool_list;
  const Kib size = TotalSize(rd);
  std::vector<std::pair<double, PoolIndex>> candidates =
      AutoPlaceCandidates(rd, request, pools, size);
  if (static_cast<int>(candidates.size()) < need) {
    OpResult fail = Fail(rc::kNotEnoughNodes, "Not enough available nodes", name);
    fail.messages.back().details = "Needed " + std::to_string(need) + " nodes with " +
                                   std::to_string(size) + " KiB free" +
                                   (pools.empty() ? "" : " in the listed storage pools") +
                                   ", found " + std::to_string(candidates.size()) + ".";
    return fail;
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  });
  candidates.resize(need);
  std::sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    return cluster_.pools[a.second].node < cluster_.pools[b.second].node;
  });
  const bool fresh = !rd_has_data_[rd];
  std::string used;
  for (const auto& [score, p] : candidates) {
    const NodeIndex n = cluster_.pools[p].node;
    AddReplica(rd, n, p, ReplicaKind::kDiskful, fresh);
    used += (used.empty() ? "'" : ", '") + cluster_.nodes[n].name + "' (" + cluster_.pools[p].name +
            ")";
  }
  res.messages.push_back(MakeMessage(
      Severity::kSuccess, rc::kCreated,
      "Resource '" + name + "' successfully autoplaced on " + std::to_string(need) + " nodes",
      name));
  res.messages.back().details = "Used nodes (storage pool name): " + used;
  for (const auto& [score, p] : candidates) {
    const std::string& nn = cluster_.nodes[cluster_.pools[p].node].name;
    res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                       "Created resource '" + name + "' on '" + nn + "'", name,
                                       nn));
  }
  AddDisklessAfterAutoPlace(rd, request, diskful + need, fresh, &res);
  return res;
}

std::vector<std::pair<double, PoolIndex>> WorldImpl::AutoPlaceCandidates(
    RdIndex rd, const AutoPlaceRequest& request, const std::vector<std::string>& pools,
    Kib size) const {
  std::vector<std::pair<double, PoolIndex>> candidates;
  for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
    if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
    if (!request.node_name_list.empty()) {
      bool listed = false;
      for (const auto& nm : request.node_name_list) listed = listed || FindNode(nm) == n;
      if (!listed) continue;
    }
    bool avoid = false;
    for (const auto& other : request.not_place_with_rsc) {
      const RdIndex o = FindResourceDefinition(other);
      avoid = avoid || (o != kNoIndex && FindReplica(o, n) != kNoIndex);
    }
    if (avoid) continue;
    const PoolIndex p = BestPool(n, pools, size);
    if (p != kNoIndex) candidates.push_back({PlacementScore(p), p});
  }
  return candidates;
}

void WorldImpl::AddDisklessAfterAutoPlace(RdIndex rd, const AutoPlaceRequest& request,
                                          int now_diskful, bool fresh, OpResult* res) {
  const std::string& name = cluster_.rds[rd].name;
  bool has_diskless = false;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    has_diskless = has_diskless || cluster_.replicas[r].kind != ReplicaKind::kDiskful;
  }
  if (now_diskful == 2 && !has_diskless && spec_.cluster.tiebreaker) {
    for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
      if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
      AddReplica(rd, n, kNoIndex, ReplicaKind::kTieBreaker, fresh);
      res->messages.push_back(
          MakeMessage(Severity::kInfo, 10003,
                      "Tie breaker resource '" + name + "' created on " + cluster_.nodes[n].name,
                      name, cluster_.nodes[n].name));
      break;
    }
  }
  if (request.diskless_on_remaining) {
    for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
      if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
      AddReplica(rd, n, kNoIndex, ReplicaKind::kDiskless, fresh);
    }
  }
}

}  // namespace lnsim::sim::internal
