// The REST handlers, grouped by LINSTOR resource, and the routes each group adds to the one route
// table of the façade (rest.cc). A route is a method, a path pattern (internal/route_table.h) and
// a handler: GET handlers read a `const Cluster&` snapshot and never mutate; write handlers apply
// a call to the World and the mock state. Handlers are pure Request -> Response functions; the
// caller (RestApi) holds whatever lock protects the world.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mock-linstor/events.h"
#include "mock-linstor/internal/query.h"
#include "mock-linstor/internal/render.h"
#include "mock-linstor/internal/route_table.h"
#include "mock-linstor/rest.h"
#include "mock-linstor/state.h"
#include "sim/world.h"

namespace lnsim::mock::handlers {

struct ReadContext {
  const sim::Cluster& cluster;
  const MockState& state;
  internal::RenderContext render;
  const QueryView& query;
  const internal::PathParams& params;
  int64_t created_ms;  // unix ms of "now" (created_at of error entries)
};

struct WriteContext {
  const HttpRequest& request;
  const internal::PathParams& params;
  sim::World& world;
  MockState& state;
  WriteEffects& effects;
  int64_t created_ms;  // unix ms of "now"
  int64_t epoch_ms;    // unix ms of world time 0
};

using ReadHandler = HttpResponse (*)(const ReadContext&);
using WriteHandler = HttpResponse (*)(const WriteContext&);

struct Route {
  const char* method;            // "GET" (also answers HEAD), "POST", "PUT", "DELETE"
  const char* pattern;           // "/v1/nodes/{node}"
  ReadHandler read = nullptr;    // GET routes
  WriteHandler write = nullptr;  // the other methods
  // Set on the two SSE routes: the HTTP adapter streams them (server.cc).
  std::optional<EventStream> stream = std::nullopt;
};

// Each adds its group's routes to *routes.
void AddControllerRoutes(std::vector<Route>* routes);          // controller.cc
void AddNodeRoutes(std::vector<Route>* routes);                // nodes.cc (+ storage pools)
void AddResourceDefinitionRoutes(std::vector<Route>* routes);  // resource_definitions.cc
void AddResourceRoutes(std::vector<Route>* routes);            // resources.cc (+ volumes)
void AddResourceGroupRoutes(std::vector<Route>* routes);       // resource_groups.cc
void AddViewRoutes(std::vector<Route>* routes);                // views.cc
void AddEventRoutes(std::vector<Route>* routes);               // events.cc (SSE)
void AddSnapshotRoutes(std::vector<Route>* routes);            // snapshots.cc
void AddExtraRoutes(
    std::vector<Route>* routes);  // extras.cc (error reports, physical storage, KVS)

// The /v1/view/resources body (views.cc); RestApi::RenderResourceView forwards here.
std::string RenderResourceView(const sim::Cluster& cluster, const MockState& state,
                               const QueryView& query, int64_t epoch_unix_ms);

// --- Shared by the groups ------------------------------------------------------------------
// The node's JSON for node events (nodes.cc).
std::string NodeJson(const WriteContext& context, sim::NodeIndex node);
// The pools of `nodes` (in that order; each node's by name) passing the filters (nodes.cc).
std::vector<uint32_t> PoolsOfNodes(const ReadContext& context, const std::vector<uint32_t>& nodes,
                                   const internal::NameFilter& pools,
                                   const internal::PropsFilter& props);
HttpResponse RenderPoolList(const ReadContext& context, const std::vector<uint32_t>& pools);
// 404 "Resource definition '{rsc}' not found." (resource_definitions.cc).
HttpResponse ResourceDefinitionMissing(const ReadContext& context);
// The slot of the volume numbered `number_text` (decimal) in definition, or kNoIndex.
uint32_t VolumeSlot(const sim::ResourceDefinition& definition, std::string_view number_text);
// Answers of writes the controller sends when the satellites are done (satellite_wait.cc): the
// first answer for `op`, with WriteEffects::complete set while the world still works on it.
HttpResponse DeleteResourceDefinitionAwaiting(const WriteContext& context, sim::OpResult op);
HttpResponse DeleteResourceAwaiting(const WriteContext& context, sim::OpResult op);
HttpResponse ToggleDiskAwaiting(const WriteContext& context, const sim::OpResult& op);
// PUT …/resources/{node}/volumes/{vnr}: volume props (volume_modify.cc); the props are stored
// under internal::VolumePropsKey and rendered on the volume.
HttpResponse ModifyVolume(const WriteContext& context);

}  // namespace lnsim::mock::handlers
