// Finds the pinned nats-server builds that scripts/nats-servers makes from the Go module proxy:
// $LNSIM_NATS_SERVERS_DIR (default ~/.cache/lnsim/nats-servers)/<version>/nats-server, e.g.
// ~/.cache/lnsim/nats-servers/v2.12.15/nats-server. Tests that need a feature newer than
// Debian's 2.9.10 (auth callout, ...) take one from here and GTEST_SKIP with the reason when none
// is built (a bare Debian 12 has no Go).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace lnsim::testutil {

inline std::string NatsServersDir() {
  if (const char* dir = std::getenv("LNSIM_NATS_SERVERS_DIR"); dir != nullptr && *dir != 0) {
    return dir;
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "/root") + "/.cache/lnsim/nats-servers";
}

// "v2.12.15" -> {2, 12, 15}; anything else -> {}.
inline std::vector<int> ParseNatsVersion(std::string_view version) {
  std::vector<int> parts;
  if (version.empty() || version[0] != 'v') return parts;
  int value = -1;
  for (char c : version.substr(1)) {
    if (c >= '0' && c <= '9') {
      value = (value < 0 ? 0 : value * 10) + (c - '0');
    } else if (c == '.' && value >= 0) {
      parts.push_back(value);
      value = -1;
    } else {
      return {};
    }
  }
  if (value < 0) return {};
  parts.push_back(value);
  return parts;
}

// The binary of one pinned version, or "" when scripts/nats-servers has not built it.
inline std::string PinnedNatsServer(std::string_view version) {
  const std::string path = NatsServersDir() + "/" + std::string(version) + "/nats-server";
  return access(path.c_str(), X_OK) == 0 ? path : std::string();
}

// The newest pinned build at or above `at_least` (e.g. "v2.10.0"), or "" when there is none.
inline std::string NewestPinnedNatsServer(std::string_view at_least = "v2.10.0") {
  std::error_code error;
  std::vector<int> best;
  std::string best_path;
  for (const auto& entry : std::filesystem::directory_iterator(NatsServersDir(), error)) {
    const std::string name = entry.path().filename().string();
    const std::vector<int> version = ParseNatsVersion(name);
    if (version.empty() || version < ParseNatsVersion(at_least) || version <= best) continue;
    const std::string path = PinnedNatsServer(name);
    if (path.empty()) continue;
    best = version;
    best_path = path;
  }
  return best_path;
}

}  // namespace lnsim::testutil
