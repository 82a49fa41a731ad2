// Prometheus rendering and logfmt logging for the bridge (see metrics.h).
#include "bridge/metrics.h"

#include <cstdio>
#include <sstream>

namespace lnsim::bridge {
namespace {

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || c == '\n' || c == '\t') return true;
  }
  return false;
}

void AppendValue(std::string& out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void Histo(std::ostringstream& os, const std::string& name, const std::string& help,
           const Histogram& h) {
  os << "# HELP " << name << " " << help << "\n# TYPE " << name << " summary\n";
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    os << name << "{quantile=\"" << q << "\"} " << static_cast<double>(h.Quantile(q)) / 1e9 << "\n";
  }
  os << name << "_sum " << h.mean() * static_cast<double>(h.count()) / 1e9 << "\n";
  os << name << "_count " << h.count() << "\n";
}

}  // namespace

void Logger::Log(std::string_view level, std::string_view msg,
                 std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  if (quiet_) return;
  std::string line = "ts=" + FormatRfc3339Nanos(clock_.UnixNanos()) + " level=";
  line.append(level);
  line += " msg=";
  AppendValue(line, msg);
  for (const auto& [k, v] : fields) {
    line.push_back(' ');
    line.append(k);
    line.push_back('=');
    AppendValue(line, v);
  }
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

void Metrics::PublishLatency(Duration d) {
  std::lock_guard<std::mutex> lock(mu_);
  publish_latency_.RecordSigned(d.count());
}

void Metrics::PollDone(Duration d, uint64_t bytes, int64_t unix_ns) {
  polls_.fetch_add(1);
  poll_bytes_.fetch_add(bytes);
  last_poll_unix_ns_.store(unix_ns);
  std::lock_guard<std::mutex> lock(mu_);
  poll_duration_.RecordSigned(d.count());
}

void Metrics::Error(std::string_view kind) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = errors_.find(kind);
  if (it == errors_.end()) {
    errors_.emplace(std::string(kind), 1);
  } else {
    ++it->second;
  }
}

uint64_t Metrics::errors(std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = errors_.find(kind);
  return it == errors_.end() ? 0 : it->second;
}

uint64_t Metrics::total_published() const {
  uint64_t n = 0;
  for (const auto& c : published_) n += c.load();
  return n;
}

std::string Metrics::Render() const {
  std::ostringstream os;
  os << "# HELP lnsim_bridge_events_observed_total Events computed by the differ, by type.\n"
        "# TYPE lnsim_bridge_events_observed_total counter\n";
  for (int i = 0; i < kEventTypeCount; ++i) {
    os << "lnsim_bridge_events_observed_total{type=\"" << EventLabel(static_cast<EventType>(i))
       << "\"} " << observed_[i].load() << "\n";
  }
  os << "# HELP lnsim_bridge_events_published_total Events acknowledged by JetStream (or sent, "
        "core NATS), by type.\n# TYPE lnsim_bridge_events_published_total counter\n";
  for (int i = 0; i < kEventTypeCount; ++i) {
    os << "lnsim_bridge_events_published_total{type=\"" << EventLabel(static_cast<EventType>(i))
       << "\"} " << published_[i].load() << "\n";
  }
  os << "# HELP lnsim_bridge_deduplicated_republishes_total Publishes JetStream reported as "
        "duplicates (absorbed by the duplicate window).\n"
        "# TYPE lnsim_bridge_deduplicated_republishes_total counter\n"
        "lnsim_bridge_deduplicated_republishes_total "
     << duplicates_.load() << "\n";
  os << "# HELP lnsim_bridge_recovery_republished_total Events re-sent after a restart because "
        "the stream did not have them.\n# TYPE lnsim_bridge_recovery_republished_total counter\n"
        "lnsim_bridge_recovery_republished_total "
     << republished_.load() << "\n";
  os << "# TYPE lnsim_bridge_mirror_writes_total counter\nlnsim_bridge_mirror_writes_total "
     << mirror_writes_.load() << "\n";
  os << "# HELP lnsim_bridge_acks_pending Publishes awaiting a JetStream acknowledgement.\n"
        "# TYPE lnsim_bridge_acks_pending gauge\nlnsim_bridge_acks_pending "
     << acks_pending_.load() << "\n";
  os << "# HELP lnsim_bridge_publish_queue Messages queued behind their key's in-flight one.\n"
        "# TYPE lnsim_bridge_publish_queue gauge\nlnsim_bridge_publish_queue "
     << queued_.load() << "\n";
  os << "# TYPE lnsim_bridge_polls_total counter\nlnsim_bridge_polls_total " << polls_.load()
     << "\n";
  os << "# TYPE lnsim_bridge_poll_failures_total counter\nlnsim_bridge_poll_failures_total "
     << poll_failures_.load() << "\n";
  os << "# HELP lnsim_bridge_poll_bytes_total Response bytes read from LINSTOR.\n"
        "# TYPE lnsim_bridge_poll_bytes_total counter\nlnsim_bridge_poll_bytes_total "
     << poll_bytes_.load() << "\n";
  os << "# HELP lnsim_bridge_last_successful_poll_timestamp_seconds Unix time of the last "
        "complete poll.\n# TYPE lnsim_bridge_last_successful_poll_timestamp_seconds gauge\n"
        "lnsim_bridge_last_successful_poll_timestamp_seconds "
     << static_cast<double>(last_poll_unix_ns_.load()) / 1e9 << "\n";
  os << "# TYPE lnsim_bridge_nats_disconnects_total counter\nlnsim_bridge_nats_disconnects_total "
     << nats_disconnects_.load() << "\n";
  os << "# TYPE lnsim_bridge_nats_reconnects_total counter\nlnsim_bridge_nats_reconnects_total "
     << nats_reconnects_.load() << "\n";
  os << "# TYPE lnsim_bridge_ready gauge\nlnsim_bridge_ready " << (ready_.load() ? 1 : 0) << "\n";
  std::lock_guard<std::mutex> lock(mu_);
  os << "# HELP lnsim_bridge_errors_total Errors by kind.\n"
        "# TYPE lnsim_bridge_errors_total counter\n";
  for (const auto& [kind, n] : errors_) {
    os << "lnsim_bridge_errors_total{kind=\"" << kind << "\"} " << n << "\n";
  }
  Histo(os, "lnsim_bridge_publish_latency_seconds",
        "From enqueue to acknowledgement (JetStream) or send (core).", publish_latency_);
  Histo(os, "lnsim_bridge_poll_duration_seconds", "One full poll of the four LINSTOR lists.",
        poll_duration_);
  return os.str();
}

}  // namespace lnsim::bridge
