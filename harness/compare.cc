// lnsim compare: see compare.h for the method.
#include "harness/compare.h"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/check.h"

namespace lnsim::harness {
namespace {

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", fraction * 100.0);
  return buf;
}

std::string FormatValue(MetricKind kind, double v) {
  char buf[48];
  switch (kind) {
    case MetricKind::kLatency:
      std::snprintf(buf, sizeof buf, "%.3fms", v);
      break;
    case MetricKind::kThroughput:
      std::snprintf(buf, sizeof buf, "%.1f/s", v);
      break;
    case MetricKind::kCounter:
      std::snprintf(buf, sizeof buf, "%.0f", v);
      break;
  }
  return buf;
}

struct MetricSpec {
  std::string name;
  MetricKind kind;
  bool gated;
  std::function<double(const Report&)> get;
  std::function<bool(const Report&)> has_data;  // latency: the stage has samples
};

std::vector<MetricSpec> MetricSpecs() {
  std::vector<MetricSpec> specs;
  const Stage stages[] = {Stage::kEndToEnd, Stage::kObserve, Stage::kPublish, Stage::kDeliver};
  struct Q {
    const char* name;
    bool gated;
    uint64_t StageSummary::*field;
  };
  const Q quantiles[] = {{"p50", true, &StageSummary::p50_ns},
                         {"p90", true, &StageSummary::p90_ns},
                         {"p99", true, &StageSummary::p99_ns},
                         {"p999", false, &StageSummary::p999_ns},
                         {"max", false, &StageSummary::max_ns}};
  for (Stage stage : stages) {
    for (const Q& q : quantiles) {
      auto field = q.field;
      specs.push_back({q.name + std::string("_") + std::string(StageName(stage)),
                       MetricKind::kLatency, q.gated,
                       [stage, field](const Report& r) {
                         return static_cast<double>(r.stage(stage).*field) / 1e6;
                       },
                       [stage](const Report& r) { return r.stage(stage).count > 0; }});
    }
  }
  specs.push_back({"throughput", MetricKind::kThroughput, true,
                   [](const Report& r) { return r.throughput; }, nullptr});
  struct C {
    const char* name;
    bool gated;
    uint64_t VerdictCounters::*field;
  };
  const C counters[] = {{"lost", true, &VerdictCounters::lost},
                        {"duplicated", true, &VerdictCounters::duplicated},
                        {"reordered", true, &VerdictCounters::reordered},
                        {"phantom", true, &VerdictCounters::phantom},
                        {"misordered", true, &VerdictCounters::misordered},
                        {"sequence_gaps", true, &VerdictCounters::sequence_gaps},
                        {"invalid", true, &VerdictCounters::invalid},
                        {"redelivered", false, &VerdictCounters::redelivered},
                        {"late", false, &VerdictCounters::late},
                        {"delivered", false, &VerdictCounters::delivered}};
  for (const C& c : counters) {
    auto field = c.field;
    specs.push_back({c.name, MetricKind::kCounter, c.gated,
                     [field](const Report& r) { return static_cast<double>(r.totals.*field); },
                     nullptr});
  }
  specs.push_back({"world_changes", MetricKind::kCounter, false,
                   [](const Report& r) { return static_cast<double>(r.events); }, nullptr});
  return specs;
}

// Enumerates every way of choosing `k` of `n` pooled indices as the "worse" side and counts
// the splits whose U is at least `u_observed`.
void CountSplits(const std::vector<double>& pooled, size_t k, size_t start,
                 std::vector<size_t>* chosen, double u_observed, uint64_t* at_least,
                 uint64_t* total) {
  if (chosen->size() == k) {
    std::vector<bool> in(pooled.size(), false);
    for (size_t i : *chosen) in[i] = true;
    double u = 0;
    for (size_t i : *chosen) {
      for (size_t j = 0; j < pooled.size(); ++j) {
        if (in[j]) continue;
        if (pooled[i] > pooled[j]) u += 1;
        if (pooled[i] == pooled[j]) u += 0.5;
      }
    }
    ++*total;
    if (u >= u_observed - 1e-9) ++*at_least;
    return;
  }
  for (size_t i = start; i + (k - chosen->size()) <= pooled.size(); ++i) {
    chosen->push_back(i);
    CountSplits(pooled, k, i + 1, chosen, u_observed, at_least, total);
    chosen->pop_back();
  }
}

double Binomial(size_t n, size_t k) {
  double r = 1;
  for (size_t i = 1; i <= k; ++i) r = r * static_cast<double>(n - k + i) / static_cast<double>(i);
  return r;
}

}  // namespace

