// Parsing and decisions of the API fault plan (see api_faults.h).
#include "mock-linstor/api_faults.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>

#include "common/duration.h"
#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock {
namespace {

std::string LineOf(const YAML::Node& n) {
  const int line = n.Mark().line;
  return std::to_string(line >= 0 ? line + 1 : 0);
}

Status Bad(const YAML::Node& n, const std::string& key, const std::string& what) {
  return InvalidArgumentError(LineOf(n) + ": " + key + ": " + what);
}

std::optional<ApiFaultKind> KindFromName(std::string_view s) {
  if (s == "latency") return ApiFaultKind::kLatency;
  if (s == "error") return ApiFaultKind::kError;
  if (s == "hang") return ApiFaultKind::kHang;
  if (s == "sse_drop") return ApiFaultKind::kSseDrop;
  if (s == "stale") return ApiFaultKind::kStale;
  if (s == "controller_down") return ApiFaultKind::kControllerDown;
  if (s == "slow_nodes") return ApiFaultKind::kSlowNodes;
  return std::nullopt;
}

StatusOr<Duration> DurationField(const YAML::Node& v, const std::string& key) {
  if (!v.IsScalar()) return Bad(v, key, "must be a duration like 250ms");
  auto d = ParseDuration(v.Scalar());
  if (!d.ok()) return Bad(v, key, "not a duration (" + d.status().message() + ")");
  if (d->count() < 0) return Bad(v, key, "must not be negative");
  return *d;
}

StatusOr<std::vector<std::string>> StringList(const YAML::Node& v, const std::string& key) {
  std::vector<std::string> out;
  if (v.IsScalar()) {
    out.push_back(v.Scalar());
    return out;
  }
  if (!v.IsSequence()) return Bad(v, key, "must be a list of strings");
  for (const auto& e : v) {
    if (!e.IsScalar()) return Bad(e, key, "must be a list of strings");
    out.push_back(e.Scalar());
  }
  return out;
}

Duration Scale(Duration d, double s) {
  if (d == Duration::max()) return d;
  return Duration(static_cast<int64_t>(std::llround(static_cast<double>(d.count()) * s)));
}

// "key=value,key2=value2"
std::string Param(const std::string& params, const std::string& key) {
  size_t i = 0;
  while (i < params.size()) {
    size_t j = params.find(',', i);
    if (j == std::string::npos) j = params.size();
    const std::string part = params.substr(i, j - i);
    const size_t eq = part.find('=');
    if (eq != std::string::npos && part.substr(0, eq) == key) return part.substr(eq + 1);
    i = j + 1;
  }
  return "";
}

}  // namespace

std::string_view Name(ApiFaultKind kind) {
  switch (kind) {
    case ApiFaultKind::kLatency:
      return "latency";
    case ApiFaultKind::kError:
      return "error";
    case ApiFaultKind::kHang:
      return "hang";
    case ApiFaultKind::kSseDrop:
      return "sse_drop";
    case ApiFaultKind::kStale:
      return "stale";
    case ApiFaultKind::kControllerDown:
      return "controller_down";
    case ApiFaultKind::kSlowNodes:
      return "slow_nodes";
  }
  return "latency";
}

