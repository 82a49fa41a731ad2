// The adapter between what consumers receive (CloudEvents bytes, decoded with bridge/event.h, the
// one envelope contract) and what the verifier judges (Observation: channels and values in the
// world's own indices). Names are resolved against the world's cluster; a name the world never
// had resolves to channel 0, which the verifier counts as phantom.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/event.h"
#include "common/status.h"
#include "harness/consumer.h"
#include "harness/verifier.h"
#include "sim/model.h"

namespace lnsim::harness {

// kDiskLabel value of a LINSTOR disk state label ("UpToDate", "SyncTarget"); kGone when unknown.
int64_t DiskLabelValue(std::string_view label);

// Not thread-safe. Reads `cluster` (which must outlive it) on every Decode: call it on the thread
// that owns the world, or against a cluster that no longer changes.
class ObservationDecoder {
 public:
  // `world_epoch_unix_ns`: the Unix time of world t = 0, to convert receipt and observation
  // stamps into world time.
  ObservationDecoder(const sim::Cluster& cluster, int64_t world_epoch_unix_ns);

  // Decodes one receipt into *out and its further assertions into *extras (cleared first).
  // A payload that is not a valid envelope still yields an observation (channel 0: phantom) and
  // returns the decode error for logging.
  Status Decode(const Delivery& delivery, Observation* out, std::vector<Assertion>* extras);
  // The same from an already decoded event (tests, benches, `lnsim tail`).
  void FromEvent(const bridge::Event& event, Observation* out, std::vector<Assertion>* extras);

  int64_t ToWorld(int64_t unix_ns) const { return unix_ns - epoch_unix_ns_; }

 private:
  void Refresh();
  uint32_t Node(const std::string& name);
  uint32_t Rd(const std::string& name);
  uint32_t Pool(uint32_t node, const std::string& name);

  const sim::Cluster& cluster_;
  int64_t epoch_unix_ns_;
  size_t seen_nodes_ = 0, seen_rds_ = 0, seen_pools_ = 0;
  std::unordered_map<std::string, uint32_t> nodes_;  // folded name -> index
  std::unordered_map<std::string, uint32_t> rds_;
  std::unordered_map<std::string, uint32_t> pools_;  // "node-index/folded pool" -> index
};

}  // namespace lnsim::harness
