// Verifier bookkeeping speed (goal: >= 1M events/s per core) and histogram record cost (goal:
// <= 10 ns). The world is synthetic: R resources x 3 nodes toggling in_use, one transition per
// millisecond, one perfect observation per transition.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "common/histogram.h"
#include "common/rng.h"
#include "harness/verifier.h"

namespace lnsim::harness {
namespace {

constexpr int64_t kMs = 1'000'000;

struct Workload {
  sim::Cluster cluster;
  std::vector<sim::Transition> trace;
  std::vector<Observation> observations;
};

Workload MakeWorkload(uint32_t resources, size_t events) {
  Workload w;
  w.cluster.nodes.resize(3);
  w.cluster.rds.resize(resources);
  std::vector<int64_t> in_use(resources * 3, 0);
  std::vector<uint64_t> seq(resources, 0);
  Rng rng(42);
  for (size_t i = 0; i < events; ++i) {
    const uint32_t rd = static_cast<uint32_t>(rng.Uniform(resources));
    const uint32_t node = static_cast<uint32_t>(rng.Uniform(3));
    int64_t& v = in_use[rd * 3 + node];
    sim::Transition t;
    t.time_ns = static_cast<int64_t>(i + 1) * kMs;
    t.seq = i + 1;
    t.entity = {sim::EntityKind::kReplica, rd, node};
    t.attr = sim::Attribute::kInUse;
    t.old_value = v;
    t.new_value = 1 - v;
    v = 1 - v;
    w.trace.push_back(t);
    Observation o;
    o.id_hash = Fnv1a64(std::to_string(rd) + "/" + std::to_string(seq[rd] + 1));
    o.partition_hash = rd;
    o.sequence = ++seq[rd];
    o.primary = {MakeChannelKey(ChannelKind::kReplicaInUse, rd, node), t.new_value};
    o.observed_ns = t.time_ns + 50 * kMs;
    o.acked_ns = t.time_ns + 52 * kMs;
    o.delivered_ns = t.time_ns + 53 * kMs;
    w.observations.push_back(o);
  }
  return w;
}

VerifierOptions Options() {
  VerifierOptions o;
  o.observation_bound_ns = 2000 * kMs;
  o.expected_events = 1'000'000;  // the run knows its scale from the scenario
  return o;
}

// Observe() only: the per-event bookkeeping the run does while events flow.
void BM_VerifierObserve(benchmark::State& state) {
  const Workload w = MakeWorkload(static_cast<uint32_t>(state.range(0)), 1'000'000);
  for (auto _ : state) {
    state.PauseTiming();
    auto v = std::make_unique<Verifier>(Options(), 1);
    v->AddTransitions(w.cluster, w.trace);
    state.ResumeTiming();
    for (const Observation& o : w.observations) v->Observe(o);
    benchmark::DoNotOptimize(v.get());
    state.PauseTiming();
    v.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(w.observations.size()));
}
BENCHMARK(BM_VerifierObserve)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

// Everything: world replay, every observation, the end-of-run judgement.
void BM_VerifierEndToEnd(benchmark::State& state) {
  const Workload w = MakeWorkload(static_cast<uint32_t>(state.range(0)), 1'000'000);
  for (auto _ : state) {
    Verifier v(Options(), 1);
    v.AddTransitions(w.cluster, w.trace);
    for (const Observation& o : w.observations) v.Observe(o);
    VerifierResult r = v.Finish(static_cast<int64_t>(w.trace.size() + 10000) * kMs);
    benchmark::DoNotOptimize(r.totals.lost);
    if (r.totals.lost != 0 || r.totals.phantom != 0) state.SkipWithError("verdict not clean");
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(w.observations.size()));
}
BENCHMARK(BM_VerifierEndToEnd)->Arg(1000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_HistogramRecord(benchmark::State& state) {
  Rng rng(7);
  std::vector<uint64_t> values(1 << 16);
  for (auto& v : values) v = static_cast<uint64_t>(rng.LogUniform(1e3, 1e10));
  Histogram h;
  size_t i = 0;
  for (auto _ : state) {
    h.Record(values[i]);
    i = (i + 1) & (values.size() - 1);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

}  // namespace
}  // namespace lnsim::harness

BENCHMARK_MAIN();
