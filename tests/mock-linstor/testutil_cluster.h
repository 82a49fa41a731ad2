// Hand-built clusters for the mock's rendering tests: small, fully specified, independent of the
// world's generator, so a test can say exactly which field must appear or vanish.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mock-linstor/rest.h"
#include "sim/model.h"

namespace lnsim::mock::testing {

// Three nodes (node-a, node-b, node-c), each with DfltDisklessStorPool and pool1 (LVM_THIN);
// resource groups DfltRscGrp (place 2) and rg1 (place 3); resource definitions:
//  - "demo": 1 volume of 1 GiB, diskful on node-a (in use, may_promote false) and node-b,
//            diskless on node-c; node-a resyncing node-b at 42.17%.
//  - "Other": 2 volumes, diskful on node-b only.
sim::Cluster SmallCluster();

// GET through RestApi::HandleRead; `target` may carry a query ("/v1/nodes?nodes=a").
HttpResponse Get(const sim::Cluster& cluster, const std::string& target,
                 const MockState& state = MockState{});
nlohmann::json ParseBody(const HttpResponse& r);

}  // namespace lnsim::mock::testing
