// A minimal blocking HTTP/1.0 GET for loopback probes (nats-server's /healthz and /varz). The
// harness asks one question with a hard timeout many times during start-up; a full HTTP client
// is not needed for that.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/status.h"

namespace lnsim::harness::internal {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://host:port/path with every step (connect, send, receive) bounded by `timeout` in
// total. kUnavailable when the connection is refused or reset, kDeadlineExceeded on timeout,
// kDataLoss on a reply that is not HTTP. Any HTTP status is a success of this call.
StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                               Duration timeout, const Clock& clock);

}  // namespace lnsim::harness::internal
