// The report of one `lnsim run`, built from what the run collected: the verifier's result, the
// checks that failed along the way, the cluster faults and their timing, the environment. Pure
// functions: no clock, no files, no world; the run gathers the inputs (harness/run.cc) and these
// turn them into the lnsim.report/v1 Report (docs/report.md) and the log lines that explain it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "harness/harness_spec.h"
#include "harness/report.h"
#include "harness/slo.h"
#include "harness/verifier.h"
#include "sim/world.h"

namespace lnsim::harness {

// A fault on a `nats.cluster` member as the report needs it.
struct ClusterFaultOutcome {
  size_t window = 0;  // index of its window in the world's fault_windows()
  ClusterFault record;
  int64_t at_unix_ns = 0;  // when the member was killed or cut
};

// The verifier's fault windows: every fired window of the world, its target named as the report
// shows it ("node-1,node-2 rd", "bridge", "nats-server", or the cluster member hit). Permanent
// windows last to the end of the run.
std::vector<FaultWindowSpec> VerifierFaultWindows(
    const std::vector<sim::FaultWindow>& windows,
    const std::vector<ClusterFaultOutcome>& cluster_faults, Duration run_length);

struct ReportInputs {
  VerifierResult verdict;
  std::string trace_digest;
  // Rendered (InvariantViolation::ToString); each becomes a failed check "invariant ...".
  std::vector<std::string> invariant_violations;
  std::vector<ConsumerSpec> consumers;  // by consumer index: name and mode
  Duration run_length{0};               // the measured part of the run (drain excluded)
  int nats_cluster = 0;                 // `nats.cluster` size; a cluster section when > 1
  int stream_replicas = 1;
  std::vector<ClusterFaultOutcome> cluster_faults;
  // (observed, acked) Unix ns of every first publish (the bridge's timing side channel).
  std::vector<std::pair<int64_t, int64_t>> observed_acked;
  std::vector<std::pair<std::string, uint64_t>> publish_errors;  // the bridge's NATS errors
  Environment environment;
  uint64_t seed = 0;
  std::string scenario;
  std::string command;
  std::optional<AuthSummary> auth;
  std::vector<std::string> failed_checks;  // found during the run, in order
  std::vector<Slo> slos;                   // empty = exactly-once (lost, duplicated, ... == 0)
  uint64_t decode_errors = 0;              // receipts that were not valid events
  std::vector<Example> invalid_examples;   // their subjects and rules (Receipts)
};

// The SLO `<counter> == 0` for each documented promise (misordered, sequence_gaps, invalid) that
// `slos` does not already gate: these are checked by default, whatever the scenario's list; a
// scenario loosens one by naming it (`misordered <= 3`).
std::vector<Slo> WithPromiseSlos(std::vector<Slo> slos);

// The report, SLOs applied. failed_checks: the run's, then the invariants, then every consumer
// that did not converge to the world's final state.
Report BuildReport(const ReportInputs& inputs);

// Lines for the human log that say why the verdict is what it is: undecodable receipts, and the
// sampled lost and phantom events per consumer.
std::vector<std::string> VerdictLogLines(const ReportInputs& inputs);

}  // namespace lnsim::harness
