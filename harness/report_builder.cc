// The report of a run from what it collected; see report_builder.h.
#include "harness/report_builder.h"

#include <algorithm>

#include "harness/invariants.h"

namespace lnsim::harness {
namespace {

std::string WindowTarget(const sim::FaultWindow& w, size_t index,
                         const std::vector<ClusterFaultOutcome>& cluster_faults) {
  std::string target;
  for (const auto& n : w.nodes) target += (target.empty() ? "" : ",") + n;
  if (!w.resource.empty()) target += (target.empty() ? "" : " ") + w.resource;
  if (w.kind == sim::FaultKind::kBridgeKill) target = "bridge";
  if (w.kind == sim::FaultKind::kNatsRestart) target = "nats-server";
  for (const ClusterFaultOutcome& c : cluster_faults) {
    if (c.window != index) continue;
    target = c.record.member + (c.record.was_leader ? " (stream leader)" : "");
    if (w.kind == sim::FaultKind::kNetwork) target += " routes";
  }
  return target;
}

ClusterSummary BuildClusterSummary(const ReportInputs& in) {
  ClusterSummary summary;
  summary.size = in.nats_cluster;
  summary.replicas = in.stream_replicas;
  for (const ClusterFaultOutcome& c : in.cluster_faults) {
    ClusterFault record = c.record;
    // The first event the bridge observed after the kill or cut that was acknowledged (its
    // timing side channel): publishes already in flight at the fault do not count.
    int64_t first = 0;
    for (const auto& [observed, acked] : in.observed_acked) {
      if (observed > c.at_unix_ns && acked > 0 && (first == 0 || acked < first)) first = acked;
    }
    if (first > 0) record.first_ack_ms = static_cast<double>(first - c.at_unix_ns) / 1e6;
    summary.faults.push_back(std::move(record));
  }
  summary.publish_errors = in.publish_errors;
  return summary;
}

// The invariant a rendered violation ("consumer js-1: size-by-resize: ...") broke; "" if none.
std::string_view InvariantOf(const std::string& rendered) {
  for (std::string_view name : kInvariantNames) {
    if (rendered.find(": " + std::string(name) + ": ") != std::string::npos) return name;
  }
  return "";
}

// Every check, passing or not: the SLOs (already applied), each consumer's convergence, each
// invariant, and the run's own steps (one check, failed when any step failed).
std::vector<Check> AllChecks(const ReportInputs& in, const Report& report) {
  std::vector<Check> checks;
  for (const SloResult& s : report.slos) {
    checks.push_back({s.expression, kCheckSlo, s.passed, "measured " + s.measured});
  }
  for (const ConsumerVerdict& c : report.per_consumer) {
    checks.push_back({"consumer " + c.name, kCheckConvergence, c.converged,
                      c.converged ? "converged to the world's final state"
                                  : "did not converge to the world's final state"});
  }
  for (std::string_view name : kInvariantNames) {
    Check check{std::string(name), kCheckInvariants, true, "held in the world and every stream"};
    size_t broken = 0;
    for (const std::string& v : in.invariant_violations) {
      if (InvariantOf(v) != name) continue;
      if (broken++ == 0) check.detail = v.substr(0, v.find('\n'));
    }
    if (broken > 0) {
      check.passed = false;
      if (broken > 1) check.detail += " (and " + std::to_string(broken - 1) + " more)";
    }
    checks.push_back(std::move(check));
  }
  Check run{"run", kCheckRun, in.failed_checks.empty(), "every step of the run completed"};
  // Violations of an invariant this build does not name still fail a check.
  std::vector<std::string> steps = in.failed_checks;
  for (const std::string& v : in.invariant_violations) {
    if (InvariantOf(v).empty()) steps.push_back("invariant " + v);
  }
  if (!steps.empty()) {
    run.passed = false;
    run.detail.clear();
    for (const std::string& f : steps) run.detail += (run.detail.empty() ? "" : "; ") + f;
  }
  checks.push_back(std::move(run));
  return checks;
}

}  // namespace

std::vector<FaultWindowSpec> VerifierFaultWindows(
    const std::vector<sim::FaultWindow>& windows,
    const std::vector<ClusterFaultOutcome>& cluster_faults, Duration run_length) {
  std::vector<FaultWindowSpec> out;
  for (size_t i = 0; i < windows.size(); ++i) {
    const sim::FaultWindow& w = windows[i];
    if (!w.fired) continue;
    FaultWindowSpec fs;
    fs.kind = std::string(sim::Name(w.kind));
    fs.target = WindowTarget(w, i, cluster_faults);
    fs.start_ns = w.start.count();
    fs.end_ns = w.permanent ? run_length.count() : std::max(w.end, w.start).count();
    out.push_back(std::move(fs));
  }
  return out;
}

std::vector<Slo> WithPromiseSlos(std::vector<Slo> slos) {
  for (const char* promise : {"misordered", "sequence_gaps", "invalid"}) {
    bool named = false;
    for (const Slo& s : slos) named = named || s.metric == promise;
    if (named) continue;
    auto gate = ParseSlos({std::string(promise) + " == 0"});
    if (gate.ok()) slos.push_back(gate->front());
  }
  return slos;
}

Report BuildReport(const ReportInputs& in) {
  Report report;
  const VerifierResult& result = in.verdict;
  std::vector<std::string> failed = in.failed_checks;
  for (const std::string& v : in.invariant_violations) failed.push_back("invariant " + v);
  report.trace_digest = in.trace_digest;
  report.totals = result.totals;
  for (size_t i = 0; i < in.consumers.size(); ++i) {
    ConsumerVerdict cv;
    cv.name = in.consumers[i].name;
    cv.mode = std::string(ConsumerModeName(in.consumers[i].mode));
    if (i < result.per_consumer.size()) cv.counters = result.per_consumer[i];
    if (i < result.examples.size()) {
      for (Example e : result.examples[i]) {
        e.consumer = cv.name;
        report.examples.push_back(std::move(e));
      }
    }
    cv.converged = i < result.converged.size() ? result.converged[i] : false;
    if (!cv.converged) {
      failed.push_back("consumer " + cv.name + " did not converge to the world's final state");
    }
    report.per_consumer.push_back(cv);
  }
  for (int s = 0; s < kStageCount; ++s) report.latency[s] = StageSummary::From(result.latency[s]);
  report.duration_s = std::chrono::duration<double>(in.run_length).count();
  report.throughput =
      report.duration_s > 0 ? static_cast<double>(report.totals.delivered) / report.duration_s : 0;
  report.events = result.expected;
  report.faults = result.faults;
  if (in.nats_cluster > 1) report.cluster = BuildClusterSummary(in);
  report.environment = in.environment;
  report.seed = in.seed;
  report.scenario = in.scenario;
  report.command = in.command;
  report.auth = in.auth;
  report.failed_checks = std::move(failed);
  report.examples.insert(report.examples.end(), in.invalid_examples.begin(),
                         in.invalid_examples.end());
  std::vector<Slo> slos = in.slos;
  if (slos.empty()) {
    // No `slo` section: exactly-once is the contract (core NATS reports its losses honestly).
    auto defaults = ParseSlos({"lost == 0", "duplicated == 0", "reordered == 0", "phantom == 0"});
    if (defaults.ok()) slos = *defaults;
  }
  ApplySlos(WithPromiseSlos(std::move(slos)), &report);
  report.checks = AllChecks(in, report);
  report.samples = result.samples;
  report.samples_recorded = true;
  return report;
}

std::vector<std::string> VerdictLogLines(const ReportInputs& in) {
  std::vector<std::string> lines;
  auto name = [&](size_t c) {
    return c < in.consumers.size() ? in.consumers[c].name : std::to_string(c);
  };
  if (in.decode_errors > 0) {
    // Counted in `invalid` by the verifier; say which subjects and rules too.
    lines.push_back(std::to_string(in.decode_errors) + " received messages were not valid events");
    for (const Example& e : in.invalid_examples) {
      lines.push_back("invalid (" + e.consumer + "): " + e.key + ": " + e.rule);
    }
  }
  // The order and sequence promises, with the events that broke them (lost and phantom have
  // their samples below; invalid is above).
  for (size_t c = 0; c < in.verdict.examples.size(); ++c) {
    for (const Example& e : in.verdict.examples[c]) {
      if (e.counter != "misordered" && e.counter != "sequence_gaps" && e.counter != "reordered") {
        continue;
      }
      std::string events;
      for (const std::string& ev : e.events) events += (events.empty() ? "" : " then ") + ev;
      lines.push_back(e.counter + " (" + name(c) + "): " + e.key + ": " + events + ": " + e.rule);
    }
  }
  for (size_t c = 0; c < in.verdict.lost_samples.size(); ++c) {
    for (const auto& s : in.verdict.lost_samples[c])
      lines.push_back("lost (" + name(c) + "): " + s);
  }
  for (size_t c = 0; c < in.verdict.phantom_samples.size(); ++c) {
    for (const auto& s : in.verdict.phantom_samples[c]) {
      lines.push_back("phantom (" + name(c) + "): " + s);
    }
  }
  return lines;
}

}  // namespace lnsim::harness
