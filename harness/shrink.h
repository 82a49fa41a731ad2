// Shrinking a failing fault schedule: given a scenario whose run fails, find a smaller `faults`
// list that still fails, by removing faults one at a time and keeping every removal after which
// the run still fails (one pass, then repeated until nothing more can go: a 1-minimal schedule
// with respect to single removals). The judge is a predicate, so tests can use a fake one and
// `lnsim run --shrink` a real run of each candidate.
//
// Candidates are the original YAML document with its `faults` sequence cut down, so every other
// section (and each kept fault's text) stays exactly as written. Faults chosen at random by the
// seed keep their own seeded stream where the world forks streams by fault position; removing an
// earlier fault can shift those, which the predicate simply judges.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/scenario_loader.h"

namespace lnsim::harness {

// True when `candidate` (parsed, and as text) still fails.
using ShrinkPredicate = std::function<bool(const Scenario& candidate, const std::string& text)>;

struct ShrinkResult {
  std::string text;          // the minimal scenario as YAML (a header comment says what it is)
  std::vector<size_t> kept;  // indices into the original `faults` list
  size_t original_faults = 0;
  int runs = 0;  // predicate calls
};

// kInvalidArgument when the text does not parse as a scenario or has no faults to remove.
// The original schedule is assumed failing (it is not re-run).
StatusOr<ShrinkResult> ShrinkFaultSchedule(const std::string& scenario_text,
                                           const std::string& path,
                                           const ShrinkPredicate& still_fails);

// The scenario text with only the `kept` faults (indices into the original `faults` list).
StatusOr<std::string> ScenarioWithFaults(const std::string& scenario_text,
                                         const std::vector<size_t>& kept);

}  // namespace lnsim::harness
