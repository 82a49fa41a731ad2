// Readiness and /metrics of lnsim's bridge; see bridge_probe.h.
#include "harness/bridge_probe.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "harness/internal/http_get.h"

namespace lnsim::harness {
namespace {

constexpr std::string_view kHost = "127.0.0.1";

// Calls fn(line) for every line of text (without the '\n'); stops when fn returns false.
template <typename Fn>
void ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    if (!fn(line)) return;
    if (nl == std::string_view::npos) return;
    text.remove_prefix(nl + 1);
  }
}

std::string_view FirstToken(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  s.remove_prefix(begin);
  return s.substr(0, s.find_first_of(" \t\r"));
}

// A sample value: a non-negative integer, or a finite non-negative float (truncated).
std::optional<uint64_t> ParseValue(std::string_view token) {
  if (token.empty()) return std::nullopt;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
  if (ec == std::errc() && end == token.data() + token.size()) return v;
  const std::string copy(token);
  char* stop = nullptr;
  const double d = std::strtod(copy.c_str(), &stop);
  if (stop != copy.c_str() + copy.size() || !std::isfinite(d) || d < 0 || d >= 1.8e19) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(d);
}

}  // namespace

void MetricsParseErrors::Add(std::string_view line) {
  if (count++ == 0) first = std::string(line.substr(0, 200));
}

std::optional<uint64_t> MetricValue(std::string_view text, std::string_view name,
                                    MetricsParseErrors* errors) {
  std::optional<uint64_t> out;
  ForEachLine(text, [&](std::string_view line) {
    if (line.size() <= name.size() || line.compare(0, name.size(), name) != 0) return true;
    const char after = line[name.size()];
    if (after != ' ' && after != '\t') return true;  // a longer name, or labels
    out = ParseValue(FirstToken(line.substr(name.size())));
    if (!out && errors != nullptr) errors->Add(line);
    return false;
  });
  return out;
}

std::optional<uint64_t> PollsFromMetrics(std::string_view text, MetricsParseErrors* errors) {
  return MetricValue(text, "lnsim_bridge_polls_total", errors);
}

std::optional<uint64_t> OutstandingFromMetrics(std::string_view text, MetricsParseErrors* errors) {
  uint64_t total = 0;
  for (const char* gauge : {"lnsim_bridge_acks_pending", "lnsim_bridge_publish_queue"}) {
    const std::optional<uint64_t> v = MetricValue(text, gauge, errors);
    if (!v) return std::nullopt;
    total += *v;
  }
  return total;
}

std::vector<std::pair<std::string, uint64_t>> NatsErrorsFromMetrics(std::string_view text,
                                                                    MetricsParseErrors* errors) {
  constexpr std::string_view kPrefix = "lnsim_bridge_errors_total{kind=\"";
  std::vector<std::pair<std::string, uint64_t>> out;
  ForEachLine(text, [&](std::string_view line) {
    if (line.compare(0, kPrefix.size(), kPrefix) != 0) return true;
    const size_t quote = line.find('"', kPrefix.size());
    const size_t brace = quote == std::string_view::npos ? quote : line.find('}', quote);
    if (brace == std::string_view::npos) {
      if (errors != nullptr) errors->Add(line);
      return true;
    }
    const std::string_view kind = line.substr(kPrefix.size(), quote - kPrefix.size());
    if (kind.compare(0, 5, "nats_") != 0) return true;
    const std::optional<uint64_t> value = ParseValue(FirstToken(line.substr(brace + 1)));
    if (!value) {
      if (errors != nullptr) errors->Add(line);
      return true;
    }
    out.emplace_back(std::string(kind), *value);
    return true;
  });
  return out;
}

bool BridgeProbe::Ready(int port) const {
  if (port == 0) return false;
  auto res = internal::HttpGet(std::string(kHost), port, "/healthz", kTimeout, clock_);
  return res.ok() && res->status == 200;
}

StatusOr<std::string> BridgeProbe::Metrics(int port) const {
  if (port == 0) return UnavailableError("the bridge has no metrics port");
  LNSIM_ASSIGN_OR_RETURN(internal::HttpResponse res,
                         internal::HttpGet(std::string(kHost), port, "/metrics", kTimeout, clock_));
  if (res.status != 200) {
    return UnavailableError("the bridge's /metrics answered " + std::to_string(res.status));
  }
  return std::move(res.body);
}

std::optional<uint64_t> BridgeProbe::Polls(int port) {
  auto text = Metrics(port);
  if (!text.ok()) return std::nullopt;
  return PollsFromMetrics(*text, &errors_);
}

std::optional<uint64_t> BridgeProbe::Outstanding(int port) {
  auto text = Metrics(port);
  if (!text.ok()) return std::nullopt;
  return OutstandingFromMetrics(*text, &errors_);
}

std::vector<std::pair<std::string, uint64_t>> BridgeProbe::NatsErrors(int port) {
  auto text = Metrics(port);
  if (!text.ok()) return {};
  return NatsErrorsFromMetrics(*text, &errors_);
}

}  // namespace lnsim::harness
