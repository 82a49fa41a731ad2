// A started MockServer on a free loopback port over a small world, for raw-socket tests of what
// the HTTP layer does (tests/mock-linstor/*methods*_itest.cc, multipart_body_itest.cc).
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/mock-linstor/testutil_server.h"

namespace lnsim::mock::testing {

class LiveServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const sim::WorldSpec spec = SmallSpec(3, 4);
    auto world = sim::World::Create(spec, spec.seed);
    ASSERT_TRUE(world.ok()) << world.status().ToString();
    ServerOptions options;
    options.port = 0;
    options.epoch_unix_ms = 1795466932000LL;
    server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }
  SimulatedClock clock_{Duration::zero(), 1795466932000LL * 1000000};
  std::unique_ptr<MockServer> server_;
};

}  // namespace lnsim::mock::testing
