// ChildProcess: one child process that lnsim starts, watches and always reaps (nats-server, the
// bridge under test, `nats-server --version`). Processes are the edge of the harness: this is the
// only place that forks, so every wait is bounded and nothing outlives lnsim.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace lnsim::harness {

struct ChildOptions {
  // argv[0] is the program: an absolute or relative path (no PATH search, so the error names
  // exactly the file that is missing).
  std::vector<std::string> argv;
  // Extra environment entries "KEY=VALUE", added to (or overriding) the inherited environment.
  std::vector<std::string> env;
  bool inherit_env = true;
  // Where stdout goes: captured through a pipe (ReadLine) when capture_stdout, else appended to
  // log_path when set, else inherited.
  bool capture_stdout = false;
  // stderr (and stdout when not captured) are appended to this file when set, else inherited.
  std::string log_path;
  // Working directory of the child; empty = ours.
  std::string working_dir;
  // The child is killed (SIGKILL) when the thread that spawned it dies (PR_SET_PDEATHSIG), so
  // spawn from a long-lived thread (normally main). On by default.
  bool die_with_parent = true;
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // normal exit: code is valid
  int code = 0;
  int signal = 0;  // killed by this signal when !exited
  bool ok() const { return exited && code == 0; }
  std::string ToString() const;  // "exit 0", "killed by SIGKILL"
};

// Not thread-safe: one owner thread drives a ChildProcess (Spawn, ReadLine, Wait, Stop). The
// destructor kills (SIGKILL) and reaps a child that is still running, so no zombie and no orphan
// is left behind whatever path the owner takes out.
class ChildProcess {
 public:
  // Starts the child in its own process group. Errors: kInvalidArgument for an empty argv,
  // kUnavailable naming the program when it does not exist or cannot be executed (exec failure
  // is reported synchronously through a close-on-exec pipe), kInternal when fork fails.
  static StatusOr<std::unique_ptr<ChildProcess>> Spawn(const ChildOptions& options,
                                                       const Clock& clock);

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  const std::string& program() const { return program_; }

  // True while the child has not been reaped; reaps it (non-blocking) when it has exited.
  bool Running();
  // The exit status once reaped, nullopt while running.
  const std::optional<ExitStatus>& exit_status() const { return exit_status_; }

  // Next line of captured stdout without its newline. kDeadlineExceeded when no full line
  // arrived within `timeout`; kNotFound at end of output (the child closed stdout), after the
  // last partial line has been returned. Requires capture_stdout.
  StatusOr<std::string> ReadLine(Duration timeout);

  // Waits up to `timeout` for the child to exit and reaps it. kDeadlineExceeded when it is still
  // running at the deadline (it is left running).
  StatusOr<ExitStatus> Wait(Duration timeout);

  // Sends `signal` to the child (not its group). kFailedPrecondition once reaped.
  Status Signal(int signal);
  // Sends `signal` to the child's whole process group.
  Status SignalGroup(int signal);

  // SIGTERM, wait up to `grace`, then SIGKILL to the group and reap. Always returns with the
  // child reaped. A no-op returning the saved status when already reaped.
  ExitStatus Stop(Duration grace);
  // SIGKILL to the process group, then reap. Always returns with the child reaped.
  ExitStatus Kill();

 private:
  ChildProcess(pid_t pid, int stdout_fd, std::string program, const Clock& clock);
  // Blocks until reaped (after SIGKILL, this is quick).
  ExitStatus ReapBlocking();
  bool TryReap();

  pid_t pid_;
  int stdout_fd_;  // -1 when not captured or closed
  std::string program_;
  const Clock& clock_;
  std::string line_buffer_;
  bool stdout_eof_ = false;
  std::optional<ExitStatus> exit_status_;
};

// Runs `argv` to completion with stdout captured and returns its whole stdout. kDeadlineExceeded
// (the child killed) when it does not finish within `timeout`; kUnavailable when it cannot start;
// kInternal with its output when it exits non-zero.
StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv, Duration timeout,
                                    const Clock& clock);

// The last `max_lines` non-empty lines of the log file at `path`, each without trailing blanks,
// cut to 400 characters, one per line with `indent` before each; "" when the file cannot be read
// or is empty. For start-up errors that show a child's own words on the terminal.
std::string LastLinesOf(const std::string& path, size_t max_lines, std::string_view indent = "  ");

}  // namespace lnsim::harness
