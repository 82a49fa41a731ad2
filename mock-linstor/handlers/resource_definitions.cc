// /v1/resource-definitions, their volume definitions and autoplace (LINSTOR-API.md 2.4, 2.5,
// 2.6): lists, single objects, create/modify/delete; a resize is a PUT of size_kib.
#include <optional>
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

HttpResponse ListResourceDefinitions(const ReadContext& context) {
  const sim::Cluster& cluster = context.cluster;
  internal::NameFilter names(context.query.All("resource_definitions"));
  internal::PropsFilter props(context.query.All("props"));
  const bool with_volume_definitions = context.query.GetBool("with_volume_definitions");
  std::vector<uint32_t> definitions;
  for (sim::RdIndex definition = 0; definition < cluster.rds.size(); ++definition) {
    if (!cluster.rds[definition].alive || !names.Matches(cluster.rds[definition].name)) continue;
    if (!props.empty() && !props.Matches(internal::RdProps(context.render, definition))) continue;
    definitions.push_back(definition);
  }
  definitions = internal::SortedByName(
      std::move(definitions),
      [&](uint32_t definition) -> const std::string& { return cluster.rds[definition].name; });
  return internal::PagedJsonArray(
      std::move(definitions), context.query, [&](JsonWriter& writer, uint32_t definition) {
        internal::RenderResourceDefinition(writer, context.render, definition,
                                           with_volume_definitions);
      });
}

HttpResponse GetResourceDefinition(const ReadContext& context) {
  const sim::RdIndex definition =
      sim::FindResourceDefinition(context.cluster, context.params["rsc"]);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  std::string out;
  JsonWriter writer(&out);
  internal::RenderResourceDefinition(writer, context.render, definition, false);
  return internal::JsonOk(std::move(out));
}

HttpResponse GetSyncStatus(const ReadContext& context) {
  if (sim::FindResourceDefinition(context.cluster, context.params["rsc"]) == kNoIndex) {
    return ResourceDefinitionMissing(context);
  }
  return internal::JsonOk(R"({"synced_on_all":true})");
}

HttpResponse ListVolumeDefinitions(const ReadContext& context) {
  const sim::RdIndex definition =
      sim::FindResourceDefinition(context.cluster, context.params["rsc"]);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  return internal::PagedJsonArray(
      internal::Positions(context.cluster.rds[definition].volumes.size()), context.query,
      [&](JsonWriter& writer, uint32_t slot) {
        internal::RenderVolumeDefinition(writer, context.render, definition, slot);
      });
}

HttpResponse GetVolumeDefinition(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  const std::string& number_text = context.params["vnr"];
  const sim::RdIndex definition = sim::FindResourceDefinition(context.cluster, definition_name);
  if (definition == kNoIndex) return ResourceDefinitionMissing(context);
  const uint32_t slot = VolumeSlot(context.cluster.rds[definition], number_text);
  if (slot == kNoIndex) {
    return internal::NotFound(rccode::kFailNotFoundVlmDfn,
                              "Volume definition with number '" + number_text +
                                  "' on resource definition '" + definition_name + "' not found.",
                              context.created_ms,
                              {{"RscDfn", definition_name}, {"VlmNr", number_text}});
  }
  std::string out;
  JsonWriter writer(&out);
  internal::RenderVolumeDefinition(writer, context.render, definition, slot);
  return internal::JsonOk(std::move(out));
}

// The new definition's uuid in the details and obj_refs of its CREATED entries (LINSTOR-API.md
// 3.1).
void NameCreatedUuid(const WriteContext& context, const std::string& name,
                     std::vector<ApiCallRc>* entries) {
  const sim::RdIndex created = context.world.FindResourceDefinition(name);
  if (created == kNoIndex) return;
  const std::string uuid = internal::DeterministicUuid(
      "rd", std::to_string(created) + "/" + context.world.cluster().rds[created].name);
  for (ApiCallRc& entry : *entries) {
    if (CodeOf(entry.ret_code) != rccode::kCreated || IsError(entry.ret_code)) continue;
    if (entry.details.empty()) {
      entry.details = "Resource definition '" + name + "' UUID is: " + uuid;
    }
    entry.obj_refs["UUID"] = uuid;
  }
}

