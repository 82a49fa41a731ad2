// Bridge publish speed, each figure next to its in-run reference (ISSUE 4 "Speed"):
//  - publishing a ready batch through CorePublisher vs raw natsConnection_Publish of the same
//    bytes, and through JetStreamPublisher (Msg-Id dedup, one in flight per key) vs raw
//    js_PublishMsgAsync of the same messages (same subjects, headers, Msg-Ids, payloads; same
//    max pending). The bench starts its own nats-server.
//  - BM_*PublishPaired: the headline ratios. Each iteration publishes one batch raw and one
//    through the bridge, back to back, alternating which goes first, so both see the same
//    machine load (this 2-core box is shared); the per-pair ratios' median is the `ratio`
//    counter of a repetition. The reporter prints the median (and range) over repetitions:
//      bridge_bench --benchmark_filter=Paired --benchmark_repetitions=5
//  - BM_Raw*/BM_Bridge*: the same work as separate benchmarks (scripts/ci-regression reads them).
// Parse + diff: see parse_bench.cc.
// --publish-delay=D (scripts/ci-regression --inject-slowdown): every publish call of the
// bridge's publishers waits D first (tests/bridge/delayed_publish_connection.h), a planted
// slowdown that the regression gate must notice; the raw references are left alone.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bridge/event.h"
#include "bridge/publisher.h"
#include "common/duration.h"
#include "harness/nats_server.h"
#include "tests/bridge/delayed_publish_connection.h"
#include "tests/testutil/real_clock.h"

namespace lnsim::bridge {
namespace {

// ------------------------------------------------------------------------ publish path
constexpr int kBatch = 20000;
constexpr int kKeys = 2000;
constexpr int kMaxPending = 4096;  // raw MaxPending == the bridge's max_in_flight

RealClock& TheClock() {
  static RealClock clock;
  return clock;
}

Duration publish_delay{0};  // --publish-delay

// What the bridge's publishers hand messages to: nats.c, slowed by --publish-delay.
PublishConnection* BridgeCalls() {
  static std::unique_ptr<PublishConnection> calls = [] {
    std::unique_ptr<PublishConnection> c = NewNatsPublishConnection();
    if (publish_delay > Duration::zero()) {
      c = std::make_unique<testing::DelayedPublishConnection>(std::move(c), TheClock(),
                                                              publish_delay);
    }
    return c;
  }();
  return calls.get();
}

harness::NatsServer* Server() {
  static std::unique_ptr<harness::NatsServer> server = [] {
    auto s = harness::NatsServer::Start(harness::NatsServerOptions(), TheClock());
    LNSIM_CHECK(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }();
  return server.get();
}

// The raw reference's connection (the bridge's publishers get their own NatsConnection each).
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

// A ready batch of ~300-byte CloudEvents, `keys` keys, in per-key order, fresh ids.
std::vector<OutMessage> Batch(int keys = kKeys) {
  std::vector<OutMessage> out;
  out.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    Event ev;
    ev.cluster = "bench";
    ev.body.type = (i % 2) ? EventType::kVolumeAttached : EventType::kVolumeDetached;
    ev.body.resource = "pvc-" + std::to_string(i % keys) + "-6c1e-4b2a-9f61-3a6d1c2e";
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

double Seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---------------------------------------------------------------------------- references
// Raw core NATS: natsConnection_Publish of the same subject and payload bytes (a core message
// from the bridge carries no headers unless the timing side channel is on), then a flush.
void RawCorePublish(natsConnection* nc, const std::vector<OutMessage>& batch) {
  for (const auto& m : batch) {
    natsConnection_Publish(nc, m.subject.c_str(), m.payload.data(),
                           static_cast<int>(m.payload.size()));
  }
  natsConnection_FlushTimeout(nc, 10000);
}

// Raw JetStream async publisher: its own context on Conn(), an ack handler that only counts.
// Heap-allocated and kept for the whole run: nats.c may call the handler until every message
// it holds was acknowledged, so the closure must outlive any benchmark function.
class RawJetStream {
 public:
  RawJetStream() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = kMaxPending;
    jo.PublishAsync.AckHandler = &RawJetStream::OnAck;
    jo.PublishAsync.AckHandlerClosure = this;
    LNSIM_CHECK(natsConnection_JetStream(&js_, Conn(), &jo) == NATS_OK);
  }
  // The same message the bridge sends: subject, payload, the bridge's headers and the Msg-Id;
  // waits until every message was answered. Returns the number of errors.
  int64_t Publish(const std::vector<OutMessage>& batch) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      answered_ = 0;
      errors_ = 0;
    }
    for (const auto& m : batch) {
      natsMsg* msg = nullptr;
      natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.payload.data(),
                     static_cast<int>(m.payload.size()));
      natsMsgHeader_Set(msg, kHeaderPartitionKey, m.partition_key.c_str());
      natsMsgHeader_Set(msg, kHeaderSequence, std::to_string(m.sequence).c_str());
      natsMsgHeader_Set(msg, kHeaderObservedNs, std::to_string(m.observed_unix_ns).c_str());
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = m.msg_id.c_str();
      if (js_PublishMsgAsync(js_, &msg, &po) != NATS_OK) {
        std::lock_guard<std::mutex> lock(mu_);
        ++answered_;
        ++errors_;
      }
      natsMsg_Destroy(msg);
    }
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t want = static_cast<int64_t>(batch.size());
    LNSIM_CHECK(cv_.wait_for(lock, std::chrono::seconds(60), [&] { return answered_ >= want; }))
        << "raw JetStream publisher: " << want - answered_ << " never answered";
    return errors_;
  }

