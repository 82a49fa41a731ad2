// Fault schedule shrinking (see shrink.h).
#include "harness/shrink.h"

#include <yaml-cpp/yaml.h>

namespace lnsim::harness {

StatusOr<std::string> ScenarioWithFaults(const std::string& scenario_text,
                                         const std::vector<size_t>& kept) {
  YAML::Node root;
  try {
    root = YAML::Load(scenario_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(std::string("scenario: ") + e.what());
  }
  if (!root.IsMap()) return InvalidArgumentError("scenario: not a YAML mapping");
  const YAML::Node faults = root["faults"];
  YAML::Node cut(YAML::NodeType::Sequence);
  for (size_t i : kept) {
    if (!faults.IsSequence() || i >= faults.size()) {
      return InvalidArgumentError("scenario: no fault #" + std::to_string(i));
    }
    cut.push_back(YAML::Clone(faults[i]));
  }
  // Rebuild the map in the original key order with the new faults list.
  YAML::Node out(YAML::NodeType::Map);
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key == "faults") {
      out[key] = cut;
    } else {
      out[key] = YAML::Clone(kv.second);
    }
  }
  YAML::Emitter emitter;
  emitter << out;
  if (!emitter.good()) return InternalError("scenario: " + emitter.GetLastError());
  return std::string(emitter.c_str()) + "\n";
}

StatusOr<ShrinkResult> ShrinkFaultSchedule(const std::string& scenario_text,
                                           const std::string& path,
                                           const ShrinkPredicate& still_fails) {
  LNSIM_ASSIGN_OR_RETURN(Scenario original, LoadScenarioText(scenario_text, path));
  ShrinkResult result;
  result.original_faults = original.world.faults.size();
  if (result.original_faults == 0) {
    return InvalidArgumentError(path + ": no faults to shrink");
  }
  for (size_t i = 0; i < result.original_faults; ++i) result.kept.push_back(i);
  bool removed = true;
  while (removed && result.kept.size() > 1) {
    removed = false;
    for (size_t pos = 0; pos < result.kept.size();) {
      std::vector<size_t> candidate = result.kept;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(pos));
      LNSIM_ASSIGN_OR_RETURN(std::string text, ScenarioWithFaults(scenario_text, candidate));
      LNSIM_ASSIGN_OR_RETURN(Scenario parsed, LoadScenarioText(text, path));
      ++result.runs;
      if (still_fails(parsed, text)) {
        result.kept = std::move(candidate);  // the removal stays; the same position is next
        removed = true;
      } else {
        ++pos;
      }
    }
  }
  LNSIM_ASSIGN_OR_RETURN(std::string text, ScenarioWithFaults(scenario_text, result.kept));
  std::string header = "# Shrunk from " + path + ": " + std::to_string(result.kept.size()) +
                       " of " + std::to_string(result.original_faults) + " faults still fail (kept";
  for (size_t i : result.kept) header += " #" + std::to_string(i);
  header += "; " + std::to_string(result.runs) + " runs).\n";
  result.text = header + text;
  return result;
}

}  // namespace lnsim::harness