StatusOr<ApiFault> ParseApiFault(const YAML::Node& node, const std::string& where) {
  if (!node.IsMap()) return Bad(node, where, "must be a map");
  ApiFault f;
  f.source_line = node.Mark().line + 1;
  bool has_kind = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    const std::string path = where + "." + key;
    if (key == "kind") {
      auto kind = v.IsScalar() ? KindFromName(v.Scalar()) : std::nullopt;
      if (!kind) {
        return Bad(v, path,
                   "must be one of latency, error, hang, sse_drop, stale, controller_down, "
                   "slow_nodes");
      }
      f.kind = *kind;
      has_kind = true;
    } else if (key == "at") {
      LNSIM_ASSIGN_OR_RETURN(f.at, DurationField(v, path));
    } else if (key == "duration") {
      LNSIM_ASSIGN_OR_RETURN(f.duration, DurationField(v, path));
    } else if (key == "latency") {
      LNSIM_ASSIGN_OR_RETURN(f.latency, DurationField(v, path));
    } else if (key == "max_latency") {
      LNSIM_ASSIGN_OR_RETURN(f.max_latency, DurationField(v, path));
    } else if (key == "distribution") {
      const std::string d = v.IsScalar() ? v.Scalar() : "";
      if (d == "fixed") {
        f.distribution = LatencyDistribution::kFixed;
      } else if (d == "uniform") {
        f.distribution = LatencyDistribution::kUniform;
      } else if (d == "exponential") {
        f.distribution = LatencyDistribution::kExponential;
      } else {
        return Bad(v, path, "must be fixed, uniform or exponential");
      }
    } else if (key == "status") {
      int status = 0;
      try {
        status = v.as<int>();
      } catch (const YAML::Exception&) {
        return Bad(v, path, "must be an HTTP status between 500 and 599");
      }
      if (status < 500 || status > 599)
        return Bad(v, path, "must be an HTTP status between 500 and 599");
      f.status = status;
    } else if (key == "paths") {
      LNSIM_ASSIGN_OR_RETURN(f.paths, StringList(v, path));
      for (const auto& p : f.paths) {
        if (p.empty() || p[0] != '/') return Bad(v, path, "paths must start with '/'");
      }
    } else if (key == "methods") {
      LNSIM_ASSIGN_OR_RETURN(f.methods, StringList(v, path));
    } else if (key == "nodes") {
      LNSIM_ASSIGN_OR_RETURN(f.nodes, StringList(v, path));
    } else if (key == "probability") {
      double p = -1;
      try {
        p = v.as<double>();
      } catch (const YAML::Exception&) {
        p = -1;
      }
      if (!(p >= 0 && p <= 1)) return Bad(v, path, "must be a number between 0 and 1");
      f.probability = p;
    } else {
      return Bad(kv.first, path, "unknown key");
    }
  }
  if (!has_kind) return Bad(node, where + ".kind", "missing");
  if (f.distribution == LatencyDistribution::kUniform && f.max_latency < f.latency) {
    return Bad(node, where + ".max_latency", "must be >= latency for a uniform distribution");
  }
  if ((f.kind == ApiFaultKind::kLatency || f.kind == ApiFaultKind::kSlowNodes) &&
      f.latency.count() == 0 && f.max_latency.count() == 0) {
    return Bad(node, where + ".latency", "missing (a latency fault needs a latency)");
  }
  return f;
}

StatusOr<std::vector<ApiFault>> ParseApiSection(const YAML::Node& api) {
  std::vector<ApiFault> out;
  if (!api || api.IsNull()) return out;
  if (!api.IsMap()) return Bad(api, "api", "must be a map");
  for (const auto& kv : api) {
    const std::string key = kv.first.Scalar();
    if (key != "faults") return Bad(kv.first, "api." + key, "unknown key");
    const YAML::Node& list = kv.second;
    if (list.IsNull()) continue;
    if (!list.IsSequence()) return Bad(list, "api.faults", "must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      LNSIM_ASSIGN_OR_RETURN(ApiFault f,
                             ParseApiFault(list[i], "api.faults[" + std::to_string(i) + "]"));
      out.push_back(std::move(f));
    }
  }
  return out;
}

std::string ApiFaultJson(const ApiFault& f, double time_scale) {
  std::string out;
  internal::JsonWriter w(&out);
  const double s = f.scaled ? time_scale : 1.0;
  w.BeginObject();
  w.KeyUint("id", f.id);
  w.KeyStr("kind", Name(f.kind));
  w.KeyStr("at", FormatDuration(Scale(f.at, s)));
  w.KeyStr("duration", FormatDuration(Scale(f.duration, s)));
  if (f.latency.count() > 0) w.KeyStr("latency", FormatDuration(Scale(f.latency, s)));
  if (f.max_latency.count() > 0) w.KeyStr("max_latency", FormatDuration(Scale(f.max_latency, s)));
  if (f.kind == ApiFaultKind::kError) w.KeyInt("status", f.status);
  auto list = [&](const char* key, const std::vector<std::string>& v) {
    if (v.empty()) return;
    w.Key(key);
    w.BeginArray();
    for (const auto& e : v) w.Str(e);
    w.EndArray();
  };
  list("paths", f.paths);
  list("methods", f.methods);
  list("nodes", f.nodes);
  w.KeyDouble("probability", f.probability);
  w.EndObject();
  return out;
}

