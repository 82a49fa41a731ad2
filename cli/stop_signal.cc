// See stop_signal.h.
#include "cli/stop_signal.h"

#include <csignal>

namespace lnsim::cli {

volatile bool g_stop_requested = false;

namespace {
extern "C" void OnStopSignal(int) { g_stop_requested = true; }
}  // namespace

void InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace lnsim::cli
