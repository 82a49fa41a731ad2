// The scenario rules that span keys (docs/scenarios.md "Checked before anything starts"): each
// fault kind's params, and the cross-field rules the world, the placement and the faults rely on,
// checked on the parsed spec so a scenario that cannot run fails before anything starts. The world
// keeps its own checks (World::Create) as a guard behind these.
#include "sim/internal/scenario_checks.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "common/duration.h"
#include "sim/scenario.h"

namespace lnsim::sim {
namespace {

// Most keys a world-run length may reach in nanoseconds (~31 years) before the clock overflows.
constexpr double kMaxWorldNanos = 1e18;
constexpr uint64_t kMaxMinors = 1048575 - 1000;  // DRBD minors from 1000

struct ParamItem {
  std::string key, value;
  int line = 0;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

int NodeLine(const YAML::Node& n) { return n.IsDefined() ? n.Mark().line + 1 : 0; }

Status At(int line, const std::string& key, const std::string& what) {
  return InvalidArgumentError((line > 0 ? std::to_string(line) + ": " : std::string()) + key +
                              ": " + what);
}

// The params as items: a map gives each key its own line; `k=v,...` text gets the value's line.
StatusOr<std::vector<ParamItem>> ParamItems(const YAML::Node& params, const std::string& key,
                                            const std::string& text) {
  std::vector<ParamItem> items;
  if (params.IsMap()) {
    for (const auto& e : params) {
      items.push_back({Trim(e.first.Scalar()), Trim(e.second.Scalar()), NodeLine(e.first)});
    }
    return items;
  }
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return At(NodeLine(params), key, "'" + item + "' is not key=value (write e.g. latency=2s)");
    }
    items.push_back({Trim(item.substr(0, eq)), Trim(item.substr(eq + 1)), NodeLine(params)});
  }
  return items;
}

// The world's own param values (the harness and the mock check theirs).
Status CheckWorldParamValue(FaultKind kind, const ParamItem& p, const std::string& dotted) {
  auto duration = [&]() -> Status {
    auto d = ParseDuration(p.value);
    if (!d.ok() || d->count() <= 0) {
      return At(p.line, dotted, "must be a duration > 0 such as 30s, got '" + p.value + "'");
    }
    return OkStatus();
  };
  if (p.key == "evict_after" || p.key == "recover" || p.key == "max_latency") return duration();
  if (p.key == "latency" && (kind == FaultKind::kSlowSatellite || kind == FaultKind::kApiFault)) {
    return duration();
  }
  if (p.key == "mode" && kind == FaultKind::kQuorumLoss && p.value != "partition" &&
      p.value != "crash") {
    return At(p.line, dotted, "must be crash (default) or partition, got '" + p.value + "'");
  }
  if (p.key == "count" || p.key == "status") {
    const bool count = p.key == "count";
    char* end = nullptr;
    const long v = std::strtol(p.value.c_str(), &end, 10);
    const bool ok =
        !p.value.empty() && *end == '\0' && (count ? v >= 1 && v <= 1000000 : v >= 500 && v <= 599);
    if (!ok) {
      return At(p.line, dotted,
                std::string(count ? "must be a count >= 1" : "must be a 5xx status such as 503") +
                    ", got '" + p.value + "'");
    }
  }
  if (p.key == "pool" && p.value.empty()) return At(p.line, dotted, "must name a pool (pool2)");
  if (p.key == "kind" && p.value.empty()) return At(p.line, dotted, "must not be empty");
  return OkStatus();
}

}  // namespace

