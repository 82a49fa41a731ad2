// Blocking socket GET with a deadline; see http_get.h.
#include "harness/internal/http_get.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace lnsim::harness::internal {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int RemainingMs(Duration deadline, const Clock& clock) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.Now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60000));
}

}  // namespace

StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                               Duration timeout, const Clock& clock) {
  const std::string where = "http://" + host + ":" + std::to_string(port) + path;
  const Duration deadline = clock.Now() + timeout;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgumentError(where + ": host must be an IPv4 address");
  }
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return InternalError(where + ": socket: " + strerror(errno));
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (errno != EINPROGRESS) return UnavailableError(where + ": connect: " + strerror(errno));
    pollfd pfd{fd.get(), POLLOUT, 0};
    if (poll(&pfd, 1, RemainingMs(deadline, clock)) <= 0) {
      return DeadlineExceededError(where + ": connect timed out");
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return UnavailableError(where + ": connect: " + strerror(err));
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return UnavailableError(where + ": send: " + strerror(errno));
    }
    pollfd pfd{fd.get(), POLLOUT, 0};
    if (poll(&pfd, 1, RemainingMs(deadline, clock)) <= 0) {
      return DeadlineExceededError(where + ": send timed out");
    }
  }
  std::string reply;
  while (true) {
    char buf[8192];
    const ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return UnavailableError(where + ": recv: " + strerror(errno));
    pollfd pfd{fd.get(), POLLIN, 0};
    if (poll(&pfd, 1, RemainingMs(deadline, clock)) <= 0) {
      return DeadlineExceededError(where + ": no complete reply in time");
    }
  }
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (reply.compare(0, 5, "HTTP/") != 0) return DataLossError(where + ": not an HTTP reply");
  const size_t space = reply.find(' ');
  const size_t header_end = reply.find("\r\n\r\n");
  if (space == std::string::npos || header_end == std::string::npos) {
    return DataLossError(where + ": truncated HTTP reply");
  }
  HttpResponse response;
  response.status = atoi(reply.c_str() + space + 1);
  response.body = reply.substr(header_end + 4);
  return response;
}

}  // namespace lnsim::harness::internal
