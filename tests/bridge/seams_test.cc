// The bridge's seams and the waits that go through its Clock: the test-only decorators do what
// their fault model says, and the SSE watcher's reconnect backoff (100 ms doubling to 5 s) runs
// on a SimulatedClock without a real sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "bridge/linstor_client.h"
#include "tests/bridge/delayed_publish_connection.h"
#include "tests/bridge/swap_attach_detach_differ.h"

namespace lnsim::bridge {
namespace {

using std::chrono::milliseconds;

class FixedDiffer final : public Differ {
 public:
  explicit FixedDiffer(std::vector<DomainEvent> events) : events_(std::move(events)) {}
  std::vector<DomainEvent> Diff(const Snapshot&, const Snapshot&) const override { return events_; }

 private:
  std::vector<DomainEvent> events_;
};

DomainEvent Ev(EventType type, std::string node) {
  DomainEvent e;
  e.type = type;
  e.resource = "pvc-1";
  e.node = std::move(node);
  return e;
}

TEST(SeamsTest, SwapAttachDetachDifferSwapsOnlyAttachAndDetach) {
  const std::vector<DomainEvent> real = {Ev(EventType::kVolumeAttached, "n1"),
                                         Ev(EventType::kNodeOffline, "n2"),
                                         Ev(EventType::kVolumeDetached, "n3")};
  testing::SwapAttachDetachDiffer planted(std::make_unique<FixedDiffer>(real));
  const std::vector<DomainEvent> got = planted.Diff(Snapshot(), Snapshot());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].type, EventType::kVolumeDetached);
  EXPECT_EQ(got[0].node, "n1");
  EXPECT_EQ(got[1], real[1]);
  EXPECT_EQ(got[2].type, EventType::kVolumeAttached);
  EXPECT_EQ(got[2].node, "n3");
}

TEST(SeamsTest, ProductionDifferIsDiff) {
  Snapshot before;
  Snapshot after;
  after.nodes["n1"].name = "n1";
  std::unique_ptr<Differ> differ = NewDiffer(DiffOptions());
  EXPECT_EQ(differ->Diff(before, after), Diff(before, after, DiffOptions()));
}

// Counts the calls that reach nats.c (none do: the base is a fake).
class CountingConnection final : public PublishConnection {
 public:
  natsStatus Publish(natsConnection*, const char*, const void*, int) override { return Count(); }
  natsStatus PublishMsg(natsConnection*, natsMsg*) override { return Count(); }
  natsStatus PublishMsgAsync(jsCtx*, natsMsg**, jsPubOptions*) override { return Count(); }
  std::atomic<int> calls{0};

 private:
  natsStatus Count() {
    ++calls;
    return NATS_OK;
  }
};

TEST(SeamsTest, DelayedPublishConnectionWaitsOnTheClock) {
  SimulatedClock clock;
  auto counting = std::make_unique<CountingConnection>();
  CountingConnection* base = counting.get();
  testing::DelayedPublishConnection delayed(std::move(counting), clock, milliseconds(2));
  for (int kind = 0; kind < 3; ++kind) {
    std::thread publisher([&] {
      natsStatus s = NATS_OK;
      if (kind == 0) {
        s = delayed.Publish(nullptr, "s", "", 0);
      } else if (kind == 1) {
        s = delayed.PublishMsg(nullptr, nullptr);
      } else {
        s = delayed.PublishMsgAsync(nullptr, nullptr, nullptr);
      }
      EXPECT_EQ(s, NATS_OK);
    });
    ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10)));
    clock.Advance(milliseconds(1));
    ASSERT_TRUE(clock.WaitForWaiters(1, std::chrono::seconds(10)));
    EXPECT_EQ(base->calls.load(), kind) << "published before the delay passed";
    clock.Advance(milliseconds(1));
    publisher.join();
    EXPECT_EQ(base->calls.load(), kind + 1);
  }
}

// Both SSE streams of a watcher whose controller refuses connections: each failed connect
// signals a poll ("sse gap") and waits its backoff on the clock before the next attempt.
class SseBackoffTest : public ::testing::Test {
 protected:
  void OnSignal(const std::string&) {
    std::lock_guard<std::mutex> lock(mu_);
    ++signals_;
    cv_.notify_all();
  }
  // Waits (bounded, real time) for `n` signals in all, then for both streams to wait on the
  // clock again.
  void AwaitSignals(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(20), [&] { return signals_ >= n; }))
        << signals_ << " of " << n << " signals";
    lock.unlock();
    ASSERT_TRUE(clock_.WaitForWaiters(2, std::chrono::seconds(20)));
  }
  int signals() {
    std::lock_guard<std::mutex> lock(mu_);
    return signals_;
  }

  SimulatedClock clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  int signals_ = 0;
};

TEST_F(SseBackoffTest, ReconnectBackoffDoublesUpToFiveSecondsOnTheClock) {
  // Port 1 on loopback: nothing listens, every connect is refused at once.
  SseWatcher watcher({"http://127.0.0.1:1"}, clock_, nullptr, nullptr,
                     [this](const std::string& r) { OnSignal(r); });
  watcher.Start();
  AwaitSignals(2);
  int expected = 2;
  for (int64_t backoff_ms : {100, 200, 400, 800, 1600, 3200, 5000, 5000}) {
    clock_.Advance(milliseconds(backoff_ms - 1));
    ASSERT_TRUE(clock_.WaitForWaiters(2, std::chrono::seconds(20)));
    EXPECT_EQ(signals(), expected) << "reconnected before " << backoff_ms << " ms";
    clock_.Advance(milliseconds(1));
    expected += 2;
    AwaitSignals(expected);
    EXPECT_EQ(signals(), expected);
  }
  watcher.Stop();  // wakes both waits: no time needs to pass
}

}  // namespace
}  // namespace lnsim::bridge
