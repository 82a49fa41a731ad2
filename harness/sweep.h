// `lnsim sweep`: capacity search. For every setting of the non-load axes (`--vary volumes=...`,
// `--vary nodes=...`) it finds the highest load (`--vary rate=LO..HI`) at which a run still meets
// the SLOs: probes grow geometrically from LO (x4) until one fails or HI passes, then bisect
// (geometric mean) between the last passing and the first failing load until they are within
// `tolerance`. Every probe is `repeats` runs; a probe passes when its counters pass in every
// repeat, no repeat failed a check (drain expired, not converged) and the latency and throughput
// SLOs pass on the median of the repeats.
//
// What `rate` means: workload operations per second of world time (provision + delete + attach
// + detach + resize), the scenario's mix kept, the rates rescaled; `volumes` sets
// cluster.resources = volumes / volumes_per_resource; `nodes` sets cluster.nodes. See
// docs/capacity.md.
//
// The search is pure over a ProbeFn (tests give a synthetic pipeline); RunSweepProbe is the real
// one, a full `lnsim run` of a rewritten scenario.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/html_report.h"
#include "harness/report.h"
#include "harness/slo.h"

namespace lnsim::harness {

struct SweepAxis {
  std::string name;            // "rate", "volumes", "nodes"
  std::vector<double> values;  // a list (volumes=800,4000) or, for rate, {LO, HI}
};

// "rate=1000..200000", "volumes=800,4000,20000" (k/M suffixes accepted). kInvalidArgument naming
// the argument: unknown axis, bad number, LO >= HI, rate not a range.
StatusOr<SweepAxis> ParseSweepAxis(std::string_view text);

struct SweepOptions {
  double rate_lo = 1000;
  double rate_hi = 200000;
  // Settings: the cartesian product of these axes (none: one setting, the scenario as written).
  std::vector<SweepAxis> settings_axes;
  std::vector<Slo> slos;
  int repeats = 1;
  double tolerance = 0.10;  // stop bisecting when hi / lo <= 1 + tolerance
  double growth = 4.0;      // factor of the upward search
  int max_probes = 12;      // per setting
};

// One setting's values, axis name -> value ("volumes" -> 800).
using SweepSetting = std::map<std::string, double>;
std::string SettingLabel(const SweepSetting& setting);  // "volumes=800" or "scenario"
std::string FormatLoad(double ops_per_s);               // "12500", "183"

struct ProbeRun {
  Report report;
  std::vector<TimingSample> timing;  // may be empty
};

// Runs the scenario once at `rate` under `setting` (repeat index `repeat`). An error aborts the
// sweep (infrastructure, bad scenario).
using ProbeFn =
    std::function<StatusOr<ProbeRun>(const SweepSetting& setting, double rate, int repeat)>;

struct Probe {
  double rate = 0;
  bool passed = false;
  Report median;  // counters: max over repeats; latency, throughput: median; SLOs applied
  std::vector<Report> repeats;
  std::vector<TimingSample> timing;  // of the median-latency repeat
  std::string why;                   // first failed SLO or check
};

struct SettingResult {
  SweepSetting setting;
  std::vector<Probe> probes;         // in the order they ran
  std::optional<double> knee;        // highest passing load
  std::optional<double> first_fail;  // lowest failing load above the knee
  std::string summary;               // "knee 12.3k ops/s (fails at 13.5k: p99_end_to_end ...)"
};

struct SweepResult {
  std::vector<SettingResult> settings;
};

StatusOr<SweepResult> RunSweep(const SweepOptions& options, const ProbeFn& probe,
                               std::ostream& log);

// Files of a sweep: sweep.csv (one row per probe), knees.csv (one row per setting) and
// sweep.html. kUnavailable naming the file that could not be written.
Status WriteSweepOutputs(const SweepResult& result, const SweepOptions& options,
                         const std::string& scenario, const std::string& out_dir);
std::string SweepCsv(const SweepResult& result);
std::string KneesCsv(const SweepResult& result);
HtmlPage SweepPage(const SweepResult& result, const SweepOptions& options,
                   const std::string& scenario);

// Writes the scenario at `scenario_path` rewritten for one probe: workload rates scaled so their
// sum is `rate` per second of world time (docs/capacity.md), the setting's axes applied, and
// `duration` set so the world runs `probe_length`. kInvalidArgument naming the file for a
// scenario that cannot be read or has no workload section to scale.
StatusOr<std::string> RewriteScenarioForProbe(const std::string& scenario_path,
                                              const SweepSetting& setting, double rate,
                                              Duration probe_length);

}  // namespace lnsim::harness
