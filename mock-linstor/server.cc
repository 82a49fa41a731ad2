// cpp-httplib adapter, ticker, caches, faults and SSE plumbing of the mock controller (see
// server.h). Everything LINSTOR-specific lives in rest.cc; this file moves bytes and time.
#include "mock-linstor/server.h"

#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "common/listen_socket.h"
#include "mock-linstor/internal/gzip.h"
#include "mock-linstor/internal/json_writer.h"

namespace lnsim::mock {
namespace {

std::string CanonicalQuery(const std::vector<std::pair<std::string, std::string>>& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    out += key;
    out.push_back('=');
    out += value;
    out.push_back('&');
  }
  return out;
}

// cpp-httplib's stop() does nothing until the listen thread has entered its accept loop, so a
// Stop() right after Start() could miss it and join a thread that never ends. Returns once the
// server runs (or its listen call already returned).
std::thread StartListenThread(httplib::Server* server) {
  auto returned = std::make_shared<std::atomic<bool>>(false);
  std::thread thread([server, returned] {
    server->listen_after_bind();
    returned->store(true);
  });
  while (!server->is_running() && !returned->load()) std::this_thread::yield();
  return thread;
}

// "cannot listen on 127.0.0.1:3370: Address already in use".
Status CannotListen(const std::string& bind, int port, const char* what) {
  const std::string reason = BindFailureReason(bind, port);
  return UnavailableError(std::string("cannot listen ") + what + "on " + bind + ":" +
                          std::to_string(port) + ": " +
                          (reason.empty() ? "the address cannot be bound" : reason));
}

HttpResponse ControlJson(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse ControlError(int status, const std::string& message) {
  std::string body = "{\"error\":";
  internal::AppendJsonString(&body, message);
  body += "}";
  return ControlJson(status, std::move(body));
}

}  // namespace

MockServer::MockServer(std::unique_ptr<sim::World> world, Clock& clock, ServerOptions options)
    : world_(std::move(world)),
      clock_(clock),
      options_(std::move(options)),
      api_(options_.epoch_unix_ms >= 0 ? options_.epoch_unix_ms : clock.UnixNanos() / 1000000),
      faults_(options_.api_faults, world_->spec().time_scale, options_.seed),
      hub_(clock, [this](const sim::Cluster& c, sim::NodeIndex n) {
        return RenderNodeJson(c, state_, n, api_.epoch_unix_ms());
      }) {
  LNSIM_CHECK(world_ != nullptr);
  if (options_.world_faults) faults_.AddWorldFaults(world_->spec().faults);
  std::lock_guard<std::mutex> lock(world_mu_);
  hub_.Pump(world_->cluster(), world_->trace(), /*publish=*/false);
}

MockServer::~MockServer() { Stop(); }

Duration MockServer::Elapsed() const { return clock_.Now() - start_; }

Status MockServer::Start() {
  LNSIM_CHECK(!started_) << "MockServer::Start called twice";
  start_ = clock_.Now();
  {
    std::lock_guard<std::mutex> lock(listen_mu_);
    auto svr = NewListener(/*https=*/false);
    int port = options_.port;
    if (port == 0) {
      port = svr->bind_to_any_port(options_.bind);
      if (port <= 0) return UnavailableError("cannot bind " + options_.bind + ": no free port");
    } else if (!svr->bind_to_port(options_.bind, port)) {
      return CannotListen(options_.bind, port, "");
    }
    port_ = port;
    std::unique_ptr<httplib::Server> ssl;
    if (options_.https_port >= 0) {
      ssl = NewListener(/*https=*/true);
      if (ssl == nullptr) {
        return InvalidArgumentError("HTTPS: cannot load certificate '" + options_.tls_cert_file +
                                    "' with key '" + options_.tls_key_file + "'");
      }
      int https_port = options_.https_port;
      if (https_port == 0) {
        https_port = ssl->bind_to_any_port(options_.bind);
        if (https_port <= 0) {
          return UnavailableError("cannot bind HTTPS " + options_.bind + ": no free port");
        }
      } else if (!ssl->bind_to_port(options_.bind, https_port)) {
        return CannotListen(options_.bind, https_port, "HTTPS ");
      }
      https_port_ = https_port;
    }
    httplib::Server* raw = svr.get();
    listen_thread_ = StartListenThread(raw);
    http_ = std::move(svr);
    if (ssl != nullptr) {
      httplib::Server* raw_ssl = ssl.get();
      https_thread_ = StartListenThread(raw_ssl);
      https_ = std::move(ssl);
    }
    listening_ = true;
  }
  started_ = true;
  ticker_ = std::thread([this] { TickerLoop(); });
  return OkStatus();
}

void MockServer::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  WakeWaiters();
  if (ticker_.joinable()) ticker_.join();
  hub_.DropAll();
  StopListening();
  std::lock_guard<std::mutex> lock(listen_mu_);
  for (auto& [svr, thread] : retired_) {
    if (thread.joinable()) thread.join();
  }
  retired_.clear();
}

