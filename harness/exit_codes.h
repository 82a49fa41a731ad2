// The exit codes of `lnsim run` and friends (docs/architecture.md), for harness/ code that decides
// them; cli/subcommand.h re-exports them.
#pragma once

namespace lnsim::harness {

inline constexpr int kExitOk = 0;      // passed
inline constexpr int kExitFailed = 1;  // an SLO or check failed
inline constexpr int kExitUsage = 2;   // bad usage or configuration
// Infrastructure failure (a process would not start, a report could not be written).
inline constexpr int kExitInfra = 3;
// Stopped by SIGINT/SIGTERM before the verdict: no verdict, the same code as infrastructure (the
// job did not do its work; a CI retry is right). The output starts with "lnsim INTERRUPTED".
inline constexpr int kExitInterrupted = kExitInfra;

}  // namespace lnsim::harness
