// NATS decentralized auth for lnsim (`lnsim auth init`, `nats.auth: jwt`): an operator, a system
// account, one application account with JetStream, and least-privilege users, as NATS JWT v2
// signed with nkeys (common/nkeys.h), plus the nats-server config fragment that trusts them
// (operator mode, MEMORY resolver with the accounts preloaded) and the users' .creds files.
//
// JWT v2 as nats-io/jwt writes it: header {"typ":"JWT","alg":"ed25519-nkey"}, base64url without
// padding; claims {"jti","iat","iss","name","sub","nats":{...,"type","version":2}} where jti is the
// base32 (no padding) SHA-512/256 of the standard claims without jti; the signature is ed25519 by
// the issuer's key over "header.payload". docs/auth.md lists what each user may do and why.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/nkeys.h"
#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::harness {

// A NATS user's permissions ("nats":{"pub":{"allow":[...]},"sub":{"allow":[...]}}). An empty
// allow list with no deny list means "no restriction" to nats-server; lnsim never writes that
// for bridge or consumer users.
struct NatsPermissions {
  std::vector<std::string> pub_allow, pub_deny, sub_allow, sub_deny;
};

// Builds and signs one JWT. `nats` is the claim's "nats" object without type/version (added).
// `issued_at_unix` is the claim's "iat" (seconds since the Unix epoch); the caller reads it from
// its Clock (UnixSeconds below), so the same inputs sign the same token.
std::string SignJwt(const nkeys::KeyPair& issuer, const std::string& subject,
                    const std::string& name, const std::string& type, nlohmann::ordered_json nats,
                    int64_t issued_at_unix);

std::string OperatorJwt(const nkeys::KeyPair& op, const std::string& name,
                        const std::string& system_account, int64_t issued_at_unix);
// Account signed by the operator. jetstream: unlimited JetStream (disk and memory) for it.
std::string AccountJwt(const nkeys::KeyPair& op, const std::string& account_public_key,
                       const std::string& name, bool jetstream, int64_t issued_at_unix);
// User signed by the account.
std::string UserJwt(const nkeys::KeyPair& account, const std::string& user_public_key,
                    const std::string& name, const NatsPermissions& permissions,
                    int64_t issued_at_unix);

// The clock's wall-clock time in whole seconds since the Unix epoch (a JWT's "iat").
int64_t UnixSeconds(const Clock& clock);

// The .creds text nats.c's natsOptions_SetUserCredentialsFromFiles reads (JWT, then seed, in
// the nsc layout).
std::string CredsText(const std::string& jwt, const std::string& seed);
struct Creds {
  std::string jwt;
  std::string seed;
};
// Reads a .creds text back. kInvalidArgument naming what is missing.
StatusOr<Creds> ParseCreds(const std::string& text);

struct DecodedJwt {
  nlohmann::json header;
  nlohmann::json claims;
};
// Splits, decodes and verifies a JWT against the "iss" key in its claims. kInvalidArgument
// saying which part is wrong ("bad signature", "not 3 parts", ...).
StatusOr<DecodedJwt> DecodeJwt(const std::string& token);

// Stream and bucket names of one LINSTOR cluster's bridge.
struct AuthCluster {
  std::string name;    // the bridge's --cluster
  std::string stream;  // "" = bridge::DefaultStreamName(name)
  std::string bucket;  // "" = bridge::DefaultBucketName(name)
};

// Where a user receives replies (JetStream API answers, publish acks, pull deliveries). With
// private inboxes each user subscribes only "_INBOX_<user>.>" and must connect with that inbox
// prefix (nats.c natsOptions_SetCustomInboxPrefix, `lnsim bridge --inbox-prefix`), so no user can
// read replies meant for another (e.g. a bridge reading another cluster's pull deliveries).
// Without, every user subscribes "_INBOX.>" (for clients that cannot set a prefix).
std::string InboxPrefix(const std::string& user);  // "_INBOX_<user>" ('.' -> '_')

