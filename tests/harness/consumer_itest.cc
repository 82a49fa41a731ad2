// Consumers against a real nats-server: core delivery, JetStream durable pull with dedup,
// redelivery after a consumer crash (raw count vs effective duplicates), AckSync.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <map>
#include <thread>

#include "common/clock.h"
#include "harness/consumer.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_server.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Envelope(const std::string& id) {
  return R"({"specversion":"1.0","id":")" + id + R"(","data":{"id":"not-this"}})";
}

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = NatsServer::Start(NatsServerOptions{}, clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto nc = internal::ConnectNats(server_->url(), "test-publisher");
    ASSERT_TRUE(nc.ok());
    nc_ = *nc;
    ASSERT_EQ(natsConnection_JetStream(&js_, nc_, nullptr), NATS_OK);
  }
  void TearDown() override {
    if (js_) jsCtx_Destroy(js_);
    if (nc_) natsConnection_Destroy(nc_);
  }

  void AddStream() {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "EVENTS";
    const char* subjects[] = {"linstor.v1.>"};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_AddStream(nullptr, js_, &config, nullptr, &jerr), NATS_OK) << jerr;
  }

  // Publishes with the id only in the payload (no Nats-Msg-Id, so JetStream keeps duplicates).
  void PublishJs(const std::string& id) {
    const std::string body = Envelope(id);
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_Publish(nullptr, js_, "linstor.v1.c.node.n1.online", body.data(),
                         static_cast<int>(body.size()), nullptr, &jerr),
              NATS_OK);
  }

  // Collects deliveries until `count` arrived or the deadline passed.
  std::vector<Delivery> Collect(size_t count, Duration timeout = seconds(15)) {
    std::vector<Delivery> out;
    const Duration deadline = clock_.Now() + timeout;
    while (out.size() < count && clock_.Now() < deadline) queue_.PopAll(&out, milliseconds(50));
    return out;
  }

  RealClock clock_;
  std::unique_ptr<NatsServer> server_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  DeliveryQueue queue_{clock_};
};

TEST(EnvelopeIdTest, ReadsTheTopLevelIdOnly) {
  EXPECT_EQ(EnvelopeIdFromJson(R"({"data":{"id":"inner"},"id":"outer"})"), "outer");
  EXPECT_EQ(EnvelopeIdFromJson(R"({"x":"\"id\":\"fake\"","id":"a\/b"})"), "a/b");
  EXPECT_EQ(EnvelopeIdFromJson(R"({"specversion":"1.0"})"), "");
  EXPECT_EQ(EnvelopeIdFromJson("not json"), "");
}

TEST_F(ConsumerTest, CoreSubscriberReceivesWithHeadersAndDeliveryTime) {
  ConsumerOptions options;
  options.name = "core-1";
  options.url = server_->url();
  auto consumer = Consumer::Start(options, 7, clock_, &queue_);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  const int64_t before = clock_.UnixNanos();
  for (int i = 0; i < 3; ++i) {
    natsMsg* msg = nullptr;
    const std::string body = Envelope("c/node.n1/" + std::to_string(i + 1));
    ASSERT_EQ(natsMsg_Create(&msg, "linstor.v1.c.node.n1.online", nullptr, body.data(),
                             static_cast<int>(body.size())),
              NATS_OK);
    natsMsgHeader_Set(msg, "Nats-Msg-Id", ("hdr-" + std::to_string(i + 1)).c_str());
    natsMsgHeader_Set(msg, "Lnsim-Observed-Unix-Ns", "12345");
    ASSERT_EQ(natsConnection_PublishMsg(nc_, msg), NATS_OK);
    natsMsg_Destroy(msg);
  }
  // The same id again: core does not deduplicate, so it is processed twice (reported honestly).
  ASSERT_EQ(natsConnection_PublishString(nc_, "linstor.v1.c.node.n1.online",
                                         Envelope("c/node.n1/1").c_str()),
            NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc_, "linstor.v1.c.node.n1.online",
                                         Envelope("c/node.n1/1").c_str()),
            NATS_OK);
  natsConnection_Flush(nc_);
  auto got = Collect(5);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].id, "hdr-1");  // the header wins over the payload
  EXPECT_EQ(got[0].observed_unix_ns, 12345);
  EXPECT_EQ(got[0].consumer, 7u);
  EXPECT_GE(got[0].delivered_unix_ns, before);
  EXPECT_EQ(got[0].subject, "linstor.v1.c.node.n1.online");
  EXPECT_EQ(got[3].id, "c/node.n1/1");
  EXPECT_TRUE(got[3].processed);
  EXPECT_TRUE(got[4].processed);
  EXPECT_EQ((*consumer)->stats().dedup_dropped, 0u);
}