HttpResponse CreateResourceDefinition(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const internal::Json* definition = reader.Object(*body, "resource_definition");
  std::string name, group;
  std::map<std::string, std::string> props;
  if (definition != nullptr) {
    name = reader.String(*definition, "name").value_or("");
    group = reader.String(*definition, "resource_group_name").value_or("");
    props = reader.StringMap(*definition, "props");
    reader.String(*definition, "external_name");
  }
  reader.Integer(*body, "drbd_port");
  reader.Integer(*body, "drbd_peer_slots");
  reader.String(*body, "drbd_secret");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  sim::OpResult op = context.world.CreateResourceDefinition(name, group);
  context.effects.changed = true;
  if (!internal::OpFailed(op) && !props.empty()) {
    context.state.props["rd:" + sim::FoldName(name)] = props;
  }
  std::vector<ApiCallRc> entries;
  internal::AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, context.created_ms, &entries);
  if (!internal::OpFailed(op)) NameCreatedUuid(context, name, &entries);
  return internal::Answer(std::move(entries), 201);
}

HttpResponse ModifyResourceDefinition(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  const std::string& definition_name = context.params["rsc"];
  const sim::RdIndex definition = context.world.FindResourceDefinition(definition_name);
  if (definition == kNoIndex) {
    return internal::Failure(rcmask::kModify, rcmask::kRscDfn, rccode::kFailNotFoundRscDfn,
                             "Resource definition '" + definition_name + "' not found.",
                             context.created_ms, 200);
  }
  const std::string& stored_name = context.world.cluster().rds[definition].name;
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, "rd:" + sim::FoldName(stored_name), &context.state);
  reader.Integer(*body, "drbd_port");
  reader.Integer(*body, "drbd_peer_slots");
  reader.StringList(*body, "layer_stack");
  const std::string group_name = reader.String(*body, "resource_group").value_or("");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  context.effects.changed = true;
  if (!group_name.empty()) {
    // CtrlRscDfnApiCallHandler.modify: loadResourceGroup(name, failIfNull) then setResourceGroup.
    const sim::GroupIndex group = context.world.FindResourceGroup(group_name);
    if (group == kNoIndex) {
      return internal::Failure(rcmask::kModify, rcmask::kRscDfn, rccode::kFailNotFoundRscGrp,
                               "Resource group '" + group_name + "' not found.", context.created_ms,
                               200);
    }
    context.state.rd_groups[sim::FoldName(stored_name)] =
        context.world.cluster().groups[group].name;
  }
  return internal::Modified(rcmask::kRscDfn, "Resource definition '" + stored_name + "' modified.",
                            {{"RscDfn", stored_name}}, context.created_ms);
}

HttpResponse DeleteResourceDefinition(const WriteContext& context) {
  sim::OpResult op = context.world.DeleteResourceDefinition(context.params["rsc"]);
  context.effects.changed = true;
  if (!internal::OpFailed(op)) context.state.rd_groups.erase(sim::FoldName(context.params["rsc"]));
  return DeleteResourceDefinitionAwaiting(context, std::move(op));
}

HttpResponse CreateVolumeDefinition(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const internal::Json* definition = reader.Object(*body, "volume_definition");
  int64_t size = 0;
  std::optional<int64_t> number;
  std::map<std::string, std::string> props;
  if (definition != nullptr) {
    size = reader.Integer(*definition, "size_kib").value_or(0);
    number = reader.Integer(*definition, "volume_number");
    reader.StringList(*definition, "flags");
    props = reader.StringMap(*definition, "props");
  }
  reader.Integer(*body, "drbd_minor_number");
  reader.String(*body, "passphrase");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  if (size <= 0) {
    return internal::Failure(rcmask::kCreate, rcmask::kVlmDfn, rccode::kFailInvalidVolumeSize,
                             "Volume size must be positive.", context.created_ms, 200);
  }
  if (number && (*number < 0 || *number > 65535)) {
    return internal::Failure(rcmask::kCreate, rcmask::kVlmDfn, 207, "Invalid volume number.",
                             context.created_ms, 200);
  }
  const std::string& definition_name = context.params["rsc"];
  uint32_t chosen = 0;
  std::optional<uint32_t> requested;
  if (number) requested = static_cast<uint32_t>(*number);
  sim::OpResult op = context.world.CreateVolumeDefinition(
      definition_name, static_cast<sim::Kib>(size), requested, &chosen);
  context.effects.changed = true;
  if (!internal::OpFailed(op) && !props.empty()) {
    context.state.props["vd:" + sim::FoldName(definition_name) + "/" + std::to_string(chosen)] =
        props;
  }
  // Errata: VolumeDefinitions.createVolumeDefinition answers 200, not 201.
  return internal::FromOp(op, rcmask::kCreate, rcmask::kVlmDfn, context.created_ms, 200);
}

