// fork/exec with the care a multi-threaded parent needs: everything the child uses is prepared
// before fork, the child only calls async-signal-safe functions, and exec failures come back
// through a close-on-exec pipe so Spawn can report them synchronously.
#include "harness/child_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <thread>

extern char** environ;

namespace lnsim::harness {
namespace {

constexpr Duration kPollSlice = std::chrono::milliseconds(20);

std::string ErrnoText(int err) { return std::string(strerror(err)); }

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

ExitStatus DecodeWaitStatus(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

// Writes errno to the error pipe and exits; async-signal-safe.
[[noreturn]] void ChildFail(int err_fd) {
  int err = errno;
  ssize_t ignored = write(err_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exited) return "exit " + std::to_string(code);
  const char* name = sigabbrev_np(signal);
  return std::string("killed by SIG") + (name ? name : std::to_string(signal).c_str());
}

namespace {

Status CheckProgram(const std::string& program) {
  if (access(program.c_str(), F_OK) != 0) {
    return UnavailableError("child process: program '" + program + "' not found");
  }
  if (access(program.c_str(), X_OK) != 0) {
    return UnavailableError("child process: program '" + program +
                            "' is not executable: " + ErrnoText(errno));
  }
  return OkStatus();
}

// "KEY=value" entries: the inherited environment (when asked) overridden by options.env.
std::vector<std::string> ChildEnvironment(const ChildOptions& options) {
  std::map<std::string, std::string> env_map;
  if (options.inherit_env) {
    for (char** e = environ; e && *e; ++e) {
      std::string entry(*e);
      env_map[entry.substr(0, entry.find('='))] = entry;
    }
  }
  for (const auto& entry : options.env) env_map[entry.substr(0, entry.find('='))] = entry;
  std::vector<std::string> env_strings;
  for (auto& [key, entry] : env_map) env_strings.push_back(entry);
  return env_strings;
}

// The descriptors the child is wired to; -1 = not used. err_pipe carries an exec failure's
// errno back to the parent (it closes itself on a successful exec).
struct ChildFds {
  int log = -1;
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  int null = -1;
  void CloseAll() {
    for (int fd : {log, out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1], null}) {
      if (fd >= 0) close(fd);
    }
  }
};

Status OpenChildFds(const ChildOptions& options, ChildFds* fds) {
  if (!options.log_path.empty()) {
    fds->log = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fds->log < 0) {
      return UnavailableError("child process: cannot open log file '" + options.log_path +
                              "': " + ErrnoText(errno));
    }
  }
  if (options.capture_stdout && pipe2(fds->out_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    fds->CloseAll();
    return InternalError("child process: pipe: " + ErrnoText(err));
  }
  if (pipe2(fds->err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    fds->err_pipe[0] = fds->err_pipe[1] = -1;
    fds->CloseAll();
    return InternalError("child process: pipe: " + ErrnoText(err));
  }
  fds->null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return OkStatus();
}

// In the forked child: async-signal-safe calls only. Never returns.
[[noreturn]] void ExecChild(const ChildFds& fds, char* const* argv, char* const* envp,
                            const char* workdir, bool die_with_parent, pid_t parent) {
  setpgid(0, 0);
  if (die_with_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ChildFail(fds.err_pipe[1]);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (fds.null >= 0) dup2(fds.null, STDIN_FILENO);
  if (fds.out_pipe[1] >= 0) {
    if (dup2(fds.out_pipe[1], STDOUT_FILENO) < 0) ChildFail(fds.err_pipe[1]);
  } else if (fds.log >= 0) {
    if (dup2(fds.log, STDOUT_FILENO) < 0) ChildFail(fds.err_pipe[1]);
  }
  if (fds.log >= 0 && dup2(fds.log, STDERR_FILENO) < 0) ChildFail(fds.err_pipe[1]);
  if (workdir != nullptr && chdir(workdir) != 0) ChildFail(fds.err_pipe[1]);
  // Close every other descriptor the parent had open without O_CLOEXEC (sockets of nats.c,
  // listeners), except the error pipe, which closes itself on exec.
  const int keep = fds.err_pipe[1];
  if (keep > 3) syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
  syscall(SYS_close_range, static_cast<unsigned>(keep + 1), ~0u, 0u);
  execve(argv[0], argv, envp);
  ChildFail(keep);
}

}  // namespace

StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const ChildOptions& options,
                                                            const Clock& clock) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return InvalidArgumentError("child process: empty argv");
  }
  const std::string& program = options.argv[0];
  LNSIM_RETURN_IF_ERROR(CheckProgram(program));

