// PUT /v1/resource-definitions/{rsc}/resources/{node}/volumes/{vnr}: a volume's props
// (python-linstor's volume_modify), as CtrlVlmApiCallHandler.modifyVolume does: override_props,
// delete_props and delete_namespaces on the volume, answered with one MODIFIED entry
// "Volume with volume number 'N' on resource 'X' on node 'n' modified." (mask VLM).
#include <string>

#include "mock-linstor/handlers/handlers.h"
#include "mock-linstor/internal/answers.h"
#include "mock-linstor/internal/body_reader.h"
#include "mock-linstor/internal/render.h"

namespace lnsim::mock::handlers {

namespace {

HttpResponse VolumeMissing(const WriteContext& context, int code, const std::string& message) {
  return internal::Failure(rcmask::kModify, rcmask::kVlm, code, message, context.created_ms, 200);
}

}  // namespace

HttpResponse ModifyVolume(const WriteContext& context) {
  auto body = internal::ParseBody(context.request.body, /*body_required=*/true);
  if (!body || !body->is_object()) return internal::ParseError(context.created_ms, false);
  const std::string& rd_name = context.params["rsc"];
  const std::string& node_name = context.params["node"];
  const std::string& number_text = context.params["vnr"];
  const sim::NodeIndex node = context.world.FindNode(node_name);
  if (node == sim::kNoIndex) {
    return VolumeMissing(context, rccode::kFailNotFoundNode, "Node '" + node_name + "' not found.");
  }
  const sim::RdIndex rd = context.world.FindResourceDefinition(rd_name);
  if (rd == sim::kNoIndex) {
    return VolumeMissing(context, rccode::kFailNotFoundRscDfn,
                         "Resource definition '" + rd_name + "' not found.");
  }
  const sim::ReplicaIndex replica = context.world.FindReplica(rd, node);
  const sim::Cluster& cluster = context.world.cluster();
  const uint32_t slot = VolumeSlot(cluster.rds[rd], number_text);
  if (replica == sim::kNoIndex || slot == sim::kNoIndex) {
    const bool rsc = replica == sim::kNoIndex;
    return VolumeMissing(context, rsc ? rccode::kFailNotFoundRsc : rccode::kFailNotFoundVlm,
                         (rsc ? "Resource '" + rd_name + "' on node '" + node_name + "'"
                              : "Volume with volume number '" + number_text + "' on resource '" +
                                    rd_name + "' on node '" + node_name + "'") +
                             " not found.");
  }
  const std::string& stored_rd = cluster.rds[rd].name;
  const std::string& stored_node = cluster.nodes[node].name;
  const uint32_t number = cluster.rds[rd].volumes[slot].number;
  internal::BodyReader reader;
  internal::ModifyProps(reader, *body, internal::VolumePropsKey(stored_rd, stored_node, number),
                        &context.state);
  if (reader.bad) return internal::ParseError(context.created_ms, false);
  context.effects.changed = true;
  return internal::Modified(
      rcmask::kVlm,
      "Volume with volume number '" + std::to_string(number) + "' on resource '" + stored_rd +
          "' on node '" + stored_node + "' modified.",
      {{"Node", stored_node}, {"RscDfn", stored_rd}, {"VlmNr", std::to_string(number)}},
      context.created_ms);
}

}  // namespace lnsim::mock::handlers
