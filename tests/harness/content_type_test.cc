// A message on an event subject must carry Content-Type: application/cloudevents+json (CloudEvents
// NATS binding, structured mode): without it the harness counts it as invalid, with that rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/event.h"
#include "harness/consumer.h"
#include "harness/observation.h"
#include "tests/harness/testutil_standin.h"

namespace lnsim::harness {
namespace {

using ::testing::HasSubstr;
using testing::MiniWorld;

Delivery DeletedDelivery(const std::string& content_type) {
  bridge::Event e;
  e.cluster = "c";
  e.body = {.type = bridge::EventType::kResourceDeleted, .resource = "pvc-0"};
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = 4;
  Delivery d{.subject = e.NatsSubject(), .payload = bridge::EncodeEvent(e), .id = e.Id()};
  d.content_type = content_type;
  return d;
}

TEST(ContentTypeTest, TheCloudEventsContentTypeIsAccepted) {
  MiniWorld w(2, 1);
  ObservationDecoder decoder(w.cluster, 0);
  Observation o;
  std::vector<Assertion> extras;
  const Status s = decoder.Decode(DeletedDelivery(bridge::kCloudEventsJson), &o, &extras);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_NE(o.primary.channel, 0u);
}

TEST(ContentTypeTest, AMissingOrOtherContentTypeIsInvalidNamingTheRule) {
  MiniWorld w(2, 1);
  ObservationDecoder decoder(w.cluster, 0);
  for (const char* content_type : {"", "application/json"}) {
    Observation o;
    std::vector<Assertion> extras;
    const Status s = decoder.Decode(DeletedDelivery(content_type), &o, &extras);
    ASSERT_FALSE(s.ok()) << content_type;
    EXPECT_THAT(s.message(), HasSubstr("no Content-Type: application/cloudevents+json header "
                                       "(CloudEvents NATS binding, docs/events.md)"));
    EXPECT_EQ(o.primary.channel, 0u);
  }
}

}  // namespace
}  // namespace lnsim::harness
