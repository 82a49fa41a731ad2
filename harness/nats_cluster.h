// NatsCluster: a small nats-server cluster on loopback (three members by default) with clustered
// JetStream, for scenarios that must survive the loss of one server: `--nats` gets all members'
// URLs, and any member can be killed and restarted with its store.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "harness/nats_server.h"

namespace lnsim::harness {

struct NatsClusterOptions {
  int size = 3;
  std::string binary;  // "" = DefaultNatsServerBinary()
  bool jetstream = true;
  std::string cluster_name = "lnsim";
  Duration ready_timeout = std::chrono::seconds(30);
};

// Owner-thread only, like NatsServer. Destruction stops every member.
class NatsCluster {
 public:
  // Picks free ports, starts every member with routes to all others, and waits until each one's
  // /healthz is OK (JetStream's meta group has a leader). Errors as NatsServer::Start's.
  static StatusOr<std::unique_ptr<NatsCluster>> Start(const NatsClusterOptions& options,
                                                      const Clock& clock);

  // "nats://127.0.0.1:P1,nats://127.0.0.1:P2,..." for clients.
  std::string urls() const;
  int size() const { return static_cast<int>(servers_.size()); }
  NatsServer& server(int i) { return *servers_.at(static_cast<size_t>(i)); }

 private:
  NatsCluster() = default;
  std::vector<std::unique_ptr<NatsServer>> servers_;
};

// A loopback port that was free a moment ago (bind to port 0, read, close). Another process can
// take it before it is used; callers that can let the server choose (-p -1) should.
StatusOr<int> PickFreePort();

}  // namespace lnsim::harness
