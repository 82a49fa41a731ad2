// Validation of the harness's scenario sections; see harness_spec.h and docs/scenarios.md.
#include "harness/harness_spec.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>

#include "common/duration.h"
#include "harness/verifier.h"

namespace lnsim::harness {
namespace {

class Errors {
 public:
  explicit Errors(std::string path) : path_(std::move(path)) {}
  Status At(const YAML::Node& node, const std::string& key, const std::string& what) const {
    const int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    return InvalidArgumentError(path_ + ":" + std::to_string(line) + ": " + key + ": " + what);
  }

 private:
  std::string path_;
};

Status CheckKeys(const Errors& err, const YAML::Node& map, const std::string& section,
                 const std::vector<std::string>& known) {
  if (!map.IsMap()) return err.At(map, section, "must be a map");
  for (const auto& entry : map) {
    const std::string key = entry.first.as<std::string>();
    bool ok = false;
    for (const auto& k : known) ok |= (k == key);
    if (!ok) {
      return err.At(entry.first, section + "." + key, "unknown key" + sim::DidYouMean(key, known));
    }
  }
  return OkStatus();
}

StatusOr<std::string> GetString(const Errors& err, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return err.At(node, key, "must be a string");
  return node.as<std::string>();
}

StatusOr<bool> GetBool(const Errors& err, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return err.At(node, key, "must be true or false");
  const std::string v = node.as<std::string>();
  if (v == "true" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "no" || v == "off") return false;
  return err.At(node, key, "must be true or false, not '" + v + "'");
}

StatusOr<Duration> GetDuration(const Errors& err, const YAML::Node& node, const std::string& key) {
  if (!node.IsScalar()) return err.At(node, key, "must be a duration like 250ms or 10s");
  auto d = ParseDuration(node.as<std::string>());
  if (!d.ok()) return err.At(node, key, d.status().message());
  if (d->count() < 0) return err.At(node, key, "must not be negative");
  return *d;
}

Status ParseLink(const Errors& err, const YAML::Node& node, const std::string& where,
                 NetworkFaults* out) {
  LNSIM_RETURN_IF_ERROR(CheckKeys(err, node, where, {"latency", "jitter", "bandwidth"}));
  if (node["latency"]) {
    LNSIM_ASSIGN_OR_RETURN(out->latency, GetDuration(err, node["latency"], where + ".latency"));
  }
  if (node["jitter"]) {
    LNSIM_ASSIGN_OR_RETURN(out->jitter, GetDuration(err, node["jitter"], where + ".jitter"));
  }
  if (node["bandwidth"]) {
    if (!node["bandwidth"].IsScalar())
      return err.At(node["bandwidth"], where + ".bandwidth", "must be a size");
    auto bytes = ParseBytes(node["bandwidth"].as<std::string>());
    if (!bytes.ok())
      return err.At(node["bandwidth"], where + ".bandwidth", bytes.status().message());
    out->bandwidth_bytes_per_second = *bytes;
  }
  return OkStatus();
}

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') return false;
  }
  return true;
}

}  // namespace

StatusOr<uint64_t> ParseBytes(std::string_view text) {
  const std::string original(text);
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) {
    return InvalidArgumentError("bad size '" + original + "' (write e.g. 512KiB, 10MiB, 1GB)");
  }
  const double number = std::stod(std::string(text.substr(0, i)));
  const std::string unit(text.substr(i));
  struct Unit {
    const char* name;
    double factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},     {"B", 1},        {"KB", 1e3},        {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  for (const Unit& u : kUnits) {
    if (unit == u.name) return static_cast<uint64_t>(number * u.factor);
  }
  return InvalidArgumentError("bad size '" + original + "': unknown unit '" + unit +
                              "' (B, KB, MB, GB, KiB, MiB, GiB)");
}

