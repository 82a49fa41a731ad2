// FaultProxy: a loopback TCP proxy between a NATS client (the bridge, a consumer) and nats-server
// whose faults can be changed while traffic flows: added latency with jitter, a bandwidth cap,
// connection resets and blackholes. It is how a scenario's `network` faults reach real sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/rng.h"
#include "common/status.h"

namespace lnsim::harness {

struct FaultProxyOptions {
  std::string upstream_host = "127.0.0.1";  // IPv4 literal
  int upstream_port = 0;
  int listen_port = 0;  // 0 = a free loopback port
  // A direction stops reading from its source once this much is queued (backpressure), so a
  // long blackhole cannot grow without bound.
  size_t max_queued_bytes_per_direction = 64u << 20;
};

// Faults in force; applied to bytes read after the change (bytes already queued keep the release
// time they were given, so order is preserved).
struct NetworkFaults {
  // Each chunk read is held latency + Uniform[0, jitter] before it is forwarded (never less than
  // `latency`), and never overtakes an earlier chunk of the same direction.
  Duration latency = Duration::zero();
  Duration jitter = Duration::zero();
  // Bytes per second per connection and direction (token bucket, burst of 1/20 s); 0 = no cap.
  uint64_t bandwidth_bytes_per_second = 0;
  // Accept and read, but forward nothing: bytes are held (up to the queue limit) and flow again,
  // in order, once the blackhole is cleared. New connections are accepted and held too.
  bool blackhole = false;
};

struct FaultProxyStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_active = 0;
  uint64_t connections_reset = 0;  // closed by ResetConnections()
  uint64_t bytes_to_upstream = 0;
  uint64_t bytes_to_client = 0;
};

// Thread-safe: every public method may be called from any thread (the Set* helpers read, modify
// and write the fault set, so two threads setting different fields at once may lose one). One
// internal thread runs a poll loop over every connection (threads at the edge,
// docs/architecture.md). Destruction closes the listener and every connection and joins the thread.
class FaultProxy {
 public:
  // Listens on 127.0.0.1:listen_port. kUnavailable when the port cannot be bound (names it),
  // kInvalidArgument for a bad upstream. The upstream is connected per accepted connection; a
  // client whose upstream refuses is closed.
  static StatusOr<std::unique_ptr<FaultProxy>> Start(const FaultProxyOptions& options,
                                                     const Clock& clock, Rng rng);
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;
  ~FaultProxy();

  int port() const { return port_; }
  // "nats://127.0.0.1:PORT", the URL a NATS client is given instead of the server's.
  std::string nats_url() const;

  void SetFaults(const NetworkFaults& faults);
  NetworkFaults faults() const;
  void SetLatency(Duration latency, Duration jitter);
  void SetBandwidth(uint64_t bytes_per_second);
  void SetBlackhole(bool on);
  void ClearFaults();
  // Closes every current connection on both sides with a TCP reset (SO_LINGER 0) and drops what
  // was queued. Returns once the proxy thread has done it. New connections are accepted after.
  void ResetConnections();

  FaultProxyStats stats() const;

 private:
  class Loop;
  FaultProxy() = default;
  void Wake();

  int port_ = 0;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace lnsim::harness
