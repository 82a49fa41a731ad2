// Address checks; see url.h.
#include "common/url.h"

#include <vector>

namespace lnsim {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// One NATS URL; the reason it is not one, or "".
std::string NatsUrlProblem(const std::string& url) {
  const size_t scheme_end = url.find("://");
  std::string rest = url;
  if (scheme_end != std::string::npos) {
    const std::string scheme = url.substr(0, scheme_end);
    if (scheme != "nats" && scheme != "tls") {
      return "scheme '" + scheme + "' is not NATS's (want nats:// or tls://)";
    }
    rest = url.substr(scheme_end + 3);
  } else if (url.find(':') == std::string::npos) {
    return "not a NATS URL (want nats://HOST[:PORT] or tls://HOST[:PORT])";
  }
  if (const size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find('/') != std::string::npos) return "a NATS URL has no path";
  auto hp = ParseHostPort(rest, 4222);
  return hp.ok() ? "" : hp.status().message();
}

}  // namespace

StatusOr<HostPort> ParseHostPort(std::string_view text, int default_port, bool allow_zero) {
  HostPort out;
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return InvalidArgumentError("unclosed '[' in the host");
    out.host = std::string(text.substr(1, close - 1));
    std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgumentError("expected ':PORT' after ']'");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = text.rfind(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      if (out.host.find(':') != std::string::npos) {
        return InvalidArgumentError("an IPv6 host needs brackets ([::1]:PORT)");
      }
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) return InvalidArgumentError("empty host");
  if (!has_port) {
    out.port = default_port;
    return out;
  }
  const std::string range = allow_zero ? "0..65535" : "1..65535";
  if (port_text.empty() || port_text.size() > 9 ||
      port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return InvalidArgumentError("port '" + std::string(port_text) + "' is not a number " + range);
  }
  out.port = std::stoi(std::string(port_text));
  if (out.port > 65535 || (out.port == 0 && !allow_zero)) {
    return InvalidArgumentError("port " + std::string(port_text) + " is not " + range);
  }
  return out;
}

Status CheckNatsUrls(std::string_view list) {
  std::vector<std::string> urls;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    urls.push_back(Trim(list.substr(start, comma - start)));
    start = comma + 1;
  }
  for (const std::string& url : urls) {
    std::string why = url.empty() ? "empty URL" : NatsUrlProblem(url);
    if (why.empty()) continue;
    return InvalidArgumentError(urls.size() > 1 ? "'" + url + "': " + why : why);
  }
  return OkStatus();
}

}  // namespace lnsim
