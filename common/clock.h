// Time is injected (STYLE.md): components take a Clock&, never read the system clock
// themselves. Only cli/ creates a RealClock; the sim and tests use SimulatedClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace lnsim {

using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time since an arbitrary, fixed epoch. Thread-safe.
  virtual Duration Now() const = 0;
  // Wall-clock time as nanoseconds since the Unix epoch (for reports and CloudEvents `time`).
  virtual int64_t UnixNanos() const = 0;
};

// Reads steady_clock / system_clock. Thread-safe.
class RealClock final : public Clock {
 public:
  Duration Now() const override;
  int64_t UnixNanos() const override;
};

// Time moves only when told. Thread-safe (atomic), so a test can advance it while a component
// reads it from another thread.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(Duration start = Duration::zero(), int64_t unix_start_nanos = 0)
      : now_(start.count()), unix_offset_(unix_start_nanos - start.count()) {}
  Duration Now() const override { return Duration(now_.load(std::memory_order_acquire)); }
  int64_t UnixNanos() const override { return now_.load(std::memory_order_acquire) + unix_offset_; }
  void Advance(Duration d) { now_.fetch_add(d.count(), std::memory_order_acq_rel); }
  void Set(Duration t) { now_.store(t.count(), std::memory_order_release); }

 private:
  std::atomic<int64_t> now_;
  int64_t unix_offset_;
};

}  // namespace lnsim
