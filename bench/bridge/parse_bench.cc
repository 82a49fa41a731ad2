// Bridge parse + diff speed (ISSUE 4 "Speed"), each figure next to its in-run reference: one
// poll's parse + diff of a /v1/view/resources body (rendered by the mock from a sim world) vs
// raw simdjson DOM parse of the same bytes, cold (first poll) and steady (1% of the resources
// changed since the previous poll). A reporter prints the ratios at the end of the run.
// One core, no nats-server needed:
//   taskset -c 1 build/parse-release/bench/bridge/parse_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
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

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ------------------------------------------------------- a realistic view from sim/ + mock
// 20k resources x 3 replicas on 30 nodes, rendered by the mock controller exactly as it answers
// GET /v1/view/resources. Body B differs from A in 1% of the resources (every 100th resource:
// one replica's in_use flips, i.e. one object in three of that resource changes). Also both
// bodies as the bridge's client fetches them by default: pages of 1000 objects with offset
// advancing by 750 (a quarter overlaps, see LinstorClient::FetchSnapshot).
constexpr int kResources = 20000;
constexpr int kChangeEvery = 100;  // 1% of resources change between polls
constexpr size_t kPageLimit = 1000, kPageOverlap = 250;

struct Views {
  std::string a, b;
  std::vector<std::string> pages_a, pages_b;
  size_t paged_bytes_b = 0;
  size_t replicas = 0;
  int changed = 0;
};

std::vector<std::string> Pages(const mock::RestApi& api, const sim::Cluster& c,
                               const mock::MockState& st) {
  std::vector<std::string> pages;
  for (size_t offset = 0;; offset += kPageLimit - kPageOverlap) {
    std::vector<std::pair<std::string, std::string>> q = {{"limit", std::to_string(kPageLimit)},
                                                          {"offset", std::to_string(offset)}};
    pages.push_back(api.RenderResourceView(c, st, mock::QueryView{q}));
    if (pages.size() * (kPageLimit - kPageOverlap) + kPageOverlap > c.replicas.size() + kPageLimit)
      break;
  }
  return pages;
}

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
    const sim::Cluster& c = (*world)->cluster();
    out.a = api.RenderResourceView(c, mock_state, mock::QueryView{none});
    out.pages_a = Pages(api, c, mock_state);
    for (sim::RdIndex rd = 0; rd < c.rds.size(); rd += kChangeEvery) {
      for (sim::ReplicaIndex r : c.rds[rd].replicas) {  // the first replica that accepts a flip
        const sim::Replica& rep = c.replicas[r];
        if ((*world)->SetInUse(c.rds[rd].name, c.nodes[rep.node].name, !rep.in_use).ok()) {
          ++out.changed;
          break;
        }
      }
    }
    out.b = api.RenderResourceView(c, mock_state, mock::QueryView{none});
    out.pages_b = Pages(api, c, mock_state);
    for (const auto& p : out.pages_b) out.paged_bytes_b += p.size();
    out.replicas = c.replicas.size();
    LNSIM_CHECK(out.changed > kResources / kChangeEvery / 2) << out.changed << " in_use flips";
    std::fprintf(stderr,
                 "fixture: %zu replicas, %.1f MB per view (%zu pages, %.1f MB), %d of %d "
                 "resources changed between A and B\n",
                 out.replicas, static_cast<double>(out.b.size()) / 1e6, out.pages_b.size(),
                 static_cast<double>(out.paged_bytes_b) / 1e6, out.changed, kResources);
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
    state.PauseTiming();
    RecycleSnapshot(Snapshot());  // nothing recycled: a first poll
    state.ResumeTiming();
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

// Parse alone, steady: one parser, polls alternate A and B (1% of resources changed each time),
// each result recycled.
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
    std::string nodes = "[]";  // the client parses the other lists between polls
    Snapshot s;
    LNSIM_CHECK(parser.ParseNodes(nodes, &s, &count).ok());
    Status st = parser.ParseResources(bodies[poll++ % 2], &s, &count);
    LNSIM_CHECK(st.ok()) << st.ToString();
    RecycleSnapshot(std::move(s));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.b.size()));
}
BENCHMARK(BM_ParseSteady)->Unit(benchmark::kMillisecond);

