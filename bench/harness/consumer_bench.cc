// Consumer throughput per ack mode against a real nats-server (embedded, free port): how fast a
// JetStream durable pull consumer drains a backlog of 20k events with plain Ack, AckSync (one
// confirmation round trip per message) and pipelined confirmed acks. Skipped when nats-server
// cannot start.
#include <benchmark/benchmark.h>
#include <nats/nats.h>

#include <cstdio>
#include <thread>

#include "common/clock.h"
#include "harness/consumer.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_server.h"

// GCC 12 at -O3 reports a bogus -Wrestrict inside std::string assignment here (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

namespace lnsim::harness {
namespace {

constexpr int kMessages = 20000;

void BM_ConsumerDrain(benchmark::State& state) {
  const auto mode = static_cast<ConsumerMode>(state.range(0));
  RealClock clock;
  for (auto _ : state) {
    state.PauseTiming();
    auto server = NatsServer::Start(NatsServerOptions{}, clock);
    if (!server.ok()) {
      state.SkipWithError(server.status().ToString().c_str());
      return;
    }
    auto nc = internal::ConnectNats((*server)->url(), "bench-publisher");
    jsCtx* js = nullptr;
    natsConnection_JetStream(&js, *nc, nullptr);
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "B";
    const char* subjects[] = {"b.>"};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    js_AddStream(nullptr, js, &config, nullptr, &jerr);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    for (int i = 0; i < kMessages; ++i) {
      char body[64];
      const int n = std::snprintf(body, sizeof(body), R"({"id":"c/k/%d"})", i);
      js_PublishAsync(js, "b.x", body, n, &po);
    }
    js_PublishAsyncComplete(js, nullptr);
    DeliveryQueue queue(clock);
    ConsumerOptions options;
    options.name = "bench";
    options.mode = mode;
    options.url = (*server)->url();
    options.stream = "B";
    options.subject = "b.>";
    options.fetch_batch = 512;
    state.ResumeTiming();
    auto consumer = Consumer::Start(options, 0, clock, &queue);
    if (!consumer.ok()) {
      state.SkipWithError(consumer.status().ToString().c_str());
      return;
    }
    std::vector<Delivery> got;
    const Duration deadline = clock.Now() + std::chrono::seconds(120);
    while (clock.Now() < deadline &&
           ((*consumer)->stats().acks < static_cast<uint64_t>(kMessages) ||
            got.size() < static_cast<size_t>(kMessages))) {
      queue.PopAll(&got, std::chrono::milliseconds(5));
    }
    state.PauseTiming();
    if ((*consumer)->stats().acks < static_cast<uint64_t>(kMessages)) {
      state.SkipWithError("not every ack confirmed in time");
    }
    (*consumer)->Stop();
    jsCtx_Destroy(js);
    natsConnection_Destroy(*nc);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kMessages);
  state.SetLabel(std::string(ConsumerModeName(mode)));
}
BENCHMARK(BM_ConsumerDrain)
    ->Arg(static_cast<int>(ConsumerMode::kJetStreamAck))
    ->Arg(static_cast<int>(ConsumerMode::kJetStreamAckSync))
    ->Arg(static_cast<int>(ConsumerMode::kJetStreamAckPipelined))
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lnsim::harness
