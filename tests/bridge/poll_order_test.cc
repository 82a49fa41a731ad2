// The lists of one poll are read one after another: a resource created between the read of its
// definitions and of the resources view shows replicas without a definition. These tests pin
// that such a reading never puts replica.created ahead of resource.created (docs/events.md
// "Order within one resource"; the verifier's `misordered` check found it on steady-state).
#include <gtest/gtest.h>

#include "bridge/diff.h"
#include "bridge/event.h"
#include "bridge/snapshot.h"

namespace lnsim::bridge {
namespace {

Replica Diskful(const std::string& rd, const std::string& node) {
  Replica r;
  r.resource = rd;
  r.node = node;
  r.live = true;
  r.in_use = Tri::kFalse;
  r.volumes = {{0, "pool1", "UpToDate", std::nullopt}};
  return r;
}

Snapshot TwoNodes() {
  Snapshot s;
  for (const char* n : {"a", "b"}) s.nodes[n] = NodeState{n, "ONLINE", false};
  return s;
}

// What the bridge makes of one reading: the fetch's drop, then FinalizeSnapshot.
Snapshot Reading(Snapshot s) {
  DropReplicasWithoutDefinition(&s);
  FinalizeSnapshot(&s, DiffOptions());
  return s;
}

std::vector<std::string> Labels(const Snapshot& before, const Snapshot& after) {
  std::vector<std::string> out;
  for (const auto& e : Diff(before, after, DiffOptions())) {
    out.push_back(std::string(EventLabel(e.type)) + (e.node.empty() ? "" : "@" + e.node));
  }
  return out;
}

TEST(PollOrderTest, ReplicasReadBeforeTheirDefinitionWaitForIt) {
  const Snapshot empty = Reading(TwoNodes());
  Snapshot torn = TwoNodes();  // the view already has the replicas, the definitions not yet
  for (const char* n : {"a", "b"}) torn.replicas["demo"][n] = Diskful("demo", n);
  Snapshot whole = torn;
  ResourceDefinitionState rd;
  rd.name = "demo";
  rd.volumes = {{0, 1024}};
  whole.resource_definitions["demo"] = rd;

  const Snapshot first = Reading(torn);
  EXPECT_TRUE(first.replicas.empty());
  EXPECT_TRUE(Labels(empty, first).empty());
  EXPECT_EQ(
      Labels(first, Reading(whole)),
      (std::vector<std::string>{"resource.created", "replica.created@a", "replica.created@b"}));
}

TEST(PollOrderTest, ADefinitionGoneBetweenTheReadsTakesItsReplicasInOrder) {
  Snapshot whole = TwoNodes();
  ResourceDefinitionState rd;
  rd.name = "demo";
  rd.volumes = {{0, 1024}};
  whole.resource_definitions["demo"] = rd;
  for (const char* n : {"a", "b"}) whole.replicas["demo"][n] = Diskful("demo", n);
  Snapshot torn = whole;  // definition gone, the view still lists the replicas
  torn.resource_definitions.clear();
  EXPECT_EQ(
      Labels(Reading(whole), Reading(torn)),
      (std::vector<std::string>{"replica.deleted@a", "replica.deleted@b", "resource.deleted"}));
}

TEST(PollOrderTest, DropCountsOnlyReplicasWithoutDefinition) {
  Snapshot s = TwoNodes();
  s.resource_definitions["kept"].name = "kept";
  s.replicas["kept"]["a"] = Diskful("kept", "a");
  s.replicas["early"]["a"] = Diskful("early", "a");
  s.replicas["early"]["b"] = Diskful("early", "b");
  EXPECT_EQ(DropReplicasWithoutDefinition(&s), 2u);
  EXPECT_EQ(s.replicas.size(), 1u);
  EXPECT_EQ(s.replicas.count("kept"), 1u);
}

}  // namespace
}  // namespace lnsim::bridge
