// Setup-mistake hints; see hints.h.
#include "harness/hints.h"

#include <algorithm>

namespace lnsim::harness {
namespace {

constexpr std::string_view kEventsPrefix = "linstor.v1.";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string SamplesText(const StraySubjects& stray) {
  std::string out;
  for (const std::string& s : stray.samples) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

std::string MissingStreamHint(int jetstream_error, std::string_view stream) {
  if (jetstream_error != JSStreamNotFoundErr) return "";
  return "; hint: the bridge must create the stream LNSIM_STREAM=" + std::string(stream) +
         " (docs/scenarios.md \"Readiness\")";
}

SubjectClass ClassifySubject(std::string_view subject, std::string_view cluster,
                             std::string_view inbox_prefix) {
  if (StartsWith(subject, "$") || StartsWith(subject, "_INBOX.") ||
      (!inbox_prefix.empty() && StartsWith(subject, std::string(inbox_prefix) + "."))) {
    return SubjectClass::kInternal;
  }
  if (!StartsWith(subject, kEventsPrefix)) return SubjectClass::kWrongPrefix;
  const std::string_view rest = subject.substr(kEventsPrefix.size());
  const std::string_view token = rest.substr(0, rest.find('.'));
  return token == cluster ? SubjectClass::kExpected : SubjectClass::kWrongCluster;
}

void StraySubjects::Add(std::string_view subject) {
  ++count;
  if (samples.size() >= kMaxStraySamples) return;
  if (std::find(samples.begin(), samples.end(), subject) == samples.end()) {
    samples.emplace_back(subject);
  }
}

std::vector<std::string> SetupHints(const HintInputs& in) {
  std::vector<std::string> out;
  const std::string expected = std::string(kEventsPrefix) + in.cluster + ".>";
  if (in.wrong_cluster.count > 0) {
    out.push_back(std::to_string(in.wrong_cluster.count) +
                  " messages carried another cluster token (" + SamplesText(in.wrong_cluster) +
                  "): events belong on " + expected +
                  "; use the cluster token LNSIM_CLUSTER=" + in.cluster + " (docs/subjects.md)");
  }
  if (in.wrong_prefix.count > 0) {
    out.push_back(std::to_string(in.wrong_prefix.count) +
                  " messages were published outside linstor.v1.> (" + SamplesText(in.wrong_prefix) +
                  "): events belong on " + expected + " (docs/subjects.md)");
  }
  if (in.jetstream && in.without_msg_id > 0) {
    out.push_back(std::to_string(in.without_msg_id) + " of " +
                  std::to_string(in.jetstream_received) +
                  " JetStream messages had no Nats-Msg-Id header: publish each event with "
                  "Nats-Msg-Id = its id so that the stream drops a re-publish (docs/scenarios.md "
                  "`jetstream`)");
  }
  return out;
}

StatusOr<std::unique_ptr<SubjectWatch>> SubjectWatch::Start(const std::string& url,
                                                            const internal::NatsClientAuth& auth,
                                                            std::string cluster) {
  std::unique_ptr<SubjectWatch> w(new SubjectWatch(auth, std::move(cluster)));
  LNSIM_ASSIGN_OR_RETURN(w->nc_, internal::ConnectNats(url, "lnsim-subject-watch", w->auth_));
  const natsStatus s = natsConnection_Subscribe(&w->sub_, w->nc_, ">", &OnMessage, w.get());
  if (s != NATS_OK) {
    return UnavailableError("subject watch: subscribe '>' on " + url + ": " +
                            natsStatus_GetText(s));
  }
  natsSubscription_SetPendingLimits(w->sub_, -1, -1);
  if (natsConnection_Flush(w->nc_) != NATS_OK) {
    return UnavailableError("subject watch: flush on " + url);
  }
  return w;
}

SubjectWatch::~SubjectWatch() {
  if (sub_ != nullptr) {
    natsSubscription_Unsubscribe(sub_);
    natsSubscription_Destroy(sub_);
  }
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
}

void SubjectWatch::OnMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* self = static_cast<SubjectWatch*>(closure);
  const std::string_view subject = natsMsg_GetSubject(msg);
  const SubjectClass c = ClassifySubject(subject, self->cluster_, self->auth_.inbox_prefix);
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    if (c == SubjectClass::kWrongCluster) self->wrong_cluster_.Add(subject);
    if (c == SubjectClass::kWrongPrefix) self->wrong_prefix_.Add(subject);
    if (c == SubjectClass::kExpected) ++self->expected_;
    // A bridge that got this far right needs no watching: stop costing the server a copy of
    // every message (benchmarks).
    if (self->expected_ == kWatchedEvents && self->wrong_cluster_.count == 0 &&
        self->wrong_prefix_.count == 0) {
      natsSubscription_Unsubscribe(self->sub_);
    }
    ++self->handled_;
  }
  natsMsg_Destroy(msg);
}

void SubjectWatch::Collect(HintInputs* inputs) {
  // Messages the server sent before now reach the subscription (flush); then (bounded) wait until
  // the callback has handled every one delivered, and flush again so that an unsubscribe the
  // callback sent has reached the server.
  natsConnection_FlushTimeout(nc_, 2000);
  for (int i = 0; i < 400; ++i) {
    int pending = 0;
    int64_t delivered = 0;
    if (natsSubscription_GetPending(sub_, &pending, nullptr) != NATS_OK ||
        natsSubscription_GetDelivered(sub_, &delivered) != NATS_OK) {
      break;  // unsubscribed: nothing more arrives
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending == 0 && handled_ >= static_cast<uint64_t>(delivered)) break;
    }
    nats_Sleep(5);
  }
  natsConnection_FlushTimeout(nc_, 2000);
  std::lock_guard<std::mutex> lock(mu_);
  inputs->cluster = cluster_;
  inputs->wrong_cluster = wrong_cluster_;
  inputs->wrong_prefix = wrong_prefix_;
}

}  // namespace lnsim::harness
