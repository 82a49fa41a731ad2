// Crash safety against the real pieces: `lnsim mock-linstor` running a churning workload, a
// real nats-server with JetStream, and `lnsim bridge --jetstream` as a child process that is
// SIGKILLed at random points (fixed seed), once with a restart after the duplicate window has
// passed; and a nats-server kill -9 + restart under a running bridge. After the world settles,
// the stream must rebuild exactly what LINSTOR shows (nothing lost), no (key, sequence) may carry
// two contents, sequences have no gaps, and a late consumer reading only the state mirror sees
// the current state.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <thread>

#include "bridge/recovery.h"
#include "common/rng.h"
#include "harness/nats_server.h"
#include "tests/bridge/testutil_bridge.h"

namespace lnsim::bridge {
namespace {

using namespace std::chrono_literals;
using testing::CompareModels;
using testing::Model;

constexpr char kScenario[] = R"(cluster:
  nodes: 3
  pools_per_node: 1
  pool_size: 1TiB
  pool_kind: LVM_THIN
  resources: 0
  replicas: 2
workload:
  provision_rate: 4
  delete_rate: 1
  attach_rate: 5
  detach_rate: 5
  resize_rate: 2
duration: %DURATION%
seed: 11
)";

class JetStreamCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("lnsim-bridge-itest-");
    harness::NatsServerOptions no;
    auto server = harness::NatsServer::Start(no, clock_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    nats_ = std::move(server).value();
    ASSERT_EQ(natsConnection_ConnectTo(&nc_, nats_->url().c_str()), NATS_OK);
    ASSERT_EQ(natsConnection_JetStream(&js_, nc_, nullptr), NATS_OK);
  }
  void TearDown() override {
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
  }

  void StartMock(const std::string& duration) {
    std::string text = kScenario;
    text.replace(text.find("%DURATION%"), 10, duration);
    auto mock = testing::StartMock(testing::WriteFile(dir_, "scenario.yaml", text), clock_);
    ASSERT_TRUE(mock.ok()) << mock.status().ToString();
    mock_ = std::move(mock).value();
  }

  std::vector<std::string> BridgeArgs() {
    return {"--linstor",
            mock_.url,
            "--nats",
            nats_->url(),
            "--cluster",
            "Crash.Test",
            "--jetstream",
            "--dedup-window",
            "1s",
            "--poll-interval",
            "100ms",
            "--request-timeout",
            "2s",
            "--ack-timeout",
            "1s",
            "--metrics-addr",
            "127.0.0.1:0",
            "--page-size",
            "7"};
  }

