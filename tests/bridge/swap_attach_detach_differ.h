// Fault model: a bridge whose differ reports attach and detach the wrong way round. Every
// volume.attached the real differ computes is published as volume.detached and vice versa (the
// in-place flips and those that accompany replica.created / replica.deleted alike); every other
// event, the order, the partition keys and the sequences stay as the real differ made them.
// A consumer that trusts these events ends up with the wrong in_use for every replica that was
// attached or detached: the verifier must count lost and phantom changes and fail the run
// (tests/harness/planted_bug_itest.cc, through lnsim-test-bridge --plant swap-attach-detach).
// Test-only: built into tests and lnsim-test-bridge, never into lnsim.
#pragma once

#include <memory>
#include <vector>

#include "bridge/diff.h"

namespace lnsim::bridge::testing {

class SwapAttachDetachDiffer final : public DifferWrapper {
 public:
  using DifferWrapper::DifferWrapper;
  std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after) const override {
    std::vector<DomainEvent> events = DifferWrapper::Diff(before, after);
    for (DomainEvent& e : events) {
      if (e.type == EventType::kVolumeAttached) {
        e.type = EventType::kVolumeDetached;
      } else if (e.type == EventType::kVolumeDetached) {
        e.type = EventType::kVolumeAttached;
      }
    }
    return events;
  }
};

}  // namespace lnsim::bridge::testing
