// The event contract: token escaping round trips (dots, wildcards, whitespace, non-ASCII, case),
// subjects build and parse for every type, ids, and the envelope encodes, decodes and rejects
// what is inconsistent.
#include "bridge/event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/rng.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::bridge {
namespace {

TEST(EscapeTokenTest, PlainNamesPassThroughFolded) {
  EXPECT_EQ(EscapeToken("pvc-123_abc"), "pvc-123_abc");
  EXPECT_EQ(EscapeToken("Node-A"), "node-a");
  EXPECT_EQ(FoldName("Node-A"), "node-a");
}

TEST(EscapeTokenTest, DotsWildcardsWhitespaceAndNonAsciiAreEscaped) {
  EXPECT_EQ(EscapeToken("node.example.com"), "node=2eexample=2ecom");
  EXPECT_EQ(EscapeToken("a*b>c"), "a=2ab=3ec");
  EXPECT_EQ(EscapeToken("a b\tc"), "a=20b=09c");
  EXPECT_EQ(EscapeToken("x=y"), "x=3dy");
  EXPECT_EQ(EscapeToken("\xc3\xa9"), "=c3=a9");  // é
  EXPECT_EQ(EscapeToken(""), "=");
}

TEST(EscapeTokenTest, RoundTripIsIdentityUpToCase) {
  for (std::string name : {"node.example.com", "a*b>c", "with space", "x=y", "UPPER.case",
                           "\xc3\xa9t\xc3\xa9", ">", "*", ".", "", "%41"}) {
    const std::string token = EscapeToken(name);
    EXPECT_EQ(token.find('.'), std::string::npos) << name;
    EXPECT_EQ(token.find('*'), std::string::npos) << name;
    EXPECT_EQ(token.find('>'), std::string::npos) << name;
    EXPECT_EQ(token.find(' '), std::string::npos) << name;
    auto back = UnescapeToken(token);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, FoldName(name));
  }
}

TEST(EscapeTokenTest, RandomBytesRoundTrip) {
  Rng rng(42);
  for (int i = 0; i < 2000; ++i) {
    std::string name(rng.Uniform(12), '\0');
    for (char& c : name) c = static_cast<char>(rng.Uniform(256));
    auto back = UnescapeToken(EscapeToken(name));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, FoldName(name));
  }
}

