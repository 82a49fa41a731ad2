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

void WriteProps(JsonWriter& w, const std::map<std::string, std::string>& props) {
  if (props.empty()) return;
  w.Key("props");
  w.BeginObject();
  for (const auto& [k, v] : props) w.KeyStr(k, v);
  w.EndObject();
}

std::string VgName(const sim::StoragePool& pool) { return "linstor_" + pool.name; }

std::string BackingDevice(const Cluster& c, const sim::Replica& r, uint32_t volume_number) {
  const sim::StoragePool& pool = c.pools[r.pool];
  char suffix[16] = "_00000";
  for (int i = 5; i >= 1 && volume_number > 0; --i) {
    suffix[i] = static_cast<char>('0' + volume_number % 10);
    volume_number /= 10;
  }
  const std::string& rd = c.rds[r.rd].name;
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

std::string_view ReplicaUuidKey(const Cluster& c, sim::ReplicaIndex r, std::string* buf) {
  const sim::Replica& rep = c.replicas[r];
  *buf = std::to_string(r) + "/" + c.rds[rep.rd].name + "/" + c.nodes[rep.node].name;
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

void WriteDrbdRdLayer(JsonWriter& w, const sim::ResourceDefinition& rd) {
  w.BeginObject();
  w.KeyInt("peer_slots", 7);
  w.KeyInt("al_stripes", 1);
  w.KeyInt("al_stripe_size_kib", 32);
  w.KeyInt("port", rd.port == 0 ? -1 : static_cast<int64_t>(rd.port));
  w.KeyStr("transport_type", "IP");
  w.KeyStr("secret", DrbdSecret(rd.name));
  w.KeyBool("down", false);
  w.EndObject();
}

void WriteDrbdVolume(JsonWriter& w, const Cluster& c, const sim::Replica& r, size_t slot) {
  const sim::VolumeDefinition& vd = c.rds[r.rd].volumes[slot];
  const bool diskful = r.kind == sim::ReplicaKind::kDiskful;
  w.BeginObject();
  w.Key("drbd_volume_definition");
  w.BeginObject();
  w.KeyUint("volume_number", vd.number);
  w.KeyUint("minor_number", vd.minor);
  w.EndObject();
  w.KeyStr("device_path", "/dev/drbd" + std::to_string(vd.minor));
  if (diskful) w.KeyStr("backing_device", BackingDevice(c, r, vd.number));
  w.KeyStr("meta_disk", diskful ? "internal" : "none");
  if (diskful) {
    w.KeyUint("allocated_size_kib", vd.size_kib);
    w.KeyUint("usable_size_kib", vd.size_kib);
  }
  w.EndObject();
}

void WriteStorageVolume(JsonWriter& w, const Cluster& c, const sim::Replica& r, size_t slot) {
  const sim::VolumeDefinition& vd = c.rds[r.rd].volumes[slot];
  const sim::Kib gross = vd.size_kib + MetadataKib(vd.size_kib);
  const sim::VolumeReplica* vr = slot < r.volumes.size() ? &r.volumes[slot] : nullptr;
  w.BeginObject();
  w.KeyUint("volume_number", vd.number);
  w.KeyStr("device_path", BackingDevice(c, r, vd.number));
  const bool thin = c.pools[r.pool].thin();
  w.KeyUint("allocated_size_kib", thin && vr != nullptr ? vr->allocated_kib : gross);
  w.KeyUint("usable_size_kib", gross);
  w.KeyStr("disk_state", "[]");
  w.EndObject();
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

std::map<std::string, std::string> NodeProps(const RenderContext& ctx, sim::NodeIndex n) {
  const sim::Node& node = ctx.cluster.nodes[n];
  std::map<std::string, std::string> props{{"CurStltConnName", "default"},
                                           {"NodeUname", node.name}};
  MergeOverrides(ctx.state, PropsKey("node:", node.name), &props);
  return props;
}

std::map<std::string, std::string> PoolProps(const RenderContext& ctx, sim::PoolIndex p) {
  const sim::StoragePool& pool = ctx.cluster.pools[p];
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
  MergeOverrides(ctx.state, PropsKey("pool:", ctx.cluster.nodes[pool.node].name, pool.name),
                 &props);
  return props;
}

std::map<std::string, std::string> RdProps(const RenderContext& ctx, sim::RdIndex rd) {
  const sim::ResourceDefinition& def = ctx.cluster.rds[rd];
  std::map<std::string, std::string> props;
  size_t diskful = 0;
  for (sim::ReplicaIndex r : def.replicas) {
    if (ctx.cluster.replicas[r].alive && ctx.cluster.replicas[r].kind == sim::ReplicaKind::kDiskful)
      ++diskful;
  }
  if (def.replicas.size() >= 3 || diskful >= 3) {
    props["DrbdOptions/Resource/quorum"] = "majority";
    props["DrbdOptions/Resource/on-no-quorum"] = "suspend-io";
  }
  if (HasOverrides(ctx.state)) MergeOverrides(ctx.state, PropsKey("rd:", def.name), &props);
  return props;
}

std::map<std::string, std::string> ResourceProps(const RenderContext& ctx, sim::ReplicaIndex r) {
  const sim::Replica& rep = ctx.cluster.replicas[r];
  std::map<std::string, std::string> props;
  if (rep.pool < ctx.cluster.pools.size()) props["StorPoolName"] = ctx.cluster.pools[rep.pool].name;
  if (!HasOverrides(ctx.state)) return props;
  MergeOverrides(ctx.state,
                 PropsKey("rsc:", ctx.cluster.rds[rep.rd].name, ctx.cluster.nodes[rep.node].name),
                 &props);
  return props;
}

std::map<std::string, std::string> GroupProps(const RenderContext& ctx, sim::GroupIndex g) {
  std::map<std::string, std::string> props;
  MergeOverrides(ctx.state, PropsKey("rg:", ctx.cluster.groups[g].name), &props);
  return props;
}

void RenderNode(JsonWriter& w, const RenderContext& ctx, sim::NodeIndex n) {
  const sim::Node& node = ctx.cluster.nodes[n];
  const std::string key = std::to_string(n) + "/" + node.name;
  w.BeginObject();
  w.KeyStr("name", node.name);
  w.KeyStr("type", sim::Name(node.type));
  if (node.flags != 0) {
    w.Key("flags");
    w.BeginArray();
    // EVICTED contains the DELETE bit (LINSTOR-API.md 4).
    if ((node.flags & (sim::kNodeDelete | sim::kNodeEvicted)) != 0) w.Str("DELETE");
    if ((node.flags & sim::kNodeEvicted) != 0) w.Str("EVICTED");
    if ((node.flags & sim::kNodeEvacuate) != 0) w.Str("EVACUATE");
    w.EndArray();
  }
  WriteProps(w, NodeProps(ctx, n));
  w.Key("net_interfaces");
  w.BeginArray();
  w.BeginObject();
  w.KeyStr("name", "default");
  w.KeyStr("address", FormatIpv4(node.ipv4));
  w.KeyInt("satellite_port", 3366);
  w.KeyStr("satellite_encryption_type", "PLAIN");
  w.KeyBool("is_active", true);
  w.KeyStr("uuid", DeterministicUuid("netif", key));
  w.EndObject();
  w.EndArray();
  w.KeyStr("connection_status", sim::Name(node.connection));
  w.KeyStr("uuid", DeterministicUuid("node", key));
  w.Key("storage_providers");
  w.Raw(R"(["DISKLESS","LVM","LVM_THIN","FILE","FILE_THIN","ZFS","ZFS_THIN"])");
  w.Key("resource_layers");
  w.Raw(R"(["DRBD","STORAGE","LUKS","NVME","CACHE","WRITECACHE"])");
  w.Key("unsupported_layers");
  w.Raw(R"({"BCACHE":["'bcache' kernel module could not be loaded"]})");
  w.KeyStr("platform", "LINUX");
  w.KeyStr("os_variant", "Debian GNU/Linux 12 (bookworm)");
  w.EndObject();
}

void RenderPool(JsonWriter& w, const RenderContext& ctx, sim::PoolIndex p) {
  const sim::StoragePool& pool = ctx.cluster.pools[p];
  const std::string& node_name = ctx.cluster.nodes[pool.node].name;
  const bool online = NodeOnline(ctx.cluster, pool.node);
  w.BeginObject();
  w.KeyStr("storage_pool_name", pool.name);
  w.KeyStr("node_name", node_name);
  w.KeyStr("provider_kind", sim::Name(pool.kind));
  WriteProps(w, PoolProps(ctx, p));
  w.Key("static_traits");
  if (pool.diskless()) {
    w.Raw(R"({"SupportsSnapshots":"false"})");
  } else if (pool.thin()) {
    w.Raw(R"({"Provisioning":"Thin","SupportsSnapshots":"true"})");
  } else {
    w.Raw(R"({"Provisioning":"Fat","SupportsSnapshots":"false"})");
  }
  if (online) {
    if (pool.diskless()) {
      w.KeyInt("free_capacity", kLongMax);
      w.KeyInt("total_capacity", kLongMax);
    } else {
      w.KeyUint("free_capacity", pool.FreeKib());
      w.KeyUint("total_capacity", pool.total_kib);
    }
  }
  w.KeyStr("free_space_mgr_name", node_name + ";" + pool.name);
  w.KeyStr("uuid",
           DeterministicUuid("pool", std::to_string(p) + "/" + node_name + "/" + pool.name));
  if (!online) {
    w.Key("reports");
    w.BeginArray();
    ApiCallRc rc;
    rc.ret_code = RetCode(rcmask::kWarn, 0, 0, rccode::kWarnNotConnected);
    rc.message = "No active connection to satellite '" + node_name + "'";
    rc.details =
        "The controller is trying to (re-) establish a connection to the satellite. The "
        "controller stored the changes and as soon the satellite is connected, it will receive "
        "this update.";
    std::string tmp;
    AppendApiCallRc(&tmp, rc);
    w.Raw(tmp);
    w.EndArray();
  }
  w.KeyBool("supports_snapshots", pool.thin());
  w.KeyBool("external_locking", false);
  w.EndObject();
}

void RenderVolumeDefinition(JsonWriter& w, const RenderContext& ctx, sim::RdIndex rd,
                            size_t vd_slot) {
  const sim::ResourceDefinition& def = ctx.cluster.rds[rd];
  const sim::VolumeDefinition& vd = def.volumes[vd_slot];
  w.BeginObject();
  w.KeyUint("volume_number", vd.number);
  w.KeyUint("size_kib", vd.size_kib);
  std::map<std::string, std::string> props;
  if (HasOverrides(ctx.state)) {
    MergeOverrides(ctx.state, "vd:" + FoldName(def.name) + "/" + std::to_string(vd.number), &props);
  }
  WriteProps(w, props);
  if ((vd.flags & (sim::kVolumeResize | sim::kVolumeDelete)) != 0) {
    w.Key("flags");
    w.BeginArray();
    if ((vd.flags & sim::kVolumeDelete) != 0) w.Str("DELETE");
    if ((vd.flags & sim::kVolumeResize) != 0) w.Str("RESIZE");
    w.EndArray();
  }
  w.Key("layer_data");
  w.BeginArray();
  w.BeginObject();
  w.KeyStr("type", "DRBD");
  w.Key("data");
  w.BeginObject();
  w.KeyUint("volume_number", vd.number);
  w.KeyUint("minor_number", vd.minor);
  w.EndObject();
  w.EndObject();
  w.BeginObject();
  w.KeyStr("type", "STORAGE");
  w.EndObject();
  w.EndArray();
  w.KeyStr("uuid", DeterministicUuid("vd", std::to_string(rd) + "/" + def.name + "/" +
                                               std::to_string(vd.number)));
  w.EndObject();
}

void RenderResourceDefinition(JsonWriter& w, const RenderContext& ctx, sim::RdIndex rd,
                              bool with_volume_definitions) {
  const sim::ResourceDefinition& def = ctx.cluster.rds[rd];
  w.BeginObject();
  w.KeyStr("name", def.name);
  WriteProps(w, RdProps(ctx, rd));
  if ((def.flags & 1u) != 0) {
    w.Key("flags");
    w.Raw(R"(["DELETE"])");
  }
  w.Key("layer_data");
  w.BeginArray();
  w.BeginObject();
  w.KeyStr("type", "DRBD");
  w.Key("data");
  WriteDrbdRdLayer(w, def);
  w.EndObject();
  w.BeginObject();
  w.KeyStr("type", "STORAGE");
  w.EndObject();
  w.EndArray();
  w.KeyStr("uuid", DeterministicUuid("rd", std::to_string(rd) + "/" + def.name));
  if (def.group < ctx.cluster.groups.size()) {
    w.KeyStr("resource_group_name", ctx.cluster.groups[def.group].name);
  }
  if (with_volume_definitions && !def.volumes.empty()) {
    w.Key("volume_definitions");
    w.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) RenderVolumeDefinition(w, ctx, rd, i);
    w.EndArray();
  }
  w.EndObject();
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

void RenderVolume(JsonWriter& w, const RenderContext& ctx, sim::ReplicaIndex r, size_t slot) {
  const Cluster& c = ctx.cluster;
  const sim::Replica& rep = c.replicas[r];
  const sim::ResourceDefinition& def = c.rds[rep.rd];
  const sim::VolumeDefinition& vd = def.volumes[slot];
  const bool online = NodeOnline(c, rep.node);
  const bool diskful = rep.kind == sim::ReplicaKind::kDiskful;
  const sim::VolumeReplica* vr = slot < rep.volumes.size() ? &rep.volumes[slot] : nullptr;
  const sim::StoragePool& pool = c.pools[rep.pool];
  w.BeginObject();
  w.KeyUint("volume_number", vd.number);
  w.KeyStr("storage_pool_name", pool.name);
  w.KeyStr("provider_kind", sim::Name(pool.kind));
  w.KeyStr("device_path", "/dev/drbd" + std::to_string(vd.minor));
  if (online && diskful) {
    w.KeyUint("allocated_size_kib", vd.size_kib + MetadataKib(vd.size_kib));
  }
  w.Key("props");
  w.BeginObject();
  w.KeyStr("Satellite/Device/Symlinks/0",
           "/dev/drbd/by-res/" + def.name + "/" + std::to_string(vd.number));
  w.EndObject();
  if (vr != nullptr && vr->flags != 0) {
    w.Key("flags");
    w.BeginArray();
    if ((vr->flags & sim::kVolumeDelete) != 0) w.Str("DELETE");
    if ((vr->flags & sim::kVolumeResize) != 0) w.Str("RESIZE");
    if ((vr->flags & sim::kVolumeDrbdResize) != 0) w.Str("DRBD_RESIZE");
    w.EndArray();
  }
  w.Key("layer_data_list");
  w.BeginArray();
  w.BeginObject();
  w.KeyStr("type", "DRBD");
  w.Key("data");
  WriteDrbdVolume(w, c, rep, slot);
  w.EndObject();
  if (diskful) {
    w.BeginObject();
    w.KeyStr("type", "STORAGE");
    w.Key("data");
    WriteStorageVolume(w, c, rep, slot);
    w.EndObject();
  }
  w.EndArray();
  std::string key_buf;
  w.KeyStr("uuid", DeterministicUuid("vlm", std::string(ReplicaUuidKey(c, r, &key_buf)) + "/" +
                                                std::to_string(vd.number)));
  if (online && vr != nullptr) {
    w.Key("state");
    w.BeginObject();
    w.KeyStr("disk_state", DiskStateText(rep, *vr));
    bool any = false;
    for (size_t i = 0; i < rep.peers.size() && i < vr->repl.size(); ++i) {
      const sim::NodeIndex peer = rep.peers[i].peer;
      if (peer >= c.nodes.size()) continue;
      if (!any) {
        w.Key("replication_states");
        w.BeginObject();
        any = true;
      }
      w.Key(c.nodes[peer].name);
      w.BeginObject();
      w.KeyStr("replication_state", sim::Name(vr->repl[i]));
      const sim::ReplState s = vr->repl[i];
      if (vr->done_percentage >= 0 &&
          (s == sim::ReplState::kSyncSource || s == sim::ReplState::kSyncTarget ||
           s == sim::ReplState::kPausedSyncS || s == sim::ReplState::kPausedSyncT ||
           s == sim::ReplState::kVerifyS || s == sim::ReplState::kVerifyT)) {
        w.KeyDouble("done_percentage", static_cast<double>(vr->done_percentage));
      }
      w.EndObject();
    }
    if (any) w.EndObject();
    w.EndObject();
  }
  w.EndObject();
}

void RenderResource(JsonWriter& w, const RenderContext& ctx, sim::ReplicaIndex r,
                    bool with_volumes) {
  const Cluster& c = ctx.cluster;
  const sim::Replica& rep = c.replicas[r];
  const sim::ResourceDefinition& def = c.rds[rep.rd];
  const bool online = NodeOnline(c, rep.node);
  const bool diskful = rep.kind == sim::ReplicaKind::kDiskful;
  w.BeginObject();
  w.KeyStr("name", def.name);
  w.KeyStr("node_name", c.nodes[rep.node].name);
  WriteProps(w, ResourceProps(ctx, r));
  const uint32_t f = rep.flags;
  if (!diskful || f != 0) {
    w.Key("flags");
    w.BeginArray();
    if ((f & sim::kReplicaDelete) != 0) w.Str("DELETE");
    if (!diskful) w.Str("DISKLESS");
    if ((f & sim::kReplicaDiskAddRequested) != 0) w.Str("DISK_ADD_REQUESTED");
    if ((f & sim::kReplicaDiskAdding) != 0) w.Str("DISK_ADDING");
    if ((f & sim::kReplicaDiskRemoveRequested) != 0) w.Str("DISK_REMOVE_REQUESTED");
    if ((f & sim::kReplicaDiskRemoving) != 0) w.Str("DISK_REMOVING");
    if ((f & sim::kReplicaEvicted) != 0) w.Str("INACTIVE");
    if (!diskful) w.Str("DRBD_DISKLESS");
    if (rep.kind == sim::ReplicaKind::kTieBreaker) w.Str("TIE_BREAKER");
    if ((f & sim::kReplicaEvicted) != 0) w.Str("EVICTED");
    w.EndArray();
  }
  // layer_object: DRBD over STORAGE (diskless: DRBD only).
  w.Key("layer_object");
  w.BeginObject();
  w.KeyStr("type", "DRBD");
  w.KeyStr("resource_name_suffix", "");
  if (diskful) {
    w.Key("children");
    w.BeginArray();
    w.BeginObject();
    w.KeyStr("type", "STORAGE");
    w.KeyStr("resource_name_suffix", "");
    w.Key("storage");
    w.BeginObject();
    if (!def.volumes.empty()) {
      w.Key("storage_volumes");
      w.BeginArray();
      for (size_t i = 0; i < def.volumes.size(); ++i) WriteStorageVolume(w, c, rep, i);
      w.EndArray();
    }
    w.EndObject();
    w.EndObject();
    w.EndArray();
  }
  w.Key("drbd");
  w.BeginObject();
  w.Key("drbd_resource_definition");
  WriteDrbdRdLayer(w, def);
  w.KeyUint("node_id", rep.drbd_node_id);
  w.Key("tcp_ports");
  w.BeginArray();
  w.Uint(def.port);
  w.EndArray();
  w.KeyInt("peer_slots", 7);
  w.KeyInt("al_stripes", 1);
  w.KeyInt("al_size", 32);
  w.Key("flags");
  w.Raw(diskful ? R"(["INITIALIZED"])" : R"(["DISKLESS","INITIALIZED"])");
  if (!def.volumes.empty()) {
    w.Key("drbd_volumes");
    w.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) WriteDrbdVolume(w, c, rep, i);
    w.EndArray();
  }
  if (online) {
    w.KeyInt("promotion_score", rep.promotion_score);
    w.KeyBool("may_promote", rep.may_promote);
    bool any = false;
    for (const sim::PeerLink& link : rep.peers) {
      if (link.peer >= c.nodes.size()) continue;
      if (!any) {
        w.Key("connections");
        w.BeginObject();
        any = true;
      }
      w.Key(c.nodes[link.peer].name);
      w.BeginObject();
      w.KeyBool("connected", link.conn == sim::ConnState::kConnected);
      w.KeyStr("message", sim::Name(link.conn));
      w.EndObject();
    }
    if (any) w.EndObject();
  }
  w.EndObject();  // drbd
  w.EndObject();  // layer_object
  std::string key_buf;
  w.KeyStr("uuid", DeterministicUuid("rsc", ReplicaUuidKey(c, r, &key_buf)));
  w.KeyInt("create_timestamp", ctx.epoch_unix_ms + rep.create_time_ms);
  if (online) {
    w.Key("state");
    w.BeginObject();
    w.KeyBool("in_use", rep.in_use);
    w.EndObject();
  }
  if (with_volumes && !def.volumes.empty()) {
    w.Key("volumes");
    w.BeginArray();
    for (size_t i = 0; i < def.volumes.size(); ++i) RenderVolume(w, ctx, r, i);
    w.EndArray();
  }
  w.EndObject();
}

uint32_t VolumeGroupCount(const RenderContext& ctx, sim::GroupIndex g) {
  const sim::ResourceGroup& group = ctx.cluster.groups[g];
  uint32_t n = static_cast<uint32_t>(group.volume_group_sizes.size());
  auto it = ctx.state.extra_volume_groups.find(FoldName(group.name));
  if (it != ctx.state.extra_volume_groups.end()) n += it->second;
  return n;
}

void RenderResourceGroup(JsonWriter& w, const RenderContext& ctx, sim::GroupIndex g) {
  const sim::ResourceGroup& group = ctx.cluster.groups[g];
  w.BeginObject();
  w.KeyStr("name", group.name);
  std::string description = group.description;
  auto d = ctx.state.group_descriptions.find(FoldName(group.name));
  if (d != ctx.state.group_descriptions.end()) description = d->second;
  if (!description.empty()) w.KeyStr("description", description);
  WriteProps(w, GroupProps(ctx, g));
  w.Key("select_filter");
  w.BeginObject();
  w.KeyInt("place_count", group.place_count);
  if (group.pool_names.size() == 1) w.KeyStr("storage_pool", group.pool_names[0]);
  if (!group.pool_names.empty()) {
    w.Key("storage_pool_list");
    w.BeginArray();
    for (const auto& p : group.pool_names) w.Str(p);
    w.EndArray();
  }
  if (group.diskless_on_remaining) w.KeyBool("diskless_on_remaining", true);
  w.EndObject();
  w.KeyStr("uuid", DeterministicUuid("rg", std::to_string(g) + "/" + group.name));
  w.EndObject();
}

void RenderVolumeGroup(JsonWriter& w, const RenderContext& ctx, sim::GroupIndex g, uint32_t nr) {
  w.BeginObject();
  w.KeyUint("volume_number", nr);
  w.KeyStr("uuid", DeterministicUuid("vg", std::to_string(g) + "/" + ctx.cluster.groups[g].name +
                                               "/" + std::to_string(nr)));
  w.EndObject();
}

}  // namespace lnsim::mock::internal
