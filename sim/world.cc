// The world's implementation: generator, LINSTOR operations, DRBD state machines, faults and
// workload on one discrete-event scheduler. Every state change goes through the Put*/Rec
// functions, which update the model and append to the ground-truth log in one place.
//
// DRBD model in short (see docs/scenarios.md and sim/world.h):
//  - connectivity: two nodes talk iff both hosts are up and they are in the same partition group;
//  - each side of a link notices a loss on its own (ping-int/ping-timeout/timeout) and walks
//    Connected -> NetworkFailure -> Unconnected -> Connecting, then retries every connect-int;
//  - data generations are DRBD-like current UUIDs: the writer (the Primary with quorum) and its
//    connected UpToDate peers get a new UUID when some diskful replica misses writes; the
//    handshake compares UUIDs: equal = Established, one ahead = resync, diverged = split brain;
//  - quorum (on with >= 3 diskful, or 2 diskful + a diskless peer) is a majority of diskful
//    voters, a diskless peer breaking ties; Outdated/detached replicas do not vote.
#include "sim/world.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <queue>
#include <unordered_map>

#include "common/duration.h"
#include "sim/internal/event_queue.h"

namespace lnsim::sim {

bool OpResult::ok() const { return FirstError() == nullptr; }

const OpMessage* OpResult::FirstError() const {
  for (const auto& m : messages) {
    if (m.severity == Severity::kError) return &m;
  }
  return nullptr;
}

namespace {

using internal::Event;
using internal::EventQueue;
using std::chrono::milliseconds;
using std::chrono::seconds;

// DRBD defaults (drbdsetup), unscaled.
constexpr Duration kPingInt = seconds(10);
constexpr Duration kPingTimeout = milliseconds(500);
constexpr Duration kTimeout = seconds(6);
constexpr Duration kConnectInt = seconds(10);
constexpr Duration kStateStep = milliseconds(10);  // NetworkFailure -> Unconnected -> ...
constexpr Duration kReplicaRemoveDelay = milliseconds(500);

enum EventType : uint16_t {
  kEventLinkBreak,      // a = observer replica, b = lost peer replica
  kEventLinkStep,       // a, b as above, c = next ConnState
  kEventConnect,        // a, b = replicas to connect
  kEventSyncStart,      // a = target, b = source
  kEventSyncTick,       // a = target, b = resync generation
  kEventNodeDown,       // a = node, b = crash generation: controller marks OFFLINE
  kEventNodeUp,         // a = node, c = 0 CONNECTED / 1 ONLINE
  kEventNodeBoot,       // a = node: DRBD comes up on a returning host
  kEventNodeReturn,     // a = node: host back
  kEventNodeShutdown,   // a = node: clean shutdown (reboot)
  kEventReplicaUp,      // a = replica: a new replica's DRBD starts
  kEventReplicaRemove,  // a = replica
  kEventResizeStep,     // a = rd, b = volume number, c = step
  kEventToggleStep,     // a = replica, c = step
  kEventHaFailover,     // a = rd
  kEventFaultStart,     // a = fault index
  kEventFaultEnd,       // a = fault index
  kEventWorkload,       // a = workload kind
  kEventPromote,        // a = rd, b = node (workload attach follow-up)
  kEventDiskDetach,     // a = replica, c = step
  kEventSplitPromote,   // a = rd
  kEventSplitRecover,   // a = rd, b = victim replica
  kEventEvict,          // a = node: LINSTOR's auto-eviction of a node that stayed away
};

enum WorkloadKind : uint32_t {
  kWorkloadProvision,
  kWorkloadDelete,
  kWorkloadAttach,
  kWorkloadDetach,
  kWorkloadResize,
  kWorkloadKindCount
};
constexpr const char* kWorkloadNames[] = {"provision", "delete", "attach", "detach", "resize"};

struct ReplicaData {
  uint32_t uuid[3] = {0, 0, 0};  // DRBD current UUID and two history entries
  int64_t born[2] = {0, 0};      // when uuid[0] / uuid[1] were generated
  Kib full_sync_kib = 0;         // > 0: needs a sync of this much regardless of UUIDs
  bool started = false;          // DRBD is up for this replica right now
  bool ever_started = false;     // DRBD was up for it at some time (it has metadata)
  bool initial = false;          // created with a fresh resource: skip the initial sync
};

struct NodeData {
  uint32_t partition = 0;  // 0 = with the controller
  uint32_t crash_gen = 0;
  int64_t latency_ns = 0;  // F7
};

struct Resync {
  ReplicaIndex source = kNoIndex;
  int64_t start_ns = 0;
  uint32_t gen = 0;
  std::vector<int64_t> duration_ns;  // per volume
};

struct SlowPair {
  ReplicaIndex writer, behind;
};

std::string UuidLike(Rng& rng) {
  const uint64_t hi = rng.Next();
  const uint64_t lo = rng.Next();
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xfff),
                static_cast<unsigned>(0x8000 | ((lo >> 48) & 0x3fff)),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// linstor-server Checks.nameCheck: length, at least one letter, first character a letter or one
// of `first_extra`, the rest letters, digits or `inner_extra`.
std::string NameCheck(std::string_view name, size_t min_len, size_t max_len,
                      std::string_view first_extra, std::string_view inner_extra) {
  if (name.size() < min_len) {
    return "Invalid name: Name length " + std::to_string(name.size()) +
           " is less than minimum length " + std::to_string(min_len);
  }
  if (name.size() > max_len) {
    return "Invalid name: Name length " + std::to_string(name.size()) +
           " is greater than maximum length " + std::to_string(max_len);
  }
  if (std::none_of(name.begin(), name.end(), IsAlpha)) {
    return "Invalid name: Name must contain at least one character that matches [a-zA-Z]";
  }
  if (!IsAlpha(name[0]) && first_extra.find(name[0]) == std::string_view::npos) {
    return std::string("Invalid name: Cannot begin with character '") + name[0] + "'";
  }
  for (size_t i = 1; i < name.size(); ++i) {
    const char c = name[i];
    if (!IsAlpha(c) && !IsDigit(c) && inner_extra.find(c) == std::string_view::npos) {
      return std::string("Invalid name: Cannot contain character '") + c + "'";
    }
  }
  return "";
}

// linstor-server Checks.hostNameCheck (node names).
std::string HostNameCheck(std::string_view name) {
  if (!name.empty() && name.front() == '.') return "Hostname cannot begin with '.'";
  if (!name.empty() && name.front() == '-') return "Hostname cannot begin with '-'";
  if (!name.empty() && name.back() == '-') return "Hostname cannot end with '-'";
  if (name.size() < 2) return "Hostname length violates RFC1123 minimum length of 2";
  if (name.size() > 255) return "Hostname length violates RFC1123 maximum length of 255";
  size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      label = 0;
      continue;
    }
    if (++label > 63) return "Domain name component length violates RFC1123 maximum of 63";
    if (!IsAlpha(c) && !IsDigit(c) && c != '-') {
      return std::string("Domain name cannot contain character '") + c + "'";
    }
  }
  return "";
}

bool ParseIpv4(std::string_view s, uint32_t* out) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !IsDigit(s[i])) return false;
    uint32_t octet = 0;
    size_t digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      octet = octet * 10 + static_cast<uint32_t>(s[i] - '0');
      ++i;
      if (++digits > 3) return false;
    }
    if (octet > 255) return false;
    value = (value << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  *out = value;
  return true;
}

std::string ParamValue(const std::string& params, const std::string& key) {
  size_t pos = 0;
  while (pos <= params.size()) {
    size_t end = params.find(',', pos);
    if (end == std::string::npos) end = params.size();
    const std::string item = params.substr(pos, end - pos);
    const size_t eq = item.find('=');
    if (eq != std::string::npos && item.substr(0, eq) == key) return item.substr(eq + 1);
    pos = end + 1;
  }
  return "";
}

OpMessage MakeMessage(Severity severity, int code, std::string message, std::string rd = "",
                      std::string node = "") {
  OpMessage m;
  m.severity = severity;
  m.code = code;
  m.message = std::move(message);
  m.rd = std::move(rd);
  m.node = std::move(node);
  return m;
}

OpResult Fail(int code, std::string message, std::string rd = "", std::string node = "") {
  OpResult r;
  r.messages.push_back(
      MakeMessage(Severity::kError, code, std::move(message), std::move(rd), std::move(node)));
  return r;
}

