// gMock matchers for Status and StatusOr<T>, so a test asserts the specific error instead of
// "not ok" (STYLE.md, Tests). Modelled on Abseil's absl/status/status_matchers.h:
//
//   EXPECT_THAT(ParseDuration("10x"), StatusIs(StatusCode::kInvalidArgument));
//   EXPECT_THAT(LoadFile(path), StatusIs(StatusCode::kNotFound, HasSubstr(path)));
//   ASSERT_THAT(World::Create(spec, 1), IsOk());
//
// Each matcher takes a Status or any StatusOr<T> and, on a mismatch, prints the actual code and
// message. Test-only: nothing outside tests/ and bench/ may include this.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>
#include <utility>

#include "common/status.h"

namespace lnsim {

// gtest prints Status and StatusOr<T> through these (found by ADL) instead of as raw bytes.
inline void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }

template <typename T>
void PrintTo(const StatusOr<T>& status_or, std::ostream* os) {
  if (!status_or.ok()) {
    *os << status_or.status().ToString();
    return;
  }
  *os << "OK with value " << ::testing::PrintToString(status_or.value());
}

namespace testutil {
namespace internal {

inline const Status& GetStatus(const Status& status) { return status; }
template <typename T>
const Status& GetStatus(const StatusOr<T>& status_or) {
  return status_or.status();
}

inline void DescribeStatus(const Status& status, ::testing::MatchResultListener* listener) {
  *listener << "which has code " << StatusCodeName(status.code()) << " and message \""
            << status.message() << "\"";
}

// StatusIs(code, message_matcher) on a Status or a StatusOr<T>.
class StatusIsMatcher {
 public:
  StatusIsMatcher(StatusCode code, ::testing::Matcher<const std::string&> message)
      : code_(code), message_(std::move(message)) {}

  template <typename StatusType>
  bool MatchAndExplain(const StatusType& value, ::testing::MatchResultListener* listener) const {
    const Status& status = GetStatus(value);
    DescribeStatus(status, listener);
    if (status.code() != code_) return false;
    ::testing::StringMatchResultListener message_listener;
    if (!message_.MatchAndExplain(status.message(), &message_listener)) {
      const std::string why = message_listener.str();
      if (!why.empty()) *listener << ", " << why;
      return false;
    }
    return true;
  }

  void DescribeTo(std::ostream* os) const {
    *os << "has code " << StatusCodeName(code_) << " and a message that ";
    message_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "does not have code " << StatusCodeName(code_) << " or has a message that ";
    message_.DescribeNegationTo(os);
  }

 private:
  StatusCode code_;
  ::testing::Matcher<const std::string&> message_;
};

// IsOk() on a Status or a StatusOr<T>.
class IsOkMatcher {
 public:
  template <typename StatusType>
  bool MatchAndExplain(const StatusType& value, ::testing::MatchResultListener* listener) const {
    const Status& status = GetStatus(value);
    if (status.ok()) return true;
    DescribeStatus(status, listener);
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "is OK"; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is not OK"; }
};

}  // namespace internal

// Matches a Status or StatusOr<T> whose code is `code` (any message).
inline ::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(StatusCode code) {
  return ::testing::MakePolymorphicMatcher(
      internal::StatusIsMatcher(code, ::testing::A<const std::string&>()));
}

// Matches a Status or StatusOr<T> whose code is `code` and whose message matches
// `message_matcher` (a string or a matcher such as HasSubstr, StartsWith, Eq).
template <typename MessageMatcher>
::testing::PolymorphicMatcher<internal::StatusIsMatcher> StatusIs(
    StatusCode code, MessageMatcher&& message_matcher) {
  return ::testing::MakePolymorphicMatcher(internal::StatusIsMatcher(
      code,
      ::testing::MatcherCast<const std::string&>(std::forward<MessageMatcher>(message_matcher))));
}

// Matches an OK Status or a StatusOr<T> that holds a value.
inline ::testing::PolymorphicMatcher<internal::IsOkMatcher> IsOk() {
  return ::testing::MakePolymorphicMatcher(internal::IsOkMatcher());
}

}  // namespace testutil

using testutil::IsOk;
using testutil::StatusIs;

}  // namespace lnsim