void MockServer::TickerLoop() {
  while (!stopping_.load()) {
    // The next tick is due one tick after this one read the clock: time that passes while the
    // tick runs (a test advancing a simulated clock) is never skipped.
    const Duration next_tick = clock_.Now() + options_.tick;
    Tick();
    std::unique_lock<std::mutex> lock(wake_mu_);
    clock_.WaitUntil(lock, wake_cv_, next_tick, [&] { return stopping_.load(); });
  }
}

void MockServer::WakeWaiters() {
  // Taking the mutex orders this against a waiter between checking its condition and waiting.
  { std::lock_guard<std::mutex> lock(wake_mu_); }
  wake_cv_.notify_all();
}

void MockServer::TickNow() { Tick(); }

void MockServer::Tick() {
  // One tick at a time (the ticker and TickNow): the time is read inside, so a later tick never
  // acts on an earlier time (e.g. stopping the listener again after a window ended).
  std::lock_guard<std::mutex> tick_lock(tick_mu_);
  const Duration now = Elapsed();
  bool down = false;
  uint64_t drop = 0, stale = 0;
  {
    std::lock_guard<std::mutex> lock(world_mu_);
    world_->AdvanceTo(now);
    hub_.Pump(world_->cluster(), world_->trace());
  }
  WakeWaiters();  // writes waiting for the satellites (AwaitSatellites) re-check the world
  {
    std::lock_guard<std::mutex> lock(faults_mu_);
    down = faults_.ControllerDown(now);
    drop = faults_.SseDropWindow(now, nullptr);
    stale = faults_.StaleWindow(now, nullptr);
    if (drop != 0 && drop != sse_drop_id_) {
      hub_.DropAll();
    }
    sse_drop_id_ = drop;
  }
  {
    std::lock_guard<std::mutex> lock(world_mu_);
    if (stale != stale_id_) {
      stale_id_ = stale;
      if (stale != 0) {
        stale_cluster_ = std::make_shared<const sim::Cluster>(world_->cluster());
        stale_state_ = std::make_shared<const MockState>(state_);
      } else {
        stale_cluster_.reset();
        stale_state_.reset();
      }
    }
  }
  if (stopping_.load() || !started_) return;  // tests tick a server that never listens
  bool listening;
  {
    std::lock_guard<std::mutex> lock(listen_mu_);
    listening = listening_;
  }
  if (down && listening) {
    hub_.DropAll();
    StopListening();
  } else if (!down && !listening) {
    StartListening();
  }
}

std::unique_ptr<httplib::Server> MockServer::NewListener(bool https) {
  std::unique_ptr<httplib::Server> svr;
  if (https) {
    auto ssl = std::make_unique<httplib::SSLServer>(
        options_.tls_cert_file.c_str(), options_.tls_key_file.c_str(),
        options_.tls_client_ca_file.empty() ? nullptr : options_.tls_client_ca_file.c_str());
    if (!ssl->is_valid()) return nullptr;
    svr = std::move(ssl);
  } else {
    svr = std::make_unique<httplib::Server>();
  }
  svr->set_socket_options(ExclusiveListenOptions);  // a port in use fails (listen_socket.h)
  InstallHandlers(*svr);
  return svr;
}