std::string_view MetricVerdictName(MetricVerdict verdict) {
  switch (verdict) {
    case MetricVerdict::kOk:
      return "ok";
    case MetricVerdict::kImproved:
      return "improved";
    case MetricVerdict::kRegressed:
      return "REGRESSED";
    case MetricVerdict::kInfo:
      return "info";
    case MetricVerdict::kNoData:
      return "no data";
  }
  return "?";
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

double MannWhitneyGreaterPValue(const std::vector<double>& better,
                                const std::vector<double>& worse) {
  if (better.empty() || worse.empty()) return 1.0;
  double u = 0;
  for (double w : worse) {
    for (double b : better) {
      if (w > b) u += 1;
      if (w == b) u += 0.5;
    }
  }
  std::vector<double> pooled = worse;
  pooled.insert(pooled.end(), better.begin(), better.end());
  const size_t n = pooled.size();
  const size_t k = worse.size();
  if (Binomial(n, k) <= 200000) {
    uint64_t at_least = 0, total = 0;
    std::vector<size_t> chosen;
    CountSplits(pooled, k, 0, &chosen, u, &at_least, &total);
    return static_cast<double>(at_least) / static_cast<double>(total);
  }
  // Normal approximation with tie correction and continuity correction.
  const double n1 = static_cast<double>(k), n2 = static_cast<double>(better.size());
  std::vector<double> sorted = pooled;
  std::sort(sorted.begin(), sorted.end());
  double tie_term = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i);
    tie_term += t * t * t - t;
    i = j;
  }
  const double nn = n1 + n2;
  const double variance = n1 * n2 / 12.0 * ((nn + 1) - tie_term / (nn * (nn - 1)));
  if (variance <= 0) return 1.0;
  const double z = (u - n1 * n2 / 2.0 - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

Comparison CompareReports(const std::vector<Report>& baseline, const std::vector<Report>& current,
                          const CompareOptions& options) {
  LNSIM_CHECK(!baseline.empty() && !current.empty());
  Comparison c;
  c.baseline_runs = baseline.size();
  c.current_runs = current.size();
  c.statistical = baseline.size() >= options.min_repeats && current.size() >= options.min_repeats;
  const double floor_ms = static_cast<double>(options.min_latency_delta.count()) / 1e6;
  {
    std::ostringstream m;
    if (c.statistical) {
      m << "repeats on both sides: medians compared; a latency or throughput metric regresses "
           "when the one-sided exact Mann-Whitney U test finds the current runs worse (p <= "
        << options.alpha << ") and the median moved beyond the threshold";
    } else {
      m << "fewer than " << options.min_repeats
        << " runs on a side: plain relative thresholds on the medians, no significance test";
    }
    m << ". Thresholds: latency p50/p90/p99 " << Percent(options.latency_threshold)
      << " and at least " << floor_ms << "ms, throughput " << Percent(-options.throughput_threshold)
      << ". Correctness counters (lost, duplicated, reordered, phantom, misordered, "
         "sequence_gaps, invalid; 0 when a report predates one) gate at zero in every current "
         "run. p999, max, redelivered, late, delivered and events are reported, not gated.";
    c.method = m.str();
  }
  std::set<std::string> scenarios;
  for (const Report& r : baseline) scenarios.insert(r.scenario);
  for (const Report& r : current) scenarios.insert(r.scenario);
  if (scenarios.size() > 1) {
    std::string list;
    for (const auto& s : scenarios) list += (list.empty() ? "" : ", ") + s;
    c.warnings.push_back("the reports come from different scenarios: " + list);
  }

  for (const MetricSpec& spec : MetricSpecs()) {
    MetricComparison m;
    m.metric = spec.name;
    m.kind = spec.kind;
    m.gated = spec.gated;
    bool baseline_data = false, current_data = false;
    for (const Report& r : baseline) {
      if (spec.has_data && !spec.has_data(r)) continue;
      baseline_data = true;
      m.baseline.push_back(spec.get(r));
    }
    for (const Report& r : current) {
      if (spec.has_data && !spec.has_data(r)) continue;
      current_data = true;
      m.current.push_back(spec.get(r));
    }
    if (!baseline_data && !current_data) continue;  // a stage nobody measured: not a row
    m.baseline_median = Median(m.baseline);
    m.current_median = Median(m.current);
    if (baseline_data && m.baseline_median != 0) {
      m.relative_delta = (m.current_median - m.baseline_median) / m.baseline_median;
    }
    if (spec.kind == MetricKind::kCounter) {
      const size_t nonzero = static_cast<size_t>(
          std::count_if(m.current.begin(), m.current.end(), [](double v) { return v > 0; }));
      if (!spec.gated) {
        m.verdict = MetricVerdict::kInfo;
      } else if (nonzero > 0) {
        m.verdict = MetricVerdict::kRegressed;
        const double worst = *std::max_element(m.current.begin(), m.current.end());
        m.note = FormatValue(spec.kind, worst) + " " + spec.name + " (max) in " +
                 std::to_string(nonzero) + " of " + std::to_string(m.current.size()) +
                 " current run(s); gated at zero";
      }
      c.metrics.push_back(std::move(m));
      continue;
    }
    if (!baseline_data || !current_data) {
      m.verdict = spec.gated && baseline_data ? MetricVerdict::kRegressed : MetricVerdict::kNoData;
      m.note = baseline_data ? "no samples in the current runs" : "no samples in the baseline";
      c.metrics.push_back(std::move(m));
      continue;
    }
    const bool higher_is_worse = spec.kind == MetricKind::kLatency;
    const double threshold =
        higher_is_worse ? options.latency_threshold : options.throughput_threshold;
    const double worse_by = higher_is_worse ? m.current_median - m.baseline_median
                                            : m.baseline_median - m.current_median;
    const double better_by = -worse_by;
    const double base = std::abs(m.baseline_median);
    const bool beyond_worse =
        worse_by > threshold * base && (!higher_is_worse || worse_by >= floor_ms);
    const bool beyond_better =
        better_by > threshold * base && (!higher_is_worse || better_by >= floor_ms);
    bool significant_worse = true, significant_better = true;
    if (c.statistical) {
      const double p_worse = higher_is_worse ? MannWhitneyGreaterPValue(m.baseline, m.current)
                                             : MannWhitneyGreaterPValue(m.current, m.baseline);
      const double p_better = higher_is_worse ? MannWhitneyGreaterPValue(m.current, m.baseline)
                                              : MannWhitneyGreaterPValue(m.baseline, m.current);
      m.p_value = p_worse;
      significant_worse = p_worse <= options.alpha + 1e-12;
      significant_better = p_better <= options.alpha + 1e-12;
    }
    if (!spec.gated) {
      m.verdict = MetricVerdict::kInfo;
    } else if (beyond_worse && significant_worse) {
      m.verdict = MetricVerdict::kRegressed;
    } else if (beyond_better && significant_better) {
      m.verdict = MetricVerdict::kImproved;
    }
    if (m.gated && beyond_worse && !significant_worse) {
      m.note = "beyond the threshold but not significant (noise)";
    } else if (m.verdict == MetricVerdict::kRegressed) {
      m.note = (m.relative_delta ? Percent(*m.relative_delta) : std::string("from 0")) +
               " beyond " + Percent(higher_is_worse ? threshold : -threshold);
    }
    c.metrics.push_back(std::move(m));
  }
  for (const MetricComparison& m : c.metrics) {
    if (m.verdict != MetricVerdict::kRegressed) continue;
    c.regressed = true;
    std::string line = m.metric + ": " + FormatValue(m.kind, m.baseline_median) + " -> " +
                       FormatValue(m.kind, m.current_median);
    if (!m.note.empty()) line += " (" + m.note + ")";
    if (m.p_value) {
      char p[32];
      std::snprintf(p, sizeof p, ", p %.3g", *m.p_value);
      line.insert(line.size() - (m.note.empty() ? 0 : 1), p);
    }
    c.regressions.push_back(line);
  }
  return c;
}

void PrintComparison(const Comparison& c, std::ostream& out) {
  out << "lnsim compare: baseline " << c.baseline_runs << " run(s), current " << c.current_runs
      << " run(s)\n";
  out << "method: " << c.method << "\n";
  for (const auto& w : c.warnings) out << "warning: " << w << "\n";
  out << "\n"
      << std::left << std::setw(20) << "metric" << std::right << std::setw(14) << "baseline"
      << std::setw(14) << "current" << std::setw(10) << "delta" << std::setw(8) << "p"
      << "  verdict\n";
  for (const MetricComparison& m : c.metrics) {
    std::string delta = m.relative_delta ? Percent(*m.relative_delta) : "";
    if (!m.relative_delta && m.current_median != m.baseline_median) delta = "new";
    char p[16] = "";
    if (m.p_value) std::snprintf(p, sizeof p, "%.3g", *m.p_value);
    out << std::left << std::setw(20) << m.metric << std::right << std::setw(14)
        << (m.baseline.empty() ? "-" : FormatValue(m.kind, m.baseline_median)) << std::setw(14)
        << (m.current.empty() ? "-" : FormatValue(m.kind, m.current_median)) << std::setw(10)
        << delta << std::setw(8) << p << "  " << MetricVerdictName(m.verdict);
    if (!m.note.empty()) out << "  " << m.note;
    out << "\n";
  }
  out << "\n";
  if (c.regressed) {
    out << "REGRESSION in " << c.regressions.size() << " metric(s):\n";
    for (const auto& r : c.regressions) out << "  " << r << "\n";
  } else {
    out << "no regression\n";
  }
}

std::string ComparisonToJson(const Comparison& c) {
  nlohmann::ordered_json j;
  j["schema"] = "lnsim.compare/v1";
  j["regressed"] = c.regressed;
  j["baseline_runs"] = c.baseline_runs;
  j["current_runs"] = c.current_runs;
  j["statistical"] = c.statistical;
  j["method"] = c.method;
  j["warnings"] = c.warnings;
  j["regressions"] = c.regressions;
  nlohmann::ordered_json metrics = nlohmann::ordered_json::array();
  for (const MetricComparison& m : c.metrics) {
    nlohmann::ordered_json e;
    e["metric"] = m.metric;
    e["kind"] = m.kind == MetricKind::kLatency      ? "latency_ms"
                : m.kind == MetricKind::kThroughput ? "throughput"
                                                    : "counter";
    e["gated"] = m.gated;
    e["baseline"] = m.baseline;
    e["current"] = m.current;
    e["baseline_median"] = m.baseline_median;
    e["current_median"] = m.current_median;
    e["relative_delta"] = m.relative_delta ? nlohmann::ordered_json(*m.relative_delta) : nullptr;
    e["p_value"] = m.p_value ? nlohmann::ordered_json(*m.p_value) : nullptr;
    e["verdict"] = std::string(MetricVerdictName(m.verdict));
    e["note"] = m.note;
    metrics.push_back(std::move(e));
  }
  j["metrics"] = std::move(metrics);
  return j.dump(2) + "\n";
}

StatusOr<std::vector<Report>> LoadReportSet(const std::string& argument,
                                            std::vector<std::string>* files_out) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(argument, ec)) {
    for (const auto& entry : fs::directory_iterator(argument, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) return NotFoundError(argument + ": a directory without *.json reports");
  } else if (fs::exists(argument, ec)) {
    files.push_back(argument);
  } else if (argument.find_first_of("*?[") != std::string::npos) {
    glob_t g{};
    if (glob(argument.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.push_back(g.gl_pathv[i]);
    }
    globfree(&g);
    std::sort(files.begin(), files.end());
    if (files.empty()) return NotFoundError(argument + ": no file matches the pattern");
  } else {
    return NotFoundError(argument + ": no such file or directory");
  }
  std::vector<Report> reports;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return NotFoundError(file + ": cannot open: " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    auto report = ReportFromJson(text.str());
    if (!report.ok()) return report.status().WithPrefix(file);
    reports.push_back(std::move(report).value());
  }
  if (files_out != nullptr) *files_out = files;
  return reports;
}

}  // namespace lnsim::harness
