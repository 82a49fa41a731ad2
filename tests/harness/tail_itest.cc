// RunTail against a real nats-server: reads a JetStream stream from its start, and follows core
// NATS live, printing one line per event.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <sstream>
#include <thread>

#include "common/clock.h"
#include "harness/internal/nats_util.h"
#include "harness/nats_server.h"
#include "harness/tail.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

std::string Encoded(int sequence) {
  bridge::Event e;
  e.cluster = "c1";
  e.body.type = bridge::EventType::kVolumeAttached;
  e.body.resource = "pvc-1";
  e.body.node = "node-1";
  e.partition_key = bridge::PartitionKey(e.body);
  e.sequence = static_cast<uint64_t>(sequence);
  e.time_unix_ns = 1'000'000'000LL * sequence;
  return bridge::EncodeEvent(e);
}

TEST(TailItest, ReadsAJetStreamStreamFromItsStart) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  auto nc = internal::ConnectNats((*server)->url(), "publisher");
  ASSERT_TRUE(nc.ok());
  jsCtx* js = nullptr;
  ASSERT_EQ(natsConnection_JetStream(&js, *nc, nullptr), NATS_OK);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = "LINSTOR";
  const char* subjects[] = {"linstor.v1.>"};
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  ASSERT_EQ(js_AddStream(nullptr, js, &config, nullptr, &jerr), NATS_OK);
  for (int i = 1; i <= 3; ++i) {
    const std::string body = Encoded(i);
    ASSERT_EQ(js_Publish(nullptr, js, "linstor.v1.c1.volume.pvc-1.node-1.attached", body.data(),
                         static_cast<int>(body.size()), nullptr, &jerr),
              NATS_OK);
  }
  ASSERT_EQ(js_Publish(nullptr, js, "linstor.v1.c1.junk", "nope", 4, nullptr, &jerr), NATS_OK);

  TailOptions options;
  options.url = (*server)->url();
  options.jetstream = true;
  options.stream = "LINSTOR";
  options.count = 4;
  options.idle_timeout = std::chrono::seconds(10);
  std::ostringstream out;
  auto printed = RunTail(options, clock, out, nullptr);
  ASSERT_TRUE(printed.ok()) << printed.status().ToString();
  EXPECT_EQ(*printed, 4u);
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (n <= 3) {
      EXPECT_NE(line.find("volume.attached"), std::string::npos) << line;
      EXPECT_NE(line.find("seq=" + std::to_string(n)), std::string::npos) << line;
    } else {
      EXPECT_NE(line.find("linstor.v1.c1.junk undecodable"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(n, 4);
  jsCtx_Destroy(js);
  natsConnection_Destroy(*nc);
}

TEST(TailItest, MissingStreamIsUnavailableNamingIt) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok());
  TailOptions options;
  options.url = (*server)->url();
  options.jetstream = true;
  options.stream = "NOPE";
  std::ostringstream out;
  auto printed = RunTail(options, clock, out, nullptr);
  ASSERT_THAT(printed, StatusIs(StatusCode::kUnavailable, ::testing::HasSubstr("NOPE")));
}

TEST(TailItest, FollowsCoreNatsLiveUntilCount) {
  RealClock clock;
  auto server = NatsServer::Start(NatsServerOptions{}, clock);
  ASSERT_TRUE(server.ok());
  auto nc = internal::ConnectNats((*server)->url(), "publisher");
  ASSERT_TRUE(nc.ok());
  TailOptions options;
  options.url = (*server)->url();
  options.count = 1;
  options.idle_timeout = std::chrono::seconds(20);
  std::ostringstream out;
  StatusOr<uint64_t> printed = InternalError("not run");
  std::atomic<bool> done{false};
  std::thread tail([&] {
    printed = RunTail(options, clock, out, nullptr);
    done.store(true);
  });
  // The subscription starts asynchronously: publish until the tail has printed (bounded).
  const std::string body = Encoded(9);
  const Duration deadline = clock.Now() + std::chrono::seconds(15);
  while (!done.load() && clock.Now() < deadline) {
    natsConnection_PublishString(*nc, "linstor.v1.c1.volume.pvc-1.node-1.attached", body.c_str());
    natsConnection_FlushTimeout(*nc, 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // publish pacing, not a sync
  }
  tail.join();
  ASSERT_TRUE(printed.ok()) << printed.status().ToString();
  EXPECT_EQ(*printed, 1u);
  EXPECT_NE(out.str().find("seq=9"), std::string::npos) << out.str();
  natsConnection_Destroy(*nc);
}

}  // namespace
}  // namespace lnsim::harness