TEST(EscapeTokenTest, MalformedTokensAreRejected) {
  EXPECT_EQ(UnescapeToken("a.b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeToken("a=2").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeToken("a=zz").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeToken("a=2E").status().code(), StatusCode::kInvalidArgument);  // not canonical
  EXPECT_EQ(UnescapeToken("A").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeToken("*").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeToken("").status().code(), StatusCode::kInvalidArgument);
}

DomainEvent Sample(EventType type) {
  DomainEvent e;
  e.type = type;
  e.node = "node.a";
  e.resource = "pvc-1";
  e.pool = "pool*1";
  e.peer = "node-b";
  switch (EntityOf(type)) {
    case Entity::kNode:
      e.resource.clear();
      e.pool.clear();
      e.peer.clear();
      e.new_state = "OFFLINE";
      e.old_state = "ONLINE";
      break;
    case Entity::kPool:
      e.resource.clear();
      e.peer.clear();
      e.free_capacity_kib = 5;
      e.total_capacity_kib = 100;
      e.threshold_percent = 10;
      break;
    case Entity::kResource:
      e.node.clear();
      e.pool.clear();
      e.peer.clear();
      if (type == EventType::kResourceCreated) {
        e.resource_group = "DfltRscGrp";
        e.volumes = {{0, 1048576, ""}, {1, 2048, ""}};
      }
      break;
    case Entity::kVolume:
      e.pool.clear();
      e.peer.clear();
      if (type == EventType::kVolumeResized) {
        e.node.clear();
        e.volume_number = 0;
        e.old_size_kib = 1048576;
        e.new_size_kib = 2097152;
      }
      break;
    case Entity::kReplica:
      if (type != EventType::kReplicaCreated) e.pool.clear();
      if (type != EventType::kReplicaConnectionLost &&
          type != EventType::kReplicaConnectionRestored) {
        e.peer.clear();
      } else {
        e.old_state = "Connected";
        e.new_state = "Connecting";
      }
      if (type == EventType::kReplicaCreated) {
        e.diskless = true;
        e.in_use = Tri::kTrue;
        e.volumes = {{0, -1, "Diskless"}};
        e.pool = "DfltDisklessStorPool";
      }
      if (type == EventType::kReplicaDiskStateChanged) {
        e.volume_number = 0;
        e.old_state = "Inconsistent";
        e.new_state = "SyncTarget";
        e.done_percentage = 42.5;
      }
      if (type == EventType::kReplicaQuorumLost || type == EventType::kReplicaQuorumRegained) {
        e.quorum_votes = 1;
        e.quorum_voters = 3;
      }
      break;
  }
  return e;
}

TEST(SubjectTest, EveryTypeBuildsAndParses) {
  for (int i = 0; i < kEventTypeCount; ++i) {
    const auto type = static_cast<EventType>(i);
    DomainEvent e = Sample(type);
    const std::string subject = Subject("Prod.EU", e);
    EXPECT_EQ(subject.rfind("linstor.v1.prod=2eeu." + std::string(EntityName(EntityOf(type))), 0),
              0u)
        << subject;
    auto parsed = ParseSubject(subject);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(parsed->type, type);
    EXPECT_EQ(parsed->cluster, "prod.eu");
    if (!e.node.empty() && type != EventType::kVolumeResized) {
      EXPECT_EQ(parsed->node, "node.a");
    }
    if (!e.resource.empty()) {
      EXPECT_EQ(parsed->resource, "pvc-1");
    }
  }
}

TEST(SubjectTest, DocumentedLayouts) {
  DomainEvent e = Sample(EventType::kVolumeAttached);
  EXPECT_EQ(Subject("c", e), "linstor.v1.c.volume.pvc-1.node=2ea.attached");
  e = Sample(EventType::kVolumeResized);
  EXPECT_EQ(Subject("c", e), "linstor.v1.c.volume.pvc-1.0.resized");
  e = Sample(EventType::kPoolCapacityLow);
  EXPECT_EQ(Subject("c", e), "linstor.v1.c.pool.node=2ea.pool=2a1.capacity_low");
  e = Sample(EventType::kNodeOffline);
  EXPECT_EQ(Subject("c", e), "linstor.v1.c.node.node=2ea.offline");
  EXPECT_EQ(StreamSubjects("c"), "linstor.v1.c.>");
}

TEST(SubjectTest, RejectsForeignSubjects) {
  for (const char* s : {"linstor.v2.c.node.n.online", "linstor.v1.c.node.n.m.online",
                        "linstor.v1.c.node.n.exploded", "linstor.v1.c.volume.r.x.resized",
                        "linstor.v1.c.node.N.online", "linstor.v1"}) {
    EXPECT_EQ(ParseSubject(s).status().code(), StatusCode::kInvalidArgument) << s;
  }
}

TEST(IdentityTest, PartitionKeysAndIds) {
  EXPECT_EQ(PartitionKey(Sample(EventType::kNodeOnline)), "node.node=2ea");
  EXPECT_EQ(PartitionKey(Sample(EventType::kPoolCapacityLow)), "pool.node=2ea.pool=2a1");
  EXPECT_EQ(PartitionKey(Sample(EventType::kVolumeAttached)), "resource.pvc-1");
  EXPECT_EQ(PartitionKey(Sample(EventType::kReplicaCreated)), "resource.pvc-1");
  EXPECT_EQ(PartitionKey(Sample(EventType::kResourceDeleted)), "resource.pvc-1");
  EXPECT_EQ(EventId("Prod", "resource.pvc-1", 17), "prod/resource.pvc-1/17");
}

TEST(EnvelopeTest, EncodeDecodeRoundTripForEveryType) {
  for (int i = 0; i < kEventTypeCount; ++i) {
    Event ev;
    ev.cluster = "prod";
    ev.body = Sample(static_cast<EventType>(i));
    ev.partition_key = PartitionKey(ev.body);
    ev.sequence = 7;
    ev.time_unix_ns = 1795466933296123456;
    const std::string json = EncodeEvent(ev);
    auto back = DecodeEvent(json);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << json;
    EXPECT_EQ(back->body, ev.body) << json;
    EXPECT_EQ(back->sequence, 7u);
    EXPECT_EQ(back->time_unix_ns, ev.time_unix_ns);
    EXPECT_EQ(back->Id(), ev.Id());
    EXPECT_EQ(ContentDigest(*back), ContentDigest(ev));
  }
}

TEST(EnvelopeTest, CarriesCloudEventsAttributes) {
  Event ev;
  ev.cluster = "prod";
  ev.body = Sample(EventType::kVolumeAttached);
  ev.partition_key = PartitionKey(ev.body);
  ev.sequence = 3;
  ev.time_unix_ns = 0;
  const std::string json = EncodeEvent(ev);
  EXPECT_NE(json.find("\"specversion\":\"1.0\""), std::string::npos);
  EXPECT_NE(json.find("\"type\":\"io.linstor.volume.attached.v2\""), std::string::npos);
  EXPECT_NE(json.find("\"id\":\"prod/resource.pvc-1/3\""), std::string::npos);
  EXPECT_NE(json.find("\"time\":\"1970-01-01T00:00:00.000000000Z\""), std::string::npos);
  EXPECT_NE(json.find("\"datacontenttype\":\"application/json\""), std::string::npos);
  EXPECT_NE(json.find("\"partitionkey\":\"resource.pvc-1\""), std::string::npos);
  EXPECT_NE(json.find("\"sequence\":\"00000000000000000003\""), std::string::npos);
  EXPECT_NE(json.find("\"source\":\"/linstor/prod\""), std::string::npos);
}

TEST(EnvelopeTest, RejectsInconsistentEnvelopes) {
  Event ev;
  ev.cluster = "prod";
  ev.body = Sample(EventType::kVolumeDetached);
  ev.partition_key = PartitionKey(ev.body);
  ev.sequence = 3;
  const std::string good = EncodeEvent(ev);
  auto replace = [&](std::string from, std::string to) {
    std::string s = good;
    const auto pos = s.find(from);
    EXPECT_NE(pos, std::string::npos) << from;
    s.replace(pos, from.size(), to);
    return s;
  };
  for (const std::string& bad :
       {replace("\"00000000000000000003\"", "\"00000000000000000004\""),
        replace("\"00000000000000000003\"", "3"), replace("1.0", "0.3"),
        replace("volume.detached.v2", "volume.exploded.v2"),
        replace("\"node\":\"node.a\"", "\"node\":\"other\""), replace("\"data\":", "\"dat\":"),
        good.substr(0, good.size() / 2), std::string("[]"), std::string("")}) {
    auto st = DecodeEvent(bad);
    EXPECT_EQ(st.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EnvelopeTest, UnknownAttributesAreAccepted) {
  Event ev;
  ev.cluster = "prod";
  ev.body = Sample(EventType::kNodeOnline);
  ev.partition_key = PartitionKey(ev.body);
  ev.sequence = 1;
  std::string json = EncodeEvent(ev);
  json.insert(1, "\"futureattr\":42,");
  EXPECT_TRUE(DecodeEvent(json).ok());
}

TEST(TimeTest, Rfc3339RoundTrip) {
  for (int64_t ns : {int64_t{0}, int64_t{1795466933296123456}, int64_t{-1}}) {
    auto back = ParseRfc3339Nanos(FormatRfc3339Nanos(ns));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, ns);
  }
  EXPECT_EQ(*ParseRfc3339Nanos("2026-06-02T12:45:56.123+02:00"),
            *ParseRfc3339Nanos("2026-06-02T10:45:56.123Z"));
  EXPECT_THAT(ParseRfc3339Nanos("yesterday"), StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lnsim::bridge
