// scenarios/auth-denied.yaml end to end through `lnsim run`, shortened: the embedded nats-server
// in operator mode, the bridge and consumers on their creds, two rogue clients (consumer creds,
// another cluster's bridge creds) trying to inject fake events and delete the stream. The run
// must pass with zero phantoms, zero lost, zero effective duplicates, and the report must count
// every rogue attempt as denied by the server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "common/clock.h"
#include "harness/harness_spec.h"
#include "harness/run.h"
#include "harness/scenario_loader.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

TEST(AuthRunItest, AuthDeniedScenarioPassesAndCountsEveryDenial) {
  const std::string path = std::string(LNSIM_SOURCE_DIR) + "/scenarios/auth-denied.yaml";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lnsim-auth-run-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  RealClock clock;
  RunOptions options;
  options.scenario_path = path;
  options.lnsim_binary = LNSIM_BINARY_PATH;
  options.work_dir = (dir / "work").string();
  options.command_line = "lnsim run " + path;
  options.time_scale = 0.15;  // 30 s of world time in 4.5 s, the bridge kill at 1.8 s
  std::ostringstream log;
  const RunOutcome out = RunScenario(options, clock, log);
  std::ostringstream table;
  PrintReportTable(out.report, table);
  SCOPED_TRACE(log.str() + table.str() + out.error);
  ASSERT_EQ(out.exit_code, 0);
  const Report& r = out.report;
  EXPECT_TRUE(r.passed);
  EXPECT_GT(r.totals.matched, 0u);
  EXPECT_EQ(r.totals.phantom, 0u);
  EXPECT_EQ(r.totals.lost, 0u);
  EXPECT_EQ(r.totals.duplicated, 0u);
  EXPECT_EQ(r.totals.reordered, 0u);
  ASSERT_TRUE(r.auth.has_value());
  EXPECT_EQ(r.auth->mode, "jwt");
  ASSERT_EQ(r.auth->rogues.size(), 2u);
  for (const RogueResult& g : r.auth->rogues) {
    // Two stream API attempts (delete, purge) plus at least one fake event.
    EXPECT_GE(g.attempts, 3u) << g.name;
    EXPECT_EQ(g.denials, g.attempts) << g.name;
  }
  EXPECT_EQ(r.auth->rogues[0].creds, "consumer");
  EXPECT_EQ(r.auth->rogues[1].creds, "bridge:intruder");
  EXPECT_EQ(r.auth->denials, r.auth->attempts);
  // The report's JSON carries the counts (docs/report.md "auth").
  auto back = ReportFromJson(ReportToJson(r));
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->auth.has_value());
  EXPECT_EQ(back->auth->denials, r.auth->denials);
  std::filesystem::remove_all(dir);
}

TEST(AuthRunItest, RogueNeedsJwtAuthAndAuthNeedsTheEmbeddedServer) {
  auto parse = [](const std::string& text) {
    auto scenario = LoadScenarioText(text, "x.yaml");
    EXPECT_TRUE(scenario.ok()) << scenario.status().ToString();
    return ParseHarnessSections(*scenario);
  };
  auto no_auth = parse("nats:\n  rogue:\n    - creds: consumer\n");
  EXPECT_THAT(no_auth,
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("x.yaml:3: nats.rogue: needs nats.auth: jwt")));
  auto live = parse("nats:\n  url: nats://h:4222\n  auth: jwt\n");
  EXPECT_THAT(live, StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("nats.auth")));
  auto bad = parse("nats:\n  auth: jwt\n  rogue:\n    - creds: admin\n");
  EXPECT_THAT(bad, StatusIs(StatusCode::kInvalidArgument,
                            ::testing::HasSubstr("x.yaml:4: nats.rogue[0].creds")));
  auto ok = parse("nats:\n  auth: jwt\n  rogue:\n    - creds: bridge:other\n      every: 50ms\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->nats.auth_jwt);
  ASSERT_EQ(ok->nats.rogues.size(), 1u);
  EXPECT_EQ(ok->nats.rogues[0].creds, "bridge:other");
  EXPECT_EQ(ok->nats.rogues[0].every, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace lnsim::harness
