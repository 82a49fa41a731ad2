// Parser of the scenario's `bridge` section; see bridge_spec.h.
#include "harness/bridge_spec.h"

#include <yaml-cpp/yaml.h>

#include "common/duration.h"
#include "sim/scenario.h"

namespace lnsim::harness {
namespace {

std::string Line(const YAML::Node& n) { return std::to_string(n.Mark().line + 1); }

}  // namespace

StatusOr<BridgeSpec> ParseBridgeSection(const YAML::Node& node, const std::string& path) {
  BridgeSpec spec;
  if (!node.IsDefined() || node.IsNull()) return spec;
  auto err = [&](const YAML::Node& at, const std::string& key, const std::string& what) {
    return InvalidArgumentError(path + ":" + Line(at) + ": bridge." + key + ": " + what);
  };
  if (!node.IsMap()) return err(node, "", "must be a mapping");
  static const std::vector<std::string> kKeys = {
      "command",      "cluster",     "poll_interval",      "request_timeout",
      "dedup_window", "resync_step", "pool_low_threshold", "sse",
      "extra_args",   "https"};
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    auto duration = [&](Duration* out) -> Status {
      auto d = ParseDuration(v.IsScalar() ? v.Scalar() : "");
      if (!d.ok()) return err(v, key, d.status().message());
      if (d->count() <= 0) return err(v, key, "must be > 0");
      *out = *d;
      return OkStatus();
    };
    auto number = [&](double* out) -> Status {
      try {
        *out = v.as<double>();
      } catch (const YAML::Exception&) {
        return err(v, key, "must be a number");
      }
      if (*out < 0) return err(v, key, "must be >= 0");
      return OkStatus();
    };
    try {
      if (key == "command") {
        spec.command = v.as<std::string>();
      } else if (key == "cluster") {
        spec.cluster = v.as<std::string>();
        if (spec.cluster.empty()) return err(v, key, "must not be empty");
      } else if (key == "poll_interval") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.poll_interval));
      } else if (key == "request_timeout") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.request_timeout));
      } else if (key == "dedup_window") {
        LNSIM_RETURN_IF_ERROR(duration(&spec.dedup_window));
      } else if (key == "resync_step") {
        LNSIM_RETURN_IF_ERROR(number(&spec.resync_step));
      } else if (key == "pool_low_threshold") {
        LNSIM_RETURN_IF_ERROR(number(&spec.pool_low_threshold));
      } else if (key == "sse") {
        spec.sse = v.as<bool>();
      } else if (key == "https") {
        spec.https = v.as<bool>();
      } else if (key == "extra_args") {
        if (!v.IsSequence()) return err(v, key, "must be a list of strings");
        for (const auto& a : v) spec.extra_args.push_back(a.as<std::string>());
      } else {
        return err(kv.first, key, "unknown key" + sim::DidYouMean(key, kKeys));
      }
    } catch (const YAML::Exception&) {
      return err(v, key, "has the wrong type");
    }
  }
  return spec;
}

}  // namespace lnsim::harness
