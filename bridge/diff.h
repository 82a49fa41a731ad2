// The differ: a pure function from two snapshots to the ordered list of domain events, plus the
// rule that turns the observed snapshot into the next baseline. Pure (no clock, no I/O), so
// every case is a unit test and a restarted bridge that recovers its baseline from the state
// mirror computes exactly the events a bridge that never crashed would have computed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bridge/event.h"
#include "bridge/snapshot.h"

namespace lnsim::bridge {

// Events that turn `before` (the baseline: what consumers have been told) into `after` (a
// finalized observation, see FinalizeSnapshot). Unknown live data in `after` (node OFFLINE,
// satellite state missing) produces no event: the baseline keeps the last known value, and a
// change is reported once the value is known again. Deterministic order:
//   1. nodes by folded name: online / offline / evicted;
//   2. pools by (node, pool): capacity_low / capacity_ok;
//   3. resources by folded name, all under one partition key: resource.created,
//      volume.resized (by volume number), then per replica by folded node name:
//      [volume.detached] replica.deleted | replica.created [volume.attached] |
//      disk_state_changed (by volume), connection_lost/restored (by peer),
//      quorum_lost/regained, volume.attached/detached; finally resource.deleted.
std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after,
                              const DiffOptions& options);

// Diff() behind an interface: the seam where tests put a decorator (tests/bridge/
// swap_attach_detach_differ.h plants a bug the verifier must catch). Thread-compatible.
class Differ {
 public:
  virtual ~Differ() = default;
  virtual std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after) const = 0;
};
// The production differ: Diff(before, after, options).
std::unique_ptr<Differ> NewDiffer(const DiffOptions& options);

// Forwards to another differ (LevelDB's EnvWrapper): a decorator derives from it and overrides
// what it changes.
class DifferWrapper : public Differ {
 public:
  explicit DifferWrapper(std::unique_ptr<Differ> base) : base_(std::move(base)) {}
  std::vector<DomainEvent> Diff(const Snapshot& before, const Snapshot& after) const override {
    return base_->Diff(before, after);
  }

 private:
  std::unique_ptr<Differ> base_;
};

// The baseline to keep after publishing Diff(before, after): `after`, except that every
// unknown live value carries the last known value from `before`, and resync progress keeps the
// last reported percentage until Diff reports a new one.
// `after` is taken by value: pass it with std::move when it is not needed afterwards.
Snapshot NextBaseline(const Snapshot& before, Snapshot after, const DiffOptions& options);

// Partition keys (node.<n>, pool.<n>.<p>, resource.<r>) whose state differs between two
// snapshots or exists in only one, sorted and unique: the state-mirror entries to rewrite.
// Walks the sorted maps side by side (one pass, no lookups).
std::vector<std::string> ChangedPartitionKeys(const Snapshot& a, const Snapshot& b);

}  // namespace lnsim::bridge