void MockServer::StartListening() {
  std::lock_guard<std::mutex> lock(listen_mu_);
  if (listening_ || stopping_.load()) return;
  auto svr = NewListener(/*https=*/false);
  if (!svr->bind_to_port(options_.bind, port_)) return;  // retried on the next tick
  std::unique_ptr<httplib::Server> ssl;
  if (https_port_ > 0) {
    ssl = NewListener(/*https=*/true);
    if (ssl == nullptr || !ssl->bind_to_port(options_.bind, https_port_)) return;  // next tick
  }
  httplib::Server* raw = svr.get();
  listen_thread_ = StartListenThread(raw);
  http_ = std::move(svr);
  if (ssl != nullptr) {
    httplib::Server* raw_ssl = ssl.get();
    https_thread_ = StartListenThread(raw_ssl);
    https_ = std::move(ssl);
  }
  listening_ = true;
}

void MockServer::StopListening() {
  std::lock_guard<std::mutex> lock(listen_mu_);
  if (!listening_) return;
  listen_generation_.fetch_add(1);
  WakeWaiters();
  // Closes the listening socket now (connection refused from here on); workers still finishing
  // a request are joined later so the ticker never waits for a slow client.
  http_->stop();
  retired_.emplace_back(std::move(http_), std::move(listen_thread_));
  if (https_ != nullptr) {
    https_->stop();
    retired_.emplace_back(std::move(https_), std::move(https_thread_));
  }
  listening_ = false;
}

void MockServer::Delay(Duration d) {
  if (d <= Duration::zero()) return;
  const uint64_t generation = listen_generation_.load();
  std::unique_lock<std::mutex> lock(wake_mu_);
  clock_.WaitFor(lock, wake_cv_, d,
                 [&] { return stopping_.load() || listen_generation_.load() != generation; });
}

void MockServer::Hang(const std::string& method, const std::string& path) {
  const uint64_t generation = listen_generation_.load();
  auto hanging = [&] {
    std::lock_guard<std::mutex> lock(faults_mu_);
    return faults_.HangActive(method, path, Elapsed());
  };
  auto released = [&] {
    return stopping_.load() || listen_generation_.load() != generation || !hanging();
  };
  std::unique_lock<std::mutex> lock(wake_mu_);
  // Woken by a fault change (ServeControl), a stop, or the clock; the 20 ms bound re-checks a
  // window that ends on a real clock.
  while (!clock_.WaitFor(lock, wake_cv_, std::chrono::milliseconds(20), released)) {
  }
}

bool MockServer::InvolvesNode(const HttpRequest& req, const std::string& node) const {
  const auto segments = SplitPath(req.path);
  QueryView query{req.query};
  auto filter_allows = [&] {
    const auto nodes = query.All("nodes");
    if (nodes.empty()) return true;
    for (const auto& name : nodes) {
      if (sim::FoldName(name) == sim::FoldName(node)) return true;
    }
    return false;
  };
  if (segments.size() >= 2 && segments[1] == "view") return filter_allows();
  if (segments.size() == 2 && segments[1] == "nodes") return filter_allows();
  if (segments.size() >= 3 && segments[1] == "nodes")
    return sim::FoldName(segments[2]) == sim::FoldName(node);
  if (segments.size() >= 4 && segments[1] == "resource-definitions" && segments[3] == "resources") {
    return segments.size() == 4 || sim::FoldName(segments[4]) == sim::FoldName(node);
  }
  return false;
}

void MockServer::WithWorld(const std::function<void(sim::World&, MockState&)>& fn) {
  std::lock_guard<std::mutex> lock(world_mu_);
  fn(*world_, state_);
  ++writes_;
  hub_.Pump(world_->cluster(), world_->trace());
}

void MockServer::ReadWorld(
    const std::function<void(const sim::World&, const MockState&)>& fn) const {
  std::lock_guard<std::mutex> lock(world_mu_);
  fn(*world_, state_);
}