class WorldImpl final : public World {
 public:
  WorldImpl(const WorldSpec& spec, uint64_t seed)
      : spec_(spec),
        root_rng_(seed),
        rng_generator_(root_rng_.Fork("generator")),
        rng_names_(root_rng_.Fork("names")),
        rng_drbd_(root_rng_.Fork("drbd")),
        rng_ha_(root_rng_.Fork("ha")) {
    spec_.seed = seed;
    for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
      rng_workload_.push_back(root_rng_.Fork(std::string("workload/") + kWorkloadNames[k]));
    }
  }

  Status Generate();
  void ScheduleScenario();

  // --- World interface ---
  uint64_t AdvanceTo(Duration t) override {
    const uint64_t before = recorded_;
    while (!queue_.empty() && queue_.top().time_ns <= t.count()) {
      const Event e = queue_.Pop();
      now_ = e.time_ns;
      cause_ = e.cause;
      Dispatch(e);
    }
    if (t.count() > now_) now_ = t.count();
    return recorded_ - before;
  }
  Duration now() const override { return Duration(now_); }
  std::optional<Duration> NextEventTime() const override {
    if (queue_.empty()) return std::nullopt;
    return Duration(queue_.top().time_ns);
  }
  const Cluster& cluster() const override { return cluster_; }
  const TraceLog& trace() const override { return trace_; }
  const WorldSpec& spec() const override { return spec_; }
  Duration RunLength() const override { return Duration(run_length_ns_); }
  const std::vector<FaultWindow>& fault_windows() const override { return fault_windows_; }
  bool InFaultWindow(FaultKind kind, Duration t) const override {
    for (const auto& w : fault_windows_) {
      if (w.kind != kind || !w.fired || t < w.start) continue;
      if (w.permanent || t < w.end) return true;
    }
    return false;
  }
  Duration NodeLatency(NodeIndex node) const override {
    return node < node_data_.size() ? Duration(node_data_[node].latency_ns) : Duration(0);
  }
  std::vector<std::pair<NodeIndex, Duration>> SlowNodes() const override {
    std::vector<std::pair<NodeIndex, Duration>> out;
    for (NodeIndex n = 0; n < node_data_.size(); ++n) {
      if (node_data_[n].latency_ns > 0) out.emplace_back(n, Duration(node_data_[n].latency_ns));
    }
    return out;
  }
  const WorkloadStats& workload_stats() const override { return workload_stats_; }
  size_t PendingEvents() const override { return queue_.size(); }

  NodeIndex FindNode(std::string_view name) const override {
    auto it = node_by_name_.find(FoldName(name));
    return it == node_by_name_.end() ? kNoIndex : it->second;
  }
  RdIndex FindResourceDefinition(std::string_view name) const override {
    auto it = rd_by_name_.find(FoldName(name));
    return it == rd_by_name_.end() ? kNoIndex : it->second;
  }
  GroupIndex FindResourceGroup(std::string_view name) const override {
    auto it = group_by_name_.find(FoldName(name));
    return it == group_by_name_.end() ? kNoIndex : it->second;
  }
  PoolIndex FindPool(NodeIndex node, std::string_view pool_name) const override {
    if (node >= cluster_.nodes.size() || !cluster_.nodes[node].alive) return kNoIndex;
    const std::string folded = FoldName(pool_name);
    for (PoolIndex p : cluster_.nodes[node].pools) {
      if (FoldName(cluster_.pools[p].name) == folded) return p;
    }
    return kNoIndex;
  }
  ReplicaIndex FindReplica(RdIndex rd, NodeIndex node) const override {
    if (rd >= cluster_.rds.size()) return kNoIndex;
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      if (cluster_.replicas[r].node == node) return r;
    }
    return kNoIndex;
  }

  OpResult CreateNode(std::string_view name, NodeType type, std::string_view ipv4) override;
  OpResult DeleteNode(std::string_view name) override;
  OpResult CreateStoragePool(std::string_view node, std::string_view pool, ProviderKind kind,
                             Kib total_kib) override;
  OpResult CreateResourceGroup(std::string_view name, int place_count,
                               std::vector<std::string> pool_names) override;
  OpResult ModifyResourceGroup(std::string_view name, std::optional<int> place_count,
                               std::optional<std::vector<std::string>> pool_names) override;
  OpResult CreateResourceDefinition(std::string_view name, std::string_view group) override;
  OpResult DeleteResourceDefinition(std::string_view name) override;
  OpResult CreateVolumeDefinition(std::string_view rd, Kib size_kib, std::optional<uint32_t> number,
                                  uint32_t* number_out) override;
  OpResult DeleteVolumeDefinition(std::string_view rd, uint32_t number) override;
  OpResult ResizeVolumeDefinition(std::string_view rd, uint32_t number, Kib size_kib) override;
  OpResult CreateReplica(std::string_view rd, std::string_view node, ReplicaKind kind,
                         std::string_view pool) override;
  OpResult DeleteReplica(std::string_view rd, std::string_view node) override;
  OpResult AutoPlace(std::string_view rd, const AutoPlaceRequest& request) override;
  OpResult MakeAvailable(std::string_view rd, std::string_view node, bool diskful) override;
  OpResult ToggleDisk(std::string_view rd, std::string_view node, bool to_diskful,
                      std::string_view pool) override;
  OpResult SetInUse(std::string_view rd, std::string_view node, bool in_use) override;
  OpResult Spawn(std::string_view group, std::string_view rd, const std::vector<Kib>& sizes,
                 bool definitions_only) override;

 private:
  // Sets the cause of an API operation unless the world itself (workload, fault) is calling.
  class OpScope {
   public:
    OpScope(WorldImpl* w, const char* label) : w_(w) {
      if (w_->op_depth_++ == 0) w_->cause_ = w_->trace_.InternCause(label);
    }
    ~OpScope() { --w_->op_depth_; }

   private:
    WorldImpl* w_;
  };

  // --- time ---
  int64_t Scaled(Duration unscaled) const {
    return static_cast<int64_t>(std::llround(static_cast<double>(unscaled.count()) * scale_));
  }
  int64_t ScaledUniform(Rng& rng, Duration lo, Duration hi) {
    const int64_t l = Scaled(lo), h = Scaled(hi);
    return h <= l ? l : rng.UniformInt(l, h);
  }
  void Schedule(int64_t delay_ns, uint16_t type, uint32_t a = 0, uint32_t b = 0, uint16_t c = 0) {
    Event e;
    e.time_ns = now_ + std::max<int64_t>(delay_ns, 0);
    e.a = a;
    e.b = b;
    e.type = type;
    e.c = c;
    e.cause = cause_;
    queue_.Push(e);
  }
  void ScheduleAt(int64_t time_ns, uint16_t type, uint32_t a, uint32_t b, uint32_t cause) {
    Event e;
    e.time_ns = time_ns;
    e.a = a;
    e.b = b;
    e.type = type;
    e.cause = cause;
    queue_.Push(e);
  }

  // --- recording ---
  void Record(const EntityRef& e, Attribute a, int64_t old_value, int64_t new_value) {
    if (!recording_ || old_value == new_value) return;
    Transition t;
    t.time_ns = now_;
    t.seq = ++seq_;
    t.entity = e;
    t.attr = a;
    t.old_value = old_value;
    t.new_value = new_value;
    t.cause = cause_;
    trace_.Append(t);
    ++recorded_;
  }
  EntityRef NodeRef(NodeIndex n) const { return {EntityKind::kNode, n}; }
  EntityRef ReplicaRef(ReplicaIndex r) const {
    return {EntityKind::kReplica, cluster_.replicas[r].rd, cluster_.replicas[r].node};
  }
  EntityRef VolumeReplicaRef(ReplicaIndex r, size_t vi) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kVolumeReplica, x.rd, x.node, cluster_.rds[x.rd].volumes[vi].number};
  }
  EntityRef PeerLinkRef(ReplicaIndex r, size_t k) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kPeerLink, x.rd, x.node, x.peers[k].peer};
  }
  EntityRef PeerVolumeRef(ReplicaIndex r, size_t k, size_t vi) const {
    const Replica& x = cluster_.replicas[r];
    return {EntityKind::kPeerVolume, x.rd, x.node, x.peers[k].peer,
            cluster_.rds[x.rd].volumes[vi].number};
  }

  void PutNodeConnection(NodeIndex n, NodeConnection v) {
    Node& x = cluster_.nodes[n];
    Record(NodeRef(n), Attribute::kConnection, static_cast<int64_t>(x.connection),
           static_cast<int64_t>(v));
    x.connection = v;
  }
  void PutSatelliteUp(NodeIndex n, bool v) {
    Node& x = cluster_.nodes[n];
    Record(NodeRef(n), Attribute::kSatelliteUp, x.satellite_up, v);
    x.satellite_up = v;
  }
  void PutNodeFlags(NodeIndex n, uint32_t v) {
    Record(NodeRef(n), Attribute::kNodeFlags, cluster_.nodes[n].flags, v);
    cluster_.nodes[n].flags = v;
  }
  // Changes a pool's physical allocation and/or provisioned size; records free/total changes.
  void ChangePool(PoolIndex p, int64_t allocated_delta_kib, int64_t provisioned_delta_kib,
                  int64_t total_delta_kib = 0) {
    if (p == kNoIndex) return;
    StoragePool& x = cluster_.pools[p];
    if (x.diskless()) return;
    const Kib free_before = x.FreeKib();
    const Kib total_before = x.total_kib;
    auto add = [](Kib v, int64_t d) -> Kib {
      return d < 0 && static_cast<Kib>(-d) > v ? 0 : static_cast<Kib>(static_cast<int64_t>(v) + d);
    };
    x.allocated_kib = add(x.allocated_kib, allocated_delta_kib);
    x.provisioned_kib = add(x.provisioned_kib, provisioned_delta_kib);
    x.total_kib = add(x.total_kib, total_delta_kib);
    Record({EntityKind::kPool, p}, Attribute::kTotalKib, static_cast<int64_t>(total_before),
           static_cast<int64_t>(x.total_kib));
    Record({EntityKind::kPool, p}, Attribute::kFreeKib, static_cast<int64_t>(free_before),
           static_cast<int64_t>(x.FreeKib()));
  }
  void PutInUse(ReplicaIndex r, bool v) {
    Replica& x = cluster_.replicas[r];
    Record(ReplicaRef(r), Attribute::kInUse, x.in_use, v);
    x.in_use = v;
    UpdateInUseSet(x.rd);
  }
  void PutMayPromote(ReplicaIndex r, bool v) {
    Record(ReplicaRef(r), Attribute::kMayPromote, cluster_.replicas[r].may_promote, v);
    cluster_.replicas[r].may_promote = v;
  }
  void PutPromotionScore(ReplicaIndex r, int32_t v) {
    Record(ReplicaRef(r), Attribute::kPromotionScore, cluster_.replicas[r].promotion_score, v);
    cluster_.replicas[r].promotion_score = v;
  }
  void PutQuorum(ReplicaIndex r, bool v) {
    Record(ReplicaRef(r), Attribute::kQuorum, cluster_.replicas[r].quorum, v);
    cluster_.replicas[r].quorum = v;
  }
  void PutReplicaFlags(ReplicaIndex r, uint32_t v) {
    Record(ReplicaRef(r), Attribute::kReplicaFlags, cluster_.replicas[r].flags, v);
    cluster_.replicas[r].flags = v;
  }
  void PutKind(ReplicaIndex r, ReplicaKind v) {
    Record(ReplicaRef(r), Attribute::kKind, static_cast<int64_t>(cluster_.replicas[r].kind),
           static_cast<int64_t>(v));
    cluster_.replicas[r].kind = v;
  }
  void PutDiskState(ReplicaIndex r, size_t vi, DiskState v) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, static_cast<int64_t>(x.disk),
           static_cast<int64_t>(v));
    x.disk = v;
  }
  void PutDiskStateAll(ReplicaIndex r, DiskState v) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) PutDiskState(r, vi, v);
  }
  static int64_t DoneValue(float done) {
    return done < 0 ? kAbsent : static_cast<int64_t>(std::llround(done * 100.0));
  }
  void PutDonePercentage(ReplicaIndex r, size_t vi, int64_t hundredths) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kDonePercentage, DoneValue(x.done_percentage),
           hundredths);
    x.done_percentage = hundredths == kAbsent ? -1.0f : static_cast<float>(hundredths) / 100.0f;
  }
  void PutDonePercentageAll(ReplicaIndex r, int64_t hundredths) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi)
      PutDonePercentage(r, vi, hundredths);
  }
  void PutConnectionState(ReplicaIndex r, size_t k, ConnState v) {
    PeerLink& x = cluster_.replicas[r].peers[k];
    Record(PeerLinkRef(r, k), Attribute::kConnState, static_cast<int64_t>(x.conn),
           static_cast<int64_t>(v));
    x.conn = v;
  }
  void PutReplication(ReplicaIndex r, size_t k, size_t vi, ReplState v) {
    ReplState& x = cluster_.replicas[r].volumes[vi].repl[k];
    Record(PeerVolumeRef(r, k, vi), Attribute::kReplState, static_cast<int64_t>(x),
           static_cast<int64_t>(v));
    x = v;
  }
  void PutReplicationAll(ReplicaIndex r, size_t k, ReplState v) {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) PutReplication(r, k, vi, v);
  }
  void PutVolumeFlags(ReplicaIndex r, size_t vi, uint32_t v) {
    VolumeReplica& x = cluster_.replicas[r].volumes[vi];
    Record(VolumeReplicaRef(r, vi), Attribute::kVolumeFlags, x.flags, v);
    x.flags = v;
  }
  void PutVolumeDefinitionFlags(RdIndex rd, size_t vi, uint32_t v) {
    VolumeDefinition& x = cluster_.rds[rd].volumes[vi];
    Record({EntityKind::kVolumeDefinition, rd, x.number}, Attribute::kVolumeFlags, x.flags, v);
    x.flags = v;
  }

  // --- topology helpers ---
  bool Up(NodeIndex n) const { return cluster_.nodes[n].alive && cluster_.nodes[n].satellite_up; }
  bool CanTalk(NodeIndex a, NodeIndex b) const {
    return Up(a) && Up(b) && node_data_[a].partition == node_data_[b].partition;
  }
  bool ControllerReaches(NodeIndex n) const { return Up(n) && node_data_[n].partition == 0; }
  bool Online(NodeIndex n) const {
    return cluster_.nodes[n].alive && cluster_.nodes[n].connection == NodeConnection::kOnline;
  }
  // DRBD runs for this replica (its node is up and the replica was brought up).
  bool Running(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    return x.alive && Up(x.node) && replica_data_[r].started;
  }
  int PeerSlot(ReplicaIndex r, ReplicaIndex peer) const {
    const Replica& x = cluster_.replicas[r];
    const NodeIndex pn = cluster_.replicas[peer].node;
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].peer == pn) return static_cast<int>(k);
    }
    return -1;
  }
  ReplicaIndex PeerReplica(ReplicaIndex r, size_t k) const {
    return FindReplica(cluster_.replicas[r].rd, cluster_.replicas[r].peers[k].peer);
  }
  bool Connected(ReplicaIndex r, ReplicaIndex peer) const {
    const int k = PeerSlot(r, peer);
    return k >= 0 && cluster_.replicas[r].peers[k].conn == ConnState::kConnected;
  }
  bool Attached(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful || x.volumes.empty())
      return x.kind == ReplicaKind::kDiskful;
    const DiskState d = x.volumes[0].disk;
    return d != DiskState::kDiskless && d != DiskState::kFailed && d != DiskState::kDetaching;
  }
  bool UpToDate(ReplicaIndex r) const {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful) return false;
    for (const auto& v : x.volumes) {
      if (v.disk != DiskState::kUpToDate) return false;
    }
    return true;
  }
  bool QuorumEnabled(RdIndex rd) const {
    int diskful = 0, diskless = 0;
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      (cluster_.replicas[r].kind == ReplicaKind::kDiskful ? diskful : diskless)++;
    }
    return diskful >= 3 || (diskful == 2 && diskless >= 1);
  }
  bool AnyInUse(RdIndex rd) const {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      if (cluster_.replicas[r].in_use) return true;
    }
    return false;
  }
  ReplicaIndex Writer(RdIndex rd) const {
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      if (cluster_.replicas[r].in_use && Running(r) && cluster_.replicas[r].quorum) return r;
    }
    return kNoIndex;
  }

  bool HasQuorum(ReplicaIndex r) const;
  // A Primary r can reach through Connected links (DRBD 9 promotes by a cluster-wide state
  // change: any reachable node that knows another Primary refuses). kNoIndex when none.
  ReplicaIndex ReachablePrimary(ReplicaIndex r) const;
  void Recompute(RdIndex rd);
  void MaybeNewUuid(RdIndex rd);
  void MaybeNewUuidFor(RdIndex rd, ReplicaIndex writer);
  void Settle(RdIndex rd) {
    Recompute(rd);
    MaybeNewUuid(rd);
  }

  // --- DRBD machinery ---
  void Dispatch(const Event& e);
  int64_t DetectDelay(RdIndex rd);
  void ScheduleBreak(ReplicaIndex observer, ReplicaIndex lost, int64_t delay) {
    Schedule(delay, kEventLinkBreak, observer, lost);
  }
  void BreakSide(ReplicaIndex r, ReplicaIndex peer, ConnState first, bool instant);
  void OnLinkBreak(ReplicaIndex r, ReplicaIndex peer);
  void OnLinkStep(ReplicaIndex r, ReplicaIndex peer, ConnState next);
  void OnConnect(ReplicaIndex a, ReplicaIndex b);
  void AbortResyncs(ReplicaIndex r, ReplicaIndex peer);
  void StopResync(ReplicaIndex target, bool settle_pair);
  void StopResyncsOf(ReplicaIndex r, bool settle_pair);
  void ResyncFromAnyPeer(ReplicaIndex target);
  void OnSyncStart(ReplicaIndex target, ReplicaIndex source);
  void OnSyncTick(ReplicaIndex target, uint32_t gen);
  void CopyUuid(ReplicaIndex to, ReplicaIndex from) {
    for (int i = 0; i < 3; ++i) replica_data_[to].uuid[i] = replica_data_[from].uuid[i];
    for (int i = 0; i < 2; ++i) replica_data_[to].born[i] = replica_data_[from].born[i];
  }
  void CrashNode(NodeIndex n);
  void ReturnNode(NodeIndex n, int64_t delay);
  void BootNode(NodeIndex n);
  void StartReplica(ReplicaIndex r);
  void ConnectReachablePeers(ReplicaIndex r, Duration lo, Duration hi);
  void Promote(ReplicaIndex r) {
    PutInUse(r, true);
    Settle(cluster_.replicas[r].rd);
  }
  void OnHaFailover(RdIndex rd);
  void SetPartition(const std::vector<NodeIndex>& nodes, uint32_t group);
  void HealPartition(const std::vector<NodeIndex>& nodes);
  void DetachDisk(ReplicaIndex r, uint16_t step);

  // --- model edits ---
  ReplicaIndex AddReplica(RdIndex rd, NodeIndex node, PoolIndex pool, ReplicaKind kind,
                          bool initial);
  void RequestReplicaDelete(ReplicaIndex r);
  void RemoveReplica(ReplicaIndex r);
  void RemoveResourceDefinitionIfDone(RdIndex rd);
  RdIndex AddResourceDefinition(const std::string& name, GroupIndex group);
  void AddVolume(RdIndex rd, uint32_t number, Kib size_kib, bool generating);
  Kib TotalSize(RdIndex rd) const {
    Kib s = 0;
    for (const auto& v : cluster_.rds[rd].volumes) s += v.size_kib;
    return s;
  }
  double PlacementScore(PoolIndex p) const {
    const StoragePool& x = cluster_.pools[p];
    const double cap = x.thin() ? static_cast<double>(x.total_kib) * x.max_oversubscription
                                : static_cast<double>(x.total_kib);
    return cap - static_cast<double>(x.provisioned_kib);
  }
  PoolIndex DisklessPool(NodeIndex n) const {
    for (PoolIndex p : cluster_.nodes[n].pools) {
      if (cluster_.pools[p].diskless()) return p;
    }
    return kNoIndex;
  }
  PoolIndex BestPool(NodeIndex n, const std::vector<std::string>& names, Kib size) const;
  // The pool a new diskful replica of `rd` on node `n` goes to: `pool_name` when given (it must
  // exist, hold disks and fit `size`), else the best of the group's pools. Sets *pool or fails
  // with LINSTOR's codes (storage pool not found, not enough free space).
  OpResult ChooseDiskfulPool(RdIndex rd, NodeIndex n, std::string_view pool_name, Kib size,
                             const std::string& rd_s, const std::string& node_s,
                             PoolIndex* pool) const;
  void UpdateInUseSet(RdIndex rd);
  void AddLive(RdIndex rd) {
    live_pos_.resize(std::max<size_t>(live_pos_.size(), rd + 1), kNoIndex);
    live_pos_[rd] = static_cast<uint32_t>(live_rds_.size());
    live_rds_.push_back(rd);
  }
  void RemoveLive(RdIndex rd) {
    if (rd >= live_pos_.size() || live_pos_[rd] == kNoIndex) return;
    const uint32_t pos = live_pos_[rd];
    live_rds_[pos] = live_rds_.back();
    live_pos_[live_rds_[pos]] = pos;
    live_rds_.pop_back();
    live_pos_[rd] = kNoIndex;
  }
  std::string NewResourceDefinitionName(Rng& rng) {
    for (;;) {
      std::string name = spec_.cluster.name_prefix + "-" + UuidLike(rng);
      if (rd_by_name_.find(FoldName(name)) == rd_by_name_.end()) return name;
    }
  }
  OpResult AutoPlaceIndex(RdIndex rd, const AutoPlaceRequest& request);
  OpResult ResizeIndex(RdIndex rd, uint32_t number, Kib size_kib);

  // --- scenario ---
  void OnFaultStart(uint32_t i);
  void OnFaultEnd(uint32_t i);
  void OnWorkload(uint32_t kind);
  std::vector<NodeIndex> FaultNodes(uint32_t i, int count);
  RdIndex PickResourceDefinition(Rng& rng, bool want_in_use, bool any_state);
  void ScheduleNextWorkload(uint32_t kind);

  WorldSpec spec_;
  double scale_ = 1.0;
  int64_t run_length_ns_ = 0;
  Rng root_rng_, rng_generator_, rng_names_, rng_drbd_, rng_ha_;
  std::vector<Rng> rng_workload_;
  std::vector<Rng> rng_fault_;

  Cluster cluster_;
  TraceLog trace_;
  EventQueue queue_;
  int64_t now_ = 0;
  uint64_t seq_ = 0;
  uint64_t recorded_ = 0;
  uint32_t cause_ = 0;
  int op_depth_ = 0;
  bool recording_ = true;

  std::vector<ReplicaData> replica_data_;
  std::vector<NodeData> node_data_;
  std::vector<uint8_t> rd_has_data_;
  std::vector<uint8_t> rd_in_use_;
  std::unordered_map<ReplicaIndex, Resync> resyncs_;  // by target; lookups only, never iterated
  uint32_t uuid_counter_ = 0;
  uint32_t resync_gen_ = 0;
  uint32_t next_port_ = 7000;
  uint32_t next_minor_ = 1000;

  std::unordered_map<std::string, NodeIndex> node_by_name_;
  std::unordered_map<std::string, RdIndex> rd_by_name_;
  std::unordered_map<std::string, GroupIndex> group_by_name_;
  std::vector<RdIndex> live_rds_;
  std::vector<uint32_t> live_pos_;
  std::vector<RdIndex> in_use_rds_;
  std::vector<uint32_t> in_use_pos_;

  std::vector<FaultWindow> fault_windows_;
  std::vector<std::vector<NodeIndex>> fault_nodes_;  // resolved targets per fault
  std::vector<std::vector<SlowPair>> slow_pairs_;
  std::vector<RdIndex> fault_target_rd_;
  WorkloadStats workload_stats_;
  std::vector<uint32_t> workload_cause_;
};

// --- Quorum, promotion, data generations ------------------------------------------------------

bool WorldImpl::HasQuorum(ReplicaIndex r) const {
  const Replica& self = cluster_.replicas[r];
  const ResourceDefinition& rd = cluster_.rds[self.rd];
  int voters = 0, present = 0;
  bool diskless_peer = false;
  for (ReplicaIndex q : rd.replicas) {
    const Replica& x = cluster_.replicas[q];
    const bool connected = q == r || Connected(r, q);
    if (x.kind != ReplicaKind::kDiskful || (q == r ? !Attached(q) : false)) {
      if (q != r && connected) diskless_peer = true;
      continue;
    }
    if (q != r && connected) {
      // A connected peer whose disk is known not to hold good data does not vote.
      const DiskState d = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (d == DiskState::kOutdated || d == DiskState::kInconsistent || d == DiskState::kDiskless ||
          d == DiskState::kFailed) {
        diskless_peer = diskless_peer || d == DiskState::kDiskless || d == DiskState::kFailed;
        continue;
      }
    }
    if (q == r) {
      const DiskState d = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (d == DiskState::kOutdated) continue;  // an Outdated replica does not vote
    }
    ++voters;
    if (connected) ++present;
  }
  if (voters == 0) return false;
  if (2 * present > voters) return true;
  return 2 * present == voters && diskless_peer;
}

ReplicaIndex WorldImpl::ReachablePrimary(ReplicaIndex r) const {
  const ResourceDefinition& def = cluster_.rds[cluster_.replicas[r].rd];
  ReplicaIndex seen[64];
  size_t n = 0, head = 0;
  seen[n++] = r;
  while (head < n) {
    const ReplicaIndex x = seen[head++];
    for (ReplicaIndex q : def.replicas) {
      if (std::find(seen, seen + n, q) != seen + n || n >= 64) continue;
      if (!Running(q) || !Connected(x, q)) continue;
      if (cluster_.replicas[q].in_use) return q;
      seen[n++] = q;
    }
  }
  return kNoIndex;
}

void WorldImpl::Recompute(RdIndex rd) {
  const ResourceDefinition& def = cluster_.rds[rd];
  const bool quorum_on = QuorumEnabled(rd);
  for (ReplicaIndex r : def.replicas) {
    if (!Running(r)) continue;  // a dead host's truth stays frozen
    const Replica& x = cluster_.replicas[r];
    const bool quorum = !quorum_on || HasQuorum(r);
    const bool peer_primary = ReachablePrimary(r) != kNoIndex;
    int uptodate_peers = 0;
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].conn != ConnState::kConnected) continue;
      const ReplicaIndex q = PeerReplica(r, k);
      if (q != kNoIndex && UpToDate(q)) ++uptodate_peers;
    }
    const bool own_data = UpToDate(r);
    const bool has_data = own_data || uptodate_peers > 0;
    int32_t score = 0;
    if (has_data) score = (own_data ? 10000 : 1000) + (quorum ? 100 : 0) + uptodate_peers;
    PutQuorum(r, quorum);
    PutMayPromote(r, !x.in_use && !peer_primary && quorum && has_data);
    PutPromotionScore(r, score);
  }
}

// The writer (the Primary with quorum) writes to itself and its connected UpToDate peers. When
// some diskful replica shares their data generation but is not among them, DRBD starts a new
// current UUID on the writer's side: that replica is now behind (and needs a resync later).
void WorldImpl::MaybeNewUuid(RdIndex rd) {
  // Normally one writer; two in a split brain (each side writes its own history).
  const ResourceDefinition& def = cluster_.rds[rd];
  for (size_t i = 0; i < def.replicas.size(); ++i) {
    const ReplicaIndex w = def.replicas[i];
    if (cluster_.replicas[w].in_use && Running(w) && cluster_.replicas[w].quorum)
      MaybeNewUuidFor(rd, w);
  }
}

void WorldImpl::MaybeNewUuidFor(RdIndex rd, ReplicaIndex w) {
  const ResourceDefinition& def = cluster_.rds[rd];
  ReplicaIndex group[32];
  size_t n = 0;
  if (UpToDate(w)) group[n++] = w;
  for (ReplicaIndex q : def.replicas) {
    if (q != w && n < 32 && UpToDate(q) && Running(q) && Connected(w, q)) group[n++] = q;
  }
  if (n == 0) return;
  const uint32_t current = replica_data_[group[0]].uuid[0];
  bool behind = false;
  for (ReplicaIndex q : def.replicas) {
    if (cluster_.replicas[q].kind != ReplicaKind::kDiskful) continue;
    if (std::find(group, group + n, q) != group + n) continue;
    // q holds the writer's data generation, or has it as an ancestor of its own: writing on
    // without a new UUID would make the two indistinguishable (or q look newer) later.
    const ReplicaData& dq = replica_data_[q];
    if (dq.uuid[0] == current || dq.uuid[1] == current || dq.uuid[2] == current) behind = true;
  }
  if (!behind) return;
  const uint32_t next = ++uuid_counter_;
  for (size_t i = 0; i < n; ++i) {
    ReplicaData& d = replica_data_[group[i]];
    d.uuid[2] = d.uuid[1];
    d.uuid[1] = d.uuid[0];
    d.uuid[0] = next;
    d.born[1] = d.born[0];
    d.born[0] = now_;
  }
}

