// Loads scenario files (see scenario_loader.h): the file read with the OS's reason on failure,
// YAML parsing with yaml-cpp, duplicate keys at every level, the top-level key check with a "did
// you mean", the world's sections handed to sim::ParseWorldSections and the cross-field rules to
// sim::CheckWorldSpec, whose "line: key: what" errors get the file name in front.
#include "harness/scenario_loader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "mock-linstor/api_faults.h"

namespace lnsim::harness {
namespace {

int Line(const YAML::Node& n) { return n.IsDefined() ? n.Mark().line + 1 : 0; }

std::string At(const std::string& path, int line, const std::string& key, const std::string& what) {
  return path + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + key + ": " + what;
}

// Every mapping of the document, at any depth: a key given twice is an error at its second line
// (yaml-cpp keeps both entries and lookups see only one of them).
Status CheckDuplicateKeys(const YAML::Node& node, const std::string& where,
                          const std::string& path) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      LNSIM_RETURN_IF_ERROR(
          CheckDuplicateKeys(node[i], where + "[" + std::to_string(i) + "]", path));
    }
    return OkStatus();
  }
  if (!node.IsMap()) return OkStatus();
  std::map<std::string, YAML::Mark> first;
  for (const auto& entry : node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "?";
    const std::string dotted = where.empty() ? key : where + "." + key;
    if (auto [it, inserted] = first.emplace(key, entry.first.Mark()); !inserted) {
      const YAML::Mark& a = it->second;
      const YAML::Mark b = entry.first.Mark();
      // One-line documents (JSON) need the column to tell the two apart.
      const std::string where_first =
          "line " + std::to_string(a.line + 1) +
          (a.line == b.line ? ", column " + std::to_string(a.column + 1) : std::string());
      return InvalidArgumentError(
          At(path, Line(entry.first), dotted,
             "duplicate key (first at " + where_first + "); give each key once"));
    }
    LNSIM_RETURN_IF_ERROR(CheckDuplicateKeys(entry.second, dotted, path));
  }
  return OkStatus();
}

// The document must be a mapping of sections; say what it is instead.
Status CheckDocumentShape(const YAML::Node& root, const std::string& path) {
  const std::string sections = "a scenario maps sections such as cluster:, workload:, faults:";
  if (!root.IsDefined() || root.IsNull()) {
    return InvalidArgumentError(path + ":1: (document): no sections (only comments or blank " +
                                "lines); " + sections);
  }
  if (root.IsScalar()) {
    std::string text = root.Scalar().substr(0, 40);
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (root.Scalar().size() > text.size()) text += "...";
    return InvalidArgumentError(At(path, Line(root), "(document)",
                                   "not a YAML mapping: plain text ('" + text + "'); " + sections));
  }
  if (!root.IsMap()) {
    return InvalidArgumentError(
        At(path, Line(root), "(document)",
           "a scenario must be a YAML mapping of sections (cluster:, workload:, faults:, ...), "
           "not a list"));
  }
  const auto& keys = ScenarioTopLevelKeys();
  bool any_known = false;
  for (const auto& entry : root) {
    any_known |= std::find(keys.begin(), keys.end(), entry.first.Scalar()) != keys.end();
  }
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    const std::string suggestion = sim::DidYouMean(key, keys);
    if (!any_known && suggestion.empty()) {
      // Text that happens to parse as YAML (a README, notes): not a typo of a section.
      return InvalidArgumentError(At(path, Line(entry.first), "(document)",
                                     "not a scenario: no top-level key is a section (line " +
                                         std::to_string(Line(entry.first)) + " reads '" +
                                         key.substr(0, 40) + "'); " + sections));
    }
    return InvalidArgumentError(
        At(path, Line(entry.first), key, "unknown top-level key" + suggestion));
  }
  return OkStatus();
}

