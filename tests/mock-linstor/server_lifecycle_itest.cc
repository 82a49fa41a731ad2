// Start and Stop of the mock's listeners on a loopback port. Regression: a Stop() right after
// Start() could hang for ever, because cpp-httplib's stop() is a no-op until the listen thread
// has entered its accept loop (the route test, which sends no request in one case, hit it).
#include <gtest/gtest.h>

#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::mock {
namespace {

TEST(ServerLifecycle, StopRightAfterStartReturns) {
  for (int round = 0; round < 20; ++round) {
    sim::WorldSpec spec;
    spec.cluster.nodes = 3;
    spec.cluster.resources = 1;
    auto world = sim::World::Create(spec, 1);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    SimulatedClock clock;
    ServerOptions options;
    options.port = 0;
    MockServer server(std::move(world).value(), clock, options);
    ASSERT_TRUE(server.Start().ok());
    EXPECT_GT(server.port(), 0);
    server.Stop();  // returns: the listen thread was stopped and joined
  }
}

}  // namespace
}  // namespace lnsim::mock
