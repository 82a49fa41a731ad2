// What TLS costs the bridge's publishing, as a ratio against plain TCP measured in the same run:
// two nats-servers from the same binary and options, one with --tls (certificates from
// common/tls_certs), and one connection to each made by the bridge's NatsConnection::Connect.
// Each iteration publishes the same batch over both, back to back, alternating which goes first
// so both see the same machine load (the 2-core box is shared); `ratio` = median of the
// per-pair TLS/plain time ratios.
//  - BM_TlsCorePaired: 20000 core publishes of 512-byte events, then a flush (one round trip):
//    throughput through the TLS record layer.
//  - BM_TlsJetStreamPaired: 300 synchronous js_Publish calls (publish, wait for the ack):
//    per-message latency, where TLS adds little to the round trip.
//  - BM_HttpsPollPaired: one full LINSTOR poll (LinstorClient::FetchSnapshot: four paged lists,
//    a new connection and TLS handshake per request) of an in-process mock with 8 nodes and
//    1000 resources x 3 replicas, over HTTPS vs HTTP.
//      bridge_bench --benchmark_filter=Tls --benchmark_repetitions=3
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "bridge/linstor_client.h"
#include "bridge/publisher.h"
#include "common/tls_certs.h"
#include "harness/nats_server.h"
#include "mock-linstor/server.h"
#include "sim/world.h"
#include "tests/testutil/real_clock.h"