// --- DRBD connection state machine ------------------------------------------------------------

int64_t WorldImpl::DetectDelay(RdIndex rd) {
  // With I/O in flight the request timeout (6 s) fires; idle, the next ping (every 10 s) is
  // missed and ping-timeout (0.5 s) later the peer is declared lost.
  if (AnyInUse(rd)) return ScaledUniform(rng_drbd_, kTimeout, kTimeout + milliseconds(500));
  return ScaledUniform(rng_drbd_, kPingTimeout, kPingInt + kPingTimeout);
}

// Ends a running resync of `target` early. The target keeps its Inconsistent disk and must
// sync in full later; done% disappears on both sides; with `settle_pair` a still connected pair
// goes back to Established (the connection itself is fine, e.g. the source lost its disk).
void WorldImpl::StopResync(ReplicaIndex target, bool settle_pair) {
  auto it = resyncs_.find(target);
  if (it == resyncs_.end()) return;
  const ReplicaIndex source = it->second.source;
  resyncs_.erase(it);
  replica_data_[target].full_sync_kib = std::max<Kib>(TotalSize(cluster_.replicas[target].rd), 64);
  if (Running(target)) PutDonePercentageAll(target, kAbsent);
  if (Running(source)) PutDonePercentageAll(source, kAbsent);
  if (!settle_pair) return;
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  if (ks >= 0 && Running(source) &&
      cluster_.replicas[source].peers[ks].conn == ConnState::kConnected) {
    PutReplicationAll(source, ks, ReplState::kEstablished);
  }
  if (kt >= 0 && Running(target) &&
      cluster_.replicas[target].peers[kt].conn == ConnState::kConnected) {
    PutReplicationAll(target, kt, ReplState::kEstablished);
  }
}

// Stops every resync that `r` takes part in, as target or as source.
void WorldImpl::StopResyncsOf(ReplicaIndex r, bool settle_pair) {
  StopResync(r, settle_pair);
  for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
    auto it = resyncs_.find(p);
    if (p != r && it != resyncs_.end() && it->second.source == r) StopResync(p, settle_pair);
  }
}

// An Inconsistent replica whose sync source went away syncs from another connected UpToDate peer.
void WorldImpl::ResyncFromAnyPeer(ReplicaIndex target) {
  if (!Running(target) || resyncs_.count(target) || !Attached(target) || UpToDate(target)) return;
  for (ReplicaIndex q : cluster_.rds[cluster_.replicas[target].rd].replicas) {
    if (q == target || !Running(q) || !UpToDate(q) || !Connected(target, q) ||
        !Connected(q, target)) {
      continue;
    }
    PutReplicationAll(q, PeerSlot(q, target), ReplState::kWFBitMapS);
    PutReplicationAll(target, PeerSlot(target, q), ReplState::kWFBitMapT);
    Schedule(Scaled(milliseconds(20)), kEventSyncStart, target, q);
    return;
  }
}

void WorldImpl::AbortResyncs(ReplicaIndex r, ReplicaIndex peer) {
  for (ReplicaIndex target : {r, peer}) {
    auto it = resyncs_.find(target);
    if (it == resyncs_.end()) continue;
    const ReplicaIndex source = it->second.source;
    if (source == r || source == peer) StopResync(target, /*settle_pair=*/false);
  }
}

void WorldImpl::BreakSide(ReplicaIndex r, ReplicaIndex peer, ConnState first, bool instant) {
  const int k = PeerSlot(r, peer);
  if (k < 0) return;
  AbortResyncs(r, peer);
  PutConnectionState(r, k, first);
  PutReplicationAll(r, k, ReplState::kOff);
  if (instant) {
    PutConnectionState(r, k, ConnState::kUnconnected);
    PutConnectionState(r, k, ConnState::kConnecting);
  } else {
    Schedule(Scaled(kStateStep), kEventLinkStep, r, peer,
             static_cast<uint16_t>(ConnState::kUnconnected));
  }
}

void WorldImpl::OnLinkBreak(ReplicaIndex r, ReplicaIndex peer) {
  if (!Running(r) || !cluster_.replicas[peer].alive) return;
  if (Running(peer) && CanTalk(cluster_.replicas[r].node, cluster_.replicas[peer].node)) return;
  const int k = PeerSlot(r, peer);
  if (k < 0 || cluster_.replicas[r].peers[k].conn != ConnState::kConnected) return;
  BreakSide(r, peer, ConnState::kNetworkFailure, /*instant=*/false);
  Settle(cluster_.replicas[r].rd);
}

void WorldImpl::OnLinkStep(ReplicaIndex r, ReplicaIndex peer, ConnState next) {
  if (!Running(r) || !cluster_.replicas[peer].alive) return;
  const int k = PeerSlot(r, peer);
  if (k < 0) return;
  const ConnState cur = cluster_.replicas[r].peers[k].conn;
  if (next == ConnState::kUnconnected &&
      (cur == ConnState::kNetworkFailure || cur == ConnState::kBrokenPipe ||
       cur == ConnState::kTimeout || cur == ConnState::kDisconnecting)) {
    PutConnectionState(r, k, ConnState::kUnconnected);
    Schedule(Scaled(kStateStep), kEventLinkStep, r, peer,
             static_cast<uint16_t>(ConnState::kConnecting));
  } else if (next == ConnState::kConnecting && cur == ConnState::kUnconnected) {
    PutConnectionState(r, k, ConnState::kConnecting);
    if (Running(peer) && CanTalk(cluster_.replicas[r].node, cluster_.replicas[peer].node)) {
      Schedule(ScaledUniform(rng_drbd_, milliseconds(100), kConnectInt), kEventConnect, r, peer);
    }
  }
}

void WorldImpl::OnConnect(ReplicaIndex a, ReplicaIndex b) {
  if (!Running(a) || !Running(b)) return;
  if (!CanTalk(cluster_.replicas[a].node, cluster_.replicas[b].node)) return;
  const int ka = PeerSlot(a, b), kb = PeerSlot(b, a);
  if (ka < 0 || kb < 0) return;
  Replica& ra = cluster_.replicas[a];
  Replica& rb = cluster_.replicas[b];
  const ConnState ca = ra.peers[ka].conn, cb = rb.peers[kb].conn;
  if (ca == ConnState::kConnected && cb == ConnState::kConnected) return;
  if (ca == ConnState::kStandAlone || cb == ConnState::kStandAlone) return;
  // A side that still believes in a connection learns that it broke (the peer restarted).
  if (ca == ConnState::kConnected) BreakSide(a, b, ConnState::kNetworkFailure, true);
  if (cb == ConnState::kConnected) BreakSide(b, a, ConnState::kNetworkFailure, true);
  // Two Primaries meet: one without quorum had its workload moved away; it is demoted.
  if (ra.in_use && rb.in_use) {
    if (!ra.quorum) {
      PutInUse(a, false);
    } else if (!rb.quorum) {
      PutInUse(b, false);
    }
  }
  const RdIndex rd = ra.rd;
  // A diskless peer (tiebreaker, client) passes on what it knows: if a diskful replica it is
  // connected to holds newer data than the diskful side of this handshake, that side learns
  // that it is Outdated (and so cannot regain quorum through the tiebreaker alone).
  for (auto [diskful, diskless] : {std::pair{a, b}, std::pair{b, a}}) {
    if (!Attached(diskful) || cluster_.replicas[diskless].kind == ReplicaKind::kDiskful) continue;
    if (!UpToDate(diskful)) continue;
    const uint32_t mine = replica_data_[diskful].uuid[0];
    for (ReplicaIndex q : cluster_.rds[rd].replicas) {
      if (q == diskful || !UpToDate(q) || !Running(q) || !Connected(diskless, q)) continue;
      if (replica_data_[q].uuid[1] == mine || replica_data_[q].uuid[2] == mine) {
        PutDiskStateAll(diskful, DiskState::kOutdated);
        break;
      }
    }
  }
  ReplicaIndex source = kNoIndex, target = kNoIndex;
  bool split_brain = false;
  if (Attached(a) && Attached(b)) {
    const ReplicaData& da = replica_data_[a];
    const ReplicaData& db = replica_data_[b];
    if (da.full_sync_kib > 0 && !UpToDate(a) && UpToDate(b)) {
      source = b, target = a;
    } else if (db.full_sync_kib > 0 && !UpToDate(b) && UpToDate(a)) {
      source = a, target = b;
    } else if (da.uuid[0] == db.uuid[0]) {
      // Same data: the one that thought itself outdated is UpToDate again.
      const bool a_good = UpToDate(a), b_good = UpToDate(b);
      if (!a_good && ra.volumes[0].disk != DiskState::kInconsistent)
        PutDiskStateAll(a, DiskState::kUpToDate);
      if (!b_good && rb.volumes[0].disk != DiskState::kInconsistent)
        PutDiskStateAll(b, DiskState::kUpToDate);
    } else if (da.uuid[1] == db.uuid[0] || da.uuid[2] == db.uuid[0]) {
      source = a, target = b;
    } else if (db.uuid[1] == da.uuid[0] || db.uuid[2] == da.uuid[0]) {
      source = b, target = a;
    } else if (UpToDate(a) && UpToDate(b)) {
      split_brain = true;
    } else {
      source = UpToDate(a) ? a : b;
      target = source == a ? b : a;
      replica_data_[target].full_sync_kib = TotalSize(rd);
    }
  }
  if (split_brain) {
    // DRBD detects the split brain in the handshake and drops the connection on both sides;
    // both disks stay UpToDate (LINSTOR shows StandAlone, not "split brain").
    PutConnectionState(a, ka, ConnState::kStandAlone);
    PutConnectionState(b, kb, ConnState::kStandAlone);
    Settle(rd);
    return;
  }
  PutConnectionState(a, ka, ConnState::kConnected);
  PutConnectionState(b, kb, ConnState::kConnected);
  if (source == kNoIndex) {
    PutReplicationAll(a, ka, ReplState::kEstablished);
    PutReplicationAll(b, kb, ReplState::kEstablished);
  } else if (resyncs_.count(target) > 0) {
    // Already syncing from another peer: DRBD merges the bitmaps; this pair just replicates.
    PutReplicationAll(a, ka, ReplState::kEstablished);
    PutReplicationAll(b, kb, ReplState::kEstablished);
  } else {
    const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
    PutReplicationAll(source, ks, ReplState::kWFBitMapS);
    PutReplicationAll(target, kt, ReplState::kWFBitMapT);
    Schedule(Scaled(milliseconds(20)), kEventSyncStart, target, source);
  }
  Settle(rd);
}

void WorldImpl::OnSyncStart(ReplicaIndex target, ReplicaIndex source) {
  if (!Running(target) || !Running(source)) return;
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  if (ks < 0 || kt < 0) return;
  Replica& t = cluster_.replicas[target];
  Replica& s = cluster_.replicas[source];
  if (s.peers[ks].conn != ConnState::kConnected || t.peers[kt].conn != ConnState::kConnected)
    return;
  if (s.volumes.empty() || s.volumes[0].repl[ks] != ReplState::kWFBitMapS) return;
  const RdIndex rd = t.rd;
  if (resyncs_.count(target) > 0 || UpToDate(target)) {
    // Another source got there first (DRBD merges the bitmaps): this pair just replicates.
    PutReplicationAll(source, ks, ReplState::kEstablished);
    PutReplicationAll(target, kt, ReplState::kEstablished);
    return;
  }
  const auto& vols = cluster_.rds[rd].volumes;
  // Dirty data: a full sync (new disk, discarded data) or what the writer wrote since the
  // target's data generation was left behind.
  int64_t behind_since = now_;
  const ReplicaData& ds = replica_data_[source];
  const ReplicaData& dt = replica_data_[target];
  if (ds.uuid[1] == dt.uuid[0])
    behind_since = ds.born[0];
  else if (ds.uuid[2] == dt.uuid[0])
    behind_since = ds.born[1];
  const double elapsed_unscaled_s =
      static_cast<double>(std::max<int64_t>(now_ - behind_since, 0)) / 1e9 / scale_;
  Resync rs;
  rs.source = source;
  rs.start_ns = now_;
  rs.gen = ++resync_gen_;
  int64_t longest = 0;
  for (size_t vi = 0; vi < vols.size(); ++vi) {
    double dirty_kib;
    if (dt.full_sync_kib > 0) {
      const bool thin = s.pool != kNoIndex && cluster_.pools[s.pool].thin();
      dirty_kib = static_cast<double>(thin ? std::max<Kib>(s.volumes[vi].allocated_kib, 64)
                                           : vols[vi].size_kib);
      dirty_kib = std::min(dirty_kib, static_cast<double>(dt.full_sync_kib));
    } else {
      dirty_kib = std::min(
          static_cast<double>(vols[vi].size_kib),
          std::max(64.0, elapsed_unscaled_s * static_cast<double>(spec_.cluster.write_rate_kib)));
    }
    const double seconds_unscaled =
        dirty_kib / static_cast<double>(std::max<Kib>(spec_.cluster.resync_rate_kib, 1));
    const int64_t d = std::max<int64_t>(1, std::llround(seconds_unscaled * 1e9 * scale_));
    rs.duration_ns.push_back(d);
    longest = std::max(longest, d);
  }
  PutDiskStateAll(target, DiskState::kInconsistent);
  PutReplicationAll(source, ks, ReplState::kSyncSource);
  PutReplicationAll(target, kt, ReplState::kSyncTarget);
  PutDonePercentageAll(target, 0);
  PutDonePercentageAll(source, 0);
  const uint32_t gen = rs.gen;
  resyncs_[target] = std::move(rs);
  // Progress ticks: one per second of scaled time, at most 100 per resync.
  const int64_t tick = std::max<int64_t>(Scaled(seconds(1)), longest / 100);
  Schedule(std::min(tick, longest), kEventSyncTick, target, gen);
  Settle(rd);
}

void WorldImpl::OnSyncTick(ReplicaIndex target, uint32_t gen) {
  auto it = resyncs_.find(target);
  if (it == resyncs_.end() || it->second.gen != gen) return;
  const Resync& rs = it->second;
  const ReplicaIndex source = rs.source;
  if (!Running(target) || !Running(source)) return;
  const int64_t elapsed = now_ - rs.start_ns;
  bool done = true;
  int64_t longest = 0;
  for (size_t vi = 0; vi < rs.duration_ns.size() && vi < cluster_.replicas[target].volumes.size();
       ++vi) {
    const int64_t d = rs.duration_ns[vi];
    longest = std::max(longest, d);
    const int64_t pct = elapsed >= d ? 10000 : (elapsed * 10000) / d;
    if (pct < 10000) {
      done = false;
      PutDonePercentage(target, vi, pct);
      PutDonePercentage(source, vi, pct);
    }
  }
  if (!done) {
    const int64_t tick = std::max<int64_t>(Scaled(seconds(1)), longest / 100);
    Schedule(std::min(tick, std::max<int64_t>(longest - elapsed, 1)), kEventSyncTick, target, gen);
    return;
  }
  resyncs_.erase(it);
  const int ks = PeerSlot(source, target), kt = PeerSlot(target, source);
  PutDonePercentageAll(target, kAbsent);
  PutDonePercentageAll(source, kAbsent);
  PutDiskStateAll(target, DiskState::kUpToDate);
  if (ks >= 0) PutReplicationAll(source, ks, ReplState::kEstablished);
  if (kt >= 0) PutReplicationAll(target, kt, ReplState::kEstablished);
  CopyUuid(target, source);
  replica_data_[target].full_sync_kib = 0;
  Settle(cluster_.replicas[target].rd);
}

// --- Nodes: crash, return, boot -----------------------------------------------------------------

void WorldImpl::CrashNode(NodeIndex n) {
  if (!Up(n)) return;
  PutSatelliteUp(n, false);
  ++node_data_[n].crash_gen;
  for (ReplicaIndex r : cluster_.nodes[n].replicas)
    replica_data_[r].started = false;  // DRBD is gone
  // The controller notices a dead satellite quickly (TCP reset / keepalive).
  Schedule(ScaledUniform(rng_drbd_, milliseconds(1), kPingTimeout), kEventNodeDown, n,
           node_data_[n].crash_gen);
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    const Replica& x = cluster_.replicas[r];
    const RdIndex rd = x.rd;
    for (ReplicaIndex p : cluster_.rds[rd].replicas) {
      if (p == r || !Running(p)) continue;
      ScheduleBreak(p, r, DetectDelay(rd));
    }
    if (x.in_use && spec_.cluster.ha_failover_delay.count() > 0) {
      Schedule(Scaled(spec_.cluster.ha_failover_delay), kEventHaFailover, rd);
    }
  }
}

void WorldImpl::ReturnNode(NodeIndex n, int64_t delay) { Schedule(delay, kEventNodeReturn, n); }

void WorldImpl::BootNode(NodeIndex n) {
  if (!Up(n)) return;
  // Copy: removing replicas edits the node's list.
  const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
  for (ReplicaIndex r : replicas) {
    if (cluster_.replicas[r].flags & kReplicaDelete) {
      RemoveReplica(r);
      continue;
    }
    if (!replica_data_[r].started) StartReplica(r);
  }
}

// DRBD comes up for a replica: as a Secondary, its data Outdated until a peer tells otherwise
// (or UpToDate for the replicas of a brand-new resource), every connection Connecting.
void WorldImpl::StartReplica(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  ReplicaData& d = replica_data_[r];
  const RdIndex rd = x.rd;
  const bool was_started = d.ever_started;
  d.started = d.ever_started = true;
  if (x.in_use) PutInUse(r, false);
  StopResyncsOf(r, /*settle_pair=*/false);
  PutDonePercentageAll(r, kAbsent);
  if (x.kind == ReplicaKind::kDiskful) {
    if (d.initial && !was_started) {
      rd_has_data_[rd] = 1;
      // Fresh resource: LINSTOR skips the initial sync (new-current-uuid --clear-bitmap).
      PutDiskStateAll(r, DiskState::kUpToDate);
      d.initial = false;
    } else if (!was_started) {
      PutDiskStateAll(r, DiskState::kInconsistent);
      if (d.full_sync_kib == 0) d.full_sync_kib = std::max<Kib>(TotalSize(rd), 64);
    } else {
      const DiskState cur = x.volumes.empty() ? DiskState::kUpToDate : x.volumes[0].disk;
      if (cur == DiskState::kUpToDate || cur == DiskState::kConsistent ||
          cur == DiskState::kDiskless || cur == DiskState::kFailed) {
        if (x.pool == kNoIndex || !cluster_.pools[x.pool].failed)
          PutDiskStateAll(r, DiskState::kOutdated);
      }
    }
  } else {
    PutDiskStateAll(r, DiskState::kDiskless);
  }
  for (size_t k = 0; k < x.peers.size(); ++k) {
    PutConnectionState(r, k, ConnState::kConnecting);
    PutReplicationAll(r, k, ReplState::kOff);
  }
  ConnectReachablePeers(r, milliseconds(100), seconds(1));
  Settle(rd);
}

