// Text shared by the report's renderings; see explain.h.
#include "harness/explain.h"

#include <cstdio>
#include <sstream>

#include "harness/html_report.h"

namespace lnsim::harness {
namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `word` occurs in `text` delimited by non-word characters ("lost" in "lost == 0", not in
// "lost_total").
bool NamesWord(std::string_view text, std::string_view word) {
  if (word.empty()) return false;
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + word.size();
    const bool right = end == text.size() || !IsWordChar(text[end]);
    if (left && right) return true;
  }
  return false;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

std::string StageMsText(const StageSummary& stage, uint64_t ns) {
  if (stage.count == 0) return kNotMeasured;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string JudgedFromText(const Report& r) {
  char from[48];
  std::snprintf(from, sizeof(from), "%.3gs", r.judged_from_s);
  std::string owed = std::to_string(r.events) + " world changes, owed from then on";
  for (size_t i = 0; i < r.unjudged_kinds.size(); ++i) {  // the scenario's opt-out, said
    owed += (i == 0 ? "; not judged (verify.unjudged): " : ", ") + r.unjudged_kinds[i];
  }
  if (r.readiness.empty()) return "judged from t = 0 (readiness not recorded): " + owed;
  return std::string("judged from ") + from + " (bridge readiness " + r.readiness + "): " + owed;
}

std::vector<std::string> ExampleLines(const Example& e) {
  std::string head = e.counter;
  if (!e.consumer.empty()) head += " " + e.consumer;
  if (!e.key.empty()) head += " " + e.key;
  if (!e.rule.empty()) head += ": " + e.rule;
  std::vector<std::string> lines = {head};
  for (const std::string& event : e.events) lines.push_back("event: " + event);
  for (const std::string& step : e.history) lines.push_back("world: " + step);
  return lines;
}

std::vector<const Example*> ExamplesForCheck(const Report& r, const Check& check) {
  constexpr std::string_view kConsumerPrefix = "consumer ";
  std::string_view consumer;
  if (check.name.rfind(kConsumerPrefix, 0) == 0) {
    consumer = std::string_view(check.name).substr(kConsumerPrefix.size());
  }
  std::vector<const Example*> out;
  for (const Example& e : r.examples) {
    const bool of_consumer = !consumer.empty() && e.consumer == consumer;
    if (of_consumer || NamesWord(check.name, e.counter)) out.push_back(&e);
  }
  return out;
}

std::string ExamplesHtml(const std::vector<Example>& examples) {
  if (examples.empty()) return "";
  std::ostringstream o;
  o << "<h2>Examples</h2>\n<p class=\"note\">Up to " << kMaxExamplesPerCounter
    << " cases per counter and consumer (the counters stay exact): the key, the rule broken, "
       "the events involved and the world's history of that entity.</p>\n"
    << "<table class=\"examples\">\n<tr><th>counter</th><th>consumer</th><th>key</th>"
       "<th>rule</th><th>events</th><th>world history</th></tr>\n";
  for (const Example& e : examples) {
    o << "<tr><td>" << HtmlEscape(e.counter) << "</td><td>" << HtmlEscape(e.consumer) << "</td><td>"
      << HtmlEscape(e.key) << "</td><td>" << HtmlEscape(e.rule) << "</td><td><pre>"
      << HtmlEscape(Joined(e.events)) << "</pre></td><td><pre>" << HtmlEscape(Joined(e.history))
      << "</pre></td></tr>\n";
  }
  o << "</table>\n";
  return o.str();
}

}  // namespace lnsim::harness
