// Resources of a resource definition and their volumes (LINSTOR-API.md 2.6): lists, single
// objects, create (an array, or one object for the node in the path), modify, delete,
// make-available (CSI's attach) and toggle-disk in its current and deprecated forms.
#include <string>
#include <utility>
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

std::vector<uint32_t> LiveReplicasByNode(const sim::Cluster& cluster, sim::RdIndex definition) {
  std::vector<uint32_t> replicas;
  for (sim::ReplicaIndex replica : cluster.rds[definition].replicas) {
    if (replica < cluster.replicas.size() && cluster.replicas[replica].alive &&
        cluster.nodes[cluster.replicas[replica].node].alive) {
      replicas.push_back(replica);
    }
  }
  return internal::SortedByName(std::move(replicas), [&](uint32_t replica) -> const std::string& {
    return cluster.nodes[cluster.replicas[replica].node].name;
  });
}

HttpResponse ListResources(const ReadContext& context) {
  const sim::RdIndex definition =
      sim::FindResourceDefinition(context.cluster, context.params["rsc"]);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  auto replicas = LiveReplicasByNode(context.cluster, definition);
  return internal::PagedJsonArray(
      std::move(replicas), context.query, [&](JsonWriter& writer, uint32_t replica) {
        internal::RenderResource(writer, context.render, replica, false);
      });
}

// The replica the path names ({rsc} on {node}), or kNoIndex.
sim::ReplicaIndex PathReplica(const ReadContext& context, sim::RdIndex definition) {
  const sim::NodeIndex node = sim::FindNode(context.cluster, context.params["node"]);
  return sim::FindReplica(context.cluster, definition, node);
}

HttpResponse GetResource(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  const sim::RdIndex definition = sim::FindResourceDefinition(context.cluster, definition_name);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  const sim::ReplicaIndex replica = PathReplica(context, definition);
  if (replica == kNoIndex) {
    const std::string& node = context.params["node"];
    return internal::NotFound(rccode::kFailNotFoundRsc,
                              "Resource '" + definition_name + "' on '" + node + "' not found.",
                              context.created_ms, {{"RscDfn", definition_name}, {"Node", node}});
  }
  std::string out;
  JsonWriter writer(&out);
  internal::RenderResource(writer, context.render, replica, false);
  return internal::JsonOk(std::move(out));
}

HttpResponse ResourceNotOnNode(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  const std::string& node = context.params["node"];
  return internal::NotFound(rccode::kFailNotFoundRsc,
                            "Resource '" + definition_name + "' not found on node '" + node + "'.",
                            context.created_ms, {{"RscDfn", definition_name}, {"Node", node}});
}

HttpResponse ListVolumes(const ReadContext& context) {
  const sim::RdIndex definition =
      sim::FindResourceDefinition(context.cluster, context.params["rsc"]);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  const sim::ReplicaIndex replica = PathReplica(context, definition);
  if (replica == kNoIndex) return ResourceNotOnNode(context);
  return internal::PagedJsonArray(
      internal::Positions(context.cluster.rds[definition].volumes.size()), context.query,
      [&](JsonWriter& writer, uint32_t slot) {
        internal::RenderVolume(writer, context.render, replica, slot);
      });
}

HttpResponse GetVolume(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  const sim::RdIndex definition = sim::FindResourceDefinition(context.cluster, definition_name);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  const sim::ReplicaIndex replica = PathReplica(context, definition);
  if (replica == kNoIndex) return ResourceNotOnNode(context);
  const std::string& number = context.params["vnr"];
  const uint32_t slot = VolumeSlot(context.cluster.rds[definition], number);
  if (slot == kNoIndex) {
    const std::string& node = context.params["node"];
    return internal::NotFound(rccode::kFailNotFoundVlm,
                              "Volume '" + number + "' of resource '" + definition_name +
                                  "' on node '" + node + "' not found.",
                              context.created_ms,
                              {{"RscDfn", definition_name}, {"Node", node}, {"VlmNr", number}});
  }
  std::string out;
  JsonWriter writer(&out);
  internal::RenderVolume(writer, context.render, replica, slot);
  return internal::JsonOk(std::move(out));
}

sim::ReplicaKind KindFromFlags(const std::vector<std::string>& flags, bool drbd_client) {
  sim::ReplicaKind kind = sim::ReplicaKind::kDiskful;
  for (const auto& flag : flags) {
    if (sim::NamesEqual(flag, "TIE_BREAKER")) kind = sim::ReplicaKind::kTieBreaker;
    if (kind != sim::ReplicaKind::kTieBreaker &&
        (sim::NamesEqual(flag, "DRBD_DISKLESS") || sim::NamesEqual(flag, "DISKLESS"))) {
      kind = sim::ReplicaKind::kDiskless;
    }
  }
  if (drbd_client) kind = sim::ReplicaKind::kDiskless;
  return kind;
}

