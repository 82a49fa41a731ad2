// Cluster start-up: ports for every member first (routes must name them), all members launched,
// then readiness awaited, since a clustered JetStream member is healthy only with its peers.
// With route proxies, member i's --routes name proxies i->j instead of the peers' cluster ports.
#include "harness/nats_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/rng.h"
#include "harness/internal/http_get.h"
#include "harness/internal/nats_util.h"

namespace lnsim::harness {

StatusOr<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return InternalError(std::string("socket: ") + strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return UnavailableError(std::string("no free loopback port: ") + strerror(errno));
  }
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

Rng RouteProxyRng(uint64_t seed, size_t from, size_t to) {
  return Rng(seed).Fork("route/" + std::to_string(from) + "-" + std::to_string(to));
}

StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(const NatsClusterOptions& options,
                                                          const Clock& clock) {
  if (options.size < 1 || options.size > 9) {
    return InvalidArgumentError("nats cluster: size must be 1..9, not " +
                                std::to_string(options.size));
  }
  struct Ports {
    int client, monitor, cluster;
  };
  const size_t n = static_cast<size_t>(options.size);
  std::vector<Ports> ports;
  for (size_t i = 0; i < n; ++i) {
    Ports p{};
    LNSIM_ASSIGN_OR_RETURN(p.client, PickFreePort());
    LNSIM_ASSIGN_OR_RETURN(p.monitor, PickFreePort());
    LNSIM_ASSIGN_OR_RETURN(p.cluster, PickFreePort());
    ports.push_back(p);
  }
  std::unique_ptr<NatsCluster> cluster(new NatsCluster());
  // routes[i]: what member i dials.
  std::vector<std::string> routes(n);
  if (options.route_proxies) {
    cluster->route_proxies_.resize(n * n);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < n; ++j) {
        if (i == j) continue;
        FaultProxyOptions po;
        po.upstream_port = ports[j].cluster;
        LNSIM_ASSIGN_OR_RETURN(cluster->route_proxies_[i * n + j],
                               FaultProxy::Start(po, clock, RouteProxyRng(options.seed, i, j)));
        if (!routes[i].empty()) routes[i] += ",";
        routes[i] +=
            "nats://127.0.0.1:" + std::to_string(cluster->route_proxies_[i * n + j]->port());
      }
    }
  } else {
    std::string all;
    for (const Ports& p : ports) {
      if (!all.empty()) all += ",";
      all += "nats://127.0.0.1:" + std::to_string(p.cluster);
    }
    for (auto& r : routes) r = all;
  }
  for (size_t i = 0; i < n; ++i) {
    NatsServerOptions so;
    so.binary = options.binary;
    so.port = ports[i].client;
    so.monitor_port = ports[i].monitor;
    so.jetstream = options.jetstream;
    so.server_name = options.cluster_name + "-" + std::to_string(i + 1);
    so.ready_timeout = options.ready_timeout;
    so.wait_ready = false;
    if (!options.work_dir.empty()) {
      so.work_dir = options.work_dir + "/member-" + std::to_string(i + 1);
      so.keep_work_dir = true;
    }
    so.extra_args = {"--cluster_name", options.cluster_name,
                     "--cluster",      "nats://127.0.0.1:" + std::to_string(ports[i].cluster),
                     "--routes",       routes[i]};
    if (options.route_proxies) {
      // Port 1 on loopback refuses: an implicit route learned by gossip fails instead of
      // bypassing the proxies; the explicit routes already form the full mesh.
      so.extra_args.push_back("--cluster_advertise");
      so.extra_args.push_back("127.0.0.1:1");
    }
    auto server = NatsServer::Start(so, clock);
    if (!server.ok()) {
      return server.status().WithPrefix("nats cluster member " + std::to_string(i + 1));
    }
    cluster->servers_.push_back(std::move(server).value());
  }
  cluster->restart_state_.assign(n, RestartState::kIdle);
  cluster->restart_status_.assign(n, OkStatus());
  cluster->restart_thread_ = std::thread(&NatsCluster::RestartLoop, cluster.get());
  for (size_t i = 0; i < n; ++i) {
    Status ready = cluster->servers_[i]->WaitUntilReady();
    if (!ready.ok()) return ready.WithPrefix("nats cluster member " + std::to_string(i + 1));
  }
  return cluster;
}