namespace {

// `nats.cluster` / `nats.replicas`: a whole number in [lo, hi].
Status SmallInt(const Errors& err, const YAML::Node& n, const char* key, int lo, int hi, int* out) {
  const YAML::Node& v = n[key];
  const std::string where = std::string("nats.") + key;
  int value = 0;
  try {
    value = v.as<int>();
  } catch (const YAML::Exception&) {
    return err.At(v, where, "must be a whole number");
  }
  if (value < lo || value > hi) {
    return err.At(v, where,
                  "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", not " +
                      std::to_string(value));
  }
  *out = value;
  return OkStatus();
}

// `nats.tls`: true: TLS-only server, clients trust lnsim's generated CA; verify: clients also
// present a certificate of that CA (mutual TLS).
Status ParseNatsTls(const Errors& err, const YAML::Node& t, NatsSpec* nats) {
  std::string value;
  try {
    value = t.as<std::string>();
  } catch (const YAML::Exception&) {
    return err.At(t, "nats.tls", "must be true, false or verify");
  }
  if (value == "verify") {
    nats->tls = nats->tls_verify = true;
  } else if (value == "true" || value == "false") {
    nats->tls = value == "true";
  } else {
    return err.At(t, "nats.tls", "must be true, false or verify, not '" + value + "'");
  }
  if (nats->tls && !nats->url.empty()) {
    return err.At(t, "nats.tls",
                  "generates certificates for the embedded server; for a live server give "
                  "lnsim run --tls-ca/--tls-cert/--tls-key instead");
  }
  if (nats->tls && nats->cluster > 1) {
    return err.At(t, "nats.tls", "is not supported with nats.cluster yet");
  }
  return OkStatus();
}

Status ParseNatsAuth(const Errors& err, const YAML::Node& a, NatsSpec* nats) {
  LNSIM_ASSIGN_OR_RETURN(std::string mode, GetString(err, a, "nats.auth"));
  if (mode != "jwt" && mode != "none") return err.At(a, "nats.auth", "must be jwt or none");
  nats->auth_jwt = mode == "jwt";
  if (nats->auth_jwt && !nats->url.empty()) {
    return err.At(a, "nats.auth",
                  "jwt makes lnsim the operator of the embedded server; for a live server "
                  "put user:password in nats.url or pass creds (docs/auth.md)");
  }
  if (nats->auth_jwt && nats->cluster > 1) {
    return err.At(a, "nats.auth", "jwt is not supported with nats.cluster yet");
  }
  return OkStatus();
}

StatusOr<RogueSpec> ParseRogue(const Errors& err, const YAML::Node& e, size_t i) {
  const std::string where = "nats.rogue[" + std::to_string(i) + "]";
  if (!e.IsMap()) return err.At(e, where, "must be a mapping");
  LNSIM_RETURN_IF_ERROR(CheckKeys(err, e, where, {"name", "creds", "every"}));
  RogueSpec rs;
  rs.name = "rogue-" + std::to_string(i + 1);
  if (e["name"]) {
    LNSIM_ASSIGN_OR_RETURN(rs.name, GetString(err, e["name"], where + ".name"));
    if (!ValidName(rs.name)) {
      return err.At(e["name"], where + ".name", "must be letters, digits, - or _");
    }
  }
  if (e["creds"]) {
    LNSIM_ASSIGN_OR_RETURN(rs.creds, GetString(err, e["creds"], where + ".creds"));
    if (rs.creds != "consumer" && (rs.creds.rfind("bridge:", 0) != 0 || rs.creds.size() == 7)) {
      return err.At(e["creds"], where + ".creds",
                    "must be consumer or bridge:<another cluster>, not '" + rs.creds + "'");
    }
  }
  if (e["every"]) {
    LNSIM_ASSIGN_OR_RETURN(rs.every, GetDuration(err, e["every"], where + ".every"));
    if (rs.every <= Duration::zero()) return err.At(e["every"], where + ".every", "must be > 0");
  }
  return rs;
}

// The `nats` section, keys in the order their checks depend on each other.
Status ParseNats(const Errors& err, const YAML::Node& n, NatsSpec* nats) {
  LNSIM_RETURN_IF_ERROR(CheckKeys(
      err, n, "nats",
      {"url", "server_bin", "jetstream", "stream", "cluster", "replicas", "tls", "auth", "rogue"}));
  if (n["url"]) {
    LNSIM_ASSIGN_OR_RETURN(nats->url, GetString(err, n["url"], "nats.url"));
  }
  if (n["server_bin"]) {
    LNSIM_ASSIGN_OR_RETURN(nats->server_bin, GetString(err, n["server_bin"], "nats.server_bin"));
  }
  if (n["jetstream"]) {
    LNSIM_ASSIGN_OR_RETURN(nats->jetstream, GetBool(err, n["jetstream"], "nats.jetstream"));
  }
  if (n["stream"]) {
    LNSIM_ASSIGN_OR_RETURN(nats->stream, GetString(err, n["stream"], "nats.stream"));
    if (!ValidName(nats->stream)) {
      return err.At(n["stream"], "nats.stream", "must be letters, digits, - or _");
    }
  }
  if (n["cluster"]) {
    LNSIM_RETURN_IF_ERROR(SmallInt(err, n, "cluster", 1, 9, &nats->cluster));
    if (nats->cluster == 1) nats->cluster = 0;
    if (nats->cluster > 1 && !nats->url.empty()) {
      return err.At(n["cluster"], "nats.cluster",
                    "starts a local cluster; it cannot be combined with nats.url");
    }
  }
  if (const YAML::Node& t = n["tls"]) LNSIM_RETURN_IF_ERROR(ParseNatsTls(err, t, nats));
  if (const YAML::Node& a = n["auth"]) LNSIM_RETURN_IF_ERROR(ParseNatsAuth(err, a, nats));
  if (const YAML::Node& r = n["rogue"]) {
    if (!r.IsSequence()) return err.At(r, "nats.rogue", "must be a list");
    if (!nats->auth_jwt) return err.At(r, "nats.rogue", "needs nats.auth: jwt");
    for (size_t i = 0; i < r.size(); ++i) {
      LNSIM_ASSIGN_OR_RETURN(RogueSpec rs, ParseRogue(err, r[i], i));
      nats->rogues.push_back(rs);
    }
  }
  if (n["replicas"]) {
    LNSIM_RETURN_IF_ERROR(SmallInt(err, n, "replicas", 1, 5, &nats->replicas));
    if (nats->cluster > 1 && nats->replicas > nats->cluster) {
      return err.At(n["replicas"], "nats.replicas",
                    "cannot exceed nats.cluster (" + std::to_string(nats->cluster) + ")");
    }
  }
  return OkStatus();
}

// consumers[i]; `names` holds the names taken so far.
StatusOr<ConsumerSpec> ParseConsumer(const Errors& err, const YAML::Node& c, size_t i,
                                     bool jetstream, std::set<std::string>* names) {
  const std::string where = "consumers[" + std::to_string(i) + "]";
  LNSIM_RETURN_IF_ERROR(
      CheckKeys(err, c, where, {"name", "mode", "subject", "dedup", "via_proxy", "ack_wait"}));
  ConsumerSpec cs;
  cs.mode = jetstream ? ConsumerMode::kJetStreamAckSync : ConsumerMode::kCore;
  if (c["mode"]) {
    LNSIM_ASSIGN_OR_RETURN(std::string mode, GetString(err, c["mode"], where + ".mode"));
    auto parsed = ParseConsumerMode(mode);
    if (!parsed.ok()) return err.At(c["mode"], where + ".mode", parsed.status().message());
    cs.mode = *parsed;
  }
  if (cs.mode != ConsumerMode::kCore && !jetstream) {
    return err.At(c["mode"], where + ".mode", "a JetStream consumer needs nats.jetstream: true");
  }
  cs.name = ConsumerModeName(cs.mode) == "core" ? "core-" + std::to_string(i + 1)
                                                : "js-" + std::to_string(i + 1);
  if (c["name"]) {
    LNSIM_ASSIGN_OR_RETURN(cs.name, GetString(err, c["name"], where + ".name"));
  }
  if (!ValidName(cs.name)) {
    return err.At(c["name"], where + ".name", "must be letters, digits, - or _ (a durable name)");
  }
  if (!names->insert(cs.name).second) {
    return err.At(c["name"], where + ".name", "duplicate consumer name '" + cs.name + "'");
  }
  if (c["subject"]) {
    LNSIM_ASSIGN_OR_RETURN(cs.subject, GetString(err, c["subject"], where + ".subject"));
  }
  if (c["dedup"]) {
    LNSIM_ASSIGN_OR_RETURN(bool dedup, GetBool(err, c["dedup"], where + ".dedup"));
    cs.dedup = dedup;
  }
  if (c["via_proxy"]) {
    LNSIM_ASSIGN_OR_RETURN(cs.via_proxy, GetBool(err, c["via_proxy"], where + ".via_proxy"));
  }
  if (c["ack_wait"]) {
    LNSIM_ASSIGN_OR_RETURN(Duration d, GetDuration(err, c["ack_wait"], where + ".ack_wait"));
    if (d < std::chrono::milliseconds(100)) {
      return err.At(c["ack_wait"], where + ".ack_wait", "must be at least 100ms");
    }
    cs.ack_wait = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  }
  return cs;
}

// The `consumers` list, or one default consumer when there is none.
Status ParseConsumers(const Errors& err, const YAML::Node& n, HarnessSpec* spec) {
  if (n.IsDefined() && !n.IsNull()) {
    if (!n.IsSequence()) return err.At(n, "consumers", "must be a list");
    std::set<std::string> names;
    for (size_t i = 0; i < n.size(); ++i) {
      LNSIM_ASSIGN_OR_RETURN(ConsumerSpec cs,
                             ParseConsumer(err, n[i], i, spec->nats.jetstream, &names));
      spec->consumers.push_back(std::move(cs));
    }
  }
  if (spec->consumers.empty()) {
    ConsumerSpec cs;
    cs.mode = spec->nats.jetstream ? ConsumerMode::kJetStreamAckSync : ConsumerMode::kCore;
    cs.name = spec->nats.jetstream ? "js-1" : "core-1";
    spec->consumers.push_back(cs);
  }
  return OkStatus();
}

Status ParseNetwork(const Errors& err, const YAML::Node& n, HarnessSpec* spec) {
  if (n.IsDefined() && !n.IsNull()) {
    LNSIM_RETURN_IF_ERROR(CheckKeys(err, n, "network", {"bridge", "consumers"}));
    if (n["bridge"]) {
      LNSIM_RETURN_IF_ERROR(ParseLink(err, n["bridge"], "network.bridge", &spec->network.bridge));
      spec->network.bridge_proxy = true;
    }
    if (n["consumers"]) {
      LNSIM_RETURN_IF_ERROR(
          ParseLink(err, n["consumers"], "network.consumers", &spec->network.consumers));
      spec->network.consumers_proxy = true;
    }
  }
  for (const ConsumerSpec& c : spec->consumers) spec->network.consumers_proxy |= c.via_proxy;
  return OkStatus();
}

Status ParseSloSection(const Errors& err, const YAML::Node& n, HarnessSpec* spec) {
  if (!n.IsDefined() || n.IsNull()) return OkStatus();
  if (!n.IsSequence()) return err.At(n, "slo", "must be a list of expressions like 'lost == 0'");
  for (size_t i = 0; i < n.size(); ++i) {
    const std::string where = "slo[" + std::to_string(i) + "]";
    if (!n[i].IsScalar()) return err.At(n[i], where, "must be an expression like 'lost == 0'");
    auto slo = ParseSlo(n[i].as<std::string>());
    if (!slo.ok()) return err.At(n[i], where, slo.status().message());
    spec->slo_expressions.push_back(n[i].as<std::string>());
    spec->slos.push_back(std::move(slo).value());
  }
  return OkStatus();
}

// `verify: {unjudged: [quorum, ...]}`: the kinds of event this scenario opts out of judging.
Status ParseVerifySection(const Errors& err, const YAML::Node& n, HarnessSpec* spec) {
  if (!n.IsDefined() || n.IsNull()) return OkStatus();
  LNSIM_RETURN_IF_ERROR(CheckKeys(err, n, "verify", {"unjudged"}));
  const YAML::Node& list = n["unjudged"];
  if (!list.IsDefined() || list.IsNull()) return OkStatus();
  std::vector<std::string> names;
  for (int k = 1; k < kChannelKindCount; ++k) {
    names.emplace_back(ChannelKindName(static_cast<ChannelKind>(k)));
  }
  std::string known;
  for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
  if (!list.IsSequence()) return err.At(list, "verify.unjudged", "must be a list of: " + known);
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "verify.unjudged[" + std::to_string(i) + "]";
    const std::string name = list[i].IsScalar() ? list[i].as<std::string>() : "";
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      return err.At(list[i], where, "unknown kind '" + name + "': one of " + known);
    }
    if (std::find(spec->unjudged.begin(), spec->unjudged.end(), name) != spec->unjudged.end()) {
      return err.At(list[i], where, "'" + name + "' is listed twice");
    }
    spec->unjudged.push_back(name);
  }
  return OkStatus();
}

