// Cluster start-up: ports for every member first (routes must name them), all members launched,
// then readiness awaited, since a clustered JetStream member is healthy only with its peers.
#include "harness/nats_cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(const NatsClusterOptions& options,
                                                          const Clock& clock) {
  if (options.size < 1 || options.size > 9) {
    return InvalidArgumentError("nats cluster: size must be 1..9, not " +
                                std::to_string(options.size));
  }
  struct Ports {
    int client, monitor, cluster;
  };
  std::vector<Ports> ports;
  for (int i = 0; i < options.size; ++i) {
    Ports p{};
    LNSIM_ASSIGN_OR_RETURN(p.client, PickFreePort());
    LNSIM_ASSIGN_OR_RETURN(p.monitor, PickFreePort());
    LNSIM_ASSIGN_OR_RETURN(p.cluster, PickFreePort());
    ports.push_back(p);
  }
  std::string routes;
  for (const Ports& p : ports) {
    if (!routes.empty()) routes += ",";
    routes += "nats://127.0.0.1:" + std::to_string(p.cluster);
  }
  std::unique_ptr<NatsCluster> cluster(new NatsCluster());
  for (int i = 0; i < options.size; ++i) {
    NatsServerOptions so;
    so.binary = options.binary;
    so.port = ports[static_cast<size_t>(i)].client;
    so.monitor_port = ports[static_cast<size_t>(i)].monitor;
    so.jetstream = options.jetstream;
    so.server_name = options.cluster_name + "-" + std::to_string(i + 1);
    so.ready_timeout = options.ready_timeout;
    so.wait_ready = false;
    so.extra_args = {"--cluster_name",
                     options.cluster_name,
                     "--cluster",
                     "nats://127.0.0.1:" + std::to_string(ports[static_cast<size_t>(i)].cluster),
                     "--routes",
                     routes};
    auto server = NatsServer::Start(so, clock);
    if (!server.ok()) {
      return server.status().WithPrefix("nats cluster member " + std::to_string(i + 1));
    }
    cluster->servers_.push_back(std::move(server).value());
  }
  for (int i = 0; i < options.size; ++i) {
    Status ready = cluster->servers_[static_cast<size_t>(i)]->WaitUntilReady();
    if (!ready.ok()) return ready.WithPrefix("nats cluster member " + std::to_string(i + 1));
  }
  return cluster;
}

std::string NatsCluster::urls() const {
  std::string out;
  for (const auto& s : servers_) {
    if (!out.empty()) out += ",";
    out += s->url();
  }
  return out;
}

}  // namespace lnsim::harness
