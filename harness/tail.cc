// Formatting of event lines and the subscription loop behind `lnsim tail`.
#include "harness/tail.h"

#include <nats/nats.h>

#include <cstdio>
#include <sstream>

#include "harness/internal/nats_util.h"

namespace lnsim::harness {
namespace {

using bridge::EventType;

std::string Arrow(const std::string& from, const std::string& to) {
  return (from.empty() ? "?" : from) + " -> " + (to.empty() ? "?" : to);
}

}  // namespace

std::string FormatEventLine(const bridge::Event& event) {
  const bridge::DomainEvent& b = event.body;
  std::ostringstream line;
  line << bridge::FormatRfc3339Nanos(event.time_unix_ns) << ' ';
  std::string label(bridge::EventLabel(b.type));
  label.resize(std::max<size_t>(label.size(), 28), ' ');
  line << label;
  switch (bridge::EntityOf(b.type)) {
    case bridge::Entity::kNode:
      line << ' ' << b.node;
      break;
    case bridge::Entity::kPool:
      line << ' ' << b.node << '/' << b.pool;
      break;
    case bridge::Entity::kResource:
      line << ' ' << b.resource;
      break;
    case bridge::Entity::kReplica:
    case bridge::Entity::kVolume:
      line << ' ' << b.resource;
      if (!b.node.empty()) line << " @" << b.node;
      break;
  }
  switch (b.type) {
    case EventType::kNodeOnline:
    case EventType::kNodeOffline:
      if (!b.old_state.empty() || !b.new_state.empty()) {
        line << "  " << Arrow(b.old_state, b.new_state);
      }
      break;
    case EventType::kPoolCapacityLow:
    case EventType::kPoolCapacityOk: {
      char buf[96];
      std::snprintf(buf, sizeof(buf), "  free %lld/%lld KiB (threshold %.1f%%)",
                    static_cast<long long>(b.free_capacity_kib),
                    static_cast<long long>(b.total_capacity_kib), b.threshold_percent);
      line << buf;
      break;
    }
    case EventType::kResourceCreated:
      if (!b.resource_group.empty()) line << "  group " << b.resource_group;
      for (const auto& v : b.volumes)
        line << "  vol " << v.volume_number << ' ' << v.size_kib << " KiB";
      break;
    case EventType::kReplicaCreated:
      line << (b.diskless ? "  diskless" : "  diskful");
      if (!b.pool.empty()) line << " pool " << b.pool;
      if (b.in_use == bridge::Tri::kTrue) line << " in_use";
      for (const auto& v : b.volumes) {
        line << "  vol " << v.volume_number << ' ' << (v.disk_state.empty() ? "?" : v.disk_state);
      }
      break;
    case EventType::kVolumeResized:
      line << "  vol " << b.volume_number << "  " << b.old_size_kib << " -> " << b.new_size_kib
           << " KiB";
      break;
    case EventType::kReplicaDiskStateChanged: {
      line << "  vol " << b.volume_number << "  " << Arrow(b.old_state, b.new_state);
      if (b.done_percentage) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), " (%.2f%%)", *b.done_percentage);
        line << buf;
      }
      break;
    }
    case EventType::kReplicaConnectionLost:
    case EventType::kReplicaConnectionRestored:
      line << "  peer " << b.peer;
      if (!b.new_state.empty()) line << "  " << Arrow(b.old_state, b.new_state);
      break;
    case EventType::kReplicaQuorumLost:
    case EventType::kReplicaQuorumRegained:
      line << "  votes " << b.quorum_votes << '/' << b.quorum_voters;
      break;
    default:
      break;
  }
  line << "  seq=" << event.sequence << " [" << event.Id() << "]";
  return line.str();
}

std::string FormatUndecodableLine(std::string_view subject, std::string_view payload,
                                  const Status& why) {
  std::string shown(payload.substr(0, 200));
  for (char& ch : shown) {
    if (ch == '\n' || ch == '\r') ch = ' ';
  }
  return std::string(subject) + " undecodable: " + why.message() + ": " + shown +
         (payload.size() > 200 ? "..." : "");
}

StatusOr<uint64_t> RunTail(const TailOptions& options, const Clock& clock, std::ostream& out,
                           const std::atomic<bool>* stop) {
  if (options.jetstream && options.stream.empty()) {
    return InvalidArgumentError("--jetstream needs --stream NAME");
  }
  if (options.subject.empty()) return InvalidArgumentError("--subject must not be empty");
  internal::NatsClientAuth auth;
  auth.tls = options.tls;
  LNSIM_ASSIGN_OR_RETURN(natsConnection * nc,
                         internal::ConnectNats(options.url, "lnsim-tail", auth));
  jsCtx* js = nullptr;
  natsSubscription* sub = nullptr;
  natsStatus s = NATS_OK;
  if (options.jetstream) {
    s = natsConnection_JetStream(&js, nc, nullptr);
    if (s == NATS_OK) {
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = options.stream.c_str();
      so.Ordered = true;  // ephemeral, flow-controlled, no acks: reading never disturbs others
      so.Config.DeliverPolicy = js_DeliverAll;
      jsErrCode jerr = static_cast<jsErrCode>(0);
      s = js_SubscribeSync(&sub, js, options.subject.c_str(), nullptr, &so, &jerr);
      if (s != NATS_OK) {
        const std::string why =
            std::string(natsStatus_GetText(s)) + " (jetstream error " + std::to_string(jerr) + ")";
        if (js) jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        return UnavailableError("tail: cannot read stream '" + options.stream + "' on " +
                                options.url + ": " + why);
      }
    }
  } else {
    s = natsConnection_SubscribeSync(&sub, nc, options.subject.c_str());
    if (s == NATS_OK) natsSubscription_SetPendingLimits(sub, -1, -1);
  }
  if (s != NATS_OK) {
    if (js) jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return UnavailableError("tail: subscribe '" + options.subject + "' on " + options.url + ": " +
                            natsStatus_GetText(s));
  }
  uint64_t printed = 0;
  Duration last_message = clock.Now();
  Status result = OkStatus();
  while (options.count == 0 || printed < options.count) {
    if (stop != nullptr && stop->load()) break;
    if (options.idle_timeout > Duration::zero() &&
        clock.Now() - last_message >= options.idle_timeout) {
      break;
    }
    natsMsg* msg = nullptr;
    s = natsSubscription_NextMsg(&msg, sub, 100);
    if (s == NATS_TIMEOUT) continue;
    if (s != NATS_OK) {
      if (s == NATS_SLOW_CONSUMER) continue;
      if (s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION) {
        result = UnavailableError(std::string("tail: ") + natsStatus_GetText(s));
        break;
      }
      continue;
    }
    last_message = clock.Now();
    const std::string_view payload(natsMsg_GetData(msg),
                                   static_cast<size_t>(natsMsg_GetDataLength(msg)));
    auto event = bridge::DecodeEvent(payload);
    if (event.ok()) {
      out << FormatEventLine(*event) << '\n';
    } else {
      out << FormatUndecodableLine(natsMsg_GetSubject(msg), payload, event.status()) << '\n';
    }
    out.flush();
    natsMsg_Destroy(msg);
    ++printed;
  }
  natsSubscription_Destroy(sub);
  if (js) jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  if (!result.ok()) return result;
  return printed;
}

}  // namespace lnsim::harness