// One harness fault's params, validated now so a typo fails before anything starts; a network
// fault turns its proxy on.
Status CheckHarnessFault(const sim::FaultSpec& f, const std::string& path, HarnessSpec* spec) {
  using sim::FaultKind;
  LNSIM_ASSIGN_OR_RETURN(HarnessFaultParams params, ParseHarnessFaultParams(f, path));
  const std::string at = path + ":" + std::to_string(f.source_line) + ": faults";
  const bool on_cluster = !params.member.empty() || params.target == "routes";
  if (on_cluster && spec->nats.cluster < 2) {
    return InvalidArgumentError(at + " (" + std::string(sim::Name(f.kind)) +
                                ").params: member/target=routes need nats.cluster: 3 (or more)");
  }
  if (!params.member.empty() && params.member != "leader" && params.member != "bridge" &&
      std::atoi(params.member.c_str()) > spec->nats.cluster) {
    return InvalidArgumentError(at + " (" + std::string(sim::Name(f.kind)) +
                                ").params: member=" + params.member + " but nats.cluster is " +
                                std::to_string(spec->nats.cluster));
  }
  if (f.kind == FaultKind::kNetwork) {
    if (params.target == "bridge") spec->network.bridge_proxy = true;
    if (params.target == "consumers") spec->network.consumers_proxy = true;
  }
  if (f.kind == FaultKind::kConsumerCrash && !params.consumer.empty()) {
    bool found = false;
    for (const ConsumerSpec& c : spec->consumers) found |= (c.name == params.consumer);
    if (!found) {
      return InvalidArgumentError(at + ".params: consumer '" + params.consumer +
                                  "' is not in `consumers`");
    }
  }
  return OkStatus();
}