// The not-found answer of a volume-definition modify (the RD, else the volume number).
HttpResponse VolumeDefinitionMissing(const WriteContext& context, bool rd_missing) {
  const std::string& definition_name = context.params["rsc"];
  return internal::Failure(rcmask::kModify, rcmask::kVlmDfn,
                           rd_missing ? rccode::kFailNotFoundRscDfn : rccode::kFailNotFoundVlmDfn,
                           rd_missing ? "Resource definition '" + definition_name + "' not found."
                                      : "Volume definition with number '" + context.params["vnr"] +
                                            "' on resource definition '" + definition_name +
                                            "' not found.",
                           context.created_ms, 200);
}

// The resize part of a volume-definition modify; false when the answer is final (a failure).
bool ApplyResize(const WriteContext& context, uint32_t number, int64_t size_kib,
                 std::vector<ApiCallRc>* entries) {
  if (size_kib <= 0) {
    entries->push_back(internal::Entry(
        RetCode(rcmask::kError, rcmask::kModify, rcmask::kVlmDfn, rccode::kFailInvalidVolumeSize),
        "Volume size must be positive.", context.created_ms));
    return false;
  }
  sim::OpResult op = context.world.ResizeVolumeDefinition(context.params["rsc"], number,
                                                          static_cast<sim::Kib>(size_kib));
  internal::AppendOp(op, rcmask::kModify, rcmask::kVlmDfn, context.created_ms, entries);
  return !internal::OpFailed(op);
}

HttpResponse ModifyVolumeDefinition(const WriteContext& context) {
  const auto number = internal::ParseNumber(context.params["vnr"]);
  if (!number) return internal::UnknownPath();
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  auto size = reader.Integer(*body, "size_kib");
  reader.StringList(*body, "flags");
  const bool has_props = body->contains("override_props") || body->contains("delete_props") ||
                         body->contains("delete_namespaces");
  if (reader.bad || !internal::ModifyPropsWellTyped(*body)) {
    return internal::ParseError(context.created_ms, false);
  }
  const std::string& definition_name = context.params["rsc"];
  const sim::RdIndex definition = context.world.FindResourceDefinition(definition_name);
  if (definition == kNoIndex) return VolumeDefinitionMissing(context, true);
  const sim::ResourceDefinition& stored = context.world.cluster().rds[definition];
  if (sim::FindVolumeSlot(stored, *number) == kNoIndex) {
    return VolumeDefinitionMissing(context, false);
  }
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  if (size && !ApplyResize(context, *number, *size, &entries)) {
    return internal::Answer(std::move(entries), 200);
  }
  if (has_props) {
    internal::BodyReader apply;
    internal::ModifyProps(apply, *body,
                          "vd:" + sim::FoldName(definition_name) + "/" + std::to_string(*number),
                          &context.state);
  }
  if (entries.empty()) {
    const std::string number_text = std::to_string(*number);
    ApiCallRc rc = internal::Entry(RetCode(0, rcmask::kModify, rcmask::kVlmDfn, rccode::kModified),
                                   "Volume definition with number '" + number_text +
                                       "' on resource definition '" + stored.name + "' modified.",
                                   context.created_ms);
    rc.obj_refs = {{"RscDfn", stored.name}, {"VlmNr", number_text}};
    entries.push_back(std::move(rc));
  }
  return internal::Answer(std::move(entries), 200);
}

