// Runs a shell command line for tests that drive a real binary (lnsim, python3 scripts) and
// judge its exit code and output.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace lnsim::testutil {

struct ShellResult {
  int exit_code = -1;  // -1: not started, or killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

inline ShellResult RunShell(const std::string& command) {
  ShellResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace lnsim::testutil
