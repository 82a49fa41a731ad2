// The latency lnsim adds over raw NATS (issue "lnsim run", Speed): the same 300-byte messages,
// paced at 10k/s, go once through a raw nats.c publisher to a raw nats.c subscriber and once
// through the bridge's core publisher to the harness's core consumer (which stamps and queues
// every receipt for the verifier), on one embedded nats-server in the same run. Reports p50/p99
// publish -> delivery for both and the ratio of the p50s (goal <= 1.2).
//   build/release/bench/harness/harness_bench --benchmark_filter=Latency
#include <benchmark/benchmark.h>
#include <nats/nats.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bridge/publisher.h"
#include "common/clock.h"
#include "common/histogram.h"
#include "harness/consumer.h"
#include "harness/nats_server.h"
#include "tests/testutil/real_clock.h"

namespace lnsim::harness {
namespace {

constexpr int kMessages = 20000;
constexpr double kRatePerSecond = 10000;
constexpr char kSubject[] = "linstor.v1.bench.latency";

RealClock& TheClock() {
  static RealClock clock;
  return clock;
}

NatsServer* Server() {
  static std::unique_ptr<NatsServer> server = [] {
    NatsServerOptions o;
    o.jetstream = false;
    auto s = NatsServer::Start(o, TheClock());
    LNSIM_CHECK(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }();
  return server.get();
}

// A CloudEvents-sized JSON body whose "id" carries the message index.
std::string Payload(int i) {
  std::string p = "{\"id\":\"bench/resource.pvc/" + std::to_string(i) + "\",\"pad\":\"";
  p.append(300 - p.size() - 2, 'x');
  p += "\"}";
  return p;
}

int IndexOf(std::string_view payload) {
  const size_t slash = payload.find("pvc/");
  return slash == std::string_view::npos ? -1 : std::atoi(payload.data() + slash + 4);
}

// Sends kMessages at kRatePerSecond, calling send(i) and recording the send instant.
void Paced(std::vector<int64_t>* sent, const std::function<void(int)>& send) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kMessages; ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / kRatePerSecond)));
    (*sent)[i] = TheClock().UnixNanos();
    send(i);
  }
}

struct RawSink {
  std::vector<int64_t>* sent;
  Histogram histogram;
  std::atomic<int> received{0};
};

void OnRaw(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* sink = static_cast<RawSink*>(closure);
  const int64_t now = TheClock().UnixNanos();
  const int i = IndexOf(std::string_view(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)));
  if (i >= 0 && i < kMessages) sink->histogram.RecordSigned(now - (*sink->sent)[i]);
  sink->received.fetch_add(1);
  natsMsg_Destroy(msg);
}

double g_raw_p50 = 0;       // nats.c defaults
double g_raw_asap_p50 = 0;  // send-asap

void Report(benchmark::State& state, const Histogram& h, int received) {
  state.counters["p50_us"] = static_cast<double>(h.Quantile(0.5)) / 1e3;
  state.counters["p99_us"] = static_cast<double>(h.Quantile(0.99)) / 1e3;
  state.counters["received"] = received;
}

