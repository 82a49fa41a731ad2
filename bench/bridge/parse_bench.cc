// Bridge parse + diff speed (ISSUE 4 "Speed"), each figure next to its in-run reference:
// parse + diff of a /v1/view/resources body vs raw simdjson DOM parse of the same bytes.
// A reporter prints the ratios at the end of the run. One core, no nats-server needed.
//   build/<dir>/bench/bridge/parse_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <simdjson.h>

#include <cstdio>
#include <map>
#include <string>

#include "bridge/diff.h"
#include "bridge/linstor_parse.h"

namespace lnsim::bridge {
namespace {

// ------------------------------------------------------------------ resource view fixture
// One replica in the shape of LINSTOR-API.md 2.7 (the real controller's field set).
std::string ReplicaJson(int r, int node, int nodes, bool in_use, const char* disk) {
  char buf[4096];
  std::string conns;
  for (int p = 0; p < 3; ++p) {
    const int peer = (r + p) % nodes;
    if (peer == node) continue;
    if (!conns.empty()) conns += ",";
    conns += "\"node-" + std::to_string(peer) + "\":{\"connected\":true,\"message\":\"Connected\"}";
  }
  std::snprintf(
      buf, sizeof buf,
      R"({"name":"pvc-%08d-6c1e-4b2a-9f61-3a6d1c2e%04d","node_name":"node-%d","props":{"StorPoolName":"pool1"},)"
      R"("layer_object":{"type":"DRBD","resource_name_suffix":"","children":[{"type":"STORAGE","resource_name_suffix":"",)"
      R"("storage":{"storage_volumes":[{"volume_number":0,"device_path":"/dev/vg1/pvc_00000","allocated_size_kib":1048584,)"
      R"("usable_size_kib":1048584,"disk_state":"[]"}]}}],"drbd":{"drbd_resource_definition":{"peer_slots":7,"al_stripes":1,)"
      R"("al_stripe_size_kib":32,"port":7000,"transport_type":"IP","secret":"Zg2s7M0xq8bVxYQpP1rT","down":false},)"
      R"("node_id":%d,"tcp_ports":[7000],"peer_slots":7,"al_stripes":1,"al_size":32,"flags":["INITIALIZED"],)"
      R"("drbd_volumes":[{"drbd_volume_definition":{"volume_number":0,"minor_number":1000},"device_path":"/dev/drbd1000",)"
      R"("backing_device":"/dev/vg1/pvc_00000","meta_disk":"internal","allocated_size_kib":1048576,"usable_size_kib":1048576}],)"
      R"("promotion_score":10102,"may_promote":true,"connections":{%s}}},"uuid":"5008271f-7a1c-4f3e-9d2b-8e6f5a4c3b2a",)"
      R"("create_timestamp":1795466933296,"state":{"in_use":%s},"volumes":[{"volume_number":0,"storage_pool_name":"pool1",)"
      R"("provider_kind":"LVM_THIN","device_path":"/dev/drbd1000","allocated_size_kib":1048584,)"
      R"("props":{"Satellite/Device/Symlinks/0":"/dev/drbd/by-res/pvc/0"},"uuid":"6008271f-7a1c-4f3e-9d2b-8e6f5a4c3b2a",)"
      R"("state":{"disk_state":"%s","replication_states":{"node-x":{"replication_state":"Established"}}}}]})",
      r, r % 10000, node, node % 3, conns.c_str(), in_use ? "true" : "false", disk);
  return buf;
}

std::string ViewJson(int resources, int nodes, int variant) {
  std::string out = "[";
  for (int r = 0; r < resources; ++r) {
    for (int k = 0; k < 3; ++k) {
      const int node = (r + k) % nodes;
      if (out.size() > 1) out += ",";
      const bool in_use = k == 0 && ((r + variant) % 7 == 0);
      const char* disk = (variant && r % 97 == 0 && k == 1) ? "SyncTarget(42.17%)" : "UpToDate";
      out += ReplicaJson(r, node, nodes, in_use, disk);
    }
  }
  out += "]";
  return out;
}

const std::string& View(int variant) {
  static std::string v0 = ViewJson(20000, 30, 0);
  static std::string v1 = ViewJson(20000, 30, 1);
  return variant ? v1 : v0;
}

void BM_RawSimdjsonDomParse(benchmark::State& state) {
  std::string body = View(1);
  simdjson::padded_string padded(body);
  simdjson::dom::parser parser;
  for (auto _ : state) {
    auto doc = parser.parse(padded);
    benchmark::DoNotOptimize(doc.error());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_RawSimdjsonDomParse)->Unit(benchmark::kMillisecond);

void BM_ParseResourceView(benchmark::State& state) {
  std::string body = View(1);
  LinstorParser parser;
  for (auto _ : state) {
    Snapshot s;
    size_t count = 0;
    Status st = parser.ParseResources(body, &s, &count);
    benchmark::DoNotOptimize(st.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseResourceView)->Unit(benchmark::kMillisecond);

void BM_ParseAndDiffResourceView(benchmark::State& state) {
  std::string before_body = View(0);
  std::string body = View(1);
  LinstorParser parser;
  DiffOptions options;
  Snapshot before;
  size_t count = 0;
  (void)parser.ParseResources(before_body, &before, &count);
  LinstorParser::SortSnapshot(&before);
  FinalizeSnapshot(&before, options);
  size_t events = 0;
  for (auto _ : state) {
    Snapshot after;
    Status st = parser.ParseResources(body, &after, &count);

    FinalizeSnapshot(&after, options);
    auto ev = Diff(before, after, options);
    events = ev.size();
    benchmark::DoNotOptimize(st.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["events"] = static_cast<double>(events);
  state.counters["MB"] = static_cast<double>(body.size()) / 1e6;
}
BENCHMARK(BM_ParseAndDiffResourceView)->Unit(benchmark::kMillisecond);

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
    ratio("BM_ParseAndDiffResourceView", "BM_RawSimdjsonDomParse", "parse+diff vs raw simdjson");
    ratio("BM_ParseResourceView", "BM_RawSimdjsonDomParse", "parse vs raw simdjson");
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
