// JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters) from a run's Report: one
// <testsuite> per run with the real wall-clock duration and start, and one <testcase> for every
// check of the verdict, passing or not, so that a passing and a failing run of one scenario
// report the same number of tests. Layout documented in docs/report.md "JUnit XML".
#pragma once

#include <string>
#include <string_view>

#include "harness/report.h"

namespace lnsim::harness {

// The scenario's file stem as a classname segment: "scenarios/smoke.yaml" -> "smoke"; characters
// other than letters, digits, '-' and '_' become '_'; "scenario" when there is none.
std::string ScenarioStem(std::string_view scenario_path);

// This machine's host name ("localhost" when unknown).
std::string LocalHostname();

// <testsuites name="lnsim"> holding <testsuite name="lnsim.STEM" time=wall_s timestamp=started_at
// hostname=...> with one <testcase classname="lnsim.STEM.FAMILY" name=CHECK> per check
// (ChecksOrLegacy): a failed one carries <failure type=FAMILY message=...>, a passed one its
// detail in <system-out>. The `run` check carries the run's wall-clock time.
std::string ReportToJunit(const Report& report, std::string_view hostname = LocalHostname());

// Escapes & < > " ' (as HtmlEscape) and replaces control characters XML 1.0 does not allow.
std::string XmlEscape(std::string_view text);

}  // namespace lnsim::harness