// What the bridge of `cluster` may do: publish its events and its state mirror, create, read and
// update its own stream and bucket, read back its last messages, watch its bucket, and receive
// replies on its inbox. Nothing else: not another cluster's subjects, not subscribe to events.
// `inbox`: "" = the shared "_INBOX", else its private prefix.
NatsPermissions BridgePermissions(const AuthCluster& cluster, const std::string& inbox = "");
// What a consumer may do for `clusters`: subscribe to their events (core), create, read and pull
// from consumers on their streams, ack, read the state mirror; never publish events nor
// create, update or delete streams.
NatsPermissions ConsumerPermissions(const std::vector<AuthCluster>& clusters,
                                    const std::string& inbox = "");

struct AuthInitOptions {
  std::string dir;  // created 0700 if missing
  std::vector<AuthCluster> clusters;
  std::string operator_name = "lnsim";
  std::string account_name = "LINSTOR";
  bool admin_user = true;  // admin.creds: the whole account, for operators' tooling
  // Bridge and consumer users subscribe only their own inbox prefix (InboxPrefix(user)); false:
  // "_INBOX.>" for all, for clients that cannot set an inbox prefix.
  bool private_inboxes = true;
  int64_t issued_at_unix = 0;  // the JWTs' "iat"; 0 = UnixSeconds(clock) at InitAuth
};

struct AuthInitResult {
  std::string dir;
  std::string server_conf;        // DIR/server.conf, for nats-server -c (or include)
  std::string operator_jwt_path;  // DIR/operator.jwt
  std::string operator_public_key;
  std::string account_public_key;
  std::string system_account_public_key;
  // user name -> .creds path: "bridge-<cluster>", "consumer", "admin".
  std::map<std::string, std::string> creds;
  // user name -> the inbox prefix it must connect with ("_INBOX" when shared).
  std::map<std::string, std::string> inbox_prefix;
};

// Writes operator.jwt, the accounts' JWTs (accounts/NAME.jwt), server.conf and the users'
// .creds (mode 0600) into options.dir (0700). Secrets (operator and account seeds) are written
// to DIR/keys/ (0600) so more users can be signed later; nothing else keeps them. Overwrites an
// earlier init in the same DIR. kInvalidArgument for no cluster, a cluster name that cannot be a
// file name, a duplicate; kUnavailable naming the path that cannot be written.
StatusOr<AuthInitResult> InitAuth(const AuthInitOptions& options, const Clock& clock);

// "bridge-<cluster>" with every character outside [A-Za-z0-9_.-] replaced by '_'.
std::string BridgeUserName(const std::string& cluster);

// A client that tries what its creds forbid (scenario `nats.rogue`, auth-denied): every `every`
// it publishes a well-formed fake event of cluster `target_cluster` (an event no world
// transition explains: a phantom if it ever reached a consumer) on that cluster's subjects; at
// start it also tries to delete and purge `target_stream`. The server refuses each attempt with
// a "Permissions Violation" that nats.c reports asynchronously to the error handler; those are
// counted as denials.
struct RogueOptions {
  std::string name;        // "rogue-consumer"
  std::string creds_file;  // whose creds it holds
  std::string url;
  std::string target_cluster;  // the run's cluster (whose subjects it publishes on)
  std::string target_stream;   // "" = no stream attempts
  std::string inbox_prefix;    // its creds' user's inbox prefix ("" = nats.c's "_INBOX")
  Duration every = std::chrono::milliseconds(200);
  tls::ClientTlsFiles tls;  // when the bus is TLS-only
};

struct RogueStats {
  uint64_t attempts = 0;             // publishes and API requests made
  uint64_t denials = 0;              // Permissions Violations reported by the server
  std::vector<std::string> samples;  // first few violation texts
};

class RogueClient {
 public:
  // Connects (kUnavailable when it cannot: creds refused, server down) and starts its thread.
  static StatusOr<std::unique_ptr<RogueClient>> Start(const RogueOptions& options,
                                                      const Clock& clock);
  ~RogueClient();
  // Stops attempting, then waits (bounded by `settle`) until every attempt has its denial
  // reported, and closes the connection. Idempotent.
  void Stop(Duration settle = std::chrono::seconds(3));
  RogueStats stats() const;
  const RogueOptions& options() const { return options_; }

 private:
  RogueClient(RogueOptions options, const Clock& clock);
  void Loop();
  void OnAsyncError(const std::string& text);

  RogueOptions options_;
  const Clock& clock_;
  struct Conn;
  std::unique_ptr<Conn> conn_;
  mutable std::mutex mu_;
  RogueStats stats_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lnsim::harness
