// Per consumer: the documented order within one resource (docs/events.md "Order within one
// resource") and the JetStream promise of no sequence gaps (docs/events.md "Envelope"), judged on
// first receipts in arrival order. Also the raw material of the report's examples (which events,
// which key), rendered with names once the run is over (harness/internal/verifier_examples.cc).
//
// Order. A resource and each of its replicas have a lifetime: created ... deleted. An event of a
// resource (replica, volume, resize) after its resource.deleted, or before its resource.created
// when the consumer saw the created after it, is *misordered*; the same for a replica's events
// and its replica.created / replica.deleted. Judged only while the consumer has every sequence
// of the resource's partition key (its receipts are contiguous): a lost event in between makes
// the order unknowable, so the lifetimes start over (lost is counted where it belongs).
//
// Gaps (JetStream only, where each key starts at 1): per partition key, the sequences below the
// highest first receipt that never arrived. Counted at the end, so a redelivery that fills the
// hole later is no gap.
#pragma once

#include <cstdint>
#include <vector>

#include "harness/internal/flat_hash.h"
#include "harness/verifier.h"

namespace lnsim::harness::internal {

// One case behind a counter, kept as indices until names can be given (Finish).
struct RawExample {
  const char* counter = "";
  const char* rule = "";
  uint64_t key_channel = 0;  // a channel naming the key or entity
  Assertion first;           // the earlier event (channel 0 and seq 0: none)
  uint64_t first_seq = 0;
  Assertion second;  // the event that broke the rule
  uint64_t second_seq = 0;
  int64_t when = kNoTime;  // world time the second one was delivered
};

// Appends `e` unless kMaxExamplesPerCounter of its counter are already kept.
void KeepExample(std::vector<RawExample>* examples, const RawExample& e);

class OrderTracker {
 public:
  // One first receipt that did not go backwards in its key's sequence; `o.primary` names the
  // event. Returns misordered receipts found (0 or 1) and records an example.
  uint64_t Observe(const Observation& o, std::vector<RawExample>* examples);
  // A first receipt below its key's highest sequence (reordered): recorded for the gap count only.
  void ObserveBackwards(const Observation& o);
  // Sequences missing below each JetStream key's highest one; examples for the first keys.
  uint64_t Gaps(std::vector<RawExample>* examples) const;

  // The previous first receipt of o's key, for the reordered example: (assertion, sequence).
  const RawExample* Last(uint64_t partition_hash) const;

 private:
  struct Key {
    uint64_t max_seq = 0;
    uint64_t count = 0;         // distinct first receipts (ids are (key, sequence))
    uint64_t last_arrival = 0;  // sequence of the last in-order first receipt
    uint32_t generation = 0;    // bumped when arrivals skip a sequence: lifetimes unknown
    bool jetstream = false;
    uint64_t gap_from = 0, gap_to = 0;  // the first skip seen in arrival order
    RawExample last;                    // last first receipt (for reordered examples)
  };
  // 0 unknown, 1 created seen, 2 deleted seen, 3 alive without a created (events seen first).
  struct Lifetime {
    uint32_t generation = 0;
    uint8_t state = 0;
    Assertion event;  // the created, deleted or first event that set the state
    uint64_t seq = 0;
  };

  Key& KeyOf(const Observation& o);
  Lifetime& LifetimeOf(uint64_t entity, uint32_t generation);
  // The event is one of the entity's own (not its creation or deletion).
  bool Dependent(uint64_t entity, uint32_t generation, const Observation& o,
                 std::vector<RawExample>* examples);
  bool Opens(uint64_t entity, uint32_t generation, const Observation& o,
             std::vector<RawExample>* examples);
  void Closes(uint64_t entity, uint32_t generation, const Observation& o);

  FlatMap64<uint32_t> key_index_{256};
  std::vector<Key> keys_;
  FlatMap64<uint32_t> lifetime_index_{256};
  std::vector<Lifetime> lifetimes_;
};

}  // namespace lnsim::harness::internal
