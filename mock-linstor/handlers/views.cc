// /v1/view: the resource view (the main poll target of the CLI and CSI, LINSTOR-API.md 2.7) and
// the storage pools of every node (2.3), with their node, resource, pool and props filters.
#include <algorithm>
#include <string>
#include <vector>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/internal/query.h"

namespace lnsim::mock::handlers {
namespace {

using internal::JsonWriter;

// Resource definitions that pass the `resources` filter, by folded name.
std::vector<uint32_t> FilteredDefinitions(const sim::Cluster& cluster,
                                          const internal::NameFilter& names) {
  std::vector<uint32_t> definitions;
  definitions.reserve(cluster.rds.size());
  for (sim::RdIndex definition = 0; definition < cluster.rds.size(); ++definition) {
    if (cluster.rds[definition].alive && names.Matches(cluster.rds[definition].name))
      definitions.push_back(definition);
  }
  return internal::SortedByName(
      std::move(definitions),
      [&](uint32_t definition) -> const std::string& { return cluster.rds[definition].name; });
}

// The replicas the view shows: by resource, then by node name; filtered by node, pool, props.
std::vector<uint32_t> ViewReplicas(const internal::RenderContext& render, const QueryView& query) {
  const sim::Cluster& cluster = render.cluster;
  internal::NameFilter nodes(query.All("nodes"));
  internal::NameFilter pools(query.All("storage_pools"));
  internal::PropsFilter props(query.All("props"));
  const std::vector<uint32_t> definitions =
      FilteredDefinitions(cluster, internal::NameFilter(query.All("resources")));
  // Node names folded once (not once per replica) for the per-resource ordering by node.
  std::vector<std::string> folded_nodes;
  folded_nodes.reserve(cluster.nodes.size());
  for (const auto& node : cluster.nodes) folded_nodes.push_back(sim::FoldName(node.name));
  std::vector<uint32_t> replicas;
  replicas.reserve(definitions.size() * 3);
  std::vector<uint32_t> mine;
  for (uint32_t definition : definitions) {
    mine.clear();
    for (sim::ReplicaIndex replica_index : cluster.rds[definition].replicas) {
      if (replica_index < cluster.replicas.size() && cluster.replicas[replica_index].alive &&
          cluster.nodes[cluster.replicas[replica_index].node].alive) {
        mine.push_back(replica_index);
      }
    }
    std::sort(mine.begin(), mine.end(), [&](uint32_t left, uint32_t right) {
      return folded_nodes[cluster.replicas[left].node] < folded_nodes[cluster.replicas[right].node];
    });
    for (uint32_t replica_index : mine) {
      const sim::Replica& replica = cluster.replicas[replica_index];
      if (!nodes.Matches(cluster.nodes[replica.node].name)) continue;
      if (!pools.empty() && !pools.Matches(cluster.pools[replica.pool].name)) continue;
      if (!props.empty() && !props.Matches(internal::ResourceProps(render, replica_index)))
        continue;
      replicas.push_back(replica_index);
    }
  }
  return replicas;
}

HttpResponse GetResourceView(const ReadContext& context) {
  return internal::JsonOk(RenderResourceView(context.cluster, context.state, context.query,
                                             context.render.epoch_unix_ms));
}

std::vector<uint32_t> LiveNodesByName(const sim::Cluster& cluster,
                                      const internal::NameFilter& names) {
  std::vector<uint32_t> nodes;
  for (sim::NodeIndex node = 0; node < cluster.nodes.size(); ++node) {
    if (cluster.nodes[node].alive && names.Matches(cluster.nodes[node].name)) nodes.push_back(node);
  }
  return internal::SortedByName(std::move(nodes), [&](uint32_t node) -> const std::string& {
    return cluster.nodes[node].name;
  });
}

HttpResponse GetStoragePoolView(const ReadContext& context) {
  auto nodes = LiveNodesByName(context.cluster, internal::NameFilter(context.query.All("nodes")));
  auto pools =
      PoolsOfNodes(context, nodes, internal::NameFilter(context.query.All("storage_pools")),
                   internal::PropsFilter(context.query.All("props")));
  internal::Page(&pools, context.query);
  return RenderPoolList(context, pools);
}

}  // namespace

std::string RenderResourceView(const sim::Cluster& cluster, const MockState& state,
                               const QueryView& query, int64_t epoch_unix_ms) {
  const internal::RenderContext render{cluster, state, epoch_unix_ms};
  std::vector<uint32_t> replicas = ViewReplicas(render, query);
  internal::Page(&replicas, query);
  std::string out;
  out.reserve(replicas.size() * 2600 + 2);
  JsonWriter writer(&out);
  writer.BeginArray();
  for (uint32_t replica_index : replicas)
    internal::RenderResource(writer, render, replica_index, true);
  writer.EndArray();
  return out;
}

void AddViewRoutes(std::vector<Route>* routes) {
  routes->push_back({"GET", "/v1/view/resources", GetResourceView});
  routes->push_back({"GET", "/v1/view/storage-pools", GetStoragePoolView});
}

}  // namespace lnsim::mock::handlers
