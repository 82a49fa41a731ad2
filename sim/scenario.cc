// Turns the world's scenario sections (cluster, workload, faults, time_scale, duration, seed) from
// YAML nodes into typed specs. Every key is checked: unknown keys, wrong types and out-of-range
// values are errors that name the (1-based) line and the dotted key, with a "did you mean".
#include "sim/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>

#include "common/duration.h"
#include "sim/internal/scenario_checks.h"

namespace lnsim::sim {
namespace {

struct FaultKindName {
  FaultKind kind;
  const char* name;
};
constexpr FaultKindName kFaultKinds[] = {
    {FaultKind::kNodeCrash, "node-crash"},     {FaultKind::kNodeReboot, "node-reboot"},
    {FaultKind::kPartition, "partition"},      {FaultKind::kQuorumLoss, "quorum-loss"},
    {FaultKind::kSplitBrain, "split-brain"},   {FaultKind::kPoolExhaustion, "pool-exhaustion"},
    {FaultKind::kDiskFailure, "disk-failure"}, {FaultKind::kSlowSatellite, "slow-satellite"},
    {FaultKind::kResizeWave, "resize-wave"},   {FaultKind::kControllerOutage, "controller-outage"},
    {FaultKind::kApiFault, "api-fault"},       {FaultKind::kNatsRestart, "nats-restart"},
    {FaultKind::kBridgeKill, "bridge-kill"},   {FaultKind::kConsumerCrash, "consumer-crash"},
    {FaultKind::kNetwork, "network"},
};

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int Line(const YAML::Node& node) { return node.Mark().line + 1; }

Status Error(const YAML::Node& at, const std::string& key, const std::string& what) {
  return InvalidArgumentError(std::to_string(at.IsDefined() ? Line(at) : 0) + ": " + key + ": " +
                              what);
}

using Setter = std::function<Status(const YAML::Node& value, const std::string& key)>;

// Walks a map section: every key must be in `setters`.
Status ParseMap(const YAML::Node& section, const std::string& prefix,
                const std::vector<std::pair<std::string, Setter>>& setters) {
  if (section.IsNull()) return OkStatus();
  if (!section.IsMap()) return Error(section, prefix, "must be a mapping");
  for (const auto& entry : section) {
    const std::string key = entry.first.Scalar();
    const std::string dotted = prefix + "." + key;
    auto it =
        std::find_if(setters.begin(), setters.end(), [&](const auto& s) { return s.first == key; });
    if (it == setters.end()) {
      std::vector<std::string> names;
      for (const auto& s : setters) names.push_back(s.first);
      return Error(entry.first, dotted, "unknown key" + DidYouMean(key, names));
    }
    LNSIM_RETURN_IF_ERROR(it->second(entry.second, dotted));
  }
  return OkStatus();
}

Status ReadInt(const YAML::Node& v, const std::string& key, int64_t lo, int64_t hi, int64_t* out) {
  if (!v.IsScalar()) return Error(v, key, "must be an integer");
  const std::string& s = v.Scalar();
  size_t pos = 0;
  long long value = 0;
  try {
    value = std::stoll(s, &pos, 10);
  } catch (const std::exception&) {
    return Error(v, key, "must be an integer, got '" + s + "'");
  }
  if (pos != s.size()) return Error(v, key, "must be an integer, got '" + s + "'");
  if (value < lo || value > hi) {
    return Error(v, key,
                 "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + s);
  }
  *out = value;
  return OkStatus();
}

Status IntField(const YAML::Node& v, const std::string& key, int lo, int hi, int* out) {
  int64_t value = 0;
  LNSIM_RETURN_IF_ERROR(ReadInt(v, key, lo, hi, &value));
  *out = static_cast<int>(value);
  return OkStatus();
}

Status DoubleField(const YAML::Node& v, const std::string& key, double lo, double hi, double* out) {
  if (!v.IsScalar()) return Error(v, key, "must be a number");
  const std::string& s = v.Scalar();
  size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(s, &pos);
  } catch (const std::exception&) {
    return Error(v, key, "must be a number, got '" + s + "'");
  }
  if (pos != s.size() || !std::isfinite(value)) {
    return Error(v, key, "must be a number, got '" + s + "'");
  }
  if (value < lo || value > hi) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "must be in [%g, %g], got %s", lo, hi, s.c_str());
    return Error(v, key, buf);
  }
  *out = value;
  return OkStatus();
}

