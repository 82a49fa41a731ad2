// The harness's waits go through its injected Clock: with a SimulatedClock, a timed wait ends
// only when the test advances time past its deadline (never by real time passing), and an event
// it waits for still ends it early. Synchronisation is SimulatedClock::WaitForWaiters; the real
// timeouts below only bound a broken test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "harness/consumer.h"
#include "harness/nats_auth.h"

namespace lnsim::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kBound{10000};  // real time; only a broken test waits this long

TEST(DeliveryQueueClockTest, PopAllTimesOutOnlyWhenTheClockPassesTheDeadline) {
  SimulatedClock clock;
  DeliveryQueue queue(clock);
  std::vector<Delivery> out;
  auto popped =
      std::async(std::launch::async, [&] { return queue.PopAll(&out, milliseconds(100)); });
  ASSERT_TRUE(clock.WaitForWaiters(1, kBound));
  clock.Advance(milliseconds(99));
  // Still before the deadline: the wait cannot have ended (nothing was pushed).
  EXPECT_EQ(popped.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(clock.waiters(), 1u);
  clock.Advance(milliseconds(1));
  ASSERT_EQ(popped.wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(popped.get(), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(DeliveryQueueClockTest, PushEndsTheWaitBeforeTheDeadline) {
  SimulatedClock clock;
  DeliveryQueue queue(clock);
  std::vector<Delivery> out;
  auto popped = std::async(std::launch::async, [&] { return queue.PopAll(&out, seconds(3600)); });
  ASSERT_TRUE(clock.WaitForWaiters(1, kBound));
  Delivery d;
  d.id = "c/k/1";
  queue.Push(d);
  ASSERT_EQ(popped.wait_for(kBound), std::future_status::ready);
  EXPECT_EQ(popped.get(), 1u);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].id, "c/k/1");
  EXPECT_EQ(clock.Now(), Duration::zero());  // no time had to pass
}

TEST(DeliveryQueueClockTest, PopAllDoesNotWaitWhenSomethingIsQueued) {
  SimulatedClock clock;
  DeliveryQueue queue(clock);
  queue.Push(Delivery{});
  std::vector<Delivery> out;
  EXPECT_EQ(queue.PopAll(&out, seconds(3600)), 1u);  // returns at once, time never moves
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "iat" claim of the operator JWT that InitAuth wrote; -1 when it cannot be read.
int64_t OperatorIssuedAt(const AuthInitResult& result) {
  std::string jwt = ReadFile(result.operator_jwt_path);
  while (!jwt.empty() && jwt.back() == '\n') jwt.pop_back();
  auto decoded = DecodeJwt(jwt);
  if (!decoded.ok()) {
    ADD_FAILURE() << decoded.status().ToString();
    return -1;
  }
  return decoded->claims["iat"].get<int64_t>();
}

TEST(InitAuthClockTest, JwtsAreIssuedAtTheClocksUnixTime) {
  char dir_template[] = "/tmp/lnsim-auth-clock-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const SimulatedClock clock(Duration::zero(), int64_t{1700000000} * 1000000000 + 999999999);
  AuthInitOptions o;
  o.dir = dir + "/auth";
  o.clusters = {{"a", "", ""}};
  auto r = InitAuth(o, clock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OperatorIssuedAt(*r), 1700000000);
  auto creds = ParseCreds(ReadFile(r->creds.at("consumer")));
  ASSERT_TRUE(creds.ok()) << creds.status().ToString();
  auto user = DecodeJwt(creds->jwt);
  ASSERT_TRUE(user.ok()) << user.status().ToString();
  EXPECT_EQ(user->claims["iat"].get<int64_t>(), 1700000000);
  std::filesystem::remove_all(dir);
}

TEST(InitAuthClockTest, ExplicitIssuedAtWinsOverTheClock) {
  char dir_template[] = "/tmp/lnsim-auth-clock-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const SimulatedClock clock(Duration::zero(), int64_t{1700000000} * 1000000000);
  AuthInitOptions o;
  o.dir = dir + "/auth";
  o.clusters = {{"a", "", ""}};
  o.issued_at_unix = 42;
  auto r = InitAuth(o, clock);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(OperatorIssuedAt(*r), 42);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lnsim::harness
