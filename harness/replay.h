// `lnsim replay DIR`: re-drives a recorded run (harness/bundle.h) against a fresh pipeline. The
// world is a deterministic function of scenario and seed, so the replay's ground truth must have
// the recorded trace digest (checked: a different digest means the world, not the pipeline,
// changed); the verdicts are compared by VerdictSignature (pass/fail and which correctness
// counters were non-zero).
#pragma once

#include <iosfwd>
#include <string>

#include "common/clock.h"
#include "harness/bundle.h"
#include "harness/run.h"

namespace lnsim::harness {

struct ReplayOptions {
  std::string bundle_dir;
  std::string lnsim_binary;  // to start `lnsim bridge`
  std::string work_dir;      // "" = a temp dir, kept when the replay's run fails
  std::string nats_server_bin;
  std::string record_dir;  // record the replay too ("" = only on failure, into its work dir)
};

struct ReplayOutcome {
  BundleManifest recorded;
  RunOutcome run;
  VerdictSignature replayed;
  bool digest_matches = false;
  bool reproduced = false;  // digest matches and the signatures are equal
  // 0 reproduced, 1 did not reproduce, 2 bad bundle, 3 infrastructure (docs/architecture.md codes).
  int exit_code = 0;
  std::string error;
};

ReplayOutcome ReplayBundle(const ReplayOptions& options, const Clock& clock, std::ostream& log,
                           const volatile bool* interrupted = nullptr);

}  // namespace lnsim::harness
