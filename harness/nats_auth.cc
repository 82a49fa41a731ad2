// NATS JWT v2, creds files and `auth init` (see nats_auth.h).
#include "harness/nats_auth.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "bridge/event.h"
#include "bridge/recovery.h"
#include "harness/internal/nats_util.h"

namespace lnsim::harness {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Writes `text` to `path` with `mode`, created with that mode (never world-readable even for
// a moment) and chmod'ed when it existed.
Status WriteFileMode(const std::string& path, const std::string& text, mode_t mode) {
  std::error_code ec;
  fs::remove(path, ec);
  FILE* f = nullptr;
  {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
    f = fdopen(fd, "w");
    if (f == nullptr) {
      ::close(fd);
      return UnavailableError("cannot write " + path + ": " + std::strerror(errno));
    }
  }
  const bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = fclose(f) == 0;
  if (!ok || !closed) return UnavailableError("cannot write " + path + ": short write");
  if (::chmod(path.c_str(), mode) != 0) {
    return UnavailableError("cannot chmod " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status MakeDir(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return UnavailableError("cannot create " + path + ": " + ec.message());
  if (::chmod(path.c_str(), 0700) != 0) {
    return UnavailableError("cannot chmod " + path + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Json Strings(const std::vector<std::string>& v) {
  Json a = Json::array();
  for (const auto& s : v) a.push_back(s);
  return a;
}

Json PermissionJson(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  Json p = Json::object();
  if (!allow.empty()) p["allow"] = Strings(allow);
  if (!deny.empty()) p["deny"] = Strings(deny);
  return p;
}

std::string StreamOf(const AuthCluster& c) {
  return c.stream.empty() ? bridge::DefaultStreamName(c.name) : c.stream;
}
std::string BucketOf(const AuthCluster& c) {
  return c.bucket.empty() ? bridge::DefaultBucketName(c.name) : c.bucket;
}

// Read access to a KV bucket the way nats.c's kvStore_Get/kvStore_Watch* do it: stream info,
// direct and classic message get, an ordered push consumer (create, info, delete) and its flow
// control replies.
void AddKvRead(const std::string& bucket, std::vector<std::string>* pub) {
  const std::string s = "KV_" + bucket;
  for (const std::string& subject :
       {"$JS.API.STREAM.INFO." + s, "$JS.API.STREAM.MSG.GET." + s, "$JS.API.DIRECT.GET." + s,
        "$JS.API.DIRECT.GET." + s + ".>", "$JS.API.CONSUMER.CREATE." + s,
        "$JS.API.CONSUMER.CREATE." + s + ".>", "$JS.API.CONSUMER.INFO." + s + ".>",
        "$JS.API.CONSUMER.DELETE." + s + ".>", "$JS.FC." + s + ".>"}) {
    pub->push_back(subject);
  }
  // kvStore_Watch* subscribes through js_Subscribe, which finds the stream by subject first
  // (the reply lists stream names only, no data).
  pub->push_back("$JS.API.STREAM.NAMES");
}

}  // namespace

std::string SignJwt(const nkeys::KeyPair& issuer, const std::string& subject,
                    const std::string& name, const std::string& type, Json nats,
                    int64_t issued_at_unix) {
  const int64_t iat = issued_at_unix;
  // ClaimsData in nats-io/jwt field order (aud, exp, jti, iat, iss, name, nbf, sub), omitempty.
  Json std_claims = Json::object();
  std_claims["iat"] = iat;
  std_claims["iss"] = issuer.PublicKey();
  if (!name.empty()) std_claims["name"] = name;
  std_claims["sub"] = subject;
  // jti: base32 (no padding) of SHA-512/256 of the claims data marshalled without jti.
  const std::string jti = nkeys::Base32Encode(nkeys::Sha512_256(std_claims.dump()));
  Json claims = Json::object();
  claims["jti"] = jti;
  for (auto it = std_claims.begin(); it != std_claims.end(); ++it) claims[it.key()] = it.value();
  nats["type"] = type;
  nats["version"] = 2;
  claims["nats"] = std::move(nats);
  const std::string header = nkeys::Base64UrlEncode(R"({"typ":"JWT","alg":"ed25519-nkey"})");
  const std::string payload = nkeys::Base64UrlEncode(claims.dump());
  const std::string signing_input = header + "." + payload;
  return signing_input + "." + nkeys::Base64UrlEncode(issuer.Sign(signing_input));
}

std::string OperatorJwt(const nkeys::KeyPair& op, const std::string& name,
                        const std::string& system_account, int64_t issued_at_unix) {
  Json nats = Json::object();
  if (!system_account.empty()) nats["system_account"] = system_account;
  return SignJwt(op, op.PublicKey(), name, "operator", std::move(nats), issued_at_unix);
}

std::string AccountJwt(const nkeys::KeyPair& op, const std::string& account_public_key,
                       const std::string& name, bool jetstream, int64_t issued_at_unix) {
  // OperatorLimits: NatsLimits, AccountLimits, JetStreamLimits flattened into "limits".
  Json limits = Json::object();
  limits["subs"] = -1;
  limits["data"] = -1;
  limits["payload"] = -1;
  limits["imports"] = -1;
  limits["exports"] = -1;
  limits["wildcards"] = true;
  limits["conn"] = -1;
  limits["leaf"] = -1;
  if (jetstream) {
    // JetStream is enabled for an account whose memory or disk storage limit is not 0.
    limits["mem_storage"] = -1;
    limits["disk_storage"] = -1;
    limits["streams"] = -1;
    limits["consumer"] = -1;
  }
  Json nats = Json::object();
  nats["limits"] = std::move(limits);
  nats["default_permissions"] = Json{{"pub", Json::object()}, {"sub", Json::object()}};
  return SignJwt(op, account_public_key, name, "account", std::move(nats), issued_at_unix);
}

std::string UserJwt(const nkeys::KeyPair& account, const std::string& user_public_key,
                    const std::string& name, const NatsPermissions& permissions,
                    int64_t issued_at_unix) {
  Json nats = Json::object();
  nats["pub"] = PermissionJson(permissions.pub_allow, permissions.pub_deny);
  nats["sub"] = PermissionJson(permissions.sub_allow, permissions.sub_deny);
  nats["subs"] = -1;
  nats["data"] = -1;
  nats["payload"] = -1;
  return SignJwt(account, user_public_key, name, "user", std::move(nats), issued_at_unix);
}

std::string CredsText(const std::string& jwt, const std::string& seed) {
  return "-----BEGIN NATS USER JWT-----\n" + jwt +
         "\n------END NATS USER JWT------\n\n"
         "************************* IMPORTANT *************************\n"
         "NKEY Seed printed below can be used to sign and prove identity.\n"
         "NKEYs are sensitive and should be treated as secrets.\n\n"
         "-----BEGIN USER NKEY SEED-----\n" +
         seed +
         "\n------END USER NKEY SEED------\n\n"
         "*************************************************************\n";
}

StatusOr<Creds> ParseCreds(const std::string& text) {
  // The first non-empty line after each "-----BEGIN" marker, as nats.c reads it.
  std::vector<std::string> blocks;
  size_t pos = 0;
  while ((pos = text.find("-----BEGIN", pos)) != std::string::npos) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) break;
    size_t start = eol + 1;
    while (start < text.size() && (text[start] == '\n' || text[start] == '\r')) ++start;
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    blocks.push_back(line);
    pos = end;
  }
  if (blocks.size() < 2) return InvalidArgumentError("creds: want a JWT block and a seed block");
  return Creds{blocks[0], blocks[1]};
}

StatusOr<DecodedJwt> DecodeJwt(const std::string& token) {
  const size_t a = token.find('.');
  const size_t b = a == std::string::npos ? a : token.find('.', a + 1);
  if (a == std::string::npos || b == std::string::npos ||
      token.find('.', b + 1) != std::string::npos) {
    return InvalidArgumentError("jwt: not 3 dot-separated parts");
  }
  DecodedJwt out;
  auto header = nkeys::Base64UrlDecode(token.substr(0, a));
  auto payload = nkeys::Base64UrlDecode(token.substr(a + 1, b - a - 1));
  auto sig = nkeys::Base64UrlDecode(token.substr(b + 1));
  if (!header.ok()) return InvalidArgumentError("jwt header: " + header.status().message());
  if (!payload.ok()) return InvalidArgumentError("jwt claims: " + payload.status().message());
  if (!sig.ok()) return InvalidArgumentError("jwt signature: " + sig.status().message());
  out.header = nlohmann::json::parse(*header, nullptr, false);
  out.claims = nlohmann::json::parse(*payload, nullptr, false);
  if (out.header.is_discarded() || !out.header.is_object()) {
    return InvalidArgumentError("jwt header: not a JSON object");
  }
  if (out.claims.is_discarded() || !out.claims.is_object()) {
    return InvalidArgumentError("jwt claims: not a JSON object");
  }
  if (out.header.value("alg", "") != "ed25519-nkey") {
    return InvalidArgumentError("jwt header: alg is not ed25519-nkey");
  }
  if (!out.claims.contains("iss") || !out.claims["iss"].is_string()) {
    return InvalidArgumentError("jwt claims: no iss");
  }
  auto issuer = nkeys::DecodePublicKey(out.claims["iss"].get<std::string>());
  if (!issuer.ok()) return InvalidArgumentError("jwt iss: " + issuer.status().message());
  if (!nkeys::Verify(issuer->key, token.substr(0, b), *sig)) {
    return InvalidArgumentError("jwt: bad signature");
  }
  return out;
}

std::string InboxPrefix(const std::string& user) {
  std::string out = "_INBOX_" + user;
  for (char& c : out) {
    if (c == '.') c = '_';
  }
  return out;
}

NatsPermissions BridgePermissions(const AuthCluster& cluster, const std::string& inbox) {
  const std::string stream = StreamOf(cluster);
  const std::string bucket = BucketOf(cluster);
  NatsPermissions p;
  // Its events (bridge/event.h subject scheme) and its state mirror's keys.
  p.pub_allow.push_back(bridge::StreamSubjects(cluster.name));
  p.pub_allow.push_back("$KV." + bucket + ".>");
  // bridge/recovery.cc EnsureStreamAndBucket: js_GetStreamInfo, js_AddStream, js_UpdateStream
  // (duplicate window) on its stream; js_KeyValue / js_CreateKeyValue on its bucket.
  for (const char* op : {"INFO", "CREATE", "UPDATE"}) {
    p.pub_allow.push_back(std::string("$JS.API.STREAM.") + op + "." + stream);
  }
  p.pub_allow.push_back("$JS.API.STREAM.CREATE.KV_" + bucket);
  // Recover: js_GetLastMsg on its stream (classic and direct get), kvStore_WatchAll.
  p.pub_allow.push_back("$JS.API.STREAM.MSG.GET." + stream);
  p.pub_allow.push_back("$JS.API.DIRECT.GET." + stream);
  p.pub_allow.push_back("$JS.API.DIRECT.GET." + stream + ".>");
  AddKvRead(bucket, &p.pub_allow);
  // Replies (JetStream API responses, publish acks) come to the connection's inbox.
  p.sub_allow.push_back((inbox.empty() ? std::string("_INBOX") : inbox) + ".>");
  return p;
}

NatsPermissions ConsumerPermissions(const std::vector<AuthCluster>& clusters,
                                    const std::string& inbox) {
  NatsPermissions p;
  for (const AuthCluster& c : clusters) {
    const std::string stream = StreamOf(c);
    // Durable pull consumers (harness/consumer.cc js_PullSubscribe): look the stream and the
    // consumer up, create it (old and new create API), fetch, ack.
    for (const std::string& subject :
         {"$JS.API.STREAM.INFO." + stream, "$JS.API.CONSUMER.CREATE." + stream,
          "$JS.API.CONSUMER.CREATE." + stream + ".>",
          "$JS.API.CONSUMER.DURABLE.CREATE." + stream + ".>",
          "$JS.API.CONSUMER.INFO." + stream + ".>", "$JS.API.CONSUMER.MSG.NEXT." + stream + ".>",
          "$JS.ACK." + stream + ".>"}) {
      p.pub_allow.push_back(subject);
    }
    // Current state from the bridge's state mirror (read only).
    AddKvRead(BucketOf(c), &p.pub_allow);
    // Core NATS subscribers read the events directly.
    p.sub_allow.push_back(bridge::StreamSubjects(c.name));
  }
  p.sub_allow.push_back((inbox.empty() ? std::string("_INBOX") : inbox) + ".>");
  // One entry per subject (several clusters share $JS.API.STREAM.NAMES).
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (auto& subject : p.pub_allow) {
    if (seen.insert(subject).second) unique.push_back(std::move(subject));
  }
  p.pub_allow = std::move(unique);
  return p;
}

std::string BridgeUserName(const std::string& cluster) {
  std::string out = "bridge-";
  for (char c : cluster) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

namespace {

Status ValidateAuthInit(const AuthInitOptions& options) {
  if (options.dir.empty()) return InvalidArgumentError("auth init: no directory");
  if (options.clusters.empty()) return InvalidArgumentError("auth init: no --cluster");
  std::set<std::string> users;
  for (const AuthCluster& c : options.clusters) {
    if (c.name.empty()) return InvalidArgumentError("auth init: empty cluster name");
    if (!users.insert(BridgeUserName(c.name)).second) {
      return InvalidArgumentError("auth init: cluster '" + c.name +
                                  "' given twice (or maps to the same file name as another)");
    }
  }
  return OkStatus();
}

// DIR/server.conf: operator mode with the two accounts preloaded in a memory resolver.
std::string ServerConfText(const AuthInitResult& r, const std::string& sys_jwt,
                           const std::string& acct_jwt) {
  // clang-format off
  return "# nats-server operator mode, written by `lnsim auth init` (docs/auth.md).\n"
         "# Use: nats-server -c " + r.dir + "/server.conf, or `include` it from your config.\n"
         "operator: \"" + r.operator_jwt_path + "\"\n"
         "system_account: " + r.system_account_public_key + "\n"
         "resolver: MEMORY\n"
         "resolver_preload: {\n"
         "  " + r.system_account_public_key + ": \"" + sys_jwt + "\"\n"
         "  " + r.account_public_key + ": \"" + acct_jwt + "\"\n"
         "}\n";
  // clang-format on
}

}  // namespace

int64_t UnixSeconds(const Clock& clock) { return clock.UnixNanos() / 1000000000; }

StatusOr<AuthInitResult> InitAuth(const AuthInitOptions& options, const Clock& clock) {
  LNSIM_RETURN_IF_ERROR(ValidateAuthInit(options));
  AuthInitResult r;
  r.dir = fs::absolute(options.dir).lexically_normal().string();
  LNSIM_RETURN_IF_ERROR(MakeDir(r.dir));
  LNSIM_RETURN_IF_ERROR(MakeDir(r.dir + "/keys"));
  LNSIM_RETURN_IF_ERROR(MakeDir(r.dir + "/accounts"));
  const int64_t iat = options.issued_at_unix != 0 ? options.issued_at_unix : UnixSeconds(clock);

  LNSIM_ASSIGN_OR_RETURN(auto op, nkeys::KeyPair::Generate(nkeys::KeyType::kOperator));
  LNSIM_ASSIGN_OR_RETURN(auto sys, nkeys::KeyPair::Generate(nkeys::KeyType::kAccount));
  LNSIM_ASSIGN_OR_RETURN(auto acct, nkeys::KeyPair::Generate(nkeys::KeyType::kAccount));
  r.operator_public_key = op.PublicKey();
  r.system_account_public_key = sys.PublicKey();
  r.account_public_key = acct.PublicKey();

  const std::string op_jwt = OperatorJwt(op, options.operator_name, sys.PublicKey(), iat);
  const std::string sys_jwt = AccountJwt(op, sys.PublicKey(), "SYS", /*jetstream=*/false, iat);
  const std::string acct_jwt =
      AccountJwt(op, acct.PublicKey(), options.account_name, /*jetstream=*/true, iat);

  r.operator_jwt_path = r.dir + "/operator.jwt";
  LNSIM_RETURN_IF_ERROR(WriteFileMode(r.operator_jwt_path, op_jwt + "\n", 0644));
  LNSIM_RETURN_IF_ERROR(WriteFileMode(r.dir + "/accounts/SYS.jwt", sys_jwt + "\n", 0644));
  LNSIM_RETURN_IF_ERROR(
      WriteFileMode(r.dir + "/accounts/" + options.account_name + ".jwt", acct_jwt + "\n", 0644));
  LNSIM_RETURN_IF_ERROR(WriteFileMode(r.dir + "/keys/operator.nk", op.Seed() + "\n", 0600));
  LNSIM_RETURN_IF_ERROR(WriteFileMode(r.dir + "/keys/SYS.nk", sys.Seed() + "\n", 0600));
  LNSIM_RETURN_IF_ERROR(
      WriteFileMode(r.dir + "/keys/" + options.account_name + ".nk", acct.Seed() + "\n", 0600));

  auto write_user = [&](const std::string& name, const NatsPermissions& perms,
                        bool unrestricted) -> Status {
    LNSIM_ASSIGN_OR_RETURN(auto user, nkeys::KeyPair::Generate(nkeys::KeyType::kUser));
    NatsPermissions p = perms;
    if (!unrestricted && p.pub_allow.empty() && p.sub_allow.empty()) {
      return InternalError("auth init: user " + name + " would be unrestricted");
    }
    const std::string jwt = UserJwt(acct, user.PublicKey(), name, p, iat);
    const std::string path = r.dir + "/" + name + ".creds";
    LNSIM_RETURN_IF_ERROR(WriteFileMode(path, CredsText(jwt, user.Seed()), 0600));
    r.creds[name] = path;
    return OkStatus();
  };
  auto inbox = [&](const std::string& user) {
    const std::string prefix = options.private_inboxes ? InboxPrefix(user) : "_INBOX";
    r.inbox_prefix[user] = prefix;
    return options.private_inboxes ? prefix : std::string();
  };
  for (const AuthCluster& c : options.clusters) {
    const std::string user = BridgeUserName(c.name);
    LNSIM_RETURN_IF_ERROR(write_user(user, BridgePermissions(c, inbox(user)), false));
  }
  LNSIM_RETURN_IF_ERROR(
      write_user("consumer", ConsumerPermissions(options.clusters, inbox("consumer")), false));
  if (options.admin_user) {
    r.inbox_prefix["admin"] = "_INBOX";
    LNSIM_RETURN_IF_ERROR(write_user("admin", {}, true));
  }

  const std::string conf = ServerConfText(r, sys_jwt, acct_jwt);
  r.server_conf = r.dir + "/server.conf";
  LNSIM_RETURN_IF_ERROR(WriteFileMode(r.server_conf, conf, 0644));
  return r;
}

// ------------------------------------------------------------------------------ RogueClient

struct RogueClient::Conn {
  internal::NatsClientAuth auth;  // referenced by nc until it is destroyed
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  ~Conn() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) natsConnection_Destroy(nc);
  }
};

RogueClient::RogueClient(RogueOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

StatusOr<std::unique_ptr<RogueClient>> RogueClient::Start(const RogueOptions& options,
                                                          const Clock& clock) {
  std::unique_ptr<RogueClient> self(new RogueClient(options, clock));
  self->conn_ = std::make_unique<Conn>();
  self->conn_->auth.creds_file = options.creds_file;
  self->conn_->auth.tls = options.tls;
  self->conn_->auth.inbox_prefix = options.inbox_prefix;
  RogueClient* raw = self.get();
  self->conn_->auth.on_async_error = [raw](natsStatus s, const std::string& text) {
    if (s == NATS_NOT_PERMITTED || text.find("Permissions Violation") != std::string::npos) {
      raw->OnAsyncError(text);
    }
  };
  auto nc = internal::ConnectNats(options.url, "lnsim-" + options.name, self->conn_->auth);
  if (!nc.ok()) return nc.status().WithPrefix("rogue " + options.name);
  self->conn_->nc = *nc;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 500;  // a refused API request is never answered
  if (natsConnection_JetStream(&self->conn_->js, self->conn_->nc, &jo) != NATS_OK) {
    return InternalError("rogue " + options.name + ": cannot create a JetStream context");
  }
  self->thread_ = std::thread([raw] { raw->Loop(); });
  return self;
}

RogueClient::~RogueClient() { Stop(Duration::zero()); }

void RogueClient::OnAsyncError(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.denials;
  if (stats_.samples.size() < 3) stats_.samples.push_back(text);
}

void RogueClient::Loop() {
  auto attempt = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.attempts;
  };
  if (!options_.target_stream.empty()) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    attempt();
    (void)js_DeleteStream(conn_->js, options_.target_stream.c_str(), nullptr, &jerr);
    attempt();
    (void)js_PurgeStream(conn_->js, options_.target_stream.c_str(), nullptr, &jerr);
  }
  uint64_t n = 0;
  Duration next = clock_.Now();
  while (!stop_.load()) {
    if (clock_.Now() < next) {
      // The attempt rate is the scenario's; a short bounded wait keeps Stop responsive.
      clock_.SleepFor(std::min<Duration>(next - clock_.Now(), std::chrono::milliseconds(20)));
      continue;
    }
    next += options_.every;
    ++n;
    bridge::Event ev;
    ev.cluster = options_.target_cluster;
    ev.body.type = bridge::EventType::kNodeOffline;
    ev.body.node = options_.name + "-node";
    ev.body.old_state = "ONLINE";
    ev.body.new_state = "OFFLINE";
    ev.partition_key = bridge::PartitionKey(ev.body);
    ev.sequence = n;
    ev.time_unix_ns = clock_.UnixNanos();
    const std::string payload = bridge::EncodeEvent(ev);
    const std::string subject = ev.NatsSubject();
    attempt();
    natsMsg* msg = nullptr;
    if (natsMsg_Create(&msg, subject.c_str(), nullptr, payload.data(),
                       static_cast<int>(payload.size())) == NATS_OK) {
      natsMsgHeader_Set(msg, bridge::kHeaderMsgId, ev.Id().c_str());
      (void)natsConnection_PublishMsg(conn_->nc, msg);
      natsMsg_Destroy(msg);
    }
  }
}

void RogueClient::Stop(Duration settle) {
  if (stop_.exchange(true)) return;
  if (thread_.joinable()) thread_.join();
  if (conn_ && conn_->nc != nullptr) {
    // PING/PONG: the server has answered every attempt once the flush returns; nats.c then
    // hands the violations to the error handler on its own thread: wait for them (bounded).
    natsConnection_FlushTimeout(conn_->nc, 2000);
    const Duration deadline = clock_.Now() + settle;
    while (clock_.Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stats_.denials >= stats_.attempts) break;
      }
      clock_.SleepFor(std::chrono::milliseconds(10));
    }
  }
  conn_.reset();
}

RogueStats RogueClient::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace lnsim::harness