// One whole poll's parse + diff work: parse the view, FinalizeSnapshot, Diff against the
// baseline, NextBaseline, the replaced baseline recycled (as Bridge::PollOnce does). Cold: a
// new parser for every poll and the baseline from body A (nothing to reuse). Steady: one parser
// across polls that alternate A and B, so every poll sees 1% of the resources changed and the
// parser remembers the previous poll; a nodes list is parsed between polls as the client does.
// Paged: the body arrives in the client's overlapping pages (bytes counted: the pages' bytes).
void ParseAndDiff(benchmark::State& state, bool steady, bool paged, bool reuse = true) {
  const Views& v = TheViews();
  std::vector<std::string> bodies[2];
  if (paged) {
    bodies[0] = v.pages_a;
    bodies[1] = v.pages_b;
  } else {
    bodies[0] = {v.a};
    bodies[1] = {v.b};
  }
  DiffOptions options;
  auto parser = std::make_unique<LinstorParser>();
  auto parse = [&](std::vector<std::string>& pages, Snapshot* out) {
    std::string nodes = "[]";
    size_t count = 0;
    Snapshot ignored;
    LNSIM_CHECK(parser->ParseNodes(nodes, &ignored, &count).ok());
    for (auto& page : pages) {
      Status st = parser->ParseResources(page, out, &count);
      LNSIM_CHECK(st.ok()) << st.ToString();
    }
  };
  Snapshot baseline;
  parse(bodies[0], &baseline);
  FinalizeSnapshot(&baseline, options);
  size_t events = 0, bytes = 0;
  int poll = 1;
  uint64_t hits0 = 0, misses0 = 0;
  double parse_s = 0;
  for (auto _ : state) {
    auto& body = bodies[steady ? poll % 2 : 1];
    if (!steady) {
      state.PauseTiming();
      parser = std::make_unique<LinstorParser>();
      parser->set_reuse(reuse);
      RecycleSnapshot(Snapshot());  // a first poll has nothing recycled either
      state.ResumeTiming();
    }
    const auto before_stats = parser->reuse_stats();
    Snapshot after;
    const double t0 = ThreadCpuSeconds();
    parse(body, &after);
    parse_s += ThreadCpuSeconds() - t0;
    FinalizeSnapshot(&after, options);
    auto ev = Diff(baseline, after, options);
    Snapshot next = NextBaseline(baseline, std::move(after), options);
    std::swap(baseline, next);
    if (steady) {
      RecycleSnapshot(std::move(next));
    } else {
      // Cold: the first poll has no replaced baseline to recycle; keep the fixture's.
      std::swap(baseline, next);
    }
    const auto after_stats = parser->reuse_stats();
    hits0 += after_stats.hits - before_stats.hits;
    misses0 += after_stats.misses - before_stats.misses;
    events = ev.size();
    for (const auto& p : body) bytes += p.size();
    ++poll;
  }
  {  // Untimed check: in this state the parser still returns exactly the full parse.
    auto& body = bodies[steady ? poll % 2 : 1];
    Snapshot got, want;
    parse(body, &got);
    LinstorParser reference;
    reference.set_reuse(false);
    size_t count = 0;
    for (auto& page : body) LNSIM_CHECK(reference.ParseResources(page, &want, &count).ok());
    LNSIM_CHECK(got == want) << "reusing parse differs from the full parse";
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["events"] = static_cast<double>(events);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6 / static_cast<double>(poll - 1);
  state.counters["parse_ms"] = parse_s * 1e3 / static_cast<double>(poll - 1);  // CPU time
  state.counters["reused"] =
      static_cast<double>(hits0) / static_cast<double>(std::max<uint64_t>(1, hits0 + misses0));
}
// Arg 1: the reusing parser with nothing to reuse; arg 0: the whole-document DOM parse (what
// every poll cost before objects were reused).
void BM_ParseAndDiffCold(benchmark::State& state) {
  ParseAndDiff(state, false, false, state.range(0) != 0);
}
void BM_ParseAndDiffSteady(benchmark::State& state) { ParseAndDiff(state, true, false); }
void BM_ParseAndDiffSteadyPaged(benchmark::State& state) { ParseAndDiff(state, true, true); }
BENCHMARK(BM_ParseAndDiffCold)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDiffSteady)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseAndDiffSteadyPaged)->Unit(benchmark::kMillisecond);

// JetStream mode's extra per-poll walk: which state-mirror keys changed between two baselines
// (1% of the resources differ). Bytes: the view's, so it reads as a share of a poll.
void BM_ChangedPartitionKeys(benchmark::State& state) {
  const Views& v = TheViews();
  DiffOptions options;
  Snapshot snaps[2];
  for (int i = 0; i < 2; ++i) {
    LinstorParser parser;
    std::string body = i ? v.b : v.a;
    size_t count = 0;
    LNSIM_CHECK(parser.ParseResources(body, &snaps[i], &count).ok());
    FinalizeSnapshot(&snaps[i], options);
  }
  size_t keys = 0;
  for (auto _ : state) keys = ChangedPartitionKeys(snaps[0], snaps[1]).size();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * v.b.size()));
  state.counters["keys"] = static_cast<double>(keys);
}
BENCHMARK(BM_ChangedPartitionKeys)->Unit(benchmark::kMillisecond);

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
    ratio("BM_ParseAndDiffSteady", "BM_RawSimdjsonDomParse",
          "steady parse+diff (1% changed) vs raw");
    ratio("BM_ParseAndDiffSteadyPaged", "BM_RawSimdjsonDomParse", "steady, client's pages vs raw");
    ratio("BM_ParseAndDiffCold/1", "BM_RawSimdjsonDomParse", "cold parse+diff vs raw simdjson");
    ratio("BM_ParseAndDiffCold/0", "BM_RawSimdjsonDomParse", "cold, whole-document DOM vs raw");
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
