// JUnit XML from a Report; see junit.h.
#include "harness/junit.h"

#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "harness/explain.h"
#include "harness/html_report.h"

namespace lnsim::harness {
namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", std::max(0.0, s));
  return buf;
}

// JUnit's XSD wants xs:dateTime without a zone: the UTC start to the second.
std::string JunitTimestamp(const std::string& started_at) {
  return started_at.size() >= 19 ? started_at.substr(0, 19) : started_at;
}

std::string FailureMessage(const Check& c) {
  if (c.family == kCheckSlo) return c.name + ": " + c.detail;
  return c.detail.empty() ? c.name : c.detail;
}

// The failure's text: the check's detail, then the examples behind it (explain.h).
std::string FailureText(const Report& r, const Check& c) {
  std::string text = c.detail;
  for (const Example* e : ExamplesForCheck(r, c)) {
    const std::vector<std::string> lines = ExampleLines(*e);
    text += "\nexample: " + lines[0];
    for (size_t i = 1; i < lines.size(); ++i) text += "\n  " + lines[i];
  }
  return text;
}

// Properties beyond the run's identity: the judged window, each stage's p99 (or "not measured")
// and the setup hints, so that a CI page shows them without opening the JSON.
std::vector<std::pair<std::string, std::string>> ExtraProperties(const Report& r) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!r.readiness.empty()) {
    char from[32];
    std::snprintf(from, sizeof from, "%.3f", r.judged_from_s);
    out.emplace_back("judged_from_s", from);
    out.emplace_back("readiness", r.readiness);
  }
  out.emplace_back("world_changes", std::to_string(r.events));
  out.emplace_back("judged", JudgedFromText(r));
  for (int i = 0; i < kStageCount; ++i) {
    const StageSummary& st = r.latency[i];
    out.emplace_back("latency." + std::string(StageName(static_cast<Stage>(i))) + ".p99_ms",
                     StageMsText(st, st.p99_ns));
  }
  for (size_t i = 0; i < r.hints.size(); ++i) {
    out.emplace_back("hint." + std::to_string(i + 1), r.hints[i]);
  }
  return out;
}

void WriteTestcase(const Report& r, const Check& c, const std::string& suite, double time_s,
                   std::ostream& out) {
  out << "    <testcase classname=\"" << XmlEscape(suite + "." + c.family) << "\" name=\""
      << XmlEscape(c.name) << "\" time=\"" << Seconds(time_s) << "\">\n";
  if (c.passed) {
    out << "      <system-out>" << XmlEscape(c.detail) << "</system-out>\n";
  } else {
    out << "      <failure type=\"" << XmlEscape(c.family) << "\" message=\""
        << XmlEscape(FailureMessage(c)) << "\">" << XmlEscape(FailureText(r, c)) << "</failure>\n";
  }
  out << "    </testcase>\n";
}

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string clean(s);
  for (char& ch : clean) {
    // Control characters are not allowed in XML 1.0.
    if (static_cast<unsigned char>(ch) < 0x20 && ch != '\n' && ch != '\t') ch = ' ';
  }
  return HtmlEscape(clean);  // & < > " ' as entities XML knows (&#39; for ')
}

std::string ScenarioStem(std::string_view scenario_path) {
  std::string stem = std::filesystem::path(std::string(scenario_path)).stem().string();
  for (char& ch : stem) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
    if (!ok) ch = '_';
  }
  return stem.empty() ? "scenario" : stem;
}

std::string LocalHostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string ReportToJunit(const Report& r, std::string_view hostname) {
  const std::vector<Check> checks = ChecksOrLegacy(r);
  size_t failures = 0;
  for (const Check& c : checks) failures += c.passed ? 0 : 1;
  const std::string suite = "lnsim." + ScenarioStem(r.scenario);
  const std::string time = Seconds(r.wall_s);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"lnsim\" tests=\"" << checks.size() << "\" failures=\"" << failures
      << "\" errors=\"0\" time=\"" << time << "\">\n";
  out << "  <testsuite name=\"" << XmlEscape(suite) << "\" tests=\"" << checks.size()
      << "\" failures=\"" << failures << "\" errors=\"0\" skipped=\"0\" time=\"" << time << "\"";
  if (!r.started_at.empty())
    out << " timestamp=\"" << XmlEscape(JunitTimestamp(r.started_at)) << "\"";
  out << " hostname=\"" << XmlEscape(hostname) << "\">\n";
  out << "    <properties>\n";
  const std::pair<const char*, std::string> properties[] = {{"scenario", r.scenario},
                                                            {"seed", std::to_string(r.seed)},
                                                            {"trace_digest", r.trace_digest},
                                                            {"started_at", r.started_at},
                                                            {"command", r.command}};
  for (const auto& [name, value] : properties) {
    out << "      <property name=\"" << name << "\" value=\"" << XmlEscape(value) << "\"/>\n";
  }
  for (const auto& [name, value] : ExtraProperties(r)) {
    out << "      <property name=\"" << XmlEscape(name) << "\" value=\"" << XmlEscape(value)
        << "\"/>\n";
  }
  out << "    </properties>\n";
  for (const Check& c : checks) {
    // The run check is the run itself: its time is the run's (the others are instantaneous).
    const bool whole_run = c.family == kCheckRun && c.name == "run";
    WriteTestcase(r, c, suite, whole_run ? r.wall_s : 0, out);
  }
  out << "  </testsuite>\n</testsuites>\n";
  return out.str();
}

}  // namespace lnsim::harness