TEST_F(ConsumerTest, JetStreamAckDeduplicatesByEventId) {
  AddStream();
  for (const char* id : {"c/r/1", "c/r/2", "c/r/2", "c/r/3"}) PublishJs(id);
  ConsumerOptions options;
  options.name = "js-1";
  options.mode = ConsumerMode::kJetStreamAck;
  options.url = server_->url();
  options.stream = "EVENTS";
  auto consumer = Consumer::Start(options, 0, clock_, &queue_);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  auto got = Collect(4);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[2].id, "c/r/2");
  EXPECT_FALSE(got[2].processed) << "the second c/r/2 must be dropped by dedup";
  EXPECT_TRUE(got[3].processed);
  EXPECT_EQ(got[3].stream_sequence, 4u);
  EXPECT_EQ(got[0].num_delivered, 1u);
  const ConsumerStats stats = (*consumer)->stats();
  EXPECT_EQ(stats.processed, 3u);
  EXPECT_EQ(stats.dedup_dropped, 1u);
}

// A consumer crashes between processing and acking; its successor on the same durable gets the
// message again (raw redelivery). With the dedup state kept, the redelivery is dropped; with it
// lost, it is processed again: an effective duplicate.
TEST_F(ConsumerTest, RedeliveryAfterCrashIsDroppedWhenDedupStateIsKept) {
  AddStream();
  for (int i = 1; i <= 5; ++i) PublishJs("c/r/" + std::to_string(i));
  ConsumerOptions options;
  options.name = "js-crash";
  options.mode = ConsumerMode::kJetStreamAckSync;
  options.url = server_->url();
  options.stream = "EVENTS";
  options.ack_wait = milliseconds(300);
  options.crash_after_processed = 3;
  auto first = Consumer::Start(options, 0, clock_, &queue_);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto before_crash = Collect(3);
  ASSERT_EQ(before_crash.size(), 3u);
  const Duration deadline = clock_.Now() + seconds(10);
  while (!(*first)->crashed() && clock_.Now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));  // polling pause
  }
  ASSERT_TRUE((*first)->crashed());
  EXPECT_EQ((*first)->stats().acks, 2u);
  auto dedup = (*first)->dedup_set();
  (*first)->Stop();

  options.crash_after_processed = 0;
  options.dedup_set = dedup;  // the application kept its dedup state
  auto second = Consumer::Start(options, 1, clock_, &queue_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto after = Collect(3);
  ASSERT_EQ(after.size(), 3u);
  std::map<std::string, Delivery> by_id;
  for (auto& d : after) by_id[d.id] = d;
  ASSERT_TRUE(by_id.count("c/r/3"));
  EXPECT_GE(by_id["c/r/3"].num_delivered, 2u);
  EXPECT_FALSE(by_id["c/r/3"].processed);
  EXPECT_TRUE(by_id["c/r/4"].processed);
  EXPECT_TRUE(by_id["c/r/5"].processed);
  // The ack follows the hand-off: wait (bounded) for it.
  const Duration ack_deadline = clock_.Now() + seconds(10);
  while ((*second)->stats().acks < 3 && clock_.Now() < ack_deadline) {
    std::this_thread::sleep_for(milliseconds(5));  // polling pause
  }
  EXPECT_EQ((*second)->stats().acks, 3u);
}

