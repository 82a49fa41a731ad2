// The JetStream publisher on its own against a real nats-server: per-key order holds while many
// keys interleave, a republished id is absorbed by the duplicate window and counted
// (pubAck->Duplicate), publishes made while nats-server is down are retried in order and land
// after it returns, 503 "no responders" (no stream yet) is retried with backoff until the stream
// exists, a publisher destroyed with acknowledgements outstanding is torn down safely (nats.c
// keeps calling back until it is told otherwise), and the CLI's exit codes for bad usage (2) and
// unreachable NATS (3).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bridge/event.h"
#include "bridge/publisher.h"
#include "bridge/recovery.h"
#include "harness/nats_server.h"
#include "tests/bridge/testutil_bridge.h"
#include "tests/testutil/real_clock.h"

namespace lnsim::bridge {
namespace {

using namespace std::chrono_literals;

OutMessage Msg(const std::string& resource, uint64_t seq, const std::string& cluster = "pub") {
  Event ev;
  ev.cluster = cluster;
  ev.body.type = seq % 2 ? EventType::kVolumeAttached : EventType::kVolumeDetached;
  ev.body.resource = resource;
  ev.body.node = "n1";
  ev.partition_key = PartitionKey(ev.body);
  ev.sequence = seq;
  ev.time_unix_ns = 1;
  OutMessage m;
  m.partition_key = ev.partition_key;
  m.subject = ev.NatsSubject();
  m.payload = EncodeEvent(ev);
  m.msg_id = ev.Id();
  m.sequence = seq;
  m.event_type = static_cast<int>(ev.body.type);
  return m;
}

class PublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = harness::NatsServer::Start(harness::NatsServerOptions(), clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    nats_ = std::move(server).value();
    NatsSettings s;
    s.urls = {nats_->url()};
    auto nc = NatsConnection::Connect(s, &metrics_, nullptr, RealClockForTests());
    ASSERT_TRUE(nc.ok());
    nc_ = std::move(nc).value();
    js_ = nc_->NewJetStream(nullptr);
    StreamSettings ss;
    ss.stream = DefaultStreamName("pub");
    ss.bucket = DefaultBucketName("pub");
    ASSERT_TRUE(EnsureStreamAndBucket(js_, "pub", ss, nullptr).ok());
  }
  void TearDown() override { jsCtx_Destroy(js_); }

