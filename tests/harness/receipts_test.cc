// Receipts (harness/receipts.h): the bridge's timing side channel read as the file grows, the
// events.jsonl line of a receipt, and the processed streams the domain invariants judge.
#include "harness/receipts.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lnsim::harness {
namespace {

TEST(TimingLogTest, CountsFirstPublishesAndDuplicates) {
  TimingLog log;
  log.Feed(
      "{\"id\":\"c/node.a/1\",\"acked_unix_ns\":100}\n"
      "{\"id\":\"c/node.a/2\",\"acked_unix_ns\":200}\n"
      "{\"id\":\"c/node.a/1\",\"acked_unix_ns\":300}\n"  // republished: the first ack counts
      "{\"id\":\"c/node.a/2\",\"duplicate\":true}\n");
  EXPECT_EQ(log.published_unique(), 2u);
  EXPECT_EQ(log.published_duplicates(), 1u);
  EXPECT_EQ(log.AckedUnixNs("c/node.a/1"), 100);
  EXPECT_EQ(log.AckedUnixNs("c/node.a/2"), 200);
  EXPECT_EQ(log.AckedUnixNs("c/node.a/3"), 0);
  EXPECT_TRUE(log.observed_acked().empty());  // not recorded unless asked
}

TEST(TimingLogTest, ALineCutAtTheEndOfAChunkWaitsForItsRest) {
  TimingLog log;
  log.Feed("{\"id\":\"x\",\"acked_");
  EXPECT_EQ(log.published_unique(), 0u);
  log.Feed("unix_ns\":5}\n{\"id\":");
  EXPECT_EQ(log.published_unique(), 1u);
  EXPECT_EQ(log.AckedUnixNs("x"), 5);
  log.Feed("\"y\"}\n");
  EXPECT_EQ(log.published_unique(), 2u);
  EXPECT_EQ(log.malformed_lines(), 0u);
}

TEST(TimingLogTest, MalformedLinesAreCountedAndSkipped) {
  TimingLog log;
  log.Feed(
      "not json\n[1,2]\n{\"no_id\":1}\n{\"id\":\"a\",\"acked_unix_ns\":\"soon\"}\n\n"
      "{\"id\":\"b\",\"acked_unix_ns\":7}\n");
  EXPECT_EQ(log.malformed_lines(), 5u);
  EXPECT_EQ(log.published_unique(), 1u);
  EXPECT_EQ(log.AckedUnixNs("b"), 7);
}

TEST(TimingLogTest, RecordsObservedAndAckedOfFirstPublishesWhenAsked) {
  TimingLog log(/*record_observed=*/true);
  log.Feed(
      "{\"id\":\"a\",\"observed_unix_ns\":10,\"acked_unix_ns\":20}\n"
      "{\"id\":\"a\",\"observed_unix_ns\":11,\"acked_unix_ns\":30}\n"
      "{\"id\":\"b\",\"observed_unix_ns\":12}\n");
  ASSERT_EQ(log.observed_acked().size(), 2u);
  EXPECT_EQ(log.observed_acked()[0], (std::pair<int64_t, int64_t>{10, 20}));
  EXPECT_EQ(log.observed_acked()[1], (std::pair<int64_t, int64_t>{12, 0}));
}

Delivery MakeDelivery(uint32_t consumer, const std::string& id, const std::string& payload) {
  Delivery d;
  d.consumer = consumer;
  d.subject = "linstor.v1.c.node.a";
  d.id = id;
  d.payload = payload;
  d.content_type = bridge::kCloudEventsJson;
  d.delivered_unix_ns = 5;
  d.observed_unix_ns = 4;
  d.num_delivered = 2;
  d.stream_sequence = 9;
  return d;
}

std::string NodeEventJson(uint64_t sequence) {
  bridge::Event e;
  e.cluster = "c";
  e.body.type = bridge::EventType::kNodeOnline;
  e.body.node = "a";
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = sequence;
  e.time_unix_ns = 1'700'000'000'000'000'000;
  return bridge::EncodeEvent(e);
}

TEST(DeliveryJsonLineTest, KeepsEveryFieldAndThePayloadAsJson) {
  const auto j = nlohmann::json::parse(DeliveryJsonLine(MakeDelivery(0, "i", "{\"a\":1}"), "js-1"));
  EXPECT_EQ(j["consumer"], "js-1");
  EXPECT_EQ(j["subject"], "linstor.v1.c.node.a");
  EXPECT_EQ(j["id"], "i");
  EXPECT_EQ(j["delivered_unix_ns"], 5);
  EXPECT_EQ(j["observed_unix_ns"], 4);
  EXPECT_EQ(j["num_delivered"], 2);
  EXPECT_EQ(j["stream_sequence"], 9);
  EXPECT_EQ(j["processed"], true);
  EXPECT_EQ(j["payload"]["a"], 1);
  EXPECT_FALSE(j.contains("payload_text"));
}

TEST(DeliveryJsonLineTest, APayloadThatIsNotJsonIsKeptAsText) {
  const auto j = nlohmann::json::parse(DeliveryJsonLine(MakeDelivery(0, "i", "{broken"), "x"));
  EXPECT_EQ(j["payload_text"], "{broken");
  EXPECT_FALSE(j.contains("payload"));
}

TEST(ReceiptsTest, StreamsKeepTheFirstProcessedReceiptOfEachIdPerConsumer) {
  Receipts receipts({"js-1", "js-2"}, "", false);
  const std::string e1 = NodeEventJson(1);
  const std::string e2 = NodeEventJson(2);
  receipts.Record(MakeDelivery(0, "id-1", e1));
  receipts.Record(MakeDelivery(0, "id-1", e1));  // redelivered: not processed twice
  Delivery dropped = MakeDelivery(0, "id-2", e2);
  dropped.processed = false;  // the consumer's dedup dropped it
  receipts.Record(dropped);
  receipts.Record(MakeDelivery(1, "id-1", e1));
  receipts.Record(MakeDelivery(1, "id-bad", "not an event"));  // undecodable: not in the stream
  receipts.Record(MakeDelivery(7, "id-1", e1));                // unknown consumer: ignored
  ASSERT_EQ(receipts.streams().size(), 2u);
  ASSERT_EQ(receipts.streams()[0].size(), 1u);
  EXPECT_EQ(receipts.streams()[0][0].sequence, 1u);
  EXPECT_EQ(receipts.streams()[1].size(), 1u);
}

TEST(ReceiptsTest, WithoutATimingFileFollowingReadsNothing) {
  Receipts receipts({"js-1"}, "", false);
  receipts.FollowTiming();
  EXPECT_EQ(receipts.timing().published_unique(), 0u);
  EXPECT_EQ(receipts.delivered(), 0u);
}

}  // namespace
}  // namespace lnsim::harness
