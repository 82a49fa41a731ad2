// World-backed harness for handler tests (see testutil_server.h).
#include "tests/mock-linstor/testutil_server.h"

#include <gtest/gtest.h>

namespace lnsim::mock::testing {

sim::WorldSpec SmallSpec(int nodes, int resources) {
  sim::WorldSpec spec;
  spec.cluster.nodes = nodes;
  spec.cluster.resources = resources;
  spec.seed = 3;
  return spec;
}

WorldHarness::WorldHarness(const sim::WorldSpec& spec, ServerOptions options) {
  auto world = sim::World::Create(spec, spec.seed);
  LNSIM_CHECK(world.ok()) << world.status().ToString();
  options.epoch_unix_ms = 1795466932000LL;
  server_ = std::make_unique<MockServer>(std::move(world).value(), clock_, options);
}

HttpResponse WorldHarness::Do(const std::string& method, const std::string& target,
                              const std::string& body) {
  HttpRequest req;
  req.method = method;
  const size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = ParseQueryString(target.substr(q + 1));
  req.body = body;
  return server_->HandleForTest(req);
}

nlohmann::json WorldHarness::Json(const std::string& method, const std::string& target,
                                  const std::string& body, int* status) {
  const HttpResponse r = Do(method, target, body);
  if (status != nullptr) *status = r.status;
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << method << " " << target << ": not JSON: " << r.body;
  return j;
}

void WorldHarness::Advance(Duration d) {
  clock_.Advance(d);
  server_->TickNow();
}

sim::Cluster WorldHarness::ClusterCopy() {
  sim::Cluster copy;
  server_->WithWorld([&](sim::World& w, MockState&) { copy = w.cluster(); });
  return copy;
}

void CreateDefinition(WorldHarness& h, const std::string& name) {
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions",
                 R"({"resource_definition":{"name":")" + name + R"("}})")
                .status,
            201);
  ASSERT_EQ(h.Do("POST", "/v1/resource-definitions/" + name + "/volume-definitions",
                 R"({"volume_definition":{"size_kib":1048576}})")
                .status,
            200);
}

}  // namespace lnsim::mock::testing
