// The world's speed and size (issue 2): generating 100k resource definitions x 3 replicas, a
// million volumes within 4 GiB, and transitions per second of a node-crash storm in virtual time.
// Memory is reported two ways: bytes held by the model's containers (exact, per replica) and the
// process's resident-set growth (everything, including the world's internal indexes).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <fstream>

#include "sim/world.h"

namespace lnsim::sim {
namespace {

int64_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

template <typename T>
size_t VecBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}
size_t StrBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

// Bytes the model's containers hold (struct arrays plus their heap parts).
size_t ClusterBytes(const Cluster& c) {
  size_t b = VecBytes(c.nodes) + VecBytes(c.pools) + VecBytes(c.groups) + VecBytes(c.rds) +
             VecBytes(c.replicas);
  for (const auto& n : c.nodes) b += StrBytes(n.name) + VecBytes(n.pools) + VecBytes(n.replicas);
  for (const auto& p : c.pools) b += StrBytes(p.name);
  for (const auto& rd : c.rds)
    b += StrBytes(rd.name) + VecBytes(rd.volumes) + VecBytes(rd.replicas);
  for (const auto& r : c.replicas) {
    b += VecBytes(r.peers) + VecBytes(r.volumes);
    for (const auto& v : r.volumes) b += VecBytes(v.repl);
  }
  return b;
}

size_t ReplicaBytes(const Cluster& c) {
  size_t b = VecBytes(c.replicas);
  for (const auto& r : c.replicas) {
    b += VecBytes(r.peers) + VecBytes(r.volumes);
    for (const auto& v : r.volumes) b += VecBytes(v.repl);
  }
  return b;
}

WorldSpec Big(int nodes, int resources, int volumes_per_resource) {
  WorldSpec spec;
  spec.cluster.nodes = nodes;
  spec.cluster.resources = resources;
  spec.cluster.volumes_per_resource = volumes_per_resource;
  spec.cluster.replicas = 3;
  spec.cluster.pool_size_kib = Kib{64} << 30;  // 64 TiB per node
  spec.cluster.volume_size_min_kib = Kib{1} << 20;
  spec.cluster.volume_size_max_kib = Kib{20} << 20;
  spec.cluster.in_use_fraction = 0.5;
  return spec;
}

void ReportSize(benchmark::State& state, const World& w, int64_t rss_before) {
  const Cluster& c = w.cluster();
  size_t volumes = 0;
  for (const auto& rd : c.rds) volumes += rd.volumes.size();
  state.counters["replicas"] = static_cast<double>(c.replicas.size());
  state.counters["volumes"] = static_cast<double>(volumes);
  state.counters["model_MiB"] = static_cast<double>(ClusterBytes(c)) / (1 << 20);
  state.counters["bytes_per_replica"] =
      static_cast<double>(ReplicaBytes(c)) / static_cast<double>(c.replicas.size());
  state.counters["rss_growth_MiB"] = static_cast<double>(RssBytes() - rss_before) / (1 << 20);
  state.counters["rss_per_replica"] =
      static_cast<double>(RssBytes() - rss_before) / static_cast<double>(c.replicas.size());
}

// 100k resource definitions x 3 replicas (1 volume each) on 30 nodes.
void BM_Generate100kx3(benchmark::State& state) {
  const WorldSpec spec = Big(30, 100000, 1);
  for (auto _ : state) {
    const int64_t rss = RssBytes();
    auto w = World::Create(spec, 1);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    benchmark::DoNotOptimize(w->get());
    state.PauseTiming();
    ReportSize(state, **w, rss);
    w->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 300000);
}
// One iteration: the resident-set growth is only meaningful for a fresh heap.
BENCHMARK(BM_Generate100kx3)->Unit(benchmark::kMillisecond)->Iterations(1);

// One million volumes: 1M resource definitions x 1 volume, or 500k x 2 volumes, x 3 replicas
// on 300 nodes. The figure to watch is rss_growth_MiB (must stay below 4096).
void BM_OneMillionVolumes(benchmark::State& state) {
  const WorldSpec spec =
      Big(300, static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));
  for (auto _ : state) {
    const int64_t rss = RssBytes();
    auto w = World::Create(spec, 1);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    state.PauseTiming();
    ReportSize(state, **w, rss);
    if (RssBytes() - rss > (int64_t{4} << 30)) state.SkipWithError("more than 4 GiB");
    w->reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_OneMillionVolumes)
    ->Args({1000000, 1})
    ->Args({500000, 2})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// A node-crash storm: one of 10 nodes holding ~30k replicas dies and returns; every peer walks
// the connection state machine, quorum/promotion are recomputed, the return resyncs.
void BM_NodeCrashStorm(benchmark::State& state) {
  WorldSpec spec = Big(10, static_cast<int>(state.range(0)), 1);
  spec.cluster.write_rate_kib = 10 * 1024;
  FaultSpec crash;
  crash.kind = FaultKind::kNodeCrash;
  crash.at = std::chrono::seconds(10);
  crash.duration = std::chrono::seconds(60);
  crash.nodes = {"node-3"};
  spec.faults.push_back(crash);
  spec.duration = std::chrono::minutes(10);
  uint64_t transitions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto w = World::Create(spec, 1);
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    state.ResumeTiming();
    transitions += (*w)->AdvanceTo((*w)->RunLength());
    state.PauseTiming();
    w->reset();
    state.ResumeTiming();
  }
  state.counters["transitions"] =
      static_cast<double>(transitions) / static_cast<double>(state.iterations());
  state.counters["transitions_per_s"] =
      benchmark::Counter(static_cast<double>(transitions), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_NodeCrashStorm)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lnsim::sim

BENCHMARK_MAIN();
