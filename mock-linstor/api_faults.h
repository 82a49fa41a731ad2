// API faults: what the mock does to requests besides answering them (latency, LINSTOR-shaped
// 5xx, hangs, dropped SSE streams, stale views, controller down). They come from the scenario's
// `api` section (a timeline in world time, scaled by time_scale) and from the control API under
// /lnsim/v1/ (live, starting when posted). The world's own F5 (controller outage) and F7 (slow
// satellite) windows are folded in here too, so the server asks one place what to do.
//
// FaultPlan is plain data plus pure decisions; the server owns one and guards it with a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "common/status.h"
#include "sim/scenario.h"

namespace YAML {
class Node;
}

namespace lnsim::mock {

enum class ApiFaultKind : uint8_t {
  kLatency,         // added latency before answering
  kError,           // answer 5xx with a LINSTOR-shaped ApiCallRc list (FAIL_UNKNOWN_ERROR)
  kHang,            // no answer until the window ends (the client gives up first)
  kSseDrop,         // SSE streams are closed when the window starts; new ones close at once
  kStale,           // GETs are served from the snapshot taken when the window started
  kControllerDown,  // the listening socket is closed: connection refused
  kSlowNodes,       // F7: slow answers for views that involve `nodes`
};

std::string_view Name(ApiFaultKind kind);

enum class LatencyDistribution : uint8_t { kFixed, kUniform, kExponential };

struct ApiFault {
  ApiFaultKind kind = ApiFaultKind::kLatency;
  Duration at{0};        // start (world time, unscaled by the plan; see FaultPlan::time_scale)
  Duration duration{0};  // 0 = until removed (control API) / instantaneous (sse_drop)
  Duration latency{0};   // kLatency/kSlowNodes: fixed value, uniform minimum, or exponential mean
  Duration max_latency{0};  // kUniform: upper bound
  LatencyDistribution distribution = LatencyDistribution::kFixed;
  int status = 500;                  // kError: 500 or 503 (5xx)
  std::vector<std::string> paths;    // path prefixes; empty = every /v1/ path
  std::vector<std::string> methods;  // e.g. {"GET"}; empty = all
  std::vector<std::string> nodes;    // kSlowNodes
  double probability = 1.0;          // share of matching requests affected
  bool scaled = true;                // scenario faults follow time_scale; live ones do not
  uint64_t id = 0;                   // assigned by the plan
  int source_line = 0;
};

// Parses the scenario's `api` section:
//   api:
//     faults:
//       - {kind: latency, at: 10s, duration: 30s, latency: 50ms, max_latency: 2s,
//          distribution: uniform, paths: [/v1/view/resources], methods: [GET], probability: 0.5}
//       - {kind: error, at: 1m, duration: 10s, status: 503}
//       - {kind: hang, at: 2m, duration: 20s}
//       - {kind: sse_drop, at: 3m}
//       - {kind: stale, at: 4m, duration: 30s}
//       - {kind: controller_down, at: 5m, duration: 15s}
//       - {kind: slow_nodes, at: 6m, duration: 1m, nodes: [node-2], latency: 5s}
// Unknown keys and bad values are errors: "12: api.faults[1].latency: not a duration".
StatusOr<std::vector<ApiFault>> ParseApiSection(const YAML::Node& api);
// One fault from a YAML/JSON map (the control API posts the same keys as the scenario).
StatusOr<ApiFault> ParseApiFault(const YAML::Node& node, const std::string& where);
// JSON rendering for the control API.
std::string ApiFaultJson(const ApiFault& fault, double time_scale);

// What to do with one request.
struct FaultDecision {
  Duration delay{0};
  int error_status = 0;  // > 0: answer this 5xx
  bool hang = false;
  Duration hang_until{0};  // world time the hang window ends (unscaled clock time)
  bool stale = false;
  uint64_t stale_fault_id = 0;
};

class FaultPlan {
 public:
  FaultPlan(std::vector<ApiFault> scenario_faults, double time_scale, uint64_t seed);

  // Adds the world's F5/F7 windows (sim FaultSpec kControllerOutage / kSlowSatellite / kApiFault
  // with params "kind=...").
  void AddWorldFaults(const std::vector<sim::FaultSpec>& faults);
  // Live fault starting at `now` (clock time since start); returns its id.
  uint64_t AddLive(ApiFault fault, Duration now);
  bool Remove(uint64_t id);
  void ClearLive();

  // Faults active at `now`.
  std::vector<ApiFault> Active(Duration now) const;
  std::vector<ApiFault> All() const { return faults_; }

  // Decision for one request. `involves_node(name)` says whether the answer shows that node.
  FaultDecision Decide(std::string_view method, std::string_view path, Duration now,
                       const std::function<bool(const std::string&)>& involves_node);
  bool ControllerDown(Duration now) const;
  // Whether a hang fault matching the request is still active (removal releases hung requests).
  bool HangActive(std::string_view method, std::string_view path, Duration now) const;
  // Id of the active sse_drop window (0 = none); streams opened before it started are dropped.
  uint64_t SseDropWindow(Duration now, Duration* started) const;
  // Id and start of the active stale window (0 = none).
  uint64_t StaleWindow(Duration now, Duration* started) const;

  double time_scale() const { return time_scale_; }
  Duration Start(const ApiFault& f) const;
  Duration End(const ApiFault& f) const;  // Duration::max() when open-ended

 private:
  bool IsActive(const ApiFault& f, Duration now) const;
  bool Matches(const ApiFault& f, std::string_view method, std::string_view path) const;
  Duration Sample(const ApiFault& f);

  std::vector<ApiFault> faults_;
  double time_scale_;
  uint64_t next_id_ = 1;
  Rng rng_;
};

}  // namespace lnsim::mock
