// The exit codes of `lnsim run` and friends (ARCHITECTURE.md), for harness/ code that decides
// them. Same names and values as cli/subcommand.h (cli re-exports or mirrors these).
#pragma once

namespace lnsim::harness {

inline constexpr int kExitOk = 0;      // passed
inline constexpr int kExitFailed = 1;  // an SLO or check failed
inline constexpr int kExitUsage = 2;   // bad usage or configuration
inline constexpr int kExitInfra =
    3;  // infrastructure failure (a process would not start, interrupted)

}  // namespace lnsim::harness
