// How fast the mock renders its main poll target, /v1/view/resources, for a large cluster
// (10k resource definitions x 3 replicas by default): JSON bytes per second on one core, plus
// gzip of the same body and a whole GET through the handler path (lock, cache miss, render).
// Run: build/mock-release/bench/mock-linstor/mock_linstor_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <map>

#include "common/clock.h"
#include "mock-linstor/internal/gzip.h"
#include "mock-linstor/rest.h"
#include "mock-linstor/server.h"
#include "sim/world.h"

namespace lnsim::mock {
namespace {

std::unique_ptr<sim::World> BigWorld(int resources) {
  sim::WorldSpec spec;
  spec.cluster.nodes = 30;
  spec.cluster.resources = resources;
  spec.cluster.replicas = 3;
  spec.cluster.pool_size_kib = sim::Kib{16} << 30;  // 16 TiB per node: room for 10k volumes
  spec.seed = 1;
  auto world = sim::World::Create(spec, spec.seed);
  LNSIM_CHECK(world.ok()) << world.status().ToString();
  return std::move(world).value();
}

const sim::World& SharedWorld(int resources) {
  static std::map<int, std::unique_ptr<sim::World>> worlds;
  auto& w = worlds[resources];
  if (!w) w = BigWorld(resources);
  return *w;
}

void BM_RenderResourceView(benchmark::State& state) {
  const sim::World& world = SharedWorld(static_cast<int>(state.range(0)));
  RestApi api(1795466932000LL);
  MockState mock_state;
  std::vector<std::pair<std::string, std::string>> none;
  size_t bytes = 0;
  for (auto _ : state) {
    std::string body = api.RenderResourceView(world.cluster(), mock_state, QueryView{none});
    bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.counters["body_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["replicas"] = static_cast<double>(world.cluster().replicas.size());
}
BENCHMARK(BM_RenderResourceView)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_GzipResourceView(benchmark::State& state) {
  const sim::World& world = SharedWorld(10000);
  RestApi api(1795466932000LL);
  MockState mock_state;
  std::vector<std::pair<std::string, std::string>> none;
  const std::string body = api.RenderResourceView(world.cluster(), mock_state, QueryView{none});
  size_t out = 0;
  for (auto _ : state) {
    std::string gz = internal::GzipCompress(body);
    out = gz.size();
    benchmark::DoNotOptimize(gz.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(body.size()) * state.iterations());
  state.counters["ratio"] = static_cast<double>(body.size()) / static_cast<double>(out);
}
BENCHMARK(BM_GzipResourceView)->Unit(benchmark::kMillisecond);

// A filtered view (one node's resources): what a per-node poller costs without the cache.
void BM_RenderResourceViewOneNode(benchmark::State& state) {
  const sim::World& world = SharedWorld(10000);
  RestApi api(1795466932000LL);
  MockState mock_state;
  std::vector<std::pair<std::string, std::string>> q{{"nodes", "node-7"}};
  for (auto _ : state) {
    std::string body = api.RenderResourceView(world.cluster(), mock_state, QueryView{q});
    benchmark::DoNotOptimize(body.data());
  }
}
BENCHMARK(BM_RenderResourceViewOneNode)->Unit(benchmark::kMillisecond);

void BM_GetNodeThroughServer(benchmark::State& state) {
  SimulatedClock clock;
  ServerOptions options;
  options.epoch_unix_ms = 0;
  MockServer server(BigWorld(1000), clock, options);
  HttpRequest req{"GET", "/v1/nodes/node-3", {}, ""};
  for (auto _ : state) {
    HttpResponse r = server.HandleForTest(req);
    benchmark::DoNotOptimize(r.body.data());
  }
}
BENCHMARK(BM_GetNodeThroughServer);

}  // namespace
}  // namespace lnsim::mock

BENCHMARK_MAIN();
