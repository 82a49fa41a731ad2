// The scenario key `nats.tls`: true / verify / false parse into NatsSpec, anything else is an
// error naming the file, line and key, and it cannot be combined with a live nats.url.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/harness_spec.h"
#include "harness/scenario_loader.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

StatusOr<HarnessSpec> Parse(const std::string& nats_section) {
  const std::string text = "cluster:\n  nodes: 3\nduration: 10s\nnats:\n" + nats_section;
  auto scenario = LoadScenarioText(text, "tls.yaml");
  if (!scenario.ok()) return scenario.status();
  return ParseHarnessSections(*scenario);
}

TEST(TlsSpecTest, TrueVerifyAndFalse) {
  auto on = Parse("  tls: true\n");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->nats.tls);
  EXPECT_FALSE(on->nats.tls_verify);
  auto verify = Parse("  tls: verify\n");
  ASSERT_TRUE(verify.ok()) << verify.status().ToString();
  EXPECT_TRUE(verify->nats.tls);
  EXPECT_TRUE(verify->nats.tls_verify);
  auto off = Parse("  tls: false\n");
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->nats.tls);
}

TEST(TlsSpecTest, BadValueAndLiveUrlAreErrorsWithFileLineAndKey) {
  auto bad = Parse("  tls: maybe\n");
  ASSERT_THAT(bad, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("tls.yaml:5")));
  EXPECT_NE(bad.status().message().find("nats.tls"), std::string::npos);
  EXPECT_NE(bad.status().message().find("'maybe'"), std::string::npos);

  auto live = Parse("  url: nats://example:4222\n  tls: true\n");
  EXPECT_THAT(live, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("--tls-ca")));
}

}  // namespace
}  // namespace lnsim::harness
