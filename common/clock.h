// Time is injected (STYLE.md): components take a Clock&, never read the system clock or block on
// real time themselves. A Clock tells time and is also the only way to wait for it (Envoy's
// TimeSource idea), so a SimulatedClock can drive every sleep, deadline and timed wait of a
// component in a unit test. Only cli/ creates a RealClock; the sim and tests use SimulatedClock.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

namespace lnsim {

using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary, fixed epoch. Thread-safe.
  virtual Duration Now() const = 0;
  // Wall-clock time as nanoseconds since the Unix epoch (for reports and CloudEvents `time`).
  virtual int64_t UnixNanos() const = 0;

  // Blocks the calling thread until Now() >= deadline. Thread-safe.
  virtual void SleepUntil(Duration deadline) const = 0;
  void SleepFor(Duration duration) const { SleepUntil(Now() + duration); }

  // The clock's form of condition_variable::wait_until. `lock` holds `mutex` on entry and on
  // return. Waits on `cv` until `done()` is true or Now() >= deadline; returns done() as last
  // evaluated (under the lock). `done` is evaluated only with the lock held. Notifying `cv` wakes
  // the waiter as usual, and a notifier that holds `mutex` cannot miss a waiter.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         Duration deadline, const std::function<bool()>& done) const = 0;
  bool WaitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Duration timeout,
               const std::function<bool()>& done) const {
    return WaitUntil(lock, cv, Now() + timeout, done);
  }
  // Without a condition: returns after a notification of `cv`, at the deadline, or spuriously
  // (as condition_variable::wait_until may); the caller re-checks its own state.
  void WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 Duration deadline) const;
  void WaitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               Duration timeout) const {
    WaitUntil(lock, cv, Now() + timeout);
  }
};

// Reads steady_clock / system_clock and waits in real time. Thread-safe.
class RealClock final : public Clock {
 public:
  Duration Now() const override;
  int64_t UnixNanos() const override;
  void SleepUntil(Duration deadline) const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Duration deadline,
                 const std::function<bool()>& done) const override;
};

// Forwards everything to another clock (LevelDB's EnvWrapper): a clock that changes one aspect
// (caps Now(), records a reading) derives from it and overrides only that. Waits translate the
// deadline into the base clock's time as "this much from now", so a wrapper whose Now() differs
// from its base's (a capped clock) still waits as long as asked.
class ClockWrapper : public Clock {
 public:
  explicit ClockWrapper(const Clock& base) : base_(base) {}
  Duration Now() const override { return base_.Now(); }
  int64_t UnixNanos() const override { return base_.UnixNanos(); }
  void SleepUntil(Duration deadline) const override { base_.SleepUntil(BaseDeadline(deadline)); }
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Duration deadline,
                 const std::function<bool()>& done) const override {
    return base_.WaitUntil(lock, cv, BaseDeadline(deadline), done);
  }
  const Clock& base() const { return base_; }

 private:
  Duration BaseDeadline(Duration deadline) const { return base_.Now() + (deadline - Now()); }
  const Clock& base_;
};

// Time moves only when told. Thread-safe: a test advances it from one thread while components
// read it and wait on it from others. Advance() and Set() wake every waiter whose deadline has
// come (and lets the others re-check). WaitForWaiters() lets a test advance time only once the
// component under test is blocked on the clock — synchronisation without sleeps.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Duration start = Duration::zero(), int64_t unix_start_nanos = 0)
      : now_(start.count()), unix_offset_(unix_start_nanos - start.count()) {}
  Duration Now() const override { return Duration(now_.load(std::memory_order_acquire)); }
  int64_t UnixNanos() const override { return now_.load(std::memory_order_acquire) + unix_offset_; }
  void SleepUntil(Duration deadline) const override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Duration deadline,
                 const std::function<bool()>& done) const override;

  // Must not be called while holding a mutex that a waiter waits with (it takes each waiter's).
  void Advance(Duration d);
  void Set(Duration t);
  // Threads blocked in SleepUntil/WaitUntil on this clock right now.
  size_t waiters() const;
  // Blocks until at least `count` threads wait on this clock, or `real_timeout` of real time
  // passed (a bound for test fixtures). Returns whether the count was reached.
  bool WaitForWaiters(size_t count, std::chrono::milliseconds real_timeout) const;

 private:
  // One thread in WaitUntil. `gate` guards `active`; WakeWaiters() touches the waiter's mutex and
  // condition variable only while `active`, so the waiter may leave (and its mutex die) safely.
  struct Waiter {
    std::mutex* mutex;
    std::condition_variable* cv;
    std::mutex gate;
    bool active = true;
  };
  void WakeWaiters();

  std::atomic<int64_t> now_;
  int64_t unix_offset_;
  // Lock order: a waiter's mutex, then registry_mutex_ (held only briefly, nothing taken under
  // it); a Waiter's gate, then the waiter's mutex.
  mutable std::mutex registry_mutex_;
  mutable std::condition_variable registry_cv_;
  mutable std::list<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace lnsim
