// `lnsim mock-linstor --port 0 ...` as a child process: the first stdout line is the listening
// line (read with a bounded wait), the served cluster is the one the flags ask for, and SIGTERM
// stops it with exit code 0.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/mock-linstor/testutil_http.h"

namespace lnsim::mock {
namespace {

// Reads one line from `fd` within `timeout`; "" on timeout or EOF.
std::string ReadLine(int fd, std::chrono::milliseconds timeout) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char ch;
    if (::read(fd, &ch, 1) != 1) return line;
    if (ch == '\n') return line;
    line.push_back(ch);
  }
  return line;
}

TEST(MockLinstorCli, PortZeroPrintsTheListeningLineFirst) {
  const std::string binary = LNSIM_BINARY_PATH;
  if (::access(binary.c_str(), X_OK) != 0) {
    GTEST_SKIP() << "lnsim binary not built at " << binary << " (build the `lnsim` target)";
  }
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(binary.c_str(), binary.c_str(), "mock-linstor", "--port", "0", "--nodes", "5",
            "--resources", "20", "--seed", "3", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  const std::string line = ReadLine(out[0], std::chrono::seconds(30));
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))")))
      << "first line: '" << line << "'";
  const int port = std::stoi(m[1]);
  const std::string reply =
      testing::RawHttp(port, "GET /v1/nodes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const size_t body = reply.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos) << reply;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u);
  const auto nodes = nlohmann::json::parse(reply.substr(body + 4), nullptr, false);
  ASSERT_TRUE(nodes.is_array()) << reply;
  EXPECT_EQ(nodes.size(), 5u);
  ::kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  ::close(out[0]);
}

}  // namespace
}  // namespace lnsim::mock
