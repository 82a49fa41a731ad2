// The harness's sections of a scenario file (`nats`, `consumers`, `network`, `slo`, `drain`) and
// the parameters of the fault kinds the harness executes (`nats-restart`, `bridge-kill`,
// `consumer-crash`, `network`). The loader hands these sections over as YAML nodes; this file
// validates them with the loader's `file:line: key: what is wrong` errors. docs/scenarios.md
// documents every key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/consumer.h"
#include "harness/fault_proxy.h"
#include "harness/scenario_loader.h"
#include "harness/slo.h"
#include "sim/scenario.h"

namespace lnsim::harness {

// `nats.rogue[i]` (needs `nats.auth: jwt`): a client holding someone's creds that tries to
// publish fake events into the run's cluster (harness/nats_auth.h RogueClient).
struct RogueSpec {
  std::string name;                // "rogue-1" unless given
  std::string creds = "consumer";  // "consumer" or "bridge:<cluster>" (another cluster)
  Duration every = std::chrono::milliseconds(200);
};

struct NatsSpec {
  std::string url;         // "" = start an embedded nats-server; else a live server or cluster
  std::string server_bin;  // "" = DefaultNatsServerBinary()
  bool jetstream = true;   // the bridge publishes to JetStream (false: core NATS)
  // "" = the bridge's own default, bridge::DefaultStreamName(cluster): LINSTOR_<CLUSTER>.
  std::string stream;
  // `nats.cluster: N` (N >= 2): lnsim starts an N-member local cluster (routes, clustered
  // JetStream) instead of one server. 0 = one embedded server (or the live `url`).
  int cluster = 0;
  // Replicas of the bridge's stream and state bucket (`--replicas`); 0 = the cluster's size
  // (capped at 5, JetStream's maximum), 1 without a cluster.
  int replicas = 0;
  // `nats.tls: true`: the embedded nats-server accepts TLS clients only, with a certificate
  // lnsim generates (common/tls_certs.h); the bridge and every consumer trust its CA.
  // `nats.tls: verify` also makes every client present a certificate of that CA (mutual TLS).
  bool tls = false;
  bool tls_verify = false;
  // `nats.auth: jwt`: the embedded server runs in operator mode with the JWTs and creds of
  // `lnsim auth init` (docs/auth.md); the bridge, consumers and rogues connect with creds.
  bool auth_jwt = false;
  std::vector<RogueSpec> rogues;
};

struct ConsumerSpec {
  std::string name;
  ConsumerMode mode = ConsumerMode::kJetStreamAckSync;
  std::string subject = "linstor.v1.>";
  std::optional<bool> dedup;  // nullopt = the mode's default
  bool via_proxy = false;     // connect through the consumers' network fault proxy
  std::chrono::milliseconds ack_wait{5000};
};

struct NetworkSpec {
  // Whether lnsim puts a fault proxy between bridge and NATS / consumers and NATS. Implied by a
  // `network` fault on that side or by standing faults below.
  bool bridge_proxy = false;
  bool consumers_proxy = false;
  NetworkFaults bridge;  // standing faults for the whole run
  NetworkFaults consumers;
};

struct HarnessSpec {
  NatsSpec nats;
  std::vector<ConsumerSpec> consumers;  // default: one jetstream-acksync consumer "js-1"
  NetworkSpec network;
  std::vector<Slo> slos;
  std::vector<std::string> slo_expressions;  // as written
  Duration drain = std::chrono::seconds(30);
  // `verify.unjudged`: channel kinds (ChannelKindName: "quorum", ...) whose events this scenario
  // does not judge; they count as `unjudged` and the report lists them (`unjudged_kinds`).
  std::vector<std::string> unjudged;
};

// Parses the harness's sections of `scenario` (defaults for missing ones). kInvalidArgument as
// `path:line: key: what is wrong`; unknown keys are errors (with a "did you mean").
StatusOr<HarnessSpec> ParseHarnessSections(const Scenario& scenario);

// Parameters of a harness-executed fault, from its `params` string (`k=v,...`).
struct HarnessFaultParams {
  // nats-restart: kill (SIGKILL, default) or term (graceful).
  bool graceful = false;
  // nats-restart and network target=routes on a `nats.cluster`: which member. "leader" (the
  // stream's leader at the window's start), "bridge" (the member the bridge is connected to), or
  // "1".."N". "" = the one server (no cluster); on a cluster nats-restart defaults to "leader".
  std::string member;
  // consumer-crash: which consumer ("" = every consumer); whether its dedup state survives.
  std::string consumer;
  bool keep_dedup = true;
  // network: which link (bridge, consumers, or routes: the routes of one cluster member, cut
  // for the window) and what happens during the window.
  std::string target = "bridge";
  NetworkFaults faults;
  bool reset = false;  // reset the link's connections at the window's start
};
// kInvalidArgument `path:line: faults[i].params: what` for unknown keys or bad values.
StatusOr<HarnessFaultParams> ParseHarnessFaultParams(const sim::FaultSpec& fault,
                                                     const std::string& path);

// "1MiB" -> 1048576, "100KB" -> 100000, "512" -> 512 (bytes). kInvalidArgument otherwise.
StatusOr<uint64_t> ParseBytes(std::string_view text);

}  // namespace lnsim::harness
