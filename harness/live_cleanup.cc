// Removal of a live run's stream, KV bucket and durables; see live_cleanup.h.
#include "harness/live_cleanup.h"

#include <nats/nats.h>

#include "harness/internal/nats_util.h"

namespace lnsim::harness {

std::string DescribeLiveNames(const LiveNames& names) {
  std::string out = "stream " + names.stream + ", KV bucket " + names.bucket;
  if (names.consumers.empty()) return out;
  out += ", durable consumers ";
  for (size_t i = 0; i < names.consumers.size(); ++i) {
    out += (i ? ", " : "") + names.consumers[i];
  }
  return out;
}

namespace {

// One deletion: "" when it is gone (deleted now, or never there: no such consumer, or no such
// stream to hold it), else why not.
std::string Outcome(natsStatus s, jsErrCode code) {
  if (s == NATS_OK || s == NATS_NOT_FOUND) return "";
  if (code == JSStreamNotFoundErr || code == JSConsumerNotFoundErr) return "";
  std::string why = natsStatus_GetText(s);
  if (code != 0) why += " (jetstream error " + std::to_string(code) + ")";
  return why;
}

// js_DeleteKeyValue has no error code out: ask for the bucket's stream first, so that a bucket
// that was never created is told apart from one that could not be deleted.
std::string DeleteBucket(jsCtx* js, const std::string& bucket, bool* deleted) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, js, ("KV_" + bucket).c_str(), nullptr, &code);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s != NATS_OK) return Outcome(s, code);
  *deleted = true;
  return Outcome(js_DeleteKeyValue(js, bucket.c_str()), static_cast<jsErrCode>(0));
}

}  // namespace

StatusOr<std::vector<std::string>> DeleteLiveNames(const std::string& urls,
                                                   const tls::ClientTlsFiles& tls,
                                                   const LiveNames& names) {
  internal::NatsClientAuth auth;
  auth.tls = tls;
  LNSIM_ASSIGN_OR_RETURN(natsConnection * nc, internal::ConnectNats(urls, "lnsim-cleanup", auth));
  jsCtx* js = nullptr;
  if (natsConnection_JetStream(&js, nc, nullptr) != NATS_OK) {
    natsConnection_Destroy(nc);
    return UnavailableError("cannot open JetStream on " + urls);
  }
  std::vector<std::string> done;
  std::string errors;
  auto note = [&](const std::string& what, const std::string& why, bool existed) {
    if (!why.empty()) {
      errors += (errors.empty() ? "" : "; ") + what + ": " + why;
    } else if (existed) {
      done.push_back(what);
    }
  };
  for (const std::string& c : names.consumers) {
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus s = js_DeleteConsumer(js, names.stream.c_str(), c.c_str(), nullptr, &code);
    note("durable consumer " + c, Outcome(s, code), s == NATS_OK);
  }
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_DeleteStream(js, names.stream.c_str(), nullptr, &code);
  note("stream " + names.stream, Outcome(s, code), s == NATS_OK);
  bool bucket_existed = false;
  const std::string why = DeleteBucket(js, names.bucket, &bucket_existed);
  note("KV bucket " + names.bucket, why, bucket_existed);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (!errors.empty()) return UnavailableError("cannot delete " + errors);
  return done;
}

}  // namespace lnsim::harness
