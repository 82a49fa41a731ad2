// The orderly stop of the long-running subcommands (run, sweep, replay): SIGINT and SIGTERM set a
// flag that the harness polls between steps, so every child process is stopped and reaped and
// the report still written; SIGPIPE is ignored (a closed pipe is an error to handle, not a
// reason to die).
#pragma once

#include <csignal>

namespace lnsim::cli {

// Set by SIGINT/SIGTERM once InstallStopSignals ran; read by the harness (RunScenario's
// `interrupted`). Never cleared.
extern volatile bool g_stop_requested;
// The first stop signal received (SIGINT or SIGTERM), 0 before one arrived.
extern volatile sig_atomic_t g_stop_signal;
// "SIGINT", "SIGTERM" (g_stop_signal), for "lnsim INTERRUPTED by SIGINT".
const char* StopSignalName();

// Installs the SIGINT/SIGTERM handler that sets g_stop_requested and ignores SIGPIPE. Call from
// the main thread; calling it again changes nothing.
void InstallStopSignals();

}  // namespace lnsim::cli
