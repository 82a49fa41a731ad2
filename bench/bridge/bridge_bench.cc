// Bridge publish speed, each figure next to its in-run reference (ISSUE 4 "Speed"):
//  - publishing a ready batch through CorePublisher vs raw natsConnection_Publish of the same
//    bytes, and through JetStreamPublisher (Msg-Id dedup, one in flight per key) vs raw
//    js_PublishMsgAsync with the same Msg-Ids. The bench starts its own nats-server.
// A reporter prints the ratios at the end of the run. Parse + diff: see parse_bench.cc.
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
