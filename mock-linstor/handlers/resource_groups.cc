// /v1/resource-groups, their volume groups and spawn (LINSTOR-API.md 2.8). Resource-group
// create/modify and volume-group create are synchronous calls: bad JSON answers 400 there.
#include <charconv>
#include <optional>
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

HttpResponse ListResourceGroups(const ReadContext& context) {
  const sim::Cluster& cluster = context.cluster;
  internal::NameFilter names(context.query.All("resource_groups"));
  internal::PropsFilter props(context.query.All("props"));
  std::vector<uint32_t> groups;
  for (sim::GroupIndex group = 0; group < cluster.groups.size(); ++group) {
    if (!names.Matches(cluster.groups[group].name)) continue;
    if (!props.empty() && !props.Matches(internal::GroupProps(context.render, group))) continue;
    groups.push_back(group);
  }
  groups = internal::SortedByName(std::move(groups), [&](uint32_t group) -> const std::string& {
    return cluster.groups[group].name;
  });
  return internal::PagedJsonArray(std::move(groups), context.query,
                                  [&](JsonWriter& writer, uint32_t group) {
                                    internal::RenderResourceGroup(writer, context.render, group);
                                  });
}

HttpResponse GroupMissing(const ReadContext& context) {
  const std::string& name = context.params["rg"];
  return internal::NotFound(rccode::kFailNotFoundRscGrp, "Resource group '" + name + "' not found.",
                            context.created_ms, {{"RscGrp", name}});
}

HttpResponse GetResourceGroup(const ReadContext& context) {
  const sim::GroupIndex group = sim::FindResourceGroup(context.cluster, context.params["rg"]);
  if (group == kNoIndex) return GroupMissing(context);
  std::string out;
  JsonWriter writer(&out);
  internal::RenderResourceGroup(writer, context.render, group);
  return internal::JsonOk(std::move(out));
}

HttpResponse ListVolumeGroups(const ReadContext& context) {
  const sim::GroupIndex group = sim::FindResourceGroup(context.cluster, context.params["rg"]);
  if (group == kNoIndex) return GroupMissing(context);
  const uint32_t count = internal::VolumeGroupCount(context.render, group);
  return internal::PagedJsonArray(
      internal::Positions(count), context.query, [&](JsonWriter& writer, uint32_t number) {
        internal::RenderVolumeGroup(writer, context.render, group, number);
      });
}

HttpResponse GetVolumeGroup(const ReadContext& context) {
  const std::string& name = context.params["rg"];
  const sim::GroupIndex group = sim::FindResourceGroup(context.cluster, name);
  if (group == kNoIndex) return GroupMissing(context);
  const uint32_t count = internal::VolumeGroupCount(context.render, group);
  const std::string& number_text = context.params["vnr"];
  // A number followed by other characters counts as that number (std::from_chars, as before).
  uint32_t number = 0;
  auto parsed =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  if (parsed.ec != std::errc() || number >= count) {
    return internal::NotFound(rccode::kFailNotFoundVlmGrp,
                              "Volume group with number '" + number_text + "' of resource group '" +
                                  name + "' not found.",
                              context.created_ms, {{"RscGrp", name}, {"VlmNr", number_text}});
  }
  std::string out;
  JsonWriter writer(&out);
  internal::RenderVolumeGroup(writer, context.render, group, number);
  return internal::JsonOk(std::move(out));
}

HttpResponse GroupMissingForWrite(const WriteContext& context, uint64_t op_mask) {
  return internal::Failure(op_mask, rcmask::kRscGrp, rccode::kFailNotFoundRscGrp,
                           "Resource group '" + context.params["rg"] + "' not found.",
                           context.created_ms, 200);
}

HttpResponse CreateResourceGroup(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, true);
  internal::BodyReader reader;
  const std::string name = reader.String(*body, "name").value_or("");
  auto description = reader.String(*body, "description");
  auto props = reader.StringMap(*body, "props");
  sim::AutoPlaceRequest filter =
      internal::ReadSelectFilter(reader, reader.Object(*body, "select_filter"));
  reader.Integer(*body, "peer_slots");
  if (reader.bad) return internal::ParseError(context.created_ms, true);
  sim::OpResult op = context.world.CreateResourceGroup(
      name, filter.place_count > 0 ? filter.place_count : 2, filter.storage_pool_list);
  context.effects.changed = true;
  if (!internal::OpFailed(op)) {
    const std::string key = sim::FoldName(name);
    if (description && !description->empty()) context.state.group_descriptions[key] = *description;
    if (!props.empty()) context.state.props["rg:" + key] = props;
  }
  return internal::FromOp(op, rcmask::kCreate, rcmask::kRscGrp, context.created_ms, 201);
}