void WorldImpl::ConnectReachablePeers(ReplicaIndex r, Duration lo, Duration hi) {
  const Replica& x = cluster_.replicas[r];
  for (ReplicaIndex p : cluster_.rds[x.rd].replicas) {
    if (p == r || !Running(p) || !CanTalk(x.node, cluster_.replicas[p].node)) continue;
    Schedule(ScaledUniform(rng_drbd_, lo, hi), kEventConnect, r, p);
  }
}

void WorldImpl::OnHaFailover(RdIndex rd) {
  if (rd >= cluster_.rds.size() || !cluster_.rds[rd].alive) return;
  // The HA controller acts only when no Primary is on a node the cluster can see.
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use && Online(cluster_.replicas[r].node) && Running(r)) return;
  }
  ReplicaIndex best = kNoIndex;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    const Replica& x = cluster_.replicas[r];
    if (!Running(r) || !Online(x.node) || !x.may_promote) continue;
    if (x.kind == ReplicaKind::kTieBreaker) continue;
    if (best == kNoIndex || x.promotion_score > cluster_.replicas[best].promotion_score ||
        (x.promotion_score == cluster_.replicas[best].promotion_score &&
         x.node < cluster_.replicas[best].node)) {
      best = r;
    }
  }
  if (best != kNoIndex) Promote(best);
}

void WorldImpl::SetPartition(const std::vector<NodeIndex>& nodes, uint32_t group) {
  for (NodeIndex n : nodes) node_data_[n].partition = group;
  for (NodeIndex n : nodes) {
    if (!Up(n)) continue;
    Schedule(ScaledUniform(rng_drbd_, milliseconds(1), kPingInt + kPingTimeout), kEventNodeDown, n,
             node_data_[n].crash_gen);
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      const RdIndex rd = cluster_.replicas[r].rd;
      for (ReplicaIndex p : cluster_.rds[rd].replicas) {
        if (p == r || !Running(p) || CanTalk(n, cluster_.replicas[p].node)) continue;
        ScheduleBreak(p, r, DetectDelay(rd));
        ScheduleBreak(r, p, DetectDelay(rd));
      }
      if (cluster_.replicas[r].in_use && spec_.cluster.ha_failover_delay.count() > 0) {
        Schedule(Scaled(spec_.cluster.ha_failover_delay), kEventHaFailover, rd);
      }
    }
  }
}

void WorldImpl::HealPartition(const std::vector<NodeIndex>& nodes) {
  for (NodeIndex n : nodes) node_data_[n].partition = 0;
  for (NodeIndex n : nodes) {
    if (!Up(n)) continue;
    if (cluster_.nodes[n].connection != NodeConnection::kOnline) {
      Schedule(ScaledUniform(rng_drbd_, milliseconds(500), seconds(5)), kEventNodeUp, n, 0, 0);
    }
    // Both sides retry every connect-int: the link comes back within one interval.
    for (ReplicaIndex r : cluster_.nodes[n].replicas) {
      if (!Running(r)) continue;
      ConnectReachablePeers(r, milliseconds(1), kConnectInt);
    }
  }
}

void WorldImpl::DetachDisk(ReplicaIndex r, uint16_t step) {
  if (!Running(r) || cluster_.replicas[r].kind != ReplicaKind::kDiskful) return;
  if (step == 0) {
    // on-io-error detach: the failing disk goes Failed, then DRBD detaches it.
    bool any = false;
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) {
      if (cluster_.replicas[r].volumes[vi].disk == DiskState::kDiskless) continue;
      PutDiskState(r, vi, DiskState::kFailed);
      any = true;
    }
    if (!any) return;
    // Targets that were syncing from this disk look for another source.
    std::vector<ReplicaIndex> orphans;
    for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
      auto it = resyncs_.find(p);
      if (p != r && it != resyncs_.end() && it->second.source == r) orphans.push_back(p);
    }
    StopResyncsOf(r, /*settle_pair=*/true);
    PutDonePercentageAll(r, kAbsent);
    for (ReplicaIndex p : orphans) ResyncFromAnyPeer(p);
    Schedule(Scaled(milliseconds(100)), kEventDiskDetach, r, 0, 1);
  } else {
    for (size_t vi = 0; vi < cluster_.replicas[r].volumes.size(); ++vi) {
      if (cluster_.replicas[r].volumes[vi].disk == DiskState::kFailed) {
        PutDiskState(r, vi, DiskState::kDiskless);
      }
    }
    replica_data_[r].full_sync_kib = std::max<Kib>(TotalSize(cluster_.replicas[r].rd), 64);
  }
  Settle(cluster_.replicas[r].rd);
}

// --- Event dispatch -----------------------------------------------------------------------------

void WorldImpl::Dispatch(const Event& e) {
  switch (e.type) {
    case kEventLinkBreak:
      OnLinkBreak(e.a, e.b);
      break;
    case kEventLinkStep:
      OnLinkStep(e.a, e.b, static_cast<ConnState>(e.c));
      break;
    case kEventConnect:
      OnConnect(e.a, e.b);
      break;
    case kEventSyncStart:
      OnSyncStart(e.a, e.b);
      break;
    case kEventSyncTick:
      OnSyncTick(e.a, e.b);
      break;
    case kEventNodeDown:
      if (cluster_.nodes[e.a].alive && !ControllerReaches(e.a)) {
        PutNodeConnection(e.a, NodeConnection::kOffline);
      }
      break;
    case kEventNodeUp:
      if (!ControllerReaches(e.a)) break;
      if (e.c == 0) {
        if (cluster_.nodes[e.a].connection == NodeConnection::kOnline) break;
        PutNodeConnection(e.a, NodeConnection::kConnected);
        Schedule(Scaled(milliseconds(200)), kEventNodeUp, e.a, e.b, 1);
      } else {
        PutNodeConnection(e.a, NodeConnection::kOnline);
        // After the full sync the satellite brings up what is not running yet (all of it after
        // a crash; nothing after a partition that left DRBD running).
        Schedule(Scaled(milliseconds(500)), kEventNodeBoot, e.a);
      }
      break;
    case kEventNodeBoot:
      BootNode(e.a);
      break;
    case kEventNodeReturn:
      if (!cluster_.nodes[e.a].alive || cluster_.nodes[e.a].satellite_up) break;
      PutSatelliteUp(e.a, true);
      // An evicted node is not reconnected until restored by hand.
      if (cluster_.nodes[e.a].flags & kNodeEvicted) break;
      // The satellite starts, the controller's reconnector finds it, sends the full sync,
      // and the satellite brings its DRBD resources up.
      {
        Event up;
        up.time_ns = now_ + ScaledUniform(rng_drbd_, seconds(1), seconds(5));
        up.a = e.a;
        up.b = 1;  // boot after ONLINE
        up.type = kEventNodeUp;
        up.cause = cause_;
        if (node_data_[e.a].partition == 0) {
          queue_.Push(up);
        } else {
          Schedule(ScaledUniform(rng_drbd_, seconds(1), seconds(5)), kEventNodeBoot, e.a);
        }
      }
      break;
    case kEventNodeShutdown: {
      const NodeIndex n = e.a;
      if (!Up(n)) break;
      // Clean shutdown: DRBD disconnects gracefully, the peers see it at once.
      for (ReplicaIndex r : cluster_.nodes[n].replicas) {
        if (!Running(r)) continue;
        for (ReplicaIndex p : cluster_.rds[cluster_.replicas[r].rd].replicas) {
          if (p == r || !Running(p)) continue;
          const int k = PeerSlot(p, r);
          if (k >= 0 && cluster_.replicas[p].peers[k].conn == ConnState::kConnected) {
            BreakSide(p, r, ConnState::kTearDown, /*instant=*/true);
          }
          const int kr = PeerSlot(r, p);
          if (kr >= 0) {
            PutConnectionState(r, kr, ConnState::kDisconnecting);
            PutConnectionState(r, kr, ConnState::kStandAlone);
            PutReplicationAll(r, kr, ReplState::kOff);
          }
        }
      }
      PutSatelliteUp(n, false);
      ++node_data_[n].crash_gen;
      for (ReplicaIndex r : cluster_.nodes[n].replicas) replica_data_[r].started = false;
      PutNodeConnection(n, NodeConnection::kOffline);
      for (ReplicaIndex r : cluster_.nodes[n].replicas) Settle(cluster_.replicas[r].rd);
      break;
    }
    case kEventReplicaUp:
      if (cluster_.replicas[e.a].alive && Up(cluster_.replicas[e.a].node) &&
          !replica_data_[e.a].started) {
        StartReplica(e.a);
      }
      break;
    case kEventReplicaRemove:
      if (cluster_.replicas[e.a].alive) RemoveReplica(e.a);
      break;
    case kEventResizeStep: {
      const RdIndex rd = e.a;
      if (!cluster_.rds[rd].alive) break;
      ResourceDefinition& def = cluster_.rds[rd];
      size_t vi = def.volumes.size();
      for (size_t i = 0; i < def.volumes.size(); ++i) {
        if (def.volumes[i].number == e.b) vi = i;
      }
      if (vi == def.volumes.size()) break;
      for (ReplicaIndex r : def.replicas) {
        if (e.c == 0) {
          PutVolumeFlags(
              r, vi, (cluster_.replicas[r].volumes[vi].flags & ~kVolumeResize) | kVolumeDrbdResize);
        } else {
          PutVolumeFlags(
              r, vi, cluster_.replicas[r].volumes[vi].flags & ~(kVolumeResize | kVolumeDrbdResize));
        }
      }
      if (e.c == 0) {
        Schedule(Scaled(seconds(1)), kEventResizeStep, rd, e.b, 1);
      } else {
        PutVolumeDefinitionFlags(rd, vi, def.volumes[vi].flags & ~kVolumeResize);
      }
      break;
    }
    case kEventToggleStep: {
      const ReplicaIndex r = e.a;
      if (!cluster_.replicas[r].alive) break;
      Replica& x = cluster_.replicas[r];
      if (e.c == 0) {
        if (x.flags & kReplicaDiskAddRequested) {
          PutReplicaFlags(r, (x.flags & ~kReplicaDiskAddRequested) | kReplicaDiskAdding);
        } else if (x.flags & kReplicaDiskRemoveRequested) {
          PutReplicaFlags(r, (x.flags & ~kReplicaDiskRemoveRequested) | kReplicaDiskRemoving);
        }
        Schedule(Scaled(milliseconds(500)), kEventToggleStep, r, 0, 1);
      } else if (x.flags & kReplicaDiskAdding) {
        PutReplicaFlags(r, x.flags & ~kReplicaDiskAdding);
        PutKind(r, ReplicaKind::kDiskful);
        PutDiskStateAll(r, DiskState::kAttaching);
        PutDiskStateAll(r, DiskState::kInconsistent);
        replica_data_[r].full_sync_kib = std::max<Kib>(TotalSize(x.rd), 64);
        replica_data_[r].uuid[0] = replica_data_[r].uuid[1] = replica_data_[r].uuid[2] = 0;
        // The new disk syncs from an UpToDate peer: reconnect to run the handshake.
        for (size_t k = 0; k < x.peers.size(); ++k) {
          const ReplicaIndex p = PeerReplica(r, k);
          if (p == kNoIndex || !Running(p) || x.peers[k].conn != ConnState::kConnected) continue;
          if (!UpToDate(p) || resyncs_.count(r)) continue;
          const int kp = PeerSlot(p, r);
          PutReplicationAll(p, kp, ReplState::kWFBitMapS);
          PutReplicationAll(r, k, ReplState::kWFBitMapT);
          Schedule(Scaled(milliseconds(20)), kEventSyncStart, r, p);
          break;
        }
        Settle(x.rd);
      } else if (x.flags & kReplicaDiskRemoving) {
        PutReplicaFlags(r, x.flags & ~kReplicaDiskRemoving);
        PutDiskStateAll(r, DiskState::kDetaching);
        PutDiskStateAll(r, DiskState::kDiskless);
        for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
          ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
                     -static_cast<int64_t>(cluster_.rds[x.rd].volumes[vi].size_kib));
          x.volumes[vi].allocated_kib = 0;
        }
        x.pool = DisklessPool(x.node);
        PutKind(r, ReplicaKind::kDiskless);
        Settle(x.rd);
      }
      break;
    }
    case kEventHaFailover:
      OnHaFailover(e.a);
      break;
    case kEventFaultStart:
      OnFaultStart(e.a);
      break;
    case kEventFaultEnd:
      OnFaultEnd(e.a);
      break;
    case kEventWorkload:
      OnWorkload(e.a);
      break;
    case kEventPromote: {
      const ReplicaIndex r = FindReplica(e.a, e.b);
      if (r == kNoIndex || !cluster_.rds[e.a].alive) {
        ++workload_stats_.attach_failed;
        break;
      }
      ++op_depth_;
      const OpResult res = SetInUse(cluster_.rds[e.a].name, cluster_.nodes[e.b].name, true);
      --op_depth_;
      if (res.ok()) {
        ++workload_stats_.attached;
      } else {
        ++workload_stats_.attach_failed;
      }
      break;
    }
    case kEventDiskDetach:
      DetachDisk(e.a, e.c);
      break;
    case kEventSplitPromote: {
      const RdIndex rd = e.a;
      if (!cluster_.rds[rd].alive) break;
      // The workload runs on both sides of the partition (quorum off: nothing stops it).
      for (ReplicaIndex r : cluster_.rds[rd].replicas) {
        if (Running(r) && !cluster_.replicas[r].in_use && cluster_.replicas[r].may_promote)
          Promote(r);
      }
      break;
    }
    case kEventEvict: {
      const NodeIndex n = e.a;
      if (!cluster_.nodes[n].alive || Up(n) || (cluster_.nodes[n].flags & kNodeEvicted)) break;
      // LINSTOR-API.md 6.7: the node becomes DELETE|EVICTED, its resources EVICTED (INACTIVE),
      // and the autoplacer replaces each lost diskful replica elsewhere (full resync).
      PutNodeFlags(n, cluster_.nodes[n].flags | kNodeDelete | kNodeEvicted);
      const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
      for (ReplicaIndex r : replicas) {
        PutReplicaFlags(r, cluster_.replicas[r].flags | kReplicaEvicted);
        if (cluster_.replicas[r].kind != ReplicaKind::kDiskful) continue;
        AutoPlaceRequest more;
        more.additional_place_count = 1;
        ++op_depth_;
        (void)AutoPlaceIndex(cluster_.replicas[r].rd, more);
        --op_depth_;
      }
      break;
    }
    case kEventSplitRecover: {
      // Manual recovery: the victim discards its data (`drbdadm connect --discard-my-data`).
      const RdIndex rd = e.a;
      const ReplicaIndex victim = e.b;
      if (!cluster_.rds[rd].alive || !Running(victim)) break;
      if (cluster_.replicas[victim].in_use) PutInUse(victim, false);
      PutDiskStateAll(victim, DiskState::kOutdated);
      replica_data_[victim].full_sync_kib = std::max<Kib>(TotalSize(rd), 64);
      for (ReplicaIndex p : cluster_.rds[rd].replicas) {
        if (p == victim || !Running(p)) continue;
        const int kv = PeerSlot(victim, p), kp = PeerSlot(p, victim);
        if (kv >= 0 && cluster_.replicas[victim].peers[kv].conn == ConnState::kStandAlone) {
          PutConnectionState(victim, kv, ConnState::kConnecting);
        }
        if (kp >= 0 && cluster_.replicas[p].peers[kp].conn == ConnState::kStandAlone) {
          PutConnectionState(p, kp, ConnState::kConnecting);
        }
      }
      ConnectReachablePeers(victim, milliseconds(100), seconds(1));
      Settle(rd);
      break;
    }
    default:
      LNSIM_CHECK(false) << "unknown event type " << e.type;
  }
}

// --- Model edits --------------------------------------------------------------------------------

void WorldImpl::UpdateInUseSet(RdIndex rd) {
  if (rd_in_use_.size() <= rd) rd_in_use_.resize(rd + 1, 0);
  if (in_use_pos_.size() <= rd) in_use_pos_.resize(rd + 1, kNoIndex);
  const bool now_in_use = cluster_.rds[rd].alive && AnyInUse(rd);
  if (now_in_use == static_cast<bool>(rd_in_use_[rd])) return;
  rd_in_use_[rd] = now_in_use;
  if (now_in_use) {
    in_use_pos_[rd] = static_cast<uint32_t>(in_use_rds_.size());
    in_use_rds_.push_back(rd);
  } else {
    const uint32_t pos = in_use_pos_[rd];
    in_use_rds_[pos] = in_use_rds_.back();
    in_use_pos_[in_use_rds_[pos]] = pos;
    in_use_rds_.pop_back();
    in_use_pos_[rd] = kNoIndex;
  }
}

RdIndex WorldImpl::AddResourceDefinition(const std::string& name, GroupIndex group) {
  const RdIndex rd = static_cast<RdIndex>(cluster_.rds.size());
  ResourceDefinition def;
  def.name = name;
  def.group = group;
  def.port = next_port_++;
  def.create_time_ms = now_ / 1000000;
  cluster_.rds.push_back(std::move(def));
  rd_by_name_.emplace(FoldName(name), rd);
  rd_has_data_.push_back(0);
  AddLive(rd);
  UpdateInUseSet(rd);
  Record({EntityKind::kResourceDefinition, rd}, Attribute::kExists, kAbsent, 1);
  return rd;
}

void WorldImpl::AddVolume(RdIndex rd, uint32_t number, Kib size_kib, bool generating) {
  ResourceDefinition& def = cluster_.rds[rd];
  VolumeDefinition vd;
  vd.number = number;
  vd.size_kib = size_kib;
  vd.minor = next_minor_++;
  def.volumes.push_back(vd);
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kExists, kAbsent, 1);
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kSizeKib, kAbsent,
         static_cast<int64_t>(size_kib));
  const size_t vi = def.volumes.size() - 1;
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    VolumeReplica v;
    v.disk = x.kind == ReplicaKind::kDiskful ? DiskState::kUpToDate : DiskState::kDiskless;
    if (x.kind == ReplicaKind::kDiskful && !UpToDate(r) && !x.volumes.empty()) {
      v.disk = x.volumes[0].disk;
    }
    v.repl.assign(x.peers.size(), ReplState::kEstablished);
    for (size_t k = 0; k < x.peers.size(); ++k) {
      if (x.peers[k].conn != ConnState::kConnected) v.repl[k] = ReplState::kOff;
    }
    x.volumes.push_back(std::move(v));
    (void)generating;
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, kAbsent, 1);
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, kAbsent,
           static_cast<int64_t>(x.volumes[vi].disk));
    if (x.kind == ReplicaKind::kDiskful) {
      const bool thin = cluster_.pools[x.pool].thin();
      const Kib alloc = thin ? 0 : size_kib;
      x.volumes[vi].allocated_kib = alloc;
      ChangePool(x.pool, static_cast<int64_t>(alloc), static_cast<int64_t>(size_kib));
    }
  }
}

