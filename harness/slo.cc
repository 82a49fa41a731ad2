// SLO parsing and evaluation; see slo.h for the grammar.
#include "harness/slo.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/duration.h"

namespace lnsim::harness {
namespace {

// `events` is the older name of `world_changes` (the report's JSON key), still accepted.
constexpr std::string_view kCounterMetrics[] = {
    "lost",       "duplicated",    "reordered", "phantom",       "late",      "redelivered",
    "misordered", "sequence_gaps", "invalid",   "world_changes", "delivered", "events"};
struct QuantileName {
  std::string_view name;
  double q;
};
constexpr QuantileName kQuantiles[] = {
    {"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p999", 0.999}, {"max", 1.0}};
constexpr Stage kStages[] = {Stage::kObserve, Stage::kPublish, Stage::kDeliver, Stage::kEndToEnd};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string KnownMetrics() {
  std::string out;
  for (auto m : kCounterMetrics) out += std::string(m) + ", ";
  out += "throughput, (p50|p90|p99|p999|max)_(observe|publish|deliver|end_to_end)";
  return out;
}

uint64_t CounterValue(const Report& report, std::string_view metric) {
  const VerdictCounters& c = report.totals;
  if (metric == "lost") return c.lost;
  if (metric == "duplicated") return c.duplicated;
  if (metric == "reordered") return c.reordered;
  if (metric == "phantom") return c.phantom;
  if (metric == "late") return c.late;
  if (metric == "redelivered") return c.redelivered;
  if (metric == "misordered") return c.misordered;
  if (metric == "sequence_gaps") return c.sequence_gaps;
  if (metric == "invalid") return c.invalid;
  if (metric == "delivered") return c.delivered;
  if (metric == "world_changes" || metric == "events") return report.events;
  LNSIM_CHECK(false) << "unknown counter metric " << metric;
  return 0;
}

uint64_t QuantileOf(const StageSummary& s, double q) {
  if (q >= 1.0) return s.max_ns;
  if (q >= 0.999) return s.p999_ns;
  if (q >= 0.99) return s.p99_ns;
  if (q >= 0.9) return s.p90_ns;
  return s.p50_ns;
}

bool Compare(double measured, SloOp op, double threshold) {
  switch (op) {
    case SloOp::kLess:
      return measured < threshold;
    case SloOp::kLessEqual:
      return measured <= threshold;
    case SloOp::kGreater:
      return measured > threshold;
    case SloOp::kGreaterEqual:
      return measured >= threshold;
    case SloOp::kEqual:
      return measured == threshold;
    case SloOp::kNotEqual:
      return measured != threshold;
  }
  return false;
}

std::string FormatNumber(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.6g", v);
  }
  return buf;
}

}  // namespace

std::string_view SloOpText(SloOp op) {
  switch (op) {
    case SloOp::kLess:
      return "<";
    case SloOp::kLessEqual:
      return "<=";
    case SloOp::kGreater:
      return ">";
    case SloOp::kGreaterEqual:
      return ">=";
    case SloOp::kEqual:
      return "==";
    case SloOp::kNotEqual:
      return "!=";
  }
  return "?";
}

namespace {

// The error of an expression that cannot be parsed, with an example of one that can.
Status SloError(const std::string& original, const std::string& why) {
  return InvalidArgumentError("slo '" + original + "': " + why +
                              " (write e.g. 'p99_end_to_end < 2s' or 'lost == 0')");
}

std::optional<SloOp> ParseSloOp(std::string_view op_text) {
  if (op_text == "<") return SloOp::kLess;
  if (op_text == "<=") return SloOp::kLessEqual;
  if (op_text == ">") return SloOp::kGreater;
  if (op_text == ">=") return SloOp::kGreaterEqual;
  if (op_text == "==") return SloOp::kEqual;
  if (op_text == "!=") return SloOp::kNotEqual;
  return std::nullopt;
}

// A count: a non-negative integer.
Status ParseCounterValue(const std::string& original, std::string_view value, Slo* slo) {
  slo->kind = SloMetricKind::kCounter;
  for (char ch : value) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) {
      return SloError(original, "'" + slo->metric +
                                    "' is a count: the value must be a non-negative integer, "
                                    "not '" +
                                    std::string(value) + "'");
    }
  }
  slo->threshold = std::strtod(std::string(value).c_str(), nullptr);
  return OkStatus();
}

// Events per second: a non-negative number, "/s" optional.
Status ParseThroughputValue(const std::string& original, std::string_view value, Slo* slo) {
  slo->kind = SloMetricKind::kThroughput;
  std::string_view number = value;
  if (number.size() > 2 && number.substr(number.size() - 2) == "/s") {
    number = Trim(number.substr(0, number.size() - 2));
  }
  const std::string n(number);
  char* end = nullptr;
  const double v = std::strtod(n.c_str(), &end);
  if (n.empty() || end != n.c_str() + n.size() || !(v >= 0) || !std::isfinite(v)) {
    return SloError(original,
                    "'throughput' is events per second: the value must be a non-negative "
                    "number, not '" +
                        std::string(value) + "'");
  }
  slo->threshold = v;
  return OkStatus();
}

