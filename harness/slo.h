// SLO expressions: the one syntax of scenario files (`slo:` list) and `--slo` flags, e.g.
// `p99_end_to_end < 2s`, `lost == 0`, `throughput >= 1000`. Metrics are named after the report's
// fields, so what a CI gate checks is exactly what the report shows.
//
// Grammar: METRIC OP VALUE, blanks optional around OP.
//   METRIC  counters: lost duplicated reordered phantom late redelivered world_changes
//                     delivered (events: the older name of world_changes)
//           latency:  (p50|p90|p99|p999|max)_(observe|publish|deliver|end_to_end)
//           rate:     throughput (delivered events per second)
//   OP      < <= > >= == !=
//   VALUE   latency: a duration with its unit (250ms, 2s, 1.5s); counters: a non-negative
//           integer; throughput: a non-negative number, optionally suffixed "/s".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "harness/report.h"

namespace lnsim::harness {

enum class SloOp : uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };
enum class SloMetricKind : uint8_t { kCounter, kLatency, kThroughput };

struct Slo {
  std::string expression;  // normalised: "p99_end_to_end < 2s"
  std::string metric;      // "p99_end_to_end"
  SloMetricKind kind = SloMetricKind::kCounter;
  SloOp op = SloOp::kEqual;
  // Threshold: nanoseconds for latency, count for counters, events/s for throughput.
  double threshold = 0;
  // Latency only: the quantile (0.5, 0.9, 0.99, 0.999, 1.0 for max) and the stage.
  double quantile = 0;
  Stage stage = Stage::kEndToEnd;
};

// kInvalidArgument naming the expression and what is wrong with it (unknown metric with the
// list of known ones, missing or unknown operator, latency without a unit, negative count...).
StatusOr<Slo> ParseSlo(std::string_view expression);
// Parses each; the first error wins, prefixed with its position ("slo[2]").
StatusOr<std::vector<Slo>> ParseSlos(const std::vector<std::string>& expressions);

// Judges one SLO against a report. A latency SLO over a stage without samples fails ("no
// samples"): nothing measured cannot prove a bound.
SloResult EvaluateSlo(const Slo& slo, const Report& report);
// Evaluates all, stores the results in report->slos and sets report->passed (all SLOs passed
// and no failed check).
void ApplySlos(const std::vector<Slo>& slos, Report* report);

std::string_view SloOpText(SloOp op);

}  // namespace lnsim::harness
