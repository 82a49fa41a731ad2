// Loads scenario files (see scenario_loader.h): YAML parsing with yaml-cpp, the top-level key
// check with a "did you mean", and the world's sections handed to sim::ParseWorldSections,
// whose "line: key: what" errors get the file name in front.
#include "harness/scenario_loader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lnsim::harness {

const std::vector<std::string>& ScenarioTopLevelKeys() {
  static const std::vector<std::string> keys = {
      "cluster", "workload", "faults",    "time_scale", "duration", "seed", "api",
      "bridge",  "nats",     "consumers", "network",    "slo",      "drain"};
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
  if (!root.IsDefined() || root.IsNull()) {
    return InvalidArgumentError(path + ":1: (document): the scenario is empty");
  }
  if (!root.IsMap()) {
    return InvalidArgumentError(path + ":" + std::to_string(root.Mark().line + 1) +
                                ": (document): a scenario must be a YAML mapping of sections");
  }
  Scenario s;
  s.path = path;
  const auto& keys = ScenarioTopLevelKeys();
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return InvalidArgumentError(path + ":" + std::to_string(entry.first.Mark().line + 1) + ": " +
                                  key + ": unknown top-level key" + sim::DidYouMean(key, keys));
    }
  }
  try {
    if (Status st = sim::ParseWorldSections(root, &s.world); !st.ok()) {
      return InvalidArgumentError(path + ":" + st.message());
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError(path + ":" + std::to_string(e.mark.line + 1) +
                                ": (world): " + e.what());
  }
  s.api = root["api"];
  s.bridge = root["bridge"];
  s.nats = root["nats"];
  s.consumers = root["consumers"];
  s.network = root["network"];
  s.slo = root["slo"];
  s.drain = root["drain"];
  return s;
}

StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(path + ":0: (file): cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return LoadScenarioText(text.str(), path);
}

}  // namespace lnsim::harness
