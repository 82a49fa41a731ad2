// What a replicated stream costs and how long a leader loss stalls it (issue 8, cluster).
//  - BM_ClusterR3VsR1Publish: the bridge's JetStream publisher (Msg-Id dedup, one in flight per
//    key) sends the same batches to an R1 stream on one nats-server and to an R3 stream on a
//    3-member local cluster, alternating in one run; counters r1_per_s, r3_per_s and ratio (median
//    of per-pair r3/r1). The raw nats.c async publisher does the same as the reference
//    (raw_ratio), so the bridge's own share can be told from the replication's.
//  - BM_ClusterElectionWindow: kills the R3 stream's leader (-9) five times while a client
//    publishes every 10 ms; per kill, the election window (kill -> another member answers
//    STREAM.INFO as leader, as `lnsim run` measures it) and kill -> the first publish sent after
//    the kill acknowledged;
//    min / median / max of both. The killed member is restarted with its store and the stream
//    is given a leader again before the next kill.
//   build/cluster-release/bench/harness/harness_bench --benchmark_filter=Cluster
#include <benchmark/benchmark.h>
#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bridge/publisher.h"
#include "common/clock.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_cluster.h"
#include "harness/nats_server.h"
#include "tests/testutil/real_clock.h"

namespace lnsim::harness {
namespace {

constexpr int kBatch = 10000;
constexpr int kKeys = 1000;
constexpr size_t kPayloadBytes = 400;
constexpr char kStream[] = "BENCH";

RealClock& TheClock() {
  static RealClock clock;
  return clock;
}

// The stream on `urls` (subjects linstor.v1.bench.>, 2 min duplicate window), created with
// retries while a fresh cluster's meta group settles.
void CreateStream(const std::string& urls, int replicas) {
  auto nc = internal::ConnectNats(urls, "bench-setup");
  LNSIM_CHECK(nc.ok()) << nc.status().ToString();
  jsCtx* js = nullptr;
  LNSIM_CHECK(natsConnection_JetStream(&js, *nc, nullptr) == NATS_OK);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = kStream;
  const char* subjects[] = {"linstor.v1.bench.>"};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Replicas = replicas;
  config.Duplicates = static_cast<int64_t>(120) * 1000 * 1000 * 1000;
  natsStatus s = NATS_ERR;
  for (int attempt = 0; attempt < 200 && s != NATS_OK; ++attempt) {
    jsErrCode jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(nullptr, js, &config, nullptr, &jerr);
    if (s != NATS_OK) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  LNSIM_CHECK(s == NATS_OK) << "cannot create the R" << replicas << " bench stream";
  jsCtx_Destroy(js);
  natsConnection_Destroy(*nc);
}

NatsServer* Single() {
  static std::unique_ptr<NatsServer> server = [] {
    NatsServerOptions o;
    auto s = NatsServer::Start(o, TheClock());
    LNSIM_CHECK(s.ok()) << s.status().ToString();
    CreateStream((*s)->url(), 1);
    return std::move(s).value();
  }();
  return server.get();
}

NatsCluster* Cluster() {
  static std::unique_ptr<NatsCluster> cluster = [] {
    auto c = NatsCluster::Start(NatsClusterOptions{}, TheClock());
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    CreateStream((*c)->urls(), 3);
    return std::move(c).value();
  }();
  return cluster.get();
}

// One batch of event-sized messages over kKeys partition keys, ids unique across batches.
std::vector<bridge::OutMessage> Batch() {
  static int64_t batch_number = 0;
  ++batch_number;
  std::vector<bridge::OutMessage> out;
  out.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) {
    bridge::OutMessage m;
    m.partition_key = "pvc-" + std::to_string(i % kKeys);
    m.subject = "linstor.v1.bench.resource." + m.partition_key;
    m.msg_id = "bench/" + std::to_string(batch_number) + "/" + std::to_string(i);
    m.payload = "{\"id\":\"" + m.msg_id + "\",\"pad\":\"";
    m.payload.append(kPayloadBytes - m.payload.size() - 2, 'x');
    m.payload += "\"}";
    out.push_back(std::move(m));
  }
  return out;
}

// The bridge's publisher on its own connection to `urls`.
struct BridgePublisher {
  std::unique_ptr<bridge::NatsConnection> nc;
  std::unique_ptr<bridge::Publisher> pub;
  explicit BridgePublisher(const std::string& urls) {
    bridge::NatsSettings settings;
    for (size_t pos = 0; pos <= urls.size();) {
      size_t comma = urls.find(',', pos);
      if (comma == std::string::npos) comma = urls.size();
      settings.urls.push_back(urls.substr(pos, comma - pos));
      pos = comma + 1;
    }
    auto c = bridge::NatsConnection::Connect(settings, nullptr, nullptr, RealClockForTests());
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    nc = std::move(c).value();
    pub = bridge::NewJetStreamPublisher(nc.get(), TheClock(), nullptr, nullptr,
                                        bridge::JetStreamPublisherOptions{}, nullptr);
  }
  ~BridgePublisher() { pub.reset(); }  // the publisher before its connection
  // Seconds to have the whole batch acknowledged.
  double Publish(std::vector<bridge::OutMessage> batch) {
    const auto start = std::chrono::steady_clock::now();
    pub->Enqueue(std::move(batch));
    const size_t left = pub->WaitIdle(std::chrono::seconds(120));
    LNSIM_CHECK(left == 0) << left << " not acknowledged";
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

// nats.c's async JetStream publish with Msg-Id, at most 4096 unacknowledged (the reference).
struct RawPublisher {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  explicit RawPublisher(const std::string& urls) {
    auto c = internal::ConnectNats(urls, "bench-raw");
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    nc = *c;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 4096;
    LNSIM_CHECK(natsConnection_JetStream(&js, nc, &jo) == NATS_OK);
  }
  ~RawPublisher() {
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }
  double Publish(const std::vector<bridge::OutMessage>& batch) {
    const auto start = std::chrono::steady_clock::now();
    for (const bridge::OutMessage& m : batch) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MsgId = m.msg_id.c_str();
      LNSIM_CHECK(js_PublishAsync(js, m.subject.c_str(), m.payload.data(),
                                  static_cast<int>(m.payload.size()), &po) == NATS_OK);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 120000;
    LNSIM_CHECK(js_PublishAsyncComplete(js, &po) == NATS_OK);
    natsMsgList failed;
    if (js_PublishAsyncGetPendingList(&failed, js) == NATS_OK) {
      LNSIM_CHECK(failed.Count == 0) << failed.Count << " raw publishes failed";
      natsMsgList_Destroy(&failed);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// One iteration = the same-sized batch to R1 and to R3 through the bridge's publisher, then
// through the raw one, R1/R3 order alternating between iterations.
void BM_ClusterR3VsR1Publish(benchmark::State& state) {
  BridgePublisher r1(Single()->url()), r3(Cluster()->urls());
  RawPublisher raw_r1(Single()->url()), raw_r3(Cluster()->urls());
  std::vector<double> ratios, raw_ratios;
  double r1_s = 0, r3_s = 0, raw_r1_s = 0, raw_r3_s = 0;
  int64_t pair = 0;
  for (auto _ : state) {
    double a = 0, b = 0, c = 0, d = 0;
    if (pair % 2 == 0) {
      a = r1.Publish(Batch());
      b = r3.Publish(Batch());
      c = raw_r1.Publish(Batch());
      d = raw_r3.Publish(Batch());
    } else {
      b = r3.Publish(Batch());
      a = r1.Publish(Batch());
      d = raw_r3.Publish(Batch());
      c = raw_r1.Publish(Batch());
    }
    ++pair;
    r1_s += a;
    r3_s += b;
    raw_r1_s += c;
    raw_r3_s += d;
    ratios.push_back(a / b);  // (kBatch / b) / (kBatch / a): R3 rate over R1 rate
    raw_ratios.push_back(c / d);
  }
  const double n = static_cast<double>(pair) * kBatch;
  state.counters["r1_per_s"] = n / r1_s;
  state.counters["r3_per_s"] = n / r3_s;
  state.counters["ratio"] = Median(ratios);
  state.counters["raw_r1_per_s"] = n / raw_r1_s;
  state.counters["raw_r3_per_s"] = n / raw_r3_s;
  state.counters["raw_ratio"] = Median(raw_ratios);
  std::fprintf(stderr,
               "R3 vs R1 (bridge publisher): %.0f vs %.0f msg/s, ratio %.2f; raw nats.c: %.0f vs "
               "%.0f msg/s, ratio %.2f\n",
               n / r3_s, n / r1_s, Median(ratios), n / raw_r3_s, n / raw_r1_s, Median(raw_ratios));
}
BENCHMARK(BM_ClusterR3VsR1Publish)->Iterations(4)->Unit(benchmark::kSecond)->UseRealTime();

// A client publishing one message every 10 ms (js_Publish, 500 ms ack wait) and remembering
// when each ack came back.
class Ticker {
 public:
  explicit Ticker(const std::string& urls) {
    auto c = internal::ConnectNats(urls, "bench-ticker");
    LNSIM_CHECK(c.ok()) << c.status().ToString();
    nc_ = *c;
    LNSIM_CHECK(natsConnection_JetStream(&js_, nc_, nullptr) == NATS_OK);
    thread_ = std::thread([this] { Loop(); });
  }
  ~Ticker() {
    stop_.store(true);
    thread_.join();
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }
  // When the first publish sent after `unix_ns` was acknowledged; 0 while none was.
  int64_t FirstAckAfter(int64_t unix_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [sent, acked] : acks_) {
      if (sent > unix_ns) return acked;
    }
    return 0;
  }

 private:
  void Loop() {
    int64_t i = 0;
    while (!stop_.load()) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 500;
      const std::string id =
          "tick/" + std::to_string(TheClock().UnixNanos()) + "/" + std::to_string(i++);
      po.MsgId = id.c_str();
      jsErrCode jerr = static_cast<jsErrCode>(0);
      const int64_t sent = TheClock().UnixNanos();
      if (js_Publish(nullptr, js_, "linstor.v1.bench.tick", "t", 1, &po, &jerr) == NATS_OK) {
        std::lock_guard<std::mutex> lock(mu_);
        acks_.emplace_back(sent, TheClock().UnixNanos());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // pacing, not sync
    }
  }
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::pair<int64_t, int64_t>> acks_;  // (sent, acknowledged) unix ns
  std::thread thread_;
};

void BM_ClusterElectionWindow(benchmark::State& state) {
  constexpr int kKills = 5;
  NatsCluster* c = Cluster();
  auto probe = StreamLeaderProbe::Connect(c->urls(), kStream);
  LNSIM_CHECK(probe.ok()) << probe.status().ToString();
  auto leader_now = [&] {
    for (int attempt = 0; attempt < 600; ++attempt) {
      auto l = (*probe)->Leader(std::chrono::milliseconds(500));
      if (l.ok()) return *l;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    LNSIM_CHECK(false) << "the bench stream has no leader";
    return std::string();
  };
  std::vector<double> elections_ms, first_ack_ms;
  for (auto _ : state) {
    Ticker ticker(c->urls());
    for (int k = 0; k < kKills; ++k) {
      const std::string leader = leader_now();
      const int member = c->IndexOf(leader);
      LNSIM_CHECK(member >= 0) << leader;
      std::string others;
      for (int i = 0; i < c->size(); ++i) {
        if (i != member) others += (others.empty() ? "" : ",") + c->server(i).url();
      }
      {
        ElectionTimer timer(others, kStream, leader, TheClock());
        c->server(member).Kill9();
        timer.Wait();
        LNSIM_CHECK(timer.window().has_value()) << "no new leader within 60 s";
        elections_ms.push_back(std::chrono::duration<double, std::milli>(*timer.window()).count());
        int64_t ack = 0;
        for (int attempt = 0; attempt < 3000 && ack == 0; ++attempt) {
          ack = ticker.FirstAckAfter(timer.started_unix_ns());
          if (ack == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        LNSIM_CHECK(ack > 0) << "no publish acknowledged within 30 s of the kill";
        first_ack_ms.push_back(static_cast<double>(ack - timer.started_unix_ns()) / 1e6);
      }
      const Status restarted = c->server(member).Restart();
      LNSIM_CHECK(restarted.ok()) << restarted.ToString();
    }
  }
  auto summary = [&](const char* name, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    state.counters[std::string(name) + "_min_ms"] = v.front();
    state.counters[std::string(name) + "_median_ms"] = Median(v);
    state.counters[std::string(name) + "_max_ms"] = v.back();
    std::string all;
    for (double x : v) all += (all.empty() ? "" : " ") + std::to_string(static_cast<int>(x));
    std::fprintf(stderr, "%s over %zu leader kills (ms, sorted): %s\n", name, v.size(),
                 all.c_str());
  };
  summary("election", elections_ms);
  summary("first_ack", first_ack_ms);
}
BENCHMARK(BM_ClusterElectionWindow)->Iterations(1)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace lnsim::harness
