#include "sim/model.h"

#include <cctype>

namespace lnsim::sim {

std::string_view Name(NodeType v) {
  switch (v) {
    case NodeType::kSatellite:
      return "SATELLITE";
    case NodeType::kCombined:
      return "COMBINED";
    case NodeType::kController:
      return "CONTROLLER";
    case NodeType::kAuxiliary:
      return "AUXILIARY";
  }
  return "SATELLITE";
}

std::string_view Name(NodeConnection v) {
  switch (v) {
    case NodeConnection::kOnline:
      return "ONLINE";
    case NodeConnection::kOffline:
      return "OFFLINE";
    case NodeConnection::kConnected:
      return "CONNECTED";
    case NodeConnection::kUnknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string_view Name(ProviderKind v) {
  switch (v) {
    case ProviderKind::kDiskless:
      return "DISKLESS";
    case ProviderKind::kLvm:
      return "LVM";
    case ProviderKind::kLvmThin:
      return "LVM_THIN";
    case ProviderKind::kZfs:
      return "ZFS";
    case ProviderKind::kZfsThin:
      return "ZFS_THIN";
  }
  return "DISKLESS";
}

std::string_view Name(ReplicaKind v) {
  switch (v) {
    case ReplicaKind::kDiskful:
      return "diskful";
    case ReplicaKind::kDiskless:
      return "diskless";
    case ReplicaKind::kTieBreaker:
      return "tiebreaker";
  }
  return "diskful";
}

std::string_view Name(DiskState v) {
  switch (v) {
    case DiskState::kDiskless:
      return "Diskless";
    case DiskState::kAttaching:
      return "Attaching";
    case DiskState::kDetaching:
      return "Detaching";
    case DiskState::kFailed:
      return "Failed";
    case DiskState::kNegotiating:
      return "Negotiating";
    case DiskState::kInconsistent:
      return "Inconsistent";
    case DiskState::kOutdated:
      return "Outdated";
    case DiskState::kDUnknown:
      return "DUnknown";
    case DiskState::kConsistent:
      return "Consistent";
    case DiskState::kUpToDate:
      return "UpToDate";
  }
  return "DUnknown";
}

std::string_view Name(ConnState v) {
  switch (v) {
    case ConnState::kStandAlone:
      return "StandAlone";
    case ConnState::kDisconnecting:
      return "Disconnecting";
    case ConnState::kUnconnected:
      return "Unconnected";
    case ConnState::kTimeout:
      return "Timeout";
    case ConnState::kBrokenPipe:
      return "BrokenPipe";
    case ConnState::kNetworkFailure:
      return "NetworkFailure";
    case ConnState::kProtocolError:
      return "ProtocolError";
    case ConnState::kConnecting:
      return "Connecting";
    case ConnState::kTearDown:
      return "TearDown";
    case ConnState::kConnected:
      return "Connected";
  }
  return "StandAlone";
}

std::string_view Name(ReplState v) {
  switch (v) {
    case ReplState::kOff:
      return "Off";
    case ReplState::kEstablished:
      return "Established";
    case ReplState::kStartingSyncS:
      return "StartingSyncS";
    case ReplState::kStartingSyncT:
      return "StartingSyncT";
    case ReplState::kWFBitMapS:
      return "WFBitMapS";
    case ReplState::kWFBitMapT:
      return "WFBitMapT";
    case ReplState::kWFSyncUUID:
      return "WFSyncUUID";
    case ReplState::kSyncSource:
      return "SyncSource";
    case ReplState::kSyncTarget:
      return "SyncTarget";
    case ReplState::kPausedSyncS:
      return "PausedSyncS";
    case ReplState::kPausedSyncT:
      return "PausedSyncT";
    case ReplState::kVerifyS:
      return "VerifyS";
    case ReplState::kVerifyT:
      return "VerifyT";
    case ReplState::kAhead:
      return "Ahead";
    case ReplState::kBehind:
      return "Behind";
  }
  return "Off";
}

bool StoragePool::CanFit(Kib size_kib) const {
  if (diskless() || failed) return false;
  if (thin()) {
    const double limit = static_cast<double>(total_kib) * max_oversubscription;
    return static_cast<double>(provisioned_kib + size_kib) <= limit && allocated_kib < total_kib;
  }
  return provisioned_kib + size_kib <= total_kib;
}

std::string FoldName(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool NamesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

NodeIndex FindNode(const Cluster& cluster, std::string_view name) {
  for (NodeIndex n = 0; n < cluster.nodes.size(); ++n) {
    if (cluster.nodes[n].alive && NamesEqual(cluster.nodes[n].name, name)) return n;
  }
  return kNoIndex;
}

RdIndex FindResourceDefinition(const Cluster& cluster, std::string_view name) {
  for (RdIndex rd = 0; rd < cluster.rds.size(); ++rd) {
    if (cluster.rds[rd].alive && NamesEqual(cluster.rds[rd].name, name)) return rd;
  }
  return kNoIndex;
}

GroupIndex FindResourceGroup(const Cluster& cluster, std::string_view name) {
  for (GroupIndex g = 0; g < cluster.groups.size(); ++g) {
    if (NamesEqual(cluster.groups[g].name, name)) return g;
  }
  return kNoIndex;
}

PoolIndex FindPool(const Cluster& cluster, NodeIndex node, std::string_view pool_name) {
  if (node >= cluster.nodes.size() || !cluster.nodes[node].alive) return kNoIndex;
  for (PoolIndex p : cluster.nodes[node].pools) {
    if (p < cluster.pools.size() && NamesEqual(cluster.pools[p].name, pool_name)) return p;
  }
  return kNoIndex;
}

ReplicaIndex FindReplica(const Cluster& cluster, RdIndex rd, NodeIndex node) {
  if (rd >= cluster.rds.size() || node == kNoIndex) return kNoIndex;
  for (ReplicaIndex r : cluster.rds[rd].replicas) {
    if (r < cluster.replicas.size() && cluster.replicas[r].alive &&
        cluster.replicas[r].node == node) {
      return r;
    }
  }
  return kNoIndex;
}

uint32_t FindSnapshot(const Cluster& cluster, RdIndex rd, std::string_view name) {
  for (uint32_t s = 0; s < cluster.snapshots.size(); ++s) {
    const Snapshot& snap = cluster.snapshots[s];
    if (snap.alive && snap.rd == rd && NamesEqual(snap.name, name)) return s;
  }
  return kNoIndex;
}

uint32_t FindVolumeSlot(const ResourceDefinition& rd, uint32_t number) {
  for (uint32_t slot = 0; slot < rd.volumes.size(); ++slot) {
    if (rd.volumes[slot].number == number) return slot;
  }
  return kNoIndex;
}

}  // namespace lnsim::sim
