// The status matchers every test uses (tests/testutil/status_matchers.h): each one passes on the
// right code, fails on a wrong one, and names the actual code and message when it fails.
#include "tests/testutil/status_matchers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/status.h"

namespace lnsim {
namespace {

using ::testing::ExplainMatchResult;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StringMatchResultListener;

template <typename Value, typename Matcher>
std::string Explanation(const Matcher& matcher, const Value& value) {
  StringMatchResultListener listener;
  EXPECT_FALSE(ExplainMatchResult(matcher, value, &listener));
  return listener.str();
}

template <typename Value, typename Matcher>
std::string Description(const Matcher& matcher) {
  return ::testing::DescribeMatcher<const Value&>(matcher);
}

TEST(StatusIsTest, MatchesTheCodeOfAStatus) {
  const Status not_found = NotFoundError("node 'a' not found");
  EXPECT_THAT(not_found, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(not_found, Not(StatusIs(StatusCode::kInvalidArgument)));
  EXPECT_THAT(OkStatus(), StatusIs(StatusCode::kOk));
  EXPECT_THAT(OkStatus(), Not(StatusIs(StatusCode::kNotFound)));
}

TEST(StatusIsTest, MatchesTheCodeOfAStatusOr) {
  const StatusOr<int> not_found = NotFoundError("node 'a' not found");
  EXPECT_THAT(not_found, StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(not_found, Not(StatusIs(StatusCode::kUnavailable)));
  const StatusOr<int> value = 7;
  EXPECT_THAT(value, StatusIs(StatusCode::kOk));
  EXPECT_THAT(value, Not(StatusIs(StatusCode::kNotFound)));
}

TEST(StatusIsTest, WrongCodeExplainsTheActualCodeAndMessage) {
  const Status not_found = NotFoundError("node 'a' not found");
  EXPECT_EQ(Explanation(StatusIs(StatusCode::kInvalidArgument), not_found),
            "which has code NOT_FOUND and message \"node 'a' not found\"");
  const StatusOr<std::string> or_not_found = not_found;
  EXPECT_EQ(Explanation(StatusIs(StatusCode::kInvalidArgument), or_not_found),
            "which has code NOT_FOUND and message \"node 'a' not found\"");
  EXPECT_EQ(Description<Status>(StatusIs(StatusCode::kInvalidArgument)),
            "has code INVALID_ARGUMENT and a message that is anything");
}

TEST(StatusIsTest, MatchesTheMessageToo) {
  const Status bad = InvalidArgumentError("2: cluster.replicas: must be at least 1");
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, HasSubstr("cluster.replicas")));
  EXPECT_THAT(bad,
              StatusIs(StatusCode::kInvalidArgument, "2: cluster.replicas: must be at least 1"));
  // Right message, wrong code; right code, wrong message.
  EXPECT_THAT(bad, Not(StatusIs(StatusCode::kNotFound, HasSubstr("cluster.replicas"))));
  EXPECT_THAT(bad, Not(StatusIs(StatusCode::kInvalidArgument, HasSubstr("cluster.nodes"))));
  const StatusOr<int> or_bad = bad;
  EXPECT_THAT(or_bad, StatusIs(StatusCode::kInvalidArgument, HasSubstr("replicas")));
  EXPECT_THAT(or_bad, Not(StatusIs(StatusCode::kInvalidArgument, HasSubstr("nodes"))));
  EXPECT_EQ(Explanation(StatusIs(StatusCode::kInvalidArgument, HasSubstr("nodes")), bad),
            "which has code INVALID_ARGUMENT and message \"2: cluster.replicas: must be at least "
            "1\"");
  EXPECT_EQ(Description<Status>(StatusIs(StatusCode::kNotFound, HasSubstr("x"))),
            "has code NOT_FOUND and a message that has substring \"x\"");
}

TEST(IsOkTest, PassesOnOkAndFailsOnAnError) {
  EXPECT_THAT(OkStatus(), IsOk());
  EXPECT_THAT(StatusOr<int>(3), IsOk());
  const Status unavailable = UnavailableError("connect 127.0.0.1:4222: refused");
  EXPECT_THAT(unavailable, Not(IsOk()));
  EXPECT_THAT(StatusOr<int>(unavailable), Not(IsOk()));
  EXPECT_EQ(Explanation(IsOk(), unavailable),
            "which has code UNAVAILABLE and message \"connect 127.0.0.1:4222: refused\"");
  EXPECT_EQ(Explanation(IsOk(), StatusOr<int>(unavailable)),
            "which has code UNAVAILABLE and message \"connect 127.0.0.1:4222: refused\"");
  EXPECT_EQ(Description<Status>(IsOk()), "is OK");
}

TEST(StatusPrinterTest, PrintsCodeAndMessage) {
  EXPECT_EQ(::testing::PrintToString(NotFoundError("node 'a' not found")),
            "NOT_FOUND: node 'a' not found");
  EXPECT_EQ(::testing::PrintToString(StatusOr<int>(DataLossError("truncated"))),
            "DATA_LOSS: truncated");
  EXPECT_EQ(::testing::PrintToString(StatusOr<int>(7)), "OK with value 7");
}

}  // namespace
}  // namespace lnsim
