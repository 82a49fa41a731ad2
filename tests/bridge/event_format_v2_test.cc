// Event format v2 (docs/events.md "Versioning"): `sequence` is a String as the CloudEvents
// Sequence extension defines it (20 zero-padded digits, so string order is numeric order), types
// end in ".v2", and an event of the v1 format is refused with a rule that names the version.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "bridge/event.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::bridge {
namespace {

using ::testing::HasSubstr;

Event NodeOnline(uint64_t sequence) {
  Event ev;
  ev.cluster = "prod";
  ev.body.type = EventType::kNodeOnline;
  ev.body.node = "node-a";
  ev.body.new_state = "ONLINE";
  ev.partition_key = PartitionKey(ev.body);
  ev.sequence = sequence;
  return ev;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from << " in " << s;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(EventFormatV2Test, SequenceIsAZeroPaddedString) {
  EXPECT_EQ(FormatSequence(17), "00000000000000000017");
  EXPECT_EQ(FormatSequence(UINT64_MAX), "18446744073709551615");
  const std::string json = EncodeEvent(NodeOnline(17));
  EXPECT_THAT(json, HasSubstr("\"sequence\":\"00000000000000000017\""));
  // The id keeps its v1 form (unpadded): it is also the JetStream Nats-Msg-Id.
  EXPECT_THAT(json, HasSubstr("\"id\":\"prod/node.node-a/17\""));
  auto back = DecodeEvent(json);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->sequence, 17u);
}

TEST(EventFormatV2Test, StringOrderIsNumericOrder) {
  const uint64_t values[] = {1, 9, 10, 99, 100, 1774000000000001, UINT64_MAX};
  for (size_t i = 1; i < std::size(values); ++i) {
    EXPECT_LT(FormatSequence(values[i - 1]), FormatSequence(values[i])) << values[i];
  }
}

TEST(EventFormatV2Test, TypesCarryTheFormatVersion) {
  for (int i = 0; i < kEventTypeCount; ++i) {
    const std::string type(CloudEventType(static_cast<EventType>(i)));
    EXPECT_EQ(type.substr(type.size() - 3), ".v2") << type;
  }
  EXPECT_EQ(kEventFormatVersion, 2);
  EXPECT_EQ(kSubjectPrefix, "linstor.v1");  // the subject layout did not change
}

TEST(EventFormatV2Test, AV1EventIsRefusedNamingTheVersion) {
  const std::string good = EncodeEvent(NodeOnline(3));
  const std::string integer_sequence = Replace(good, "\"00000000000000000003\"", "3");
  const std::string v1_type = Replace(good, "node.online.v2", "node.online.v1");
  for (const std::string& v1 : {integer_sequence, v1_type}) {
    auto st = DecodeEvent(v1);
    ASSERT_FALSE(st.ok()) << v1;
    EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(st.status().message(), HasSubstr(std::string(kEventFormatV1Rule))) << v1;
  }
}

TEST(EventFormatV2Test, MalformedSequenceStringsAreRefused) {
  const std::string good = EncodeEvent(NodeOnline(3));
  for (const char* bad : {"\"3\"", "\"00000000000000000000\"", "\"0000000000000000000x\"",
                          "\"000000000000000000003\"", "\"-0000000000000000003\"", "\"\"",
                          "\"99999999999999999999\""}) {
    auto st = DecodeEvent(Replace(good, "\"00000000000000000003\"", bad));
    EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(ParseSequence("17").status().message(), HasSubstr("20 decimal digits"));
}

}  // namespace
}  // namespace lnsim::bridge