// The select_filter changes of a modify: place count and pool list, each only when given.
struct FilterChange {
  std::optional<int> place_count;
  std::optional<std::vector<std::string>> pools;
};

FilterChange ReadFilterChange(internal::BodyReader& reader, const internal::Json& body) {
  const internal::Json* filter = reader.Object(body, "select_filter");
  sim::AutoPlaceRequest request = internal::ReadSelectFilter(reader, filter);
  FilterChange change;
  if (filter == nullptr) return change;
  if (request.place_count > 0) change.place_count = request.place_count;
  if (filter->contains("storage_pool_list") || filter->contains("storage_pool")) {
    change.pools = request.storage_pool_list;
  }
  return change;
}

HttpResponse ModifyResourceGroup(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, true);
  internal::BodyReader reader;
  auto description = reader.String(*body, "description");
  const FilterChange change = ReadFilterChange(reader, *body);
  if (reader.bad || !internal::ModifyPropsWellTyped(*body)) {
    return internal::ParseError(context.created_ms, true);
  }
  const sim::GroupIndex group = context.world.FindResourceGroup(context.params["rg"]);
  if (group == kNoIndex) return GroupMissingForWrite(context, rcmask::kModify);
  const std::string name = context.world.cluster().groups[group].name;
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  if (change.place_count || change.pools) {
    sim::OpResult op = context.world.ModifyResourceGroup(name, change.place_count, change.pools);
    internal::AppendOp(op, rcmask::kModify, rcmask::kRscGrp, context.created_ms, &entries);
    if (internal::OpFailed(op)) return internal::Answer(std::move(entries), 200);
  }
  const std::string key = sim::FoldName(name);
  if (description) context.state.group_descriptions[key] = *description;
  internal::BodyReader apply;
  internal::ModifyProps(apply, *body, "rg:" + key, &context.state);
  if (entries.empty()) {
    ApiCallRc rc = internal::Entry(RetCode(0, rcmask::kModify, rcmask::kRscGrp, rccode::kModified),
                                   "Resource group '" + name + "' modified.", context.created_ms);
    rc.obj_refs = {{"RscGrp", name}};
    entries.push_back(std::move(rc));
  }
  return internal::Answer(std::move(entries), 200);
}

HttpResponse CreateVolumeGroup(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, true);
  internal::BodyReader reader;
  reader.Integer(*body, "volume_number");
  reader.StringMap(*body, "props");
  reader.StringList(*body, "flags");
  if (reader.bad) return internal::ParseError(context.created_ms, true);
  const sim::GroupIndex group = context.world.FindResourceGroup(context.params["rg"]);
  if (group == kNoIndex) return GroupMissingForWrite(context, rcmask::kCreate);
  const sim::Cluster& cluster = context.world.cluster();
  const std::string& name = cluster.groups[group].name;
  const uint32_t number = internal::VolumeGroupCount(
      internal::RenderContext{cluster, context.state, context.epoch_ms}, group);
  context.state.extra_volume_groups[sim::FoldName(name)] += 1;
  context.effects.changed = true;
  ApiCallRc rc = internal::Entry(RetCode(0, rcmask::kCreate, rcmask::kVlmGrp, rccode::kCreated),
                                 "New volume group with number '" + std::to_string(number) +
                                     "' of resource group '" + name + "' created.",
                                 context.created_ms);
  rc.obj_refs = {{"RscGrp", name}, {"VlmNr", std::to_string(number)}};
  return internal::Answer({rc}, 200);
}

