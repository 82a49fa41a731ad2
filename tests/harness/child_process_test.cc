// ChildProcess against /bin/sh: spawn, capture, exit codes, signals, exec failures, reaping.
#include "harness/child_process.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <thread>

#include "common/clock.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using std::chrono::seconds;

bool ProcessExists(pid_t pid) { return kill(pid, 0) == 0; }

TEST(ChildProcessTest, CapturesStdoutLinesAndExitCode) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/bin/sh", "-c", "echo one; echo two; printf three; exit 7"};
  options.capture_stdout = true;
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(*(*child)->ReadLine(seconds(10)), "one");
  EXPECT_EQ(*(*child)->ReadLine(seconds(10)), "two");
  EXPECT_EQ(*(*child)->ReadLine(seconds(10)), "three");
  EXPECT_EQ((*child)->ReadLine(seconds(10)).status().code(), StatusCode::kNotFound);
  auto status = (*child)->Wait(seconds(10));
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->exited);
  EXPECT_EQ(status->code, 7);
  EXPECT_FALSE((*child)->Running());
}

TEST(ChildProcessTest, PassesEnvironment) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/bin/sh", "-c", "echo \"$LNSIM_TEST_VALUE\""};
  options.env = {"LNSIM_TEST_VALUE=hello world"};
  options.capture_stdout = true;
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(*(*child)->ReadLine(seconds(10)), "hello world");
}

TEST(ChildProcessTest, MissingProgramIsUnavailableNamingThePath) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/nonexistent/lnsim-no-such-binary"};
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_THAT(child, StatusIs(StatusCode::kUnavailable,
                              ::testing::HasSubstr("/nonexistent/lnsim-no-such-binary")));
}

TEST(ChildProcessTest, NonExecutableFileIsUnavailable) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/etc/hostname"};
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_THAT(child, StatusIs(StatusCode::kUnavailable));
}

TEST(ChildProcessTest, WaitTimesOutWhileRunningThenStopTerminates) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/bin/sleep", "1000"};
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_TRUE(child.ok());
  auto waited = (*child)->Wait(std::chrono::milliseconds(50));
  EXPECT_EQ(waited.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE((*child)->Running());
  const ExitStatus status = (*child)->Stop(seconds(10));
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_FALSE((*child)->Running());
}

TEST(ChildProcessTest, StopEscalatesToSigkillWhenTermIsIgnored) {
  RealClock clock;
  ChildOptions options;
  options.argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"};
  options.capture_stdout = true;
  auto child = ChildProcess::Spawn(options, clock);
  ASSERT_TRUE(child.ok());
  ASSERT_EQ(*(*child)->ReadLine(seconds(10)), "ready");  // the trap is installed
  const ExitStatus status = (*child)->Stop(std::chrono::milliseconds(100));
  EXPECT_EQ(status.signal, SIGKILL);
  EXPECT_EQ(status.ToString(), "killed by SIGKILL");
}

TEST(ChildProcessTest, DestructorKillsAndReapsTheWholeGroup) {
  RealClock clock;
  pid_t leader = 0;
  pid_t grandchild = 0;
  {
    ChildOptions options;
    options.argv = {"/bin/sh", "-c", "sleep 1000 & echo $!; wait"};
    options.capture_stdout = true;
    auto child = ChildProcess::Spawn(options, clock);
    ASSERT_TRUE(child.ok());
    leader = (*child)->pid();
    grandchild = std::stoi(*(*child)->ReadLine(seconds(10)));
    ASSERT_TRUE(ProcessExists(grandchild));
  }
  // The leader was reaped by us: it no longer exists even as a zombie.
  EXPECT_EQ(waitpid(leader, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  // The grandchild got SIGKILL with the group; it is reparented and reaped by init, so poll.
  RealClock wait_clock;
  const Duration deadline = wait_clock.Now() + seconds(10);
  while (ProcessExists(grandchild) && wait_clock.Now() < deadline) {
    // /proc shows a zombie until init reaps it; a zombie counts as dead here.
    std::string stat_path = "/proc/" + std::to_string(grandchild) + "/stat";
    FILE* f = fopen(stat_path.c_str(), "r");
    if (f == nullptr) break;
    char state = 0;
    int ignored_pid = 0;
    char comm[256];
    const int n = fscanf(f, "%d %255s %c", &ignored_pid, comm, &state);
    fclose(f);
    if (n == 3 && state == 'Z') break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling pause, not a sync
  }
  EXPECT_LT(wait_clock.Now(), deadline) << "grandchild " << grandchild << " survived";
}

bool Dead(pid_t pid) {
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return true;
  int ignored = 0;
  char comm[256];
  char state = 0;
  const int n = fscanf(f, "%d %255s %c", &ignored, comm, &state);
  fclose(f);
  return n == 3 && state == 'Z';
}

TEST(ChildProcessTest, ChildDiesWhenItsParentDiesWithoutCleanup) {
  // An intermediate process (a fork of this test) spawns `sleep`, reports its pid and dies
  // abruptly (_exit: no destructor runs). PR_SET_PDEATHSIG must take the sleep down with it.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t intermediate = fork();
  ASSERT_GE(intermediate, 0);
  if (intermediate == 0) {
    close(fds[0]);
    RealClock clock;
    ChildOptions options;
    options.argv = {"/bin/sleep", "1000"};
    auto child = ChildProcess::Spawn(options, clock);
    const pid_t pid = child.ok() ? (*child)->pid() : -1;
    if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid)) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  pid_t sleeper = -1;
  ASSERT_EQ(read(fds[0], &sleeper, sizeof(sleeper)), static_cast<ssize_t>(sizeof(sleeper)));
  close(fds[0]);
  ASSERT_GT(sleeper, 0);
  waitpid(intermediate, nullptr, 0);
  RealClock clock;
  const Duration deadline = clock.Now() + seconds(10);
  while (!Dead(sleeper) && clock.Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // polling pause, not a sync
  }
  EXPECT_TRUE(Dead(sleeper)) << "orphan " << sleeper << " survived its parent";
  if (!Dead(sleeper)) kill(sleeper, SIGKILL);
}

TEST(ChildProcessTest, RunAndCaptureReturnsOutputOrTheFailure) {
  RealClock clock;
  auto out = RunAndCapture({"/bin/sh", "-c", "echo a; echo b"}, seconds(10), clock);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "a\nb\n");
  auto failed = RunAndCapture({"/bin/sh", "-c", "echo oops; exit 3"}, seconds(10), clock);
  EXPECT_EQ(failed.status().code(), StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("exit 3"), std::string::npos);
  auto slow = RunAndCapture({"/bin/sleep", "1000"}, std::chrono::milliseconds(50), clock);
  EXPECT_EQ(slow.status().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace lnsim::harness