  // Everything the child needs, prepared before fork.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  ChildFds fds;
  LNSIM_RETURN_IF_ERROR(OpenChildFds(options, &fds));
  const pid_t parent = getpid();
  const char* workdir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();

  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    fds.CloseAll();
    return InternalError("child process: fork: " + ErrnoText(err));
  }
  if (pid == 0) {
    ExecChild(fds, argv.data(), envp.data(), workdir, options.die_with_parent, parent);
  }

  // Parent.
  close(fds.err_pipe[1]);
  if (fds.out_pipe[1] >= 0) close(fds.out_pipe[1]);
  if (fds.log >= 0) close(fds.log);
  if (fds.null >= 0) close(fds.null);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(fds.err_pipe[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(fds.err_pipe[0]);
  std::unique_ptr<ChildProcess> child(new ChildProcess(pid, fds.out_pipe[0], program, clock));
  if (n == static_cast<ssize_t>(sizeof(child_errno))) {
    child->ReapBlocking();
    return UnavailableError("child process: cannot execute '" + program +
                            "': " + ErrnoText(child_errno));
  }
  return child;
}

ChildProcess::ChildProcess(pid_t pid, int stdout_fd, std::string program, const Clock& clock)
    : pid_(pid), stdout_fd_(stdout_fd), program_(std::move(program)), clock_(clock) {}

ChildProcess::~ChildProcess() {
  if (!exit_status_) Kill();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool ChildProcess::TryReap() {
  if (exit_status_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    exit_status_ = DecodeWaitStatus(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere (a SIGCHLD handler): treat as gone
    exit_status_ = ExitStatus{};
    return true;
  }
  return false;
}

bool ChildProcess::Running() { return !TryReap(); }

ExitStatus ChildProcess::ReapBlocking() {
  if (exit_status_) return *exit_status_;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  exit_status_ = r == pid_ ? DecodeWaitStatus(status) : ExitStatus{};
  return *exit_status_;
}

StatusOr<std::string> ChildProcess::ReadLine(Duration timeout) {
  LNSIM_CHECK(stdout_fd_ >= 0 || stdout_eof_) << "ReadLine without capture_stdout";
  const Duration deadline = clock_.Now() + timeout;
  while (true) {
    const size_t newline = line_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = line_buffer_.substr(0, newline);
      line_buffer_.erase(0, newline + 1);
      return line;
    }
    if (stdout_eof_) {
      if (!line_buffer_.empty()) {
        std::string line = std::move(line_buffer_);
        line_buffer_.clear();
        return line;
      }
      return NotFoundError("child process '" + program_ + "': end of output");
    }
    const Duration remaining = deadline - clock_.Now();
    if (remaining <= Duration::zero()) {
      return DeadlineExceededError("child process '" + program_ + "': no output line within " +
                                   std::to_string(timeout.count() / 1000000) + " ms");
    }
    pollfd pfd{stdout_fd_, POLLIN, 0};
    const int wait_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::min(remaining, kPollSlice))
            .count(),
        1, 1000));
    const int r = poll(&pfd, 1, wait_ms);
    if (r < 0 && errno != EINTR) return InternalError("poll: " + ErrnoText(errno));
    if (r <= 0) continue;
    char buf[4096];
    const ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n > 0) {
      line_buffer_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      stdout_eof_ = true;
      close(stdout_fd_);
      stdout_fd_ = -1;
    }
  }
}

