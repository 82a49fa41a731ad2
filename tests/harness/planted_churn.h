// The attach/detach churn that the test bridge's planted differ bug (lnsim-test-bridge --plant
// swap-attach-detach) reliably fails on, and the same test bridge without the plant passes:
// planted_bug_itest judges it, first_hour_errors_itest shrinks it. A caller may append a
// `faults:` section.
#pragma once

namespace lnsim::harness::testing {

constexpr char kPlantedChurnScenario[] = R"(
cluster:
  nodes: 3
  resources: 20
  replicas: 3
workload:
  attach_rate: 4
  detach_rate: 4
time_scale: 0.2
duration: 20s
seed: 3
)";

}  // namespace lnsim::harness::testing