HttpResponse MockServer::Dispatch(const HttpRequest& req, const FaultDecision& decision,
                                  std::shared_ptr<const std::string>* shared_body,
                                  std::shared_ptr<const std::string>* shared_gzip, bool want_gzip,
                                  std::function<bool(const sim::World&, HttpResponse*)>* complete) {
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Elapsed()).count();
  if (!RestApi::IsWrite(req)) {
    if (decision.stale) {
      std::shared_ptr<const sim::Cluster> cluster;
      std::shared_ptr<const MockState> state;
      {
        std::lock_guard<std::mutex> lock(world_mu_);
        if (!stale_cluster_) {
          stale_cluster_ = std::make_shared<const sim::Cluster>(world_->cluster());
          stale_state_ = std::make_shared<const MockState>(state_);
          stale_id_ = decision.stale_fault_id;
        }
        cluster = stale_cluster_;
        state = stale_state_;
      }
      return api_.HandleRead(req, *cluster, *state, now_ms);  // immutable snapshot: no lock
    }
    if (req.path == "/v1/view/resources") {
      const std::string key = CanonicalQuery(req.query);
      std::unique_lock<std::mutex> lock(world_mu_);
      // The world's version: its trace length plus the writes applied (mock state included).
      const std::pair<uint64_t, uint64_t> version{world_->trace().transitions().size(), writes_};
      auto it = std::find_if(view_cache_.begin(), view_cache_.end(), [&](const Cached& entry) {
        return entry.version == version && entry.query == key;
      });
      if (it == view_cache_.end()) {
        Cached entry;
        entry.version = version;
        entry.query = key;
        entry.body = std::make_shared<const std::string>(
            api_.RenderResourceView(world_->cluster(), state_, QueryView{req.query}));
        std::erase_if(view_cache_, [&](const Cached& entry) { return entry.version != version; });
        if (view_cache_.size() >= 8) view_cache_.erase(view_cache_.begin());
        view_cache_.push_back(entry);
        it = view_cache_.end() - 1;
      }
      *shared_body = it->body;
      *shared_gzip = it->gzip;
      if (want_gzip && !it->gzip) {
        auto body = it->body;
        lock.unlock();
        auto gzip = std::make_shared<const std::string>(internal::GzipCompress(*body));
        lock.lock();
        for (Cached& entry : view_cache_) {
          if (entry.version == version && entry.query == key) entry.gzip = gzip;
        }
        *shared_gzip = gzip;
      }
      HttpResponse response;
      response.status = 200;
      return response;
    }
    std::lock_guard<std::mutex> lock(world_mu_);
    return api_.HandleRead(req, world_->cluster(), state_, now_ms);
  }
  WriteEffects effects;
  HttpResponse response;
  {
    std::lock_guard<std::mutex> lock(world_mu_);
    response = api_.HandleWrite(req, world_.get(), &state_, &effects);
    if (effects.changed) ++writes_;
    for (const NodeEvent& e : effects.node_events) hub_.PublishNodeEvent(e.name, e.data);
    hub_.Pump(world_->cluster(), world_->trace());
  }
  if (complete != nullptr) *complete = std::move(effects.complete);
  return response;
}

void MockServer::AwaitSatellites(
    const std::function<bool(const sim::World&, HttpResponse*)>& complete, HttpResponse* response) {
  const Duration limit = clock_.Now() + kSatelliteWaitLimit;
  const uint64_t generation = listen_generation_.load();  // a controller restart ends the wait
  auto done = [&] {
    std::lock_guard<std::mutex> lock(world_mu_);
    return complete(*world_, response);
  };
  std::unique_lock<std::mutex> lock(wake_mu_);
  // Tick() wakes this after each world advance; the predicate takes the world lock itself, so
  // the ticker is never blocked by a waiting request.
  clock_.WaitUntil(lock, wake_cv_, limit, [&] {
    return stopping_.load() || listen_generation_.load() != generation || done();
  });
}

HttpResponse MockServer::HandleForTest(const HttpRequest& req) {
  if (req.path.rfind("/lnsim/v1/", 0) == 0) return ServeControl(req);
  std::shared_ptr<const std::string> body, gz;
  HttpResponse r = Dispatch(req, FaultDecision{}, &body, &gz, false);
  if (body) r.body = *body;
  return r;
}