// PUT …/volume-groups/{vnr} (CtrlVlmGrpApiCallHandler.modify, synchronous: bad JSON is 400):
// props only here; the world's volume groups have no other settable state.
HttpResponse ModifyVolumeGroup(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object() || !internal::ModifyPropsWellTyped(*body)) {
    return internal::ParseError(context.created_ms, true);
  }
  const sim::GroupIndex group = context.world.FindResourceGroup(context.params["rg"]);
  if (group == kNoIndex) return GroupMissingForWrite(context, rcmask::kModify);
  const sim::Cluster& cluster = context.world.cluster();
  const std::string& name = cluster.groups[group].name;
  const std::string& number_text = context.params["vnr"];
  uint32_t number = 0;
  auto parsed =
      std::from_chars(number_text.data(), number_text.data() + number_text.size(), number);
  const uint32_t count = internal::VolumeGroupCount(
      internal::RenderContext{cluster, context.state, context.epoch_ms}, group);
  if (parsed.ec != std::errc() || number >= count) {
    return internal::Failure(rcmask::kModify, rcmask::kVlmGrp, rccode::kFailNotFoundVlmGrp,
                             "Volume group with number '" + number_text + "' of resource group '" +
                                 name + "' not found.",
                             context.created_ms, 200);
  }
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, "vg:" + sim::FoldName(name) + "/" + std::to_string(number),
                        &context.state);
  context.effects.changed = true;
  return internal::Modified(rcmask::kVlmGrp,
                            "Volume group with number '" + std::to_string(number) +
                                "' of resource group '" + name + "' modified.",
                            {{"RscGrp", name}, {"VlmNr", std::to_string(number)}},
                            context.created_ms);
}

// CtrlRscGrpApiCallHandler.delete: a missing group only warns (WARN_NOT_FOUND, 200), one with
// resource definitions is refused with FAIL_EXISTS_RSC_DFN; its context is built with
// makeCreateOperation, so every entry carries the create mask, as the controller's do.
HttpResponse DeleteResourceGroup(const WriteContext& context) {
  const std::string& asked = context.params["rg"];
  const std::string key = sim::FoldName(asked);
  for (const auto& [rd, group] : context.state.rd_groups) {  // moved in by RD modify
    if (sim::FoldName(group) != key || context.world.FindResourceDefinition(rd) == kNoIndex) {
      continue;
    }
    return internal::Failure(rcmask::kCreate, rcmask::kRscGrp, rccode::kFailExistsRscDfn,
                             "Cannot delete resource group '" + asked +
                                 "' because it has existing resource definitions.",
                             context.created_ms, 200);
  }
  sim::OpResult op = context.world.DeleteResourceGroup(asked);
  context.effects.changed = true;
  if (!internal::OpFailed(op)) {
    context.state.group_descriptions.erase(key);
    context.state.extra_volume_groups.erase(key);
    context.state.props.erase("rg:" + key);
    auto& props = context.state.props;  // and its volume groups' ("vg:<rg>/<nr>")
    for (auto it = props.lower_bound("vg:" + key + "/");
         it != props.end() && it->first.rfind("vg:" + key + "/", 0) == 0;) {
      it = props.erase(it);
    }
  }
  return internal::FromOp(op, rcmask::kCreate, rcmask::kRscGrp, context.created_ms, 200);
}

// volume_sizes of a spawn body: non-positive sizes stay as 0 (the world refuses them).
std::vector<sim::Kib> ReadVolumeSizes(internal::BodyReader& reader, const internal::Json& body) {
  std::vector<sim::Kib> sizes;
  const internal::Json* values = reader.Get(body, "volume_sizes");
  if (values == nullptr) return sizes;
  if (!values->is_array()) {
    reader.bad = true;
    return sizes;
  }
  for (const internal::Json& value : *values) {
    // Jackson coerces "1048576" into the List<Long> entry as it does for a member.
    if (value.is_null()) reader.bad = true;
    const int64_t size = value.is_null() ? 0 : reader.IntegerOf(value).value_or(0);
    sizes.push_back(size > 0 ? static_cast<sim::Kib>(size) : 0);
  }
  return sizes;
}

struct SpawnFlags {
  bool partial = false;
  bool definitions_only = false;
  // The spawn's select_filter: its members override the group's (AutoSelectFilterPojo.merge in
  // CtrlRscGrpApiCallHandler.spawn); members left out fall back to the group's.
  sim::AutoPlaceRequest filter;
  bool has_filter = false;
};

