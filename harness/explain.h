// Explanations shared by the report's renderings (terminal table, JUnit, HTML): the examples
// behind a counter (Report::examples), the judged window, setup-mistake hints and stages that were
// not measured. One text for every rendering, so a person reads the same words everywhere.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/report.h"

namespace lnsim::harness {

// What a stage with no samples prints instead of a number (docs/report.md "Not measured").
inline constexpr char kNotMeasured[] = "not measured";

// "1.234" (milliseconds, three decimals), or "not measured" when the stage has no samples: a
// stage a team's bridge does not report must never read as a measurement of 0.
std::string StageMsText(const StageSummary& stage, uint64_t ns);

// "judged from 1.18s (bridge readiness signalled): 97 world changes, owed from then on"; for a
// report without readiness (written before it existed): "judged from t = 0 (readiness not
// recorded): ...".
std::string JudgedFromText(const Report& report);

// An example as lines of text: a head line "reordered js-1 resource.pvc-4f1c: <rule>" then
// "event: ..." and "world: ..." lines, in the order the example lists them.
std::vector<std::string> ExampleLines(const Example& example);

// The examples a check is about: those whose counter is named in the check (an SLO expression
// "lost == 0" names lost; "p99_end_to_end < 2s" none) and, for a check of one consumer
// ("consumer js-1"), that consumer's examples. In report order.
std::vector<const Example*> ExamplesForCheck(const Report& report, const Check& check);

// The examples as an HTML section (<h2>Examples</h2> and a table; "" when there are none).
std::string ExamplesHtml(const std::vector<Example>& examples);

}  // namespace lnsim::harness
