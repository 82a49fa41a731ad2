// Cluster -> LINSTOR JSON, one object at a time (see render.h). Field order and shapes follow
// the examples in LINSTOR-API.md 2.2-2.8; which keys disappear for an offline node follows 6.2.
#include "mock-linstor/internal/render.h"

#include <cstdio>

#include "common/rng.h"
#include "mock-linstor/api_rc.h"

namespace lnsim::mock::internal {
namespace {

using sim::Cluster;
using sim::FoldName;

constexpr int64_t kLongMax = 9223372036854775807LL;

std::string PropsKey(std::string_view prefix, std::string_view a, std::string_view b = {}) {
  std::string key(prefix);
  key += FoldName(a);
  if (!b.empty()) {
    key.push_back('/');
    key += FoldName(b);
  }
  return key;
}

}  // namespace

std::string VolumePropsKey(std::string_view rd, std::string_view node, uint32_t number) {
  return PropsKey("vlm:", rd, node) + "/" + std::to_string(number);
}

namespace {

bool HasOverrides(const MockState& state) {
  return !state.props.empty() || !state.deleted_props.empty();
}

void MergeOverrides(const MockState& state, const std::string& key,
                    std::map<std::string, std::string>* props) {
  auto del = state.deleted_props.find(key);
  if (del != state.deleted_props.end()) {
    for (const auto& [k, unused] : del->second) props->erase(k);
  }
  auto it = state.props.find(key);
  if (it != state.props.end()) {
    for (const auto& [k, v] : it->second) (*props)[k] = v;
  }
}

void WriteProps(JsonWriter& writer, const std::map<std::string, std::string>& props) {
  if (props.empty()) return;
  writer.Key("props");
  writer.BeginObject();
  for (const auto& [k, v] : props) writer.KeyStr(k, v);
  writer.EndObject();
}

std::string VgName(const sim::StoragePool& pool) { return "linstor_" + pool.name; }

std::string BackingDevice(const Cluster& cluster, const sim::Replica& r, uint32_t volume_number) {
  const sim::StoragePool& pool = cluster.pools[r.pool];
  char suffix[16] = "_00000";
  for (int i = 5; i >= 1 && volume_number > 0; --i) {
    suffix[i] = static_cast<char>('0' + volume_number % 10);
    volume_number /= 10;
  }
  const std::string& rd = cluster.rds[r.rd].name;
  switch (pool.kind) {
    case sim::ProviderKind::kZfs:
    case sim::ProviderKind::kZfsThin:
      return "/dev/zvol/" + VgName(pool) + "/" + rd + suffix;
    default:
      return "/dev/" + VgName(pool) + "/" + rd + suffix;
  }
}

// DRBD internal metadata for a volume of `size_kib` (rounded like drbdmeta: 4 KiB per 128 MiB
// of bitmap plus 4 KiB of superblock area), so storage volumes are a little larger.
sim::Kib MetadataKib(sim::Kib size_kib) { return ((size_kib + 131071) / 131072) * 4 + 4; }

std::string_view ReplicaUuidKey(const Cluster& cluster, sim::ReplicaIndex r, std::string* buf) {
  const sim::Replica& rep = cluster.replicas[r];
  *buf = std::to_string(r) + "/" + cluster.rds[rep.rd].name + "/" + cluster.nodes[rep.node].name;
  return *buf;
}

std::string DrbdSecret(std::string_view rd_name) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t h = Fnv1a64(rd_name, 0x5ec7e7ULL);
  std::string out;
  out.reserve(20);
  for (int i = 0; i < 20; ++i) {
    h = h * 6364136223846793005ULL + 1442695040888963407ULL;
    out.push_back(kAlphabet[(h >> 33) % 62]);
  }
  return out;
}

void WriteDrbdRdLayer(JsonWriter& writer, const sim::ResourceDefinition& rd) {
  writer.BeginObject();
  writer.KeyInt("peer_slots", 7);
  writer.KeyInt("al_stripes", 1);
  writer.KeyInt("al_stripe_size_kib", 32);
  writer.KeyInt("port", rd.port == 0 ? -1 : static_cast<int64_t>(rd.port));
  writer.KeyStr("transport_type", "IP");
  writer.KeyStr("secret", DrbdSecret(rd.name));
  writer.KeyBool("down", false);
  writer.EndObject();
}

void WriteDrbdVolume(JsonWriter& writer, const Cluster& cluster, const sim::Replica& r,
                     size_t slot) {
  const sim::VolumeDefinition& vd = cluster.rds[r.rd].volumes[slot];
  const bool diskful = r.kind == sim::ReplicaKind::kDiskful;
  writer.BeginObject();
  writer.Key("drbd_volume_definition");
  writer.BeginObject();
  writer.KeyUint("volume_number", vd.number);
  writer.KeyUint("minor_number", vd.minor);
  writer.EndObject();
  writer.KeyStr("device_path", "/dev/drbd" + std::to_string(vd.minor));
  if (diskful) writer.KeyStr("backing_device", BackingDevice(cluster, r, vd.number));
  writer.KeyStr("meta_disk", diskful ? "internal" : "none");
  // A diskless DRBD volume keeps its sizes too: the controller's DrbdVlmData starts at
  // allocatedSize -1, DrbdLayerSizeCalculator skips diskless volumes, and the usable size is the
  // volume definition's (set from above). python-linstor reads both keys by subscript.
  if (diskful) {
    writer.KeyUint("allocated_size_kib", vd.size_kib);
  } else {
    writer.KeyInt("allocated_size_kib", -1);
  }
  writer.KeyUint("usable_size_kib", vd.size_kib);
  writer.EndObject();
}

void WriteStorageVolume(JsonWriter& writer, const Cluster& cluster, const sim::Replica& r,
                        size_t slot) {
  const sim::VolumeDefinition& vd = cluster.rds[r.rd].volumes[slot];
  const sim::Kib gross = vd.size_kib + MetadataKib(vd.size_kib);
  const sim::VolumeReplica* vr = slot < r.volumes.size() ? &r.volumes[slot] : nullptr;
  writer.BeginObject();
  writer.KeyUint("volume_number", vd.number);
  writer.KeyStr("device_path", BackingDevice(cluster, r, vd.number));
  const bool thin = cluster.pools[r.pool].thin();
  writer.KeyUint("allocated_size_kib", thin && vr != nullptr ? vr->allocated_kib : gross);
  writer.KeyUint("usable_size_kib", gross);
  writer.KeyStr("disk_state", "[]");
  writer.EndObject();
}

}  // namespace