HttpResponse MockServer::ServeControl(const HttpRequest& req) {
  HttpResponse response = ServeControlRequest(req);
  WakeWaiters();  // a hang may have ended
  return response;
}

HttpResponse MockServer::ServeControlRequest(const HttpRequest& req) {
  const auto segments = SplitPath(req.path);  // {"lnsim","v1",...}
  const Duration now = Elapsed();
  if (segments.size() == 3 && segments[2] == "status" && req.method == "GET") {
    std::string out;
    internal::JsonWriter w(&out);
    w.BeginObject();
    {
      std::lock_guard<std::mutex> lock(world_mu_);
      w.KeyInt("world_time_ns", world_->now().count());
      w.KeyUint("trace_seq", world_->trace().transitions().size());
      w.KeyUint("writes", writes_);
    }
    w.KeyInt("clock_elapsed_ns", now.count());
    w.KeyUint("sse_subscribers", hub_.subscriber_count());
    w.KeyInt("port", port_);
    w.EndObject();
    return ControlJson(200, std::move(out));
  }
  if (segments.size() >= 3 && segments[2] == "faults") {
    if (auto response = ServeFaults(req, segments, now)) return *response;
  }
  if (segments.size() == 4 && segments[2] == "sse" && segments[3] == "drop" &&
      req.method == "POST") {
    hub_.DropAll();
    return ControlJson(200, "{}");
  }
  return ControlError(404, "unknown control path " + req.path);
}

std::optional<HttpResponse> MockServer::ServeFaults(const HttpRequest& req,
                                                    const std::vector<std::string>& segments,
                                                    Duration now) {
  std::lock_guard<std::mutex> lock(faults_mu_);
  if (segments.size() == 3 && req.method == "GET") {
    std::string out = "{\"active\":[";
    bool first = true;
    for (const ApiFault& fault : faults_.Active(now)) {
      if (!first) out.push_back(',');
      first = false;
      out += ApiFaultJson(fault, faults_.time_scale());
    }
    out += "],\"all\":[";
    first = true;
    for (const ApiFault& fault : faults_.All()) {
      if (!first) out.push_back(',');
      first = false;
      out += ApiFaultJson(fault, faults_.time_scale());
    }
    out += "]}";
    return ControlJson(200, std::move(out));
  }
  if (segments.size() == 3 && req.method == "POST") {
    YAML::Node node;
    try {
      node = YAML::Load(req.body);
    } catch (const YAML::Exception& e) {
      return ControlError(400, std::string("body is not JSON/YAML: ") + e.what());
    }
    auto fault = ParseApiFault(node, "fault");
    if (!fault.ok()) return ControlError(400, fault.status().message());
    if (fault->kind == ApiFaultKind::kControllerDown && fault->duration.count() == 0) {
      return ControlError(400,
                          "fault.duration: controller_down needs a duration (it would "
                          "never come back)");
    }
    const uint64_t id = faults_.AddLive(*fault, now);
    if (fault->kind == ApiFaultKind::kStale && fault->at.count() == 0) {
      // The snapshot is the world as of this call, not as of the ticker'segments next look.
      std::lock_guard<std::mutex> world_lock(world_mu_);
      stale_cluster_ = std::make_shared<const sim::Cluster>(world_->cluster());
      stale_state_ = std::make_shared<const MockState>(state_);
      stale_id_ = id;
    }
    return ControlJson(201, "{\"id\":" + std::to_string(id) + "}");
  }
  if (segments.size() == 3 && req.method == "DELETE") {
    faults_.ClearLive();
    return ControlJson(200, "{}");
  }
  if (segments.size() == 4 && req.method == "DELETE") {
    uint64_t id = 0;
    try {
      id = std::stoull(segments[3]);
    } catch (...) {
      return ControlError(404, "no fault " + segments[3]);
    }
    return faults_.Remove(id) ? ControlJson(200, "{}")
                              : ControlError(404, "no fault " + segments[3]);
  }
  return std::nullopt;
}