// "<quantile>_<stage>" with a duration (a unit is required).
Status ParseLatency(const std::string& original, std::string_view metric, std::string_view value,
                    Slo* slo) {
  const size_t underscore = metric.find('_');
  bool found_quantile = false, found_stage = false;
  if (underscore != std::string_view::npos) {
    const std::string_view q = metric.substr(0, underscore);
    const std::string_view stage = metric.substr(underscore + 1);
    for (const auto& qn : kQuantiles) {
      if (q == qn.name) {
        slo->quantile = qn.q;
        found_quantile = true;
      }
    }
    for (Stage s : kStages) {
      if (stage == StageName(s)) {
        slo->stage = s;
        found_stage = true;
      }
    }
  }
  if (!found_quantile || !found_stage) {
    return SloError(original, "unknown metric '" + slo->metric + "'; known: " + KnownMetrics());
  }
  slo->kind = SloMetricKind::kLatency;
  bool plain_number = true;
  for (char ch : value) {
    plain_number &= (std::isdigit(static_cast<unsigned char>(ch)) || ch == '.');
  }
  if (plain_number) {
    return SloError(original, "'" + slo->metric + "' is a latency: give the value a unit, e.g. " +
                                  std::string(value) + "ms or " + std::string(value) + "s");
  }
  auto d = ParseDuration(value);
  if (!d.ok()) return SloError(original, d.status().message());
  slo->threshold = static_cast<double>(d->count());
  return OkStatus();
}

}  // namespace

StatusOr<Slo> ParseSlo(std::string_view text) {
  const std::string original(text);
  text = Trim(text);
  if (text.empty()) return SloError(original, "empty expression");
  const size_t op_pos = text.find_first_of("<>=!");
  if (op_pos == std::string_view::npos) {
    return SloError(original, "no comparison operator (< <= > >= == !=)");
  }
  const std::string_view metric = Trim(text.substr(0, op_pos));
  size_t op_len = 1;
  if (op_pos + 1 < text.size() && text[op_pos + 1] == '=') op_len = 2;
  const std::string_view op_text = text.substr(op_pos, op_len);
  const std::string_view value = Trim(text.substr(op_pos + op_len));

  Slo slo;
  const std::optional<SloOp> op = ParseSloOp(op_text);
  if (!op) return SloError(original, "unknown operator '" + std::string(op_text) + "'");
  slo.op = *op;
  if (metric.empty()) return SloError(original, "no metric before '" + std::string(op_text) + "'");
  if (value.empty()) return SloError(original, "no value after '" + std::string(op_text) + "'");
  if (value.find_first_of("<>=!") != std::string_view::npos) {
    return SloError(original, "more than one operator");
  }
  slo.metric = std::string(metric);

  bool known = false;
  for (auto m : kCounterMetrics) known |= (metric == m);
  if (known) {
    LNSIM_RETURN_IF_ERROR(ParseCounterValue(original, value, &slo));
  } else if (metric == "throughput") {
    LNSIM_RETURN_IF_ERROR(ParseThroughputValue(original, value, &slo));
  } else {
    LNSIM_RETURN_IF_ERROR(ParseLatency(original, metric, value, &slo));
  }
  slo.expression = slo.metric + " " + std::string(SloOpText(slo.op)) + " " + std::string(value);
  return slo;
}

StatusOr<std::vector<Slo>> ParseSlos(const std::vector<std::string>& expressions) {
  std::vector<Slo> out;
  for (size_t i = 0; i < expressions.size(); ++i) {
    auto slo = ParseSlo(expressions[i]);
    if (!slo.ok()) return slo.status().WithPrefix("slo[" + std::to_string(i) + "]");
    out.push_back(std::move(slo).value());
  }
  return out;
}

SloResult EvaluateSlo(const Slo& slo, const Report& report) {
  SloResult result;
  result.expression = slo.expression;
  double measured = 0;
  switch (slo.kind) {
    case SloMetricKind::kCounter:
      measured = static_cast<double>(CounterValue(report, slo.metric));
      result.measured = FormatNumber(measured);
      break;
    case SloMetricKind::kThroughput:
      measured = report.throughput;
      result.measured = FormatNumber(std::round(measured * 10) / 10) + "/s";
      break;
    case SloMetricKind::kLatency: {
      const StageSummary& stage = report.stage(slo.stage);
      if (stage.count == 0) {
        result.measured = "no samples";
        result.passed = false;
        return result;
      }
      const uint64_t ns = QuantileOf(stage, slo.quantile);
      measured = static_cast<double>(ns);
      result.measured = FormatDurationHuman(Duration(static_cast<int64_t>(ns)));
      break;
    }
  }
  result.passed = Compare(measured, slo.op, slo.threshold);
  return result;
}

void ApplySlos(const std::vector<Slo>& slos, Report* report) {
  report->slos.clear();
  bool passed = report->failed_checks.empty();
  for (const Slo& slo : slos) {
    report->slos.push_back(EvaluateSlo(slo, *report));
    passed &= report->slos.back().passed;
  }
  report->passed = passed;
}

}  // namespace lnsim::harness