std::string DeterministicUuid(std::string_view kind, std::string_view key) {
  const uint64_t a = Fnv1a64(key, Fnv1a64(kind));
  const uint64_t b = Fnv1a64(key, a ^ 0x9e3779b97f4a7c15ULL);
  // 8-4-4-4-12 hex, version nibble 4, variant bits 10 (RFC 4122 layout).
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  auto put = [&](size_t pos, uint64_t v, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[pos + static_cast<size_t>(i)] = kHex[v & 15];
      v >>= 4;
    }
  };
  put(0, a >> 32, 8);
  put(9, (a >> 16) & 0xffff, 4);
  put(14, 0x4000 | (a & 0xfff), 4);
  put(19, 0x8000 | ((b >> 48) & 0x3fff), 4);
  put(24, b & 0xffffffffffffULL, 12);
  return out;
}

std::string FormatIpv4(uint32_t ipv4) {
  char buf[20];
  std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", (ipv4 >> 24) & 255, (ipv4 >> 16) & 255,
                (ipv4 >> 8) & 255, ipv4 & 255);
  return buf;
}

std::map<std::string, std::string> NodeProps(const RenderContext& context, sim::NodeIndex n) {
  const sim::Node& node = context.cluster.nodes[n];
  std::map<std::string, std::string> props{{"CurStltConnName", "default"},
                                           {"NodeUname", node.name}};
  MergeOverrides(context.state, PropsKey("node:", node.name), &props);
  return props;
}

