// Least-privilege NATS auth against the real nats-server in operator mode (MEMORY resolver,
// accounts preloaded) with the JWTs and creds of `lnsim auth init` (harness/nats_auth.h). Every
// permission boundary is shown from both sides: what a user may do works, what it may not do is
// refused by the server (a "Permissions Violation" the client sees asynchronously) and has no
// effect (no message reaches a subscriber or the stream).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "bridge/event.h"
#include "bridge/publisher.h"
#include "bridge/recovery.h"
#include "common/clock.h"
#include "common/nkeys.h"
#include "harness/consumer.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_auth.h"
#include "harness/nats_server.h"
#include "tests/testutil/real_clock.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string TempDir() {
  std::string tmpl = "/tmp/lnsim-auth-itest-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

// One connection with a user's creds that records the server's asynchronous errors.
class Client {
 public:
  static std::unique_ptr<Client> Connect(const std::string& url, const std::string& creds,
                                         Status* status, const std::string& inbox_prefix = "") {
    std::unique_ptr<Client> c(new Client());
    c->auth_.creds_file = creds;
    c->auth_.inbox_prefix = inbox_prefix;
    c->auth_.on_async_error = [raw = c.get()](natsStatus s, const std::string& text) {
      std::lock_guard<std::mutex> lock(raw->mu_);
      if (s == NATS_NOT_PERMITTED || text.find("Permissions Violation") != std::string::npos) {
        raw->violations_.push_back(text);
      }
      raw->cv_.notify_all();
    };
    auto nc = internal::ConnectNats(url, "auth-itest", c->auth_);
    if (!nc.ok()) {
      *status = nc.status();
      return nullptr;
    }
    c->nc_ = *nc;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 1500;  // a denied API request is never answered: fail fast
    natsConnection_JetStream(&c->js_, c->nc_, &jo);
    *status = OkStatus();
    return c;
  }
  ~Client() {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
  }
  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }

  // Waits (bounded) until a violation mentioning `needle` arrived.
  bool WaitViolation(const std::string& needle, Duration timeout = seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const auto& v : violations_) {
        if (v.find(needle) != std::string::npos) return true;
      }
      return false;
    });
  }
  bool WaitViolationCount(size_t n, Duration timeout = seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return violations_.size() >= n; });
  }
  size_t violations() {
    std::lock_guard<std::mutex> lock(mu_);
    return violations_.size();
  }
  std::string ViolationsText() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& v : violations_) out += v + "\n";
    return out;
  }

 private:
  Client() = default;
  internal::NatsClientAuth auth_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> violations_;
};

class AuthItest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_FALSE(dir_.empty());
    AuthInitOptions o;
    o.dir = dir_ + "/auth";
    o.clusters = {{"a", "", ""}, {"b", "", ""}};
    auto r = InitAuth(o, clock_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auth_ = *r;
    NatsServerOptions so;
    so.work_dir = dir_ + "/nats";
    so.config_file = auth_.server_conf;
    auto server = NatsServer::Start(so, clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    admin_ = Connect("admin");
    ASSERT_NE(admin_, nullptr);
  }
  void TearDown() override {
    admin_.reset();
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<Client> Connect(const std::string& user) {
    Status st;
    auto c =
        Client::Connect(server_->url(), auth_.creds.at(user), &st, auth_.inbox_prefix.at(user));
    EXPECT_TRUE(st.ok()) << user << ": " << st.ToString();
    return c;
  }

  // Creates cluster `cluster`'s stream and bucket with `client`'s connection, as the bridge does.
  Status EnsureStream(Client& client, const std::string& cluster) {
    bridge::StreamSettings ss;
    ss.stream = bridge::DefaultStreamName(cluster);
    ss.bucket = bridge::DefaultBucketName(cluster);
    return bridge::EnsureStreamAndBucket(client.js(), cluster, ss, nullptr);
  }

  uint64_t StreamMessages(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&si, admin_->js(), stream.c_str(), nullptr, &jerr) != NATS_OK) {
      ADD_FAILURE() << "no stream " << stream;
      return 0;
    }
    const uint64_t n = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    return n;
  }

  // Reads `sub` until `marker` arrives (bounded); returns the payloads before it.
  std::vector<std::string> ReadUntil(natsSubscription* sub, const std::string& marker) {
    std::vector<std::string> out;
    const Duration deadline = clock_.Now() + seconds(5);
    while (clock_.Now() < deadline) {
      natsMsg* m = nullptr;
      if (natsSubscription_NextMsg(&m, sub, 200) != NATS_OK) continue;
      std::string data(natsMsg_GetData(m), natsMsg_GetDataLength(m));
      natsMsg_Destroy(m);
      if (data == marker) return out;
      out.push_back(data);
    }
    ADD_FAILURE() << "marker " << marker << " never arrived";
    return out;
  }

  RealClock clock_;
  std::string dir_;
  AuthInitResult auth_;
  std::unique_ptr<NatsServer> server_;
  std::unique_ptr<Client> admin_;
};

