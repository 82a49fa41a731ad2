// The Clock's waits: a SimulatedClock must drive sleeps and timed condition waits from another
// thread without real time passing, wake exactly the waiters whose deadline came, never lose a
// wake-up, and the real clock and wrappers must keep the same contract.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace lnsim {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kFixtureBound{10000};  // real-time bound on every test wait

TEST(SimulatedClockTest, SleepEndsOnlyWhenTimeIsAdvancedPastTheDeadline) {
  SimulatedClock clock;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.SleepFor(hours(1));
    woke = true;
  });
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  clock.Advance(std::chrono::minutes(59));
  // Still asleep: the waiter is registered again (or never left) after the wake-up.
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  EXPECT_FALSE(woke.load());
  clock.Advance(std::chrono::minutes(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
  EXPECT_EQ(clock.waiters(), 0u);
}

TEST(SimulatedClockTest, TimedWaitReturnsFalseAtTheDeadlineAndTrueWhenNotified) {
  SimulatedClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  bool flag = false;
  auto timed_out = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mutex);
    return clock.WaitFor(lock, cv, seconds(5), [&] { return flag; });
  });
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  clock.Advance(seconds(5));
  EXPECT_FALSE(timed_out.get());

  auto notified = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mutex);
    return clock.WaitFor(lock, cv, seconds(5), [&] { return flag; });
  });
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  {
    std::lock_guard<std::mutex> lock(mutex);
    flag = true;
  }
  cv.notify_all();
  EXPECT_TRUE(notified.get());
  EXPECT_EQ(clock.Now(), seconds(5));  // the notified wait needed no time
}

TEST(SimulatedClockTest, AdvanceWakesOnlyTheWaitersWhoseDeadlineCame) {
  SimulatedClock clock;
  std::atomic<int> woken{0};
  std::thread near([&] {
    clock.SleepUntil(seconds(1));
    ++woken;
  });
  std::thread far([&] {
    clock.SleepUntil(seconds(10));
    ++woken;
  });
  ASSERT_TRUE(clock.WaitForWaiters(2, kFixtureBound));
  clock.Advance(seconds(2));
  near.join();
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  EXPECT_EQ(woken.load(), 1);
  clock.Set(seconds(10));
  far.join();
  EXPECT_EQ(woken.load(), 2);
}

// Many rounds of "waiter checks the time, test advances": a lost wake-up would hang a round
// (bounded by the future's wait), so every round must finish.
TEST(SimulatedClockTest, NoLostWakeUpAcrossManyRounds) {
  SimulatedClock clock;
  for (int round = 1; round <= 200; ++round) {
    auto done =
        std::async(std::launch::async, [&, round] { clock.SleepUntil(milliseconds(round)); });
    clock.Advance(milliseconds(1));  // may land before or after the waiter registers
    if (done.wait_for(kFixtureBound) != std::future_status::ready) {
      FAIL() << "round " << round << " lost its wake-up";
    }
  }
}

TEST(SimulatedClockTest, WaitWithoutConditionReturnsOnNotify) {
  SimulatedClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mutex);
    clock.WaitFor(lock, cv, hours(1));
  });
  ASSERT_TRUE(clock.WaitForWaiters(1, kFixtureBound));
  { std::lock_guard<std::mutex> lock(mutex); }  // the waiter holds it until it sleeps
  cv.notify_all();
  ASSERT_EQ(waiter.wait_for(kFixtureBound), std::future_status::ready);
  EXPECT_EQ(clock.Now(), Duration::zero());
}

class CappedForTest final : public ClockWrapper {
 public:
  using ClockWrapper::ClockWrapper;
  Duration Now() const override { return std::min(base().Now(), Duration(seconds(3))); }
};

TEST(ClockWrapperTest, WaitsPastAStoppedNowLastAsLongAsAsked) {
  SimulatedClock base(seconds(10));
  CappedForTest capped(base);  // stands at 3 s while the base is at 10 s
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    capped.SleepFor(seconds(2));
    woke = true;
  });
  ASSERT_TRUE(base.WaitForWaiters(1, kFixtureBound));
  base.Advance(seconds(1));
  ASSERT_TRUE(base.WaitForWaiters(1, kFixtureBound));
  EXPECT_FALSE(woke.load());
  base.Advance(seconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
}

TEST(RealClockTest, TimedWaitHonoursTheConditionAndTheDeadline) {
  RealClock clock;
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mutex);
  EXPECT_TRUE(clock.WaitFor(lock, cv, hours(1), [] { return true; }));
  const Duration start = clock.Now();
  EXPECT_FALSE(clock.WaitFor(lock, cv, milliseconds(1), [] { return false; }));
  EXPECT_GE(clock.Now() - start, milliseconds(1));
}

}  // namespace
}  // namespace lnsim
