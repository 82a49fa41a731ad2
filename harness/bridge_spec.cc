// Parser of the scenario's `bridge` section; see bridge_spec.h.
#include "harness/bridge_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "common/duration.h"
#include "sim/scenario.h"

namespace lnsim::harness {
namespace {

std::string Line(const YAML::Node& n) { return std::to_string(n.Mark().line + 1); }

// Keys of the section that are the harness's own, not bridge options.
const std::vector<std::string> kHarnessKeys = {"command",    "cluster",       "https",
                                               "extra_args", "ready_timeout", "readiness"};

// Bridge options the rig sets from the rest of the run (where to watch and publish, under which
// name, with which credentials and side channels): a scenario cannot set them here.
constexpr std::string_view kRigOwned[] = {
    "linstor",        "linstor-ca", "linstor-cert", "linstor-key", "nats",         "cluster",
    "jetstream",      "stream",     "bucket",       "replicas",    "creds",        "nkey-seed",
    "inbox-prefix",   "tls-ca",     "tls-cert",     "tls-key",     "metrics-addr", "timing-file",
    "timing-subject", "quiet",      "ready-file"};

std::string SnakeCase(std::string_view kebab) {
  std::string out(kebab);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string KebabCase(std::string_view snake) {
  std::string out(snake);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::vector<std::string> KnownKeys() {
  std::vector<std::string> keys = kHarnessKeys;
  keys.push_back("sse");  // the older spelling of no_sse (inverted), as in bridge config files
  for (std::string_view name : ScenarioBridgeOptionNames()) keys.push_back(SnakeCase(name));
  return keys;
}

// The harness's own bounds on top of the bridge's parsing: a duration of zero would make the
// bridge spin, a negative percentage means nothing.
Status CheckBounds(const bridge::BridgeOption& option, std::string_view value) {
  if (option.type == bridge::OptionType::kDuration) {
    auto d = ParseDuration(value);
    if (!d.ok()) return d.status();
    if (d->count() <= 0) return InvalidArgumentError("must be > 0");
  } else if (option.type == bridge::OptionType::kDouble) {
    try {
      if (std::stod(std::string(value)) < 0) return InvalidArgumentError("must be >= 0");
    } catch (const std::exception&) {
      return InvalidArgumentError("must be a number");
    }
  }
  return OkStatus();
}

// One bridge option from the section (`key` in snake_case, `sse` inverted into no-sse).
Status SetOption(const std::string& key, const YAML::Node& value, bridge::BridgeConfig* config) {
  if (!value.IsScalar()) return InvalidArgumentError("has the wrong type");
  std::string text = value.Scalar();
  std::string name = KebabCase(key);
  if (key == "sse") {
    const bool on = value.as<bool>();
    name = "no-sse";
    text = on ? "false" : "true";
  }
  const bridge::BridgeOption* option = bridge::FindBridgeOption(name);
  LNSIM_RETURN_IF_ERROR(CheckBounds(*option, text));
  return option->set(*config, text);
}

Status ParseEntry(const std::string& key, const YAML::Node& value, BridgeSpec* spec) {
  if (key == "command") {
    spec->command = value.as<std::string>();
  } else if (key == "cluster") {
    spec->cluster = value.as<std::string>();
    if (spec->cluster.empty()) return InvalidArgumentError("must not be empty");
  } else if (key == "https") {
    spec->https = value.as<bool>();
  } else if (key == "ready_timeout") {
    LNSIM_ASSIGN_OR_RETURN(spec->ready_timeout, ParseDuration(value.as<std::string>()));
    if (spec->ready_timeout.count() <= 0) return InvalidArgumentError("must be > 0");
  } else if (key == "readiness") {
    const std::string mode = value.as<std::string>();
    if (mode != "file" && mode != "assumed") {
      return InvalidArgumentError("must be `file` or `assumed`, not '" + mode + "'");
    }
    spec->assume_ready = mode == "assumed";
  } else if (key == "extra_args") {
    if (!value.IsSequence()) return InvalidArgumentError("must be a list of strings");
    for (const auto& a : value) spec->extra_args.push_back(a.as<std::string>());
  } else {
    return SetOption(key, value, &spec->options);
  }
  return OkStatus();
}

}  // namespace

const std::vector<std::string_view>& ScenarioBridgeOptionNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& option : bridge::BridgeOptions()) {
      if (std::find(std::begin(kRigOwned), std::end(kRigOwned), option.name) ==
          std::end(kRigOwned)) {
        out.push_back(option.name);
      }
    }
    return out;
  }();
  return names;
}

StatusOr<BridgeSpec> ParseBridgeSection(const YAML::Node& node, const std::string& path) {
  BridgeSpec spec;
  if (!node.IsDefined() || node.IsNull()) return spec;
  auto err = [&](const YAML::Node& at, const std::string& key, const std::string& what) {
    return InvalidArgumentError(path + ":" + Line(at) + ": bridge." + key + ": " + what);
  };
  if (!node.IsMap()) return err(node, "", "must be a mapping");
  const std::vector<std::string> known = KnownKeys();
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return err(kv.first, key, "unknown key" + sim::DidYouMean(key, known));
    }
    Status st;
    try {
      st = ParseEntry(key, kv.second, &spec);
    } catch (const YAML::Exception&) {
      st = InvalidArgumentError("has the wrong type");
    }
    if (!st.ok()) return err(kv.second, key, st.message());
  }
  return spec;
}

}  // namespace lnsim::harness
