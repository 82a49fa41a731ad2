// The answers of the LINSTOR operations when a name does not resolve: code, message and object
// refs, exactly as LINSTOR words them. Every operation shares one lookup (WorldImpl::Resolve in
// sim/operations.cc); these pin what each answers so the shared lookup cannot drift.
#include <gtest/gtest.h>

#include "tests/sim/testutil_world.h"

namespace lnsim::sim {
namespace {

using testing::MakeWorld;

WorldSpec OneResource() {
  WorldSpec spec;
  spec.cluster.nodes = 3;
  spec.cluster.resources = 0;
  spec.cluster.replicas = 2;
  spec.cluster.in_use_fraction = 0;
  return spec;
}

// The one error of `r`, CHECKed to be the only message.
OpMessage OnlyError(const OpResult& r) {
  EXPECT_EQ(r.messages.size(), 1u);
  const OpMessage* e = r.FirstError();
  EXPECT_NE(e, nullptr);
  return e ? *e : OpMessage{};
}

void ExpectAnswer(const OpResult& r, int code, const std::string& message, const std::string& rd,
                  const std::string& node) {
  const OpMessage e = OnlyError(r);
  EXPECT_EQ(e.code, code);
  EXPECT_EQ(e.message, message);
  EXPECT_EQ(e.rd, rd);
  EXPECT_EQ(e.node, node);
}

class NotFound : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = MakeWorld(OneResource());
    ASSERT_TRUE(w_->CreateResourceDefinition("Data", "").ok());
    ASSERT_TRUE(w_->CreateVolumeDefinition("data", 1 << 20, std::nullopt, nullptr).ok());
    ASSERT_TRUE(w_->CreateReplica("data", "node-1", ReplicaKind::kDiskful, "").ok());
  }
  std::unique_ptr<World> w_;
};

TEST_F(NotFound, ResourceDefinitionIsNamedAsTheCallerSpelledIt) {
  const std::string message = "Resource definition 'NoSuch' not found.";
  ExpectAnswer(w_->DeleteResourceDefinition("NoSuch"), rc::kNotFoundRscDfn, message, "NoSuch", "");
  ExpectAnswer(w_->CreateVolumeDefinition("NoSuch", 1024, std::nullopt, nullptr),
               rc::kNotFoundRscDfn, message, "NoSuch", "");
  ExpectAnswer(w_->DeleteVolumeDefinition("NoSuch", 0), rc::kNotFoundRscDfn, message, "NoSuch", "");
  ExpectAnswer(w_->ResizeVolumeDefinition("NoSuch", 0, 2048), rc::kNotFoundRscDfn, message,
               "NoSuch", "");
  ExpectAnswer(w_->AutoPlace("NoSuch", AutoPlaceRequest{}), rc::kNotFoundRscDfn, message, "NoSuch",
               "");
  // Operations on a replica check the resource definition before the node.
  ExpectAnswer(w_->CreateReplica("NoSuch", "nobody", ReplicaKind::kDiskful, ""),
               rc::kNotFoundRscDfn, message, "NoSuch", "");
  ExpectAnswer(w_->DeleteReplica("NoSuch", "nobody"), rc::kNotFoundRscDfn, message, "NoSuch", "");
  ExpectAnswer(w_->MakeAvailable("NoSuch", "nobody", false), rc::kNotFoundRscDfn, message, "NoSuch",
               "");
  ExpectAnswer(w_->ToggleDisk("NoSuch", "nobody", true, ""), rc::kNotFoundRscDfn, message, "NoSuch",
               "");
  ExpectAnswer(w_->SetInUse("NoSuch", "nobody", true), rc::kNotFoundRscDfn, message, "NoSuch", "");
}

TEST_F(NotFound, NodeCarriesTheResourceWhenThereIsOne) {
  const std::string message = "Node 'nobody' not found.";
  ExpectAnswer(w_->DeleteNode("nobody"), rc::kNotFoundNode, message, "", "nobody");
  ExpectAnswer(w_->CreateStoragePool("nobody", "pool9", ProviderKind::kLvm, 1 << 20),
               rc::kNotFoundNode, message, "", "nobody");
  ExpectAnswer(w_->CreateReplica("DATA", "nobody", ReplicaKind::kDiskful, ""), rc::kNotFoundNode,
               message, "DATA", "nobody");
  ExpectAnswer(w_->DeleteReplica("DATA", "nobody"), rc::kNotFoundNode, message, "DATA", "nobody");
  ExpectAnswer(w_->MakeAvailable("DATA", "nobody", true), rc::kNotFoundNode, message, "DATA",
               "nobody");
  ExpectAnswer(w_->ToggleDisk("DATA", "nobody", true, ""), rc::kNotFoundNode, message, "DATA",
               "nobody");
  ExpectAnswer(w_->SetInUse("DATA", "nobody", false), rc::kNotFoundNode, message, "DATA", "nobody");
}

TEST_F(NotFound, ReplicaOnlyWhereTheOperationNeedsOne) {
  const std::string message = "Resource 'data' on 'Node-2' not found.";
  ExpectAnswer(w_->DeleteReplica("data", "Node-2"), rc::kNotFoundRsc, message, "data", "Node-2");
  ExpectAnswer(w_->ToggleDisk("data", "Node-2", false, ""), rc::kNotFoundRsc, message, "data",
               "Node-2");
  ExpectAnswer(w_->SetInUse("data", "Node-2", true), rc::kNotFoundRsc, message, "data", "Node-2");
  // Creating and making available need no replica there; an existing one is the error.
  EXPECT_TRUE(w_->MakeAvailable("data", "Node-2", false).ok());
  ExpectAnswer(w_->CreateReplica("data", "NODE-1", ReplicaKind::kDiskful, ""), rc::kExistsRsc,
               "Resource 'data' on node 'NODE-1' already exists.", "data", "NODE-1");
}

TEST_F(NotFound, VolumeDefinitionAndResourceGroup) {
  ExpectAnswer(w_->DeleteVolumeDefinition("data", 7), rc::kNotFoundVlmDfn,
               "Volume definition 7 of 'data' not found.", "data", "");
  // Resize answers with the definition's own name.
  ExpectAnswer(w_->ResizeVolumeDefinition("DATA", 7, 4096), rc::kNotFoundVlmDfn,
               "Volume definition 7 of 'Data' not found.", "Data", "");
  ExpectAnswer(w_->ModifyResourceGroup("nogroup", 2, std::nullopt), rc::kNotFoundRscGrp,
               "Resource group 'nogroup' not found.", "", "");
  ExpectAnswer(w_->Spawn("nogroup", "fresh", {1024}, false), rc::kNotFoundRscGrp,
               "Resource group 'nogroup' not found.", "", "");
  ExpectAnswer(w_->CreateResourceDefinition("fresh", "nogroup"), rc::kNotFoundRscGrp,
               "Resource group 'nogroup' not found.", "fresh", "");
}

TEST_F(NotFound, NothingChangesInTheTrace) {
  const size_t before = w_->trace().transitions().size();
  (void)w_->DeleteReplica("data", "nobody");
  (void)w_->SetInUse("nosuch", "node-1", true);
  (void)w_->ToggleDisk("data", "node-3", true, "");
  EXPECT_EQ(w_->trace().transitions().size(), before);
}

}  // namespace
}  // namespace lnsim::sim