TEST_F(ConsumerTest, RedeliveryAfterCrashIsAnEffectiveDuplicateWhenDedupStateIsLost) {
  AddStream();
  for (int i = 1; i <= 3; ++i) PublishJs("c/r/" + std::to_string(i));
  ConsumerOptions options;
  options.name = "js-lost";
  options.mode = ConsumerMode::kJetStreamAck;
  options.url = server_->url();
  options.stream = "EVENTS";
  options.ack_wait = milliseconds(300);
  options.crash_after_processed = 2;
  auto first = Consumer::Start(options, 0, clock_, &queue_);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(Collect(2).size(), 2u);
  (*first)->Stop();
  options.crash_after_processed = 0;
  options.dedup_set = nullptr;  // a fresh, empty dedup state
  auto second = Consumer::Start(options, 1, clock_, &queue_);
  ASSERT_TRUE(second.ok());
  auto after = Collect(2);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].id, "c/r/2");
  EXPECT_GE(after[0].num_delivered, 2u);
  EXPECT_TRUE(after[0].processed) << "processed again: the verifier counts it as a duplicate";
}

TEST_F(ConsumerTest, PipelinedAcksAreAllConfirmedAndNothingStaysPending) {
  AddStream();
  constexpr int kMessages = 300;
  for (int i = 1; i <= kMessages; ++i) PublishJs("c/r/" + std::to_string(i));
  ConsumerOptions options;
  options.name = "js-pipe";
  options.mode = ConsumerMode::kJetStreamAckPipelined;
  options.url = server_->url();
  options.stream = "EVENTS";
  options.max_unconfirmed_acks = 64;  // smaller than the backlog: back-pressure is exercised
  auto consumer = Consumer::Start(options, 0, clock_, &queue_);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  ASSERT_EQ(Collect(kMessages).size(), static_cast<size_t>(kMessages));
  const Duration deadline = clock_.Now() + seconds(15);
  while ((*consumer)->stats().acks < kMessages && clock_.Now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));  // polling pause
  }
  const ConsumerStats stats = (*consumer)->stats();
  EXPECT_EQ(stats.acks, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(stats.acks_unconfirmed, 0u);
  EXPECT_EQ(stats.ack_failures, 0u);
  // The server agrees: nothing is waiting for an ack on the durable.
  jsConsumerInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_GetConsumerInfo(&info, js_, "EVENTS", "js-pipe", nullptr, &jerr), NATS_OK);
  EXPECT_EQ(info->NumAckPending, 0);
  EXPECT_EQ(info->AckFloor.Stream, static_cast<uint64_t>(kMessages));
  jsConsumerInfo_Destroy(info);
  EXPECT_EQ(ParseConsumerMode("jetstream-ackpipe").value(), ConsumerMode::kJetStreamAckPipelined);
}

TEST_F(ConsumerTest, JetStreamConsumerWaitsBoundedForTheStream) {
  ConsumerOptions options;
  options.name = "js-nostream";
  options.mode = ConsumerMode::kJetStreamAck;
  options.url = server_->url();
  options.stream = "MISSING";
  options.start_timeout = milliseconds(200);
  auto consumer = Consumer::Start(options, 0, clock_, &queue_);
  EXPECT_THAT(consumer, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("MISSING")));
}

TEST(ConsumerNoServerTest, UnreachableServerIsUnavailableNamingTheUrl) {
  RealClock clock;
  DeliveryQueue queue(clock);
  ConsumerOptions options;
  options.name = "nowhere";
  options.url = "nats://127.0.0.1:1";
  auto consumer = Consumer::Start(options, 0, clock, &queue);
  EXPECT_THAT(consumer,
              StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("nats://127.0.0.1:1")));
}

}  // namespace
}  // namespace lnsim::harness
