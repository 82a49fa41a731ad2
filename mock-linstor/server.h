// The HTTP/SSE adapter: serves a sim::World as a LINSTOR controller with cpp-httplib (the only
// cpp-httplib server in lnsim) and advances the world in real time.
//
// Threads: a ticker thread calls world->AdvanceTo(clock time since Start()) every tick and feeds
// the SSE hub; cpp-httplib worker threads run requests. One mutex guards the World and the mock
// state: a request renders its answer under it (one consistent snapshot) and writes to the
// socket after releasing it. The /v1/view/resources body is cached per world version, so many
// pollers share one render. API faults (api_faults.h) are applied before a request is handled;
// controller_down closes the listening socket for the window and opens it again afterwards.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "mock-linstor/api_faults.h"
#include "mock-linstor/events.h"
#include "mock-linstor/rest.h"
#include "mock-linstor/state.h"
#include "sim/world.h"

namespace httplib {
class Server;
class Request;
class Response;
}  // namespace httplib

namespace lnsim::mock {

struct ServerOptions {
  std::string bind = "127.0.0.1";
  int port = 3370;  // 0 = any free port
  std::chrono::milliseconds tick{10};
  size_t threads = 128;                // HTTP worker threads (SSE streams hold one each)
  size_t payload_max_bytes = 4 << 20;  // larger bodies are refused (413, ApiCallRc list)
  std::vector<ApiFault> api_faults;    // the scenario's `api` section
  int64_t epoch_unix_ms = -1;          // unix time of world time 0; -1 = the clock's at Start()
  uint64_t seed = 1;                   // api fault sampling
  bool world_faults = true;            // apply the world's F5/F7 windows
  // HTTPS listener next to the HTTP one (a real controller serves HTTPS on 3371): -1 = none,
  // 0 = any free port. Needs the server certificate chain and key (PEM files).
  int https_port = -1;
  std::string tls_cert_file;
  std::string tls_key_file;
  // When set, HTTPS clients must present a certificate signed by this CA (a controller that
  // authenticates API clients by certificate); others fail the handshake.
  std::string tls_client_ca_file;
};

// The longest a write's answer waits for the world to finish it (AwaitSatellites); past it the
// first answer is sent. The controller has no such bound; it keeps a stuck request from holding a
// worker thread forever.
inline constexpr Duration kSatelliteWaitLimit = std::chrono::minutes(2);

class MockServer {
 public:
  MockServer(std::unique_ptr<sim::World> world, Clock& clock, ServerOptions options);
  ~MockServer();
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds (kUnavailable when a port is taken; kInvalidArgument when the HTTPS certificate or key
  // does not load) and starts the listener(s) and the ticker. controller_down faults close and
  // reopen both listeners.
  Status Start();
  // Stops everything; idempotent.
  void Stop();
  int port() const { return port_; }
  int https_port() const { return https_port_; }  // 0 when there is no HTTPS listener

  // Runs `fn` with the world and the mock state under the world lock (tests, tooling). Events
  // caused by direct world changes are pumped afterwards.
  void WithWorld(const std::function<void(sim::World&, MockState&)>& fn);
  // Read-only access under the world lock; unlike WithWorld it keeps the view cache valid, so
  // use it for frequent reads (fault windows, ground truth).
  void ReadWorld(const std::function<void(const sim::World&, const MockState&)>& fn) const;
  // Advances the world to the clock now (what the ticker does); tests call it to avoid waiting.
  void TickNow();

  // The pure handler path the HTTP adapter uses, minus the socket (tests, fuzzing).
  HttpResponse HandleForTest(const HttpRequest& req);

 private:
  struct Cached {
    std::pair<uint64_t, uint64_t> version{0, 0};  // (trace length, writes)
    std::string query;
    std::shared_ptr<const std::string> body;
    std::shared_ptr<const std::string> gzip;
  };

  Duration Elapsed() const;
  void TickerLoop();
  void Tick();
  // A server with the handlers installed: plain HTTP, or HTTPS with the configured certificate
  // (null when it does not load).
  std::unique_ptr<httplib::Server> NewListener(bool https);
  void StartListening();
  void StopListening();
  void InstallHandlers(httplib::Server& svr);
  void Serve(const httplib::Request& req, httplib::Response& res);
  void ServeEvents(const httplib::Request& req, httplib::Response& res, EventStream stream);
  // The control API (/lnsim/v1/...); wakes held requests afterwards (a fault may have ended).
  HttpResponse ServeControl(const HttpRequest& req);
  HttpResponse ServeControlRequest(const HttpRequest& req);
  // /lnsim/v1/faults[/{id}]: list, add, clear, remove; nullopt for a method it does not serve.
  std::optional<HttpResponse> ServeFaults(const HttpRequest& req,
                                          const std::vector<std::string>& segments, Duration now);
  // The answer of an `error` API fault.
  HttpResponse InjectedError(int status, Duration now) const;
  // Wakes every wait on wake_cv_ so it re-checks its condition (no lost wake-up).
  void WakeWaiters();
  // Renders an answer; `view_cache` points at the cached view body when it was one.
  // `complete` (may be null) receives a write's WriteEffects::complete.
  HttpResponse Dispatch(const HttpRequest& req, const FaultDecision& decision,
                        std::shared_ptr<const std::string>* shared_body,
                        std::shared_ptr<const std::string>* shared_gzip, bool want_gzip,
                        std::function<bool(const sim::World&, HttpResponse*)>* complete = nullptr);
  // Holds a write's answer until `complete` says the world finished it (re-checked after each
  // tick, the world lock released while waiting), the server stops or restarts (controller_down),
  // or kSatelliteWaitLimit passes.
  void AwaitSatellites(const std::function<bool(const sim::World&, HttpResponse*)>& complete,
                       HttpResponse* response);
  // Waits up to `d` of the clock's time, waking early on shutdown or controller stop.
  void Delay(Duration d);
  // Holds a request while a matching hang fault is active (or until shutdown/controller stop).
  void Hang(const std::string& method, const std::string& path);
  bool InvolvesNode(const HttpRequest& req, const std::string& node) const;

  std::unique_ptr<sim::World> world_;
  Clock& clock_;  // every wait of the server and its SSE streams goes through it
  ServerOptions options_;
  RestApi api_;
  Duration start_{0};
  int port_ = 0;
  int https_port_ = 0;

  // Guarded by world_mu_.
  mutable std::mutex world_mu_;
  MockState state_;
  uint64_t writes_ = 0;
  std::vector<Cached> view_cache_;
  std::shared_ptr<const sim::Cluster> stale_cluster_;
  std::shared_ptr<const MockState> stale_state_;
  uint64_t stale_id_ = 0;

  std::mutex tick_mu_;  // serialises Tick()
  std::mutex faults_mu_;
  FaultPlan faults_;
  uint64_t sse_drop_id_ = 0;

  EventHub hub_;

  std::mutex listen_mu_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listen_thread_;
  std::unique_ptr<httplib::Server> https_;  // an httplib::SSLServer
  std::thread https_thread_;
  bool listening_ = false;
  // Servers stopped for a controller_down window; joined at Stop().
  std::vector<std::pair<std::unique_ptr<httplib::Server>, std::thread>> retired_;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  std::atomic<uint64_t> listen_generation_{0};
  std::atomic<bool> stopping_{false};
  std::thread ticker_;
  bool started_ = false;
};

}  // namespace lnsim::mock