PoolIndex WorldImpl::BestPool(NodeIndex n, const std::vector<std::string>& names, Kib size) const {
  PoolIndex best = kNoIndex;
  for (PoolIndex p : cluster_.nodes[n].pools) {
    const StoragePool& x = cluster_.pools[p];
    if (x.diskless() || !x.CanFit(size)) continue;
    if (!names.empty()) {
      const std::string folded = FoldName(x.name);
      bool listed = false;
      for (const auto& nm : names) listed = listed || FoldName(nm) == folded;
      if (!listed) continue;
    }
    if (best == kNoIndex || PlacementScore(p) > PlacementScore(best)) best = p;
  }
  return best;
}

ReplicaIndex WorldImpl::AddReplica(RdIndex rd, NodeIndex node, PoolIndex pool, ReplicaKind kind,
                                   bool initial) {
  const ReplicaIndex r = static_cast<ReplicaIndex>(cluster_.replicas.size());
  ResourceDefinition& def = cluster_.rds[rd];
  Replica x;
  x.rd = rd;
  x.node = node;
  x.kind = kind;
  x.pool = kind == ReplicaKind::kDiskful ? pool : DisklessPool(node);
  x.create_time_ms = now_ / 1000000;
  // Lowest free DRBD node id.
  uint32_t used = 0;
  for (ReplicaIndex q : def.replicas) used |= 1u << (cluster_.replicas[q].drbd_node_id & 31);
  uint8_t id = 0;
  while (used & (1u << id)) ++id;
  x.drbd_node_id = id;
  x.peers.reserve(def.replicas.size());
  for (ReplicaIndex q : def.replicas)
    x.peers.push_back({cluster_.replicas[q].node, ConnState::kConnecting});
  x.volumes.resize(def.volumes.size());
  for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
    VolumeReplica& v = x.volumes[vi];
    v.disk = kind == ReplicaKind::kDiskful ? DiskState::kInconsistent : DiskState::kDiskless;
    v.repl.assign(x.peers.size(), ReplState::kOff);
  }
  x.quorum = true;
  cluster_.replicas.push_back(std::move(x));
  ReplicaData d;
  d.initial = initial;
  if (initial && kind == ReplicaKind::kDiskful) {
    // All replicas of a fresh resource share its first data generation.
    uint32_t base = 0;
    for (ReplicaIndex q : def.replicas) {
      if (replica_data_[q].initial && replica_data_[q].uuid[0] != 0)
        base = replica_data_[q].uuid[0];
    }
    d.uuid[0] = base != 0 ? base : ++uuid_counter_;
    d.born[0] = now_;
  }
  replica_data_.push_back(d);
  Record(ReplicaRef(r), Attribute::kExists, kAbsent, 1);
  Record(ReplicaRef(r), Attribute::kKind, kAbsent, static_cast<int64_t>(kind));
  for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, kAbsent, 1);
    Record(VolumeReplicaRef(r, vi), Attribute::kDiskState, kAbsent,
           static_cast<int64_t>(cluster_.replicas[r].volumes[vi].disk));
  }
  // Links both ways with every existing replica.
  for (size_t k = 0; k < def.replicas.size(); ++k) {
    const ReplicaIndex q = def.replicas[k];
    Record(PeerLinkRef(r, k), Attribute::kExists, kAbsent, 1);
    Record(PeerLinkRef(r, k), Attribute::kConnState, kAbsent,
           static_cast<int64_t>(ConnState::kConnecting));
    Replica& y = cluster_.replicas[q];
    y.peers.push_back({node, ConnState::kConnecting});
    for (auto& v : y.volumes) v.repl.push_back(ReplState::kOff);
    const size_t kq = y.peers.size() - 1;
    Record(PeerLinkRef(q, kq), Attribute::kExists, kAbsent, 1);
    Record(PeerLinkRef(q, kq), Attribute::kConnState, kAbsent,
           static_cast<int64_t>(ConnState::kConnecting));
  }
  def.replicas.push_back(r);
  cluster_.nodes[node].replicas.push_back(r);
  if (kind == ReplicaKind::kDiskful) {
    for (size_t vi = 0; vi < def.volumes.size(); ++vi) {
      const Kib size = def.volumes[vi].size_kib;
      const Kib alloc = cluster_.pools[pool].thin() ? 0 : size;
      cluster_.replicas[r].volumes[vi].allocated_kib = alloc;
      ChangePool(pool, static_cast<int64_t>(alloc), static_cast<int64_t>(size));
    }
  }
  if (Up(node) && recording_) {
    Schedule(ScaledUniform(rng_drbd_, milliseconds(500), milliseconds(1500)), kEventReplicaUp, r);
  }
  return r;
}

void WorldImpl::RequestReplicaDelete(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  if (x.flags & kReplicaDelete) return;
  PutReplicaFlags(r, x.flags | kReplicaDelete);
  // On an offline node the replica keeps its DELETE flag until the satellite confirms.
  if (Online(x.node) && Up(x.node)) {
    Schedule(Scaled(kReplicaRemoveDelay), kEventReplicaRemove, r);
  }
}

void WorldImpl::RemoveReplica(ReplicaIndex r) {
  Replica& x = cluster_.replicas[r];
  if (!x.alive) return;
  const RdIndex rd = x.rd;
  ResourceDefinition& def = cluster_.rds[rd];
  for (ReplicaIndex p : def.replicas) {
    if (p == r) continue;
    AbortResyncs(p, r);
    const int k = PeerSlot(p, r);
    if (k < 0) continue;
    Record(PeerLinkRef(p, k), Attribute::kExists, 1, 0);
    Replica& y = cluster_.replicas[p];
    y.peers.erase(y.peers.begin() + k);
    for (auto& v : y.volumes) v.repl.erase(v.repl.begin() + k);
  }
  StopResync(r, /*settle_pair=*/false);
  for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
    if (x.kind == ReplicaKind::kDiskful) {
      ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
                 -static_cast<int64_t>(def.volumes[vi].size_kib));
    }
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, 1, 0);
  }
  // The replica's own links go with it (its peers' links toward it were removed above).
  for (size_t k = 0; k < x.peers.size(); ++k) Record(PeerLinkRef(r, k), Attribute::kExists, 1, 0);
  Record(ReplicaRef(r), Attribute::kExists, 1, 0);
  const bool was_in_use = x.in_use;
  x.alive = false;
  x.in_use = false;
  def.replicas.erase(std::find(def.replicas.begin(), def.replicas.end(), r));
  auto& on_node = cluster_.nodes[x.node].replicas;
  on_node.erase(std::find(on_node.begin(), on_node.end(), r));
  std::vector<PeerLink>().swap(x.peers);
  std::vector<VolumeReplica>().swap(x.volumes);
  if (was_in_use) UpdateInUseSet(rd);
  Settle(rd);
  RemoveResourceDefinitionIfDone(rd);
}

void WorldImpl::RemoveResourceDefinitionIfDone(RdIndex rd) {
  ResourceDefinition& def = cluster_.rds[rd];
  if (!def.alive || !(def.flags & 1u) || !def.replicas.empty()) return;
  for (const auto& v : def.volumes) {
    Record({EntityKind::kVolumeDefinition, rd, v.number}, Attribute::kExists, 1, 0);
  }
  Record({EntityKind::kResourceDefinition, rd}, Attribute::kExists, 1, 0);
  def.alive = false;
  rd_by_name_.erase(FoldName(def.name));
  RemoveLive(rd);
  UpdateInUseSet(rd);
}

// --- Generator
// ------------------------------------------------------------------------------------

Status WorldImpl::Generate() {
  const ClusterSpec& cs = spec_.cluster;
  scale_ = spec_.time_scale;
  run_length_ns_ = Scaled(spec_.duration);
  if (cs.replicas > cs.nodes) {
    return InvalidArgumentError("cluster.replicas: " + std::to_string(cs.replicas) +
                                " replicas need at least as many storage nodes, cluster.nodes is " +
                                std::to_string(cs.nodes));
  }
  const uint64_t volumes = static_cast<uint64_t>(cs.resources) * cs.volumes_per_resource;
  if (volumes > 1048575 - 1000) {
    return InvalidArgumentError("cluster.resources: " + std::to_string(volumes) +
                                " volumes exceed DRBD's minor numbers (1048575)");
  }
  recording_ = false;
  const int total_nodes = cs.nodes + cs.diskless_clients;
  cluster_.nodes.reserve(total_nodes);
  node_data_.resize(total_nodes);
  for (int i = 0; i < total_nodes; ++i) {
    Node n;
    n.name = i < cs.nodes ? "node-" + std::to_string(i + 1)
                          : "client-" + std::to_string(i - cs.nodes + 1);
    n.ipv4 = (10u << 24) + 10u + static_cast<uint32_t>(i) + 1;
    const NodeIndex idx = static_cast<NodeIndex>(cluster_.nodes.size());
    node_by_name_.emplace(FoldName(n.name), idx);
    cluster_.nodes.push_back(std::move(n));
    auto add_pool = [&](const std::string& name, ProviderKind kind, Kib total) {
      StoragePool p;
      p.name = name;
      p.node = idx;
      p.kind = kind;
      p.total_kib = total;
      p.max_oversubscription = p.thin() ? cs.max_oversubscription : 1.0;
      cluster_.nodes[idx].pools.push_back(static_cast<PoolIndex>(cluster_.pools.size()));
      cluster_.pools.push_back(std::move(p));
    };
    add_pool("DfltDisklessStorPool", ProviderKind::kDiskless, 0);
    if (i < cs.nodes) {
      for (int k = 0; k < cs.pools_per_node; ++k) {
        add_pool("pool" + std::to_string(k + 1), cs.pool_kind, cs.pool_size_kib);
      }
    }
  }
  {
    ResourceGroup g;
    g.name = "DfltRscGrp";
    g.place_count = 2;
    group_by_name_.emplace(FoldName(g.name), 0);
    cluster_.groups.push_back(std::move(g));
    for (int k = 0; k < cs.resource_groups; ++k) {
      ResourceGroup rg;
      rg.name = "rg" + std::to_string(k + 1);
      rg.place_count = cs.replicas;
      group_by_name_.emplace(FoldName(rg.name), static_cast<GroupIndex>(cluster_.groups.size()));
      cluster_.groups.push_back(std::move(rg));
    }
  }
  // Placement: a max-heap of pools by free space for placement (LINSTOR's autoplacer prefers the
  // emptiest pools), distinct nodes per resource.
  using Entry = std::pair<double, int64_t>;  // (score, -pool index): ties to the lower index
  std::priority_queue<Entry> heap;
  for (PoolIndex p = 0; p < cluster_.pools.size(); ++p) {
    if (!cluster_.pools[p].diskless()) heap.push({PlacementScore(p), -static_cast<int64_t>(p)});
  }
  cluster_.rds.reserve(cs.resources);
  cluster_.replicas.reserve(static_cast<size_t>(cs.resources) * (cs.replicas + 1));
  replica_data_.reserve(cluster_.replicas.capacity());
  uint32_t tiebreaker_cursor = 0;
  std::vector<PoolIndex> chosen, set_aside;
  for (int i = 0; i < cs.resources; ++i) {
    const GroupIndex group = cs.resource_groups > 0 ? 1 + (i % cs.resource_groups) : 0;
    const RdIndex rd = AddResourceDefinition(NewResourceDefinitionName(rng_names_), group);
    for (int v = 0; v < cs.volumes_per_resource; ++v) {
      double size = rng_generator_.LogUniform(static_cast<double>(cs.volume_size_min_kib),
                                              static_cast<double>(cs.volume_size_max_kib));
      Kib kib = static_cast<Kib>(size);
      kib = std::max<Kib>(1024, (kib + 1023) / 1024 * 1024);  // whole MiB
      AddVolume(rd, static_cast<uint32_t>(v), kib, true);
    }
    const Kib need = TotalSize(rd);
    chosen.clear();
    set_aside.clear();
    while (static_cast<int>(chosen.size()) < cs.replicas && !heap.empty()) {
      const Entry top = heap.top();
      heap.pop();
      const PoolIndex p = static_cast<PoolIndex>(-top.second);
      if (!cluster_.pools[p].CanFit(need)) continue;  // full: drop for good
      const NodeIndex n = cluster_.pools[p].node;
      bool node_used = false;
      for (PoolIndex q : chosen) node_used = node_used || cluster_.pools[q].node == n;
      (node_used ? set_aside : chosen).push_back(p);
    }
    for (PoolIndex q : set_aside) heap.push({PlacementScore(q), -static_cast<int64_t>(q)});
    if (static_cast<int>(chosen.size()) < cs.replicas) {
      return InvalidArgumentError(
          "cluster: not enough free space to place resource " + std::to_string(i + 1) + " of " +
          std::to_string(cs.resources) + " with " + std::to_string(cs.replicas) +
          " replicas (raise cluster.pool_size or cluster.nodes, or lower cluster.resources)");
    }
    std::sort(chosen.begin(), chosen.end(), [&](PoolIndex a, PoolIndex b) {
      return cluster_.pools[a].node < cluster_.pools[b].node;
    });
    for (PoolIndex p : chosen) {
      const ReplicaIndex r = AddReplica(rd, cluster_.pools[p].node, p, ReplicaKind::kDiskful, true);
      if (cluster_.pools[p].thin()) {
        // Thin volumes hold some data already (5..50% written), never beyond the pool.
        for (size_t vi = 0; vi < cluster_.rds[rd].volumes.size(); ++vi) {
          const double fill = 0.05 + 0.45 * rng_generator_.UniformDouble();
          Kib alloc =
              static_cast<Kib>(fill * static_cast<double>(cluster_.rds[rd].volumes[vi].size_kib));
          alloc = std::min(alloc, cluster_.pools[p].FreeKib());
          cluster_.replicas[r].volumes[vi].allocated_kib = alloc;
          cluster_.pools[p].allocated_kib += alloc;
        }
      }
      heap.push({PlacementScore(p), -static_cast<int64_t>(p)});
    }
    if (cs.replicas == 2 && cs.tiebreaker && cs.nodes > 2) {
      // LINSTOR adds a diskless tiebreaker on a third node.
      for (int tries = 0; tries < total_nodes; ++tries) {
        const NodeIndex n = tiebreaker_cursor++ % static_cast<uint32_t>(cs.nodes);
        if (FindReplica(rd, n) == kNoIndex) {
          AddReplica(rd, n, kNoIndex, ReplicaKind::kTieBreaker, true);
          break;
        }
      }
    }
    if (cs.in_use_fraction > 0 && rng_generator_.Bernoulli(cs.in_use_fraction)) {
      ReplicaIndex primary;
      if (cs.diskless_clients > 0) {
        const NodeIndex n =
            static_cast<NodeIndex>(cs.nodes + rng_generator_.Uniform(cs.diskless_clients));
        primary = AddReplica(rd, n, kNoIndex, ReplicaKind::kDiskless, true);
      } else {
        primary = cluster_.rds[rd].replicas[rng_generator_.Uniform(cs.replicas)];
      }
      cluster_.replicas[primary].in_use = true;
    }
    // Everything is up and in sync at t = 0.
    for (ReplicaIndex r : cluster_.rds[rd].replicas) {
      Replica& x = cluster_.replicas[r];
      replica_data_[r].started = replica_data_[r].ever_started = true;
      replica_data_[r].initial = false;
      for (auto& v : x.volumes) {
        v.disk = x.kind == ReplicaKind::kDiskful ? DiskState::kUpToDate : DiskState::kDiskless;
        std::fill(v.repl.begin(), v.repl.end(), ReplState::kEstablished);
      }
      for (auto& l : x.peers) l.conn = ConnState::kConnected;
    }
    rd_has_data_[rd] = 1;
    UpdateInUseSet(rd);
    Recompute(rd);
  }
  // The generated cluster is the trace's starting point: hash it into the digest.
  uint64_t h = Fnv1a64("lnsim-world-v1");
  auto mix = [&](uint64_t v) {
    char le[8];  // canonical little-endian, whatever the host
    for (int b = 0; b < 8; ++b) le[b] = static_cast<char>(v >> (8 * b));
    h = Fnv1a64(std::string_view(le, sizeof(le)), h);
  };
  for (const Node& n : cluster_.nodes) {
    h = Fnv1a64(n.name, h);
    mix(n.ipv4);
  }
  for (const StoragePool& p : cluster_.pools) {
    mix(p.node);
    mix(p.total_kib);
    mix(p.allocated_kib);
    mix(p.provisioned_kib);
  }
  for (const ResourceDefinition& d : cluster_.rds) {
    h = Fnv1a64(d.name, h);
    mix(d.port);
    for (const auto& v : d.volumes) {
      mix(v.size_kib);
      mix(v.minor);
    }
  }
  for (const Replica& r : cluster_.replicas) {
    mix((uint64_t{r.rd} << 32) | r.node);
    mix((uint64_t{r.pool} << 16) | (static_cast<uint64_t>(r.kind) << 8) | r.in_use);
  }
  trace_.MixIntoDigest(h);
  recording_ = true;
  // Faults naming nodes must name nodes of this cluster (typos must not pass silently).
  for (size_t i = 0; i < spec_.faults.size(); ++i) {
    for (const auto& name : spec_.faults[i].nodes) {
      if (FindNode(name) == kNoIndex) {
        return InvalidArgumentError(
            std::to_string(spec_.faults[i].source_line) + ": faults[" + std::to_string(i) +
            "].nodes: no node '" + name + "' in the cluster (node-1.." + "node-" +
            std::to_string(cs.nodes) +
            (cs.diskless_clients > 0 ? ", client-1..client-" + std::to_string(cs.diskless_clients)
                                     : std::string()) +
            ")");
      }
    }
  }
  return OkStatus();
}

// --- Operations ---------------------------------------------------------------------------------

