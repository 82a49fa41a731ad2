// The bridge's only window onto LINSTOR: HTTP to one of several controller URLs (failover on
// any error), the four list polls (paged with limit/offset) parsed into a Snapshot, and the two
// SSE streams as fast "something changed" signals. Every request has a deadline; hangs, 5xx,
// bad JSON and SSE garbage become Status values and counters, never crashes.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bridge/linstor_parse.h"
#include "bridge/metrics.h"
#include "bridge/snapshot.h"
#include "common/clock.h"
#include "common/status.h"

namespace lnsim::bridge {

// TLS material for https:// controller URLs (LINSTOR serves HTTPS on 3371), parsed once and
// shared read-only by the poller and the SSE threads. Like LINSTOR's own clients: trust the
// given CA (--linstor-ca / linstor-client --cafile / golinstor LS_ROOT_CA; without one, the
// system's CAs) and present a client certificate when one is given (--linstor-cert + --linstor-key
// / --certfile + --keyfile / LS_USER_CERTIFICATE + LS_USER_KEY). The server's name is always
// verified against the URL's host.
struct LinstorTlsOptions {
  // Each is a PEM file path or the PEM text itself (golinstor's LS_* variables hold PEM text).
  std::string ca;
  std::string cert;
  std::string key;
  bool any() const { return !ca.empty() || !cert.empty() || !key.empty(); }
};
class LinstorTls;
// Reads and parses the PEM material. kInvalidArgument naming the flag ("--linstor-ca ...") for a
// missing/unreadable file, PEM that does not parse, a cert without a key or a key that does not
// match the cert.
StatusOr<std::shared_ptr<const LinstorTls>> LoadLinstorTls(const LinstorTlsOptions& options);

struct LinstorClientOptions {
  // "http://host:port" or "https://host:port"; a bare "host[:port]" gets http:// and 3370
  std::vector<std::string> urls;
  std::shared_ptr<const LinstorTls> tls;  // for https URLs; null = the system's CAs, no cert
  Duration request_timeout = std::chrono::seconds(10);  // whole request, all bytes
  // A listing that times out doubles the timeout of the next polls, up to this (never below
  // request_timeout): real listings can take 30 s and more under load (FAILURES.md F7), and a
  // bridge whose every poll times out sees nothing at all. Polls that answer within a quarter of
  // the raised timeout halve it again, back to request_timeout.
  Duration max_request_timeout = std::chrono::minutes(2);
  Duration connect_timeout = std::chrono::seconds(3);
  size_t page_size = 1000;  // limit per page; 0 = one unpaged request per list
};

// "host" -> "http://host:3370"; "https://host" -> "https://host:3371"; "http://h:1" unchanged.
// kInvalidArgument for other schemes or garbage.
StatusOr<std::string> NormalizeControllerUrl(std::string_view url);

struct PollStats {
  uint64_t bytes = 0;
  int requests = 0;
  std::string url;  // the controller that answered
};

// Used by the poller thread only.
class LinstorClient {
 public:
  LinstorClient(LinstorClientOptions options, const Clock& clock, Metrics* metrics, Logger* logger);
  ~LinstorClient();

  // Fetches /v1/nodes, /v1/view/storage-pools, /v1/resource-definitions?with_volume_definitions
  // =true and /v1/view/resources (every page) from the current controller and parses them. On
  // any failure the next call starts with the next controller URL. Errors: kUnavailable
  // (connect), kDeadlineExceeded (timeout), kDataLoss (bad JSON), kInternal (HTTP status).
  StatusOr<Snapshot> FetchSnapshot(PollStats* stats);

  // One GET with the deadline; for tests and the SSE-less paths.
  StatusOr<std::string> Get(const std::string& base_url, const std::string& path_and_query);

  // The timeout the next request gets (request_timeout, or more after listings timed out).
  Duration request_timeout() const { return timeout_; }

 private:
  void AdaptTimeout(bool timed_out);

  LinstorClientOptions options_;
  const Clock& clock_;
  Metrics* metrics_;
  Logger* logger_;
  size_t current_ = 0;
  Duration timeout_;
  Duration slowest_{0};  // slowest request of the poll in progress
  LinstorParser parser_;
};

// Follows /v1/events/drbd/promotion (Last-Event-ID: current) and /v1/events/nodes on a thread
// each, calling `on_signal` for every event and after every (re)connect (a gap means "poll
// now"). Reconnects with capped backoff, rotating controller URLs.
class SseWatcher {
 public:
  SseWatcher(std::vector<std::string> urls, const Clock& clock, Metrics* metrics, Logger* logger,
             std::function<void(const std::string& reason)> on_signal,
             std::shared_ptr<const LinstorTls> tls = nullptr);
  ~SseWatcher();
  void Start();
  void Stop();
  uint64_t events() const { return events_.load(); }

 private:
  void Follow(const std::string& path, bool last_event_current, size_t slot);

  std::vector<std::string> urls_;
  const Clock& clock_;
  Metrics* metrics_;
  Logger* logger_;
  std::function<void(const std::string&)> on_signal_;
  std::shared_ptr<const LinstorTls> tls_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> events_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> threads_;
  std::vector<std::function<void()>> stoppers_;  // one per stream; guarded by mu_
};

}  // namespace lnsim::bridge