  RealClock clock_;
  Metrics metrics_{clock_};
  std::unique_ptr<harness::NatsServer> nats_;
  std::unique_ptr<NatsConnection> nc_;
  jsCtx* js_ = nullptr;
};

// Every event message carries Content-Type: application/cloudevents+json (CloudEvents NATS
// binding, structured mode; docs/events.md "Wire format"), core NATS and JetStream alike, with or
// without the timing header; state-mirror writes (not events) do not.
class ContentTypeTest : public PublisherTest {
 protected:
  void SetUp() override {
    PublisherTest::SetUp();
    ASSERT_EQ(natsConnection_ConnectTo(&listener_, nats_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_SubscribeSync(&sub_, listener_, "linstor.v1.>"), NATS_OK);
    ASSERT_EQ(natsConnection_Flush(listener_), NATS_OK);
  }
  void TearDown() override {
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(listener_);
    PublisherTest::TearDown();
  }
  // Content-Type per subject of the messages on linstor.v1.>, until `want` subjects arrived or
  // none came for 10 s. A resent copy must carry the same header.
  std::map<std::string, std::string> ContentTypes(size_t want) {
    std::map<std::string, std::string> seen;
    natsMsg* m = nullptr;
    while (seen.size() < want && natsSubscription_NextMsg(&m, sub_, 10000) == NATS_OK) {
      const char* value = nullptr;
      std::string content_type;
      if (natsMsgHeader_Get(m, kHeaderContentType, &value) == NATS_OK && value) {
        content_type = value;
      }
      const std::string subject = natsMsg_GetSubject(m);
      if (seen.count(subject)) {
        EXPECT_EQ(seen[subject], content_type) << subject;
      }
      seen[subject] = content_type;
      natsMsg_Destroy(m);
    }
    return seen;
  }

  natsConnection* listener_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

TEST_F(ContentTypeTest, CoreEventsCarryTheHeaderWithAndWithoutTheTimingHeader) {
  for (bool timing : {false, true}) {
    auto pub = NewCorePublisher(nc_.get(), clock_, &metrics_, nullptr, nullptr, timing);
    OutMessage m = Msg(timing ? "timed" : "plain", 1, "core");
    m.observed_unix_ns = 5;
    pub->Enqueue({m});
    ASSERT_EQ(pub->WaitIdle(10s), 0u);
    auto seen = ContentTypes(1);
    EXPECT_EQ(seen[m.subject], kCloudEventsJson) << "timing header " << timing;
    pub->Stop();
  }
}

TEST_F(ContentTypeTest, JetStreamEventsCarryTheHeaderMirrorWritesDoNot) {
  JetStreamPublisherOptions o;
  o.ack_timeout = 200ms;
  auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o, nullptr);
  // Cluster "js": no stream captures it, and the listener answers no request, so the sends
  // reach the listener unacknowledged (an event may be resent; each copy is checked).
  const OutMessage event = Msg("r", 1, "js");
  OutMessage mirror = Msg("m", 1, "js");  // a mirror write: not an event
  mirror.subject = "linstor.v1.js.mirror-write";
  mirror.event_type = -1;
  mirror.sequence = 0;
  mirror.msg_id.clear();
  pub->Enqueue({event, mirror});
  auto seen = ContentTypes(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[event.subject], kCloudEventsJson);
  EXPECT_EQ(seen[mirror.subject], "");
  pub->Stop();
}

TEST_F(PublisherTest, PerKeyOrderAndDuplicatesCounted) {
  std::mutex mu;
  std::map<std::string, uint64_t> last;
  int out_of_order = 0;
  int duplicates = 0;
  JetStreamPublisherOptions o;
  o.max_in_flight = 64;
  auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o,
                                   [&](const OutMessage& m, bool dup, int64_t) {
                                     std::lock_guard<std::mutex> lock(mu);
                                     if (dup) {
                                       ++duplicates;
                                       return;
                                     }
                                     if (m.sequence != last[m.partition_key] + 1) ++out_of_order;
                                     last[m.partition_key] = m.sequence;
                                   });
  std::vector<OutMessage> batch;
  for (uint64_t seq = 1; seq <= 50; ++seq) {
    for (int k = 0; k < 40; ++k) batch.push_back(Msg("r" + std::to_string(k), seq));
  }
  pub->Enqueue(std::move(batch));
  ASSERT_EQ(pub->WaitIdle(30s), 0u);
  // The same ids again: all absorbed by the duplicate window, counted, not re-stored.
  std::vector<OutMessage> again;
  for (int k = 0; k < 40; ++k) again.push_back(Msg("r" + std::to_string(k), 50));
  pub->Enqueue(std::move(again));
  ASSERT_EQ(pub->WaitIdle(30s), 0u);
  pub->Stop();
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(duplicates, 40);
  EXPECT_EQ(metrics_.duplicates(), 40u);
  auto messages = testing::ReadStream(js_, DefaultStreamName("pub"));
  ASSERT_TRUE(messages.ok());
  EXPECT_EQ(messages->size(), 2000u);
}

TEST_F(PublisherTest, PublishesDuringAnOutageLandInOrderAfterwards) {
  JetStreamPublisherOptions o;
  o.ack_timeout = 500ms;
  o.retry_max = 200ms;
  auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o, nullptr);
  nats_->Kill9();
  std::vector<OutMessage> batch;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    for (int k = 0; k < 5; ++k) batch.push_back(Msg("o" + std::to_string(k), seq));
  }
  pub->Enqueue(std::move(batch));
  EXPECT_GT(pub->Outstanding(), 0u);
  ASSERT_TRUE(nats_->Restart().ok());
  ASSERT_EQ(pub->WaitIdle(60s), 0u);
  pub->Stop();
  // (Whether attempts failed depends on timing: nats.c buffers publishes while reconnecting;
  // failed ones are retried. Either way all land, in order.)
  auto messages = testing::ReadStream(js_, DefaultStreamName("pub"));
  ASSERT_TRUE(messages.ok());
  std::vector<Event> events;
  size_t copies = 0;
  EXPECT_EQ(testing::CheckStream(*messages, &events, &copies), "");
  // Stored order per key is the sequence order (a retry never lands after a later event).
  std::map<std::string, uint64_t> last;
  for (const auto& m : *messages) {
    auto ev = DecodeEvent(m.data);
    ASSERT_TRUE(ev.ok());
    EXPECT_GT(ev->sequence, last[ev->partition_key]) << ev->Id();
    last[ev->partition_key] = std::max(last[ev->partition_key], ev->sequence);
  }
  EXPECT_EQ(events.size(), 100u);
}

