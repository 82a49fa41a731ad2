#include "common/duration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"

namespace lnsim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DurationTest, ParsesEveryUnitAndSums) {
  EXPECT_EQ(ParseDuration("250ms").value(), milliseconds(250));
  EXPECT_EQ(ParseDuration("10s").value(), seconds(10));
  EXPECT_EQ(ParseDuration("5m").value(), seconds(300));
  EXPECT_EQ(ParseDuration("1h").value(), seconds(3600));
  EXPECT_EQ(ParseDuration("1m30s").value(), seconds(90));
  EXPECT_EQ(ParseDuration("1.5s").value(), milliseconds(1500));
  EXPECT_EQ(ParseDuration("7us").value(), std::chrono::microseconds(7));
  EXPECT_EQ(ParseDuration("3ns").value(), Duration(3));
}

TEST(DurationTest, RejectsMissingOrUnknownUnits) {
  for (const char* bad : {"", "10", "ms", "10x", "5 s", "-1s", "1.2.3s"}) {
    EXPECT_THAT(ParseDuration(bad),
                StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("bad duration")))
        << bad;
  }
}

TEST(DurationTest, FormatRoundTrips) {
  for (const char* text : {"250ms", "10s", "1m30s", "2h", "0s", "17us", "9ns", "1h1m1s"}) {
    auto d = ParseDuration(text);
    ASSERT_TRUE(d.ok()) << text;
    EXPECT_EQ(FormatDuration(*d), text);
  }
  EXPECT_EQ(FormatDurationHuman(milliseconds(1234)), "1.23s");
}

}  // namespace
}  // namespace lnsim
