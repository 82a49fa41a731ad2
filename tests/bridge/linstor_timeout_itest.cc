// A controller whose listings are slower than the bridge's request timeout (FAILURES.md F7: real
// listings can take 30 s and more) must not blind the bridge: timed-out polls raise the timeout of
// the next ones, and fast answers bring it back down. Real HTTP over loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "bridge/linstor_client.h"
#include "common/clock.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::bridge {
namespace {

using std::chrono::milliseconds;

class SlowControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* path : {"/v1/nodes", "/v1/view/storage-pools", "/v1/resource-definitions",
                             "/v1/view/resources"}) {
      const bool slow = std::string(path) == "/v1/view/resources";
      server_.Get(path, [this, slow](const httplib::Request&, httplib::Response& res) {
        // The controller's own slowness (the thing under test), not synchronisation.
        if (slow) std::this_thread::sleep_for(milliseconds(delay_ms_.load()));
        res.set_content("[]", "application/json");
      });
    }
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    // Bound and listening already: connections queue until the accept loop runs.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  LinstorClientOptions Options(Duration max_timeout) const {
    LinstorClientOptions o;
    o.urls = {"http://127.0.0.1:" + std::to_string(port_)};
    o.request_timeout = milliseconds(250);
    o.max_request_timeout = max_timeout;
    o.page_size = 0;
    return o;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> delay_ms_{600};
  RealClock clock_;
};

TEST_F(SlowControllerTest, TimedOutListingsRaiseTheTimeoutUntilPollsSucceedThenItComesBack) {
  LinstorClient client(Options(std::chrono::seconds(8)), clock_, nullptr, nullptr);
  PollStats stats;
  Duration last = client.request_timeout();
  int failures = 0;
  bool ok = false;
  for (int poll = 0; poll < 6 && !ok; ++poll) {
    auto snap = client.FetchSnapshot(&stats);
    ok = snap.ok();
    if (!ok) {
      EXPECT_EQ(snap.status().code(), StatusCode::kDeadlineExceeded) << snap.status().ToString();
      ++failures;
      EXPECT_EQ(client.request_timeout(), std::min<Duration>(last * 2, std::chrono::seconds(8)));
      last = client.request_timeout();
    }
  }
  ASSERT_TRUE(ok) << "the bridge never got a complete listing; timeout "
                  << client.request_timeout().count() << " ns";
  EXPECT_GE(failures, 1);  // 600 ms listings against a 250 ms timeout

  // The controller is fast again: successful polls halve the timeout back to the configured one.
  delay_ms_ = 0;
  for (int poll = 0; poll < 8 && client.request_timeout() > milliseconds(250); ++poll) {
    ASSERT_TRUE(client.FetchSnapshot(&stats).ok());
  }
  EXPECT_EQ(client.request_timeout(), milliseconds(250));
}

TEST_F(SlowControllerTest, WithoutRoomToGrowEveryPollTimesOut) {
  // The control: the same controller, the timeout capped at the configured 250 ms.
  LinstorClient client(Options(milliseconds(250)), clock_, nullptr, nullptr);
  PollStats stats;
  for (int poll = 0; poll < 3; ++poll) {
    auto snap = client.FetchSnapshot(&stats);
    ASSERT_THAT(snap, StatusIs(StatusCode::kDeadlineExceeded));
    EXPECT_EQ(client.request_timeout(), milliseconds(250));
  }
}

}  // namespace
}  // namespace lnsim::bridge
