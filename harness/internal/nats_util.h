// Connecting to NATS the way every harness client should: infinite reconnects with a short wait
// (a restarted nats-server must not end a consumer), a name for the server's connz, and an error
// that names the URL.
#pragma once

#include <nats/nats.h>

#include <string>

#include "common/status.h"

namespace lnsim::harness::internal {

// `urls` is one nats:// URL or several comma-separated. kUnavailable naming them when no server
// answers within the connect timeout.
StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name);

}  // namespace lnsim::harness::internal
