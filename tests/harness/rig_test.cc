// The pure part of the rig (harness/rig.h): the consumers' subject filter. For lnsim's own bridge
// it is exactly the bridge's bridge::StreamSubjects (so a cluster named "Prod" is still heard);
// for a team's bridge the name stays as written.
#include "harness/rig.h"

#include <gtest/gtest.h>

#include "bridge/event.h"

namespace lnsim::harness {
namespace {

TEST(ConsumerSubjectFilterTest, TheDefaultSubjectNarrowsToTheRunsCluster) {
  EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.>", "lnsim", BridgeKind::kOwn), "linstor.v1.lnsim.>");
  EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.>", "lnsim", BridgeKind::kTeam),
            "linstor.v1.lnsim.>");
}

TEST(ConsumerSubjectFilterTest, AnExplicitSubjectIsKept) {
  for (BridgeKind kind : {BridgeKind::kOwn, BridgeKind::kTeam}) {
    EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.lnsim.node.>", "lnsim", kind),
              "linstor.v1.lnsim.node.>");
  }
}

TEST(ConsumerSubjectFilterTest, OwnBridgeHearsTheFoldedAndEscapedNameItPublishes) {
  for (const std::string cluster :
       {"lnsim", "prod-1", "lnsim-0a1b2c3d", "a_b", "Prod", "eu.west"}) {
    EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.>", cluster, BridgeKind::kOwn),
              bridge::StreamSubjects(cluster))
        << cluster;
  }
  EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.>", "Prod", BridgeKind::kOwn), "linstor.v1.prod.>");
}

TEST(ConsumerSubjectFilterTest, TeamBridgeKeepsTheNameAsWritten) {
  EXPECT_EQ(ConsumerSubjectFilter("linstor.v1.>", "Prod", BridgeKind::kTeam), "linstor.v1.Prod.>");
}

}  // namespace
}  // namespace lnsim::harness
