// What one `lnsim run` is asked to do, settled before anything starts: the scenario with the
// command line's overrides applied, the harness's and the bridge's sections, the faults the
// harness itself executes. Shared by the rooms of a run (rig, fault driver, receipts, report
// builder); harness/run.cc owns one RunConfig for the whole run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/bridge_spec.h"
#include "harness/harness_spec.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "mock-linstor/api_faults.h"
#include "sim/scenario.h"

namespace lnsim::harness {

// A fault the harness executes itself (nats-restart, bridge-kill, consumer-crash, network), with
// its progress along the timeline.
struct HarnessFault {
  size_t index = 0;  // in world fault_windows() / spec().faults
  sim::FaultKind kind = sim::FaultKind::kNatsRestart;
  HarnessFaultParams params;
  Duration start{0};
  Duration end{0};
  bool started = false;
  bool ended = false;
};

struct RunConfig {
  Scenario scenario;          // world seed, duration and time scale already overridden
  std::string scenario_text;  // as read (for the reproduction bundle; "" when unreadable)
  HarnessSpec harness;        // --nats, --nats-server-bin, --core/--jetstream, --drain applied
  BridgeSpec bridge;          // --bridge-command applied
  std::vector<mock::ApiFault> api_faults;
  std::vector<HarnessFault> harness_faults;
  bool jetstream = true;
  int stream_replicas = 1;
  uint64_t seed = 0;
};

// Loads and validates the scenario of `options` (file or text) and applies the overrides.
// kInvalidArgument naming the file, line and key (exit code 2), or the error of the loader.
StatusOr<RunConfig> ConfigureRun(const RunOptions& options);

// What the rooms of a run found along the way, in the order it happened: checks that failed
// (they fail the run) and lines for the human log (faults applied, denials, samples).
struct Findings {
  std::vector<std::string> failed_checks;
  std::vector<std::string> fault_log;
};

}  // namespace lnsim::harness
