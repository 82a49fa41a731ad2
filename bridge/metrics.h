// Operator-facing instrumentation of the bridge: Prometheus counters/gauges/histograms rendered
// as text for /metrics, and a logfmt structured logger (one line per thing worth a human's
// attention) on stderr. Both are thread-safe: the poller, SSE readers and nats.c callbacks all
// report here.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bridge/event.h"
#include "common/clock.h"
#include "common/histogram.h"

namespace lnsim::bridge {

class Logger {
 public:
  // `out` defaults to stderr. level: "info", "warn", "error".
  explicit Logger(const Clock& clock, std::FILE* out = stderr) : clock_(clock), out_(out) {}
  void Log(std::string_view level, std::string_view msg,
           std::initializer_list<std::pair<std::string_view, std::string>> fields = {});
  void set_quiet(bool quiet) { quiet_ = quiet; }

 private:
  const Clock& clock_;
  std::FILE* out_;
  std::mutex mu_;
  bool quiet_ = false;
};

class Metrics {
 public:
  explicit Metrics(const Clock& clock) : clock_(clock) {}

  // Events.
  void EventObserved(EventType type) { observed_[Index(type)].fetch_add(1); }
  void EventPublished(EventType type) { published_[Index(type)].fetch_add(1); }
  void PublishLatency(Duration d);
  void Duplicate() { duplicates_.fetch_add(1); }
  void Republished(uint64_t n) { republished_.fetch_add(n); }
  void MirrorWrite() { mirror_writes_.fetch_add(1); }
  void SetAcksPending(int64_t n) { acks_pending_.store(n); }
  void SetQueued(int64_t n) { queued_.store(n); }
  // Polls.
  void PollDone(Duration d, uint64_t bytes, int64_t unix_ns);
  void PollFailed() { poll_failures_.fetch_add(1); }
  // Errors by kind: "http", "parse", "sse", "nats_publish", "nats_timeout", ...
  void Error(std::string_view kind);
  void NatsDisconnected() { nats_disconnects_.fetch_add(1); }
  void NatsReconnected() { nats_reconnects_.fetch_add(1); }
  void SetReady(bool ready) { ready_.store(ready); }
  bool ready() const { return ready_.load(); }

  uint64_t duplicates() const { return duplicates_.load(); }
  uint64_t published(EventType t) const { return published_[Index(t)].load(); }
  uint64_t total_published() const;
  uint64_t errors(std::string_view kind) const;
  uint64_t polls() const { return polls_.load(); }

  // Prometheus text exposition format 0.0.4.
  std::string Render() const;

 private:
  static size_t Index(EventType t) { return static_cast<size_t>(t); }
  const Clock& clock_;
  std::array<std::atomic<uint64_t>, kEventTypeCount> observed_{};
  std::array<std::atomic<uint64_t>, kEventTypeCount> published_{};
  std::atomic<uint64_t> duplicates_{0}, republished_{0}, mirror_writes_{0};
  std::atomic<int64_t> acks_pending_{0}, queued_{0};
  std::atomic<uint64_t> polls_{0}, poll_failures_{0}, poll_bytes_{0};
  std::atomic<int64_t> last_poll_unix_ns_{0};
  std::atomic<uint64_t> nats_disconnects_{0}, nats_reconnects_{0};
  std::atomic<bool> ready_{false};
  mutable std::mutex mu_;
  Histogram publish_latency_;
  Histogram poll_duration_;
  std::map<std::string, uint64_t, std::less<>> errors_;
};

}  // namespace lnsim::bridge
