// Bridge parse + diff speed (ISSUE 4 "Speed"), each figure next to its in-run reference: one
// poll's parse + diff of a /v1/view/resources body (rendered by the mock from a sim world) vs
// raw simdjson DOM parse of the same bytes, cold (first poll) and steady (1% of the resources
// changed since the previous poll). A reporter prints the ratios at the end of the run.
// One core, no nats-server needed:
//   taskset -c 1 build/parse-release/bench/bridge/parse_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <simdjson.h>

#include <cstdio>
#include <algorithm>
#include <map>
#include <memory>
#include <string>

#include "bridge/diff.h"
#include "bridge/linstor_parse.h"
#include "mock-linstor/rest.h"
#include "mock-linstor/state.h"
#include "sim/world.h"

namespace lnsim::bridge {
namespace {

// ------------------------------------------------------- a realistic view from sim/ + mock
// 20k resources x 3 replicas on 30 nodes, rendered by the mock controller exactly as it answers
// GET /v1/view/resources. Body B differs from A in 1% of the resources (every 100th resource:
// its first replica's in_use flips, i.e. one object of three changes).
constexpr int kResources = 20000;
constexpr int kChangeEvery = 100;  // 1% of resources change between polls

struct Views {
  std::string a, b;
  size_t replicas = 0;
};

const Views& TheViews() {
  static Views v = [] {
    sim::WorldSpec spec;
    spec.cluster.nodes = 30;
    spec.cluster.resources = kResources;
    spec.cluster.replicas = 3;
    spec.cluster.pool_size_kib = sim::Kib{16} << 30;
    spec.seed = 1;
    auto world = sim::World::Create(spec, spec.seed);
    LNSIM_CHECK(world.ok()) << world.status().ToString();
    mock::RestApi api(1795466932000LL);
    mock::MockState mock_state;
    std::vector<std::pair<std::string, std::string>> none;
    Views out;
    out.a = api.RenderResourceView((*world)->cluster(), mock_state, mock::QueryView{none});
    const sim::Cluster& c = (*world)->cluster();
    std::vector<bool> done(c.rds.size(), false);
    int flipped = 0;
    for (const auto& r : c.replicas) {
      if (!r.alive || r.rd == sim::kNoIndex || done[r.rd] || r.rd % kChangeEvery != 0) continue;
      done[r.rd] = true;
      const auto res = (*world)->SetInUse(c.rds[r.rd].name, c.nodes[r.node].name, !r.in_use);
      if (res.ok()) ++flipped;
    }
    out.b = api.RenderResourceView((*world)->cluster(), mock_state, mock::QueryView{none});
    out.replicas = c.replicas.size();
    LNSIM_CHECK(flipped > kResources / kChangeEvery / 2) << flipped << " in_use flips";
    std::fprintf(stderr, "fixture: %zu replicas, %.1f MB per view, %d replicas changed\n",
                 out.replicas, static_cast<double>(out.b.size()) / 1e6, flipped);
    return out;
  }();
  return v;
}

// Reference: simdjson's DOM parse of the same bytes (what a full parse costs at best).
void BM_RawSimdjsonDomParse(benchmark::State& state) {
  std::string body = TheViews().b;
  simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    auto doc = parser.parse(padded);
    benchmark::DoNotOptimize(doc.error());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RawSimdjsonDomParse)->Unit(benchmark::kMillisecond);

// Parse alone, every poll from nothing (arg 0: whole-document DOM path; 1: reusing parser with
// an empty memory, i.e. the first poll).
void BM_ParseCold(benchmark::State& state) {
  std::string body = TheViews().b;
  for (auto _ : state) {
    LinstorParser parser;
    parser.set_reuse(state.range(0) != 0);
    Snapshot s;
    size_t count = 0;
    Status st = parser.ParseResources(body, &s, &count);
    LNSIM_CHECK(st.ok()) << st.ToString();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Parse alone, steady: one parser, polls alternate A and B (1% of resources changed each time).
void BM_ParseSteady(benchmark::State& state) {
  const Views& v = TheViews();
  std::string bodies[2] = {v.a, v.b};
  LinstorParser parser;
  size_t count = 0;
  {
    Snapshot s;
    LNSIM_CHECK(parser.ParseResources(bodies[0], &s, &count).ok());
  }
  int poll = 1;
  for (auto _ : state) {
    Snapshot s;
    Status st = parser.ParseResources(bodies[poll++ % 2], &s, &count);
    LNSIM_CHECK(st.ok()) << st.ToString();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.b.size()));
}
BENCHMARK(BM_ParseSteady)->Unit(benchmark::kMillisecond);

// One whole poll's parse + diff work: parse the view, FinalizeSnapshot, Diff against the
// baseline, NextBaseline (the old baseline is freed). Cold: a new parser for every poll and the
// baseline from body A (nothing to reuse). Steady: one parser across polls that alternate A and
// B, so every poll sees 1% of the resources changed and the parser remembers the previous poll.
void ParseAndDiff(benchmark::State& state, bool steady) {
  const Views& v = TheViews();
  std::string bodies[2] = {v.a, v.b};
  DiffOptions options;
  auto parser = std::make_unique<LinstorParser>();
  Snapshot baseline;
  size_t count = 0;
  LNSIM_CHECK(parser->ParseResources(bodies[0], &baseline, &count).ok());
  FinalizeSnapshot(&baseline, options);
  size_t events = 0, bytes = 0;
  int poll = 1;
  for (auto _ : state) {
    std::string& body = bodies[steady ? poll % 2 : 1];
    if (!steady) {
      state.PauseTiming();
      parser = std::make_unique<LinstorParser>();
      state.ResumeTiming();
    }
    Snapshot after;
    Status st = parser->ParseResources(body, &after, &count);
    LNSIM_CHECK(st.ok()) << st.ToString();
    FinalizeSnapshot(&after, options);
    auto ev = Diff(baseline, after, options);
    if (steady) {
      // As Bridge::PollOnce does: the replaced baseline goes back to the parser.
      Snapshot next = NextBaseline(baseline, std::move(after), options);
      std::swap(baseline, next);
      RecycleSnapshot(std::move(next));
    } else {
      Snapshot next = NextBaseline(baseline, std::move(after), options);
      benchmark::DoNotOptimize(next.replicas.size());
    }
    events = ev.size();
    bytes += body.size();
    ++poll;
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["events"] = static_cast<double>(events);
  state.counters["MB"] = static_cast<double>(v.b.size()) / 1e6;
  const auto rs = parser->reuse_stats();
  state.counters["reused"] =
      static_cast<double>(rs.hits) / static_cast<double>(std::max<uint64_t>(1, rs.hits + rs.misses));
}
void BM_ParseAndDiffCold(benchmark::State& state) { ParseAndDiff(state, false); }
void BM_ParseAndDiffSteady(benchmark::State& state) { ParseAndDiff(state, true); }
BENCHMARK(BM_ParseAndDiffCold)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDiffSteady)->Unit(benchmark::kMillisecond);

// Prints the in-run ratios the issue asks for after the normal console output.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      auto bt = run.counters.find("bytes_per_second");
      if (bt != run.counters.end()) rates_[run.benchmark_name()] = bt->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto ratio = [&](const char* ours, const char* ref, const char* what) {
      auto a = rates_.find(ours);
      auto b = rates_.find(ref);
      if (a == rates_.end() || b == rates_.end() || b->second == 0) return;
      std::printf("ratio %-44s %.3f  (%s %.4g/s vs %s %.4g/s)\n", what, a->second / b->second, ours,
                  a->second, ref, b->second);
    };
    ratio("BM_ParseAndDiffSteady", "BM_RawSimdjsonDomParse", "steady parse+diff (1% changed) vs raw");
    ratio("BM_ParseAndDiffCold", "BM_RawSimdjsonDomParse", "cold parse+diff vs raw simdjson");
    ratio("BM_ParseSteady", "BM_RawSimdjsonDomParse", "steady parse (1% changed) vs raw");
    ratio("BM_ParseCold/1", "BM_RawSimdjsonDomParse", "cold parse (reusing parser) vs raw");
    ratio("BM_ParseCold/0", "BM_RawSimdjsonDomParse", "cold parse (whole-document DOM) vs raw");
    std::fflush(stdout);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace lnsim::bridge

int main(int argc, char** argv) {
  // As `lnsim bridge` does: keep freed snapshot memory instead of returning it to the kernel
  // after every poll (avoids re-faulting the pages of the next snapshot).
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lnsim::bridge::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