  // Starts a bridge and waits (bounded) until /healthz says ready.
  std::unique_ptr<harness::ChildProcess> StartReadyBridge() {
    auto child = testing::StartBridge(BridgeArgs(), dir_ + "/bridge.log", clock_);
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return nullptr;
    auto line = (*child)->ReadLine(20s);
    EXPECT_TRUE(line.ok()) << line.status().ToString();
    if (!line.ok()) return nullptr;
    const std::string url = line->substr(std::string("listening on ").size());
    httplib::Client cli(url);
    const Duration deadline = clock_.Now() + 30s;
    while (clock_.Now() < deadline) {
      auto res = cli.Get("/healthz");
      if (res && res->status == 200) return std::move(child).value();
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "bridge never became ready";
    return std::move(child).value();
  }

  // Waits until the events rebuild what LINSTOR shows; asserts the stream invariants.
  void ExpectConverged(const std::set<std::string>& excluded) {
    const std::string stream = DefaultStreamName("Crash.Test");
    std::string last_problem;
    const Duration deadline = clock_.Now() + 90s;
    while (clock_.Now() < deadline) {
      auto messages = testing::ReadStream(js_, stream);
      ASSERT_TRUE(messages.ok()) << messages.status().ToString();
      std::vector<Event> events;
      size_t copies = 0;
      const std::string invariants = testing::CheckStream(*messages, &events, &copies);
      ASSERT_EQ(invariants, "") << "stream invariants broken";
      auto snap = testing::FetchLinstor(mock_.url, clock_);
      ASSERT_TRUE(snap.ok()) << snap.status().ToString();
      Model from_events = testing::ModelFromEvents(events);
      Model from_linstor = testing::ModelFromSnapshot(*snap);
      for (const auto& name : excluded) {
        from_events.erase(name);
        from_linstor.erase(name);
      }
      last_problem = CompareModels(from_events, from_linstor);
      if (last_problem.empty()) {
        events_ = events.size();
        copies_ = copies;
        // A late consumer: only the state mirror.
        auto mirror = testing::ReadMirror(js_, DefaultBucketName("Crash.Test"));
        ASSERT_TRUE(mirror.ok()) << mirror.status().ToString();
        Snapshot from_mirror;
        for (const auto& [key, entry] : *mirror) ApplyMirrorEntry(entry, &from_mirror);
        Model mirror_model = testing::ModelFromSnapshot(from_mirror);
        Model linstor_all = testing::ModelFromSnapshot(*snap);
        const std::string mirror_problem = CompareModels(mirror_model, linstor_all);
        if (mirror_problem.empty()) {
          // Every key's mirrored sequence is the last one the stream holds for it (once the
          // bridge is idle: the mirror is written ahead of the events).
          std::map<std::string, uint64_t> max_seq;
          for (const auto& e : events) {
            max_seq[e.partition_key] = std::max(max_seq[e.partition_key], e.sequence);
          }
          std::string seq_problem;
          for (const auto& [key, seq] : max_seq) {
            if (!mirror->count(key)) {
              seq_problem = key + " missing from the mirror";
            } else if (mirror->at(key).sequence != seq) {
              seq_problem = key + ": mirror sequence " + std::to_string(mirror->at(key).sequence) +
                            ", stream " + std::to_string(seq);
            }
          }
          if (seq_problem.empty()) return;
          last_problem = "sequences: " + seq_problem;
        } else {
          last_problem = "mirror: " + mirror_problem;
        }
      }
      std::this_thread::sleep_for(300ms);
    }
    FAIL() << "never converged:\n" << last_problem;
  }

  std::set<std::string> InitialResources() {
    std::set<std::string> out;
    auto mirror = testing::ReadMirror(js_, DefaultBucketName("Crash.Test"));
    EXPECT_TRUE(mirror.ok());
    if (!mirror.ok()) return out;
    for (const auto& [key, entry] : *mirror) {
      if (entry.resource_definition) out.insert(FoldName(entry.resource_definition->name));
      for (const auto& [n, r] : entry.replicas) out.insert(FoldName(r.resource));
    }
    return out;
  }

  RealClock clock_;
  std::string dir_;
  std::unique_ptr<harness::NatsServer> nats_;
  testing::Mock mock_;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  size_t events_ = 0;
  size_t copies_ = 0;
};

TEST_F(JetStreamCrashTest, TwentyTwoSigkillsLoseNothingAndReuseNoSequence) {
  StartMock("14s");
  // The first bridge establishes state (no events for what existed at its first poll: those
  // few resources are left out of the comparison; consumers get them from the mirror).
  auto first = StartReadyBridge();
  ASSERT_NE(first, nullptr);
  const std::set<std::string> initial = InitialResources();
  Rng rng(4242);
  std::unique_ptr<harness::ChildProcess> bridge = std::move(first);
  for (int kill = 0; kill < 22; ++kill) {
    // Random kill point: 50..650 ms into this incarnation's life.
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng.Uniform(600)));
    auto status = bridge->Kill();
    ASSERT_EQ(status.signal, SIGKILL) << status.ToString();
    if (kill == 10) std::this_thread::sleep_for(1500ms);  // dedup window (1s) passes
    auto next = testing::StartBridge(BridgeArgs(), dir_ + "/bridge.log", clock_);
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    bridge = std::move(next).value();
  }
  ExpectConverged(initial);
  EXPECT_GT(events_, 50u);
  // SIGTERM drains and exits 0.
  auto status = bridge->Stop(20s);
  EXPECT_TRUE(status.ok()) << status.ToString();
  std::cout << "events: " << events_ << ", extra copies in the stream: " << copies_ << "\n";
}

