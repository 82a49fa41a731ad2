// See stop_signal.h.
#include "cli/stop_signal.h"

#include <csignal>

namespace lnsim::cli {

volatile bool g_stop_requested = false;
volatile sig_atomic_t g_stop_signal = 0;

namespace {
extern "C" void OnStopSignal(int signal) {
  if (g_stop_signal == 0) g_stop_signal = signal;
  g_stop_requested = true;
}
}  // namespace

const char* StopSignalName() {
  switch (g_stop_signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "a signal";
  }
}

void InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace lnsim::cli