TEST_F(AuthItest, BridgePublishesItsClusterButNotAnotherClusters) {
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, admin_->nc(), "linstor.v1.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(admin_->nc()), NATS_OK);
  auto bridge_a = Connect("bridge-a");
  ASSERT_NE(bridge_a, nullptr);
  ASSERT_EQ(natsConnection_PublishString(bridge_a->nc(), "linstor.v1.a.node.n1.online", "own"),
            NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(bridge_a->nc(), "linstor.v1.b.node.n1.online", "rogue"),
            NATS_OK);
  natsConnection_Flush(bridge_a->nc());
  EXPECT_TRUE(bridge_a->WaitViolation(
      "Permissions Violation for Publish to \"linstor.v1.b.node.n1.online\""));
  // The server handles one connection's messages in order: once the violation came back, the
  // allowed message was routed and the refused one never will be. A marker closes the window.
  ASSERT_EQ(natsConnection_PublishString(admin_->nc(), "linstor.v1.zz.marker", "marker"), NATS_OK);
  const auto got = ReadUntil(sub, "marker");
  EXPECT_EQ(got, std::vector<std::string>{"own"});
  EXPECT_EQ(bridge_a->violations(), 1u);
  natsSubscription_Destroy(sub);
}

TEST_F(AuthItest, BridgeCannotSubscribeToEvents) {
  auto bridge_a = Connect("bridge-a");
  ASSERT_NE(bridge_a, nullptr);
  natsSubscription* all = nullptr;
  natsSubscription* own = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&all, bridge_a->nc(), "linstor.v1.>"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&own, bridge_a->nc(), "linstor.v1.a.>"), NATS_OK);
  natsConnection_Flush(bridge_a->nc());
  // Two refusals. nats.c hands the callback only a status; the text is the connection's last
  // error when the callback runs, so two quick ones may both read the second text.
  EXPECT_TRUE(bridge_a->WaitViolationCount(2));
  EXPECT_TRUE(bridge_a->WaitViolation("Permissions Violation for Subscription to \"linstor.v1."));
  // Nothing published on those subjects reaches the refused subscriptions.
  ASSERT_EQ(natsConnection_PublishString(bridge_a->nc(), "linstor.v1.a.node.n1.online", "x"),
            NATS_OK);
  natsConnection_Flush(bridge_a->nc());
  natsMsg* m = nullptr;
  EXPECT_EQ(natsSubscription_NextMsg(&m, own, 300), NATS_TIMEOUT);
  natsSubscription_Destroy(all);
  natsSubscription_Destroy(own);
}