TEST_F(PublisherTest, NoRespondersAreRetriedInOrderUntilTheStreamExists) {
  // Cluster "late": no stream captures linstor.v1.late.> yet, so every publish gets 503.
  JetStreamPublisherOptions o;
  o.max_in_flight = 16;
  o.retry_min = 5ms;
  o.retry_max = 40ms;
  std::mutex mu;
  std::map<std::string, uint64_t> acked;
  int out_of_order = 0;
  auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o,
                                   [&](const OutMessage& m, bool, int64_t) {
                                     std::lock_guard<std::mutex> lock(mu);
                                     if (m.sequence != acked[m.partition_key] + 1) ++out_of_order;
                                     acked[m.partition_key] = m.sequence;
                                   });
  std::vector<OutMessage> batch;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    for (int k = 0; k < 30; ++k) batch.push_back(Msg("l" + std::to_string(k), seq, "late"));
  }
  pub->Enqueue(std::move(batch));
  const Duration deadline = clock_.Now() + 20s;
  while (metrics_.errors("nats_no_responders") < 30 && clock_.Now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(metrics_.errors("nats_no_responders"), 30u) << metrics_.Render();
  EXPECT_EQ(pub->Outstanding(), 300u);  // nothing dropped, nothing counted as published
  StreamSettings ss;
  ss.stream = DefaultStreamName("late");
  ss.bucket = DefaultBucketName("late");
  ASSERT_TRUE(EnsureStreamAndBucket(js_, "late", ss, nullptr).ok());
  ASSERT_EQ(pub->WaitIdle(60s), 0u);
  pub->Stop();
  EXPECT_EQ(out_of_order, 0);
  auto messages = testing::ReadStream(js_, ss.stream);
  ASSERT_TRUE(messages.ok());
  std::vector<Event> events;
  size_t copies = 0;
  EXPECT_EQ(testing::CheckStream(*messages, &events, &copies), "");
  EXPECT_EQ(events.size(), 300u);
  std::map<std::string, uint64_t> last;
  for (const auto& m : *messages) {
    auto ev = DecodeEvent(m.data);
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(ev->sequence, last[ev->partition_key] + 1) << ev->Id();
    last[ev->partition_key] = ev->sequence;
  }
}