// Spawn from a group that has volume groups added through the API (MockState): the world does
// not know them, so the count check of CtrlRscGrpApiCallHandler.spawn is done here (sizes must
// match the volume groups unless `partial`), then RD, VDs and auto-place go through the world.
HttpResponse SpawnWithApiVolumeGroups(const WriteContext& context, sim::GroupIndex group,
                                      const std::string& definition_name,
                                      const std::vector<sim::Kib>& sizes, SpawnFlags flags) {
  const std::string group_name = context.world.cluster().groups[group].name;
  const uint32_t groups = internal::VolumeGroupCount(
      internal::RenderContext{context.world.cluster(), context.state, context.epoch_ms}, group);
  if (!flags.partial && sizes.size() != groups) {
    return internal::Failure(
        rcmask::kCreate, rcmask::kRscDfn, rccode::kFailInvalidVolumeSizes,
        "Invalid count of volume sizes to spawn resource group '" + group_name + "'",
        context.created_ms, 500);
  }
  for (sim::Kib size : sizes) {
    if (size == 0) {
      return internal::Failure(rcmask::kCreate, rcmask::kVlmDfn, rccode::kFailInvalidVolumeSize,
                               "Invalid volume size 0", context.created_ms, 500);
    }
  }
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  sim::OpResult op = context.world.CreateResourceDefinition(definition_name, group_name);
  internal::AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, context.created_ms, &entries);
  if (internal::OpFailed(op)) return internal::Answer(std::move(entries), 201);
  for (uint32_t number = 0; number < sizes.size(); ++number) {
    uint32_t chosen = 0;
    op = context.world.CreateVolumeDefinition(definition_name, sizes[number], number, &chosen);
    internal::AppendOp(op, rcmask::kCreate, rcmask::kVlmDfn, context.created_ms, &entries);
    if (internal::OpFailed(op)) return internal::Answer(std::move(entries), 201);
  }
  if (!flags.definitions_only) {
    op = context.world.AutoPlace(definition_name, flags.filter);
    internal::AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, context.created_ms, &entries);
    internal::AddReadyEntries(&entries, context.created_ms);
  }
  return internal::Answer(std::move(entries), 201);
}

HttpResponse Spawn(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string definition_name = reader.String(*body, "resource_definition_name").value_or("");
  const std::vector<sim::Kib> sizes = ReadVolumeSizes(reader, *body);
  // The world checks its own volume groups (partial mode, FAIL_INVLD_VLM_SIZES).
  const bool partial = reader.Boolean(*body, "partial").value_or(false);
  const bool definitions_only = reader.Boolean(*body, "definitions_only").value_or(false);
  const internal::Json* filter_json = reader.Object(*body, "select_filter");
  SpawnFlags flags{partial, definitions_only, internal::ReadSelectFilter(reader, filter_json),
                   filter_json != nullptr && !filter_json->empty()};
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  const sim::GroupIndex group = context.world.FindResourceGroup(context.params["rg"]);
  if (group == kNoIndex) return GroupMissingForWrite(context, rcmask::kCreate);
  const std::string group_name = context.world.cluster().groups[group].name;
  if (context.state.extra_volume_groups.count(sim::FoldName(group_name)) != 0) {
    return SpawnWithApiVolumeGroups(context, group, definition_name, sizes, flags);
  }
  // With a select_filter the world spawns the definitions and the auto-place takes the merge.
  const bool place_here = flags.has_filter && !definitions_only;
  sim::OpResult op =
      context.world.Spawn(group_name, definition_name, sizes, definitions_only || place_here);
  context.effects.changed = true;
  std::vector<ApiCallRc> entries;
  internal::AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, context.created_ms, &entries);
  if (place_here && !internal::OpFailed(op)) {
    op = context.world.AutoPlace(definition_name, flags.filter);
    internal::AppendOp(op, rcmask::kCreate, rcmask::kRscDfn, context.created_ms, &entries);
  }
  internal::AddReadyEntries(&entries, context.created_ms);
  return internal::Answer(std::move(entries), 201);
}

}  // namespace

void AddResourceGroupRoutes(std::vector<Route>* routes) {
  const char* kGroups = "/v1/resource-groups";
  const char* kGroup = "/v1/resource-groups/{rg}";
  const char* kVolumeGroups = "/v1/resource-groups/{rg}/volume-groups";
  routes->push_back({"GET", kGroups, ListResourceGroups});
  routes->push_back({"POST", kGroups, nullptr, CreateResourceGroup});
  routes->push_back({"GET", kGroup, GetResourceGroup});
  routes->push_back({"PUT", kGroup, nullptr, ModifyResourceGroup});
  routes->push_back({"DELETE", kGroup, nullptr, DeleteResourceGroup});
  routes->push_back({"GET", kVolumeGroups, ListVolumeGroups});
  routes->push_back({"POST", kVolumeGroups, nullptr, CreateVolumeGroup});
  routes->push_back({"GET", "/v1/resource-groups/{rg}/volume-groups/{vnr}", GetVolumeGroup});
  routes->push_back(
      {"PUT", "/v1/resource-groups/{rg}/volume-groups/{vnr}", nullptr, ModifyVolumeGroup});
  routes->push_back({"POST", "/v1/resource-groups/{rg}/spawn", nullptr, Spawn});
}

}  // namespace lnsim::mock::handlers