OpResult WorldImpl::CreateNode(std::string_view name, NodeType type, std::string_view ipv4) {
  OpScope scope(this, "api:create-node");
  const std::string name_s(name);
  if (std::string err = HostNameCheck(name); !err.empty()) {
    return Fail(rc::kInvalidName, "Invalid node name '" + name_s + "': " + err, "", name_s);
  }
  if (FindNode(name) != kNoIndex) {
    return Fail(rc::kExistsNode, "Node '" + name_s + "' already exists.", "", name_s);
  }
  uint32_t ip = 0;
  if (!ParseIpv4(ipv4, &ip)) {
    return Fail(rc::kInvalidName, "Invalid IP address '" + std::string(ipv4) + "'", "", name_s);
  }
  const NodeIndex n = static_cast<NodeIndex>(cluster_.nodes.size());
  Node node;
  node.name = name_s;
  node.type = type;
  node.ipv4 = ip;
  cluster_.nodes.push_back(std::move(node));
  node_data_.emplace_back();
  node_by_name_.emplace(FoldName(name), n);
  Record(NodeRef(n), Attribute::kExists, kAbsent, 1);
  Record(NodeRef(n), Attribute::kConnection, kAbsent,
         static_cast<int64_t>(NodeConnection::kOnline));
  StoragePool p;
  p.name = "DfltDisklessStorPool";
  p.node = n;
  p.kind = ProviderKind::kDiskless;
  cluster_.nodes[n].pools.push_back(static_cast<PoolIndex>(cluster_.pools.size()));
  Record({EntityKind::kPool, static_cast<uint32_t>(cluster_.pools.size())}, Attribute::kExists,
         kAbsent, 1);
  cluster_.pools.push_back(std::move(p));
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "New node '" + name_s + "' registered.", "", name_s));
  return res;
}

OpResult WorldImpl::DeleteNode(std::string_view name) {
  OpScope scope(this, "api:delete-node");
  const NodeIndex n = FindNode(name);
  const std::string name_s(name);
  if (n == kNoIndex) return Fail(rc::kNotFoundNode, "Node '" + name_s + "' not found.", "", name_s);
  for (ReplicaIndex r : cluster_.nodes[n].replicas) {
    if (cluster_.replicas[r].in_use) {
      return Fail(rc::kInUse, "Node '" + name_s + "' has resources in use.",
                  cluster_.rds[cluster_.replicas[r].rd].name, name_s);
    }
  }
  const std::vector<ReplicaIndex> replicas = cluster_.nodes[n].replicas;
  for (ReplicaIndex r : replicas) RemoveReplica(r);
  PutNodeFlags(n, cluster_.nodes[n].flags | kNodeDelete);
  Record(NodeRef(n), Attribute::kExists, 1, 0);
  cluster_.nodes[n].alive = false;
  node_by_name_.erase(FoldName(name));
  OpResult res;
  res.messages.push_back(
      MakeMessage(Severity::kSuccess, rc::kDeleted, "Node '" + name_s + "' deleted.", "", name_s));
  return res;
}

OpResult WorldImpl::CreateStoragePool(std::string_view node, std::string_view pool,
                                      ProviderKind kind, Kib total_kib) {
  OpScope scope(this, "api:create-storage-pool");
  const std::string pool_s(pool), node_s(node);
  if (std::string err = NameCheck(pool, 3, 48, "_", "_-"); !err.empty()) {
    return Fail(rc::kInvalidName, "Invalid storage pool name '" + pool_s + "': " + err, "", node_s);
  }
  const NodeIndex n = FindNode(node);
  if (n == kNoIndex) return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", "", node_s);
  if (FindPool(n, pool) != kNoIndex) {
    return Fail(rc::kExistsStorPool,
                "Storage pool '" + pool_s + "' on node '" + node_s + "' already exists.", "",
                node_s);
  }
  const PoolIndex p = static_cast<PoolIndex>(cluster_.pools.size());
  StoragePool sp;
  sp.name = pool_s;
  sp.node = n;
  sp.kind = kind;
  sp.total_kib = kind == ProviderKind::kDiskless ? 0 : total_kib;
  sp.max_oversubscription = sp.thin() ? spec_.cluster.max_oversubscription : 1.0;
  cluster_.pools.push_back(std::move(sp));
  cluster_.nodes[n].pools.push_back(p);
  Record({EntityKind::kPool, p}, Attribute::kExists, kAbsent, 1);
  Record({EntityKind::kPool, p}, Attribute::kTotalKib, kAbsent, static_cast<int64_t>(total_kib));
  Record({EntityKind::kPool, p}, Attribute::kFreeKib, kAbsent, static_cast<int64_t>(total_kib));
  OpResult res;
  res.messages.push_back(MakeMessage(
      Severity::kSuccess, rc::kCreated,
      "Successfully created storage pool '" + pool_s + "' on node '" + node_s + "'.", "", node_s));
  return res;
}

OpResult WorldImpl::CreateResourceGroup(std::string_view name, int place_count,
                                        std::vector<std::string> pool_names) {
  OpScope scope(this, "api:create-resource-group");
  const std::string name_s(name);
  if (std::string err = NameCheck(name, 2, 48, "_", "_-"); !err.empty()) {
    return Fail(rc::kInvalidName, "Invalid resource group name '" + name_s + "': " + err);
  }
  if (FindResourceGroup(name) != kNoIndex) {
    return Fail(rc::kExistsRscGrp, "Resource group '" + name_s + "' already exists.");
  }
  if (place_count < 0 || place_count > 32) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(place_count));
  }
  ResourceGroup g;
  g.name = name_s;
  g.place_count = place_count == 0 ? 2 : place_count;
  g.pool_names = std::move(pool_names);
  group_by_name_.emplace(FoldName(name), static_cast<GroupIndex>(cluster_.groups.size()));
  cluster_.groups.push_back(std::move(g));
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "New resource group '" + name_s + "' created."));
  return res;
}

OpResult WorldImpl::ModifyResourceGroup(std::string_view name, std::optional<int> place_count,
                                        std::optional<std::vector<std::string>> pool_names) {
  OpScope scope(this, "api:modify-resource-group");
  const GroupIndex g = FindResourceGroup(name);
  if (g == kNoIndex) {
    return Fail(rc::kNotFoundRscGrp, "Resource group '" + std::string(name) + "' not found.");
  }
  if (place_count && (*place_count < 1 || *place_count > 32)) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(*place_count));
  }
  if (place_count) cluster_.groups[g].place_count = *place_count;
  if (pool_names) cluster_.groups[g].pool_names = std::move(*pool_names);
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                     "Resource group '" + std::string(name) + "' modified."));
  return res;
}

OpResult WorldImpl::CreateResourceDefinition(std::string_view name, std::string_view group) {
  OpScope scope(this, "api:create-resource-definition");
  const std::string name_s(name);
  std::string err = NameCheck(name, 2, 48, "_", "_-");
  if (err.empty() && (FoldName(name) == "all" || FoldName(name) == "proxy")) {
    err = "The specified name '" + name_s +
          "' cannot be used because it matches a keyword reserved for DRBD.";
  }
  if (!err.empty()) {
    return Fail(rc::kInvalidName, "Invalid resource definition name '" + name_s + "': " + err,
                name_s);
  }
  if (FindResourceDefinition(name) != kNoIndex) {
    return Fail(rc::kExistsRscDfn, "Resource definition '" + name_s + "' already exists.", name_s);
  }
  const GroupIndex g = group.empty() ? 0 : FindResourceGroup(group);
  if (g == kNoIndex) {
    return Fail(rc::kNotFoundRscGrp, "Resource group '" + std::string(group) + "' not found.",
                name_s);
  }
  AddResourceDefinition(name_s, g);
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "New resource definition '" + name_s + "' created.", name_s));
  return res;
}

OpResult WorldImpl::DeleteResourceDefinition(std::string_view name) {
  OpScope scope(this, "api:delete-resource-definition");
  const RdIndex rd = FindResourceDefinition(name);
  const std::string name_s(name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + name_s + "' not found.", name_s);
  }
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    if (cluster_.replicas[r].in_use) {
      return Fail(rc::kInUse,
                  "Resource '" + name_s + "' is still in use on node '" +
                      cluster_.nodes[cluster_.replicas[r].node].name + "'.",
                  name_s, cluster_.nodes[cluster_.replicas[r].node].name);
    }
  }
  OpResult res;
  cluster_.rds[rd].flags |= 1u;  // DELETE
  const std::vector<ReplicaIndex> replicas = cluster_.rds[rd].replicas;
  for (ReplicaIndex r : replicas) {
    const NodeIndex n = cluster_.replicas[r].node;
    if (!Online(n)) {
      res.messages.push_back(
          MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                      "No active connection to satellite '" + cluster_.nodes[n].name + "'", name_s,
                      cluster_.nodes[n].name));
    }
    RequestReplicaDelete(r);
  }
  RemoveResourceDefinitionIfDone(rd);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kDeleted,
                                     "Resource definition '" + name_s + "' deleted.", name_s));
  return res;
}

OpResult WorldImpl::CreateVolumeDefinition(std::string_view rd_name, Kib size_kib,
                                           std::optional<uint32_t> number, uint32_t* number_out) {
  OpScope scope(this, "api:create-volume-definition");
  const std::string name_s(rd_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + name_s + "' not found.", name_s);
  }
  if (size_kib == 0 || size_kib > (Kib{1} << 42)) {
    return Fail(rc::kInvalidVolumeSize, "Invalid volume size " + std::to_string(size_kib), name_s);
  }
  ResourceDefinition& def = cluster_.rds[rd];
  uint32_t nr = 0;
  if (number) {
    nr = *number;
    for (const auto& v : def.volumes) {
      if (v.number == nr) {
        return Fail(
            rc::kExistsVlmDfn,
            "Volume definition " + std::to_string(nr) + " of '" + name_s + "' already exists.",
            name_s);
      }
    }
  } else {
    for (bool taken = true; taken; ++nr) {
      taken = false;
      for (const auto& v : def.volumes) taken = taken || v.number == nr;
      if (!taken) break;
    }
  }
  for (ReplicaIndex r : def.replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind == ReplicaKind::kDiskful && !cluster_.pools[x.pool].CanFit(size_kib)) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "Not enough free space in storage pool '" + cluster_.pools[x.pool].name +
                      "' on node '" + cluster_.nodes[x.node].name + "'.",
                  name_s, cluster_.nodes[x.node].name);
    }
  }
  AddVolume(rd, nr, size_kib, false);
  if (number_out) *number_out = nr;
  OpResult res;
  for (ReplicaIndex r : def.replicas) {
    const NodeIndex n = cluster_.replicas[r].node;
    if (!Online(n)) {
      res.messages.push_back(
          MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                      "No active connection to satellite '" + cluster_.nodes[n].name + "'", name_s,
                      cluster_.nodes[n].name));
    }
  }
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "New volume definition with number '" + std::to_string(nr) +
                                         "' of resource definition '" + name_s + "' created.",
                                     name_s));
  return res;
}

OpResult WorldImpl::DeleteVolumeDefinition(std::string_view rd_name, uint32_t number) {
  OpScope scope(this, "api:delete-volume-definition");
  const std::string name_s(rd_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + name_s + "' not found.", name_s);
  }
  ResourceDefinition& def = cluster_.rds[rd];
  size_t vi = def.volumes.size();
  for (size_t i = 0; i < def.volumes.size(); ++i) {
    if (def.volumes[i].number == number) vi = i;
  }
  if (vi == def.volumes.size()) {
    return Fail(rc::kNotFoundVlmDfn,
                "Volume definition " + std::to_string(number) + " of '" + name_s + "' not found.",
                name_s);
  }
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    if (x.kind == ReplicaKind::kDiskful) {
      ChangePool(x.pool, -static_cast<int64_t>(x.volumes[vi].allocated_kib),
                 -static_cast<int64_t>(def.volumes[vi].size_kib));
    }
    Record(VolumeReplicaRef(r, vi), Attribute::kExists, 1, 0);
    x.volumes.erase(x.volumes.begin() + vi);
  }
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kExists, 1, 0);
  def.volumes.erase(def.volumes.begin() + vi);
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kDeleted,
                                     "Volume definition with number '" + std::to_string(number) +
                                         "' of resource definition '" + name_s + "' deleted.",
                                     name_s));
  return res;
}

OpResult WorldImpl::ResizeVolumeDefinition(std::string_view rd_name, uint32_t number,
                                           Kib size_kib) {
  OpScope scope(this, "api:resize-volume-definition");
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn,
                "Resource definition '" + std::string(rd_name) + "' not found.",
                std::string(rd_name));
  }
  return ResizeIndex(rd, number, size_kib);
}

OpResult WorldImpl::ResizeIndex(RdIndex rd, uint32_t number, Kib size_kib) {
  ResourceDefinition& def = cluster_.rds[rd];
  const std::string& name = def.name;
  size_t vi = def.volumes.size();
  for (size_t i = 0; i < def.volumes.size(); ++i) {
    if (def.volumes[i].number == number) vi = i;
  }
  if (vi == def.volumes.size()) {
    return Fail(rc::kNotFoundVlmDfn,
                "Volume definition " + std::to_string(number) + " of '" + name + "' not found.",
                name);
  }
  const Kib old_size = def.volumes[vi].size_kib;
  if (size_kib == old_size) {
    OpResult res;
    res.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnResizeSameSize,
                                       "Volume definition already has the requested size.", name));
    return res;
  }
  if (size_kib < old_size || size_kib > (Kib{1} << 42)) {
    return Fail(
        rc::kInvalidVolumeSize,
        "Invalid volume size " + std::to_string(size_kib) + " (shrinking is not supported here).",
        name);
  }
  for (ReplicaIndex r : def.replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind != ReplicaKind::kDiskful) continue;
    // An offline node's state is unknown, which does not count as UpToDate.
    if (!Online(x.node) || x.volumes[vi].disk != DiskState::kUpToDate) {
      return Fail(rc::kNotAllUpToDate,
                  "Cannot resize volume, because we have a non-UpToDate DRBD device.", name,
                  cluster_.nodes[x.node].name);
    }
  }
  const Kib delta = size_kib - old_size;
  for (ReplicaIndex r : def.replicas) {
    const Replica& x = cluster_.replicas[r];
    if (x.kind == ReplicaKind::kDiskful && !cluster_.pools[x.pool].CanFit(delta)) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "Not enough free space in storage pool '" + cluster_.pools[x.pool].name +
                      "' on node '" + cluster_.nodes[x.node].name + "' to grow the volume.",
                  name, cluster_.nodes[x.node].name);
    }
  }
  Record({EntityKind::kVolumeDefinition, rd, number}, Attribute::kSizeKib,
         static_cast<int64_t>(old_size), static_cast<int64_t>(size_kib));
  def.volumes[vi].size_kib = size_kib;
  PutVolumeDefinitionFlags(rd, vi, def.volumes[vi].flags | kVolumeResize);
  for (ReplicaIndex r : def.replicas) {
    Replica& x = cluster_.replicas[r];
    PutVolumeFlags(r, vi, x.volumes[vi].flags | kVolumeResize);
    if (x.kind == ReplicaKind::kDiskful) {
      const bool thin = cluster_.pools[x.pool].thin();
      if (!thin) x.volumes[vi].allocated_kib += delta;
      ChangePool(x.pool, thin ? 0 : static_cast<int64_t>(delta), static_cast<int64_t>(delta));
    }
  }
  Schedule(Scaled(seconds(1)), kEventResizeStep, rd, number, 0);
  OpResult res;
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                     "Volume definition with number '" + std::to_string(number) +
                                         "' of resource definition '" + name + "' modified.",
                                     name));
  return res;
}

OpResult WorldImpl::ChooseDiskfulPool(RdIndex rd, NodeIndex n, std::string_view pool_name, Kib size,
                                      const std::string& rd_s, const std::string& node_s,
                                      PoolIndex* pool) const {
  if (!pool_name.empty()) {
    *pool = FindPool(n, pool_name);
    if (*pool == kNoIndex || cluster_.pools[*pool].diskless()) {
      return Fail(
          rc::kNotFoundStorPool,
          "Storage pool '" + std::string(pool_name) + "' not found on node '" + node_s + "'.", rd_s,
          node_s);
    }
    if (!cluster_.pools[*pool].CanFit(size)) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "Not enough free space in storage pool '" + cluster_.pools[*pool].name + "'.",
                  rd_s, node_s);
    }
  } else {
    *pool = BestPool(n, cluster_.groups[cluster_.rds[rd].group].pool_names, size);
    if (*pool == kNoIndex) {
      return Fail(rc::kNotEnoughFreeSpace,
                  "No storage pool on node '" + node_s + "' can hold the resource.", rd_s, node_s);
    }
  }
  return OpResult{};
}

OpResult WorldImpl::CreateReplica(std::string_view rd_name, std::string_view node_name,
                                  ReplicaKind kind, std::string_view pool_name) {
  OpScope scope(this, "api:create-resource");
  const std::string rd_s(rd_name), node_s(node_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + rd_s + "' not found.", rd_s);
  }
  const NodeIndex n = FindNode(node_name);
  if (n == kNoIndex)
    return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", rd_s, node_s);
  if (FindReplica(rd, n) != kNoIndex) {
    return Fail(rc::kExistsRsc, "Resource '" + rd_s + "' on node '" + node_s + "' already exists.",
                rd_s, node_s);
  }
  PoolIndex pool = kNoIndex;
  if (kind == ReplicaKind::kDiskful) {
    const Kib size = TotalSize(rd);
    if (OpResult chosen = ChooseDiskfulPool(rd, n, pool_name, size, rd_s, node_s, &pool);
        !chosen.ok()) {
      return chosen;
    }
  }
  bool fresh = !rd_has_data_[rd];
  AddReplica(rd, n, pool, kind, fresh);
  OpResult res;
  if (!Online(n)) {
    res.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                                       "No active connection to satellite '" + node_s + "'", rd_s,
                                       node_s));
  }
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                     "Created resource '" + rd_s + "' on '" + node_s + "'", rd_s,
                                     node_s));
  return res;
}

OpResult WorldImpl::DeleteReplica(std::string_view rd_name, std::string_view node_name) {
  OpScope scope(this, "api:delete-resource");
  const std::string rd_s(rd_name), node_s(node_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + rd_s + "' not found.", rd_s);
  }
  const NodeIndex n = FindNode(node_name);
  if (n == kNoIndex)
    return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", rd_s, node_s);
  const ReplicaIndex r = FindReplica(rd, n);
  if (r == kNoIndex) {
    return Fail(rc::kNotFoundRsc, "Resource '" + rd_s + "' on '" + node_s + "' not found.", rd_s,
                node_s);
  }
  if (cluster_.replicas[r].in_use && Online(n)) {
    return Fail(rc::kInUse, "Resource '" + rd_s + "' is in use on node '" + node_s + "'.", rd_s,
                node_s);
  }
  OpResult res;
  if (!Online(n)) {
    res.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                                       "No active connection to satellite '" + node_s +
                                           "'; the resource is deleted when it returns",
                                       rd_s, node_s));
  }
  RequestReplicaDelete(r);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kDeleted,
                                     "Resource '" + rd_s + "' on '" + node_s + "' deleted.", rd_s,
                                     node_s));
  return res;
}