FaultPlan::FaultPlan(std::vector<ApiFault> scenario_faults, double time_scale, uint64_t seed)
    : faults_(std::move(scenario_faults)),
      time_scale_(time_scale > 0 ? time_scale : 1.0),
      rng_(Rng(seed).Fork("mock-linstor/api-faults")) {
  for (ApiFault& f : faults_) f.id = next_id_++;
}

void FaultPlan::AddWorldFaults(const std::vector<sim::FaultSpec>& faults) {
  for (const sim::FaultSpec& spec : faults) {
    ApiFault f;
    f.at = spec.at;
    f.duration = spec.duration;
    f.probability = spec.probability;
    f.source_line = spec.source_line;
    if (spec.kind == sim::FaultKind::kControllerOutage) {
      f.kind = ApiFaultKind::kControllerDown;
    } else if (spec.kind == sim::FaultKind::kSlowSatellite) {
      f.kind = ApiFaultKind::kSlowNodes;
      f.nodes = spec.nodes;
      std::string latency = Param(spec.params, "latency");
      if (latency.empty()) latency = Param(spec.params, "delay");
      auto d = ParseDuration(latency.empty() ? "5s" : latency);
      f.latency = d.ok() ? *d : std::chrono::seconds(5);
    } else if (spec.kind == sim::FaultKind::kApiFault) {
      // faults: [{kind: api-fault, at: 10s, duration: 5s, params:
      // "kind=error,status=503,path=/v1/view"}]
      auto kind = KindFromName(Param(spec.params, "kind"));
      if (!kind) continue;  // the scenario's own `api` section is the documented way
      f.kind = *kind;
      f.nodes = spec.nodes;
      if (auto d = ParseDuration(Param(spec.params, "latency")); d.ok()) f.latency = *d;
      if (auto d = ParseDuration(Param(spec.params, "max_latency")); d.ok()) {
        f.max_latency = *d;
        f.distribution = LatencyDistribution::kUniform;
      }
      const std::string status = Param(spec.params, "status");
      if (!status.empty()) f.status = std::atoi(status.c_str());
      if (f.status < 500 || f.status > 599) f.status = 500;
      const std::string path = Param(spec.params, "path");
      if (!path.empty()) f.paths = {path};
    } else {
      continue;
    }
    f.id = next_id_++;
    faults_.push_back(std::move(f));
  }
}

uint64_t FaultPlan::AddLive(ApiFault fault, Duration now) {
  fault.scaled = false;
  fault.at = now + fault.at;
  fault.id = next_id_++;
  faults_.push_back(std::move(fault));
  return faults_.back().id;
}

bool FaultPlan::Remove(uint64_t id) {
  auto it =
      std::find_if(faults_.begin(), faults_.end(), [&](const ApiFault& f) { return f.id == id; });
  if (it == faults_.end()) return false;
  faults_.erase(it);
  return true;
}

void FaultPlan::ClearLive() {
  faults_.erase(
      std::remove_if(faults_.begin(), faults_.end(), [](const ApiFault& f) { return !f.scaled; }),
      faults_.end());
}

Duration FaultPlan::Start(const ApiFault& f) const {
  return f.scaled ? Scale(f.at, time_scale_) : f.at;
}

Duration FaultPlan::End(const ApiFault& f) const {
  if (f.duration.count() == 0) {
    // Open-ended, except sse_drop which is an instant (a 1 ms window to be observable).
    if (f.kind == ApiFaultKind::kSseDrop) return Start(f) + std::chrono::milliseconds(1);
    return Duration::max();
  }
  return Start(f) + (f.scaled ? Scale(f.duration, time_scale_) : f.duration);
}

