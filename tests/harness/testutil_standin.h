// Test stand-ins for the verifier: a tiny hand-built world (nodes, resources, in_use toggles,
// node outages) written as trace transitions, a perfect polling bridge that turns it into the
// observations an ideal pipeline would deliver, and a fault-injecting publisher that wraps that
// stream.
//
// Fault model of FaultyPublisher (each fault is applied to the perfect stream, by index):
//  - drop(i): observation i never reaches the consumer;
//  - duplicate(i): observation i is delivered twice, the copy processed again (dedup off);
//  - redeliver(i): observation i is delivered twice, the copy dropped by dedup (num_delivered 2);
//  - swap(i): observations i and i+1 (same partition key) are delivered in the other order;
//  - delay(i, d): observation i is delivered d later (same position in the stream);
//  - invent(o): an observation no world transition explains is appended.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "harness/verifier.h"
#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::harness::testing {

struct MiniWorld {
  sim::Cluster cluster;
  std::vector<sim::Transition> trace;
  uint64_t seq = 0;

  MiniWorld(int nodes, int rds);
  void InUse(int64_t t_ms, uint32_t rd, uint32_t node, bool value);
  void Online(int64_t t_ms, uint32_t node, bool online);
  // Current value tracked for the stand-in bridge.
  std::map<std::pair<uint32_t, uint32_t>, bool> in_use;
  std::map<uint32_t, bool> online;
};

// Polls the world every poll_ms and emits an observation per changed, observable value.
// Events: node online/offline (partition "node.<n>"), volume attached/detached (partition
// "resource.<rd>"). delivered = observed + deliver_ms.
std::vector<Observation> PerfectBridge(const MiniWorld& world, int64_t poll_ms, int64_t end_ms,
                                       int64_t deliver_ms, uint32_t consumer,
                                       bool swap_attach_detach = false);

class FaultyPublisher {
 public:
  explicit FaultyPublisher(std::vector<Observation> perfect) : perfect_(std::move(perfect)) {}
  FaultyPublisher& Drop(size_t i) {
    drop_.insert(i);
    return *this;
  }
  FaultyPublisher& Duplicate(size_t i) {
    duplicate_.insert(i);
    return *this;
  }
  FaultyPublisher& Redeliver(size_t i) {
    redeliver_.insert(i);
    return *this;
  }
  FaultyPublisher& Swap(size_t i) {
    swap_.insert(i);
    return *this;
  }
  FaultyPublisher& Delay(size_t i, int64_t ns) {
    delay_[i] = ns;
    return *this;
  }
  FaultyPublisher& Invent(const Observation& o) {
    invented_.push_back(o);
    return *this;
  }
  std::vector<Observation> Stream() const;

 private:
  std::vector<Observation> perfect_;
  std::set<size_t> drop_, duplicate_, redeliver_, swap_;
  std::map<size_t, int64_t> delay_;
  std::vector<Observation> invented_;
};

}  // namespace lnsim::harness::testing
