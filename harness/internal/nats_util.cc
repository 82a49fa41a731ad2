// See nats_util.h.
#include "harness/internal/nats_util.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "bridge/publisher.h"
#include "common/nkeys.h"

namespace lnsim::harness::internal {
namespace {

void AsyncErrorCb(natsConnection* nc, natsSubscription*, natsStatus err, void* closure) {
  const auto* auth = static_cast<const NatsClientAuth*>(closure);
  if (auth == nullptr || !auth->on_async_error) return;
  const char* text = nullptr;
  natsConnection_GetLastError(nc, &text);
  auth->on_async_error(err, text != nullptr ? text : natsStatus_GetText(err));
}

}  // namespace

StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name) {
  return ConnectNats(urls, name, NatsClientAuth{});
}

StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name,
                                      const NatsClientAuth& auth) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return InternalError("nats: cannot create options");
  // nats.c takes one URL per natsOptions_SetURL ("a,b" would be parsed as one bad URL): a seed
  // list of a cluster goes through natsOptions_SetServers.
  std::vector<std::string> servers;
  for (size_t pos = 0; pos <= urls.size();) {
    size_t comma = urls.find(',', pos);
    if (comma == std::string::npos) comma = urls.size();
    std::string url = urls.substr(pos, comma - pos);
    while (!url.empty() && url.front() == ' ') url.erase(url.begin());
    while (!url.empty() && url.back() == ' ') url.pop_back();
    if (!url.empty()) servers.push_back(std::move(url));
    pos = comma + 1;
  }
  std::vector<const char*> server_ptrs;
  for (const std::string& u : servers) server_ptrs.push_back(u.c_str());
  natsStatus s =
      server_ptrs.size() > 1
          ? natsOptions_SetServers(opts, server_ptrs.data(), static_cast<int>(server_ptrs.size()))
          : natsOptions_SetURL(opts, urls.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 50);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 64 * 1024 * 1024);
  if (s == NATS_OK && !auth.creds_file.empty()) {
    s = natsOptions_SetUserCredentialsFromFiles(opts, auth.creds_file.c_str(), nullptr);
  }
  if (s == NATS_OK && !auth.nkey_seed_file.empty()) {
    std::ifstream in(auth.nkey_seed_file);
    std::string seed;
    in >> seed;
    auto kp = nkeys::KeyPair::FromSeed(seed);
    if (!kp.ok()) {
      natsOptions_Destroy(opts);
      return InvalidArgumentError(auth.nkey_seed_file + ": " + kp.status().message());
    }
    s = natsOptions_SetNKeyFromSeed(opts, kp->PublicKey().c_str(), auth.nkey_seed_file.c_str());
  }
  if (s == NATS_OK) {
    Status tls = bridge::ApplyNatsTls(opts, auth.tls, servers);
    if (!tls.ok()) {
      natsOptions_Destroy(opts);
      return tls;
    }
  }
  if (s == NATS_OK && !auth.inbox_prefix.empty()) {
    s = natsOptions_SetCustomInboxPrefix(opts, auth.inbox_prefix.c_str());
  }
  if (s == NATS_OK && auth.on_async_error) {
    s = natsOptions_SetErrorHandler(opts, &AsyncErrorCb, const_cast<NatsClientAuth*>(&auth));
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return InvalidArgumentError("nats '" + urls + "': " + natsStatus_GetText(s) + " (" +
                                nats_GetLastError(nullptr) + ")");
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts);
  // Under full-suite load about one creds connect in a hundred was refused ("Authorization
  // Violation") although the same creds file connected before and after in the same run (cause
  // not yet found; the per-connection nonce signature is the suspect). A bad creds file is
  // refused every time, so two more tries keep the denial tests meaningful while a one-off
  // refusal no longer fails a run.
  // A connect that timed out (no handshake within 5 s: seen in full-suite runs on a loaded machine,
  // the replay's consumer of WeakSetupTest) is tried twice more the same way: each try is bounded
  // by the options' timeout, and a server that is really gone fails all three.
  for (int retry = 0; (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_TIMEOUT) && retry < 2;
       ++retry) {
    s = natsConnection_Connect(&nc, opts);
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    return UnavailableError("nats: cannot connect to " + urls + ": " + natsStatus_GetText(s) +
                            " (" + nats_GetLastError(nullptr) + ")" +
                            bridge::NatsTlsHint(s, auth.tls));
  }
  return nc;
}

}  // namespace lnsim::harness::internal
