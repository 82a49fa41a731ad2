// Checks of the addresses a user gives on the command line or in a config (NATS URLs, HOST:PORT),
// so that a typo is a usage error naming the value and the reason before anything starts,
// instead of a connection failure in some child's log.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace lnsim {

struct HostPort {
  std::string host;  // without IPv6 brackets
  int port = 0;
};

// "HOST[:PORT]" or "[V6]:PORT". The port is decimal digits 0..65535 (0 only when `allow_zero`,
// a listener's "any free port"); without one it is `default_port`. kInvalidArgument with the
// reason only ("empty host", "port 99999 is not 1..65535").
StatusOr<HostPort> ParseHostPort(std::string_view text, int default_port, bool allow_zero = false);

// A comma-separated list of NATS server URLs as nats.c reads them: nats://HOST[:PORT],
// tls://HOST[:PORT] or a bare HOST:PORT, each with an optional USER[:PASSWORD]@ or TOKEN@, port
// 4222 by default. kInvalidArgument with the reason (naming the entry when the list has several).
Status CheckNatsUrls(std::string_view list);

}  // namespace lnsim
