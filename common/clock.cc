#include "common/clock.h"

#include <thread>
#include <vector>

namespace lnsim {

void Clock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                      Duration deadline) const {
  // One wait that any notification ends: both clocks evaluate the condition exactly once before
  // they first sleep, so it is true from the first evaluation after a wake-up on.
  bool woken_once = false;
  WaitUntil(lock, cv, deadline, [&] {
    const bool result = woken_once;
    woken_once = true;
    return result;
  });
}

Duration RealClock::Now() const {
  return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch());
}

int64_t RealClock::UnixNanos() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::chrono::steady_clock::time_point SteadyPoint(Duration deadline) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline));
}
}  // namespace

void RealClock::SleepUntil(Duration deadline) const {
  std::this_thread::sleep_until(SteadyPoint(deadline));
}

bool RealClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          Duration deadline, const std::function<bool()>& done) const {
  return cv.wait_until(lock, SteadyPoint(deadline), done);
}

void SimulatedClock::SleepUntil(Duration deadline) const {
  std::mutex mutex;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mutex);
  WaitUntil(lock, cv, deadline, [] { return false; });
}

// The waiter registers while it holds its own mutex and keeps holding it from each time check
// until it sleeps in cv.wait. WakeWaiters() stores the time first, then takes each active
// waiter's mutex before notifying, so a waiter has either not yet read the new time (and will
// see it) or is asleep (and is woken): no lost wake-up. Leaving, the waiter releases its mutex
// before it takes the gate, so the gate → mutex order holds everywhere.
bool SimulatedClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                               Duration deadline, const std::function<bool()>& done) const {
  auto self = std::make_shared<Waiter>();
  self->mutex = lock.mutex();
  self->cv = &cv;
  {
    std::lock_guard<std::mutex> registry(registry_mutex_);
    waiters_.push_back(self);
  }
  registry_cv_.notify_all();
  bool result = done();
  while (!result && Now() < deadline) {
    cv.wait(lock);
    result = done();
  }
  lock.unlock();
  {
    std::lock_guard<std::mutex> gate(self->gate);
    self->active = false;
  }
  {
    std::lock_guard<std::mutex> registry(registry_mutex_);
    waiters_.remove(self);
  }
  registry_cv_.notify_all();
  lock.lock();
  return result;
}

void SimulatedClock::Advance(Duration d) {
  now_.fetch_add(d.count(), std::memory_order_acq_rel);
  WakeWaiters();
}

void SimulatedClock::Set(Duration t) {
  now_.store(t.count(), std::memory_order_release);
  WakeWaiters();
}

void SimulatedClock::WakeWaiters() {
  std::vector<std::shared_ptr<Waiter>> snapshot;
  {
    std::lock_guard<std::mutex> registry(registry_mutex_);
    snapshot.assign(waiters_.begin(), waiters_.end());
  }
  for (const auto& w : snapshot) {
    std::lock_guard<std::mutex> gate(w->gate);
    if (!w->active) continue;
    { std::lock_guard<std::mutex> hold(*w->mutex); }
    w->cv->notify_all();
  }
}

size_t SimulatedClock::waiters() const {
  std::lock_guard<std::mutex> registry(registry_mutex_);
  return waiters_.size();
}

bool SimulatedClock::WaitForWaiters(size_t count, std::chrono::milliseconds real_timeout) const {
  std::unique_lock<std::mutex> registry(registry_mutex_);
  return registry_cv_.wait_for(registry, real_timeout, [&] { return waiters_.size() >= count; });
}

}  // namespace lnsim