std::map<std::string, std::string> PoolProps(const RenderContext& context, sim::PoolIndex p) {
  const sim::StoragePool& pool = context.cluster.pools[p];
  std::map<std::string, std::string> props;
  const std::string vg = VgName(pool);
  switch (pool.kind) {
    case sim::ProviderKind::kLvm:
      props = {{"StorDriver/LvmVg", vg}, {"StorDriver/StorPoolName", vg}};
      break;
    case sim::ProviderKind::kLvmThin:
      props = {{"StorDriver/LvmVg", vg},
               {"StorDriver/ThinPool", "thin"},
               {"StorDriver/StorPoolName", vg + "/thin"}};
      break;
    case sim::ProviderKind::kZfs:
      props = {{"StorDriver/ZPool", vg}, {"StorDriver/StorPoolName", vg}};
      break;
    case sim::ProviderKind::kZfsThin:
      props = {{"StorDriver/ZPoolThin", vg}, {"StorDriver/StorPoolName", vg}};
      break;
    case sim::ProviderKind::kDiskless:
      break;
  }
  MergeOverrides(context.state, PropsKey("pool:", context.cluster.nodes[pool.node].name, pool.name),
                 &props);
  return props;
}

std::map<std::string, std::string> RdProps(const RenderContext& context, sim::RdIndex rd) {
  const sim::ResourceDefinition& def = context.cluster.rds[rd];
  std::map<std::string, std::string> props;
  size_t diskful = 0;
  for (sim::ReplicaIndex r : def.replicas) {
    if (context.cluster.replicas[r].alive &&
        context.cluster.replicas[r].kind == sim::ReplicaKind::kDiskful)
      ++diskful;
  }
  if (def.replicas.size() >= 3 || diskful >= 3) {
    props["DrbdOptions/Resource/quorum"] = "majority";
    props["DrbdOptions/Resource/on-no-quorum"] = "suspend-io";
  }
  if (HasOverrides(context.state)) MergeOverrides(context.state, PropsKey("rd:", def.name), &props);
  return props;
}

std::map<std::string, std::string> ResourceProps(const RenderContext& context,
                                                 sim::ReplicaIndex r) {
  const sim::Replica& rep = context.cluster.replicas[r];
  std::map<std::string, std::string> props;
  if (rep.pool < context.cluster.pools.size())
    props["StorPoolName"] = context.cluster.pools[rep.pool].name;
  if (!HasOverrides(context.state)) return props;
  MergeOverrides(
      context.state,
      PropsKey("rsc:", context.cluster.rds[rep.rd].name, context.cluster.nodes[rep.node].name),
      &props);
  return props;
}

std::map<std::string, std::string> GroupProps(const RenderContext& context, sim::GroupIndex g) {
  std::map<std::string, std::string> props;
  MergeOverrides(context.state, PropsKey("rg:", context.cluster.groups[g].name), &props);
  return props;
}