TEST_F(JetStreamCrashTest, NatsServerKillAndRestartLosesNothing) {
  StartMock("10s");
  auto bridge = StartReadyBridge();
  ASSERT_NE(bridge, nullptr);
  const std::set<std::string> initial = InitialResources();
  std::this_thread::sleep_for(2s);
  nats_->Kill9();
  std::this_thread::sleep_for(1s);  // the bridge keeps polling and queueing meanwhile
  ASSERT_TRUE(nats_->Restart().ok());
  // The test's own connection reconnects by itself (nats.c default).
  std::this_thread::sleep_for(2s);
  nats_->Kill9();
  ASSERT_TRUE(nats_->Restart().ok());
  ExpectConverged(initial);
  EXPECT_GT(events_, 20u);
  auto status = bridge->Stop(20s);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// The write-ahead path on its own: a mirror entry whose pending event never reached the stream
// (a crash between the two writes) is re-sent with the same id at start, and the key's next
// event continues at the next sequence.
TEST_F(JetStreamCrashTest, RecoveryResendsWrittenAheadEventsAndContinuesSequences) {
  StartMock("1s");
  StreamSettings settings;
  settings.stream = DefaultStreamName("Crash.Test");
  settings.bucket = DefaultBucketName("Crash.Test");
  settings.dedup_window = 1s;
  ASSERT_TRUE(EnsureStreamAndBucket(js_, "Crash.Test", settings, nullptr).ok());
  Event ghost;
  ghost.cluster = "Crash.Test";
  ghost.body.type = EventType::kResourceCreated;
  ghost.body.resource = "Ghost.1";
  ghost.body.volumes = {{0, 1024, ""}};
  ghost.partition_key = PartitionKey(ghost.body);
  ghost.sequence = 1;
  ghost.time_unix_ns = clock_.UnixNanos();
  MirrorEntry entry;
  entry.key = ghost.partition_key;
  entry.sequence = 1;
  entry.resource_definition = ResourceDefinitionState{"Ghost.1", "", {{0, 1024}}};
  entry.pending = {EncodeEvent(ghost)};
  kvStore* kv = nullptr;
  ASSERT_EQ(js_KeyValue(&kv, js_, settings.bucket.c_str()), NATS_OK);
  const std::string value = EncodeMirrorEntry(entry);
  uint64_t rev = 0;
  ASSERT_EQ(kvStore_Put(&rev, kv, entry.key.c_str(), value.data(), static_cast<int>(value.size())),
            NATS_OK);
  ASSERT_EQ(kvStore_PutString(&rev, kv, std::string(kSyncedKey).c_str(), "{}"), NATS_OK);
  kvStore_Destroy(kv);

  auto bridge = StartReadyBridge();
  ASSERT_NE(bridge, nullptr);
  // Wait (bounded) for the re-sent event and the deletion that follows (LINSTOR has no Ghost.1).
  const Duration deadline = clock_.Now() + 30s;
  std::vector<Event> events;
  while (clock_.Now() < deadline) {
    auto messages = testing::ReadStream(js_, settings.stream);
    ASSERT_TRUE(messages.ok());
    events.clear();
    size_t copies = 0;
    ASSERT_EQ(testing::CheckStream(*messages, &events, &copies), "");
    int seen = 0;
    for (const auto& e : events) {
      if (e.partition_key == ghost.partition_key) ++seen;
    }
    if (seen == 2) break;
    std::this_thread::sleep_for(100ms);
  }
  std::vector<Event> ghost_events;
  for (const auto& e : events) {
    if (e.partition_key == ghost.partition_key) ghost_events.push_back(e);
  }
  ASSERT_EQ(ghost_events.size(), 2u);
  EXPECT_EQ(ghost_events[0].Id(), ghost.Id());
  EXPECT_EQ(ContentDigest(ghost_events[0]), ContentDigest(ghost));
  EXPECT_EQ(ghost_events[1].sequence, 2u);
  EXPECT_EQ(ghost_events[1].body.type, EventType::kResourceDeleted);
  auto status = bridge->Stop(20s);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

}  // namespace
}  // namespace lnsim::bridge
