// Durations as users write them, in scenario files and flags alike (docs/architecture.md):
// `250ms`, `10s`, `5m`, `1h`, also `us`/`ns`, decimals (`1.5s`) and sums (`1m30s`). A bare
// number is rejected: the unit is never guessed.
#pragma once

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace lnsim {

StatusOr<Duration> ParseDuration(std::string_view text);
// Shortest exact rendering that ParseDuration reads back: "250ms", "1m30s", "0s".
std::string FormatDuration(Duration d);
// Human rendering with 3 significant digits: "1.23s", "45.6ms".
std::string FormatDurationHuman(Duration d);

}  // namespace lnsim
