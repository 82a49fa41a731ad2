// Connecting to NATS the way every harness client should: infinite reconnects with a short wait
// (a restarted nats-server must not end a consumer), a name for the server's connz, and an error
// that names the URL.
#pragma once

#include <nats/nats.h>

#include <functional>
#include <string>

#include "common/status.h"
#include "common/tls_certs.h"

namespace lnsim::harness::internal {

// How a harness client proves who it is (docs/auth.md). User and password travel in the URL
// (nats://user:pass@host:port); nats.c sends them.
struct NatsClientAuth {
  std::string creds_file;      // NATS .creds (user JWT + nkey seed); "" = none
  std::string nkey_seed_file;  // a bare nkey user seed ("SU..."), public key derived; "" = none
  // Reply subjects start with this instead of "_INBOX" (users of `lnsim auth init` may only
  // subscribe their own: docs/auth.md). "" = nats.c's default.
  std::string inbox_prefix;
  // TLS (`nats.tls`, `lnsim run --tls-ca/--tls-cert/--tls-key`): CA to trust and client
  // certificate; any of them (or a tls:// URL) makes the connection TLS-only.
  tls::ClientTlsFiles tls;
  // Called (on a nats.c thread) for every asynchronous error the server reports on this
  // connection, e.g. NATS_NOT_PERMITTED with "Permissions Violation for Publish to ...".
  std::function<void(natsStatus, const std::string&)> on_async_error;
};

// `urls` is one nats:// URL or several comma-separated. kUnavailable naming them when no server
// answers within the connect timeout.
StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name);
// The same with credentials. kInvalidArgument naming the file when the seed cannot be read.
// The connection must be destroyed before `auth` (its error callback is referenced).
StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name,
                                      const NatsClientAuth& auth);

}  // namespace lnsim::harness::internal
