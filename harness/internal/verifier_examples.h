// The report's examples from the verifier's raw cases (order_check.h RawExample) and its lost
// segments: names from the cluster, the events as "seq 7 replica.created pvc-1/node-a", and the
// world's history of the entity ("1.200s created"). Internal to harness/.
#pragma once

#include <string>
#include <vector>

#include "harness/internal/order_check.h"
#include "harness/internal/verifier_state.h"
#include "harness/report.h"

namespace lnsim::harness::internal {

// "seq 7 replica.created pvc-1/node-a" (no "seq" when seq is 0).
std::string EventText(const Assertion& a, uint64_t seq, const sim::Cluster* cluster);
// The partition key an event of this channel has: "resource.pvc-1", "node.node-a", ...
std::string KeyText(uint64_t channel, const sim::Cluster* cluster);
// The world's last few changes of a channel: "1.200s created", "3.400s UpToDate".
std::vector<std::string> ChannelHistory(const VerifierState& s, uint64_t channel,
                                        const sim::Cluster* cluster);
Example RenderExample(const VerifierState& s, const RawExample& e, const sim::Cluster* cluster);

}  // namespace lnsim::harness::internal
