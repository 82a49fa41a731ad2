// Small HTTP helpers for the integration tests: a raw-socket request (to send exactly the bytes
// a client sends, e.g. no Content-Type) and a bounded wait for a condition (no sleeping as
// synchronisation: poll a predicate until a deadline).
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace lnsim::mock::testing {

// Sends `request` (a full HTTP/1.1 request with Connection: close) to 127.0.0.1:port and returns
// everything read until the server closes, or "" on connect failure / timeout.
std::string RawHttp(int port, const std::string& request,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
// True when a TCP connect to 127.0.0.1:port succeeds.
bool CanConnect(int port);
// Polls `condition` until it holds or `deadline` passes (returns whether it held).
bool WaitFor(const std::function<bool()>& condition,
             std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace lnsim::mock::testing
