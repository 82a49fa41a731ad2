// The NATS cluster's route proxies draw from the run's seed (NatsClusterOptions::seed), one
// forked stream per ordered pair of members.
#include "harness/nats_cluster.h"

#include <gtest/gtest.h>

#include <vector>

namespace lnsim::harness {
namespace {

std::vector<uint64_t> Draws(Rng rng) {
  std::vector<uint64_t> out;
  for (int i = 0; i < 8; ++i) out.push_back(rng.Next());
  return out;
}

TEST(RouteProxyRngTest, SameSeedSameStreams) {
  EXPECT_EQ(Draws(RouteProxyRng(7, 0, 1)), Draws(RouteProxyRng(7, 0, 1)));
  EXPECT_EQ(Draws(RouteProxyRng(7, 2, 1)), Draws(RouteProxyRng(7, 2, 1)));
}

TEST(RouteProxyRngTest, OtherSeedOtherStreams) {
  EXPECT_NE(Draws(RouteProxyRng(7, 0, 1)), Draws(RouteProxyRng(8, 0, 1)));
  EXPECT_NE(Draws(RouteProxyRng(0, 1, 2)), Draws(RouteProxyRng(1, 1, 2)));
}

TEST(RouteProxyRngTest, EachRouteHasItsOwnStream) {
  EXPECT_NE(Draws(RouteProxyRng(7, 0, 1)), Draws(RouteProxyRng(7, 1, 0)));
  EXPECT_NE(Draws(RouteProxyRng(7, 0, 1)), Draws(RouteProxyRng(7, 0, 2)));
}

TEST(RouteProxyRngTest, SeedZeroKeepsTheEarlierStreams) {
  // Before the seed was an option every cluster used Rng(0): seed 0 still gives those streams.
  EXPECT_EQ(Draws(RouteProxyRng(0, 0, 1)), Draws(Rng(0).Fork("route/0-1")));
}

}  // namespace
}  // namespace lnsim::harness