namespace {

// The methods InstallHandlers registers; cpp-httplib answers any other (TRACE, ...) with an
// empty 400, which the error handler turns into the route table's 405 (schemathesis found it).
bool IsRoutedMethod(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "POST" || method == "PUT" ||
         method == "DELETE" || method == "PATCH" || method == "OPTIONS";
}

}  // namespace

void MockServer::InstallHandlers(httplib::Server& svr) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { Serve(req, res); };
  // Every path, also one whose decoded segments hold CR/LF (std::regex's "." matches neither:
  // cpp-httplib then answered an empty 404; schemathesis found it).
  const char* kAnyPath = "[\\s\\S]*";
  svr.Get(kAnyPath, handler);
  svr.Post(kAnyPath, handler);
  svr.Put(kAnyPath, handler);
  svr.Delete(kAnyPath, handler);
  svr.Patch(kAnyPath, handler);
  svr.Options(kAnyPath, handler);
  // RFC 9112 6.3 (7230 3.3.3): a request with neither Content-Length nor Transfer-Encoding has
  // an empty body. cpp-httplib 0.11 instead reads a POST/PUT/PATCH/DELETE body until the client
  // closes and then answers 400, so such requests are served here, before it reads anything.
  svr.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // The mock reads every body as JSON whatever its Content-Type (as LINSTOR's String-bodied
    // resources do). cpp-httplib would parse a multipart/form-data body itself, answer an
    // empty 400 and leave the body unread on the connection (schemathesis found it), so that
    // header is dropped here; `req` is the server's own non-const Request object.
    if (req.get_header_value("Content-Type").rfind("multipart/form-data", 0) == 0) {
      const_cast<httplib::Request&>(req).headers.erase("Content-Type");
    }
    const bool may_have_body = req.method == "POST" || req.method == "PUT" ||
                               req.method == "PATCH" || req.method == "DELETE";
    if (!may_have_body || req.has_header("Content-Length") || req.has_header("Transfer-Encoding")) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    Serve(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.new_task_queue = [n = options_.threads] { return new httplib::ThreadPool(n); };
  svr.set_payload_max_length(options_.payload_max_bytes);
  svr.set_keep_alive_max_count(100000);
  svr.set_tcp_nodelay(true);  // headers and body go out in separate writes: no Nagle delay
  svr.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                    httplib::Response& res) {
    if (res.status == 400 && res.body.empty() && !IsRoutedMethod(req.method)) {
      Serve(req, res);  // TRACE and other methods cpp-httplib does not route: 405 + Allow
      return httplib::Server::HandlerResponse::Handled;
    }
    if (res.status != 413 || !res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    res.set_content(
        ErrorResponse(RetCode(rcmask::kError, 0, 0, rccode::kFailUnknownError),
                      "Request body too large (limit " +
                          std::to_string(options_.payload_max_bytes) + " bytes).",
                      api_.epoch_unix_ms() +
                          std::chrono::duration_cast<std::chrono::milliseconds>(Elapsed()).count())
            .body,
        "application/json");
    return httplib::Server::HandlerResponse::Handled;
  }));
}

