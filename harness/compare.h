// `lnsim compare BASELINE CURRENT`: the regression gate over `lnsim.report/v1` reports. Each side
// is one report or a set of repeated runs of the same scenario; metrics are compared one by one
// (latency percentiles per stage, throughput, the verifier's counters) and each gets a verdict.
//
// Method (stated in the output, so a reader of a CI log knows what "regressed" meant):
//  - Both sides with at least `min_repeats` reports: the medians are compared, and a latency or
//    throughput metric regresses only when the one-sided exact Mann-Whitney U test says the
//    current runs are worse (p <= alpha) AND the median moved beyond the threshold (relative,
//    plus an absolute floor for latency). Noise moves one of the two, rarely both.
//  - Otherwise (a single report on a side): plain relative thresholds on the medians.
//  - Correctness counters (lost, duplicated, reordered, phantom, misordered, sequence_gaps,
//    invalid) gate at zero: any current run above zero is a regression, whatever the baseline and
//    the noise; a report written before a counter existed reads it as 0. Redelivered and late are
//    reported, not gated.
// Pure functions over Report values; file and glob handling is in LoadReportSet.
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/report.h"

namespace lnsim::harness {

struct CompareOptions {
  double latency_threshold = 0.20;     // a latency percentile up by more than this: regression
  double throughput_threshold = 0.20;  // throughput down by more than this: regression
  // Latency changes smaller than this are never regressions (sub-millisecond jitter of a
  // loopback run is not a finding even when it is +50%).
  Duration min_latency_delta = std::chrono::milliseconds(1);
  double alpha = 0.05;     // significance level of the Mann-Whitney test
  size_t min_repeats = 3;  // reports per side needed for the test (3 vs 3: smallest p is 0.05)
};

enum class MetricKind { kLatency, kThroughput, kCounter };
enum class MetricVerdict {
  kOk,         // within the thresholds (or not significant)
  kImproved,   // better beyond the threshold
  kRegressed,  // gated and worse
  kInfo,       // reported, not gated (redelivered, late, p999, max, events)
  kNoData,     // no samples on either side
};
std::string_view MetricVerdictName(MetricVerdict verdict);

struct MetricComparison {
  std::string metric;  // SLO metric names: "p99_end_to_end", "throughput", "lost"
  MetricKind kind = MetricKind::kLatency;
  bool gated = false;
  std::vector<double> baseline;  // one value per report: ms for latency, events/s, counts
  std::vector<double> current;
  double baseline_median = 0;
  double current_median = 0;
  std::optional<double> relative_delta;  // (current - baseline) / baseline; none when baseline 0
  std::optional<double> p_value;         // Mann-Whitney, one-sided "current is worse"
  MetricVerdict verdict = MetricVerdict::kOk;
  std::string note;  // why: "p 0.05, +34% > +20%", "3 lost in 1 of 3 runs"
};

struct Comparison {
  size_t baseline_runs = 0;
  size_t current_runs = 0;
  bool statistical = false;           // the Mann-Whitney method was used
  std::string method;                 // one paragraph, printed above the table
  std::vector<std::string> warnings;  // different scenarios or seeds on the two sides, ...
  std::vector<MetricComparison> metrics;
  bool regressed = false;
  std::vector<std::string> regressions;  // one line each: "p99_end_to_end +45% (p 0.05)"
};

// Compares the two sets. LNSIM_CHECKs that neither is empty.
Comparison CompareReports(const std::vector<Report>& baseline, const std::vector<Report>& current,
                          const CompareOptions& options);

// The table with deltas and verdicts, the method above it and the result line below it.
void PrintComparison(const Comparison& comparison, std::ostream& out);
// `lnsim.compare/v1` JSON (for scripts/ci-regression's summary).
std::string ComparisonToJson(const Comparison& comparison);

// One-sided exact Mann-Whitney U p-value that the values of `worse` are stochastically greater
// than those of `better` (ties count one half). Exact over all splits of the pooled values up to
// 200k splits, the normal approximation with tie correction beyond. 1 when a side is empty.
double MannWhitneyGreaterPValue(const std::vector<double>& better,
                                const std::vector<double>& worse);
double Median(std::vector<double> values);  // 0 for an empty vector

// A report set given on the command line: a report JSON file, a directory (every *.json in it,
// sorted) or a glob pattern. kNotFound naming the argument when nothing matches or a file is
// missing; kInvalidArgument / kFailedPrecondition from ReportFromJson prefixed with the file.
StatusOr<std::vector<Report>> LoadReportSet(const std::string& argument,
                                            std::vector<std::string>* files = nullptr);

}  // namespace lnsim::harness
