// Writes the controller answers only when the satellites are done (docs/mock-linstor.md
// "Answers after the satellites"): resource-definition delete, resource delete and toggle-disk.
// Each returns the first answer and sets WriteEffects::complete, which the HTTP adapter calls
// after each tick until the world has finished the change.
#include <string>
#include <vector>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"

namespace lnsim::mock::handlers {
namespace {

using sim::kNoIndex;

bool NodeOnline(const sim::Cluster& cluster, sim::NodeIndex node) {
  return cluster.nodes[node].connection == sim::NodeConnection::kOnline;
}

sim::OpMessage Success(int code, std::string text, const std::string& rd, const std::string& node) {
  sim::OpMessage m;
  m.severity = sim::Severity::kSuccess;
  m.code = code;
  m.message = std::move(text);
  m.rd = rd;
  m.node = node;
  return m;
}

// Replaces the world's last success entry (its "... deleted." text) by `text`.
void RewordLastSuccess(sim::OpResult* op, const std::string& text) {
  for (auto it = op->messages.rbegin(); it != op->messages.rend(); ++it) {
    if (it->severity == sim::Severity::kSuccess) {
      it->message = text;
      return;
    }
  }
}

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

// CtrlRscDfnDeleteApiCallHandler: "Resource definition 'X' marked for deletion.", the
// satellites' "Resource 'X' on 'n' deleted", then "Resource definition 'X' deleted." once the data
// is gone. A satellite that is not connected ends the answer early (its warning is in the first).
HttpResponse DeleteResourceDefinitionAwaiting(const WriteContext& context, sim::OpResult op) {
  const sim::Cluster& cluster = context.world.cluster();
  const sim::RdIndex rd = context.world.FindResourceDefinition(context.params["rsc"]);
  const int64_t created_ms = context.created_ms;
  if (internal::OpFailed(op) || rd == kNoIndex) {
    return internal::FromOp(op, rcmask::kDelete, rcmask::kRscDfn, created_ms, 200);
  }
  const std::string name = cluster.rds[rd].name;
  std::vector<std::string> nodes;
  for (sim::ReplicaIndex r : cluster.rds[rd].replicas) {
    nodes.push_back(cluster.nodes[cluster.replicas[r].node].name);
  }
  RewordLastSuccess(&op, "Resource definition " + Quoted(name) + " marked for deletion.");
  context.effects.complete = [op, name, nodes, created_ms](const sim::World& world,
                                                           HttpResponse* response) mutable {
    const sim::RdIndex now = world.FindResourceDefinition(name);
    if (now != kNoIndex) {
      for (sim::ReplicaIndex r : world.cluster().rds[now].replicas) {
        if (!NodeOnline(world.cluster(), world.cluster().replicas[r].node)) return true;
      }
      return false;
    }
    for (const std::string& node : nodes) {
      op.messages.push_back(Success(sim::rc::kDeleted,
                                    "Resource " + Quoted(name) + " on " + Quoted(node) + " deleted",
                                    name, node));
    }
    op.messages.push_back(
        Success(sim::rc::kDeleted, "Resource definition " + Quoted(name) + " deleted.", name, ""));
    *response = internal::FromOp(op, rcmask::kDelete, rcmask::kRscDfn, created_ms, 200);
    return true;
  };
  return internal::FromOp(op, rcmask::kDelete, rcmask::kRscDfn, created_ms, 200);
}

// CtrlRscDeleteApiCallHandler: "Resource 'X' on 'n' marked for deletion", then "... deleted"
// when the satellite has removed it. An offline node keeps the replica flagged: no wait.
HttpResponse DeleteResourceAwaiting(const WriteContext& context, sim::OpResult op) {
  const sim::Cluster& cluster = context.world.cluster();
  const sim::RdIndex rd = context.world.FindResourceDefinition(context.params["rsc"]);
  const sim::NodeIndex node = context.world.FindNode(context.params["node"]);
  const int64_t created_ms = context.created_ms;
  if (internal::OpFailed(op) || rd == kNoIndex || node == kNoIndex ||
      context.world.FindReplica(rd, node) == kNoIndex || !NodeOnline(cluster, node)) {
    return internal::FromOp(op, rcmask::kDelete, rcmask::kRsc, created_ms, 200);
  }
  const std::string rd_name = cluster.rds[rd].name, node_name = cluster.nodes[node].name;
  const std::string what = "Resource " + Quoted(rd_name) + " on " + Quoted(node_name);
  RewordLastSuccess(&op, what + " marked for deletion");
  context.effects.complete = [op, rd_name, node_name, what, created_ms](
                                 const sim::World& world, HttpResponse* response) mutable {
    const sim::RdIndex d = world.FindResourceDefinition(rd_name);
    const sim::NodeIndex n = world.FindNode(node_name);
    const bool gone = d == kNoIndex || n == kNoIndex || world.FindReplica(d, n) == kNoIndex;
    if (!gone) return !NodeOnline(world.cluster(), n);
    op.messages.push_back(Success(sim::rc::kDeleted, what + " deleted", rd_name, node_name));
    *response = internal::FromOp(op, rcmask::kDelete, rcmask::kRsc, created_ms, 200);
    return true;
  };
  return internal::FromOp(op, rcmask::kDelete, rcmask::kRsc, created_ms, 200);
}

// CtrlRscToggleDiskApiCallHandler answers when the satellites have attached / detached the disk:
// the same entries, sent once the replica's DISK_*_REQUESTED / DISK_ADDING / DISK_REMOVING
// flags are gone (or its node left ONLINE).
HttpResponse ToggleDiskAwaiting(const WriteContext& context, const sim::OpResult& op) {
  const int64_t created_ms = context.created_ms;
  HttpResponse first = internal::FromOp(op, rcmask::kModify, rcmask::kRsc, created_ms, 200);
  const sim::RdIndex rd = context.world.FindResourceDefinition(context.params["rsc"]);
  const sim::NodeIndex node = context.world.FindNode(context.params["node"]);
  if (internal::OpFailed(op) || rd == kNoIndex || node == kNoIndex) return first;
  const std::string rd_name = context.world.cluster().rds[rd].name;
  const std::string node_name = context.world.cluster().nodes[node].name;
  context.effects.complete = [first, rd_name, node_name](const sim::World& world,
                                                         HttpResponse* response) {
    constexpr uint32_t kToggling = sim::kReplicaDiskAddRequested | sim::kReplicaDiskAdding |
                                   sim::kReplicaDiskRemoveRequested | sim::kReplicaDiskRemoving;
    const sim::RdIndex d = world.FindResourceDefinition(rd_name);
    const sim::NodeIndex n = world.FindNode(node_name);
    const sim::ReplicaIndex r = d == kNoIndex || n == kNoIndex ? kNoIndex : world.FindReplica(d, n);
    if (r != kNoIndex && (world.cluster().replicas[r].flags & kToggling) != 0 &&
        NodeOnline(world.cluster(), n)) {
      return false;
    }
    *response = first;
    return true;
  };
  return first;
}

}  // namespace lnsim::mock::handlers