const std::vector<std::string>& FaultParamNames(FaultKind kind) {
  static const std::vector<std::string> none;
  static const std::vector<std::string> node_crash = {"evict_after"};
  static const std::vector<std::string> quorum_loss = {"mode"};
  static const std::vector<std::string> split_brain = {"recover"};
  static const std::vector<std::string> pool_exhaustion = {"pool"};
  static const std::vector<std::string> slow_satellite = {"latency"};
  static const std::vector<std::string> resize_wave = {"count"};
  static const std::vector<std::string> api_fault = {"kind", "latency", "max_latency", "status",
                                                     "path"};
  static const std::vector<std::string> nats_restart = {"mode", "member"};
  static const std::vector<std::string> consumer_crash = {"consumer", "keep_dedup"};
  static const std::vector<std::string> network = {"target",    "latency", "jitter", "bandwidth",
                                                   "blackhole", "reset",   "member"};
  switch (kind) {
    case FaultKind::kNodeCrash:
      return node_crash;
    case FaultKind::kQuorumLoss:
      return quorum_loss;
    case FaultKind::kSplitBrain:
      return split_brain;
    case FaultKind::kPoolExhaustion:
      return pool_exhaustion;
    case FaultKind::kSlowSatellite:
      return slow_satellite;
    case FaultKind::kResizeWave:
      return resize_wave;
    case FaultKind::kApiFault:
      return api_fault;
    case FaultKind::kNatsRestart:
      return nats_restart;
    case FaultKind::kConsumerCrash:
      return consumer_crash;
    case FaultKind::kNetwork:
      return network;
    default:
      return none;
  }
}

std::string FaultParam(const std::string& params, std::string_view key) {
  size_t pos = 0;
  while (pos < params.size()) {
    size_t end = params.find(',', pos);
    if (end == std::string::npos) end = params.size();
    const std::string_view item = std::string_view(params).substr(pos, end - pos);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && item.substr(0, eq) == key) {
      return std::string(item.substr(eq + 1));
    }
    pos = end + 1;
  }
  return "";
}

namespace internal {

Status CheckFaultParams(const YAML::Node& fault, const std::string& prefix, FaultSpec* f) {
  const YAML::Node params = fault["params"];
  if (!params.IsDefined() || params.IsNull()) return OkStatus();
  const std::string key = prefix + ".params";
  LNSIM_ASSIGN_OR_RETURN(std::vector<ParamItem> items, ParamItems(params, key, f->params));
  const std::vector<std::string>& known = FaultParamNames(f->kind);
  const std::string kind(Name(f->kind));
  std::string normalised;
  for (size_t i = 0; i < items.size(); ++i) {
    const ParamItem& p = items[i];
    const std::string dotted = key + "." + p.key;
    if (std::find(known.begin(), known.end(), p.key) == known.end()) {
      const std::string names = known.empty() ? "none" : [&] {
        std::string s;
        for (const auto& k : known) s += (s.empty() ? "" : ", ") + k;
        return s;
      }();
      return At(p.line, dotted,
                "unknown key" + DidYouMean(p.key, known) + "; " + kind + " params: " + names);
    }
    for (size_t j = 0; j < i; ++j) {
      if (items[j].key == p.key) return At(p.line, dotted, "given twice");
    }
    LNSIM_RETURN_IF_ERROR(CheckWorldParamValue(f->kind, p, dotted));
    normalised += (normalised.empty() ? "" : ",") + p.key + "=" + p.value;
  }
  f->params = normalised;
  return OkStatus();
}

}  // namespace internal

