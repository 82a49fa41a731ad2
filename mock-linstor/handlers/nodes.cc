// /v1/nodes and their storage pools (LINSTOR-API.md 2.2, 2.3): lists with name and props
// filters, single objects, create/modify/delete of nodes (each emits its node event) and pool
// creation.
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

HttpResponse NodeMissing(const ReadContext& context) {
  const std::string& node = context.params["node"];
  return internal::NotFound(rccode::kFailNotFoundNode, "Node '" + node + "' not found.",
                            context.created_ms, {{"Node", node}});
}

HttpResponse ListNodes(const ReadContext& context) {
  const sim::Cluster& cluster = context.cluster;
  internal::NameFilter names(context.query.All("nodes"));
  internal::PropsFilter props(context.query.All("props"));
  std::vector<uint32_t> nodes;
  for (sim::NodeIndex node = 0; node < cluster.nodes.size(); ++node) {
    if (!cluster.nodes[node].alive || !names.Matches(cluster.nodes[node].name)) continue;
    if (!props.empty() && !props.Matches(internal::NodeProps(context.render, node))) continue;
    nodes.push_back(node);
  }
  nodes = internal::SortedByName(std::move(nodes), [&](uint32_t node) -> const std::string& {
    return cluster.nodes[node].name;
  });
  return internal::PagedJsonArray(std::move(nodes), context.query,
                                  [&](JsonWriter& writer, uint32_t node) {
                                    internal::RenderNode(writer, context.render, node);
                                  });
}

HttpResponse GetNode(const ReadContext& context) {
  const sim::NodeIndex node = sim::FindNode(context.cluster, context.params["node"]);
  if (node == kNoIndex) return NodeMissing(context);
  std::string out;
  JsonWriter writer(&out);
  internal::RenderNode(writer, context.render, node);
  return internal::JsonOk(std::move(out));
}

HttpResponse ListNodePools(const ReadContext& context) {
  const sim::NodeIndex node = sim::FindNode(context.cluster, context.params["node"]);
  if (node == kNoIndex) return NodeMissing(context);
  // The code ignores the nodes/storage_pools filters the spec lists here.
  auto pools = PoolsOfNodes(context, {node}, internal::NameFilter({}), internal::PropsFilter({}));
  internal::Page(&pools, context.query);
  return RenderPoolList(context, pools);
}

HttpResponse GetNodePool(const ReadContext& context) {
  const sim::NodeIndex node = sim::FindNode(context.cluster, context.params["node"]);
  if (node == kNoIndex) return NodeMissing(context);
  const std::string& pool_name = context.params["pool"];
  const sim::PoolIndex pool = sim::FindPool(context.cluster, node, pool_name);
  if (pool == kNoIndex) {
    const std::string& node_name = context.params["node"];
    return internal::NotFound(
        rccode::kFailNotFoundStorPool,
        "Storage pool '" + pool_name + "' on node '" + node_name + "' not found.",
        context.created_ms, {{"Node", node_name}, {"StorPool", pool_name}});
  }
  std::string out;
  JsonWriter writer(&out);
  internal::RenderPool(writer, context.render, pool);
  return internal::JsonOk(std::move(out));
}

std::optional<sim::NodeType> ParseNodeType(std::string_view text) {
  if (sim::NamesEqual(text, "SATELLITE")) return sim::NodeType::kSatellite;
  if (sim::NamesEqual(text, "COMBINED")) return sim::NodeType::kCombined;
  if (sim::NamesEqual(text, "CONTROLLER")) return sim::NodeType::kController;
  if (sim::NamesEqual(text, "AUXILIARY")) return sim::NodeType::kAuxiliary;
  return std::nullopt;
}

std::optional<sim::ProviderKind> ParseProvider(std::string_view text) {
  if (sim::NamesEqual(text, "DISKLESS")) return sim::ProviderKind::kDiskless;
  if (sim::NamesEqual(text, "LVM")) return sim::ProviderKind::kLvm;
  if (sim::NamesEqual(text, "LVM_THIN")) return sim::ProviderKind::kLvmThin;
  if (sim::NamesEqual(text, "ZFS")) return sim::ProviderKind::kZfs;
  if (sim::NamesEqual(text, "ZFS_THIN")) return sim::ProviderKind::kZfsThin;
  return std::nullopt;
}