bool FaultPlan::IsActive(const ApiFault& f, Duration now) const {
  return now >= Start(f) && now < End(f);
}

bool FaultPlan::Matches(const ApiFault& f, std::string_view method, std::string_view path) const {
  if (!f.methods.empty()) {
    bool ok = false;
    for (const auto& m : f.methods) ok = ok || m == method;
    if (!ok) return false;
  }
  if (!f.paths.empty()) {
    bool ok = false;
    for (const auto& p : f.paths) ok = ok || path.substr(0, p.size()) == p;
    if (!ok) return false;
  }
  return true;
}

Duration FaultPlan::Sample(const ApiFault& f) {
  const double s = f.scaled ? time_scale_ : 1.0;
  double ns = 0;
  switch (f.distribution) {
    case LatencyDistribution::kFixed:
      ns = static_cast<double>(f.latency.count());
      break;
    case LatencyDistribution::kUniform:
      ns = static_cast<double>(f.latency.count()) +
           rng_.UniformDouble() * static_cast<double>((f.max_latency - f.latency).count());
      break;
    case LatencyDistribution::kExponential:
      ns = rng_.Exponential(static_cast<double>(f.latency.count()));
      if (f.max_latency.count() > 0) ns = std::min(ns, static_cast<double>(f.max_latency.count()));
      break;
  }
  return Duration(static_cast<int64_t>(ns * s));
}

std::vector<ApiFault> FaultPlan::Active(Duration now) const {
  std::vector<ApiFault> out;
  for (const ApiFault& f : faults_) {
    if (IsActive(f, now)) out.push_back(f);
  }
  return out;
}

FaultDecision FaultPlan::Decide(std::string_view method, std::string_view path, Duration now,
                                const std::function<bool(const std::string&)>& involves_node) {
  FaultDecision d;
  for (const ApiFault& f : faults_) {
    if (!IsActive(f, now) || !Matches(f, method, path)) continue;
    if (f.probability < 1.0 && !rng_.Bernoulli(f.probability)) continue;
    switch (f.kind) {
      case ApiFaultKind::kLatency:
        d.delay += Sample(f);
        break;
      case ApiFaultKind::kSlowNodes: {
        if (method != "GET") break;
        bool involved = f.nodes.empty();
        for (const auto& n : f.nodes) involved = involved || (involves_node && involves_node(n));
        if (involved) d.delay += Sample(f);
        break;
      }
      case ApiFaultKind::kError:
        if (d.error_status == 0) d.error_status = f.status;
        break;
      case ApiFaultKind::kHang:
        d.hang = true;
        d.hang_until = std::max(d.hang_until, End(f));
        break;
      case ApiFaultKind::kStale:
        if (method == "GET" && !d.stale) {
          d.stale = true;
          d.stale_fault_id = f.id;
        }
        break;
      case ApiFaultKind::kSseDrop:
      case ApiFaultKind::kControllerDown:
        break;
    }
  }
  return d;
}

bool FaultPlan::HangActive(std::string_view method, std::string_view path, Duration now) const {
  for (const ApiFault& f : faults_) {
    if (f.kind == ApiFaultKind::kHang && IsActive(f, now) && Matches(f, method, path)) return true;
  }
  return false;
}

bool FaultPlan::ControllerDown(Duration now) const {
  for (const ApiFault& f : faults_) {
    if (f.kind == ApiFaultKind::kControllerDown && IsActive(f, now)) return true;
  }
  return false;
}

uint64_t FaultPlan::SseDropWindow(Duration now, Duration* started) const {
  for (const ApiFault& f : faults_) {
    if (f.kind == ApiFaultKind::kSseDrop && IsActive(f, now)) {
      if (started) *started = Start(f);
      return f.id;
    }
  }
  return 0;
}

uint64_t FaultPlan::StaleWindow(Duration now, Duration* started) const {
  for (const ApiFault& f : faults_) {
    if (f.kind == ApiFaultKind::kStale && IsActive(f, now)) {
      if (started) *started = Start(f);
      return f.id;
    }
  }
  return 0;
}

}  // namespace lnsim::mock
