// Renders the simulated cluster as LINSTOR REST v1 JSON objects, field for field as the Java
// controller's Json.apiTo* converters do (LINSTOR-API.md sections 2 and 6): NON_EMPTY omission,
// live satellite data hidden while a node is not ONLINE, deterministic uuids.
// All functions are pure reads of a Cluster; the caller holds whatever lock protects it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/state.h"
#include "sim/model.h"

namespace lnsim::mock::internal {

// 8-4-4-4-12 hex uuid derived from `kind` and `key` (stable across runs).
std::string DeterministicUuid(std::string_view kind, std::string_view key);
// Dotted quad of a host-order IPv4 address.
std::string FormatIpv4(uint32_t ipv4);

struct RenderContext {
  const sim::Cluster& cluster;
  const MockState& state;
  int64_t epoch_unix_ms = 0;  // unix time of world time 0
};

// Whether the controller holds live state for this node (ONLINE).
inline bool NodeOnline(const sim::Cluster& cluster, sim::NodeIndex n) {
  return n < cluster.nodes.size() && cluster.nodes[n].connection == sim::NodeConnection::kOnline;
}

void RenderNode(JsonWriter& writer, const RenderContext& context, sim::NodeIndex n);
void RenderPool(JsonWriter& writer, const RenderContext& context, sim::PoolIndex p);
void RenderResourceDefinition(JsonWriter& writer, const RenderContext& context, sim::RdIndex rd,
                              bool with_volume_definitions);
void RenderVolumeDefinition(JsonWriter& writer, const RenderContext& context, sim::RdIndex rd,
                            size_t vd_slot);
// A Resource (with `volumes` when asked: the view form).
void RenderResource(JsonWriter& writer, const RenderContext& context, sim::ReplicaIndex r,
                    bool with_volumes);
void RenderVolume(JsonWriter& writer, const RenderContext& context, sim::ReplicaIndex r,
                  size_t vd_slot);
void RenderResourceGroup(JsonWriter& writer, const RenderContext& context, sim::GroupIndex g);
void RenderVolumeGroup(JsonWriter& writer, const RenderContext& context, sim::GroupIndex g,
                       uint32_t nr);
// Number of volume groups of a group: the world's plus those created through the API.
// The resource group of RD `rd`: the one set through RD modify (MockState), else the world's.
sim::GroupIndex EffectiveGroup(const sim::Cluster& cluster, const MockState& state,
                               sim::RdIndex rd);
uint32_t VolumeGroupCount(const RenderContext& context, sim::GroupIndex g);

// Props as the controller stores them, derived defaults merged with API overrides.
std::map<std::string, std::string> NodeProps(const RenderContext& context, sim::NodeIndex n);
std::map<std::string, std::string> PoolProps(const RenderContext& context, sim::PoolIndex p);
std::map<std::string, std::string> RdProps(const RenderContext& context, sim::RdIndex rd);
std::map<std::string, std::string> ResourceProps(const RenderContext& context, sim::ReplicaIndex r);
// MockState::props key of a volume's props ("vlm:<rd>/<node>/<nr>", folded; volume modify).
std::string VolumePropsKey(std::string_view rd, std::string_view node, uint32_t number);
std::map<std::string, std::string> GroupProps(const RenderContext& context, sim::GroupIndex g);

// "SyncTarget(42.17%)" while resyncing with a known percentage, else the DRBD disk state name.
std::string DiskStateText(const sim::Replica& replica, const sim::VolumeReplica& vr);

}  // namespace lnsim::mock::internal
