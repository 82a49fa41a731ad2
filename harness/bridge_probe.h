// What `lnsim run` asks lnsim's own bridge over its metrics port: readiness (/healthz) and a few
// counters from /metrics (polls done, publishes outstanding, NATS errors). The parsers of the
// metrics text are pure functions; BridgeProbe adds the HTTP GET (harness/internal/http_get.h).
// A team's bridge has no such port: the caller passes port 0 and every question answers "unknown".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace lnsim::harness {

// Lines of a /metrics text that looked like a wanted sample but could not be read (a value that
// is not a number, a label without its closing quote). Counted and reported, never fatal.
struct MetricsParseErrors {
  uint64_t count = 0;
  std::string first;  // the first such line, for the message
  void Add(std::string_view line);
};

// The value of the unlabelled sample `name value [timestamp]` in Prometheus text exposition;
// nullopt when the sample is absent, or malformed (then counted in *errors when not null).
// Values are non-negative integers ("12", also "12.0" or "1e3"); anything else is malformed.
std::optional<uint64_t> MetricValue(std::string_view text, std::string_view name,
                                    MetricsParseErrors* errors);

// lnsim_bridge_polls_total: full polls of the controller done.
std::optional<uint64_t> PollsFromMetrics(std::string_view text, MetricsParseErrors* errors);

// lnsim_bridge_acks_pending + lnsim_bridge_publish_queue: publishes not yet acknowledged;
// nullopt unless both gauges are there and readable.
std::optional<uint64_t> OutstandingFromMetrics(std::string_view text, MetricsParseErrors* errors);

// lnsim_bridge_errors_total{kind="nats_..."} in the order of the text (other kinds skipped).
std::vector<std::pair<std::string, uint64_t>> NatsErrorsFromMetrics(std::string_view text,
                                                                    MetricsParseErrors* errors);

// Not thread-safe (it counts parse errors); one run's thread uses it. Every question is one GET
// to 127.0.0.1:port bounded by kTimeout; port 0 means "no bridge to ask".
class BridgeProbe {
 public:
  static constexpr Duration kTimeout = std::chrono::seconds(3);

  explicit BridgeProbe(const Clock& clock) : clock_(clock) {}

  // /healthz answered 200: connected to NATS and the first full poll done.
  bool Ready(int port) const;
  // The /metrics text; kUnavailable when port is 0 or the bridge does not answer 200.
  StatusOr<std::string> Metrics(int port) const;

  // The counters above from a fresh scrape; nullopt (or empty) when the bridge cannot be asked.
  std::optional<uint64_t> Polls(int port);
  std::optional<uint64_t> Outstanding(int port);
  std::vector<std::pair<std::string, uint64_t>> NatsErrors(int port);

  const MetricsParseErrors& parse_errors() const { return errors_; }

 private:
  const Clock& clock_;
  MetricsParseErrors errors_;
};

}  // namespace lnsim::harness
