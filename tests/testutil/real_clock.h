// A process-wide RealClock for tests that need a clock only to satisfy an API that waits in
// real time against a real server (a nats.c connection's teardown, say) and outlives any one
// test fixture. Tests that drive time use SimulatedClock instead.
#pragma once

#include "common/clock.h"

namespace lnsim::testutil {

inline const RealClock& RealClockForTests() {
  static const RealClock clock;
  return clock;
}

}  // namespace lnsim::testutil

namespace lnsim {
using testutil::RealClockForTests;
}  // namespace lnsim
