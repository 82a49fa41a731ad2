// The exit codes of `lnsim run` and friends (docs/architecture.md), for harness/ code that decides
// them; cli/subcommand.h re-exports them.
#pragma once

namespace lnsim::harness {

inline constexpr int kExitOk = 0;      // passed
inline constexpr int kExitFailed = 1;  // an SLO or check failed
inline constexpr int kExitUsage = 2;   // bad usage or configuration
// Infrastructure failure (a process would not start, interrupted).
inline constexpr int kExitInfra = 3;

}  // namespace lnsim::harness