TEST_F(AuthItest, BridgeUsesItsJetStreamApiButNotAnotherClustersNorDeletes) {
  auto bridge_a = Connect("bridge-a");
  ASSERT_NE(bridge_a, nullptr);
  // Allowed: exactly what the bridge calls at start-up and during recovery.
  ASSERT_TRUE(EnsureStream(*bridge_a, "a").ok());
  jsPubAck* ack = nullptr;
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = "a/r1/1";
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(
      js_Publish(&ack, bridge_a->js(), "linstor.v1.a.resource.r1.created", "{}", 2, &po, &jerr),
      NATS_OK);
  EXPECT_EQ(std::string(ack->Stream), "LINSTOR_A");
  jsPubAck_Destroy(ack);
  bridge::StreamSettings ss;
  ss.stream = "LINSTOR_A";
  ss.bucket = bridge::DefaultBucketName("a");
  auto rec = bridge::Recover(bridge_a->nc(), bridge_a->js(), "a", ss, nullptr);
  EXPECT_TRUE(rec.ok()) << rec.status().ToString() << "\n" << bridge_a->ViolationsText();
  natsMsg* last = nullptr;
  EXPECT_EQ(js_GetLastMsg(&last, bridge_a->js(), "LINSTOR_A", "linstor.v1.a.resource.r1.created",
                          nullptr, &jerr),
            NATS_OK);
  natsMsg_Destroy(last);
  // Refused: another cluster's stream, deleting or purging its own stream.
  EXPECT_THAT(EnsureStream(*bridge_a, "b"), StatusIs(StatusCode::kUnavailable));
  EXPECT_TRUE(bridge_a->WaitViolation("$JS.API.STREAM.INFO.LINSTOR_B"));
  EXPECT_NE(js_DeleteStream(bridge_a->js(), "LINSTOR_A", nullptr, &jerr), NATS_OK);
  EXPECT_TRUE(bridge_a->WaitViolation("$JS.API.STREAM.DELETE.LINSTOR_A"));
  EXPECT_NE(js_PurgeStream(bridge_a->js(), "LINSTOR_A", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(StreamMessages("LINSTOR_A"), 1u);
}

TEST_F(AuthItest, ConsumerConsumesButCannotPublishEventsNorManageStreams) {
  auto bridge_a = Connect("bridge-a");
  ASSERT_NE(bridge_a, nullptr);
  ASSERT_TRUE(EnsureStream(*bridge_a, "a").ok());
  jsErrCode jerr = static_cast<jsErrCode>(0);
  for (int i = 1; i <= 3; ++i) {
    const std::string body = R"({"id":"a/r1/)" + std::to_string(i) + R"("})";
    ASSERT_EQ(js_Publish(nullptr, bridge_a->js(), "linstor.v1.a.resource.r1.created", body.data(),
                         static_cast<int>(body.size()), nullptr, &jerr),
              NATS_OK);
  }
  // Allowed: a durable pull consumer with AckSync, as the harness runs it.
  DeliveryQueue queue(clock_);
  ConsumerOptions co;
  co.name = "js-auth";
  co.mode = ConsumerMode::kJetStreamAckSync;
  co.url = server_->url();
  co.creds_file = auth_.creds.at("consumer");
  co.inbox_prefix = auth_.inbox_prefix.at("consumer");
  co.subject = "linstor.v1.a.>";
  co.stream = "LINSTOR_A";
  auto consumer = Consumer::Start(co, 0, clock_, &queue);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  std::vector<Delivery> got;
  const Duration deadline = clock_.Now() + seconds(10);
  while (got.size() < 3 && clock_.Now() < deadline) queue.PopAll(&got, milliseconds(200));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].id, "a/r1/1");
  while ((*consumer)->stats().acks < 3 && clock_.Now() < deadline) {
    queue.PopAll(&got, milliseconds(50));
  }
  EXPECT_EQ((*consumer)->stats().acks, 3u);
  EXPECT_EQ((*consumer)->stats().ack_failures, 0u);
  (*consumer)->Stop();

  // Refused: publishing events (core and JetStream), the state mirror, stream management.
  auto rogue = Connect("consumer");
  ASSERT_NE(rogue, nullptr);
  ASSERT_EQ(natsConnection_PublishString(rogue->nc(), "linstor.v1.a.resource.r1.created",
                                         R"({"id":"a/r1/99"})"),
            NATS_OK);
  natsConnection_Flush(rogue->nc());
  EXPECT_TRUE(rogue->WaitViolation("Publish to \"linstor.v1.a.resource.r1.created\""));
  EXPECT_NE(
      js_Publish(nullptr, rogue->js(), "linstor.v1.a.resource.r1.created", "{}", 2, nullptr, &jerr),
      NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(rogue->nc(), "$KV.linstor_a_state.x", "y"), NATS_OK);
  natsConnection_Flush(rogue->nc());
  EXPECT_TRUE(rogue->WaitViolation("Publish to \"$KV.linstor_a_state.x\""));
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = "STEAL";
  const char* subjects[] = {"linstor.v1.b.>"};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  EXPECT_NE(js_AddStream(nullptr, rogue->js(), &cfg, nullptr, &jerr), NATS_OK);
  EXPECT_TRUE(rogue->WaitViolation("$JS.API.STREAM.CREATE.STEAL"));
  EXPECT_NE(js_DeleteStream(rogue->js(), "LINSTOR_A", nullptr, &jerr), NATS_OK);
  EXPECT_TRUE(rogue->WaitViolation("$JS.API.STREAM.DELETE.LINSTOR_A"));
  // The stream holds exactly the bridge's three events.
  EXPECT_EQ(StreamMessages("LINSTOR_A"), 3u);
}