HttpResponse DeleteVolumeDefinition(const WriteContext& context) {
  const auto number = internal::ParseNumber(context.params["vnr"]);
  if (!number) return internal::UnknownPath();
  sim::OpResult op = context.world.DeleteVolumeDefinition(context.params["rsc"], *number);
  context.effects.changed = true;
  return internal::FromOp(op, rcmask::kDelete, rcmask::kVlmDfn, context.created_ms, 200);
}

// An RD moved to another group by modify auto-places with that group's place count and pools
// where the request leaves them out (the world only knows the group it was created in).
void ApplyModifiedGroup(const WriteContext& context, sim::AutoPlaceRequest* request) {
  const sim::RdIndex rd = context.world.FindResourceDefinition(context.params["rsc"]);
  if (rd == kNoIndex) return;
  const sim::Cluster& cluster = context.world.cluster();
  if (context.state.rd_groups.count(sim::FoldName(cluster.rds[rd].name)) == 0) return;
  const sim::ResourceGroup& group =
      cluster.groups[internal::EffectiveGroup(cluster, context.state, rd)];
  if (request->place_count == 0) request->place_count = group.place_count;
  if (request->storage_pool_list.empty()) request->storage_pool_list = group.pool_names;
}

HttpResponse AutoPlace(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  sim::AutoPlaceRequest request =
      internal::ReadSelectFilter(reader, reader.Object(*body, "select_filter"));
  if (auto remaining = reader.Boolean(*body, "diskless_on_remaining")) {
    request.diskless_on_remaining = *remaining;
  }
  reader.StringList(*body, "layer_list");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  if (request.place_count < 0) {
    return internal::Failure(rcmask::kCreate, rcmask::kRsc, rccode::kFailInvalidPlaceCount,
                             "Invalid place count " + std::to_string(request.place_count) + ".",
                             context.created_ms, 201);
  }
  ApplyModifiedGroup(context, &request);
  sim::OpResult op = context.world.AutoPlace(context.params["rsc"], request);
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  internal::AppendOp(op, rcmask::kCreate, rcmask::kRsc, context.created_ms, &entries);
  internal::AddReadyEntries(&entries, context.created_ms);
  return internal::Answer(std::move(entries), 201);
}

}  // namespace

HttpResponse ResourceDefinitionMissing(const ReadContext& context) {
  const std::string& definition_name = context.params["rsc"];
  return internal::NotFound(rccode::kFailNotFoundRscDfn,
                            "Resource definition '" + definition_name + "' not found.",
                            context.created_ms, {{"RscDfn", definition_name}});
}

uint32_t VolumeSlot(const sim::ResourceDefinition& definition, std::string_view number_text) {
  const auto number = internal::ParseNumber(number_text);
  return number ? sim::FindVolumeSlot(definition, *number) : kNoIndex;
}

void AddResourceDefinitionRoutes(std::vector<Route>* routes) {
  const char* kDefinitions = "/v1/resource-definitions";
  const char* kDefinition = "/v1/resource-definitions/{rsc}";
  const char* kVolumes = "/v1/resource-definitions/{rsc}/volume-definitions";
  const char* kVolume = "/v1/resource-definitions/{rsc}/volume-definitions/{vnr}";
  routes->push_back({"GET", kDefinitions, ListResourceDefinitions});
  routes->push_back({"POST", kDefinitions, nullptr, CreateResourceDefinition});
  routes->push_back({"GET", kDefinition, GetResourceDefinition});
  routes->push_back({"PUT", kDefinition, nullptr, ModifyResourceDefinition});
  routes->push_back({"DELETE", kDefinition, nullptr, DeleteResourceDefinition});
  routes->push_back({"GET", "/v1/resource-definitions/{rsc}/sync-status", GetSyncStatus});
  routes->push_back({"GET", kVolumes, ListVolumeDefinitions});
  routes->push_back({"POST", kVolumes, nullptr, CreateVolumeDefinition});
  routes->push_back({"GET", kVolume, GetVolumeDefinition});
  routes->push_back({"PUT", kVolume, nullptr, ModifyVolumeDefinition});
  routes->push_back({"DELETE", kVolume, nullptr, DeleteVolumeDefinition});
  routes->push_back({"POST", "/v1/resource-definitions/{rsc}/autoplace", nullptr, AutoPlace});
}

}  // namespace lnsim::mock::handlers
