// See nats_util.h.
#include "harness/internal/nats_util.h"

namespace lnsim::harness::internal {

StatusOr<natsConnection*> ConnectNats(const std::string& urls, const std::string& name) {
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return InternalError("nats: cannot create options");
  natsStatus s = natsOptions_SetURL(opts, urls.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(opts, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 50);
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, 5000);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts, 64 * 1024 * 1024);
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return InvalidArgumentError("nats '" + urls + "': " + natsStatus_GetText(s));
  }
  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    return UnavailableError("nats: cannot connect to " + urls + ": " + natsStatus_GetText(s) +
                            " (" + nats_GetLastError(nullptr) + ")");
  }
  return nc;
}

}  // namespace lnsim::harness::internal