// Creates the replica one ResourceCreate object asks for; false on a body type error.
// `path_node` (the node in the path) wins over resource.node_name.
bool CreateOne(const WriteContext& context, internal::BodyReader& reader,
               const internal::Json& item, const std::string& path_node,
               std::vector<ApiCallRc>* entries) {
  const internal::Json* resource = reader.Object(item, "resource");
  std::string node = path_node;
  std::vector<std::string> flags;
  std::map<std::string, std::string> props;
  if (resource != nullptr) {
    if (auto named = reader.String(*resource, "node_name"); named && node.empty()) node = *named;
    flags = reader.StringList(*resource, "flags");
    props = reader.StringMap(*resource, "props");
  }
  reader.StringList(item, "layer_list");
  reader.Integer(item, "drbd_node_id");
  auto client = reader.Boolean(item, "drbd_client");
  if (reader.bad) return false;
  std::string pool;
  if (auto it = props.find("StorPoolName"); it != props.end()) pool = it->second;
  const std::string& definition_name = context.params["rsc"];
  sim::OpResult op = context.world.CreateReplica(
      definition_name, node, KindFromFlags(flags, client.value_or(false)), pool);
  if (!internal::OpFailed(op)) {
    props.erase("StorPoolName");
    if (!props.empty()) {
      context.state.props["rsc:" + sim::FoldName(definition_name) + "/" + sim::FoldName(node)] =
          props;
    }
  }
  internal::AppendOp(op, rcmask::kCreate, rcmask::kRsc, context.created_ms, entries);
  return true;
}

// POST …/resources: an array of ResourceCreate objects (the CLI's form).
HttpResponse CreateResources(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_array()) return internal::ParseError(context.created_ms, false);
  std::vector<ApiCallRc> entries;
  context.effects.changed = true;
  internal::BodyReader reader;
  for (const internal::Json& item : *body) {
    if (!CreateOne(context, reader, item, "", &entries)) {
      return internal::ParseError(context.created_ms, false);
    }
  }
  if (entries.empty()) {
    entries.push_back(internal::Entry(RetCode(0, rcmask::kCreate, rcmask::kRsc, 0),
                                      "No resources created.", context.created_ms));
  }
  return internal::Answer(std::move(entries), 201);
}

// POST …/resources/{node}: one ResourceCreate object (golinstor's form).
HttpResponse CreateResourceOnNode(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  std::vector<ApiCallRc> entries;
  context.effects.changed = true;
  internal::BodyReader reader;
  if (!CreateOne(context, reader, *body, context.params["node"], &entries)) {
    return internal::ParseError(context.created_ms, false);
  }
  return internal::Answer(std::move(entries), 201);
}

HttpResponse ModifyResource(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  const std::string& definition_name = context.params["rsc"];
  const std::string& node_name = context.params["node"];
  const sim::RdIndex definition = context.world.FindResourceDefinition(definition_name);
  const sim::ReplicaIndex replica =
      context.world.FindReplica(definition, context.world.FindNode(node_name));
  if (replica == kNoIndex) {
    return internal::Failure(
        rcmask::kModify, rcmask::kRsc,
        definition == kNoIndex ? rccode::kFailNotFoundRscDfn : rccode::kFailNotFoundRsc,
        "Resource '" + definition_name + "' on '" + node_name + "' not found.", context.created_ms,
        200);
  }
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body,
                        "rsc:" + sim::FoldName(definition_name) + "/" + sim::FoldName(node_name),
                        &context.state);
  reader.Boolean(*body, "drbd_tiebreaker");
  reader.Boolean(*body, "drbd_client");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  context.effects.changed = true;
  const sim::Cluster& cluster = context.world.cluster();
  const std::string& stored_definition = cluster.rds[definition].name;
  const std::string& stored_node = cluster.nodes[cluster.replicas[replica].node].name;
  return internal::Modified(
      rcmask::kRsc, "Resource '" + stored_definition + "' on node '" + stored_node + "' modified.",
      {{"RscDfn", stored_definition}, {"Node", stored_node}}, context.created_ms);
}

HttpResponse DeleteResource(const WriteContext& context) {
  // keep_tiebreaker is accepted and has no effect on the simulated placement.
  sim::OpResult op = context.world.DeleteReplica(context.params["rsc"], context.params["node"]);
  context.effects.changed = true;
  return DeleteResourceAwaiting(context, std::move(op));
}

