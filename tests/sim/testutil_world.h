// Helpers for the world's tests: building small worlds and reading per-entity transition
// sequences out of the trace.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/world.h"

namespace lnsim::sim::testing {

// A world or a test failure (CHECKs the status).
std::unique_ptr<World> MakeWorld(const WorldSpec& spec, uint64_t seed = 1);

// Values an attribute of one entity took, in order (the first is the old value of the first
// transition), e.g. {Connected, NetworkFailure, Unconnected, Connecting}.
std::vector<int64_t> Sequence(const World& w, const EntityRef& e, Attribute attr);

// The entity refs for names.
EntityRef ReplicaRefOf(const World& w, const std::string& rd, const std::string& node);
EntityRef VolumeOf(const World& w, const std::string& rd, const std::string& node,
                   uint32_t vol = 0);
EntityRef LinkOf(const World& w, const std::string& rd, const std::string& node,
                 const std::string& peer);
EntityRef PeerVolumeOf(const World& w, const std::string& rd, const std::string& node,
                       const std::string& peer, uint32_t vol = 0);

// Live replica for (rd, node), CHECKed to exist.
const Replica& ReplicaAt(const World& w, const std::string& rd, const std::string& node);
ConnState ConnOf(const World& w, const std::string& rd, const std::string& node,
                 const std::string& peer);

// Whole trace rendered, for failure messages.
std::string Dump(const World& w, size_t max_lines = 400);

}  // namespace lnsim::sim::testing