StatusOr<ExitStatus> ChildProcess::Wait(Duration timeout) {
  if (TryReap()) return *exit_status_;
  const Duration deadline = clock_.Now() + timeout;
  const int pidfd = PidfdOpen(pid_);
  while (!TryReap()) {
    const Duration remaining = deadline - clock_.Now();
    if (remaining <= Duration::zero()) {
      if (pidfd >= 0) close(pidfd);
      return DeadlineExceededError("child process '" + program_ + "' (pid " + std::to_string(pid_) +
                                   ") still running after " +
                                   std::to_string(timeout.count() / 1000000) + " ms");
    }
    const int wait_ms = static_cast<int>(std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::min(remaining, kPollSlice))
            .count(),
        1, 1000));
    if (pidfd >= 0) {
      pollfd pfd{pidfd, POLLIN, 0};
      poll(&pfd, 1, wait_ms);
    } else {
      // No pidfd (old kernel): bounded polling of waitpid in short steps.
      clock_.SleepFor(std::chrono::milliseconds(std::min(wait_ms, 2)));
    }
  }
  if (pidfd >= 0) close(pidfd);
  return *exit_status_;
}

Status ChildProcess::Signal(int signal) {
  if (TryReap()) {
    return FailedPreconditionError("child process '" + program_ + "' already exited (" +
                                   exit_status_->ToString() + ")");
  }
  if (kill(pid_, signal) != 0) return InternalError("kill: " + ErrnoText(errno));
  return OkStatus();
}

Status ChildProcess::SignalGroup(int signal) {
  if (TryReap()) {
    // The leader is gone; members of its group may still live: signal them anyway.
    if (kill(-pid_, signal) != 0 && errno != ESRCH)
      return InternalError("kill: " + ErrnoText(errno));
    return OkStatus();
  }
  if (kill(-pid_, signal) != 0 && kill(pid_, signal) != 0) {
    return InternalError("kill: " + ErrnoText(errno));
  }
  return OkStatus();
}

ExitStatus ChildProcess::Stop(Duration grace) {
  if (TryReap()) return *exit_status_;
  kill(pid_, SIGTERM);
  auto waited = Wait(grace);
  if (waited.ok()) {
    kill(-pid_, SIGKILL);  // stragglers in its group, if any
    return *waited;
  }
  return Kill();
}

ExitStatus ChildProcess::Kill() {
  if (exit_status_) {
    kill(-pid_, SIGKILL);
    return *exit_status_;
  }
  if (kill(-pid_, SIGKILL) != 0) kill(pid_, SIGKILL);
  return ReapBlocking();
}

StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv, Duration timeout,
                                    const Clock& clock) {
  ChildOptions options;
  options.argv = argv;
  options.capture_stdout = true;
  LNSIM_ASSIGN_OR_RETURN(auto child, ChildProcess::Spawn(options, clock));
  const Duration deadline = clock.Now() + timeout;
  std::string output;
  while (true) {
    auto line = child->ReadLine(std::max(Duration(1), deadline - clock.Now()));
    if (line.ok()) {
      output += *line;
      output += '\n';
      continue;
    }
    if (line.status().code() == StatusCode::kNotFound) break;
    child->Kill();
    return line.status().WithPrefix(argv[0]);
  }
  LNSIM_ASSIGN_OR_RETURN(ExitStatus status,
                         child->Wait(std::max(Duration(1), deadline - clock.Now())));
  if (!status.ok()) {
    return InternalError(argv[0] + " ended with " + status.ToString() + ": " + output);
  }
  return output;
}

std::string LastLinesOf(const std::string& path, size_t max_lines, std::string_view indent) {
  constexpr size_t kMaxLine = 400;
  std::ifstream in(path, std::ios::binary);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty()) continue;
    if (line.size() > kMaxLine) line = line.substr(0, kMaxLine) + "...";
    last.push_back(std::move(line));
    if (last.size() > max_lines) last.pop_front();
  }
  std::string out;
  for (const std::string& l : last) {
    out += indent;
    out += l;
    out += '\n';
  }
  return out;
}

}  // namespace lnsim::harness