Status BoolField(const YAML::Node& v, const std::string& key, bool* out) {
  if (!v.IsScalar()) return Error(v, key, "must be true or false");
  const std::string s = FoldName(v.Scalar());
  if (s == "true" || s == "yes" || s == "on") {
    *out = true;
  } else if (s == "false" || s == "no" || s == "off") {
    *out = false;
  } else {
    return Error(v, key, "must be true or false, got '" + v.Scalar() + "'");
  }
  return OkStatus();
}

Status StringField(const YAML::Node& v, const std::string& key, std::string* out) {
  if (!v.IsScalar()) return Error(v, key, "must be a string");
  *out = v.Scalar();
  return OkStatus();
}

Status DurationField(const YAML::Node& v, const std::string& key, bool allow_zero, Duration* out) {
  if (!v.IsScalar()) return Error(v, key, "must be a duration such as 250ms, 10s, 5m, 1h");
  auto d = ParseDuration(v.Scalar());
  if (!d.ok()) {
    return Error(v, key, "bad duration '" + v.Scalar() + "' (write e.g. 250ms, 10s, 5m, 1h)");
  }
  if (d->count() < 0 || (!allow_zero && d->count() == 0)) {
    return Error(v, key, allow_zero ? "must not be negative" : "must be positive");
  }
  *out = *d;
  return OkStatus();
}

// Sizes: a bare integer is KiB; otherwise a number with a unit: KiB, MiB, GiB, TiB (or K, M,
// G, T; binary multiples either way).
Status SizeField(const YAML::Node& v, const std::string& key, Kib* out) {
  if (!v.IsScalar()) return Error(v, key, "must be a size such as 1048576 (KiB) or 10GiB");
  const std::string& s = v.Scalar();
  size_t pos = 0;
  double number = 0;
  try {
    number = std::stod(s, &pos);
  } catch (const std::exception&) {
    return Error(v, key, "bad size '" + s + "' (write KiB as a number, or 10GiB, 1TiB)");
  }
  std::string unit = FoldName(s.substr(pos));
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  double mult = 0;
  if (unit.empty() || unit == "k" || unit == "kib" || unit == "kb") {
    mult = 1;
  } else if (unit == "m" || unit == "mib" || unit == "mb") {
    mult = 1024;
  } else if (unit == "g" || unit == "gib" || unit == "gb") {
    mult = 1024.0 * 1024;
  } else if (unit == "t" || unit == "tib" || unit == "tb") {
    mult = 1024.0 * 1024 * 1024;
  } else if (unit == "p" || unit == "pib" || unit == "pb") {
    mult = 1024.0 * 1024 * 1024 * 1024;
  } else {
    return Error(v, key, "bad size unit in '" + s + "' (KiB, MiB, GiB, TiB)");
  }
  const double kib = number * mult;
  if (!(kib >= 1) || kib > 9.0e18) return Error(v, key, "size out of range: '" + s + "'");
  *out = static_cast<Kib>(kib);
  return OkStatus();
}

Status ProviderField(const YAML::Node& v, const std::string& key, ProviderKind* out) {
  if (!v.IsScalar()) return Error(v, key, "must be one of LVM, LVM_THIN, ZFS, ZFS_THIN");
  std::string s = v.Scalar();
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (ProviderKind k :
       {ProviderKind::kLvm, ProviderKind::kLvmThin, ProviderKind::kZfs, ProviderKind::kZfsThin}) {
    if (s == Name(k)) {
      *out = k;
      return OkStatus();
    }
  }
  return Error(v, key,
               "must be one of LVM, LVM_THIN, ZFS, ZFS_THIN, got '" + v.Scalar() + "'" +
                   DidYouMean(s, {"LVM", "LVM_THIN", "ZFS", "ZFS_THIN"}));
}