HttpResponse MockServer::InjectedError(int status, Duration now) const {
  ApiCallRc rc;
  rc.ret_code = RetCode(rcmask::kError, 0, 0, rccode::kFailUnknownError);
  rc.message = "An unknown error occurred.";
  rc.cause = "Injected by lnsim mock-linstor (api fault)";
  rc.error_report_ids = {"6571D2B4-00000-" +
                         std::to_string(100000 + (now.count() / 1000) % 900000)};
  rc.created_at = FormatIsoTime(api_.epoch_unix_ms() +
                                std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
  HttpResponse response;
  response.status = status;
  response.body = RenderApiCallRcList({rc});
  return response;
}

void MockServer::Serve(const httplib::Request& req, httplib::Response& res) {
  HttpRequest request;
  request.method = req.method;
  request.path = req.path;
  for (const auto& [key, value] : req.params) request.query.emplace_back(key, value);
  request.body = req.body;
  auto send = [&](const HttpResponse& response, std::shared_ptr<const std::string> body,
                  std::shared_ptr<const std::string> gzip, bool want_gzip) {
    res.status = response.status;
    for (const auto& [name, value] : response.headers) res.set_header(name, value);
    if (!body) body = std::make_shared<const std::string>(response.body);
    if (body->empty()) {
      res.set_content("", response.content_type);
      return;
    }
    if (want_gzip && response.content_type == "application/json") {
      if (!gzip) gzip = std::make_shared<const std::string>(internal::GzipCompress(*body));
      body = gzip;
      res.set_header("Content-Encoding", "gzip");
    }
    res.set_content_provider(body->size(), response.content_type,
                             [body](size_t offset, size_t length, httplib::DataSink& sink) {
                               const size_t n = std::min(length, body->size() - offset);
                               return sink.write(body->data() + offset, n);
                             });
  };

  if (request.path.rfind("/lnsim/v1/", 0) == 0) {
    // A plain body, not a content provider: cpp-httplib stops writing a provider's content once
    // the server is stopping, and posting controller_down stops it right after this answer.
    const HttpResponse response = ServeControl(request);
    res.status = response.status;
    res.set_content(response.body, response.content_type);
    return;
  }
  if (!RestApi::ServesPath(request.path)) {
    HttpResponse response;
    response.status = 404;
    response.content_type = "text/plain";
    response.body = "Not Found";
    send(response, nullptr, nullptr, false);
    return;
  }
  const Duration now = Elapsed();
  FaultDecision decision;
  {
    std::lock_guard<std::mutex> lock(faults_mu_);
    if (faults_.ControllerDown(now)) {
      // A request that raced the socket close on a kept-alive connection: the process is "dead".
      res.status = 503;
      res.set_header("Connection", "close");
      return;
    }
    decision = faults_.Decide(request.method, request.path, now,
                              [&](const std::string& node) { return InvolvesNode(request, node); });
  }
  if (decision.hang) Hang(request.method, request.path);
  Delay(decision.delay);
  if (decision.error_status > 0) {
    send(InjectedError(decision.error_status, now), nullptr, nullptr, false);
    return;
  }
  if (const std::optional<EventStream> stream = RestApi::EventStreamFor(request)) {
    ServeEvents(req, res, *stream);
    return;
  }
  const std::string accept = req.get_header_value("Accept-Encoding");
  const bool want_gzip = accept.find("gzip") != std::string::npos;
  std::shared_ptr<const std::string> body, gzip;
  std::function<bool(const sim::World&, HttpResponse*)> complete;
  HttpResponse response = Dispatch(request, decision, &body, &gzip, want_gzip, &complete);
  if (complete) AwaitSatellites(complete, &response);
  send(response, body, gzip, want_gzip);
}

void MockServer::ServeEvents(const httplib::Request& req, httplib::Response& res,
                             EventStream stream) {
  res.status = 200;
  bool dropping;
  {
    std::lock_guard<std::mutex> lock(faults_mu_);
    dropping = faults_.SseDropWindow(Elapsed(), nullptr) != 0;
  }
  if (dropping) {
    res.set_chunked_content_provider("text/event-stream", [](size_t, httplib::DataSink& sink) {
      sink.done();
      return true;
    });
    return;
  }
  const bool current = req.get_header_value("Last-Event-ID") == "current";
  std::shared_ptr<Subscriber> sub;
  {
    std::lock_guard<std::mutex> lock(world_mu_);
    sub = hub_.Subscribe(stream, current, world_->cluster());
  }
  res.set_chunked_content_provider(
      "text/event-stream",
      [sub](size_t, httplib::DataSink& sink) {
        std::vector<std::string> batch;
        if (!sub->Wait(std::chrono::milliseconds(100), &batch)) {
          sink.done();
          return true;
        }
        for (const std::string& e : batch) {
          if (!sink.write(e.data(), e.size())) return false;
        }
        return true;
      },
      [this, sub](bool) { hub_.Unsubscribe(sub); });
}

}  // namespace lnsim::mock
