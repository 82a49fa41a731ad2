// Checks of one fault's `params` while the faults section is parsed (sim/scenario_checks.cc).
#pragma once

#include <string>

#include "common/status.h"
#include "sim/scenario.h"

namespace YAML {
class Node;
}

namespace lnsim::sim::internal {

// Checks the `params` of the fault `fault` (its YAML map; `prefix` = "faults[2]") against
// FaultParamNames(f->kind) and, for the world's kinds, the values; rewrites f->params in the
// normalised `key=value,...` form (items trimmed) that every reader parses the same way.
Status CheckFaultParams(const YAML::Node& fault, const std::string& prefix, FaultSpec* f);

}  // namespace lnsim::sim::internal