Status ParseCluster(const YAML::Node& n, ClusterSpec* c) {
  auto integer = [](int* field, int lo, int hi) -> Setter {
    return [=](const YAML::Node& v, const std::string& k) { return IntField(v, k, lo, hi, field); };
  };
  auto number = [](double* field, double lo, double hi) -> Setter {
    return
        [=](const YAML::Node& v, const std::string& k) { return DoubleField(v, k, lo, hi, field); };
  };
  auto size = [](Kib* field) -> Setter {
    return [=](const YAML::Node& v, const std::string& k) { return SizeField(v, k, field); };
  };
  LNSIM_RETURN_IF_ERROR(ParseMap(
      n, "cluster",
      {
          {"nodes", integer(&c->nodes, 1, 100000)},
          {"diskless_clients", integer(&c->diskless_clients, 0, 100000)},
          {"pools_per_node", integer(&c->pools_per_node, 1, 64)},
          {"pool_size", size(&c->pool_size_kib)},
          {"pool_kind", [=](const YAML::Node& v,
                            const std::string& k) { return ProviderField(v, k, &c->pool_kind); }},
          {"max_oversubscription", number(&c->max_oversubscription, 1.0, 1000.0)},
          {"resource_groups", integer(&c->resource_groups, 0, 1000)},
          {"resources", integer(&c->resources, 0, 10000000)},
          {"volumes_per_resource", integer(&c->volumes_per_resource, 1, 64)},
          {"volume_size_min", size(&c->volume_size_min_kib)},
          {"volume_size_max", size(&c->volume_size_max_kib)},
          {"replicas", integer(&c->replicas, 1, 16)},
          {"tiebreaker", [=](const YAML::Node& v,
                             const std::string& k) { return BoolField(v, k, &c->tiebreaker); }},
          {"in_use_fraction", number(&c->in_use_fraction, 0.0, 1.0)},
          {"name_prefix", [=](const YAML::Node& v,
                              const std::string& k) { return StringField(v, k, &c->name_prefix); }},
          {"ha_failover_delay",
           [=](const YAML::Node& v, const std::string& k) {
             return DurationField(v, k, /*allow_zero=*/true, &c->ha_failover_delay);
           }},
          {"write_rate", size(&c->write_rate_kib)},
          {"resync_rate", size(&c->resync_rate_kib)},
      }));
  if (n.IsMap()) {
    if (c->volume_size_min_kib > c->volume_size_max_kib) {
      const YAML::Node at = n["volume_size_min"].IsDefined() ? n["volume_size_min"] : n;
      return Error(at, "cluster.volume_size_min", "must not exceed cluster.volume_size_max");
    }
    if (c->name_prefix.empty() || c->name_prefix.size() > 8 ||
        !std::isalpha(static_cast<unsigned char>(c->name_prefix[0]))) {
      return Error(n["name_prefix"], "cluster.name_prefix",
                   "must be 1 to 8 characters starting with a letter");
    }
    for (char ch : c->name_prefix) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') {
        return Error(n["name_prefix"], "cluster.name_prefix",
                     "may only contain letters, digits, '-' and '_'");
      }
    }
  }
  return OkStatus();
}

Status ParseWorkload(const YAML::Node& n, WorkloadSpec* w) {
  auto rate = [](double* field) -> Setter {
    return [=](const YAML::Node& v, const std::string& k) {
      return DoubleField(v, k, 0.0, 1.0e7, field);
    };
  };
  return ParseMap(n, "workload",
                  {
                      {"provision_rate", rate(&w->provision_rate)},
                      {"delete_rate", rate(&w->delete_rate)},
                      {"attach_rate", rate(&w->attach_rate)},
                      {"detach_rate", rate(&w->detach_rate)},
                      {"resize_rate", rate(&w->resize_rate)},
                      {"resize_factor",
                       [=](const YAML::Node& v, const std::string& k) {
                         return DoubleField(v, k, 1.0001, 100.0, &w->resize_factor);
                       }},
                      {"via",
                       [=](const YAML::Node& v, const std::string& k) {
                         LNSIM_RETURN_IF_ERROR(StringField(v, k, &w->via));
                         if (w->via != "world" && w->via != "api") {
                           return Error(v, k, "must be 'world' or 'api', got '" + w->via + "'");
                         }
                         return OkStatus();
                       }},
                  });
}

Status ParseFaultKeys(const YAML::Node& n, const std::string& prefix, FaultSpec* f);

Status ParseFault(const YAML::Node& n, const std::string& prefix, FaultSpec* f) {
  if (!n.IsMap()) return Error(n, prefix, "must be a mapping with at least `kind`");
  if (!n["kind"].IsDefined()) return Error(n, prefix + ".kind", "missing (e.g. kind: node-crash)");
  f->source_line = Line(n);
  LNSIM_RETURN_IF_ERROR(ParseFaultKeys(n, prefix, f));
  return internal::CheckFaultParams(n, prefix, f);
}

