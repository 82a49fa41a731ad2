#include "common/duration.h"

#include <cmath>
#include <cstdio>

namespace lnsim {
namespace {

struct Unit {
  std::string_view suffix;
  int64_t nanos;
};
// Longest suffixes first so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ns", 1},
                           {"us", 1000},
                           {"ms", 1000000},
                           {"s", 1000000000},
                           {"m", 60LL * 1000000000},
                           {"h", 3600LL * 1000000000}};

}  // namespace

StatusOr<Duration> ParseDuration(std::string_view text) {
  const std::string original(text);
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("bad duration '" + original + "': " + why +
                                " (write e.g. 250ms, 10s, 5m, 1h)");
  };
  if (text.empty()) return bad("empty");
  double total = 0;
  bool any = false;
  while (!text.empty()) {
    size_t i = 0;
    bool dot = false;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
      if (text[i] == '.') dot = true;
      ++i;
    }
    if (i == 0) return bad("expected a number");
    const double value = std::stod(std::string(text.substr(0, i)));
    text.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(0, u.suffix.size()) == u.suffix) {
        // "m" must not swallow the "s" of "ms": handled by order; also reject "m" followed by "s"
        // only when it is "ms", which matched earlier.
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return bad(text.empty() ? "missing unit" : "unknown unit");
    text.remove_prefix(unit->suffix.size());
    total += value * static_cast<double>(unit->nanos);
    any = true;
  }
  if (!any) return bad("empty");
  if (total > 9.2e18) return bad("too large");
  return Duration(static_cast<int64_t>(std::llround(total)));
}

std::string FormatDuration(Duration d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  std::string out;
  if (n < 0) {
    out = "-";
    n = -n;
  }
  // Pick the largest unit that divides exactly; combine h/m/s for long values.
  constexpr int64_t kSec = 1000000000;
  if (n % kSec == 0) {
    int64_t s = n / kSec;
    const int64_t h = s / 3600, m = (s % 3600) / 60;
    s %= 60;
    if (h) out += std::to_string(h) + "h";
    if (m) out += std::to_string(m) + "m";
    if (s) out += std::to_string(s) + "s";
    return out;
  }
  if (n % 1000000 == 0) return out + std::to_string(n / 1000000) + "ms";
  if (n % 1000 == 0) return out + std::to_string(n / 1000) + "us";
  return out + std::to_string(n) + "ns";
}

std::string FormatDurationHuman(Duration d) {
  const double n = static_cast<double>(d.count());
  char buf[32];
  const double a = std::fabs(n);
  if (a >= 3600e9) {
    std::snprintf(buf, sizeof buf, "%.3gh", n / 3600e9);
  } else if (a >= 60e9) {
    std::snprintf(buf, sizeof buf, "%.3gm", n / 60e9);
  } else if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%.3gs", n / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.3gms", n / 1e6);
  } else if (a >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.3gus", n / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0fns", n);
  }
  return buf;
}

}  // namespace lnsim