TEST_F(AuthItest, CoreConsumerSubscribesToEventsOfItsClusters) {
  auto bridge_a = Connect("bridge-a");
  auto consumer = Connect("consumer");
  ASSERT_NE(bridge_a, nullptr);
  ASSERT_NE(consumer, nullptr);
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, consumer->nc(), "linstor.v1.a.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(consumer->nc()), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(bridge_a->nc(), "linstor.v1.a.node.n1.online", "e"),
            NATS_OK);
  natsMsg* m = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&m, sub, 5000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(m)), "e");
  natsMsg_Destroy(m);
  EXPECT_EQ(consumer->violations(), 0u);
  natsSubscription_Destroy(sub);
}

// Replies are private: each user subscribes only its own inbox prefix, so a bridge cannot read
// the pull deliveries (events of every cluster) that come to the consumer's inbox, nor another
// bridge's acknowledgements.
TEST_F(AuthItest, EachUserReadsOnlyItsOwnInbox) {
  EXPECT_EQ(auth_.inbox_prefix.at("bridge-a"), "_INBOX_bridge-a");
  EXPECT_EQ(auth_.inbox_prefix.at("consumer"), "_INBOX_consumer");
  auto bridge_a = Connect("bridge-a");
  auto consumer = Connect("consumer");
  ASSERT_NE(bridge_a, nullptr);
  ASSERT_NE(consumer, nullptr);
  natsSubscription* subs[4] = {};
  ASSERT_EQ(natsConnection_SubscribeSync(&subs[0], bridge_a->nc(), "_INBOX.>"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&subs[1], bridge_a->nc(), "_INBOX_consumer.>"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&subs[2], consumer->nc(), "_INBOX_bridge-a.>"), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&subs[3], consumer->nc(), "_INBOX_bridge-b.>"), NATS_OK);
  natsConnection_Flush(bridge_a->nc());
  natsConnection_Flush(consumer->nc());
  EXPECT_TRUE(bridge_a->WaitViolationCount(2));
  EXPECT_TRUE(consumer->WaitViolationCount(2));
  EXPECT_TRUE(bridge_a->WaitViolation("Subscription to \"_INBOX"));
  EXPECT_TRUE(consumer->WaitViolation("Subscription to \"_INBOX_bridge-"));
  for (natsSubscription* s : subs) natsSubscription_Destroy(s);
  // Its own inbox works: a JetStream request round-trips (the reply comes to _INBOX_bridge-a).
  EXPECT_TRUE(EnsureStream(*bridge_a, "a").ok());
  // Connected without its prefix, the bridge user gets no replies at all.
  Status st;
  auto no_prefix = Client::Connect(server_->url(), auth_.creds.at("bridge-a"), &st);
  ASSERT_NE(no_prefix, nullptr) << st.ToString();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  EXPECT_NE(js_GetStreamInfo(&si, no_prefix->js(), "LINSTOR_A", nullptr, &jerr), NATS_OK);
  jsStreamInfo_Destroy(si);
}

