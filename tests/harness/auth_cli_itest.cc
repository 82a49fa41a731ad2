// `lnsim auth init` as a user runs it: the files it writes, what it prints, and that bad usage
// exits non-zero with a message naming the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/clock.h"
#include "harness/child_process.h"
#include "harness/nats_auth.h"
#include "tests/testutil/status_matchers.h"

namespace lnsim::harness {
namespace {

TEST(AuthCliItest, InitWritesConfigAndCredsAndPrintsInboxPrefixes) {
  RealClock clock;
  const std::string dir =
      std::filesystem::temp_directory_path() / ("lnsim-auth-cli-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  auto out = RunAndCapture({LNSIM_BINARY_PATH, "auth", "init", dir, "--cluster", "prod",
                            "--cluster", "dr.site", "--stream", "prod=EVENTS"},
                           std::chrono::seconds(30), clock);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_NE(out->find("creds bridge-prod: " + dir +
                      "/bridge-prod.creds  (inbox prefix "
                      "_INBOX_bridge-prod)"),
            std::string::npos)
      << *out;
  EXPECT_NE(out->find("bridge-dr.site.creds  (inbox prefix _INBOX_bridge-dr_site)"),
            std::string::npos)
      << *out;
  for (const char* f : {"server.conf", "operator.jwt", "bridge-prod.creds", "bridge-dr.site.creds",
                        "consumer.creds", "admin.creds"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  // --stream reached the bridge user's permissions.
  std::ifstream in(dir + "/bridge-prod.creds");
  std::stringstream text;
  text << in.rdbuf();
  auto creds = ParseCreds(text.str());
  ASSERT_TRUE(creds.ok());
  auto jwt = DecodeJwt(creds->jwt);
  ASSERT_TRUE(jwt.ok());
  const std::string allow = jwt->claims["nats"]["pub"]["allow"].dump();
  EXPECT_NE(allow.find("$JS.API.STREAM.CREATE.EVENTS"), std::string::npos) << allow;
  EXPECT_NE(allow.find("linstor.v1.prod.>"), std::string::npos) << allow;
  std::filesystem::remove_all(dir);
}

TEST(AuthCliItest, BadUsageExitsTwo) {
  RealClock clock;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{LNSIM_BINARY_PATH, "auth", "init", "/tmp/x"},
        std::vector<std::string>{LNSIM_BINARY_PATH, "auth", "init", "/tmp/x", "--cluster", "a",
                                 "--stream", "b=S"},
        std::vector<std::string>{LNSIM_BINARY_PATH, "auth", "frobnicate"}}) {
    auto out = RunAndCapture(args, std::chrono::seconds(30), clock);
    EXPECT_THAT(out, StatusIs(StatusCode::kInternal, ::testing::HasSubstr("exit 2")))
        << args.back();
  }
}

}  // namespace
}  // namespace lnsim::harness
