// `lnsim run`: the main job. Wires every part together for one scenario — the world in real time
// behind the mock controller, an embedded (or live) nats-server, the bridge under test as a child
// process, K consumers, fault proxies — drives the harness faults on the scenario's timeline,
// drains, and judges what the consumers received against the world's ground truth.
//
// Time: world time 0 is the moment the mock starts serving. The world runs on a clock that
// follows real time until the scenario's run length (duration × time_scale) and then stands
// still, so the drain phase lets the bridge and consumers catch up with a final state that no
// longer moves; the verdict is taken at that final world time.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/tls_certs.h"
#include "harness/bridge_spec.h"  // BridgeSpec, ParseBridgeSection (moved there from here)
#include "harness/report.h"

namespace lnsim::harness {

struct RunOptions {
  std::string scenario_path;
  // The scenario's text: when set, it is parsed instead of reading scenario_path (which still
  // names it in messages). How the shrinker and tests run variants without temp files.
  std::string scenario_text;
  std::optional<uint64_t> seed;
  std::optional<Duration> duration;
  std::optional<double> time_scale;
  std::optional<Duration> drain;
  std::string nats_urls;        // --nats: a live server or cluster instead of the embedded one
  std::string nats_server_bin;  // --nats-server-bin
  // --keep-stream: leave the stream, KV bucket and durables this run created on the live server
  // of --nats (harness/live_cleanup.h) and print their names; by default they are deleted.
  bool keep_stream = false;
  // --tls-ca/--tls-cert/--tls-key: TLS to the live server of --nats (bridge and consumers).
  // The embedded server uses TLS when the scenario says `nats.tls` (generated certificates).
  tls::ClientTlsFiles nats_tls;
  std::string bridge_command;  // --bridge-command: overrides bridge.command
  // --slo EXPR (repeatable): judged besides the scenario's `slo` list (harness/slo.h syntax).
  std::vector<std::string> slo_expressions;
  std::optional<bool> jetstream;  // --core / --jetstream override nats.jetstream
  std::string lnsim_binary;       // this executable, to start `lnsim bridge`
  std::string report_path;        // --report FILE (lnsim.report/v1 JSON)
  std::string junit_path;         // --junit FILE
  std::string work_dir;           // "" = a temp dir, kept when the run fails
  bool keep_work_dir = false;
  // Progress on stderr (harness/progress.h): which phase runs (world, drain, verdict) with its
  // counts; progress_live rewrites one line in place (a terminal), else plain lines (a CI log).
  bool progress = false;
  bool progress_live = false;
  std::string command_line;  // the exact command that reproduces the run
  // --bridge-binary: started as `BINARY bridge ARGS` instead of lnsim_binary (a test-only bridge
  // such as lnsim-test-bridge, which plants faults; tests/bridge/test_bridge_main.cc).
  std::string bridge_binary;
  // --bridge-arg (repeatable): appended to lnsim's own bridge's command line after the scenario's
  // bridge.extra_args.
  std::vector<std::string> bridge_args;
  // Reproduction bundle (harness/bundle.h): written to record_dir when set; a failed run (exit 1)
  // writes one into its kept work dir (<work dir>/bundle) unless record_on_failure is false.
  std::string record_dir;
  bool record_on_failure = true;
};

struct RunOutcome {
  Report report;
  std::string work_dir;  // where the logs are ("" when removed)
  // Exit code per docs/architecture.md (harness/exit_codes.h): 0 passed, 1 an SLO or check failed,
  // 2 bad configuration, 3 infrastructure failure (nats-server or the bridge would not start) or
  // interrupted.
  int exit_code = 0;
  // Stopped by `interrupted` (exit code kExitInterrupted): the report holds no verdict, only what
  // was seen so far (failed_checks[0] says when it stopped); error says the same.
  bool interrupted = false;
  std::string error;       // for exit codes 2 and 3
  std::string bundle_dir;  // where the reproduction bundle was written ("" = none)
  // Domain invariant violations (harness/invariants.h), rendered; also in report.failed_checks.
  std::vector<std::string> invariant_violations;
};

// Runs one scenario end to end. `log` receives human progress lines (start-up, faults applied);
// the report table is printed by the caller. Never throws; every child process is stopped and
// reaped before it returns. `interrupted` (set from a signal handler) ends the run early.
RunOutcome RunScenario(const RunOptions& options, const Clock& clock, std::ostream& log,
                       const volatile bool* interrupted = nullptr);

}  // namespace lnsim::harness
