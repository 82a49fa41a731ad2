// Subject grammar checks; see subject_grammar.h. The layout itself (entities, event names, token
// counts) is bridge::ParseSubject's: this file only says which rule a bad subject broke.
#include "harness/subject_grammar.h"

#include <vector>

#include "bridge/event.h"

namespace lnsim::harness {
namespace {

std::vector<std::string_view> Tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}

bool IsHexLower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The rule a name token (cluster, node, pool, resource) breaks; "" when it is well escaped.
std::string TokenRule(std::string_view token) {
  const std::string quoted = "subject token '" + std::string(token) + "'";
  if (token.empty())
    return quoted + " is empty (docs/subjects.md \"Escaping\": the empty name is '=')";
  if (token == "=") return "";
  for (size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (c >= 'A' && c <= 'Z') return quoted + " is not lower-case (docs/subjects.md \"Case\")";
    if (c == '=') {
      if (i + 2 >= token.size()) {
        return quoted + " has a truncated escape (docs/subjects.md \"Escaping\")";
      }
      if (!IsHexLower(token[i + 1]) || !IsHexLower(token[i + 2])) {
        return quoted +
               " has an escape that is not '=' and two lower-case hex digits (docs/subjects.md "
               "\"Escaping\")";
      }
      i += 2;
      continue;
    }
    const bool plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!plain) {
      return quoted + " has a character that must be escaped (docs/subjects.md \"Escaping\")";
    }
  }
  return "";
}

}  // namespace

std::string SubjectRuleBroken(std::string_view subject) {
  const std::vector<std::string_view> t = Tokens(subject);
  const std::string quoted = "subject '" + std::string(subject) + "'";
  if (t.size() < 3 || t[0] != "linstor" || t[1] != "v1") {
    return quoted + " does not start with linstor.v1.<cluster> (docs/subjects.md)";
  }
  if (t.size() < 6) {
    return quoted + " has " + std::to_string(t.size()) +
           " tokens: 6 for node and resource subjects, 7 for the others (docs/subjects.md)";
  }
  // Name tokens: the cluster, then the entity's names (the last token is the event name; a
  // resize's volume number is digits, which pass as a plain token).
  for (size_t i = 2; i + 1 < t.size(); ++i) {
    if (i == 3) continue;  // the entity
    const std::string rule = TokenRule(t[i]);
    if (!rule.empty()) return rule;
  }
  auto parsed = bridge::ParseSubject(subject);
  if (!parsed.ok()) {
    return parsed.status().message() + " (docs/subjects.md: entity, event name and token count)";
  }
  return "";
}

}  // namespace lnsim::harness
