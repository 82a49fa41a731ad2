// A world-backed mock for tests: a real sim::World behind a MockServer that is never started
// (no sockets, no threads), driven through MockServer::HandleForTest and a SimulatedClock.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::mock::testing {

sim::WorldSpec SmallSpec(int nodes = 5, int resources = 20);

class WorldHarness {
 public:
  explicit WorldHarness(const sim::WorldSpec& spec, ServerOptions options = {});

  // `target` may carry a query string; `body` is sent as is (no Content-Type exists here).
  HttpResponse Do(const std::string& method, const std::string& target,
                  const std::string& body = "");
  nlohmann::json Json(const std::string& method, const std::string& target,
                      const std::string& body = "", int* status = nullptr);
  // Moves the clock and lets the server advance the world (what its ticker does).
  void Advance(Duration d);
  // Reads the world under the server's lock.
  sim::Cluster ClusterCopy();

  MockServer& server() { return *server_; }
  SimulatedClock& clock() { return clock_; }

 private:
  SimulatedClock clock_{Duration::zero(), 1795466932000LL * 1000000};
  std::unique_ptr<MockServer> server_;
};

// Creates resource definition `name` with one 1 GiB volume definition through the REST API,
// failing the test on any other answer than LINSTOR's (201, then 200).
void CreateDefinition(WorldHarness& h, const std::string& name);

}  // namespace lnsim::mock::testing
