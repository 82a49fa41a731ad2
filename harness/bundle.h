// Reproduction bundles: what `lnsim run --bundle DIR` (and every failed run, into its kept work
// dir) writes so that a failure can be replayed and studied without the original machine:
//   scenario.yaml   the scenario as run (text of the file, or of the in-memory variant)
//   run.json        lnsim.bundle/v1 manifest: seed, overrides, trace digest, verdict summary
//   seed            the root seed, one line
//   trace.txt       the world's ground-truth trace, one sim::RenderTransition line each
//   report.json     the lnsim.report/v1 report
//   bridge.log      the bridge's log (stderr and stdout of every incarnation)
//   events.jsonl    every receipt as delivered: consumer, subject, id, timing, payload
// `lnsim replay DIR` re-drives the same world (same scenario and seed: the world is
// deterministic) against a fresh pipeline and compares the verdicts (VerdictSignature).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/report.h"

namespace lnsim::harness {

inline constexpr char kBundleSchema[] = "lnsim.bundle/v1";

// What must be equal for a replay to count as reproducing a run: pass/fail, and which
// correctness counters were non-zero (not their values: coalescing depends on poll timing).
struct VerdictSignature {
  bool passed = false;
  std::vector<std::string> nonzero;  // of lost, duplicated, reordered, phantom, misordered,
                                     // sequence_gaps, invalid, invariants
  bool operator==(const VerdictSignature&) const = default;
  std::string ToString() const;  // "failed (lost, reordered)" / "passed"
};
// `invariant_violations`: how many domain invariants broke (they are failed checks).
VerdictSignature SignatureOf(const Report& report, size_t invariant_violations);

struct BundleManifest {
  std::string scenario_path;  // as originally given
  uint64_t seed = 0;
  std::optional<Duration> duration;
  std::optional<double> time_scale;
  std::optional<Duration> drain;
  std::optional<bool> jetstream;
  std::string bridge_command;
  std::string trace_digest;
  VerdictSignature verdict;
  std::string command;  // the run's command line
};

std::string ManifestToJson(const BundleManifest& manifest);
// kInvalidArgument naming the field, kFailedPrecondition for another schema.
StatusOr<BundleManifest> ManifestFromJson(const std::string& text);

// Writes `text` to dir/name (creating dir). kUnavailable naming the path.
Status WriteBundleFile(const std::string& dir, const std::string& name, const std::string& text);
// Copies `from` to dir/name when `from` exists (a missing log is not an error).
Status CopyIntoBundle(const std::string& from, const std::string& dir, const std::string& name);
// Reads a whole file. kNotFound naming the path.
StatusOr<std::string> ReadWholeFile(const std::string& path);

}  // namespace lnsim::harness