OpResult WorldImpl::AutoPlace(std::string_view rd_name, const AutoPlaceRequest& request) {
  OpScope scope(this, "api:autoplace");
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn,
                "Resource definition '" + std::string(rd_name) + "' not found.",
                std::string(rd_name));
  }
  return AutoPlaceIndex(rd, request);
}

OpResult WorldImpl::AutoPlaceIndex(RdIndex rd, const AutoPlaceRequest& request) {
  const std::string name = cluster_.rds[rd].name;
  const ResourceGroup& group = cluster_.groups[cluster_.rds[rd].group];
  int place_count = request.place_count > 0 ? request.place_count : group.place_count;
  if (place_count < 1 || place_count > 32) {
    return Fail(rc::kInvalidPlaceCount, "Invalid place count " + std::to_string(place_count), name);
  }
  int diskful = 0;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    diskful += cluster_.replicas[r].kind == ReplicaKind::kDiskful;
  }
  const int need =
      request.additional_place_count > 0 ? request.additional_place_count : place_count - diskful;
  OpResult res;
  if (need <= 0) {
    res.messages.push_back(MakeMessage(
        Severity::kInfo, rc::kCreated,
        "Resource '" + name + "' is already placed on " + std::to_string(diskful) + " nodes",
        name));
    return res;
  }
  const std::vector<std::string>& pools =
      request.storage_pool_list.empty() ? group.pool_names : request.storage_pool_list;
  const Kib size = TotalSize(rd);
  std::vector<std::pair<double, PoolIndex>> candidates;
  for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
    if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
    if (!request.node_name_list.empty()) {
      bool listed = false;
      for (const auto& nm : request.node_name_list) listed = listed || FindNode(nm) == n;
      if (!listed) continue;
    }
    bool avoid = false;
    for (const auto& other : request.not_place_with_rsc) {
      const RdIndex o = FindResourceDefinition(other);
      avoid = avoid || (o != kNoIndex && FindReplica(o, n) != kNoIndex);
    }
    if (avoid) continue;
    const PoolIndex p = BestPool(n, pools, size);
    if (p != kNoIndex) candidates.push_back({PlacementScore(p), p});
  }
  if (static_cast<int>(candidates.size()) < need) {
    OpResult fail = Fail(rc::kNotEnoughNodes, "Not enough available nodes", name);
    fail.messages.back().details = "Needed " + std::to_string(need) + " nodes with " +
                                   std::to_string(size) + " KiB free" +
                                   (pools.empty() ? "" : " in the listed storage pools") +
                                   ", found " + std::to_string(candidates.size()) + ".";
    return fail;
  }
  std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return a.second < b.second;
  });
  candidates.resize(need);
  std::sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
    return cluster_.pools[a.second].node < cluster_.pools[b.second].node;
  });
  const bool fresh = !rd_has_data_[rd];
  std::string used;
  for (const auto& [score, p] : candidates) {
    const NodeIndex n = cluster_.pools[p].node;
    AddReplica(rd, n, p, ReplicaKind::kDiskful, fresh);
    used += (used.empty() ? "'" : ", '") + cluster_.nodes[n].name + "' (" + cluster_.pools[p].name +
            ")";
  }
  res.messages.push_back(MakeMessage(
      Severity::kSuccess, rc::kCreated,
      "Resource '" + name + "' successfully autoplaced on " + std::to_string(need) + " nodes",
      name));
  res.messages.back().details = "Used nodes (storage pool name): " + used;
  for (const auto& [score, p] : candidates) {
    const std::string& nn = cluster_.nodes[cluster_.pools[p].node].name;
    res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kCreated,
                                       "Created resource '" + name + "' on '" + nn + "'", name,
                                       nn));
  }
  int now_diskful = diskful + need;
  bool has_diskless = false;
  for (ReplicaIndex r : cluster_.rds[rd].replicas) {
    has_diskless = has_diskless || cluster_.replicas[r].kind != ReplicaKind::kDiskful;
  }
  if (now_diskful == 2 && !has_diskless && spec_.cluster.tiebreaker) {
    for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
      if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
      AddReplica(rd, n, kNoIndex, ReplicaKind::kTieBreaker, fresh);
      res.messages.push_back(
          MakeMessage(Severity::kInfo, 10003,
                      "Tie breaker resource '" + name + "' created on " + cluster_.nodes[n].name,
                      name, cluster_.nodes[n].name));
      break;
    }
  }
  if (request.diskless_on_remaining) {
    for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
      if (!Online(n) || FindReplica(rd, n) != kNoIndex) continue;
      AddReplica(rd, n, kNoIndex, ReplicaKind::kDiskless, fresh);
    }
  }
  return res;
}

OpResult WorldImpl::MakeAvailable(std::string_view rd_name, std::string_view node_name,
                                  bool diskful) {
  OpScope scope(this, "api:make-available");
  const std::string rd_s(rd_name), node_s(node_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + rd_s + "' not found.", rd_s);
  }
  const NodeIndex n = FindNode(node_name);
  if (n == kNoIndex)
    return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", rd_s, node_s);
  const ReplicaIndex r = FindReplica(rd, n);
  OpResult res;
  if (r != kNoIndex) {
    if (cluster_.replicas[r].kind == ReplicaKind::kTieBreaker) {
      // The tiebreaker becomes a regular diskless client.
      PutKind(r, ReplicaKind::kDiskless);
    } else if (diskful && cluster_.replicas[r].kind != ReplicaKind::kDiskful) {
      return ToggleDisk(rd_name, node_name, true, "");
    }
    res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                       "Resource '" + rd_s + "' is available on '" + node_s + "'",
                                       rd_s, node_s));
    return res;
  }
  if (diskful) {
    OpResult created = CreateReplica(rd_name, node_name, ReplicaKind::kDiskful, "");
    if (created.ok()) return created;
  }
  return CreateReplica(rd_name, node_name, ReplicaKind::kDiskless, "");
}

OpResult WorldImpl::ToggleDisk(std::string_view rd_name, std::string_view node_name,
                               bool to_diskful, std::string_view pool_name) {
  OpScope scope(this, "api:toggle-disk");
  const std::string rd_s(rd_name), node_s(node_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + rd_s + "' not found.", rd_s);
  }
  const NodeIndex n = FindNode(node_name);
  if (n == kNoIndex)
    return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", rd_s, node_s);
  const ReplicaIndex r = FindReplica(rd, n);
  if (r == kNoIndex) {
    return Fail(rc::kNotFoundRsc, "Resource '" + rd_s + "' on '" + node_s + "' not found.", rd_s,
                node_s);
  }
  Replica& x = cluster_.replicas[r];
  OpResult res;
  if (!Online(n)) {
    // LINSTOR-API.md 6.6: toggle-disk on a lost node does not start; only the warning.
    res.messages.push_back(MakeMessage(Severity::kWarning, rc::kWarnNotConnected,
                                       "No active connection to satellite '" + node_s + "'", rd_s,
                                       node_s));
    return res;
  }
  if (x.flags & (kReplicaDiskAddRequested | kReplicaDiskAdding | kReplicaDiskRemoveRequested |
                 kReplicaDiskRemoving)) {
    return Fail(rc::kRscBusy,
                "Resource '" + rd_s + "' on '" + node_s + "' is already toggling its disk.", rd_s,
                node_s);
  }
  if (to_diskful == (x.kind == ReplicaKind::kDiskful)) {
    res.messages.push_back(MakeMessage(
        Severity::kSuccess, rc::kModified,
        "Resource '" + rd_s + "' on '" + node_s + "' already has the requested disk state.", rd_s,
        node_s));
    return res;
  }
  if (to_diskful) {
    const Kib size = TotalSize(rd);
    PoolIndex pool;
    if (OpResult chosen = ChooseDiskfulPool(rd, n, pool_name, size, rd_s, node_s, &pool);
        !chosen.ok()) {
      return chosen;
    }
    if (x.kind == ReplicaKind::kTieBreaker) PutKind(r, ReplicaKind::kDiskless);
    x.pool = pool;
    for (size_t vi = 0; vi < x.volumes.size(); ++vi) {
      const Kib vsize = cluster_.rds[rd].volumes[vi].size_kib;
      const Kib alloc = cluster_.pools[pool].thin() ? 0 : vsize;
      x.volumes[vi].allocated_kib = alloc;
      ChangePool(pool, static_cast<int64_t>(alloc), static_cast<int64_t>(vsize));
    }
    PutReplicaFlags(r, x.flags | kReplicaDiskAddRequested);
  } else {
    if (x.in_use && x.kind == ReplicaKind::kDiskful) {
      // Allowed in DRBD 9 (reads go to peers); nothing special here.
    }
    PutReplicaFlags(r, x.flags | kReplicaDiskRemoveRequested);
  }
  Schedule(Scaled(milliseconds(500)), kEventToggleStep, r, 0, 0);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                     "Toggling disk of resource '" + rd_s + "' on '" + node_s + "'",
                                     rd_s, node_s));
  return res;
}

OpResult WorldImpl::SetInUse(std::string_view rd_name, std::string_view node_name, bool in_use) {
  OpScope scope(this, in_use ? "api:attach" : "api:detach");
  const std::string rd_s(rd_name), node_s(node_name);
  const RdIndex rd = FindResourceDefinition(rd_name);
  if (rd == kNoIndex) {
    return Fail(rc::kNotFoundRscDfn, "Resource definition '" + rd_s + "' not found.", rd_s);
  }
  const NodeIndex n = FindNode(node_name);
  if (n == kNoIndex)
    return Fail(rc::kNotFoundNode, "Node '" + node_s + "' not found.", rd_s, node_s);
  const ReplicaIndex r = FindReplica(rd, n);
  if (r == kNoIndex) {
    return Fail(rc::kNotFoundRsc, "Resource '" + rd_s + "' on '" + node_s + "' not found.", rd_s,
                node_s);
  }
  if (!Running(r)) {
    return Fail(rc::kNotConnected, "Node '" + node_s + "' is not running the resource.", rd_s,
                node_s);
  }
  Replica& x = cluster_.replicas[r];
  OpResult res;
  if (x.in_use == in_use) {
    res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                       std::string("Resource '") + rd_s + "' already " +
                                           (in_use ? "in use" : "not in use") + " on '" + node_s +
                                           "'",
                                       rd_s, node_s));
    return res;
  }
  if (!in_use) {
    PutInUse(r, false);
    Settle(rd);
    res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                       "Resource '" + rd_s + "' demoted on '" + node_s + "'", rd_s,
                                       node_s));
    return res;
  }
  if (const ReplicaIndex q = ReachablePrimary(r); q != kNoIndex) {
    return Fail(rc::kInUse,
                "Resource '" + rd_s + "' is in use on node '" +
                    cluster_.nodes[cluster_.replicas[q].node].name + "'.",
                rd_s, node_s);
  }
  if (!x.quorum) {
    return Fail(rc::kNotConnected, "Resource '" + rd_s + "' has no quorum on '" + node_s + "'.",
                rd_s, node_s);
  }
  if (!x.may_promote) {
    return Fail(rc::kNotAllUpToDate,
                "Resource '" + rd_s + "' has no access to UpToDate data on '" + node_s + "'.", rd_s,
                node_s);
  }
  Promote(r);
  res.messages.push_back(MakeMessage(Severity::kSuccess, rc::kModified,
                                     "Resource '" + rd_s + "' promoted on '" + node_s + "'", rd_s,
                                     node_s));
  return res;
}

OpResult WorldImpl::Spawn(std::string_view group, std::string_view rd_name,
                          const std::vector<Kib>& sizes, bool definitions_only) {
  OpScope scope(this, "api:spawn");
  const GroupIndex g = FindResourceGroup(group);
  if (g == kNoIndex) {
    return Fail(rc::kNotFoundRscGrp, "Resource group '" + std::string(group) + "' not found.");
  }
  OpResult res;
  if (cluster_.groups[g].volume_group_sizes.empty()) {
    res.messages.push_back(
        MakeMessage(Severity::kInfo, 0,
                    "Resource-group doesn't have any volume-groups, automatically "
                    "assume partial mode."));
  } else if (sizes.size() != cluster_.groups[g].volume_group_sizes.size()) {
    return Fail(rc::kInvalidVolumeSizes, "The number of volume sizes (" +
                                             std::to_string(sizes.size()) +
                                             ") does not match the volume groups.");
  }
  for (Kib s : sizes) {
    if (s == 0) return Fail(rc::kInvalidVolumeSize, "Invalid volume size 0", std::string(rd_name));
  }
  OpResult created = CreateResourceDefinition(rd_name, cluster_.groups[g].name);
  if (!created.ok()) return created;
  for (auto& m : created.messages) res.messages.push_back(std::move(m));
  const RdIndex rd = FindResourceDefinition(rd_name);
  for (size_t i = 0; i < sizes.size(); ++i) {
    AddVolume(rd, static_cast<uint32_t>(i), sizes[i], false);
  }
  if (definitions_only) return res;
  OpResult placed = AutoPlaceIndex(rd, AutoPlaceRequest{});
  for (auto& m : placed.messages) res.messages.push_back(std::move(m));
  return res;
}

// --- Faults
// ---------------------------------------------------------------------------------------