Status ParseFaultKeys(const YAML::Node& n, const std::string& prefix, FaultSpec* f) {
  return ParseMap(
      n, prefix,
      {
          {"kind",
           [=](const YAML::Node& v, const std::string& k) {
             if (!v.IsScalar()) return Error(v, k, "must be a fault kind name");
             std::vector<std::string> names;
             for (const auto& fk : kFaultKinds) {
               if (v.Scalar() == fk.name) {
                 f->kind = fk.kind;
                 return OkStatus();
               }
               names.push_back(fk.name);
             }
             return Error(
                 v, k, "unknown fault kind '" + v.Scalar() + "'" + DidYouMean(v.Scalar(), names));
           }},
          {"at",
           [=](const YAML::Node& v, const std::string& k) {
             if (v.IsScalar() && v.Scalar() == "random") {
               f->at = kRandomTime;
               return OkStatus();
             }
             return DurationField(v, k, /*allow_zero=*/true, &f->at);
           }},
          {"duration",
           [=](const YAML::Node& v, const std::string& k) {
             return DurationField(v, k, /*allow_zero=*/true, &f->duration);
           }},
          {"nodes",
           [=](const YAML::Node& v, const std::string& k) {
             if (v.IsScalar()) {
               f->nodes = {v.Scalar()};
               return OkStatus();
             }
             if (!v.IsSequence()) return Error(v, k, "must be a list of node names");
             for (const auto& item : v) {
               if (!item.IsScalar()) return Error(item, k, "must be a list of node names");
               f->nodes.push_back(item.Scalar());
             }
             return OkStatus();
           }},
          {"resource", [=](const YAML::Node& v,
                           const std::string& k) { return StringField(v, k, &f->resource); }},
          {"count", [=](const YAML::Node& v,
                        const std::string& k) { return IntField(v, k, 1, 1000000, &f->count); }},
          {"probability",
           [=](const YAML::Node& v, const std::string& k) {
             return DoubleField(v, k, 0.0, 1.0, &f->probability);
           }},
          {"params",
           [=](const YAML::Node& v, const std::string& k) {
             if (v.IsScalar()) {
               f->params = v.Scalar();
               return OkStatus();
             }
             if (!v.IsMap()) return Error(v, k, "must be a mapping or `key=value,...`");
             std::string out;
             for (const auto& e : v) {
               if (!e.second.IsScalar()) return Error(e.second, k, "values must be scalars");
               if (!out.empty()) out += ',';
               out += e.first.Scalar() + "=" + e.second.Scalar();
             }
             f->params = out;
             return OkStatus();
           }},
      });
}

}  // namespace

std::string DidYouMean(std::string_view key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;  // only suggest close matches
  const std::string folded = FoldName(key);
  for (const auto& c : candidates) {
    const size_t d = EditDistance(folded, FoldName(c));
    if (d < best_distance || (d == best_distance && best.empty() && d <= 2)) {
      best_distance = d;
      best = c;
    }
  }
  if (best.empty() || best_distance > std::max<size_t>(2, key.size() / 3)) return "";
  return " (did you mean '" + best + "'?)";
}

std::string_view Name(FaultKind kind) {
  for (const auto& fk : kFaultKinds) {
    if (fk.kind == kind) return fk.name;
  }
  return "unknown";
}

bool WorldExecutes(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
    case FaultKind::kPartition:
    case FaultKind::kQuorumLoss:
    case FaultKind::kSplitBrain:
    case FaultKind::kPoolExhaustion:
    case FaultKind::kDiskFailure:
    case FaultKind::kSlowSatellite:
    case FaultKind::kResizeWave:
      return true;
    default:
      return false;
  }
}

Status ParseWorldSections(const YAML::Node& root, WorldSpec* spec) {
  if (!root.IsMap()) return Error(root, "(document)", "a scenario must be a YAML mapping");
  if (const YAML::Node n = root["cluster"]; n.IsDefined()) {
    LNSIM_RETURN_IF_ERROR(ParseCluster(n, &spec->cluster));
  }
  if (const YAML::Node n = root["workload"]; n.IsDefined()) {
    LNSIM_RETURN_IF_ERROR(ParseWorkload(n, &spec->workload));
  }
  if (const YAML::Node n = root["faults"]; n.IsDefined() && !n.IsNull()) {
    if (!n.IsSequence()) return Error(n, "faults", "must be a list of faults");
    int i = 0;
    for (const auto& item : n) {
      FaultSpec f;
      LNSIM_RETURN_IF_ERROR(ParseFault(item, "faults[" + std::to_string(i) + "]", &f));
      spec->faults.push_back(std::move(f));
      ++i;
    }
  }
  if (const YAML::Node n = root["time_scale"]; n.IsDefined()) {
    LNSIM_RETURN_IF_ERROR(DoubleField(n, "time_scale", 1e-6, 1e6, &spec->time_scale));
  }
  if (const YAML::Node n = root["duration"]; n.IsDefined()) {
    LNSIM_RETURN_IF_ERROR(DurationField(n, "duration", /*allow_zero=*/false, &spec->duration));
  }
  if (const YAML::Node n = root["seed"]; n.IsDefined()) {
    int64_t seed = 0;
    LNSIM_RETURN_IF_ERROR(ReadInt(n, "seed", 0, INT64_MAX, &seed));
    spec->seed = static_cast<uint64_t>(seed);
  }
  return OkStatus();
}

}  // namespace lnsim::sim