namespace {

std::string SizeText(double kib) {
  const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (kib >= 1024 && u < 5) {
    kib /= 1024;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.4g%s", kib, units[u]);
  return buf;
}

// The cross-field rules over one parsed spec; the first error ends the check, warnings collect.
class Checker {
 public:
  Checker(const WorldSpec& spec, const YAML::Node& root, std::vector<std::string>* warnings)
      : spec_(spec), root_(root), warnings_(warnings) {}

  Status Run() {
    LNSIM_RETURN_IF_ERROR(CheckCluster());
    LNSIM_RETURN_IF_ERROR(CheckTime());
    for (size_t i = 0; i < spec_.faults.size(); ++i) LNSIM_RETURN_IF_ERROR(CheckFault(i));
    WarnIfNothingTested();
    return OkStatus();
  }

 private:
  // The line of `section.key`; 0 when absent.
  int KeyLine(const std::string& section, const std::string& key) const {
    if (!root_.IsMap()) return 0;
    for (const auto& s : root_) {
      if (s.first.Scalar() != section) continue;
      if (key.empty()) return NodeLine(s.first);
      if (!s.second.IsMap()) return 0;
      for (const auto& e : s.second) {
        if (e.first.Scalar() == key) return NodeLine(e.first);
      }
    }
    return 0;
  }
  // The line of `section.key`, else of the section (0 without either).
  int Line(const std::string& section, const std::string& key = "") const {
    const int line = KeyLine(section, key);
    return line > 0 ? line : KeyLine(section, "");
  }
  // The line of faults[i].key (of the fault when the key is absent).
  int FaultLine(size_t i, const std::string& key) const {
    const YAML::Node faults = root_.IsMap() ? root_["faults"] : YAML::Node();
    if (faults.IsSequence() && i < faults.size() && faults[i].IsMap()) {
      for (const auto& e : faults[i]) {
        if (e.first.Scalar() == key) return NodeLine(e.first);
      }
    }
    return spec_.faults[i].source_line;
  }
  void Warn(int line, const std::string& key, const std::string& what) {
    warnings_->push_back((line > 0 ? std::to_string(line) + ": " : std::string()) + key + ": " +
                         what);
  }
  static std::string Fault(size_t i) { return "faults[" + std::to_string(i) + "]"; }

  Status CheckCluster() const;
  Status CheckCapacity() const;
  Status CheckTime() const;
  Status CheckFault(size_t i);
  Status CheckFaultNodes(size_t i) const;
  Status CheckFaultTarget(size_t i) const;
  void WarnIfNothingTested();
  // Whether some resource can have `place` diskful replicas (generated or provisioned).
  bool AnyPlaceCount(const std::function<bool(int)>& accept) const;

  const WorldSpec& spec_;
  const YAML::Node& root_;
  std::vector<std::string>* warnings_;
};

Status Checker::CheckCluster() const {
  const ClusterSpec& c = spec_.cluster;
  if (c.replicas > c.nodes) {
    const std::string replicas = std::to_string(c.replicas), nodes = std::to_string(c.nodes);
    if (KeyLine("cluster", "replicas") > 0) {
      return At(Line("cluster", "replicas"), "cluster.replicas",
                replicas + " replicas per resource need at least " + replicas +
                    " storage nodes, cluster.nodes is " + nodes);
    }
    return At(Line("cluster", "nodes"), "cluster.nodes",
              nodes + " storage nodes cannot hold " + replicas +
                  " replicas per resource (cluster.replicas, default 3): give at least " +
                  replicas + " nodes or lower cluster.replicas");
  }
  const uint64_t volumes = static_cast<uint64_t>(c.resources) * c.volumes_per_resource;
  if (volumes > kMaxMinors) {
    return At(Line("cluster", "resources"), "cluster.resources",
              std::to_string(volumes) + " volumes (resources × volumes_per_resource) exceed " +
                  "DRBD's minor numbers (at most " + std::to_string(kMaxMinors) + ")");
  }
  return CheckCapacity();
}

// A lower bound of the space placement needs (every volume at least volume_size_min, whole MiB)
// against what the pools can take; placement itself still decides the cases in between.
Status Checker::CheckCapacity() const {
  const ClusterSpec& c = spec_.cluster;
  const double min_volume =
      std::max(1024.0, std::ceil(static_cast<double>(c.volume_size_min_kib) / 1024) * 1024);
  const double per_replica = min_volume * c.volumes_per_resource;
  const bool thin = c.pool_kind == ProviderKind::kLvmThin || c.pool_kind == ProviderKind::kZfsThin;
  const double pool_limit =
      static_cast<double>(c.pool_size_kib) * (thin ? c.max_oversubscription : 1.0);
  const std::string limit_text =
      "cluster.pool_size" + std::string(thin ? " × max_oversubscription" : "");
  if (c.resources > 0 && per_replica > pool_limit) {
    return At(Line("cluster", "volume_size_min"), "cluster.volume_size_min",
              "a replica needs at least " + SizeText(per_replica) +
                  " (volumes_per_resource × volume_size_min) but a pool takes at most " +
                  SizeText(pool_limit) + " (" + limit_text + ")");
  }
  const double need = per_replica * c.resources * c.replicas;
  const double have = pool_limit * c.nodes * c.pools_per_node;
  if (need > have) {
    return At(Line("cluster", "resources"), "cluster.resources",
              std::to_string(c.resources) + " resources × " + std::to_string(c.replicas) +
                  " replicas need at least " + SizeText(need) + " but the pools take at most " +
                  SizeText(have) + " (nodes × pools_per_node × " + limit_text.substr(8) +
                  "): raise cluster.pool_size or cluster.nodes, or lower cluster.resources");
  }
  return OkStatus();
}

Status Checker::CheckTime() const {
  const double run_ns = static_cast<double>(spec_.duration.count()) * spec_.time_scale;
  if (run_ns > kMaxWorldNanos) {
    return At(Line("duration"), "duration",
              FormatDuration(spec_.duration) + " × time_scale " + std::to_string(spec_.time_scale) +
                  " is beyond the world's clock (about 31 years of world time)");
  }
  for (size_t i = 0; i < spec_.faults.size(); ++i) {
    const FaultSpec& f = spec_.faults[i];
    const double end_ns = static_cast<double>(std::max<int64_t>(f.at.count(), 0) +
                                              static_cast<double>(f.duration.count())) *
                          spec_.time_scale;
    if (end_ns > kMaxWorldNanos) {
      return At(FaultLine(i, "duration"), Fault(i) + ".duration",
                "the window ends beyond the world's clock (about 31 years of world time)");
    }
  }
  return OkStatus();
}

Status Checker::CheckFault(size_t i) {
  const FaultSpec& f = spec_.faults[i];
  LNSIM_RETURN_IF_ERROR(CheckFaultNodes(i));
  LNSIM_RETURN_IF_ERROR(CheckFaultTarget(i));
  if (f.at != kRandomTime && f.at >= spec_.duration) {
    Warn(FaultLine(i, "at"), Fault(i) + ".at",
         std::string(Name(f.kind)) + " at " + FormatDuration(f.at) +
             " is at or after the end of the run (duration " + FormatDuration(spec_.duration) +
             "): it never fires");
  } else if (f.probability == 0) {
    Warn(FaultLine(i, "probability"), Fault(i) + ".probability",
         "0: " + std::string(Name(f.kind)) + " never fires");
  }
  return OkStatus();
}

// Named targets must be nodes of this cluster, storage nodes where the fault needs storage.
Status Checker::CheckFaultNodes(size_t i) const {
  const FaultSpec& f = spec_.faults[i];
  const ClusterSpec& c = spec_.cluster;
  const bool needs_storage =
      f.kind == FaultKind::kPoolExhaustion || f.kind == FaultKind::kDiskFailure;
  for (const std::string& name : f.nodes) {
    const std::string folded = FoldName(name);
    auto number = [&](const std::string& prefix) -> long {
      if (folded.rfind(prefix, 0) != 0 || folded.size() == prefix.size()) return 0;
      const std::string digits = folded.substr(prefix.size());
      if (digits[0] == '0' || digits.find_first_not_of("0123456789") != std::string::npos) {
        return 0;
      }
      return digits.size() > 7 ? 0 : std::stol(digits);
    };
    const long node = number("node-"), client = number("client-");
    const std::string range =
        " (node-1..node-" + std::to_string(c.nodes) +
        (c.diskless_clients > 0 ? ", client-1..client-" + std::to_string(c.diskless_clients)
                                : std::string()) +
        ")";
    if (client > 0 && client <= c.diskless_clients && needs_storage) {
      return At(FaultLine(i, "nodes"), Fault(i) + ".nodes",
                std::string(Name(f.kind)) + " needs a storage node; '" + name +
                    "' is a diskless client" + range);
    }
    if ((node < 1 || node > c.nodes) && (client < 1 || client > c.diskless_clients)) {
      return At(FaultLine(i, "nodes"), Fault(i) + ".nodes",
                "no node '" + name + "' in the cluster" + range);
    }
  }
  return OkStatus();
}

bool Checker::AnyPlaceCount(const std::function<bool(int)>& accept) const {
  const ClusterSpec& c = spec_.cluster;
  // Generated resources have `replicas`; without groups `rg1..` new ones spawn from DfltRscGrp
  // (place count 2).
  if (c.resources > 0 && accept(c.replicas)) return true;
  if (spec_.workload.provision_rate > 0) {
    return accept(c.resource_groups > 0 ? c.replicas : std::min(2, c.nodes));
  }
  return false;
}

// Targets a fault kind relies on: a pool that exists, enough nodes to pick, a resource shape.
Status Checker::CheckFaultTarget(size_t i) const {
  const FaultSpec& f = spec_.faults[i];
  const ClusterSpec& c = spec_.cluster;
  const std::string kind(Name(f.kind));
  const bool picks_nodes = f.kind == FaultKind::kNodeCrash || f.kind == FaultKind::kNodeReboot ||
                           f.kind == FaultKind::kPartition || f.kind == FaultKind::kSlowSatellite;
  if (picks_nodes && f.nodes.empty() && f.count > c.nodes) {
    return At(FaultLine(i, "count"), Fault(i) + ".count",
              kind + " picks " + std::to_string(f.count) + " nodes but the cluster has " +
                  std::to_string(c.nodes) + " storage nodes");
  }
  if (const std::string pool = FaultParam(f.params, "pool");
      f.kind == FaultKind::kPoolExhaustion && !pool.empty()) {
    const std::string folded = FoldName(pool);
    bool found = false;
    for (int k = 1; k <= c.pools_per_node; ++k) found |= folded == "pool" + std::to_string(k);
    if (!found) {
      return At(FaultLine(i, "params"), Fault(i) + ".params.pool",
                "no pool '" + pool + "' on the storage nodes (pool1..pool" +
                    std::to_string(c.pools_per_node) + ", cluster.pools_per_node)");
    }
  }
  const bool tiebreaker = c.tiebreaker && c.nodes > 2;
  if (f.kind == FaultKind::kQuorumLoss &&
      !AnyPlaceCount([&](int p) { return p >= 3 || (p == 2 && tiebreaker); })) {
    return At(FaultLine(i, "kind"), Fault(i) + ".kind",
              "quorum-loss needs resources with quorum (3 or more replicas, or 2 and a "
              "tiebreaker on a third node); cluster.replicas is " +
                  std::to_string(c.replicas));
  }
  if (f.kind == FaultKind::kSplitBrain &&
      !AnyPlaceCount([&](int p) { return p == 2 && !tiebreaker; })) {
    return At(FaultLine(i, "kind"), Fault(i) + ".kind",
              "split-brain needs resources with 2 diskful replicas and no tiebreaker "
              "(cluster.replicas: 2 and cluster.tiebreaker: false, or 2 nodes)");
  }
  const bool uses_resource = f.kind == FaultKind::kQuorumLoss || f.kind == FaultKind::kSplitBrain ||
                             f.kind == FaultKind::kDiskFailure;
  if (!f.resource.empty() && !uses_resource) {
    return At(FaultLine(i, "resource"), Fault(i) + ".resource",
              kind + " has no resource target (quorum-loss, split-brain and disk-failure do)");
  }
  return OkStatus();
}

void Checker::WarnIfNothingTested() {
  const ClusterSpec& c = spec_.cluster;
  const WorkloadSpec& w = spec_.workload;
  if (c.resources == 0 && w.provision_rate == 0) {
    Warn(Line("cluster", "resources"), "cluster.resources",
         "0 and no provisioning (workload.provision_rate: 0): no resource ever exists, only "
         "node events can be tested");
  }
  const bool rates = w.provision_rate > 0 || w.delete_rate > 0 || w.attach_rate > 0 ||
                     w.detach_rate > 0 || w.resize_rate > 0;
  bool world_fault = false;
  for (const FaultSpec& f : spec_.faults) world_fault |= WorldExecutes(f.kind) && f.probability > 0;
  if (!rates && !world_fault) {
    Warn(Line("workload"), "workload",
         "every rate is 0 and no fault changes the world: the world never changes, so the run "
         "has nothing to deliver and tests nothing");
  }
}

}  // namespace

Status CheckWorldSpec(const WorldSpec& spec, const YAML::Node& root,
                      std::vector<std::string>* warnings) {
  return Checker(spec, root, warnings).Run();
}

}  // namespace lnsim::sim