bool IsHarnessFault(sim::FaultKind kind) {
  using sim::FaultKind;
  return kind == FaultKind::kNatsRestart || kind == FaultKind::kBridgeKill ||
         kind == FaultKind::kConsumerCrash || kind == FaultKind::kNetwork;
}

}  // namespace

StatusOr<HarnessSpec> ParseHarnessSections(const Scenario& scenario) {
  const Errors err(scenario.path);
  HarnessSpec spec;
  if (const YAML::Node& n = scenario.nats; n.IsDefined() && !n.IsNull()) {
    LNSIM_RETURN_IF_ERROR(ParseNats(err, n, &spec.nats));
  }
  LNSIM_RETURN_IF_ERROR(ParseConsumers(err, scenario.consumers, &spec));
  LNSIM_RETURN_IF_ERROR(ParseNetwork(err, scenario.network, &spec));
  LNSIM_RETURN_IF_ERROR(ParseSloSection(err, scenario.slo, &spec));
  LNSIM_RETURN_IF_ERROR(ParseVerifySection(err, scenario.verify, &spec));
  if (const YAML::Node& n = scenario.drain; n.IsDefined() && !n.IsNull()) {
    LNSIM_ASSIGN_OR_RETURN(spec.drain, GetDuration(err, n, "drain"));
  }
  for (const sim::FaultSpec& f : scenario.world.faults) {
    if (IsHarnessFault(f.kind)) LNSIM_RETURN_IF_ERROR(CheckHarnessFault(f, scenario.path, &spec));
  }
  return spec;
}

