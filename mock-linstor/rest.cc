// The façade of the REST API v1 (see rest.h): the one route table, built from the groups in
// handlers/, and the dispatch that answers 404 for an unknown path and 405 for a known path with
// a method it does not serve. The handlers themselves live in handlers/, their helpers in
// internal/.
#include "mock-linstor/rest.h"

#include <algorithm>
#include <chrono>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/json_writer.h"
#include "mock-linstor/internal/route_table.h"

namespace lnsim::mock {
namespace {

using handlers::Route;

struct CompiledRoute {
  Route route;
  internal::PathPattern pattern;
};

const std::vector<CompiledRoute>& RouteTable() {
  static const std::vector<CompiledRoute> table = [] {
    std::vector<Route> routes;
    handlers::AddControllerRoutes(&routes);
    handlers::AddNodeRoutes(&routes);
    handlers::AddResourceDefinitionRoutes(&routes);
    handlers::AddResourceRoutes(&routes);
    handlers::AddResourceGroupRoutes(&routes);
    handlers::AddViewRoutes(&routes);
    handlers::AddEventRoutes(&routes);
    handlers::AddSnapshotRoutes(&routes);
    handlers::AddExtraRoutes(&routes);
    std::vector<CompiledRoute> compiled;
    compiled.reserve(routes.size());
    for (const Route& route : routes) {
      LNSIM_CHECK((route.read != nullptr) == (std::string_view(route.method) == "GET"))
          << route.method << " " << route.pattern << ": GET routes read, the others write";
      compiled.push_back({route, internal::PathPattern(route.pattern)});
    }
    return compiled;
  }();
  return table;
}

// What the table says about a request. Of the patterns that fit a path, only the most literal
// ones count (none overlap today; a literal segment would win over a placeholder).
struct Resolution {
  const CompiledRoute* route = nullptr;  // the route serving method and path
  bool path_known = false;               // some route matches the path
  std::string allowed;                   // "GET, PUT": the methods the path serves
  internal::PathParams params;
};

Resolution Resolve(std::string_view method, std::string_view path) {
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  const std::vector<std::string> segments = SplitPath(path);
  std::vector<std::pair<const CompiledRoute*, internal::PathParams>> fitting;
  size_t most_literal = 0;
  for (const CompiledRoute& candidate : RouteTable()) {
    internal::PathParams params;
    if (!candidate.pattern.Match(segments, &params)) continue;
    most_literal = std::max(most_literal, candidate.pattern.literal_count());
    fitting.emplace_back(&candidate, std::move(params));
  }
  Resolution out;
  for (auto& [candidate, params] : fitting) {
    if (candidate->pattern.literal_count() != most_literal) continue;
    out.path_known = true;
    if (!out.allowed.empty()) out.allowed += ", ";
    out.allowed += candidate->route.method;
    if (wanted == candidate->route.method && out.route == nullptr) {
      out.route = candidate;
      out.params = std::move(params);
    }
  }
  return out;
}

int64_t UnixMs(int64_t epoch_unix_ms, Duration world_now) {
  return epoch_unix_ms + std::chrono::duration_cast<std::chrono::milliseconds>(world_now).count();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> RestApi::Routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const CompiledRoute& compiled : RouteTable()) {
    out.emplace_back(compiled.route.method, compiled.route.pattern);
  }
  return out;
}

bool RestApi::ServesPath(std::string_view path) { return Resolve("GET", path).path_known; }

std::optional<EventStream> RestApi::EventStreamFor(const HttpRequest& req) {
  if (req.method != "GET") return std::nullopt;  // HEAD gets HandleRead's answer
  const Resolution resolution = Resolve(req.method, req.path);
  if (resolution.route == nullptr) return std::nullopt;
  return resolution.route->route.stream;
}

HttpResponse RestApi::HandleRead(const HttpRequest& req, const sim::Cluster& cluster,
                                 const MockState& state, int64_t now_ms) const {
  const int64_t created_ms = epoch_unix_ms_ + now_ms;
  const Resolution resolution = Resolve(req.method, req.path);
  if (!resolution.path_known) return internal::UnknownPath();
  if (resolution.route == nullptr || resolution.route->route.read == nullptr) {
    return internal::MethodNotAllowed(req.method, resolution.allowed, created_ms);
  }
  const QueryView query{req.query};
  const handlers::ReadContext context{
      cluster,           state,     internal::RenderContext{cluster, state, epoch_unix_ms_}, query,
      resolution.params, created_ms};
  return resolution.route->route.read(context);
}

HttpResponse RestApi::HandleWrite(const HttpRequest& req, sim::World* world, MockState* state,
                                  WriteEffects* effects) const {
  const int64_t created_ms = UnixMs(epoch_unix_ms_, world->now());
  const Resolution resolution = Resolve(req.method, req.path);
  if (!resolution.path_known) return internal::UnknownPath();
  if (resolution.route == nullptr || resolution.route->route.write == nullptr) {
    return internal::MethodNotAllowed(req.method, resolution.allowed, created_ms);
  }
  const handlers::WriteContext context{req,      resolution.params, *world,        *state,
                                       *effects, created_ms,        epoch_unix_ms_};
  return resolution.route->route.write(context);
}

std::string RestApi::RenderResourceView(const sim::Cluster& cluster, const MockState& state,
                                        const QueryView& query) const {
  return handlers::RenderResourceView(cluster, state, query, epoch_unix_ms_);
}

HttpResponse ErrorResponse(int64_t ret_code, std::string message, int64_t created_unix_ms,
                           int status) {
  std::vector<ApiCallRc> entries{internal::Entry(ret_code, std::move(message), created_unix_ms)};
  HttpResponse response;
  response.status = status > 0 ? status : HttpStatusFor(entries, 200);
  response.body = RenderApiCallRcList(entries);
  return response;
}

std::string RenderNodeJson(const sim::Cluster& cluster, const MockState& state, sim::NodeIndex node,
                           int64_t epoch_unix_ms) {
  std::string out;
  internal::JsonWriter writer(&out);
  internal::RenderNode(writer, internal::RenderContext{cluster, state, epoch_unix_ms}, node);
  return out;
}

}  // namespace lnsim::mock