void RenderNode(JsonWriter& writer, const RenderContext& context, sim::NodeIndex n) {
  const sim::Node& node = context.cluster.nodes[n];
  const std::string key = std::to_string(n) + "/" + node.name;
  writer.BeginObject();
  writer.KeyStr("name", node.name);
  writer.KeyStr("type", sim::Name(node.type));
  if (node.flags != 0) {
    writer.Key("flags");
    writer.BeginArray();
    // EVICTED contains the DELETE bit (LINSTOR-API.md 4).
    if ((node.flags & (sim::kNodeDelete | sim::kNodeEvicted)) != 0) writer.Str("DELETE");
    if ((node.flags & sim::kNodeEvicted) != 0) writer.Str("EVICTED");
    if ((node.flags & sim::kNodeEvacuate) != 0) writer.Str("EVACUATE");
    writer.EndArray();
  }
  WriteProps(writer, NodeProps(context, n));
  writer.Key("net_interfaces");
  writer.BeginArray();
  writer.BeginObject();
  writer.KeyStr("name", "default");
  writer.KeyStr("address", FormatIpv4(node.ipv4));
  writer.KeyInt("satellite_port", 3366);
  writer.KeyStr("satellite_encryption_type", "PLAIN");
  writer.KeyBool("is_active", true);
  writer.KeyStr("uuid", DeterministicUuid("netif", key));
  writer.EndObject();
  writer.EndArray();
  writer.KeyStr("connection_status", sim::Name(node.connection));
  writer.KeyStr("uuid", DeterministicUuid("node", key));
  writer.Key("storage_providers");
  writer.Raw(R"(["DISKLESS","LVM","LVM_THIN","FILE","FILE_THIN","ZFS","ZFS_THIN"])");
  writer.Key("resource_layers");
  writer.Raw(R"(["DRBD","STORAGE","LUKS","NVME","CACHE","WRITECACHE"])");
  writer.Key("unsupported_layers");
  writer.Raw(R"({"BCACHE":["'bcache' kernel module could not be loaded"]})");
  writer.KeyStr("platform", "LINUX");
  writer.KeyStr("os_variant", "Debian GNU/Linux 12 (bookworm)");
  writer.EndObject();
}

void RenderPool(JsonWriter& writer, const RenderContext& context, sim::PoolIndex p) {
  const sim::StoragePool& pool = context.cluster.pools[p];
  const std::string& node_name = context.cluster.nodes[pool.node].name;
  const bool online = NodeOnline(context.cluster, pool.node);
  writer.BeginObject();
  writer.KeyStr("storage_pool_name", pool.name);
  writer.KeyStr("node_name", node_name);
  writer.KeyStr("provider_kind", sim::Name(pool.kind));
  WriteProps(writer, PoolProps(context, p));
  writer.Key("static_traits");
  if (pool.diskless()) {
    writer.Raw(R"({"SupportsSnapshots":"false"})");
  } else if (pool.thin()) {
    writer.Raw(R"({"Provisioning":"Thin","SupportsSnapshots":"true"})");
  } else if (pool.SupportsSnapshots()) {  // ZFS (thick): zfs snapshots work
    writer.Raw(R"({"Provisioning":"Fat","SupportsSnapshots":"true"})");
  } else {
    writer.Raw(R"({"Provisioning":"Fat","SupportsSnapshots":"false"})");
  }
  if (online) {
    if (pool.diskless()) {
      writer.KeyInt("free_capacity", kLongMax);
      writer.KeyInt("total_capacity", kLongMax);
    } else {
      writer.KeyUint("free_capacity", pool.FreeKib());
      writer.KeyUint("total_capacity", pool.total_kib);
    }
  }
  writer.KeyStr("free_space_mgr_name", node_name + ";" + pool.name);
  writer.KeyStr("uuid",
                DeterministicUuid("pool", std::to_string(p) + "/" + node_name + "/" + pool.name));
  if (!online) {
    writer.Key("reports");
    writer.BeginArray();
    ApiCallRc rc;
    rc.ret_code = RetCode(rcmask::kWarn, 0, 0, rccode::kWarnNotConnected);
    rc.message = "No active connection to satellite '" + node_name + "'";
    rc.details =
        "The controller is trying to (re-) establish a connection to the satellite. The "
        "controller stored the changes and as soon the satellite is connected, it will receive "
        "this update.";
    std::string tmp;
    AppendApiCallRc(&tmp, rc);
    writer.Raw(tmp);
    writer.EndArray();
  }
  writer.KeyBool("supports_snapshots", pool.SupportsSnapshots());
  writer.KeyBool("external_locking", false);
  writer.EndObject();
}