namespace lnsim::bridge {
namespace {

RealClock& BenchClock() {
  static RealClock clock;
  return clock;
}

const tls::CertificateFiles& BenchCerts() {
  static const tls::CertificateFiles files = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/lnsim-tls-bench-XXXXXX";
    LNSIM_CHECK(mkdtemp(dir.data()) != nullptr);
    auto f = tls::GenerateCertificates(dir);
    LNSIM_CHECK(f.ok()) << f.status().ToString();
    return *f;
  }();
  return files;
}

struct Pair {
  std::unique_ptr<harness::NatsServer> plain_server, tls_server;
  std::unique_ptr<NatsConnection> plain, tls;
  jsCtx* plain_js = nullptr;
  jsCtx* tls_js = nullptr;
};

jsCtx* MakeStream(NatsConnection& nc) {
  jsCtx* js = nc.NewJetStream(nullptr);
  LNSIM_CHECK(js != nullptr);
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = "TLSBENCH";
  const char* subjects[] = {"bench.js.>"};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_MemoryStorage;
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  LNSIM_CHECK(js_AddStream(&si, js, &cfg, nullptr, &jerr) == NATS_OK) << "stream " << jerr;
  jsStreamInfo_Destroy(si);
  return js;
}

Pair& ThePair() {
  static Pair* pair = [] {
    auto* p = new Pair();
    harness::NatsServerOptions plain_options;
    auto plain = harness::NatsServer::Start(plain_options, BenchClock());
    LNSIM_CHECK(plain.ok()) << plain.status().ToString();
    p->plain_server = std::move(plain).value();
    harness::NatsServerOptions tls_options;
    tls_options.tls_cert = BenchCerts().server_cert;
    tls_options.tls_key = BenchCerts().server_key;
    auto tls = harness::NatsServer::Start(tls_options, BenchClock());
    LNSIM_CHECK(tls.ok()) << tls.status().ToString();
    p->tls_server = std::move(tls).value();

    NatsSettings s;
    s.urls = {p->plain_server->url()};
    auto plain_nc = NatsConnection::Connect(s, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(plain_nc.ok()) << plain_nc.status().ToString();
    p->plain = std::move(plain_nc).value();
    s.urls = {p->tls_server->url()};
    s.tls.ca = BenchCerts().ca_cert;
    auto tls_nc = NatsConnection::Connect(s, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(tls_nc.ok()) << tls_nc.status().ToString();
    p->tls = std::move(tls_nc).value();
    p->plain_js = MakeStream(*p->plain);
    p->tls_js = MakeStream(*p->tls);
    return p;
  }();
  return *pair;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `work(plain)` and `work(tls)` each iteration, alternating the order, and reports the
// median TLS/plain ratio plus both rates in items per second.
template <typename Work>
void Paired(benchmark::State& state, int items, Work work) {
  Pair& p = ThePair();
  std::vector<double> ratios;
  double plain_total = 0, tls_total = 0;
  bool tls_first = false;
  for (auto _ : state) {
    double t_plain = 0, t_tls = 0;
    for (int k = 0; k < 2; ++k) {
      const bool run_tls = (k == 0) == tls_first;
      const auto start = std::chrono::steady_clock::now();
      work(run_tls ? *p.tls : *p.plain, run_tls ? p.tls_js : p.plain_js);
      (run_tls ? t_tls : t_plain) = Seconds(std::chrono::steady_clock::now() - start);
    }
    tls_first = !tls_first;
    ratios.push_back(t_tls / t_plain);
    plain_total += t_plain;
    tls_total += t_tls;
  }
  std::sort(ratios.begin(), ratios.end());
  state.counters["ratio"] = ratios.empty() ? 0 : ratios[ratios.size() / 2];
  const double n = static_cast<double>(state.iterations()) * items;
  state.counters["plain_per_s"] = plain_total > 0 ? n / plain_total : 0;
  state.counters["tls_per_s"] = tls_total > 0 ? n / tls_total : 0;
}

void BM_TlsCorePaired(benchmark::State& state) {
  constexpr int kBatch = 20000;
  const std::string payload(512, 'x');
  Paired(state, kBatch, [&](NatsConnection& nc, jsCtx*) {
    for (int i = 0; i < kBatch; ++i) {
      LNSIM_CHECK(natsConnection_Publish(nc.conn(), "bench.core", payload.data(),
                                         static_cast<int>(payload.size())) == NATS_OK);
    }
    LNSIM_CHECK(natsConnection_FlushTimeout(nc.conn(), 30000) == NATS_OK);
  });
}
BENCHMARK(BM_TlsCorePaired)->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_TlsJetStreamPaired(benchmark::State& state) {
  constexpr int kCount = 300;
  const std::string payload(512, 'x');
  Paired(state, kCount, [&](NatsConnection&, jsCtx* js) {
    for (int i = 0; i < kCount; ++i) {
      jsPubAck* ack = nullptr;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      LNSIM_CHECK(js_Publish(&ack, js, "bench.js.x", payload.data(),
                             static_cast<int>(payload.size()), nullptr, &jerr) == NATS_OK);
      jsPubAck_Destroy(ack);
    }
  });
}
BENCHMARK(BM_TlsJetStreamPaired)->Unit(benchmark::kMillisecond)->Iterations(10);

void BM_HttpsPollPaired(benchmark::State& state) {
  static RealClock world_clock;
  static mock::MockServer* server = [] {
    sim::WorldSpec spec;
    spec.cluster.nodes = 8;
    spec.cluster.resources = 1000;
    spec.cluster.replicas = 3;
    spec.seed = 1;
    auto world = sim::World::Create(spec, spec.seed);
    LNSIM_CHECK(world.ok()) << world.status().ToString();
    mock::ServerOptions o;
    o.port = 0;
    o.https_port = 0;
    o.threads = 8;
    o.tls_cert_file = BenchCerts().server_cert;
    o.tls_key_file = BenchCerts().server_key;
    auto* s = new mock::MockServer(std::move(world).value(), world_clock, o);
    LNSIM_CHECK(s->Start().ok());
    return s;
  }();
  LinstorTlsOptions tls_options;
  tls_options.ca = BenchCerts().ca_cert;
  auto tls = LoadLinstorTls(tls_options);
  LNSIM_CHECK(tls.ok());
  LinstorClientOptions plain_options;
  plain_options.urls = {"http://127.0.0.1:" + std::to_string(server->port())};
  LinstorClientOptions https_options;
  https_options.urls = {"https://127.0.0.1:" + std::to_string(server->https_port())};
  https_options.tls = *tls;
  LinstorClient plain(plain_options, BenchClock(), nullptr, nullptr);
  LinstorClient https(https_options, BenchClock(), nullptr, nullptr);
  std::vector<double> ratios;
  double plain_total = 0, https_total = 0;
  bool https_first = false;
  for (auto _ : state) {
    double t_plain = 0, t_https = 0;
    for (int k = 0; k < 2; ++k) {
      const bool run_https = (k == 0) == https_first;
      PollStats stats;
      const auto start = std::chrono::steady_clock::now();
      auto snap = (run_https ? https : plain).FetchSnapshot(&stats);
      LNSIM_CHECK(snap.ok()) << snap.status().ToString();
      benchmark::DoNotOptimize(snap->replicas.size());
      (run_https ? t_https : t_plain) = Seconds(std::chrono::steady_clock::now() - start);
    }
    https_first = !https_first;
    ratios.push_back(t_https / t_plain);
    plain_total += t_plain;
    https_total += t_https;
  }
  std::sort(ratios.begin(), ratios.end());
  state.counters["ratio"] = ratios.empty() ? 0 : ratios[ratios.size() / 2];
  state.counters["http_ms"] = 1000 * plain_total / static_cast<double>(state.iterations());
  state.counters["https_ms"] = 1000 * https_total / static_cast<double>(state.iterations());
}
BENCHMARK(BM_HttpsPollPaired)->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
}  // namespace lnsim::bridge