HttpResponse MakeAvailable(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/false);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  auto diskful = reader.Boolean(*body, "diskful");
  reader.StringList(*body, "layer_list");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  sim::OpResult op = context.world.MakeAvailable(context.params["rsc"], context.params["node"],
                                                 diskful.value_or(false));
  context.effects.changed = true;
  return internal::FromOp(op, rcmask::kCreate, rcmask::kRsc, context.created_ms, 200);
}

HttpResponse ToggleDiskTo(const WriteContext& context, bool to_diskful, const std::string& pool) {
  sim::OpResult op =
      context.world.ToggleDisk(context.params["rsc"], context.params["node"], to_diskful, pool);
  context.effects.changed = true;
  return ToggleDiskAwaiting(context, op);
}

// PUT …/toggle-disk with {"operation": INTO_DRBD_DISKFUL | INTO_DRBD_DISKLESS | INTO_DRBD_CLIENT}.
HttpResponse ToggleDisk(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string operation = reader.String(*body, "operation").value_or("");
  const std::string pool = reader.String(*body, "storage_pool").value_or("");
  reader.String(*body, "migrate_from");
  reader.StringList(*body, "layer_list");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  if (operation == "INTO_DRBD_DISKFUL") return ToggleDiskTo(context, true, pool);
  if (operation == "INTO_DRBD_DISKLESS" || operation == "INTO_DRBD_CLIENT") {
    return ToggleDiskTo(context, false, pool);
  }
  return internal::ParseError(context.created_ms, false);
}

// The deprecated paths the CLI 1.27 and golinstor call: an optional {"layer_list":[...]} body.
bool DeprecatedToggleBodyOk(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/false);
  if (!body || !body->is_object()) return false;
  internal::BodyReader reader;
  reader.StringList(*body, "layer_list");
  return !reader.bad;
}

HttpResponse ToggleDiskless(const WriteContext& context) {
  if (!DeprecatedToggleBodyOk(context)) return internal::ParseError(context.created_ms, false);
  return ToggleDiskTo(context, false, "");
}

HttpResponse ToggleDiskful(const WriteContext& context) {
  if (!DeprecatedToggleBodyOk(context)) return internal::ParseError(context.created_ms, false);
  return ToggleDiskTo(context, true, "");
}

HttpResponse ToggleDiskfulIntoPool(const WriteContext& context) {
  if (!DeprecatedToggleBodyOk(context)) return internal::ParseError(context.created_ms, false);
  return ToggleDiskTo(context, true, context.params["pool"]);
}

}  // namespace

void AddResourceRoutes(std::vector<Route>* routes) {
  const char* kResources = "/v1/resource-definitions/{rsc}/resources";
  const char* kResource = "/v1/resource-definitions/{rsc}/resources/{node}";
  const char* kToggle = "/v1/resource-definitions/{rsc}/resources/{node}/toggle-disk";
  routes->push_back({"GET", kResources, ListResources});
  routes->push_back({"POST", kResources, nullptr, CreateResources});
  routes->push_back({"GET", kResource, GetResource});
  routes->push_back({"POST", kResource, nullptr, CreateResourceOnNode});
  routes->push_back({"PUT", kResource, nullptr, ModifyResource});
  routes->push_back({"DELETE", kResource, nullptr, DeleteResource});
  routes->push_back({"POST", "/v1/resource-definitions/{rsc}/resources/{node}/make-available",
                     nullptr, MakeAvailable});
  routes->push_back({"PUT", kToggle, nullptr, ToggleDisk});
  routes->push_back({"PUT", "/v1/resource-definitions/{rsc}/resources/{node}/toggle-disk/diskless",
                     nullptr, ToggleDiskless});
  // The diskless pool of the deprecated path is accepted and ignored.
  routes->push_back({"PUT",
                     "/v1/resource-definitions/{rsc}/resources/{node}/toggle-disk/diskless/{pool}",
                     nullptr, ToggleDiskless});
  routes->push_back({"PUT", "/v1/resource-definitions/{rsc}/resources/{node}/toggle-disk/diskful",
                     nullptr, ToggleDiskful});
  routes->push_back({"PUT",
                     "/v1/resource-definitions/{rsc}/resources/{node}/toggle-disk/diskful/{pool}",
                     nullptr, ToggleDiskfulIntoPool});
  routes->push_back(
      {"GET", "/v1/resource-definitions/{rsc}/resources/{node}/volumes", ListVolumes});
  routes->push_back(
      {"GET", "/v1/resource-definitions/{rsc}/resources/{node}/volumes/{vnr}", GetVolume});
  routes->push_back({"PUT", "/v1/resource-definitions/{rsc}/resources/{node}/volumes/{vnr}",
                     nullptr, ModifyVolume});
}

}  // namespace lnsim::mock::handlers