void RenderVolumeDefinition(JsonWriter& writer, const RenderContext& context, sim::RdIndex rd,
                            size_t vd_slot) {
  const sim::ResourceDefinition& def = context.cluster.rds[rd];
  const sim::VolumeDefinition& vd = def.volumes[vd_slot];
  writer.BeginObject();
  writer.KeyUint("volume_number", vd.number);
  writer.KeyUint("size_kib", vd.size_kib);
  std::map<std::string, std::string> props;
  if (HasOverrides(context.state)) {
    MergeOverrides(context.state, "vd:" + FoldName(def.name) + "/" + std::to_string(vd.number),
                   &props);
  }
  WriteProps(writer, props);
  if ((vd.flags & (sim::kVolumeResize | sim::kVolumeDelete)) != 0) {
    writer.Key("flags");
    writer.BeginArray();
    if ((vd.flags & sim::kVolumeDelete) != 0) writer.Str("DELETE");
    if ((vd.flags & sim::kVolumeResize) != 0) writer.Str("RESIZE");
    writer.EndArray();
  }
  writer.Key("layer_data");
  writer.BeginArray();
  writer.BeginObject();
  writer.KeyStr("type", "DRBD");
  writer.Key("data");
  writer.BeginObject();
  writer.KeyUint("volume_number", vd.number);
  writer.KeyUint("minor_number", vd.minor);
  writer.EndObject();
  writer.EndObject();
  writer.BeginObject();
  writer.KeyStr("type", "STORAGE");
  writer.EndObject();
  writer.EndArray();
  writer.KeyStr("uuid", DeterministicUuid("vd", std::to_string(rd) + "/" + def.name + "/" +
                                                    std::to_string(vd.number)));
  writer.EndObject();
}

void RenderResourceDefinition(JsonWriter& writer, const RenderContext& context, sim::RdIndex rd,
                              bool with_volume_definitions) {
  const sim::ResourceDefinition& def = context.cluster.rds[rd];
  writer.BeginObject();
  writer.KeyStr("name", def.name);
  WriteProps(writer, RdProps(context, rd));
  if ((def.flags & 1u) != 0) {
    writer.Key("flags");
    writer.Raw(R"(["DELETE"])");
  }
  writer.Key("layer_data");
  writer.BeginArray();
  writer.BeginObject();
  writer.KeyStr("type", "DRBD");
  writer.Key("data");
  WriteDrbdRdLayer(writer, def);
  writer.EndObject();
  writer.BeginObject();
  writer.KeyStr("type", "STORAGE");
  writer.EndObject();
  writer.EndArray();
  writer.KeyStr("uuid", DeterministicUuid("rd", std::to_string(rd) + "/" + def.name));
  const sim::GroupIndex group = EffectiveGroup(context.cluster, context.state, rd);
  if (group < context.cluster.groups.size()) {
    writer.KeyStr("resource_group_name", context.cluster.groups[group].name);
  }
  if (with_volume_definitions && !def.volumes.empty()) {
    writer.Key("volume_definitions");
    writer.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) RenderVolumeDefinition(writer, context, rd, i);
    writer.EndArray();
  }
  writer.EndObject();
}

std::string DiskStateText(const sim::Replica& replica, const sim::VolumeReplica& vr) {
  if (vr.done_percentage >= 0 &&
      (vr.disk == sim::DiskState::kInconsistent || vr.disk == sim::DiskState::kOutdated)) {
    for (sim::ReplState s : vr.repl) {
      if (s == sim::ReplState::kSyncTarget || s == sim::ReplState::kPausedSyncT) {
        char buf[48];
        std::snprintf(buf, sizeof(buf), "SyncTarget(%.2f%%)", vr.done_percentage);
        return buf;
      }
    }
  }
  (void)replica;
  return std::string(sim::Name(vr.disk));
}

