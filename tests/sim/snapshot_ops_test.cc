// Snapshots in the world (sim/snapshots.cc) with LINSTOR's answers: taken on every diskful
// replica, refused on thick LVM (CtrlSnapshotCrtHelper.ensureDriversSupportSnapshots) and from a
// named diskless replica, a resource definition with snapshots cannot be deleted
// (CtrlRscDfnDeleteApiCallHandler), restore builds a new RD from the snapshot, and snapshot calls
// record no transitions of their own (existing traces stay byte-identical).
#include <gtest/gtest.h>

#include "tests/sim/testutil_world.h"

namespace lnsim::sim {
namespace {

using testing::MakeWorld;

WorldSpec Empty(ProviderKind kind) {
  WorldSpec spec;
  spec.cluster.nodes = 4;
  spec.cluster.resources = 0;
  spec.cluster.replicas = 2;
  spec.cluster.in_use_fraction = 0;
  spec.cluster.pool_kind = kind;
  return spec;
}

std::string NodeName(const World& w, NodeIndex n) { return w.cluster().nodes[n].name; }

// RD `name` with one 1 GiB volume, diskful on nodes 0 and 1, diskless on node 2.
void MakeResource(World& w, const std::string& name) {
  ASSERT_TRUE(w.CreateResourceDefinition(name, "").ok());
  ASSERT_TRUE(w.CreateVolumeDefinition(name, 1 << 20, std::nullopt, nullptr).ok());
  ASSERT_TRUE(w.CreateReplica(name, NodeName(w, 0), ReplicaKind::kDiskful, "").ok());
  ASSERT_TRUE(w.CreateReplica(name, NodeName(w, 1), ReplicaKind::kDiskful, "").ok());
  ASSERT_TRUE(w.CreateReplica(name, NodeName(w, 2), ReplicaKind::kDiskless, "").ok());
}

int ErrorCode(const OpResult& r) {
  const OpMessage* e = r.FirstError();
  return e ? e->code : 0;
}

TEST(SnapshotOps, TakenOnEveryDiskfulReplicaAndHoldsNoSpaceAtCreation) {
  auto w = MakeWorld(Empty(ProviderKind::kLvmThin));
  MakeResource(*w, "rsc1");
  std::vector<Kib> free_before;
  for (const StoragePool& p : w->cluster().pools) free_before.push_back(p.FreeKib());
  const size_t trace_before = w->trace().transitions().size();
  const OpResult r = w->CreateSnapshot("rsc1", "snap1", {});
  ASSERT_TRUE(r.ok()) << r.messages[0].message;
  EXPECT_EQ(r.messages[0].message, "New snapshot 'snap1' of resource 'rsc1' registered.");
  const uint32_t s = w->FindSnapshot(w->FindResourceDefinition("rsc1"), "SNAP1");
  ASSERT_NE(s, kNoIndex) << "names fold case";
  const Snapshot& snap = w->cluster().snapshots[s];
  EXPECT_EQ(snap.nodes, (std::vector<NodeIndex>{0, 1})) << "the diskless replica is skipped";
  ASSERT_EQ(snap.volumes.size(), 1u);
  EXPECT_EQ(snap.volumes[0].size_kib, Kib{1} << 20);
  for (size_t p = 0; p < free_before.size(); ++p) {
    EXPECT_EQ(w->cluster().pools[p].FreeKib(), free_before[p]) << "pool " << p;
  }
  EXPECT_EQ(w->trace().transitions().size(), trace_before) << "a snapshot records no transitions";
  EXPECT_EQ(ErrorCode(w->CreateSnapshot("rsc1", "snap1", {})), rc::kExistsSnapshotDfn);
  EXPECT_EQ(ErrorCode(w->CreateSnapshot("rsc1", "1bad", {})), rc::kInvalidSnapshotName);
  EXPECT_EQ(ErrorCode(w->CreateSnapshot("nosuch", "snap2", {})), rc::kNotFoundRscDfn);
}

TEST(SnapshotOps, ThickLvmIsRefusedWithLinstorsText) {
  auto w = MakeWorld(Empty(ProviderKind::kLvm));
  MakeResource(*w, "thick");
  const OpResult r = w->CreateSnapshot("thick", "snap1", {});
  ASSERT_EQ(ErrorCode(r), rc::kSnapshotsNotSupported);
  EXPECT_EQ(r.FirstError()->message, "Storage driver 'LVM' does not support snapshots.");
  EXPECT_TRUE(w->cluster().snapshots.empty());
}

TEST(SnapshotOps, ZfsThickSupportsSnapshotsAsInLinstor) {
  auto w = MakeWorld(Empty(ProviderKind::kZfs));
  MakeResource(*w, "zvol");
  EXPECT_TRUE(w->CreateSnapshot("zvol", "snap1", {}).ok());
}

TEST(SnapshotOps, NamedDisklessNodeIsRefused) {
  auto w = MakeWorld(Empty(ProviderKind::kLvmThin));
  MakeResource(*w, "rsc1");
  const OpResult r = w->CreateSnapshot("rsc1", "snap1", {NodeName(*w, 2)});
  ASSERT_EQ(ErrorCode(r), rc::kSnapshotsNotSupported);
  EXPECT_EQ(r.FirstError()->message,
            "Cannot create snapshot from diskless resource on node '" + NodeName(*w, 2) + "'");
  const OpResult one = w->CreateSnapshot("rsc1", "snap1", {NodeName(*w, 1)});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(w->cluster().snapshots.back().nodes, (std::vector<NodeIndex>{1}));
}

TEST(SnapshotOps, DefinitionWithSnapshotsCannotBeDeleted) {
  auto w = MakeWorld(Empty(ProviderKind::kLvmThin));
  MakeResource(*w, "rsc1");
  ASSERT_TRUE(w->CreateSnapshot("rsc1", "snap1", {}).ok());
  const OpResult refused = w->DeleteResourceDefinition("rsc1");
  ASSERT_EQ(ErrorCode(refused), rc::kExistsSnapshotDfn);
  EXPECT_EQ(refused.FirstError()->message,
            "Cannot delete resource definition 'rsc1' because it has snapshots.");
  EXPECT_NE(w->FindResourceDefinition("rsc1"), kNoIndex);
  // Deleting it node by node: the definition goes with its last node.
  ASSERT_TRUE(w->DeleteSnapshot("rsc1", "snap1", {NodeName(*w, 0)}).ok());
  EXPECT_EQ(ErrorCode(w->DeleteResourceDefinition("rsc1")), rc::kExistsSnapshotDfn);
  const OpResult gone = w->DeleteSnapshot("rsc1", "snap1", {});
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone.messages[0].message, "Snapshot 'snap1' of resource 'rsc1' deleted.");
  EXPECT_EQ(ErrorCode(w->DeleteSnapshot("rsc1", "snap1", {})), rc::kNotFoundSnapshotDfn);
  EXPECT_TRUE(w->DeleteResourceDefinition("rsc1").ok());
}

TEST(SnapshotOps, RestoreBuildsTheNewDefinitionOnTheSnapshotsNodesAndPools) {
  auto w = MakeWorld(Empty(ProviderKind::kLvmThin));
  MakeResource(*w, "rsc1");
  ASSERT_TRUE(w->CreateSnapshot("rsc1", "snap1", {}).ok());
  ASSERT_TRUE(w->CreateResourceDefinition("copy", "").ok());
  const OpResult r = w->RestoreSnapshot("rsc1", "snap1", "copy", {}, false);
  ASSERT_TRUE(r.ok()) << r.messages[0].message;
  const ResourceDefinition& copy = w->cluster().rds[w->FindResourceDefinition("copy")];
  ASSERT_EQ(copy.volumes.size(), 1u);
  EXPECT_EQ(copy.volumes[0].size_kib, Kib{1} << 20);
  ASSERT_EQ(copy.replicas.size(), 2u);
  const ResourceDefinition& origin = w->cluster().rds[w->FindResourceDefinition("rsc1")];
  for (size_t i = 0; i < 2; ++i) {
    const Replica& made = w->cluster().replicas[copy.replicas[i]];
    EXPECT_EQ(made.kind, ReplicaKind::kDiskful);
    EXPECT_EQ(made.node, static_cast<NodeIndex>(i));
    EXPECT_EQ(made.pool, w->cluster().replicas[origin.replicas[i]].pool);
  }
  EXPECT_EQ(ErrorCode(w->RestoreSnapshot("rsc1", "snap1", "copy", {}, false)), rc::kExistsRsc);
  EXPECT_EQ(ErrorCode(w->RestoreSnapshot("rsc1", "nosuch", "copy", {}, false)),
            rc::kNotFoundSnapshotDfn);
  EXPECT_EQ(ErrorCode(w->RestoreSnapshot("rsc1", "snap1", "nosuch", {}, false)),
            rc::kNotFoundRscDfn);
}

TEST(SnapshotOps, RestoreVolumeDefinitionsOnlyThenResourcesOnChosenNodes) {
  auto w = MakeWorld(Empty(ProviderKind::kLvmThin));
  MakeResource(*w, "rsc1");
  ASSERT_TRUE(w->CreateSnapshot("rsc1", "snap1", {}).ok());
  ASSERT_TRUE(w->CreateResourceDefinition("copy", "").ok());
  ASSERT_TRUE(w->RestoreSnapshot("rsc1", "snap1", "copy", {}, true).ok());
  const RdIndex copy = w->FindResourceDefinition("copy");
  EXPECT_EQ(w->cluster().rds[copy].volumes.size(), 1u);
  EXPECT_TRUE(w->cluster().rds[copy].replicas.empty());
  EXPECT_EQ(ErrorCode(w->RestoreSnapshot("rsc1", "snap1", "copy", {}, true)), rc::kExistsVlmDfn);
  ASSERT_TRUE(w->RestoreSnapshot("rsc1", "snap1", "copy", {NodeName(*w, 1)}, false).ok());
  ASSERT_EQ(w->cluster().rds[copy].replicas.size(), 1u);
  EXPECT_EQ(w->cluster().replicas[w->cluster().rds[copy].replicas[0]].node, 1u);
  EXPECT_EQ(w->cluster().rds[copy].volumes.size(), 1u) << "existing definitions are kept";
}

}  // namespace
}  // namespace lnsim::sim
