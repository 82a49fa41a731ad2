// Domain invariants of a LINSTOR cluster, checked on every `lnsim run` besides delivery: on the
// world's ground-truth trace (a broken one is a world bug) and on each consumer's delivered
// stream (a broken one is a bridge bug). Each is chosen to hold for any poll-sampled subsequence
// of the world's values, so a correct bridge that coalesces changes never breaks one:
//   resync-progress      a volume's resync done% never decreases within one resync (a resync
//                        ends when the disk state changes or the progress disappears);
//   attach-after-delete  no attach of a volume whose resource (or replica) is deleted;
//   size-by-resize       a volume definition's size changes only through a resize: it never
//                        shrinks, in the world it changes only under a resize cause, and a
//                        delivered size is one the world had;
//   offline-live-state   a node's replicas report no live state (in_use, disk states, peer
//                        connections, quorum) while the node is OFFLINE: in the world, a dead
//                        host (satellite down) changes none of its replicas' live state (a
//                        record created for a new peer is configuration, not a change); on the
//                        stream, no live-state event about a node whose latest node event is
//                        node.offline.
// Pure functions over data; no I/O, no threads.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/event.h"
#include "sim/model.h"
#include "sim/trace.h"

namespace lnsim::harness {

// Every invariant's name, in the order above (the report has one check per invariant).
inline constexpr std::string_view kInvariantNames[] = {"resync-progress", "attach-after-delete",
                                                       "size-by-resize", "offline-live-state"};

struct InvariantViolation {
  std::string invariant;  // "resync-progress", "attach-after-delete", ...
  std::string where;      // "world" or "consumer js-1"
  std::string what;       // one line: what is wrong
  std::string event;      // the offending transition or event, rendered
  std::vector<std::string>
      history;  // earlier transitions / events of the same entity, oldest first
  // "consumer js-1: attach-after-delete: ... \n    event: ...\n    history: ..." (multi-line).
  std::string ToString() const;
};

// Checks the world's trace. `initial` is the cluster as World::Create left it (entities that
// exist at t = 0), `cluster` the cluster now (names every entity of the trace). At most
// `max_violations` are returned.
std::vector<InvariantViolation> CheckWorldTrace(const sim::Cluster& cluster,
                                                const sim::TraceLog& log,
                                                size_t max_violations = 20);

// What the stream checker needs from the world (so that it never judges a correct sample as
// broken): the sizes each volume definition had, and when each volume's resync ended or restarted.
struct WorldFacts {
  std::map<std::string, std::set<int64_t>> vd_sizes_kib;  // folded "rd/volume" -> sizes
  std::map<std::string, std::vector<int64_t>>
      resync_resets_ns;       // folded "rd/node/volume" -> world ns
  int64_t epoch_unix_ns = 0;  // Unix time of world t = 0 (event times are Unix)
};
// `initial`: the cluster at t = 0; `cluster`: the cluster now (names); `log`: the trace.
WorldFacts CollectWorldFacts(const sim::Cluster& initial, const sim::Cluster& cluster,
                             const sim::TraceLog& log, int64_t epoch_unix_ns);

// Checks one consumer's processed stream (first receipt of each id, in delivery order).
// `consumer` names it in violations.
std::vector<InvariantViolation> CheckDeliveredStream(const std::vector<bridge::Event>& events,
                                                     const WorldFacts& facts,
                                                     const std::string& consumer,
                                                     size_t max_violations = 20);

}  // namespace lnsim::harness