void RenderVolume(JsonWriter& writer, const RenderContext& context, sim::ReplicaIndex r,
                  size_t slot) {
  const Cluster& cluster = context.cluster;
  const sim::Replica& rep = cluster.replicas[r];
  const sim::ResourceDefinition& def = cluster.rds[rep.rd];
  const sim::VolumeDefinition& vd = def.volumes[slot];
  const bool online = NodeOnline(cluster, rep.node);
  const bool diskful = rep.kind == sim::ReplicaKind::kDiskful;
  const sim::VolumeReplica* vr = slot < rep.volumes.size() ? &rep.volumes[slot] : nullptr;
  const sim::StoragePool& pool = cluster.pools[rep.pool];
  writer.BeginObject();
  writer.KeyUint("volume_number", vd.number);
  writer.KeyStr("storage_pool_name", pool.name);
  writer.KeyStr("provider_kind", sim::Name(pool.kind));
  writer.KeyStr("device_path", "/dev/drbd" + std::to_string(vd.minor));
  if (online && diskful) {
    writer.KeyUint("allocated_size_kib", vd.size_kib + MetadataKib(vd.size_kib));
  }
  std::map<std::string, std::string> props{
      {"Satellite/Device/Symlinks/0",
       "/dev/drbd/by-res/" + def.name + "/" + std::to_string(vd.number)}};
  if (HasOverrides(context.state)) {
    MergeOverrides(context.state, VolumePropsKey(def.name, cluster.nodes[rep.node].name, vd.number),
                   &props);
  }
  WriteProps(writer, props);
  if (vr != nullptr && vr->flags != 0) {
    writer.Key("flags");
    writer.BeginArray();
    if ((vr->flags & sim::kVolumeDelete) != 0) writer.Str("DELETE");
    if ((vr->flags & sim::kVolumeResize) != 0) writer.Str("RESIZE");
    if ((vr->flags & sim::kVolumeDrbdResize) != 0) writer.Str("DRBD_RESIZE");
    writer.EndArray();
  }
  writer.Key("layer_data_list");
  writer.BeginArray();
  writer.BeginObject();
  writer.KeyStr("type", "DRBD");
  writer.Key("data");
  WriteDrbdVolume(writer, cluster, rep, slot);
  writer.EndObject();
  if (diskful) {
    writer.BeginObject();
    writer.KeyStr("type", "STORAGE");
    writer.Key("data");
    WriteStorageVolume(writer, cluster, rep, slot);
    writer.EndObject();
  }
  writer.EndArray();
  std::string key_buf;
  writer.KeyStr("uuid", DeterministicUuid("vlm", std::string(ReplicaUuidKey(cluster, r, &key_buf)) +
                                                     "/" + std::to_string(vd.number)));
  if (online && vr != nullptr) {
    writer.Key("state");
    writer.BeginObject();
    writer.KeyStr("disk_state", DiskStateText(rep, *vr));
    bool any = false;
    for (size_t i = 0; i < rep.peers.size() && i < vr->repl.size(); ++i) {
      const sim::NodeIndex peer = rep.peers[i].peer;
      if (peer >= cluster.nodes.size()) continue;
      if (!any) {
        writer.Key("replication_states");
        writer.BeginObject();
        any = true;
      }
      writer.Key(cluster.nodes[peer].name);
      writer.BeginObject();
      writer.KeyStr("replication_state", sim::Name(vr->repl[i]));
      const sim::ReplState s = vr->repl[i];
      if (vr->done_percentage >= 0 &&
          (s == sim::ReplState::kSyncSource || s == sim::ReplState::kSyncTarget ||
           s == sim::ReplState::kPausedSyncS || s == sim::ReplState::kPausedSyncT ||
           s == sim::ReplState::kVerifyS || s == sim::ReplState::kVerifyT)) {
        writer.KeyDouble("done_percentage", static_cast<double>(vr->done_percentage));
      }
      writer.EndObject();
    }
    if (any) writer.EndObject();
    writer.EndObject();
  }
  writer.EndObject();
}