NatsCluster::~NatsCluster() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_restarts_ = true;
    restart_queue_.clear();
  }
  cv_.notify_all();
  if (restart_thread_.joinable()) restart_thread_.join();
  // Members first (they would otherwise reconnect routes through closing proxies).
  servers_.clear();
  route_proxies_.clear();
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const auto& s : servers_) {
    if (!out.empty()) out += ",";
    out += s->url();
  }
  return out;
}

std::string NatsCluster::member_name(int i) const {
  return servers_.at(static_cast<size_t>(i))->options().server_name;
}

int NatsCluster::IndexOf(std::string_view server_name) const {
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i]->options().server_name == server_name) return static_cast<int>(i);
  }
  return -1;
}

Status NatsCluster::ForEachRouteProxyOf(int i, const std::function<void(FaultProxy&)>& fn) {
  if (route_proxies_.empty()) {
    return FailedPreconditionError("nats cluster: routes can only be cut with route proxies");
  }
  if (i < 0 || i >= size())
    return InvalidArgumentError("nats cluster: no member " + std::to_string(i + 1));
  const size_t n = servers_.size(), k = static_cast<size_t>(i);
  for (size_t j = 0; j < n; ++j) {
    if (j == k) continue;
    fn(*route_proxies_[k * n + j]);  // k dials j
    fn(*route_proxies_[j * n + k]);  // j dials k
  }
  return OkStatus();
}

Status NatsCluster::CutRoutes(int i) {
  return ForEachRouteProxyOf(i, [](FaultProxy& p) {
    p.SetBlackhole(true);
    p.ResetConnections();
  });
}

Status NatsCluster::HealRoutes(int i) {
  return ForEachRouteProxyOf(i, [](FaultProxy& p) {
    // Connections held during the cut carry a stale handshake: drop them, let routes redial.
    p.ResetConnections();
    p.SetBlackhole(false);
  });
}

void NatsCluster::RestartAsync(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  RestartState& state = restart_state_.at(static_cast<size_t>(i));
  if (state == RestartState::kPending) return;
  state = RestartState::kPending;
  restart_queue_.push_back(i);
  cv_.notify_all();
}

bool NatsCluster::Restarting(int i) {
  std::lock_guard<std::mutex> lock(mu_);
  return restart_state_.at(static_cast<size_t>(i)) == RestartState::kPending;
}

Status NatsCluster::JoinRestart(int i) {
  std::unique_lock<std::mutex> lock(mu_);
  const size_t k = static_cast<size_t>(i);
  cv_.wait(lock, [&] { return restart_state_.at(k) != RestartState::kPending || stop_restarts_; });
  if (restart_state_[k] != RestartState::kDone) return OkStatus();
  restart_state_[k] = RestartState::kIdle;
  return restart_status_[k];
}

void NatsCluster::RestartLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_restarts_ || !restart_queue_.empty(); });
    if (stop_restarts_) return;
    const int i = restart_queue_.front();
    restart_queue_.erase(restart_queue_.begin());
    lock.unlock();
    Status status = servers_[static_cast<size_t>(i)]->Restart();
    lock.lock();
    restart_status_[static_cast<size_t>(i)] = std::move(status);
    restart_state_[static_cast<size_t>(i)] = RestartState::kDone;
    cv_.notify_all();
  }
}

StatusOr<int> NatsCluster::MemberServing(const std::string& client_name, const Clock& clock) {
  bool any_answer = false;
  std::string last_error;
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (Restarting(static_cast<int>(i))) continue;
    if (!servers_[i]->Running()) continue;
    auto res = internal::HttpGet("127.0.0.1", servers_[i]->monitor_port(), "/connz?limit=4096",
                                 std::chrono::seconds(2), clock);
    if (!res.ok() || res->status != 200) {
      last_error = res.ok() ? "HTTP " + std::to_string(res->status) : res.status().message();
      continue;
    }
    any_answer = true;
    const auto j = nlohmann::json::parse(res->body, nullptr, false);
    if (j.is_discarded() || !j.contains("connections") || !j["connections"].is_array()) continue;
    for (const auto& c : j["connections"]) {
      if (c.is_object() && c.value("name", "") == client_name) return static_cast<int>(i);
    }
  }
  if (!any_answer) {
    return UnavailableError("nats cluster: no member's /connz answered (" + last_error + ")");
  }
  return -1;
}

