// NatsServer against the real nats-server: start on a free port, carry a message with nats.c,
// survive kill -9 with a JetStream stream's messages, leave no process behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "common/clock.h"
#include "harness/nats_server.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using std::chrono::seconds;

bool ProcessAlive(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  // A zombie still answers kill(0); it must not count as alive.
  FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return false;
  int ignored = 0;
  char comm[256];
  char state = 0;
  const int n = fscanf(f, "%d %255s %c", &ignored, comm, &state);
  fclose(f);
  return !(n == 3 && state == 'Z');
}

natsConnection* Connect(const std::string& url) {
  natsOptions* opts = nullptr;
  EXPECT_EQ(natsOptions_Create(&opts), NATS_OK);
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetTimeout(opts, 5000);
  natsConnection* nc = nullptr;
  const natsStatus s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  EXPECT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " " << url;
  return s == NATS_OK ? nc : nullptr;
}

TEST(NatsServerTest, StartsOnAFreePortAndCarriesAMessage) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_GT((*server)->port(), 0);
  EXPECT_GT((*server)->monitor_port(), 0);
  EXPECT_EQ((*server)->url(), "nats://127.0.0.1:" + std::to_string((*server)->port()));
  EXPECT_TRUE((*server)->Running());

  natsConnection* nc = Connect((*server)->url());
  ASSERT_NE(nc, nullptr);
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, nc, "lnsim.test.>"), NATS_OK);
  ASSERT_EQ(natsConnection_Flush(nc), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(nc, "lnsim.test.hello", "payload-1"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_STREQ(natsMsg_GetSubject(msg), "lnsim.test.hello");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "payload-1");
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(nc);
}

TEST(NatsServerTest, ReportsItsVersion) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto version = (*server)->Version();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  auto queried = NatsServer::QueryVersion(DefaultNatsServerBinary(), clock);
  ASSERT_TRUE(queried.ok()) << queried.status().ToString();
  EXPECT_EQ(*version, *queried);
  EXPECT_NE(version->find('.'), std::string::npos) << *version;
}

TEST(NatsServerTest, KillNineAndRestartKeepsPortAndJetStreamMessages) {
  RealClock clock;
  auto started = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  NatsServer& server = **started;
  const int port = server.port();
  const pid_t first_pid = server.pid();

  {
    natsConnection* nc = Connect(server.url());
    ASSERT_NE(nc, nullptr);
    jsCtx* js = nullptr;
    ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = "KEEP";
    const char* subjects[] = {"keep.>"};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    ASSERT_EQ(js_AddStream(nullptr, js, &config, nullptr, &jerr), NATS_OK) << jerr;
    for (int i = 0; i < 5; ++i) {
      const std::string body = "m" + std::to_string(i);
      ASSERT_EQ(js_Publish(nullptr, js, "keep.x", body.data(), static_cast<int>(body.size()),
                           nullptr, &jerr),
                NATS_OK);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
  }

  server.Kill9();
  EXPECT_FALSE(server.Running());
  EXPECT_FALSE(ProcessAlive(first_pid));
  ASSERT_TRUE(server.Restart().ok()) << server.LogTail();
  EXPECT_EQ(server.port(), port);
  EXPECT_NE(server.pid(), first_pid);

  natsConnection* nc = Connect(server.url());
  ASSERT_NE(nc, nullptr);
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, nc, nullptr), NATS_OK);
  jsStreamInfo* info = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  // JetStream may still be recovering the stream right after /healthz: bounded retry.
  natsStatus s = NATS_ERR;
  const Duration deadline = clock.Now() + seconds(10);
  while (clock.Now() < deadline) {
    s = js_GetStreamInfo(&info, js, "KEEP", nullptr, &jerr);
    if (s == NATS_OK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(s, NATS_OK) << natsStatus_GetText(s) << " jerr " << jerr;
  EXPECT_EQ(info->State.Msgs, 5u);
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST(NatsServerTest, GracefulStopThenRestart) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE((*server)->Stop().ok());
  EXPECT_FALSE((*server)->Running());
  EXPECT_EQ((*server)->pid(), 0);
  ASSERT_TRUE((*server)->Restart().ok());
  natsConnection* nc = Connect((*server)->url());
  ASSERT_NE(nc, nullptr);
  natsConnection_Destroy(nc);
}

TEST(NatsServerTest, DestructorLeavesNoProcessAndNoTempDir) {
  RealClock clock;
  pid_t pid = 0;
  std::string work_dir;
  {
    auto server = NatsServer::Start(NatsServerOptions{}, clock);
    ASSERT_TRUE(server.ok());
    pid = (*server)->pid();
    work_dir = (*server)->work_dir();
    ASSERT_TRUE(ProcessAlive(pid));
    ASSERT_TRUE(std::filesystem::exists((*server)->store_dir()));
  }
  EXPECT_FALSE(ProcessAlive(pid));
  EXPECT_EQ(waitpid(pid, nullptr, WNOHANG), -1);  // reaped: not even a zombie child of ours
  EXPECT_FALSE(std::filesystem::exists(work_dir));
}

TEST(NatsServerTest, MissingBinaryIsUnavailableNamingThePath) {
  RealClock clock;
  NatsServerOptions options;
  options.binary = "/nonexistent/nats-server";
  auto server = NatsServer::Start(options, clock);
  ASSERT_THAT(server,
              StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("/nonexistent/nats-server")));
}

TEST(NatsServerTest, PortInUseIsUnavailable) {
  // Hold a listening socket on a free port, then ask nats-server for exactly that port.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  RealClock clock;
  NatsServerOptions options;
  options.port = ntohs(addr.sin_port);
  auto server = NatsServer::Start(options, clock);
  close(fd);
  EXPECT_THAT(server, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("in use")));
}

}  // namespace
}  // namespace lnsim::harness
