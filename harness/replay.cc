// Replaying a reproduction bundle (see replay.h).
#include "harness/replay.h"

#include <ostream>

namespace lnsim::harness {

ReplayOutcome ReplayBundle(const ReplayOptions& options, const Clock& clock, std::ostream& log,
                           const volatile bool* interrupted) {
  ReplayOutcome out;
  auto manifest_text = ReadWholeFile(options.bundle_dir + "/run.json");
  if (!manifest_text.ok()) {
    out.exit_code = 2;
    out.error = options.bundle_dir + ": not a reproduction bundle (" +
                manifest_text.status().message() + ")";
    return out;
  }
  auto manifest = ManifestFromJson(*manifest_text);
  if (!manifest.ok()) {
    out.exit_code = 2;
    out.error = options.bundle_dir + "/" + manifest.status().message();
    return out;
  }
  out.recorded = *manifest;
  RunOptions ro;
  ro.scenario_path = options.bundle_dir + "/scenario.yaml";
  ro.seed = manifest->seed;
  ro.duration = manifest->duration;
  ro.time_scale = manifest->time_scale;
  ro.drain = manifest->drain;
  ro.jetstream = manifest->jetstream;
  ro.bridge_command = manifest->bridge_command;
  ro.lnsim_binary = options.lnsim_binary;
  ro.work_dir = options.work_dir;
  ro.nats_server_bin = options.nats_server_bin;
  ro.record_dir = options.record_dir;
  ro.command_line = "lnsim replay " + options.bundle_dir;
  log << "replaying " << manifest->scenario_path << " seed " << manifest->seed
      << " (recorded verdict: " << manifest->verdict.ToString() << ")\n";
  out.run = RunScenario(ro, clock, log, interrupted);
  if (out.run.exit_code == 2 || out.run.exit_code == 3) {
    out.exit_code = out.run.exit_code;
    out.error = out.run.error;
    return out;
  }
  out.replayed = SignatureOf(out.run.report, out.run.invariant_violations.size());
  out.digest_matches = out.run.report.trace_digest == manifest->trace_digest;
  out.reproduced = out.digest_matches && out.replayed == manifest->verdict;
  out.exit_code = out.reproduced ? 0 : 1;
  return out;
}

}  // namespace lnsim::harness