StatusOr<std::unique_ptr<StreamLeaderProbe>> StreamLeaderProbe::Connect(const std::string& urls,
                                                                        const std::string& stream) {
  LNSIM_ASSIGN_OR_RETURN(natsConnection * nc, internal::ConnectNats(urls, "lnsim-leader-probe"));
  std::unique_ptr<StreamLeaderProbe> probe(new StreamLeaderProbe());
  probe->nc_ = nc;
  probe->stream_ = stream;
  return probe;
}

StreamLeaderProbe::~StreamLeaderProbe() {
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

StatusOr<std::string> StreamLeaderProbe::Leader(Duration timeout) {
  const std::string subject = "$JS.API.STREAM.INFO." + stream_;
  natsMsg* reply = nullptr;
  const int64_t ms =
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count());
  const natsStatus s = natsConnection_Request(&reply, nc_, subject.c_str(), "", 0, ms);
  if (s != NATS_OK) {
    return UnavailableError("stream " + stream_ + " info: " + natsStatus_GetText(s));
  }
  const std::string body(natsMsg_GetData(reply), static_cast<size_t>(natsMsg_GetDataLength(reply)));
  natsMsg_Destroy(reply);
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return UnavailableError("stream " + stream_ + " info: not JSON: " + body.substr(0, 200));
  }
  if (j.contains("error")) {
    return UnavailableError("stream " + stream_ + " info: " + j["error"].dump());
  }
  if (!j.contains("cluster") || !j["cluster"].is_object()) {
    return FailedPreconditionError("stream " + stream_ + " is not clustered");
  }
  const std::string leader = j["cluster"].value("leader", "");
  if (leader.empty()) return UnavailableError("stream " + stream_ + " has no leader");
  return leader;
}

ElectionTimer::ElectionTimer(const std::string& urls, const std::string& stream,
                             std::string old_leader, const Clock& clock, Duration deadline)
    : clock_(clock),
      old_leader_(std::move(old_leader)),
      started_(clock.Now()),
      started_unix_ns_(clock.UnixNanos()) {
  thread_ = std::thread(&ElectionTimer::Loop, this, urls, stream, deadline);
}

ElectionTimer::~ElectionTimer() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

std::optional<Duration> ElectionTimer::window() const {
  std::lock_guard<std::mutex> lock(mu_);
  return window_;
}

std::string ElectionTimer::new_leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return new_leader_;
}

void ElectionTimer::Wait() {
  if (thread_.joinable()) thread_.join();
}

void ElectionTimer::Loop(std::string urls, std::string stream, Duration deadline) {
  const Duration end = started_ + deadline;
  std::unique_ptr<StreamLeaderProbe> probe;
  while (!stop_.load() && clock_.Now() < end) {
    if (!probe) {
      auto p = StreamLeaderProbe::Connect(urls, stream);
      if (!p.ok()) {
        failed_probes_.fetch_add(1);
        continue;  // ConnectNats waits out its own connect timeout
      }
      probe = std::move(p).value();
    }
    // A short timeout keeps the window's resolution fine: a question nobody answers (no leader
    // yet) costs at most 100 ms before the next one is asked.
    auto leader = probe->Leader(std::chrono::milliseconds(100));
    if (leader.ok() && (*leader != old_leader_ || old_leader_back_.load())) {
      std::lock_guard<std::mutex> lock(mu_);
      window_ = clock_.Now() - started_;
      new_leader_ = *leader;
      break;
    }
    if (!leader.ok()) failed_probes_.fetch_add(1);
    // Probe pacing: the next question 10 ms later (the answer is the synchronisation).
    clock_.SleepFor(std::chrono::milliseconds(10));
  }
  done_.store(true);
}

}  // namespace lnsim::harness