StatusOr<HarnessFaultParams> ParseHarnessFaultParams(const sim::FaultSpec& fault,
                                                     const std::string& path) {
  HarnessFaultParams p;
  const std::string kind(sim::Name(fault.kind));
  auto bad = [&](const std::string& what) {
    return InvalidArgumentError(path + ":" + std::to_string(fault.source_line) + ": faults (" +
                                kind + ").params: " + what);
  };
  // The loader already rejected unknown keys (sim::ParseWorldSections); kept as a guard.
  const std::vector<std::string>& known = sim::FaultParamNames(fault.kind);
  size_t pos = 0;
  const std::string& text = fault.params;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    pos = comma + 1;
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return bad("'" + item + "' is not key=value");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    bool ok = false;
    for (const auto& k : known) ok |= (k == key);
    if (!ok) return bad("unknown key '" + key + "'" + sim::DidYouMean(key, known));
    auto boolean = [&](bool* out) -> Status {
      if (value == "true")
        *out = true;
      else if (value == "false")
        *out = false;
      else
        return bad(key + ": must be true or false, not '" + value + "'");
      return OkStatus();
    };
    if (key == "mode") {
      if (value == "kill")
        p.graceful = false;
      else if (value == "term")
        p.graceful = true;
      else
        return bad("mode: must be kill or term, not '" + value + "'");
    } else if (key == "consumer") {
      p.consumer = value;
    } else if (key == "keep_dedup") {
      LNSIM_RETURN_IF_ERROR(boolean(&p.keep_dedup));
    } else if (key == "target") {
      if (value != "bridge" && value != "consumers" && value != "routes") {
        return bad("target: must be bridge, consumers or routes, not '" + value + "'");
      }
      p.target = value;
    } else if (key == "member") {
      const bool number = value.size() == 1 && value[0] >= '1' && value[0] <= '9';
      if (value != "leader" && value != "bridge" && !number) {
        return bad("member: must be leader, bridge or a member number 1..9, not '" + value + "'");
      }
      p.member = value;
    } else if (key == "latency" || key == "jitter") {
      auto d = ParseDuration(value);
      if (!d.ok()) return bad(key + ": " + d.status().message());
      (key == "latency" ? p.faults.latency : p.faults.jitter) = *d;
    } else if (key == "bandwidth") {
      auto b = ParseBytes(value);
      if (!b.ok()) return bad("bandwidth: " + b.status().message());
      p.faults.bandwidth_bytes_per_second = *b;
    } else if (key == "blackhole") {
      LNSIM_RETURN_IF_ERROR(boolean(&p.faults.blackhole));
    } else if (key == "reset") {
      LNSIM_RETURN_IF_ERROR(boolean(&p.reset));
    }
  }
  if (fault.kind == sim::FaultKind::kNetwork) {
    if (p.target == "routes" && p.member.empty()) p.member = "leader";
    if (p.target != "routes" && !p.member.empty()) {
      return bad("member: only with target=routes (or on nats-restart)");
    }
  }
  return p;
}

}  // namespace lnsim::harness
