// Bridge speed, each figure next to its in-run reference (ISSUE 4 "Speed"):
//  - parse + diff of a /v1/view/resources body vs raw simdjson DOM parse of the same bytes;
//  - publishing a ready batch through CorePublisher vs raw natsConnection_Publish of the same
//    bytes, and through JetStreamPublisher (Msg-Id dedup, one in flight per key) vs raw
//    js_PublishMsgAsync with the same Msg-Ids. The bench starts its own nats-server.
// A reporter prints the ratios at the end of the run.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <simdjson.h>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>

#include "bridge/diff.h"
#include "bridge/event.h"
#include "bridge/linstor_parse.h"
#include "bridge/publisher.h"
#include "common/rng.h"
#include "harness/nats_server.h"

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

// ------------------------------------------------------------------------ publish path
constexpr int kBatch = 20000;
constexpr int kKeys = 2000;

RealClock& TheClock() {
  static RealClock clock;
  return clock;
}

harness::NatsServer* Server() {
  static std::unique_ptr<harness::NatsServer> server = [] {
    auto s = harness::NatsServer::Start(harness::NatsServerOptions(), TheClock());
    LNSIM_CHECK(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }();
  return server.get();
}

natsConnection* Conn() {
  static natsConnection* nc = [] {
    natsConnection* c = nullptr;
    LNSIM_CHECK(natsConnection_ConnectTo(&c, Server()->url().c_str()) == NATS_OK);
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, c, nullptr);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = "BENCH";
    const char* subj[] = {"linstor.v1.bench.>"};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = int64_t{120} * 1000000000;
    jsStreamInfo* si = nullptr;
    jsErrCode jerr;
    LNSIM_CHECK(js_AddStream(&si, js, &cfg, nullptr, &jerr) == NATS_OK);
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(js);
    return c;
  }();
  return nc;
}

uint64_t g_id = 0;

// A ready batch of ~300-byte CloudEvents, kKeys keys, in per-key order, fresh ids.
std::vector<OutMessage> Batch() {
  std::vector<OutMessage> out;
  out.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    Event ev;
    ev.cluster = "bench";
    ev.body.type = (i % 2) ? EventType::kVolumeAttached : EventType::kVolumeDetached;
    ev.body.resource = "pvc-" + std::to_string(i % kKeys) + "-6c1e-4b2a-9f61-3a6d1c2e";
    ev.body.node = "node-" + std::to_string(i % 30);
    ev.partition_key = PartitionKey(ev.body);
    ev.sequence = ++g_id;
    ev.time_unix_ns = 1795466933296000000;
    OutMessage m;
    m.partition_key = ev.partition_key;
    m.subject = ev.NatsSubject();
    m.payload = EncodeEvent(ev);
    m.msg_id = ev.Id();
    m.sequence = ev.sequence;
    m.observed_unix_ns = ev.time_unix_ns;
    m.event_type = static_cast<int>(ev.body.type);
    out.push_back(std::move(m));
  }
  return out;
}

void BM_RawCorePublish(benchmark::State& state) {
  natsConnection* nc = Conn();
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    for (const auto& m : batch) {
      natsConnection_Publish(nc, m.subject.c_str(), m.payload.data(),
                             static_cast<int>(m.payload.size()));
    }
    natsConnection_FlushTimeout(nc, 10000);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawCorePublish)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BridgeCorePublish(benchmark::State& state) {
  Conn();
  NatsSettings settings;
  settings.urls = {Server()->url()};
  auto nc = NatsConnection::Connect(settings, nullptr, nullptr);
  LNSIM_CHECK(nc.ok());
  auto pub = NewCorePublisher(nc->get(), TheClock(), nullptr, nullptr, nullptr);
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    pub->Enqueue(std::move(batch));
    pub->WaitIdle(std::chrono::seconds(10));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_BridgeCorePublish)->Unit(benchmark::kMillisecond)->UseRealTime();

struct RawAcks {
  std::mutex mu;
  std::condition_variable cv;
  int64_t acked = 0;
  int64_t errors = 0;
};

void RawAckHandler(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void* closure) {
  auto* acks = static_cast<RawAcks*>(closure);
  std::lock_guard<std::mutex> lock(acks->mu);
  if (pa) {
    ++acks->acked;
  } else {
    ++acks->errors;
  }
  acks->cv.notify_all();
  natsMsg_Destroy(msg);
}

void BM_RawJetStreamAsyncPublish(benchmark::State& state) {
  natsConnection* nc = Conn();
  RawAcks acks;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jo.PublishAsync.AckHandler = RawAckHandler;
  jo.PublishAsync.AckHandlerClosure = &acks;
  jsCtx* js = nullptr;
  natsConnection_JetStream(&js, nc, &jo);
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    {
      std::lock_guard<std::mutex> lock(acks.mu);
      acks.acked = 0;
    }
    state.ResumeTiming();
    for (const auto& m : batch) {
      natsMsg* msg = nullptr;
      natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.payload.data(),
                     static_cast<int>(m.payload.size()));
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = m.msg_id.c_str();
      js_PublishMsgAsync(js, &msg, &po);
      natsMsg_Destroy(msg);
    }
    std::unique_lock<std::mutex> lock(acks.mu);
    acks.cv.wait_for(lock, std::chrono::seconds(30), [&] { return acks.acked >= kBatch; });
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["errors"] = static_cast<double>(acks.errors);
  jsCtx_Destroy(js);
}
BENCHMARK(BM_RawJetStreamAsyncPublish)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BridgeJetStreamPublish(benchmark::State& state) {
  Conn();
  NatsSettings settings;
  settings.urls = {Server()->url()};
  auto nc = NatsConnection::Connect(settings, nullptr, nullptr);
  LNSIM_CHECK(nc.ok());
  JetStreamPublisherOptions options;
  options.max_in_flight = 4096;
  auto pub = NewJetStreamPublisher(nc->get(), TheClock(), nullptr, nullptr, options, nullptr);
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    pub->Enqueue(std::move(batch));
    const size_t left = pub->WaitIdle(std::chrono::seconds(60));
    LNSIM_CHECK(left == 0) << left << " not acknowledged";
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_BridgeJetStreamPublish)->Unit(benchmark::kMillisecond)->UseRealTime();

// Prints the in-run ratios the issue asks for after the normal console output.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const std::string name = run.benchmark_name();
      auto it = run.counters.find("items_per_second");
      auto bt = run.counters.find("bytes_per_second");
      if (it != run.counters.end()) rates_[name] = it->second.value;
      if (bt != run.counters.end()) rates_[name] = bt->second.value;
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
    ratio("BM_BridgeCorePublish/real_time", "BM_RawCorePublish/real_time", "core publish");
    ratio("BM_BridgeJetStreamPublish/real_time", "BM_RawJetStreamAsyncPublish/real_time",
          "jetstream publish (dedup + per-key order)");
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
