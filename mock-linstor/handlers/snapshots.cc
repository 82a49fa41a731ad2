// Snapshots (docs/mock-linstor.md "Snapshots"; the spec's Snapshot schemas and LINSTOR's
// controller/.../api/rest/v1/Snapshots.java, View.java): list per resource definition and the
// /v1/view/snapshots overview, get one, create, delete (all nodes or `nodes=`), restore into a new
// resource definition (volume definitions only, or with resources). The world owns the snapshots
// (sim/snapshots.cc); this file renders them and reads the bodies.
#include <string>
#include <vector>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/body_reader.h"
#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/internal/paged_array.h"
#include "mock-linstor/internal/query.h"

namespace lnsim::mock::handlers {
namespace {

using internal::JsonWriter;
using sim::kNoIndex;

std::string SnapshotUuid(const sim::Cluster& cluster, uint32_t s, std::string_view part) {
  const sim::Snapshot& snap = cluster.snapshots[s];
  return internal::DeterministicUuid(
      part, std::to_string(s) + "/" + cluster.rds[snap.rd].name + "/" + snap.name);
}

void RenderSnapshotNode(JsonWriter& writer, const ReadContext& context, uint32_t s, size_t i) {
  const sim::Cluster& cluster = context.cluster;
  const sim::Snapshot& snap = cluster.snapshots[s];
  const std::string& node = cluster.nodes[snap.nodes[i]].name;
  writer.BeginObject();
  writer.KeyStr("snapshot_name", snap.name);
  writer.KeyStr("node_name", node);
  writer.KeyInt("create_timestamp", context.render.epoch_unix_ms + snap.create_time_ms);
  writer.KeyStr("uuid", SnapshotUuid(cluster, s, "snapshot-node/" + node));
  if (snap.volumes.empty()) {  // NON_EMPTY: no [] members
    writer.EndObject();
    return;
  }
  writer.Key("snapshot_volumes");
  writer.BeginArray();
  for (const sim::SnapshotVolume& volume : snap.volumes) {
    writer.BeginObject();
    writer.KeyStr(
        "uuid",
        SnapshotUuid(cluster, s, "snapshot-volume/" + node + "/" + std::to_string(volume.number)));
    writer.KeyInt("vlm_nr", volume.number);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
}

// The Snapshot schema: definition, its volume definitions and its per-node snapshots. Props
// are not kept for snapshots (NON_EMPTY leaves the empty maps out).
void RenderSnapshot(JsonWriter& writer, const ReadContext& context, uint32_t s) {
  const sim::Cluster& cluster = context.cluster;
  const sim::Snapshot& snap = cluster.snapshots[s];
  writer.BeginObject();
  writer.KeyStr("name", snap.name);
  writer.KeyStr("resource_name", cluster.rds[snap.rd].name);
  writer.Key("nodes");
  writer.BeginArray();
  for (sim::NodeIndex node : snap.nodes) writer.Str(cluster.nodes[node].name);
  writer.EndArray();
  writer.Key("flags");
  writer.Raw(R"(["SUCCESSFUL"])");
  if (!snap.volumes.empty()) {  // NON_EMPTY: no [] members
    writer.Key("volume_definitions");
    writer.BeginArray();
    for (const sim::SnapshotVolume& volume : snap.volumes) {
      writer.BeginObject();
      writer.KeyInt("volume_number", volume.number);
      writer.KeyUint("size_kib", volume.size_kib);
      writer.EndObject();
    }
    writer.EndArray();
  }
  writer.KeyStr("uuid", SnapshotUuid(cluster, s, "snapshot"));
  writer.Key("snapshots");
  writer.BeginArray();
  for (size_t i = 0; i < snap.nodes.size(); ++i) RenderSnapshotNode(writer, context, s, i);
  writer.EndArray();
  writer.EndObject();
}

// Live snapshots of `definition` (kNoIndex: every definition passing `resources`), by RD name
// then snapshot name, filtered by node.
std::vector<uint32_t> SnapshotsOf(const ReadContext& context, sim::RdIndex definition) {
  const sim::Cluster& cluster = context.cluster;
  internal::NameFilter resources(context.query.All("resources"));
  internal::NameFilter nodes(context.query.All("nodes"));
  std::vector<uint32_t> out;
  for (uint32_t s = 0; s < cluster.snapshots.size(); ++s) {
    const sim::Snapshot& snap = cluster.snapshots[s];
    if (!snap.alive || (definition != kNoIndex && snap.rd != definition)) continue;
    if (!resources.Matches(cluster.rds[snap.rd].name)) continue;
    bool on_node = nodes.empty();
    for (sim::NodeIndex node : snap.nodes)
      on_node = on_node || nodes.Matches(cluster.nodes[node].name);
    if (on_node) out.push_back(s);
  }
  return internal::SortedByName(
      std::move(out), [&](uint32_t s) -> const std::string& { return cluster.snapshots[s].name; });
}

HttpResponse RenderList(const ReadContext& context, std::vector<uint32_t> snapshots) {
  return internal::PagedJsonArray(
      std::move(snapshots), context.query,
      [&](JsonWriter& writer, uint32_t s) { RenderSnapshot(writer, context, s); });
}

HttpResponse ListSnapshots(const ReadContext& context) {
  const sim::RdIndex definition =
      sim::FindResourceDefinition(context.cluster, context.params["rsc"]);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  return RenderList(context, SnapshotsOf(context, definition));
}

HttpResponse ViewSnapshots(const ReadContext& context) {
  std::vector<uint32_t> all = SnapshotsOf(context, kNoIndex);
  std::stable_sort(all.begin(), all.end(), [&](uint32_t left, uint32_t right) {
    return sim::FoldName(context.cluster.rds[context.cluster.snapshots[left].rd].name) <
           sim::FoldName(context.cluster.rds[context.cluster.snapshots[right].rd].name);
  });
  return RenderList(context, std::move(all));
}

HttpResponse GetSnapshot(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  const sim::RdIndex definition = sim::FindResourceDefinition(context.cluster, definition_name);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  const std::string& name = context.params["snapshot"];
  const uint32_t s = sim::FindSnapshot(context.cluster, definition, name);
  if (s == kNoIndex) {
    return internal::NotFound(
        rccode::kFailNotFoundSnapshotDfn,
        "Snapshot '" + name + "' of resource '" + definition_name + "' not found.",
        context.created_ms, {{"RscDfn", definition_name}, {"Snapshot", name}});
  }
  std::string out;
  JsonWriter writer(&out);
  RenderSnapshot(writer, context, s);
  return internal::JsonOk(std::move(out));
}

HttpResponse CreateSnapshot(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string name = reader.String(*body, "name").value_or("");
  const std::vector<std::string> nodes = reader.StringList(*body, "nodes");
  reader.StringMap(*body, "props");
  reader.StringList(*body, "flags");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  sim::OpResult op = context.world.CreateSnapshot(context.params["rsc"], name, nodes);
  context.effects.changed = true;
  return internal::FromOp(op, rcmask::kCreate, rcmask::kSnapshot, context.created_ms, 201);
}

HttpResponse DeleteSnapshot(const WriteContext& context) {
  const QueryView query{context.request.query};
  sim::OpResult op = context.world.DeleteSnapshot(context.params["rsc"], context.params["snapshot"],
                                                  query.All("nodes"));
  context.effects.changed = true;
  return internal::FromOp(op, rcmask::kDelete, rcmask::kSnapshot, context.created_ms, 200);
}

HttpResponse Restore(const WriteContext& context, bool definitions_only) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string to_resource = reader.String(*body, "to_resource").value_or("");
  const std::vector<std::string> nodes = reader.StringList(*body, "nodes");
  reader.StringMap(*body, "stor_pool_rename");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  sim::OpResult op = context.world.RestoreSnapshot(
      context.params["rsc"], context.params["snapshot"], to_resource, nodes, definitions_only);
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  internal::AppendOp(op, rcmask::kCreate, rcmask::kSnapshot, context.created_ms, &entries);
  return internal::Answer(std::move(entries), 200);
}

HttpResponse RestoreResource(const WriteContext& context) { return Restore(context, false); }
HttpResponse RestoreVolumeDefinitions(const WriteContext& context) {
  return Restore(context, true);
}

}  // namespace

void AddSnapshotRoutes(std::vector<Route>* routes) {
  constexpr const char* kList = "/v1/resource-definitions/{rsc}/snapshots";
  constexpr const char* kOne = "/v1/resource-definitions/{rsc}/snapshots/{snapshot}";
  routes->push_back({"GET", kList, ListSnapshots});
  routes->push_back({"POST", kList, nullptr, CreateSnapshot});
  routes->push_back({"GET", kOne, GetSnapshot});
  routes->push_back({"DELETE", kOne, nullptr, DeleteSnapshot});
  routes->push_back({"POST", "/v1/resource-definitions/{rsc}/snapshot-restore-resource/{snapshot}",
                     nullptr, RestoreResource});
  routes->push_back({"POST",
                     "/v1/resource-definitions/{rsc}/snapshot-restore-volume-definition/{snapshot}",
                     nullptr, RestoreVolumeDefinitions});
  routes->push_back({"GET", "/v1/view/snapshots", ViewSnapshots});
}

}  // namespace lnsim::mock::handlers
