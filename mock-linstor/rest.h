// The LINSTOR REST API v1 as pure request -> response functions (STYLE.md: small pure cores,
// thin adapters). No sockets and no threads here: the HTTP adapter (server.h) parses the request,
// takes the world lock and calls in; tests call in directly.
//
// Reads (GET) see a `const Cluster&` snapshot and never mutate anything. Writes go through the
// World's operations (LINSTOR semantics live in sim/) and map its OpResult to ApiCallRc lists
// with LINSTOR's masks and HTTP statuses (LINSTOR-API.md 3), plus the controller-side state the
// world does not model (props, descriptions; mock-linstor/state.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock-linstor/api_rc.h"
#include "mock-linstor/events.h"
#include "mock-linstor/state.h"
#include "sim/model.h"

namespace lnsim::sim {
class World;
}

namespace lnsim::mock {

inline constexpr std::string_view kRestApiVersion = "1.28.0";
inline constexpr std::string_view kControllerVersion = "1.33.1";

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // URL-decoded path without the query, e.g. "/v1/nodes/node-a"
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in request order
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (405: Allow)
};

// A node event for /v1/events/nodes produced by an API action (LINSTOR-API.md 2.9).
struct NodeEvent {
  std::string name;  // "node-create", "node-delete", "node-modified", ...
  std::string data;  // one-line JSON
};

// What a write did besides its answer.
struct WriteEffects {
  std::vector<NodeEvent> node_events;
  bool changed = false;  // the world or the mock state may have changed (invalidate caches)
  // Set by a write the controller answers only when the satellites are done (resource-definition
  // and resource delete, toggle-disk; docs/mock-linstor.md "Answers after the satellites"). The
  // HTTP adapter calls it under the world lock after each tick, never holding the lock while it
  // waits; it returns true once done, having replaced *response with the final answer. Callers
  // of HandleWrite that do not wait (MockServer::HandleForTest) send the first answer.
  std::function<bool(const sim::World&, HttpResponse*)> complete;
};

// Parsed query helpers shared with the server.
struct QueryView {
  const std::vector<std::pair<std::string, std::string>>& query;
  std::vector<std::string> All(std::string_view key) const;
  bool Has(std::string_view key) const;
  std::string Get(std::string_view key) const;  // first value or ""
  int64_t GetInt(std::string_view key, int64_t fallback) const;
  bool GetBool(std::string_view key) const;  // "true"/"1" (case-insensitive)
};

// The façade over one route table (method + path pattern -> handler; handlers/handlers.h
// lists the groups). A path no route matches answers 404 with a non-JSON body, as Jersey does; a
// matched path asked with a method none of its routes serve answers 405 with an ApiCallRc list
// and an Allow header. HEAD is answered as GET.
class RestApi {
 public:
  // epoch_unix_ms: the unix time of world time 0 (create_timestamp, created_at).
  explicit RestApi(int64_t epoch_unix_ms) : epoch_unix_ms_(epoch_unix_ms) {}

  // True for methods that may change state (anything but GET/HEAD).
  static bool IsWrite(const HttpRequest& req) {
    return req.method != "GET" && req.method != "HEAD";
  }

  // GET requests: pure over the snapshot. `now_ms` is world time (created_at of errors).
  HttpResponse HandleRead(const HttpRequest& req, const sim::Cluster& cluster,
                          const MockState& state, int64_t now_ms) const;

  // Writes: applied to `world` and `state` at world->now(). Caller serialises access.
  HttpResponse HandleWrite(const HttpRequest& req, sim::World* world, MockState* state,
                           WriteEffects* effects) const;

  // Whether a route of the table matches the path (with any method). The HTTP adapter answers
  // the others with the non-JSON 404 before applying API faults.
  static bool ServesPath(std::string_view path);
  // Every route of the table as (method, pattern), in table order (tests, documentation).
  static std::vector<std::pair<std::string, std::string>> Routes();
  // The SSE stream a request asks for (a GET of an event route), if any.
  static std::optional<EventStream> EventStreamFor(const HttpRequest& req);

  // The /v1/view/resources body (the main poll target), split out so the server can cache it
  // per world version and benchmarks can time it.
  std::string RenderResourceView(const sim::Cluster& cluster, const MockState& state,
                                 const QueryView& query) const;

  int64_t epoch_unix_ms() const { return epoch_unix_ms_; }

 private:
  int64_t epoch_unix_ms_;
};

// Renders one node as its JSON object (node events need it).
std::string RenderNodeJson(const sim::Cluster& cluster, const MockState& state, sim::NodeIndex node,
                           int64_t epoch_unix_ms);

// Builds an error response with one entry; status from HttpStatusFor (or `status` if > 0).
HttpResponse ErrorResponse(int64_t ret_code, std::string message, int64_t created_unix_ms,
                           int status = 0);

// Splits an already-decoded path "/v1/a/b" into {"v1","a","b"} (empty segments dropped).
std::vector<std::string> SplitPath(std::string_view path);
std::string UrlDecode(std::string_view s, bool plus_is_space);
// Parses "a=1&b=2" into pairs (URL-decoded).
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view qs);

}  // namespace lnsim::mock
