// Listening sockets that fail when their port is taken. cpp-httplib's default socket options set
// SO_REUSEPORT, with which a second server binds a port another process already listens on (and
// the kernel splits connections between the two): lnsim's listeners use ExclusiveListenOptions.
#pragma once

#include <string>

namespace lnsim {

// SO_REUSEADDR only (a port in TIME_WAIT can be bound again, a port with a listener cannot).
// For httplib::Server::set_socket_options.
void ExclusiveListenOptions(int fd);

// Why binding host:port fails right now, from a trial bind with the same options:
// "Address already in use", "Cannot assign requested address", "Permission denied"; "" when it
// would succeed (or `host` is not a numeric IPv4/IPv6 address or "localhost").
std::string BindFailureReason(const std::string& host, int port);

}  // namespace lnsim