// api-fault faults name one of the mock's fault kinds (the mock would skip any other silently).
Status CheckApiFaultKinds(const Scenario& s) {
  for (size_t i = 0; i < s.world.faults.size(); ++i) {
    const sim::FaultSpec& f = s.world.faults[i];
    if (f.kind != sim::FaultKind::kApiFault) continue;
    const std::string kind = sim::FaultParam(f.params, "kind");
    std::vector<std::string> names;
    for (mock::ApiFaultKind k :
         {mock::ApiFaultKind::kLatency, mock::ApiFaultKind::kError, mock::ApiFaultKind::kHang,
          mock::ApiFaultKind::kSseDrop, mock::ApiFaultKind::kStale,
          mock::ApiFaultKind::kControllerDown, mock::ApiFaultKind::kSlowNodes}) {
      names.emplace_back(mock::Name(k));
    }
    if (std::find(names.begin(), names.end(), kind) != names.end()) continue;
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    return InvalidArgumentError(
        At(s.path, f.source_line, "faults[" + std::to_string(i) + "].params.kind",
           (kind.empty() ? std::string("missing") : "unknown api fault '" + kind + "'") +
               sim::DidYouMean(kind, names) + "; api-fault needs kind=" + list));
  }
  return OkStatus();
}

}  // namespace

const std::vector<std::string>& ScenarioTopLevelKeys() {
  static const std::vector<std::string> keys = {
      "cluster", "workload", "faults",    "time_scale", "duration", "seed",  "api",
      "bridge",  "nats",     "consumers", "network",    "slo",      "drain", "verify"};
  return keys;
}

StatusOr<Scenario> LoadScenarioText(std::string_view text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) +
                                ": (syntax): " + e.msg);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) +
                                ": (syntax): " + e.what());
  }
  LNSIM_RETURN_IF_ERROR(CheckDocumentShape(root, path));
  LNSIM_RETURN_IF_ERROR(CheckDuplicateKeys(root, "", path));
  Scenario s;
  s.path = path;
  s.root = root;
  try {
    if (Status st = sim::ParseWorldSections(root, &s.world); !st.ok()) {
      return InvalidArgumentError(path + ":" + st.message());
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) +
                                ": (world): " + e.what());
  }
  LNSIM_RETURN_IF_ERROR(CheckApiFaultKinds(s));
  LNSIM_RETURN_IF_ERROR(RecheckScenario(&s));
  s.api = root["api"];
  s.bridge = root["bridge"];
  s.nats = root["nats"];
  s.consumers = root["consumers"];
  s.network = root["network"];
  s.slo = root["slo"];
  s.drain = root["drain"];
  s.verify = root["verify"];
  return s;
}

Status RecheckScenario(Scenario* s) {
  s->warnings.clear();
  std::vector<std::string> found;
  if (Status st = sim::CheckWorldSpec(s->world, s->root, &found); !st.ok()) {
    const std::string& m = st.message();
    const bool has_line = !m.empty() && m[0] >= '0' && m[0] <= '9';
    return InvalidArgumentError(s->path + (has_line ? ":" : ": ") + m);
  }
  for (const std::string& w : found) {
    const bool has_line = !w.empty() && w[0] >= '0' && w[0] <= '9';
    s->warnings.push_back(s->path + (has_line ? ":" : ": ") + w);
  }
  return OkStatus();
}

void PrintScenarioWarnings(const Scenario& s, std::string_view prefix, std::ostream& out) {
  for (const std::string& w : s.warnings) out << prefix << "warning: " << w << "\n";
  out.flush();
}

void PrintScenarioWarnings(const std::string& path, std::string_view prefix, std::ostream& out) {
  if (auto s = LoadScenarioFile(path); s.ok()) PrintScenarioWarnings(*s, prefix, out);
}

StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgumentError(path + ": cannot open: is a directory, not a scenario file");
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno != 0 ? errno : ENOENT;
    return InvalidArgumentError(path + ": cannot open: " + std::strerror(err));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
  if (text.str().empty()) {
    return InvalidArgumentError(path + ": the file is empty; a scenario maps sections such as " +
                                "cluster:, workload:, faults:");
  }
  return LoadScenarioText(text.str(), path);
}

}  // namespace lnsim::harness