 private:
  static void OnAck(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<RawJetStream*>(closure);
    natsMsg_Destroy(msg);
    std::lock_guard<std::mutex> lock(self->mu_);
    ++self->answered_;
    if (pa == nullptr || pae != nullptr) ++self->errors_;
    self->cv_.notify_all();
  }
  jsCtx* js_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t answered_ = 0;
  int64_t errors_ = 0;
};

RawJetStream* RawJs() {
  static RawJetStream* raw = new RawJetStream();  // never destroyed (see the class comment)
  return raw;
}

// ------------------------------------------------------------------------------ bridge
struct BridgeCore {
  std::unique_ptr<NatsConnection> nc;
  std::unique_ptr<Publisher> pub;
  BridgeCore() {
    NatsSettings settings;
    settings.urls = {Server()->url()};
    auto c = NatsConnection::Connect(settings, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    nc = std::move(c).value();
    pub = NewCorePublisher(nc.get(), TheClock(), nullptr, nullptr, nullptr, false, BridgeCalls());
  }
  void Publish(std::vector<OutMessage> batch) {
    pub->Enqueue(std::move(batch));
    pub->WaitIdle(std::chrono::seconds(10));
  }
};

struct BridgeJetStream {
  std::unique_ptr<NatsConnection> nc;
  std::unique_ptr<Publisher> pub;
  BridgeJetStream() {
    NatsSettings settings;
    settings.urls = {Server()->url()};
    auto c = NatsConnection::Connect(settings, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    nc = std::move(c).value();
    JetStreamPublisherOptions options;
    options.max_in_flight = kMaxPending;
    pub = NewJetStreamPublisher(nc.get(), TheClock(), nullptr, nullptr, options, nullptr,
                                BridgeCalls());
  }
  ~BridgeJetStream() { pub.reset(); }  // the publisher before its connection
  void Publish(std::vector<OutMessage> batch) {
    pub->Enqueue(std::move(batch));
    const size_t left = pub->WaitIdle(std::chrono::seconds(60));
    LNSIM_CHECK(left == 0) << left << " not acknowledged";
  }
};

// ------------------------------------------------------------------------ separate runs
void BM_RawCorePublish(benchmark::State& state) {
  natsConnection* nc = Conn();
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    RawCorePublish(nc, batch);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_RawCorePublish)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BridgeCorePublish(benchmark::State& state) {
  Conn();
  BridgeCore bridge;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    bridge.Publish(std::move(batch));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_BridgeCorePublish)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_RawJetStreamAsyncPublish(benchmark::State& state) {
  RawJetStream* raw = RawJs();
  int64_t errors = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    errors += raw->Publish(batch);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["errors"] = static_cast<double>(errors);
}
BENCHMARK(BM_RawJetStreamAsyncPublish)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BridgeJetStreamPublish(benchmark::State& state) {
  Conn();
  BridgeJetStream bridge;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = Batch();
    state.ResumeTiming();
    bridge.Publish(std::move(batch));
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_BridgeJetStreamPublish)->Unit(benchmark::kMillisecond)->UseRealTime();

// ------------------------------------------------------------------------ paired runs
// One iteration = one raw batch and one bridge batch, back to back, the order alternating.
// Counters: raw_per_s and bridge_per_s over the whole repetition, ratio = median of the
// per-pair ratios (bridge events/s / raw events/s).
template <typename RawFn, typename BridgeFn>
void Paired(benchmark::State& state, RawFn raw, BridgeFn bridge, int keys = kKeys) {
  Duration raw_total{0}, bridge_total{0};
  std::vector<double> ratios;
  int64_t pair = 0;
  for (auto _ : state) {
    auto raw_batch = Batch(keys);
    auto bridge_batch = Batch(keys);
    Duration raw_t{0}, bridge_t{0};
    auto run_raw = [&] {
      const Duration t0 = TheClock().Now();
      raw(raw_batch);
      raw_t = TheClock().Now() - t0;
    };
    auto run_bridge = [&] {
      const Duration t0 = TheClock().Now();
      bridge(std::move(bridge_batch));
      bridge_t = TheClock().Now() - t0;
    };
    if (pair++ % 2 == 0) {
      run_raw();
      run_bridge();
    } else {
      run_bridge();
      run_raw();
    }
    state.SetIterationTime(Seconds(raw_t + bridge_t));
    raw_total += raw_t;
    bridge_total += bridge_t;
    ratios.push_back(Seconds(raw_t) / Seconds(bridge_t));
  }
  const double n = static_cast<double>(state.iterations()) * kBatch;
  state.counters["raw_per_s"] = n / Seconds(raw_total);
  state.counters["bridge_per_s"] = n / Seconds(bridge_total);
  state.counters["ratio"] = Median(ratios);
}

void BM_CorePublishPaired(benchmark::State& state) {
  natsConnection* raw_nc = Conn();
  BridgeCore bridge;
  Paired(
      state, [&](const std::vector<OutMessage>& b) { RawCorePublish(raw_nc, b); },
      [&](std::vector<OutMessage> b) { bridge.Publish(std::move(b)); });
}
BENCHMARK(BM_CorePublishPaired)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(20);

void BM_JetStreamPublishPaired(benchmark::State& state) {
  RawJetStream* raw = RawJs();
  BridgeJetStream bridge;
  int64_t errors = 0;
  Paired(
      state, [&](const std::vector<OutMessage>& b) { errors += raw->Publish(b); },
      [&](std::vector<OutMessage> b) { bridge.Publish(std::move(b)); },
      static_cast<int>(state.range(0)));
  state.counters["raw_errors"] = static_cast<double>(errors);
}
// Arg: distinct partition keys in the 20000-message batch (2000 = 10 events per resource).
BENCHMARK(BM_JetStreamPublishPaired)
    ->Arg(kKeys)
    ->Arg(kBatch)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(6);

// ------------------------------------------------------------------------------- latency
// Publish -> delivery latency at 10k/s of ~300-byte messages, one message per Enqueue (as the
// bridge publishes a poll's few events), received by a raw nats.c subscriber on Conn():
//   arg 0: raw nats.c publisher with natsOptions_SetSendAsap (the reference)
//   arg 1: the bridge's CorePublisher on a connection with --send-asap
//   arg 2: the bridge's CorePublisher with nats.c defaults (writes batched by its flusher)
// The reporter prints each p50 as a ratio to arg 0's. (bench/harness's BM_Latency* measures
// the bridge -> harness consumer path with the default connection.)
constexpr int kLatencyMessages = 10000;
constexpr double kLatencyRate = 10000;

struct LatencySink {
  std::vector<int64_t> sent = std::vector<int64_t>(kLatencyMessages);
  std::vector<int64_t> lat;
  std::mutex mu;
  std::condition_variable cv;
  int received = 0;
};

void OnLatencyMsg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* sink = static_cast<LatencySink*>(closure);
  const int64_t now = TheClock().UnixNanos();
  const std::string_view data(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
  const int i = std::atoi(data.data() + data.find("seq=") + 4);
  natsMsg_Destroy(msg);
  std::lock_guard<std::mutex> lock(sink->mu);
  if (i >= 0 && i < kLatencyMessages) sink->lat.push_back(now - sink->sent[i]);
  ++sink->received;
  sink->cv.notify_all();
}

std::string LatencyPayload(int i) {
  std::string p = "{\"id\":\"bench/resource.pvc/1\",\"seq=" + std::to_string(i) + "\",\"pad\":\"";
  p.append(300 - p.size() - 2, 'x');
  return p + "\"}";
}

void BM_LatencySendAsap(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const std::string subject = "lat.bench." + std::to_string(mode);
  std::vector<std::string> payloads;
  for (int i = 0; i < kLatencyMessages; ++i) payloads.push_back(LatencyPayload(i));
  for (auto _ : state) {
    LatencySink sink;
    natsSubscription* sub = nullptr;
    LNSIM_CHECK(natsConnection_Subscribe(&sub, Conn(), subject.c_str(), OnLatencyMsg, &sink) ==
                NATS_OK);
    natsConnection_Flush(Conn());
    natsOptions* raw_opts = nullptr;
    natsConnection* raw = nullptr;
    std::unique_ptr<NatsConnection> nc;
    std::unique_ptr<Publisher> pub;
    if (mode == 0) {
      natsOptions_Create(&raw_opts);
      natsOptions_SetURL(raw_opts, Server()->url().c_str());
      natsOptions_SetSendAsap(raw_opts, true);
      LNSIM_CHECK(natsConnection_Connect(&raw, raw_opts) == NATS_OK);
    } else {
      NatsSettings settings;
      settings.urls = {Server()->url()};
      settings.send_asap = mode == 1;
      auto c = NatsConnection::Connect(settings, nullptr, nullptr, RealClockForTests());
      LNSIM_CHECK(c.ok()) << c.status().ToString();
      nc = std::move(c).value();
      pub = NewCorePublisher(nc.get(), TheClock(), nullptr, nullptr, nullptr, false, BridgeCalls());
    }
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kLatencyMessages; ++i) {
      std::this_thread::sleep_until(
          start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / kLatencyRate)));
      {
        std::lock_guard<std::mutex> lock(sink.mu);
        sink.sent[i] = TheClock().UnixNanos();
      }
      if (mode == 0) {
        natsConnection_Publish(raw, subject.c_str(), payloads[i].data(),
                               static_cast<int>(payloads[i].size()));
      } else {
        OutMessage m;
        m.partition_key = "resource.pvc-1";
        m.subject = subject;
        m.payload = payloads[i];
        m.sequence = static_cast<uint64_t>(i) + 1;
        std::vector<OutMessage> one;
        one.push_back(std::move(m));
        pub->Enqueue(std::move(one));
      }
    }
    {
      std::unique_lock<std::mutex> lock(sink.mu);
      sink.cv.wait_for(lock, std::chrono::seconds(15),
                       [&] { return sink.received >= kLatencyMessages; });
    }
    natsSubscription_Unsubscribe(sub);
    natsSubscription_Destroy(sub);
    pub.reset();
    nc.reset();
    if (raw != nullptr) {
      natsConnection_Destroy(raw);
      natsOptions_Destroy(raw_opts);
    }
    std::lock_guard<std::mutex> lock(sink.mu);
    std::vector<double> lat(sink.lat.begin(), sink.lat.end());
    std::sort(lat.begin(), lat.end());
    const double p50 = lat.empty() ? 0 : lat[lat.size() / 2] / 1e3;
    const double p99 = lat.empty() ? 0 : lat[lat.size() * 99 / 100] / 1e3;
    state.counters["p50_us"] = p50;
    state.counters["p99_us"] = p99;
    state.counters["received"] = sink.received;
  }
}
BENCHMARK(BM_LatencySendAsap)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Prints the in-run ratios the issue asks for after the normal console output: for the paired
// benchmarks the median (min..max) over repetitions of each repetition's median pair ratio; for
// the separate ones the plain rate ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      const std::string name = run.benchmark_name();
      if (run.run_type == Run::RT_Aggregate) continue;
      auto it = run.counters.find("items_per_second");
      if (it != run.counters.end()) rates_[name] = it->second.value;
      auto p = run.counters.find("p50_us");
      if (p != run.counters.end()) p50_[name].push_back(p->second.value);
      auto r = run.counters.find("ratio");
      if (r != run.counters.end()) {
        const std::string& args = run.run_name.args;
        paired_[run.run_name.function_name + (args.empty() ? "" : "/" + args)].push_back(
            r->second.value);
      }
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
    // Latency: the median p50 over repetitions.
    const auto ref = p50_.find("BM_LatencySendAsap/0/iterations:1/real_time");
    if (ref != p50_.end() && Median(ref->second) > 0) {
      const double raw = Median(ref->second);
      for (const auto& [name, label] :
           {std::pair<std::string, std::string>{"BM_LatencySendAsap/1/iterations:1/real_time",
                                                "bridge --send-asap"},
            {"BM_LatencySendAsap/2/iterations:1/real_time", "bridge default"}}) {
        auto it = p50_.find(name);
        if (it == p50_.end()) continue;
        const double ours = Median(it->second);
        std::printf(
            "latency p50 %-20s %.1f us = %.2f x raw send-asap nats.c (%.1f us) at 10k/s,"
            " median of %zu runs\n",
            label.c_str(), ours, ours / raw, raw, it->second.size());
      }
    }
    for (const auto& [name, v] : paired_) {
      const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      std::printf("paired ratio %-37s median %.3f over %zu repetitions (min %.3f, max %.3f)\n",
                  name.c_str(), Median(v), v.size(), *lo, *hi);
    }
    std::fflush(stdout);
  }

 private:
  std::map<std::string, double> rates_;
  std::map<std::string, std::vector<double>> paired_;
  std::map<std::string, std::vector<double>> p50_;
};

}  // namespace
}  // namespace lnsim::bridge

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.rfind("--publish-delay=", 0) != 0) continue;
    auto d = lnsim::ParseDuration(arg.substr(16));
    if (!d.ok()) {
      std::fprintf(stderr, "bridge_bench: %s: %s\n", argv[i], d.status().message().c_str());
      return 2;
    }
    lnsim::bridge::publish_delay = *d;
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    --i;
  }
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  lnsim::bridge::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