void RenderResource(JsonWriter& writer, const RenderContext& context, sim::ReplicaIndex r,
                    bool with_volumes) {
  const Cluster& cluster = context.cluster;
  const sim::Replica& rep = cluster.replicas[r];
  const sim::ResourceDefinition& def = cluster.rds[rep.rd];
  const bool online = NodeOnline(cluster, rep.node);
  const bool diskful = rep.kind == sim::ReplicaKind::kDiskful;
  writer.BeginObject();
  writer.KeyStr("name", def.name);
  writer.KeyStr("node_name", cluster.nodes[rep.node].name);
  WriteProps(writer, ResourceProps(context, r));
  const uint32_t f = rep.flags;
  if (!diskful || f != 0) {
    writer.Key("flags");
    writer.BeginArray();
    if ((f & sim::kReplicaDelete) != 0) writer.Str("DELETE");
    if (!diskful) writer.Str("DISKLESS");
    if ((f & sim::kReplicaDiskAddRequested) != 0) writer.Str("DISK_ADD_REQUESTED");
    if ((f & sim::kReplicaDiskAdding) != 0) writer.Str("DISK_ADDING");
    if ((f & sim::kReplicaDiskRemoveRequested) != 0) writer.Str("DISK_REMOVE_REQUESTED");
    if ((f & sim::kReplicaDiskRemoving) != 0) writer.Str("DISK_REMOVING");
    if ((f & sim::kReplicaEvicted) != 0) writer.Str("INACTIVE");
    if (!diskful) writer.Str("DRBD_DISKLESS");
    if (rep.kind == sim::ReplicaKind::kTieBreaker) writer.Str("TIE_BREAKER");
    if ((f & sim::kReplicaEvicted) != 0) writer.Str("EVICTED");
    writer.EndArray();
  }
  // layer_object: DRBD over STORAGE (diskless: DRBD only).
  writer.Key("layer_object");
  writer.BeginObject();
  writer.KeyStr("type", "DRBD");
  writer.KeyStr("resource_name_suffix", "");
  if (diskful) {
    writer.Key("children");
    writer.BeginArray();
    writer.BeginObject();
    writer.KeyStr("type", "STORAGE");
    writer.KeyStr("resource_name_suffix", "");
    writer.Key("storage");
    writer.BeginObject();
    if (!def.volumes.empty()) {
      writer.Key("storage_volumes");
      writer.BeginArray();
      for (size_t i = 0; i < def.volumes.size(); ++i) WriteStorageVolume(writer, cluster, rep, i);
      writer.EndArray();
    }
    writer.EndObject();
    writer.EndObject();
    writer.EndArray();
  }
  writer.Key("drbd");
  writer.BeginObject();
  writer.Key("drbd_resource_definition");
  WriteDrbdRdLayer(writer, def);
  writer.KeyUint("node_id", rep.drbd_node_id);
  writer.Key("tcp_ports");
  writer.BeginArray();
  writer.Uint(def.port);
  writer.EndArray();
  writer.KeyInt("peer_slots", 7);
  writer.KeyInt("al_stripes", 1);
  writer.KeyInt("al_size", 32);
  writer.Key("flags");
  writer.Raw(diskful ? R"(["INITIALIZED"])" : R"(["DISKLESS","INITIALIZED"])");
  if (!def.volumes.empty()) {
    writer.Key("drbd_volumes");
    writer.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) WriteDrbdVolume(writer, cluster, rep, i);
    writer.EndArray();
  }
  if (online) {
    writer.KeyInt("promotion_score", rep.promotion_score);
    writer.KeyBool("may_promote", rep.may_promote);
    bool any = false;
    for (const sim::PeerLink& link : rep.peers) {
      if (link.peer >= cluster.nodes.size()) continue;
      if (!any) {
        writer.Key("connections");
        writer.BeginObject();
        any = true;
      }
      writer.Key(cluster.nodes[link.peer].name);
      writer.BeginObject();
      writer.KeyBool("connected", link.conn == sim::ConnState::kConnected);
      writer.KeyStr("message", sim::Name(link.conn));
      writer.EndObject();
    }
    if (any) writer.EndObject();
  }
  writer.EndObject();  // drbd
  writer.EndObject();  // layer_object
  std::string key_buf;
  writer.KeyStr("uuid", DeterministicUuid("rsc", ReplicaUuidKey(cluster, r, &key_buf)));
  writer.KeyInt("create_timestamp", context.epoch_unix_ms + rep.create_time_ms);
  if (online) {
    writer.Key("state");
    writer.BeginObject();
    writer.KeyBool("in_use", rep.in_use);
    writer.EndObject();
  }
  if (with_volumes && !def.volumes.empty()) {
    writer.Key("volumes");
    writer.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) RenderVolume(writer, context, r, i);
    writer.EndArray();
  }
  writer.EndObject();
}