TEST_F(PublisherTest, OverdueAcksAreResentInOrderWithTheSameIds) {
  // A plain subscriber on the subjects and no stream: every publish has a responder that never
  // acknowledges, so only the publisher's own ack deadline can notice (no 503 here).
  natsConnection* listener = nullptr;
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_ConnectTo(&listener, nats_->url().c_str()), NATS_OK);
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, listener, "linstor.v1.silent.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(listener), NATS_OK);
  JetStreamPublisherOptions o;
  o.ack_timeout = 200ms;
  o.retry_min = 10ms;
  o.retry_max = 50ms;
  auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o, nullptr);
  std::vector<OutMessage> batch;
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    for (int k = 0; k < 10; ++k) batch.push_back(Msg("s" + std::to_string(k), seq, "silent"));
  }
  pub->Enqueue(std::move(batch));
  const Duration deadline = clock_.Now() + 20s;
  while (metrics_.errors("nats_ack_timeout") < 20 && clock_.Now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(metrics_.errors("nats_ack_timeout"), 20u) << metrics_.Render();
  EXPECT_EQ(pub->Outstanding(), 50u);
  // The heads were sent more than once with the same Msg-Id, never a later event of a key.
  std::map<std::string, std::set<std::string>> ids_per_key;
  for (;;) {
    natsMsg* m = nullptr;
    if (natsSubscription_NextMsg(&m, sub, 0) != NATS_OK) break;
    const char* key = nullptr;
    const char* id = nullptr;
    natsMsgHeader_Get(m, kHeaderPartitionKey, &key);
    natsMsgHeader_Get(m, kHeaderMsgId, &id);
    if (key != nullptr && id != nullptr) ids_per_key[key].insert(id);
    natsMsg_Destroy(m);
  }
  EXPECT_EQ(ids_per_key.size(), 10u);
  for (const auto& [key, ids] : ids_per_key) EXPECT_EQ(ids.size(), 1u) << key;
  StreamSettings ss;
  ss.stream = DefaultStreamName("silent");
  ss.bucket = DefaultBucketName("silent");
  ASSERT_TRUE(EnsureStreamAndBucket(js_, "silent", ss, nullptr).ok());
  ASSERT_EQ(pub->WaitIdle(60s), 0u);
  pub->Stop();
  auto messages = testing::ReadStream(js_, ss.stream);
  ASSERT_TRUE(messages.ok());
  std::vector<Event> events;
  size_t copies = 0;
  EXPECT_EQ(testing::CheckStream(*messages, &events, &copies), "");
  EXPECT_EQ(events.size(), 50u);
  std::map<std::string, uint64_t> last;
  for (const auto& m : *messages) {
    auto ev = DecodeEvent(m.data);
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(ev->sequence, last[ev->partition_key] + 1) << ev->Id();
    last[ev->partition_key] = ev->sequence;
  }
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(listener);
}

TEST_F(PublisherTest, DestroyedWithAcknowledgementsOutstandingIsSafe) {
  // Acks still on their way (or never coming: the server is killed) when the publisher goes.
  // nats.c would call the ack handler with the freed publisher; the destructor takes the
  // pending messages back and waits for running callbacks (ASan/UBSan builds check the rest).
  for (int round = 0; round < 5; ++round) {
    JetStreamPublisherOptions o;
    o.max_in_flight = 256;
    std::atomic<int> done{0};
    auto pub = NewJetStreamPublisher(nc_.get(), clock_, &metrics_, nullptr, o,
                                     [&](const OutMessage&, bool, int64_t) { done.fetch_add(1); });
    std::vector<OutMessage> batch;
    for (int k = 0; k < 1000; ++k) {
      batch.push_back(Msg("d" + std::to_string(k), static_cast<uint64_t>(round) + 1));
    }
    pub->Enqueue(std::move(batch));
    if (round == 4) nats_->Kill9();
    pub.reset();
    const int after = done.load();
    EXPECT_LE(after, 1000);
    // No callback after destruction: the counter stays where the destructor left it while
    // the connection keeps receiving (or reconnecting).
    natsConnection_FlushTimeout(nc_->conn(), 500);
    EXPECT_EQ(done.load(), after);
  }
}

TEST(BridgeCliTest, ExitCodes) {
  RealClock clock;
  auto run = [&](std::vector<std::string> args) {
    auto child = testing::StartBridge(args, "/dev/null", clock);
    EXPECT_TRUE(child.ok());
    auto status = (*child)->Wait(30s);
    EXPECT_TRUE(status.ok());
    return status->exited ? status->code : -1;
  };
  EXPECT_EQ(run({"--nats", "nats://127.0.0.1:1", "--cluster", "c"}), 2);  // no --linstor
  EXPECT_EQ(run({"--linstor", "x", "--nats", "nats://127.0.0.1:1", "--cluster", "c",
                 "--poll-interval", "10"}),
            2);  // a duration without unit
  EXPECT_EQ(run({"--linstor", "127.0.0.1:1", "--nats", "nats://127.0.0.1:1", "--cluster", "c"}),
            3);  // NATS unreachable
}

}  // namespace
}  // namespace lnsim::bridge