// state.range(0): 0 = nats.c defaults (writes batched by the library's flusher thread, as the
// bridge publishes), 1 = natsOptions_SetSendAsap (every publish written at once).
void BM_LatencyRawNats10k(benchmark::State& state) {
  for (auto _ : state) {
    natsConnection *pub = nullptr, *sub = nullptr;
    natsOptions* opts = nullptr;
    LNSIM_CHECK(natsOptions_Create(&opts) == NATS_OK);
    natsOptions_SetURL(opts, Server()->url().c_str());
    natsOptions_SetSendAsap(opts, state.range(0) == 1);
    LNSIM_CHECK(natsConnection_Connect(&pub, opts) == NATS_OK);
    natsOptions_Destroy(opts);
    LNSIM_CHECK(natsConnection_ConnectTo(&sub, Server()->url().c_str()) == NATS_OK);
    std::vector<int64_t> sent(kMessages);
    RawSink sink{&sent, {}, {}};
    natsSubscription* s = nullptr;
    LNSIM_CHECK(natsConnection_Subscribe(&s, sub, kSubject, OnRaw, &sink) == NATS_OK);
    natsConnection_Flush(sub);
    std::vector<std::string> payloads;
    for (int i = 0; i < kMessages; ++i) payloads.push_back(Payload(i));
    Paced(&sent, [&](int i) {
      natsConnection_Publish(pub, kSubject, payloads[i].data(),
                             static_cast<int>(payloads[i].size()));
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sink.received.load() < kMessages && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    natsSubscription_Destroy(s);
    natsConnection_Destroy(pub);
    natsConnection_Destroy(sub);
    if (state.range(0) == 0) g_raw_p50 = static_cast<double>(sink.histogram.Quantile(0.5));
    if (state.range(0) == 1) g_raw_asap_p50 = static_cast<double>(sink.histogram.Quantile(0.5));
    Report(state, sink.histogram, sink.received.load());
  }
}
BENCHMARK(BM_LatencyRawNats10k)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_LatencyLnsimCore10k(benchmark::State& state) {
  for (auto _ : state) {
    bridge::NatsSettings settings;
    settings.urls = {Server()->url()};
    auto nc = bridge::NatsConnection::Connect(settings, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(nc.ok());
    auto publisher = bridge::NewCorePublisher(nc->get(), TheClock(), nullptr, nullptr, nullptr);
    DeliveryQueue queue(TheClock());
    ConsumerOptions co;
    co.name = "bench";
    co.mode = ConsumerMode::kCore;
    co.url = Server()->url();
    co.subject = kSubject;
    auto consumer = Consumer::Start(co, 0, TheClock(), &queue);
    LNSIM_CHECK(consumer.ok()) << consumer.status().ToString();
    std::vector<int64_t> sent(kMessages);
    std::vector<std::string> payloads;
    for (int i = 0; i < kMessages; ++i) payloads.push_back(Payload(i));
    Histogram histogram;
    int received = 0;
    std::vector<Delivery> batch;
    auto drain = [&](std::chrono::milliseconds wait) {
      batch.clear();
      queue.PopAll(&batch, wait);
      for (const Delivery& d : batch) {
        const int i = IndexOf(d.payload);
        if (i >= 0 && i < kMessages) histogram.RecordSigned(d.delivered_unix_ns - sent[i]);
        ++received;
      }
    };
    std::thread reader([&] {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
      while (received < kMessages && std::chrono::steady_clock::now() < deadline) {
        drain(std::chrono::milliseconds(5));
      }
    });
    Paced(&sent, [&](int i) {
      bridge::OutMessage m;
      m.partition_key = "resource.pvc-" + std::to_string(i % 64);
      m.subject = kSubject;
      m.payload = payloads[i];
      m.sequence = static_cast<uint64_t>(i) + 1;
      m.event_type = 0;
      std::vector<bridge::OutMessage> one;
      one.push_back(std::move(m));
      publisher->Enqueue(std::move(one));
    });
    publisher->WaitIdle(std::chrono::seconds(10));
    reader.join();
    (*consumer)->Stop();
    publisher->Stop();
    Report(state, histogram, received);
    const double p50 = static_cast<double>(histogram.Quantile(0.5));
    if (g_raw_p50 > 0) {
      state.counters["p50_ratio_vs_raw"] = p50 / g_raw_p50;
      std::printf("ratio lnsim core p50 / raw nats.c p50 (defaults) at 10k/s: %.2f (goal <= 1.2)\n",
                  p50 / g_raw_p50);
    }
    if (g_raw_asap_p50 > 0) {
      state.counters["p50_ratio_vs_raw_asap"] = p50 / g_raw_asap_p50;
      std::printf("ratio lnsim core p50 / raw nats.c p50 (send-asap) at 10k/s: %.2f\n",
                  p50 / g_raw_asap_p50);
    }
  }
}
BENCHMARK(BM_LatencyLnsimCore10k)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace lnsim::harness
