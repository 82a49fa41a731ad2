// The world's scenario sections (`cluster`, `workload`, `faults`, `time_scale`, `duration`,
// `seed`) as typed specs, and their parser. The scenario *file* is read by harness/ (the loader
// opens the file, parses the YAML document and hands each section to its owner); sim/ only turns
// YAML nodes into specs and never opens files (docs/architecture.md).
//
// Every field has a default, so `cluster: {nodes: 3}` is a complete cluster. Units: sizes in KiB
// unless a key says otherwise (`pool_size: 1TiB` strings are accepted where noted), durations as
// `250ms`/`10s`/`5m`/`1h` (common/duration.h), rates per second of world time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/model.h"

namespace YAML {
class Node;
}

namespace lnsim::sim {

struct ClusterSpec {
  int nodes = 3;                     // satellites with storage
  int diskless_clients = 0;          // extra satellites without storage (Kubernetes workers)
  int pools_per_node = 1;            // diskful pools per storage node ("pool1", "pool2", ...)
  Kib pool_size_kib = Kib{1} << 30;  // 1 TiB
  ProviderKind pool_kind = ProviderKind::kLvmThin;
  double max_oversubscription = 20.0;  // thin pools only
  int resource_groups = 1;  // besides DfltRscGrp ("rg1", ...), each with place count = replicas
  int resources = 10;       // resource definitions
  int volumes_per_resource = 1;             // volume definitions per resource definition
  Kib volume_size_min_kib = Kib{1} << 20;   // 1 GiB
  Kib volume_size_max_kib = Kib{10} << 20;  // 10 GiB (log-uniform between min and max)
  int replicas = 3;                         // diskful replicas per resource (place count)
  bool tiebreaker = true;           // LINSTOR adds a diskless tiebreaker to 2-replica resources
  double in_use_fraction = 0.5;     // share of resources attached (Primary) somewhere at start
  std::string name_prefix = "pvc";  // resource names: "<prefix>-<uuid-like>" (CSI style)
  // Kubernetes HA controller: after a node holding a Primary is lost, the workload is promoted
  // on another replica after this delay (unscaled). 0 = never (DRBD never promotes by itself).
  Duration ha_failover_delay = std::chrono::seconds(45);
  Kib write_rate_kib = 1024;     // data an in-use volume writes per second (dirty blocks)
  Kib resync_rate_kib = 102400;  // DRBD c-max-rate: resync speed per volume, KiB/s
};

// Continuous, seeded background activity (rates in events per second of unscaled world time).
struct WorkloadSpec {
  double provision_rate = 0;    // new resource definition + volume + autoplace per second
  double delete_rate = 0;       // resource definitions deleted per second
  double attach_rate = 0;       // attach (promote on a node, make-available if needed) per second
  double detach_rate = 0;       // detach per second
  double resize_rate = 0;       // volume grow operations per second
  double resize_factor = 1.25;  // a resize grows a volume by this factor
  std::string via = "world";    // "world" (direct) or "api" (through the mock's REST API)
};

enum class FaultKind : uint8_t {
  kNodeCrash,         // F1/F2: a node dies (and returns after `duration` if > 0)
  kNodeReboot,        // clean reboot: demote, down for `duration`, back
  kPartition,         // network partition isolating `nodes` from the rest for `duration`
  kQuorumLoss,        // F3: crash enough nodes of `resource`'s replicas to lose quorum
  kSplitBrain,        // F4: partition two diskful replicas without tiebreaker, both promote
  kPoolExhaustion,    // F6: thin pool fills physically; IO errors on its volumes
  kDiskFailure,       // F8: IO error on one replica's disk: UpToDate -> Failed -> Diskless
  kSlowSatellite,     // F7: satellite answers slowly; replication congested (Ahead/Behind)
  kResizeWave,        // F8: many volumes resized at once
  kControllerOutage,  // F5: the controller is down (served by mock-linstor as connection refused)
  kApiFault,          // any other fault the mock serves (latency, 5xx, hang, SSE drop, stale)
  kNatsRestart,       // harness: kill -9 nats-server and restart it (world ignores)
  kBridgeKill,        // harness: kill -9 the bridge and restart it (world ignores)
  kConsumerCrash,     // harness
  kNetwork,           // harness: fault proxy between bridge/consumers and NATS
};

// FaultSpec::at value meaning "a seeded random time in [0, duration)" (`at: random`).
inline constexpr Duration kRandomTime{-1};

struct FaultSpec {
  FaultKind kind = FaultKind::kNodeCrash;
  Duration at{0};                  // start time (unscaled); kRandomTime = seeded choice
  Duration duration{0};            // window length; 0 = permanent / instantaneous
  std::vector<std::string> nodes;  // target nodes by name; empty = chosen by the seeded rng
  std::string resource;            // target resource, where the fault has one
  int count = 1;                   // how many targets when chosen at random
  double probability = 1.0;        // random faults: chance the fault fires at all
  std::string params;              // kind-specific extras as `key=value,...` (documented)
  int source_line = 0;             // line in the scenario file, for error messages
};

struct WorldSpec {
  ClusterSpec cluster;
  WorkloadSpec workload;
  std::vector<FaultSpec> faults;
  double time_scale = 1.0;  // world durations are multiplied by this (0.1 = ten times faster)
  Duration duration = std::chrono::seconds(60);
  uint64_t seed = 1;
};

// Stable name of a fault kind as written in scenario files ("node-crash").
std::string_view Name(FaultKind kind);
// Whether the world itself applies faults of this kind (the rest are the harness's or the mock's).
bool WorldExecutes(FaultKind kind);

// " (did you mean 'nodes'?)" when one of `candidates` is close to `key` (case-insensitive edit
// distance), else "". Shared by the scenario loader for its own keys.
std::string DidYouMean(std::string_view key, const std::vector<std::string>& candidates);

// Parses the world's sections out of the scenario document `root` (a YAML map), leaving other
// sections alone. Errors name the line and key: "12: cluster.nodes: must be >= 1". Each fault's
// `params` keys are checked against FaultParamNames (and the world's values parsed), so a typo in
// a param is an error like a typo anywhere else.
Status ParseWorldSections(const YAML::Node& root, WorldSpec* spec);

// The `params` keys a fault kind reads (the harness's and the mock's kinds too); empty = none.
const std::vector<std::string>& FaultParamNames(FaultKind kind);

// The value of `key` in a fault's normalised `key=value,...` params; "" when absent.
std::string FaultParam(const std::string& params, std::string_view key);

// The cross-field rules of the world's sections (docs/scenarios.md "Checked before anything
// starts"): what the world, the placement or a fault relies on, checked on a parsed `spec` (with
// any command-line overrides applied) before a world is built. `root` is the scenario document,
// used only to name lines. Errors read "12: cluster.replicas: what"; scenarios that test nothing
// and faults that never fire are not errors but lines of the same form appended to *warnings.
Status CheckWorldSpec(const WorldSpec& spec, const YAML::Node& root,
                      std::vector<std::string>* warnings);

}  // namespace lnsim::sim
