// The scenario's opt-out of judging (docs/scenarios.md "verify"): `verify.unjudged` names
// channel kinds; by default nothing is left out (quorum included); bad names are clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness/harness_spec.h"
#include "harness/report.h"
#include "harness/verifier.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

StatusOr<HarnessSpec> Parse(const std::string& yaml) {
  auto scenario = LoadScenarioText(yaml, "t.yaml");
  if (!scenario.ok()) return scenario.status();
  return ParseHarnessSections(*scenario);
}

TEST(VerifySpecTest, EveryKindIsJudgedByDefault) {
  auto spec = Parse("duration: 10s\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_TRUE(spec->unjudged.empty());
  const VerifierOptions defaults;
  for (int k = 1; k < kChannelKindCount; ++k) {
    EXPECT_TRUE(defaults.judged[k]) << ChannelKindName(static_cast<ChannelKind>(k));
  }
}

TEST(VerifySpecTest, AScenarioOptsOutOfQuorum) {
  auto spec = Parse("duration: 10s\nverify:\n  unjudged: [quorum, disk_state]\n");
  ASSERT_THAT(spec, IsOk());
  EXPECT_THAT(spec->unjudged, ElementsAre("quorum", "disk_state"));
}

TEST(VerifySpecTest, UnknownOrRepeatedNamesAreErrors) {
  auto spec = Parse("duration: 10s\nverify:\n  unjudged: [quorom]\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("t.yaml:3"));
  EXPECT_THAT(spec.status().message(), HasSubstr("unknown kind 'quorom'"));
  EXPECT_THAT(spec.status().message(), HasSubstr("quorum"));
  spec = Parse("duration: 10s\nverify:\n  unjudged: [quorum, quorum]\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("listed twice"));
  spec = Parse("duration: 10s\nverify:\n  unjudge: [quorum]\n");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(spec.status().message(), HasSubstr("unknown key"));
}

TEST(VerifySpecTest, TheReportKeepsTheUnjudgedKinds) {
  Report r;
  r.unjudged_kinds = {"quorum"};
  auto back = ReportFromJson(ReportToJson(r));
  ASSERT_THAT(back, IsOk());
  EXPECT_THAT(back->unjudged_kinds, ElementsAre("quorum"));
  Report none;
  EXPECT_THAT(ReportToJson(none), ::testing::Not(HasSubstr("unjudged_kinds")));
}

}  // namespace
}  // namespace lnsim::harness