std::vector<NodeIndex> WorldImpl::FaultNodes(uint32_t i, int count) {
  std::vector<NodeIndex> out;
  const FaultSpec& f = spec_.faults[i];
  if (!f.nodes.empty()) {
    for (const auto& name : f.nodes) {
      const NodeIndex n = FindNode(name);
      if (n != kNoIndex && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
    return out;
  }
  // Seeded choice among live storage nodes (nodes with a diskful pool).
  std::vector<NodeIndex> pool;
  for (NodeIndex n = 0; n < cluster_.nodes.size(); ++n) {
    if (!cluster_.nodes[n].alive) continue;
    bool storage = false;
    for (PoolIndex p : cluster_.nodes[n].pools) storage = storage || !cluster_.pools[p].diskless();
    if (storage) pool.push_back(n);
  }
  for (int k = 0; k < count && !pool.empty(); ++k) {
    const size_t j = rng_fault_[i].Uniform(pool.size());
    out.push_back(pool[j]);
    pool.erase(pool.begin() + j);
  }
  std::sort(out.begin(), out.end());
  return out;
}

RdIndex WorldImpl::PickResourceDefinition(Rng& rng, bool want_in_use, bool any_state) {
  const std::vector<RdIndex>& from = want_in_use && !any_state ? in_use_rds_ : live_rds_;
  if (from.empty()) return kNoIndex;
  for (int tries = 0; tries < 16; ++tries) {
    const RdIndex rd = from[rng.Uniform(from.size())];
    if (!cluster_.rds[rd].alive || (cluster_.rds[rd].flags & 1u)) continue;
    if (any_state || want_in_use == static_cast<bool>(rd_in_use_[rd])) return rd;
  }
  return kNoIndex;
}

void WorldImpl::OnFaultStart(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  FaultWindow& w = fault_windows_[i];
  Rng& rng = rng_fault_[i];
  std::string label = "fault:" + std::string(Name(f.kind));
  auto nodes_label = [&](const std::vector<NodeIndex>& nodes) {
    std::string s;
    for (NodeIndex n : nodes) s += " " + cluster_.nodes[n].name;
    return s;
  };
  auto set_nodes = [&](const std::vector<NodeIndex>& nodes) {
    fault_nodes_[i] = nodes;
    w.nodes.clear();
    for (NodeIndex n : nodes) w.nodes.push_back(cluster_.nodes[n].name);
  };
  auto find_target_rd = [&](auto&& accept) -> RdIndex {
    if (!f.resource.empty()) {
      const RdIndex rd = FindResourceDefinition(f.resource);
      return rd != kNoIndex && accept(rd) ? rd : kNoIndex;
    }
    // Prefer resources in use; seeded start position, then scan in order.
    for (const auto* list : {&in_use_rds_, &live_rds_}) {
      if (list->empty()) continue;
      const size_t start = rng.Uniform(list->size());
      for (size_t k = 0; k < list->size(); ++k) {
        const RdIndex rd = (*list)[(start + k) % list->size()];
        if (cluster_.rds[rd].alive && accept(rd)) return rd;
      }
    }
    return kNoIndex;
  };
  switch (f.kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
    case FaultKind::kPartition:
    case FaultKind::kSlowSatellite: {
      const std::vector<NodeIndex> nodes = FaultNodes(i, f.count);
      if (nodes.empty()) {
        w.note = "no target node";
        return;
      }
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + nodes_label(nodes));
      w.fired = true;
      if (f.kind == FaultKind::kNodeCrash) {
        for (NodeIndex n : nodes) CrashNode(n);
        w.note = "crashed" + nodes_label(nodes);
        if (std::string v = ParamValue(f.params, "evict_after"); !v.empty()) {
          if (auto d = ParseDuration(v); d.ok()) {
            for (NodeIndex n : nodes) Schedule(Scaled(*d), kEventEvict, n);
            w.note += ", evicted after " + v + " if still away";
          }
        }
      } else if (f.kind == FaultKind::kNodeReboot) {
        for (NodeIndex n : nodes) {
          // kubectl drain: the workload moves away first, then DRBD shuts down cleanly.
          for (ReplicaIndex r : cluster_.nodes[n].replicas) {
            if (cluster_.replicas[r].in_use && Running(r)) {
              PutInUse(r, false);
              Settle(cluster_.replicas[r].rd);
              Schedule(Scaled(seconds(2)), kEventHaFailover, cluster_.replicas[r].rd);
            }
          }
          Schedule(Scaled(seconds(1)), kEventNodeShutdown, n);
        }
        w.note = "rebooting" + nodes_label(nodes);
      } else if (f.kind == FaultKind::kPartition) {
        SetPartition(nodes, i + 1);
        w.note = "isolated" + nodes_label(nodes);
      } else {
        Duration latency = seconds(5);
        if (std::string v = ParamValue(f.params, "latency"); !v.empty()) {
          if (auto d = ParseDuration(v); d.ok()) latency = *d;
        }
        for (NodeIndex n : nodes) {
          node_data_[n].latency_ns = Scaled(latency);
          // Replication towards the slow node congests: the writer goes Ahead, it Behind.
          for (ReplicaIndex r : cluster_.nodes[n].replicas) {
            const RdIndex rd = cluster_.replicas[r].rd;
            const ReplicaIndex wr = Writer(rd);
            if (wr == kNoIndex || wr == r || !UpToDate(r) || !Running(r)) continue;
            if (cluster_.replicas[wr].node == n || !Connected(wr, r)) continue;
            PutReplicationAll(wr, PeerSlot(wr, r), ReplState::kAhead);
            PutReplicationAll(r, PeerSlot(r, wr), ReplState::kBehind);
            PutDiskStateAll(r, DiskState::kOutdated);
            slow_pairs_[i].push_back({wr, r});
            Recompute(rd);
          }
        }
        w.note = "slow" + nodes_label(nodes) + " (" + FormatDuration(latency) + "), " +
                 std::to_string(slow_pairs_[i].size()) + " links congested";
      }
      break;
    }
    case FaultKind::kQuorumLoss: {
      const RdIndex rd = find_target_rd([&](RdIndex r) { return QuorumEnabled(r); });
      if (rd == kNoIndex) {
        w.note = "no resource with quorum enabled";
        return;
      }
      fault_target_rd_[i] = rd;
      w.resource = cluster_.rds[rd].name;
      // Keep the Primary's node (or the first diskful one); take every other voter away.
      NodeIndex keep = kNoIndex;
      for (ReplicaIndex r : cluster_.rds[rd].replicas) {
        if (cluster_.replicas[r].in_use && cluster_.replicas[r].kind == ReplicaKind::kDiskful)
          keep = cluster_.replicas[r].node;
      }
      for (ReplicaIndex r : cluster_.rds[rd].replicas) {
        if (keep == kNoIndex && cluster_.replicas[r].kind == ReplicaKind::kDiskful)
          keep = cluster_.replicas[r].node;
      }
      const bool partition = ParamValue(f.params, "mode") == "partition";
      std::vector<NodeIndex> nodes;
      if (partition) {
        nodes.push_back(keep);
      } else {
        for (ReplicaIndex r : cluster_.rds[rd].replicas) {
          const Replica& x = cluster_.replicas[r];
          if (x.node != keep && x.kind != ReplicaKind::kDiskless) nodes.push_back(x.node);
        }
      }
      std::sort(nodes.begin(), nodes.end());
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + " " + cluster_.rds[rd].name);
      w.fired = true;
      if (partition) {
        SetPartition(nodes, i + 1);
        w.note =
            "partitioned" + nodes_label(nodes) + " away from " + cluster_.rds[rd].name + "'s peers";
      } else {
        for (NodeIndex n : nodes) CrashNode(n);
        w.note = "crashed" + nodes_label(nodes) + " (" + cluster_.rds[rd].name + " keeps 1 voter)";
      }
      break;
    }
    case FaultKind::kSplitBrain: {
      auto two_diskful_no_tb = [&](RdIndex rd) {
        int diskful = 0, other = 0;
        for (ReplicaIndex r : cluster_.rds[rd].replicas) {
          (cluster_.replicas[r].kind == ReplicaKind::kDiskful ? diskful : other)++;
        }
        return diskful == 2 && other == 0;
      };
      const RdIndex rd = find_target_rd(two_diskful_no_tb);
      if (rd == kNoIndex) {
        w.note = "no resource with 2 diskful replicas and no tiebreaker";
        return;
      }
      fault_target_rd_[i] = rd;
      w.resource = cluster_.rds[rd].name;
      // Isolate the replica that is not Primary (or the second one).
      ReplicaIndex victim = cluster_.rds[rd].replicas[1];
      if (cluster_.replicas[victim].in_use) victim = cluster_.rds[rd].replicas[0];
      const std::vector<NodeIndex> nodes = {cluster_.replicas[victim].node};
      set_nodes(nodes);
      cause_ = trace_.InternCause(label + " " + cluster_.rds[rd].name);
      w.fired = true;
      SetPartition(nodes, i + 1);
      Schedule(Scaled(seconds(12)), kEventSplitPromote, rd);
      w.note =
          "isolated" + nodes_label(nodes) + "; both sides of " + cluster_.rds[rd].name + " promote";
      break;
    }
    case FaultKind::kPoolExhaustion: {
      std::vector<NodeIndex> nodes = FaultNodes(i, 1);
      if (nodes.empty()) {
        w.note = "no target node";
        return;
      }
      const std::string want = ParamValue(f.params, "pool");
      PoolIndex pool = kNoIndex;
      for (PoolIndex p : cluster_.nodes[nodes[0]].pools) {
        if (cluster_.pools[p].diskless()) continue;
        if (want.empty() || FoldName(want) == FoldName(cluster_.pools[p].name)) {
          pool = p;
          break;
        }
      }
      if (pool == kNoIndex) {
        w.note = "no diskful pool on " + cluster_.nodes[nodes[0]].name;
        return;
      }
      set_nodes({nodes[0]});
      cause_ = trace_.InternCause(label + " " + cluster_.nodes[nodes[0]].name + "/" +
                                  cluster_.pools[pool].name);
      w.fired = true;
      StoragePool& sp = cluster_.pools[pool];
      ChangePool(pool, static_cast<int64_t>(sp.total_kib) - static_cast<int64_t>(sp.allocated_kib),
                 0);
      int failing = 0;
      for (ReplicaIndex r : cluster_.nodes[nodes[0]].replicas) {
        const Replica& x = cluster_.replicas[r];
        if (x.pool != pool || !Running(r) || !UpToDate(r)) continue;
        if (Writer(x.rd) == kNoIndex) continue;  // only written volumes hit the full pool
        Schedule(ScaledUniform(rng, milliseconds(1), seconds(1)), kEventDiskDetach, r, 0, 0);
        ++failing;
      }
      w.note = cluster_.nodes[nodes[0]].name + "/" + sp.name + " full; " + std::to_string(failing) +
               " written volumes get IO errors";
      break;
    }
    case FaultKind::kDiskFailure: {
      std::vector<NodeIndex> nodes = FaultNodes(i, 1);
      ReplicaIndex target = kNoIndex;
      RdIndex rd = kNoIndex;
      if (!f.resource.empty()) rd = FindResourceDefinition(f.resource);
      if (rd == kNoIndex && !nodes.empty()) {
        // Some diskful replica on the node.
        const auto& reps = cluster_.nodes[nodes[0]].replicas;
        if (!reps.empty()) {
          const size_t start = rng.Uniform(reps.size());
          for (size_t k = 0; k < reps.size() && target == kNoIndex; ++k) {
            const ReplicaIndex r = reps[(start + k) % reps.size()];
            if (cluster_.replicas[r].kind == ReplicaKind::kDiskful && UpToDate(r)) target = r;
          }
        }
      } else if (rd != kNoIndex) {
        for (ReplicaIndex r : cluster_.rds[rd].replicas) {
          const Replica& x = cluster_.replicas[r];
          if (x.kind != ReplicaKind::kDiskful) continue;
          if (!f.nodes.empty() && (nodes.empty() || x.node != nodes[0])) continue;
          target = r;
          break;
        }
      }
      if (target == kNoIndex) {
        w.note = "no diskful replica to fail";
        return;
      }
      set_nodes({cluster_.replicas[target].node});
      w.resource = cluster_.rds[cluster_.replicas[target].rd].name;
      cause_ = trace_.InternCause(label + " " + w.resource + " on " +
                                  cluster_.nodes[cluster_.replicas[target].node].name);
      w.fired = true;
      DetachDisk(target, 0);
      w.note =
          "IO error on " + w.resource + "/" + cluster_.nodes[cluster_.replicas[target].node].name;
      break;
    }
    case FaultKind::kResizeWave: {
      cause_ = trace_.InternCause(label);
      w.fired = true;
      int count = f.count;
      if (std::string v = ParamValue(f.params, "count"); !v.empty()) count = std::atoi(v.c_str());
      int ok = 0, refused = 0;
      ++op_depth_;
      for (int k = 0; k < count; ++k) {
        const RdIndex rd = PickResourceDefinition(rng, false, true);
        if (rd == kNoIndex || cluster_.rds[rd].volumes.empty()) continue;
        const Kib size = cluster_.rds[rd].volumes[0].size_kib;
        const Kib grown =
            static_cast<Kib>(static_cast<double>(size) * spec_.workload.resize_factor);
        const OpResult res =
            ResizeIndex(rd, cluster_.rds[rd].volumes[0].number, (grown + 1023) / 1024 * 1024);
        res.ok() ? ++ok : ++refused;
      }
      --op_depth_;
      w.note = "resized " + std::to_string(ok) + ", refused " + std::to_string(refused);
      break;
    }
    default:
      break;
  }
}

void WorldImpl::OnFaultEnd(uint32_t i) {
  const FaultSpec& f = spec_.faults[i];
  FaultWindow& w = fault_windows_[i];
  if (!w.fired) return;
  const std::vector<NodeIndex>& nodes = fault_nodes_[i];
  switch (f.kind) {
    case FaultKind::kNodeCrash:
    case FaultKind::kNodeReboot:
      for (NodeIndex n : nodes) ReturnNode(n, 0);
      break;
    case FaultKind::kQuorumLoss:
      if (ParamValue(f.params, "mode") == "partition") {
        HealPartition(nodes);
      } else {
        for (NodeIndex n : nodes) ReturnNode(n, 0);
      }
      break;
    case FaultKind::kPartition:
      HealPartition(nodes);
      break;
    case FaultKind::kSplitBrain: {
      HealPartition(nodes);
      const std::string recover = ParamValue(f.params, "recover");
      if (!recover.empty()) {
        auto d = ParseDuration(recover);
        const RdIndex rd = fault_target_rd_[i];
        if (d.ok() && rd != kNoIndex) {
          ReplicaIndex victim = FindReplica(rd, nodes[0]);
          if (victim != kNoIndex) {
            Schedule(Scaled(kConnectInt) + Scaled(*d), kEventSplitRecover, rd, victim);
          }
        }
      }
      break;
    }
    case FaultKind::kSlowSatellite:
      for (NodeIndex n : nodes) node_data_[n].latency_ns = 0;
      // Congestion clears: the Behind side resyncs what it missed.
      for (const SlowPair& sp : slow_pairs_[i]) {
        if (!Running(sp.writer) || !Running(sp.behind)) continue;
        const int kw = PeerSlot(sp.writer, sp.behind), kb = PeerSlot(sp.behind, sp.writer);
        if (kw < 0 || kb < 0 ||
            cluster_.replicas[sp.writer].peers[kw].conn != ConnState::kConnected)
          continue;
        const double dirty = static_cast<double>(spec_.cluster.write_rate_kib) *
                             static_cast<double>(f.duration.count()) / 1e9;
        replica_data_[sp.behind].full_sync_kib = std::max<Kib>(64, static_cast<Kib>(dirty));
        PutReplicationAll(sp.writer, kw, ReplState::kWFBitMapS);
        PutReplicationAll(sp.behind, kb, ReplState::kWFBitMapT);
        Schedule(Scaled(milliseconds(20)), kEventSyncStart, sp.behind, sp.writer);
      }
      break;
    case FaultKind::kPoolExhaustion:
      // The admin grows the pool; detached disks stay detached until re-attached by hand.
      for (PoolIndex p : cluster_.nodes[nodes[0]].pools) {
        if (cluster_.pools[p].diskless()) continue;
        const std::string want = ParamValue(f.params, "pool");
        if (!want.empty() && FoldName(want) != FoldName(cluster_.pools[p].name)) continue;
        ChangePool(p, 0, 0, static_cast<int64_t>(cluster_.pools[p].total_kib));
        break;
      }
      break;
    default:
      break;
  }
}

// --- Workload
// -------------------------------------------------------------------------------------

void WorldImpl::ScheduleNextWorkload(uint32_t kind) {
  const WorkloadSpec& wl = spec_.workload;
  const double rates[] = {wl.provision_rate, wl.delete_rate, wl.attach_rate, wl.detach_rate,
                          wl.resize_rate};
  const double rate = rates[kind];
  if (rate <= 0) return;
  // Exponential inter-arrival (Poisson process), in unscaled seconds, then scaled.
  const double gap_s = rng_workload_[kind].Exponential(1.0 / rate);
  const int64_t gap = std::max<int64_t>(1, std::llround(gap_s * 1e9 * scale_));
  if (now_ + gap > run_length_ns_) return;
  Event e;
  e.time_ns = now_ + gap;
  e.a = kind;
  e.type = kEventWorkload;
  e.cause = workload_cause_[kind];
  queue_.Push(e);
}

void WorldImpl::OnWorkload(uint32_t kind) {
  Rng& rng = rng_workload_[kind];
  ++op_depth_;
  switch (kind) {
    case kWorkloadProvision: {
      const GroupIndex g = cluster_.groups.size() > 1 ? 1 : 0;
      const ClusterSpec& cs = spec_.cluster;
      std::vector<Kib> sizes;
      for (int v = 0; v < cs.volumes_per_resource; ++v) {
        Kib kib = static_cast<Kib>(rng.LogUniform(static_cast<double>(cs.volume_size_min_kib),
                                                  static_cast<double>(cs.volume_size_max_kib)));
        sizes.push_back(std::max<Kib>(1024, (kib + 1023) / 1024 * 1024));
      }
      const OpResult res =
          Spawn(cluster_.groups[g].name, NewResourceDefinitionName(rng_names_), sizes, false);
      res.ok() ? ++workload_stats_.provisioned : ++workload_stats_.provision_failed;
      break;
    }
    case kWorkloadDelete: {
      const RdIndex rd = PickResourceDefinition(rng, false, false);
      if (rd == kNoIndex) {
        ++workload_stats_.delete_failed;
        break;
      }
      const OpResult res = DeleteResourceDefinition(cluster_.rds[rd].name);
      res.ok() ? ++workload_stats_.deleted : ++workload_stats_.delete_failed;
      break;
    }
    case kWorkloadAttach: {
      const RdIndex rd = PickResourceDefinition(rng, false, false);
      if (rd == kNoIndex || cluster_.rds[rd].replicas.empty()) {
        ++workload_stats_.attach_failed;
        break;
      }
      NodeIndex n;
      const ClusterSpec& cs = spec_.cluster;
      if (cs.diskless_clients > 0) {
        n = static_cast<NodeIndex>(cs.nodes + rng.Uniform(cs.diskless_clients));
      } else {
        const auto& reps = cluster_.rds[rd].replicas;
        n = cluster_.replicas[reps[rng.Uniform(reps.size())]].node;
      }
      if (n >= cluster_.nodes.size() || !cluster_.nodes[n].alive) {
        ++workload_stats_.attach_failed;
        break;
      }
      const OpResult res = MakeAvailable(cluster_.rds[rd].name, cluster_.nodes[n].name, false);
      if (!res.ok()) {
        ++workload_stats_.attach_failed;
        break;
      }
      // The pod starts once the device is there: promote after DRBD connected.
      Schedule(Scaled(seconds(2)), kEventPromote, rd, n);
      break;
    }
    case kWorkloadDetach: {
      const RdIndex rd = PickResourceDefinition(rng, true, false);
      if (rd == kNoIndex) {
        ++workload_stats_.detach_failed;
        break;
      }
      ReplicaIndex primary = kNoIndex;
      for (ReplicaIndex r : cluster_.rds[rd].replicas) {
        if (cluster_.replicas[r].in_use) primary = r;
      }
      if (primary == kNoIndex || !Running(primary)) {
        ++workload_stats_.detach_failed;
        break;
      }
      const std::string rd_name = cluster_.rds[rd].name;
      const std::string node_name = cluster_.nodes[cluster_.replicas[primary].node].name;
      const OpResult res = SetInUse(rd_name, node_name, false);
      if (res.ok() && cluster_.replicas[primary].kind == ReplicaKind::kDiskless) {
        // CSI removes the temporary diskless attachment.
        (void)DeleteReplica(rd_name, node_name);
      }
      res.ok() ? ++workload_stats_.detached : ++workload_stats_.detach_failed;
      break;
    }
    case kWorkloadResize: {
      const RdIndex rd = PickResourceDefinition(rng, false, true);
      if (rd == kNoIndex || cluster_.rds[rd].volumes.empty()) {
        ++workload_stats_.resize_failed;
        break;
      }
      const Kib size = cluster_.rds[rd].volumes[0].size_kib;
      const Kib grown = static_cast<Kib>(static_cast<double>(size) * spec_.workload.resize_factor);
      const OpResult res =
          ResizeIndex(rd, cluster_.rds[rd].volumes[0].number, (grown + 1023) / 1024 * 1024);
      res.ok() ? ++workload_stats_.resized : ++workload_stats_.resize_failed;
      break;
    }
    default:
      break;
  }
  --op_depth_;
  ScheduleNextWorkload(kind);
}

void WorldImpl::ScheduleScenario() {
  const size_t nf = spec_.faults.size();
  fault_windows_.resize(nf);
  fault_nodes_.resize(nf);
  slow_pairs_.resize(nf);
  fault_target_rd_.assign(nf, kNoIndex);
  for (size_t i = 0; i < nf; ++i)
    rng_fault_.push_back(root_rng_.Fork("fault/" + std::to_string(i)));
  for (size_t i = 0; i < nf; ++i) {
    const FaultSpec& f = spec_.faults[i];
    FaultWindow& w = fault_windows_[i];
    w.kind = f.kind;
    w.resource = f.resource;
    w.params = f.params;
    w.source_line = f.source_line;
    w.world_executes = WorldExecutes(f.kind);
    w.nodes = f.nodes;
    Rng& rng = rng_fault_[i];
    Duration at = f.at;
    if (at == kRandomTime) {
      at = Duration(
          static_cast<int64_t>(rng.Uniform(static_cast<uint64_t>(spec_.duration.count()))));
    }
    w.start = Duration(Scaled(at));
    w.end = Duration(Scaled(at + f.duration));
    w.permanent = f.duration.count() == 0;
    if (!rng.Bernoulli(f.probability)) {
      w.note = "did not fire (probability " + std::to_string(f.probability) + ")";
      continue;
    }
    const uint32_t cause = trace_.InternCause("fault:" + std::string(Name(f.kind)));
    if (!w.world_executes) {
      w.fired = true;
      w.note = "window for the harness/mock";
      continue;
    }
    ScheduleAt(w.start.count(), kEventFaultStart, static_cast<uint32_t>(i), 0, cause);
    if (!w.permanent) ScheduleAt(w.end.count(), kEventFaultEnd, static_cast<uint32_t>(i), 0, cause);
  }
  for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
    workload_cause_.push_back(trace_.InternCause(std::string("workload:") + kWorkloadNames[k]));
  }
  if (spec_.workload.via == "world") {
    for (uint32_t k = 0; k < kWorkloadKindCount; ++k) {
      cause_ = workload_cause_[k];
      ScheduleNextWorkload(k);
    }
  }
  cause_ = 0;
}

}  // namespace

StatusOr<std::unique_ptr<World>> World::Create(const WorldSpec& spec, uint64_t seed) {
  if (!(spec.time_scale > 0)) return InvalidArgumentError("time_scale: must be positive");
  auto world = std::make_unique<WorldImpl>(spec, seed);
  LNSIM_RETURN_IF_ERROR(world->Generate());
  world->ScheduleScenario();
  return std::unique_ptr<World>(std::move(world));
}

}  // namespace lnsim::sim
