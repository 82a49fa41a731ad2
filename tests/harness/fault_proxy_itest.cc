// FaultProxy over real loopback sockets in front of an echo server: bytes flow intact, reset
// closes, blackhole holds and releases, latency and bandwidth caps slow traffic down by at least
// what was set (never asserting an upper bound).
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/rng.h"
#include "harness/fault_proxy.h"
#include "harness/nats_server.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Echoes every byte back on every connection, one thread per connection.
class EchoServer {
 public:
  EchoServer() {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    LNSIM_CHECK(bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    LNSIM_CHECK(listen(listener_, 16) == 0);
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] {
      while (true) {
        const int fd = accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        workers_.emplace_back([fd] {
          char buf[65536];
          while (true) {
            const ssize_t n = recv(fd, buf, sizeof(buf), 0);
            if (n <= 0) break;
            ssize_t sent = 0;
            while (sent < n) {
              const ssize_t m = send(fd, buf + sent, n - sent, MSG_NOSIGNAL);
              if (m <= 0) break;
              sent += m;
            }
          }
          close(fd);
        });
      }
    });
  }
  ~EchoServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    acceptor_.join();
    for (auto& w : workers_) w.join();
  }
  int port() const { return port_; }

 private:
  int listener_;
  int port_;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
};

int ConnectTo(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    sent += static_cast<size_t>(n);
  }
}

// Reads exactly `size` bytes within `timeout`; returns what arrived (shorter on timeout/EOF).
std::string ReadExactly(int fd, size_t size, Duration timeout, const Clock& clock) {
  std::string out;
  const Duration deadline = clock.Now() + timeout;
  while (out.size() < size) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock.Now()).count();
    if (left <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
    char buf[65536];
    const ssize_t n = recv(fd, buf, std::min(sizeof(buf), size - out.size()), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Pattern(size_t size) {
  std::string s(size, '\0');
  Rng rng(7);
  for (auto& ch : s) ch = static_cast<char>(rng.Next());
  return s;
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FaultProxyOptions options;
    options.upstream_port = echo_.port();
    auto proxy = FaultProxy::Start(options, clock_, Rng(1));
    ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();
    proxy_ = std::move(proxy).value();
  }
  RealClock clock_;
  EchoServer echo_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(FaultProxyTest, BytesFlowIntactBothWays) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  const std::string data = Pattern(2 << 20);
  std::thread writer([&] { SendAll(fd, data); });
  const std::string back = ReadExactly(fd, data.size(), seconds(30), clock_);
  writer.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  const FaultProxyStats stats = proxy_->stats();
  EXPECT_EQ(stats.connections_accepted, 1u);
  EXPECT_EQ(stats.bytes_to_upstream, data.size());
  close(fd);
}

TEST_F(FaultProxyTest, ResetClosesCurrentConnectionsAndAcceptsNewOnes) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "ping");
  ASSERT_EQ(ReadExactly(fd, 4, seconds(10), clock_), "ping");
  proxy_->ResetConnections();
  // The client sees the connection end (EOF or ECONNRESET), not a hang.
  pollfd pfd{fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10000), 1);
  char buf[16];
  EXPECT_LE(recv(fd, buf, sizeof(buf), 0), 0);
  close(fd);
  EXPECT_EQ(proxy_->stats().connections_reset, 1u);

  const int again = ConnectTo(proxy_->port());
  ASSERT_GE(again, 0);
  SendAll(again, "pong");
  EXPECT_EQ(ReadExactly(again, 4, seconds(10), clock_), "pong");
  close(again);
}

TEST_F(FaultProxyTest, BlackholeHoldsDataAndReleasesItInOrder) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  SendAll(fd, "before");
  ASSERT_EQ(ReadExactly(fd, 6, seconds(10), clock_), "before");
  proxy_->SetBlackhole(true);
  SendAll(fd, "held-1;");
  SendAll(fd, "held-2;");
  // Nothing comes back while the blackhole is on.
  EXPECT_EQ(ReadExactly(fd, 1, milliseconds(300), clock_), "");
  // New connections are accepted but held too.
  const int second = ConnectTo(proxy_->port());
  ASSERT_GE(second, 0);
  SendAll(second, "x");
  EXPECT_EQ(ReadExactly(second, 1, milliseconds(100), clock_), "");
  proxy_->SetBlackhole(false);
  EXPECT_EQ(ReadExactly(fd, 14, seconds(10), clock_), "held-1;held-2;");
  EXPECT_EQ(ReadExactly(second, 1, seconds(10), clock_), "x");
  close(fd);
  close(second);
}

