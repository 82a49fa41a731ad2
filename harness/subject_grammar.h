// The subject grammar of docs/subjects.md as a check on what consumers receive: a message on the
// event subjects whose subject breaks it cannot have come from a conforming bridge. The answer
// names the rule broken and where it is documented, so that a report example can say it:
//   "subject token 'Node-A' is not lower-case (docs/subjects.md \"Case\")".
#pragma once

#include <string>
#include <string_view>

namespace lnsim::harness {

// "" when `subject` follows docs/subjects.md (prefix, token count per entity, escaped
// lower-case name tokens, a known entity and event name); else the first rule it breaks.
std::string SubjectRuleBroken(std::string_view subject);

}  // namespace lnsim::harness