// The first net interface's address ("" when there is none).
std::string FirstAddress(internal::BodyReader& reader, const internal::Json& body) {
  const internal::Json* interfaces = reader.Get(body, "net_interfaces");
  if (interfaces == nullptr) return "";
  if (!interfaces->is_array()) {
    reader.bad = true;
    return "";
  }
  if (interfaces->empty()) return "";
  return reader.String((*interfaces)[0], "address").value_or("");
}

HttpResponse CreateNode(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string name = reader.String(*body, "name").value_or("");
  auto type_text = reader.String(*body, "type");
  const std::string address = FirstAddress(reader, *body);
  auto props = reader.StringMap(*body, "props");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  std::optional<sim::NodeType> type = ParseNodeType(type_text.value_or("SATELLITE"));
  if (!type) {
    return internal::Failure(rcmask::kCreate, rcmask::kNode, 203,
                             "Invalid node type '" + type_text.value_or("") + "'.",
                             context.created_ms, 201);
  }
  sim::OpResult op = context.world.CreateNode(name, *type, address);
  context.effects.changed = true;
  if (!internal::OpFailed(op)) {
    if (!props.empty()) context.state.props["node:" + sim::FoldName(name)] = props;
    const sim::NodeIndex created = context.world.FindNode(name);
    if (created != kNoIndex) {
      context.effects.node_events.push_back(
          {"node-create", "{\"node\":" + NodeJson(context, created) + "}"});
    }
  }
  return internal::FromOp(op, rcmask::kCreate, rcmask::kNode, context.created_ms, 201);
}

HttpResponse DeleteNode(const WriteContext& context) {
  const std::string& name = context.params["node"];
  const sim::NodeIndex node = context.world.FindNode(name);
  const std::string before = node != kNoIndex ? NodeJson(context, node) : "";
  sim::OpResult op = context.world.DeleteNode(name);
  context.effects.changed = true;
  if (!internal::OpFailed(op) && !before.empty()) {
    context.effects.node_events.push_back({"node-delete", "{\"node\":" + before + "}"});
  }
  return internal::FromOp(op, rcmask::kDelete, rcmask::kNode, context.created_ms, 200);
}

HttpResponse ModifyNode(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  const std::string& name = context.params["node"];
  const sim::NodeIndex node = context.world.FindNode(name);
  if (node == kNoIndex) {
    return internal::Failure(rcmask::kModify, rcmask::kNode, rccode::kFailNotFoundNode,
                             "Node '" + name + "' not found.", context.created_ms, 200);
  }
  const std::string& stored_name = context.world.cluster().nodes[node].name;
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, "node:" + sim::FoldName(stored_name), &context.state);
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  context.effects.changed = true;
  // nodeModify takes the "old" snapshot after applying the change (LINSTOR-API.md 2.9).
  const std::string node_json = NodeJson(context, node);
  context.effects.node_events.push_back(
      {"node-modified", "{\"old_node\":" + node_json + ",\"new_node\":" + node_json + "}"});
  return internal::Modified(rcmask::kNode, "Node '" + stored_name + "' modified.",
                            {{"Node", stored_name}}, context.created_ms);
}

// PUT /v1/nodes/{node}/storage-pools/{pool}: props only (override_props, delete_props,
// delete_namespaces), like CtrlStorPoolApiCallHandler.modify.
HttpResponse ModifyStoragePool(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  const std::string& node_name = context.params["node"];
  const std::string& pool_name = context.params["pool"];
  const sim::NodeIndex node = context.world.FindNode(node_name);
  if (node == kNoIndex) {
    return internal::Failure(rcmask::kModify, rcmask::kStorPool, rccode::kFailNotFoundNode,
                             "Node '" + node_name + "' not found.", context.created_ms, 200);
  }
  const sim::PoolIndex pool = context.world.FindPool(node, pool_name);
  if (pool == kNoIndex) {
    return internal::Failure(
        rcmask::kModify, rcmask::kStorPool, rccode::kFailNotFoundStorPool,
        "Storage pool '" + pool_name + "' on node '" + node_name + "' not found.",
        context.created_ms, 200);
  }
  const sim::Cluster& cluster = context.world.cluster();
  const std::string& stored_node = cluster.nodes[node].name;
  const std::string& stored_pool = cluster.pools[pool].name;
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body,
                        "pool:" + sim::FoldName(stored_node) + "/" + sim::FoldName(stored_pool),
                        &context.state);
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  context.effects.changed = true;
  return internal::Modified(
      rcmask::kStorPool,
      "Storage pool '" + stored_pool + "' on node '" + stored_node + "' modified.",
      {{"Node", stored_node}, {"StorPoolName", stored_pool}}, context.created_ms);
}