TEST_F(FaultProxyTest, LatencyAddsAtLeastTheSetDelayEachWay) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  proxy_->SetLatency(milliseconds(100), milliseconds(20));
  for (int i = 0; i < 3; ++i) {
    const Duration start = clock_.Now();
    SendAll(fd, "abc");
    ASSERT_EQ(ReadExactly(fd, 3, seconds(10), clock_), "abc");
    // Through the proxy twice (to the echo server and back): at least 2 x 100 ms.
    EXPECT_GE(clock_.Now() - start, milliseconds(200));
  }
  proxy_->ClearFaults();
  close(fd);
}

TEST_F(FaultProxyTest, LatencyWithJitterKeepsByteOrder) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  proxy_->SetLatency(milliseconds(5), milliseconds(30));
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    const std::string piece = "<" + std::to_string(i) + ">";
    expected += piece;
    SendAll(fd, piece);
  }
  EXPECT_EQ(ReadExactly(fd, expected.size(), seconds(30), clock_), expected);
  close(fd);
}

TEST_F(FaultProxyTest, BandwidthCapSlowsTransfer) {
  const int fd = ConnectTo(proxy_->port());
  ASSERT_GE(fd, 0);
  constexpr uint64_t kRate = 200 * 1024;  // bytes/s each way
  proxy_->SetBandwidth(kRate);
  const std::string data = Pattern(100 * 1024);
  const Duration start = clock_.Now();
  std::thread writer([&] { SendAll(fd, data); });
  const std::string back = ReadExactly(fd, data.size(), seconds(30), clock_);
  writer.join();
  ASSERT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  // 100 KiB at 200 KiB/s is 0.5 s, less the token bucket's burst (1/20 s) on each leg.
  EXPECT_GE(clock_.Now() - start, milliseconds(400));
  close(fd);
}

TEST(FaultProxyStandaloneTest, UpstreamDownClosesTheClient) {
  RealClock clock;
  // A port with nothing listening: bind, read the port, close.
  const int probe = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  close(probe);
  FaultProxyOptions options;
  options.upstream_port = ntohs(addr.sin_port);
  auto proxy = FaultProxy::Start(options, clock, Rng(1));
  ASSERT_TRUE(proxy.ok());
  const int fd = ConnectTo((*proxy)->port());
  ASSERT_GE(fd, 0);
  pollfd pfd{fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 10000), 1);
  char buf[4];
  EXPECT_LE(recv(fd, buf, sizeof(buf), 0), 0);
  close(fd);
}

TEST(FaultProxyStandaloneTest, BadUpstreamAndBusyPortAreErrors) {
  RealClock clock;
  FaultProxyOptions bad;
  bad.upstream_host = "not-an-ip";
  bad.upstream_port = 4222;
  EXPECT_EQ(FaultProxy::Start(bad, clock, Rng(1)).status().code(), StatusCode::kInvalidArgument);
  FaultProxyOptions first;
  first.upstream_port = 4222;
  auto a = FaultProxy::Start(first, clock, Rng(1));
  ASSERT_TRUE(a.ok());
  FaultProxyOptions second = first;
  second.listen_port = (*a)->port();
  auto b = FaultProxy::Start(second, clock, Rng(1));
  EXPECT_THAT(
      b, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr(std::to_string((*a)->port()))));
}

TEST(FaultProxyNatsTest, NatsClientReconnectsThroughTheProxyAfterAReset) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  FaultProxyOptions options;
  options.upstream_port = (*server)->port();
  auto proxy = FaultProxy::Start(options, clock, Rng(3));
  ASSERT_TRUE(proxy.ok());

  natsOptions* opts = nullptr;
  ASSERT_EQ(natsOptions_Create(&opts), NATS_OK);
  natsOptions_SetURL(opts, (*proxy)->nats_url().c_str());
  natsOptions_SetMaxReconnect(opts, -1);
  natsOptions_SetReconnectWait(opts, 20);
  natsConnection* nc = nullptr;
  ASSERT_EQ(natsConnection_Connect(&nc, opts), NATS_OK);
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "via.proxy"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "via.proxy", "one"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  natsMsg_Destroy(msg);

  (*proxy)->ResetConnections();
  EXPECT_GE((*proxy)->stats().connections_reset, 1u);
  // nats.c reconnects through the proxy and resubscribes; publish until one gets through.
  bool received = false;
  const Duration deadline = clock.Now() + seconds(15);
  while (!received && clock.Now() < deadline) {
    natsConnection_PublishString(nc, "via.proxy", "two");
    natsConnection_FlushTimeout(nc, 200);
    if (natsSubscription_NextMsg(&msg, sub, 100) == NATS_OK) {
      received = std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)) == "two";
      natsMsg_Destroy(msg);
    }
  }
  EXPECT_TRUE(received);
  EXPECT_GE((*proxy)->stats().connections_accepted, 2u);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
}

}  // namespace
}  // namespace lnsim::harness