TEST_F(AuthItest, CredsFilesAreOwnerOnly) {
  struct stat st {};
  ASSERT_EQ(stat(auth_.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(auth_.creds.size(), 4u);  // bridge-a, bridge-b, consumer, admin
  for (const auto& [user, path] : auth_.creds) {
    ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  for (const auto& entry : fs::directory_iterator(auth_.dir + "/keys")) {
    ASSERT_EQ(stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << entry.path();
  }
}

TEST_F(AuthItest, UnsignedForeignOrTamperedUserJwtIsRejected) {
  std::ifstream in(auth_.creds.at("bridge-a"));
  std::stringstream text;
  text << in.rdbuf();
  auto creds = ParseCreds(text.str());
  ASSERT_TRUE(creds.ok());
  auto try_connect = [&](const std::string& jwt, const std::string& name) {
    const std::string path = dir_ + "/" + name + ".creds";
    std::ofstream(path) << CredsText(jwt, creds->seed);
    Status st;
    auto c = Client::Connect(server_->url(), path, &st);
    return st;
  };
  // Signed by an account the server does not know.
  auto foreign = nkeys::KeyPair::Generate(nkeys::KeyType::kAccount);
  auto user = nkeys::KeyPair::FromSeed(creds->seed);
  ASSERT_TRUE(foreign.ok() && user.ok());
  Status st = try_connect(
      UserJwt(*foreign, user->PublicKey(), "x", {{">"}, {}, {">"}, {}}, UnixSeconds(clock_)),
      "foreign");
  EXPECT_THAT(st, StatusIs(StatusCode::kUnavailable, HasSubstr("Authorization Violation")));
  // Widened claims with the original signature.
  const size_t a = creds->jwt.find('.'), b = creds->jwt.rfind('.');
  auto claims = DecodeJwt(creds->jwt);
  ASSERT_TRUE(claims.ok());
  claims->claims["nats"]["pub"]["allow"] = {">"};
  const std::string tampered = creds->jwt.substr(0, a + 1) +
                               nkeys::Base64UrlEncode(claims->claims.dump()) + creds->jwt.substr(b);
  EXPECT_THAT(try_connect(tampered, "tampered"), StatusIs(StatusCode::kUnavailable));
  // No signature at all.
  EXPECT_THAT(try_connect(creds->jwt.substr(0, b + 1), "unsigned"),
              StatusIs(StatusCode::kUnavailable));
  // The genuine one still works.
  EXPECT_TRUE(try_connect(creds->jwt, "genuine").ok());
}

// User/password and nkey users (no operator): the way many live servers are configured.
TEST(AuthPlainUsersItest, UserPasswordInUrlAndNkeySeedConnect) {
  RealClock clock;
  const std::string dir = TempDir();
  auto user = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  ASSERT_TRUE(user.ok());
  const std::string seed_file = dir + "/user.nk";
  std::ofstream(seed_file) << user->Seed() << "\n";
  std::ofstream(dir + "/server.conf")
      << "authorization {\n  users = [\n    {user: bridge, password: s3cret}\n    {nkey: "
      << user->PublicKey() << "}\n  ]\n}\n";
  NatsServerOptions so;
  so.work_dir = dir + "/nats";
  so.config_file = dir + "/server.conf";
  auto server = NatsServer::Start(so, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string hostport = (*server)->url().substr(strlen("nats://"));
  // Password in the URL (nats.c sends the URL's user info).
  auto ok = internal::ConnectNats("nats://bridge:s3cret@" + hostport, "pw");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  natsConnection_Destroy(*ok);
  EXPECT_THAT(internal::ConnectNats("nats://bridge:wrong@" + hostport, "pw"),
              StatusIs(StatusCode::kUnavailable));
  EXPECT_THAT(internal::ConnectNats((*server)->url(), "anonymous"),
              StatusIs(StatusCode::kUnavailable));
  // The bridge's own connection takes the same URL.
  bridge::NatsSettings ns;
  ns.urls = {"nats://bridge:s3cret@" + hostport};
  ns.connect_timeout = seconds(3);
  auto bc = bridge::NatsConnection::Connect(ns, nullptr, nullptr, RealClockForTests());
  EXPECT_TRUE(bc.ok()) << bc.status().ToString();
  if (bc.ok()) bc->reset();
  // An nkey user proves itself by signing the server's nonce with its seed.
  internal::NatsClientAuth auth;
  auth.nkey_seed_file = seed_file;
  auto nk = internal::ConnectNats((*server)->url(), "nkey", auth);
  ASSERT_TRUE(nk.ok()) << nk.status().ToString();
  natsConnection_Destroy(*nk);
  auto other = nkeys::KeyPair::Generate(nkeys::KeyType::kUser);
  std::ofstream(dir + "/other.nk") << other->Seed() << "\n";
  auth.nkey_seed_file = dir + "/other.nk";
  EXPECT_THAT(internal::ConnectNats((*server)->url(), "nkey", auth),
              StatusIs(StatusCode::kUnavailable));
  // The bridge's --nkey-seed: allowed with the user's seed, refused with another's.
  bridge::NatsSettings nks;
  nks.urls = {(*server)->url()};
  nks.connect_timeout = seconds(3);
  nks.nkey_seed_file = seed_file;
  auto bn = bridge::NatsConnection::Connect(nks, nullptr, nullptr, RealClockForTests());
  EXPECT_TRUE(bn.ok()) << bn.status().ToString();
  if (bn.ok()) bn->reset();
  nks.nkey_seed_file = dir + "/other.nk";
  EXPECT_THAT(bridge::NatsConnection::Connect(nks, nullptr, nullptr, RealClockForTests()),
              StatusIs(StatusCode::kUnavailable));
  std::ofstream(dir + "/bad.nk") << "SUNOTASEED\n";
  nks.nkey_seed_file = dir + "/bad.nk";
  auto bad = bridge::NatsConnection::Connect(nks, nullptr, nullptr, RealClockForTests());
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument));
  server->reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace lnsim::harness

namespace lnsim::harness {
namespace {

// A consumer user may create consumers, and a push consumer's deliver subject is chosen by its
// creator: it must not become a way to publish through the server into the event subjects (the
// server refuses a cycle into the same stream) nor into the state mirror's bucket.
TEST_F(AuthItest, ConsumerCannotDeliverIntoEventSubjectsNorTheStateMirror) {
  auto bridge_a = Connect("bridge-a");
  ASSERT_NE(bridge_a, nullptr);
  ASSERT_TRUE(EnsureStream(*bridge_a, "a").ok());
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_Publish(nullptr, bridge_a->js(), "linstor.v1.a.resource.r1.created", "{}", 2,
                       nullptr, &jerr),
            NATS_OK);
  const uint64_t kv_before = StreamMessages("KV_linstor_a_state");
  auto rogue = Connect("consumer");
  ASSERT_NE(rogue, nullptr);
  int n = 0;
  for (const char* deliver : {"linstor.v1.a.node.n9.online", "$KV.linstor_a_state.resource.r1"}) {
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    const std::string durable = "loop" + std::to_string(++n);
    cc.Durable = durable.c_str();
    cc.DeliverSubject = deliver;
    cc.AckPolicy = js_AckNone;
    jsConsumerInfo* ci = nullptr;
    const natsStatus s = js_AddConsumer(&ci, rogue->js(), "LINSTOR_A", &cc, nullptr, &jerr);
    jsConsumerInfo_Destroy(ci);
    // nats-server 2.9.10 refuses the first (10081: deliver subject forms a cycle) and creates
    // the second; either way nothing may be stored below.
    (void)s;
  }
  // Anything the server delivered has been stored by now once a later request round-trips.
  natsConnection_Flush(rogue->nc());
  natsConnection_Flush(admin_->nc());
  // A negative can only be shown over a window: watch both streams for 2 s.
  const Duration until = clock_.Now() + seconds(2);
  while (clock_.Now() < until && StreamMessages("LINSTOR_A") == 1u &&
         StreamMessages("KV_linstor_a_state") == kv_before) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(StreamMessages("LINSTOR_A"), 1u);
  EXPECT_EQ(StreamMessages("KV_linstor_a_state"), kv_before);
}

}  // namespace
}  // namespace lnsim::harness