HttpResponse CreateStoragePool(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  internal::BodyReader reader;
  const std::string pool = reader.String(*body, "storage_pool_name").value_or("");
  auto kind_text = reader.String(*body, "provider_kind");
  auto props = reader.StringMap(*body, "props");
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  auto kind = ParseProvider(kind_text.value_or("LVM_THIN"));
  if (!kind) {
    return internal::Failure(rcmask::kCreate, rcmask::kStorPool, 236,
                             "Invalid provider kind '" + kind_text.value_or("") + "'.",
                             context.created_ms, 201);
  }
  const std::string& node = context.params["node"];
  sim::OpResult op = context.world.CreateStoragePool(node, pool, *kind,
                                                     context.world.spec().cluster.pool_size_kib);
  context.effects.changed = true;
  if (!internal::OpFailed(op) && !props.empty()) {
    context.state.props["pool:" + sim::FoldName(node) + "/" + sim::FoldName(pool)] = props;
  }
  return internal::FromOp(op, rcmask::kCreate, rcmask::kStorPool, context.created_ms, 201);
}

}  // namespace

std::vector<uint32_t> PoolsOfNodes(const ReadContext& context, const std::vector<uint32_t>& nodes,
                                   const internal::NameFilter& pools,
                                   const internal::PropsFilter& props) {
  const sim::Cluster& cluster = context.cluster;
  std::vector<uint32_t> out;
  for (uint32_t node : nodes) {
    std::vector<uint32_t> mine;
    for (sim::PoolIndex pool : cluster.nodes[node].pools) {
      if (pool >= cluster.pools.size() || !pools.Matches(cluster.pools[pool].name)) continue;
      if (!props.empty() && !props.Matches(internal::PoolProps(context.render, pool))) continue;
      mine.push_back(pool);
    }
    mine = internal::SortedByName(std::move(mine), [&](uint32_t pool) -> const std::string& {
      return cluster.pools[pool].name;
    });
    out.insert(out.end(), mine.begin(), mine.end());
  }
  return out;
}

HttpResponse RenderPoolList(const ReadContext& context, const std::vector<uint32_t>& pools) {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginArray();
  for (uint32_t pool : pools) internal::RenderPool(writer, context.render, pool);
  writer.EndArray();
  return internal::JsonOk(std::move(out));
}

std::string NodeJson(const WriteContext& context, sim::NodeIndex node) {
  return RenderNodeJson(context.world.cluster(), context.state, node, context.epoch_ms);
}

void AddNodeRoutes(std::vector<Route>* routes) {
  routes->push_back({"GET", "/v1/nodes", ListNodes});
  routes->push_back({"POST", "/v1/nodes", nullptr, CreateNode});
  routes->push_back({"GET", "/v1/nodes/{node}", GetNode});
  routes->push_back({"PUT", "/v1/nodes/{node}", nullptr, ModifyNode});
  routes->push_back({"DELETE", "/v1/nodes/{node}", nullptr, DeleteNode});
  routes->push_back({"GET", "/v1/nodes/{node}/storage-pools", ListNodePools});
  routes->push_back({"POST", "/v1/nodes/{node}/storage-pools", nullptr, CreateStoragePool});
  routes->push_back({"GET", "/v1/nodes/{node}/storage-pools/{pool}", GetNodePool});
  routes->push_back({"PUT", "/v1/nodes/{node}/storage-pools/{pool}", nullptr, ModifyStoragePool});
}

}  // namespace lnsim::mock::handlers