sim::GroupIndex EffectiveGroup(const Cluster& cluster, const MockState& state, sim::RdIndex rd) {
  const sim::ResourceDefinition& def = cluster.rds[rd];
  auto it = state.rd_groups.find(FoldName(def.name));
  if (it == state.rd_groups.end()) return def.group;
  const sim::GroupIndex group = sim::FindResourceGroup(cluster, it->second);
  return group == sim::kNoIndex ? def.group : group;
}

uint32_t VolumeGroupCount(const RenderContext& context, sim::GroupIndex g) {
  const sim::ResourceGroup& group = context.cluster.groups[g];
  uint32_t n = static_cast<uint32_t>(group.volume_group_sizes.size());
  auto it = context.state.extra_volume_groups.find(FoldName(group.name));
  if (it != context.state.extra_volume_groups.end()) n += it->second;
  return n;
}

void RenderResourceGroup(JsonWriter& writer, const RenderContext& context, sim::GroupIndex g) {
  const sim::ResourceGroup& group = context.cluster.groups[g];
  writer.BeginObject();
  writer.KeyStr("name", group.name);
  std::string description = group.description;
  auto d = context.state.group_descriptions.find(FoldName(group.name));
  if (d != context.state.group_descriptions.end()) description = d->second;
  if (!description.empty()) writer.KeyStr("description", description);
  WriteProps(writer, GroupProps(context, g));
  writer.Key("select_filter");
  writer.BeginObject();
  writer.KeyInt("place_count", group.place_count);
  if (group.pool_names.size() == 1) writer.KeyStr("storage_pool", group.pool_names[0]);
  if (!group.pool_names.empty()) {
    writer.Key("storage_pool_list");
    writer.BeginArray();
    for (const auto& p : group.pool_names) writer.Str(p);
    writer.EndArray();
  }
  if (group.diskless_on_remaining) writer.KeyBool("diskless_on_remaining", true);
  writer.EndObject();
  writer.KeyStr("uuid", DeterministicUuid("rg", std::to_string(g) + "/" + group.name));
  writer.EndObject();
}

void RenderVolumeGroup(JsonWriter& writer, const RenderContext& context, sim::GroupIndex g,
                       uint32_t nr) {
  writer.BeginObject();
  writer.KeyUint("volume_number", nr);
  std::map<std::string, std::string> props;  // set by volume-group modify
  MergeOverrides(context.state, PropsKey("vg:", context.cluster.groups[g].name, std::to_string(nr)),
                 &props);
  WriteProps(writer, props);
  writer.KeyStr("uuid",
                DeterministicUuid("vg", std::to_string(g) + "/" + context.cluster.groups[g].name +
                                            "/" + std::to_string(nr)));
  writer.EndObject();
}

}  // namespace lnsim::mock::internal
